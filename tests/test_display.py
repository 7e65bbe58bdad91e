"""Text and HTML display (issue 5): PDG rounding by hand, tables of real fits.

The rounding oracle is the PDG rule applied by hand in the comments; the tables are
checked for the numbers and words a reader needs, on thetahat's and iminuit's own result
objects (the functions are duck-typed on iminuit's field names).
"""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pytest
from iminuit import Minuit as IMinuit

from thetahat import Minuit
from thetahat.cost import LeastSquares
from thetahat.display import (
    fmin_html,
    fmin_text,
    matrix_text,
    merrors_text,
    minuit_html,
    params_text,
    pdg_format,
)


@pytest.mark.parametrize("args, expected", [
    # error 0.0123: leading digits 123 in 100-354 -> two digits 0.012; value to 1e-3
    ((2.3456, 0.0123), ("2.346", "0.012")),
    # 0.181 -> 181 -> two digits 0.18; the smaller of two errors sets the place
    ((125.136, 0.181, 0.184), ("125.14", "0.18", "0.18")),
    # 0.0456 -> 456 in 355-949 -> one digit 0.05; value to 1e-2
    ((1.23456, 0.0456), ("1.23", "0.05")),
    # 0.0097 -> 970 in 950-999 -> rounded up to 0.010, two digits
    ((0.5, 0.0097), ("0.500", "0.010")),
    # 96 -> 960 -> 100 with two digits: the value to the tens
    ((1234.5, 96.0), ("1230", "100")),
])
def test_pdg_format(args, expected):
    assert pdg_format(*args) == expected


@pytest.fixture(scope="module")
def fits():
    x = np.linspace(0, 1, 11)
    y = 2 * x + 1 + np.random.default_rng(1).normal(0, 0.1, 11)
    c = LeastSquares(x, y, 0.1, lambda x, a, b: a + b * x)
    out = []
    for M in (Minuit, IMinuit):
        m = M(c, a=0, b=0)
        m.limits["a"] = (0, None)
        m.migrad()
        m.minos()
        out.append(m)
    return out


def test_text_of_a_valid_fit(fits):
    for m in fits:  # thetahat's objects and iminuit's render the same way
        t = fmin_text(m.fmin)
        assert "Valid Minimum" in t and "Below call limit" in t and "FCN = 3.98" in t
        assert "χ²/ndof = 0.44" in t  # 3.98 / 9
        p = params_text(m.params)
        assert "Hesse Error" in p and "Minos Error-" in p
        assert "│ a    │ 1.03  │    0.06" in p  # PDG: 0.056 -> one digit
        e = merrors_text(m.merrors)
        assert "-0.06" in e and "At Limit" in e
        c = matrix_text(m.covariance)
        assert "(-0.845)" in c  # correlation of intercept and slope
        assert c.count("(-0.845)") == 1  # each coefficient once: below the diagonal only


def _error_cells(text: str) -> dict[str, str]:
    """Parameter name -> its Hesse Error cell, read from the rows of a text table."""
    out = {}
    for line in text.splitlines():
        cells = line.split("│")
        if len(cells) == 11 and cells[1].strip().isdigit():
            out[cells[2].strip()] = cells[4].strip()
    return out


def test_text_leaves_the_errors_of_a_failed_hesse_blank():
    def f(x, y):  # y is a flat direction: HESSE fails
        return (x - 1) ** 2 + 0 * y
    f.errordef = 1
    m = Minuit(f, x=0, y=0)
    m.migrad()
    assert m.fmin.hesse_failed
    steps = {n: pdg_format(m.values[n], m.errors[n])[1] for n in m.parameters}
    assert all(float(s) > 0 for s in steps.values())  # there are step sizes to hide
    # without the FMin the table cannot know: the numbers are shown (as before)
    assert _error_cells(params_text(m.params)) == steps
    for text in (str(m), params_text(m.params, m.fmin)):
        assert _error_cells(text) == {"x": "", "y": ""}  # no step size in the rows
        assert "HESSE failed" in text and "not standard deviations" in text
    assert "Hesse FAILED" in str(m)  # the FMin block still says so
    m.fixed["y"] = True
    m.migrad()  # a sound fit: the errors are printed
    assert not m.fmin.hesse_failed
    assert _error_cells(str(m))["x"] == pdg_format(m.values["x"], m.errors["x"])[1]
    assert "HESSE failed" not in str(m)


def test_invalid_fit_is_red():
    m = Minuit(lambda x: 0.0, x=1)
    m.errordef = 1
    m.migrad()
    assert "INVALID Minimum" in fmin_text(m.fmin)
    h = fmin_html(m.fmin)
    assert "#FF7878" in h and "INVALID Minimum" in h


def test_html_is_well_formed(fits):
    class P(HTMLParser):
        def __init__(self):
            super().__init__()
            self.stack = []

        def handle_starttag(self, tag, attrs):
            if tag not in ("br",):
                self.stack.append(tag)

        def handle_endtag(self, tag):
            assert self.stack and self.stack.pop() == tag

    p = P()
    p.feed(minuit_html(fits[0]))
    assert p.stack == []


def test_str_and_repr_html_of_results(fits):
    m = fits[0]
    assert str(m).startswith("┌") and "Migrad" in str(m)
    assert "<table" in m._repr_html_() and "<table" in m.params._repr_html_()
    assert "Name" in str(m.init_params)


# --- golden files: fixed synthetic results, rendered once, checked by eye, then frozen -----
GOLDEN = __import__("pathlib").Path(__file__).parent / "golden"


def synthetic():
    from thetahat.results import FMin, Matrix, MError, MErrors, Param, Params
    fm = FMin(algorithm="Migrad", edm=1.2345e-5, edm_goal=2e-4, errordef=1.0, fval=48.5612,
              nfcn=21, ngrad=0, has_accurate_covar=True, has_covariance=True,
              has_made_posdef_covar=False, has_parameters_at_limit=True, has_posdef_covar=True,
              has_reached_call_limit=False, has_valid_parameters=True, hesse_failed=False,
              is_above_max_edm=False, is_valid=True, reduced_chi2=48.5612 / 45, time=0.0)
    ps = Params([Param(0, "mu", 125.136, 0.1822, (-0.181, 0.184), False, False, 110.0, 160.0),
                 Param(1, "sigma", 1.5765, 0.19, None, False, False, 0.0, None),
                 Param(2, "n", 574.68, 62.3, None, False, True, None, None)])
    me = MErrors(mu=MError(0, "mu", -0.181, 0.184, True, True, True, False, False, False, False,
                           False, False, 12, 125.136))
    cov = Matrix([[0.0332, 0.00238, 0.0], [0.00238, 0.0361, 0.0], [0.0, 0.0, 0.0]],
                 ["mu", "sigma", "n"])
    return fm, ps, me, cov


@pytest.mark.parametrize("fn, name", [("fmin_text", "fmin.txt"), ("params_text", "params.txt"),
                                      ("merrors_text", "merrors.txt"),
                                      ("matrix_text", "matrix.txt"),
                                      ("params_html", "params.html")])
def test_golden(fn, name):
    import thetahat.display as d
    fm, ps, me, cov = synthetic()
    arg = {"fmin_text": fm, "params_text": ps, "merrors_text": me, "matrix_text": cov,
           "params_html": ps}[fn]
    assert getattr(d, fn)(arg) + "\n" == (GOLDEN / name).read_text(encoding="utf-8")
