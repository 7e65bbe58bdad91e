"""Derivatives by finite differences and the HESSE mathematics, in one package.

- :mod:`.model` — differences of a model vector: forward- and central-difference
  Jacobians and the exact Hessian of a loss of the model (the structured costs);
- :mod:`.jacobian` — Jacobians of residual vectors with scipy's '2-point' / '3-point' /
  'cs' schemes and MINPACK-style relative steps, column grouping for sparse patterns
  (``least_squares``);
- :mod:`.gradient` — forward, central and complex-step gradients of a scalar function
  (``minimize``);
- :mod:`.mn_gradient` — MINUIT's numerical gradient with its step control (MIGRAD);
- :mod:`.hesse` — MINUIT's HESSE from cost values; :mod:`.hesse_gradient` — HESSE from an
  analytic gradient.
"""
