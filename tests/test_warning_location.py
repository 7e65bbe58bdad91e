"""Every warning thetahat issues points at the user's line, not into the package.

A fixed ``stacklevel`` names the wrong frame as soon as the check sits at another depth
(``Minuit.migrad`` -> engine -> validity check); :func:`thetahat._core.warnings.warn_user`
walks out of the package instead. Oracle: the file and line of the call in this test.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import thetahat
from thetahat import Minuit, curve_fit, least_squares, minimize
from thetahat.cost import LeastSquares

X = np.linspace(0.0, 1.0, 7)


def _here() -> int:
    """Line number of the caller's line."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno


def test_migrad_degenerate_fit_warning_points_at_the_users_line():
    c = LeastSquares(X, 2 * X + 1, 0.1, lambda x, a, b: (a + b) * x + 1)
    m = Minuit(c, a=1, b=0)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        line = _here() + 1
        m.migrad()
    assert w, "a degenerate model warns"
    assert {(r.filename, r.lineno) for r in w} == {(__file__, line)}


def test_curve_fit_and_least_squares_warnings_point_at_the_users_line():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        line = _here() + 1
        curve_fit(lambda x, a, b: a * b * x, X, 2 * X, p0=[1, 1])
    assert w and {(r.filename, r.lineno) for r in w} == {(__file__, line)}

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        line = _here() + 1
        least_squares(lambda p: p[0] * p[1] * X - 2 * X, [1.0, 1.0])
    assert w and {(r.filename, r.lineno) for r in w} == {(__file__, line)}


def test_minimize_and_setting_warnings_point_at_the_users_line():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        line = _here() + 1
        minimize(lambda p: np.sum(p**2), [5.0, 5.0], method="Nelder-Mead", bounds=[(-1, 1)] * 2)
    assert w and {(r.filename, r.lineno) for r in w} == {(__file__, line)}

    m = Minuit(LeastSquares(X, X, 0.1, lambda x, a: a * x), a=1)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        line = _here() + 1
        m.errordef = 1
    assert w and {(r.filename, r.lineno) for r in w} == {(__file__, line)}


def test_warn_user_from_a_model_called_inside_a_fit():
    """A package function that warns, called by the user's model inside a fit: the warning
    is located at the model's line (the first frame outside thetahat), not at the fit."""
    from thetahat._core.warnings import warn_user

    lines = []

    def model(x, a):
        lines.append(_here() + 1)
        warn_user("from the model", UserWarning)
        return a * x

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        Minuit(LeastSquares(X, X, 0.1, model), a=1).migrad()
    assert {(r.filename, r.lineno) for r in w} == {(__file__, lines[0])}


@pytest.mark.parametrize("module", [thetahat.__file__])
def test_no_fixed_stacklevel_left(module):
    """Every warning of the package goes through warn_user (grep of the sources)."""
    import pathlib

    root = pathlib.Path(module).parent
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if "warnings.warn(" in p.read_text() and p.name != "warnings.py"]
    assert offenders == []
