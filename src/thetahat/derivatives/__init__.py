"""Derivatives by finite differences and the HESSE mathematics.

- :mod:`.jacobian` — Jacobians of residual vectors (scipy's '2-point' / '3-point' / 'cs'
  schemes with MINPACK-style relative steps, column grouping for sparse patterns);
- :mod:`.mn_gradient` — MINUIT's numerical gradient with its step control;
- :mod:`.hesse` — MINUIT's HESSE from cost values; :mod:`.hesse_gradient` — HESSE from an
  analytic gradient.
"""
