"""NIST StRD nonlinear regression: 19 problems x 2 starts, scored by correct digits (LRE).

Bars of issue 2, with finite-difference Jacobians ('2-point'): with default tolerances
every fit has LRE >= 4 in every parameter and the average is >= 7; with
ftol = xtol = gtol = 1e-15 every fit has LRE >= 6 and the average is >= 8.5. For scale,
scipy 1.17 averages about 6.4 and 7.2 on the same 38 fits and fails MGH17 from start 1.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nist_problems import NAMES, load, lre
from thetahat import least_squares

TIGHT = dict(ftol=1e-15, xtol=1e-15, gtol=1e-15)
CASES = [(name, k) for name in NAMES for k in (0, 1)]


def _solve(p, k: int, method: str, opts: dict):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow in exp far from the fit
        return least_squares(p.residuals, p.starts[k], method=method, **opts)


def _scores(method: str, opts: dict) -> dict:
    """LRE of every fit. A fit that spends its evaluation budget must say so (status 0,
    success False) and must reach the bar with twice the budget: MGH17 from Start 1 crawls
    along the valley b4 = b5 and needs 503-652 evaluations (scipy's budget is 100 n = 500)
    depending on the BLAS kernel's rounding; scipy's MINPACK fails it as well."""
    out = {}
    for name, k in CASES:
        p = load(name)
        r = _solve(p, k, method, opts)
        if r.status == 0:
            assert not r.success, f"{method}: {name}/{k} spent its budget but claims success"
            n = p.starts[k].size
            r = _solve(p, k, method, dict(opts, max_nfev=200 * n))
            assert r.status > 0, f"{method}: {name}/{k} does not converge with twice the budget"
        out[(name, k)] = float(lre(r.x, p.certified).min())
    return out


@pytest.mark.parametrize("method", ["lm", "trf"])
@pytest.mark.parametrize("label, opts, each, mean", [
    ("default", {}, 4.0, 7.0),
    ("tight", TIGHT, 6.0, 8.5),
])
def test_nist_digits(method, label, opts, each, mean):
    s = _scores(method, opts)
    worst = min(s, key=s.get)
    # the bars of issue 2 (module docstring)
    assert s[worst] >= each, f"{method}/{label}: {worst} has LRE {s[worst]:.2f}"
    assert np.mean(list(s.values())) >= mean, \
        f"{method}/{label}: mean {np.mean(list(s.values())):.2f}"


def test_nist_problem_definitions_match_certified_rss():
    """The hand-transcribed models reproduce the certified residual sum of squares."""
    import re

    from nist_problems import NIST_DIR
    for name in NAMES:
        p = load(name)
        text = (NIST_DIR / f"{name}.dat").read_text()
        rss = float(re.search(r"Residual Sum of Squares:\s+(\S+)", text).group(1))
        r = p.residuals(p.certified)
        # certified values have 11 digits: the RSS at them agrees to ~1e-8 relative
        assert float(r @ r) == pytest.approx(rss, rel=1e-6), name
