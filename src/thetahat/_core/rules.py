"""MINUIT's rules, in one place: the EDM goal, the call limit, the tolerance.

Every engine that reports an iminuit-style ``FMin`` (the variable-metric MIGRAD, the
Gauss-Newton MIGRAD of structured costs, SIMPLEX, HESSE, SCAN, the refits inside MINOS,
profiles and contours) reads these functions; none writes the numbers again.

- **EDM goal.** MIGRAD stops when the estimated distance to the minimum,
  EDM = gᵀ V g / 2 (V ≈ H⁻¹), falls below
  ``goal = 0.002 · max(tol · errordef, 2⁻²⁴ · min(1, 2 · errordef))`` (F. James, MINUIT
  Reference Manual; iminuit 2.x reports ``edm_goal`` so for errordef ≥ 0.5: the floor
  2⁻²⁴ of tol · errordef makes ``tol = 0`` ask for the tightest goal double precision can
  reach, not an unreachable goal of 0; below errordef 0.5 the floor shrinks with
  errordef, so that a cost on a tiny scale is not called converged many errordefs away
  from its minimum). A minimum is *above max EDM* when EDM > 10 · goal.
- **SIMPLEX goal** is that scale, ``goal_scale(tol, errordef)``, for the spread of the
  simplex, 500 times MIGRAD's: deliberately lax, since SIMPLEX only brings a fit near
  the minimum for MIGRAD (iminuit reports this goal after ``simplex()``).
- **Refits** (the conditional minimisations of MINOS, profiles and contours) use a goal
  100 times tighter (:data:`REFIT_TOL_SCALE`), which keeps the profiled cost accurate to
  ~2e-6 · errordef; MINOS's refits use MIGRAD's own goal (:data:`MINOS_REFIT_TOL_SCALE`),
  which moves an interval end by ~1e-4 of its offset, well inside MINOS's tolerance.
- **Call limit.** With ``ncall=None`` an algorithm may call the cost about
  ``200 + 100 n + 5 n²`` times for n free parameters (MINUIT's default).

Examples
--------
>>> edm_goal(0.1, 1.0)
0.0002
>>> edm_goal(0.0, 0.5) == 0.002 * 2.0 ** -24
True
>>> default_ncall(2)
420
"""

from __future__ import annotations

import math

__all__ = ["TOL_DEFAULT", "TOL_MIN", "REFIT_TOL_SCALE", "MINOS_REFIT_TOL_SCALE",
           "goal_scale", "edm_goal",
           "is_above_max_edm", "simplex_goal", "goal_of", "default_ncall", "check_tol"]

#: iminuit's default ``Minuit.tol``
TOL_DEFAULT = 0.1
#: the floor of ``tol · errordef`` (iminuit reports an EDM goal of 0.002 · 2⁻²⁴ for tol = 0)
TOL_MIN = 2.0 ** -24
#: refits inside MINOS, profiles and contours aim at a 100 times smaller EDM
REFIT_TOL_SCALE = 0.01
#: MINOS's refits aim at MIGRAD's own EDM goal: a profiled cost off by up to that goal,
#: 2e-4 errordef at tol 0.1, moves an interval end by ~1e-4 of its offset, 50 times below
#: MINOS's tolerance on the offset (5e-3); profiles, which report the cost, keep the above
MINOS_REFIT_TOL_SCALE = 1.0


def check_tol(value: float | None) -> float:
    """``Minuit.tol`` as given by the user, checked (None restores the default)."""
    v = TOL_DEFAULT if value is None else float(value)
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"tol must be a non-negative number, got {value!r}")
    return v


def goal_scale(tol: float, errordef: float) -> float:
    """tol · errordef, floored at :data:`TOL_MIN` · min(1, 2 · errordef): the scale of
    every stopping goal.

    The floor is iminuit's 2⁻²⁴ for the usual errordef 0.5 and 1 (and above), and shrinks
    with an errordef below 0.5, so that a cost on a tiny scale (errordef 1e-200) is not
    declared converged at an EDM of many errordefs.
    """
    up = float(errordef)
    return max(float(tol) * up, TOL_MIN * min(1.0, 2.0 * up))


def edm_goal(tol: float, errordef: float) -> float:
    """MIGRAD's goal for the EDM: 0.002 · :func:`goal_scale`."""
    return 0.002 * goal_scale(tol, errordef)


def is_above_max_edm(edm: float, goal: float) -> bool:
    """iminuit's ``is_above_max_edm``: EDM > 10 · goal (False for an unknown EDM)."""
    return bool(edm > 10.0 * goal) if math.isfinite(edm) else False


def simplex_goal(tol: float, errordef: float) -> float:
    """SIMPLEX's stopping goal for the spread of the simplex: :func:`goal_scale`."""
    return goal_scale(tol, errordef)


def goal_of(algorithm: str, tol: float, errordef: float) -> float:
    """The ``edm_goal`` that ``FMin`` reports after ``algorithm`` (as iminuit)."""
    return simplex_goal(tol, errordef) if algorithm == "Simplex" else edm_goal(tol, errordef)


def default_ncall(n: int) -> int:
    """MINUIT's default call limit for n free parameters: 200 + 100 n + 5 n²."""
    return 200 + 100 * n + 5 * n * n
