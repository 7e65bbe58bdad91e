"""Solvers: pure functions on arrays, one algorithm per module.

Nothing in this package knows about parameter names, limits, or cost-function objects;
those live in the layers above (``thetahat.minuit._problem``, ``thetahat.minuit``).
"""
