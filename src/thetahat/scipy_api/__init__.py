"""scipy.optimize's fitting functions, name for name and field for field.

Thin fronts that validate the input, call the solvers of :mod:`thetahat.solvers` and turn
their answers into :class:`OptimizeResult` objects at the edge (scipy's integer ``status``
codes exist only here): :func:`least_squares`, :func:`curve_fit`, :func:`minimize`,
:func:`lsq_linear`, and :func:`linear_fit` (linear models with their covariance).
Their input handling (bounds, callbacks, finite checks) is shared in
:mod:`thetahat.scipy_api._fronts`. The public names are re-exported by :mod:`thetahat`.
"""
