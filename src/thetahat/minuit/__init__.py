"""``thetahat.minuit``: the MINUIT-style minimizer with iminuit 2.x's interface.

The layer, top to bottom:

- :mod:`._minuit` — :class:`Minuit`, the facade: parameter state and settings; it builds a
  :class:`~._state.FitState`, hands it to an engine and applies the
  :class:`~._state.Outcome` that comes back (only the facade writes its own fields); its
  settings, parameter views, results and intervals are mixins in ``_facade_settings``,
  ``_facade_params``, ``_facade_results`` and ``_facade_intervals``;
- :mod:`._views` — the ``values`` / ``errors`` / ``fixed`` / ``limits`` views;
- :mod:`._problem` — the free parameters in MINUIT's internal (unbounded) coordinates;
- :mod:`._engines` — MIGRAD (Gauss-Newton for structured costs, variable metric
  otherwise), HESSE, SIMPLEX, SCAN: state in, outcome out;
- :mod:`._intervals` — MINOS, profiles and contours on the same engines, and the data
  their drawings need.
"""

from ._iminuit_minimize import minimize  # iminuit.minimize (MIGRAD), not scipy's
from ._minuit import Minuit

__all__ = ["Minuit", "minimize"]
