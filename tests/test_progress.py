"""progress= on the long Minuit methods: profiles, contours, scans, draw_mnmatrix.

Oracles: the number of points, in closed form (a profile of ``size`` points calls the cost
``size`` times; a ``(nx, ny)`` grid ``nx * ny`` times; a MINOS profile refits once per
point; a MINOS contour has ``size`` points; SCAN evaluates its start and ``npoint ** n``
grid points with ``npoint = max(2, int(ncall ** (1 / n)))``; draw_mnmatrix draws ``n``
profiles and ``n (n - 1) / 2`` contours per confidence level of ``size`` points each), and
the same call without progress (reporting must not change a bit, nor the call count).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from thetahat import Minuit
from thetahat._core import progress as core
from thetahat.cost import LeastSquares


def _quadratic(rho=0.9):
    """A correlated quadratic cost (errordef 1) at its minimum (1, 2)."""
    def f(a, b):
        return ((a - 1) ** 2 + (b - 2) ** 2 / 4 - rho * (a - 1) * (b - 2)) / (1 - rho**2)
    m = Minuit(f, a=0, b=0)
    m.errordef = 1
    m.migrad()
    return m


def _line_fit(rng):
    """A least-squares line fit: a structured cost (Gauss-Newton refits, not the lean
    path)."""
    x = np.linspace(0, 1, 20)
    y = 1 + 2 * x + rng.normal(0, 0.1, x.size)
    m = Minuit(LeastSquares(x, y, 0.1, lambda x, a, b: a + b * x), a=0, b=0)
    m.migrad()
    return m


def _steps(total):
    return [(k, total) for k in range(1, total + 1)]


def _same(r1, r0):
    for a, b in zip(r1 if isinstance(r1, tuple) else (r1,), r0 if isinstance(r0, tuple)
                    else (r0,)):
        np.testing.assert_array_equal(a, b)


CASES = [  # method, arguments, keywords, the closed-form number of points
    ("profile", ("a",), dict(size=7), 7),
    ("profile", ("b",), dict(grid=[1.0, 1.5, 2.0, 3.0]), 4),
    ("contour", ("a", "b"), dict(size=(3, 4)), 12),
    ("mnprofile", ("b",), dict(size=6, subtract_min=True), 6),
    ("mncontour", ("a", "b"), dict(size=12), 12),
    ("mncontour", ("b", "a"), dict(size=9, cl=0.9), 9),
]


@pytest.mark.parametrize(("method", "args", "kw", "total"), CASES)
@pytest.mark.parametrize("rho", [0.0, 0.999])  # 0.999: adjacent contour rays nearly parallel
def test_callback_counts_every_point_and_changes_nothing(method, args, kw, total, rho):
    m = _quadratic(rho)
    seen = []
    n0 = m.nfcn
    r1 = getattr(m, method)(*args, **kw, progress=lambda d, t: seen.append((d, t)))
    calls_with = m.nfcn - n0
    r0 = getattr(m, method)(*args, **kw, progress=False)
    assert seen == _steps(total)  # once per point, in order, ending at the total
    _same(r1, r0)
    assert m.nfcn - n0 == 2 * calls_with  # the same cost calls counted both times


@pytest.mark.parametrize(("method", "args", "kw", "total"),
                         [("mnprofile", ("a",), dict(size=5), 5),
                          ("mncontour", ("a", "b"), dict(size=8), 8)])
def test_structured_cost_refits_are_counted(method, args, kw, total, rng):
    m = _line_fit(rng)
    seen = []
    r1 = getattr(m, method)(*args, **kw, progress=lambda d, t: seen.append((d, t)))
    r0 = getattr(m, method)(*args, **kw)
    assert seen == _steps(total)
    _same(r1, r0)


def test_scan_counts_its_grid():
    def scanned(**kw):
        m = Minuit(lambda a, b: (a - 1) ** 2 + (b - 2) ** 2, a=0, b=0)
        m.errordef = 1
        m.limits = [(-3, 3), (-3, 3)]
        return m.scan(ncall=30, **kw).values[:]

    seen = []
    v1 = scanned(progress=lambda d, t: seen.append((d, t)))
    assert seen == _steps(1 + 5 ** 2)  # 5 = int(30 ** (1 / 2)) points per axis
    # the grid point nearest (1, 2) on linspace(-3, 3, 5) = (-3, -1.5, 0, 1.5, 3)
    assert v1 == scanned() == [1.5, 1.5]


def test_draw_mnmatrix_counts_profiles_and_contours():
    pytest.importorskip("matplotlib")
    from matplotlib import pyplot as plt
    m = _quadratic()
    seen = []
    fig, ax = m.draw_mnmatrix(size=5, cl=[0.68, 0.9],
                              progress=lambda d, t: seen.append((d, t)))
    total = 5 * (2 + 1 * 2)  # two profiles, one pair of parameters at two levels
    assert seen == _steps(total) and ax.shape == (2, 2)
    def drawn(ax):
        return [line.get_xydata() for panel in ax.flat for line in panel.get_lines()]

    lines = drawn(ax)
    plt.close(fig)
    fig, ax = m.draw_mnmatrix(size=5, cl=[0.68, 0.9], progress=False)
    again = drawn(ax)
    assert len(lines) == len(again) > 0
    for a, b in zip(lines, again):
        np.testing.assert_array_equal(a, b)  # the same drawing
    plt.close(fig)


def test_quiet_by_default_and_when_false(capsys):
    m = _quadratic()
    m.profile("a", size=5)  # None outside a notebook: quiet
    m.mncontour("a", "b", size=6, progress=False)
    assert capsys.readouterr() == ("", "")


def test_true_draws_a_tqdm_bar(capsys):
    pytest.importorskip("tqdm")
    _quadratic().profile("a", size=5, progress=True)
    out, err = capsys.readouterr()
    assert out == "" and "5/5" in err  # tqdm writes its bar to stderr, ending at the total


def test_none_draws_a_bar_in_a_notebook(monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(core, "is_jupyter", lambda: True)
    assert core.check_progress(None) is True
    monkeypatch.setitem(sys.modules, "tqdm", None)  # a notebook without tqdm: quiet
    assert core.check_progress(None) is False


@pytest.mark.parametrize("call", [
    lambda m, p: m.profile("a", progress=p),
    lambda m, p: m.mnprofile("a", progress=p),
    lambda m, p: m.contour("a", "b", progress=p),
    lambda m, p: m.mncontour("a", "b", progress=p),
    lambda m, p: m.scan(progress=p),
    lambda m, p: m.draw_mnmatrix(progress=p),
])
def test_bad_value_and_missing_tqdm(call, monkeypatch):
    m = _quadratic()
    with pytest.raises(TypeError, match=r"progress must be True, False or a callable.*'yes'"):
        call(m, "yes")
    with pytest.raises(TypeError, match=r"progress must .*got 1"):
        call(m, 1)  # an int is not a bool
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if tqdm were not installed
    with pytest.raises(ImportError, match=r"progress=True .*pip install thetahat\[progress\]"):
        call(m, True)


def test_reporter_caps_at_the_total_and_closes_its_bar():
    pytest.importorskip("tqdm")
    seen = []
    with core.reporter(lambda d, t: seen.append(d), 3) as r:
        r.advance(2)
        r.advance(5)  # past the total: capped
        r.finish()  # nothing left
    assert seen == [2, 3] and r.done == 3
    with core.reporter(True, 2) as r:
        bar = r._bar
    assert bar is not None and r._bar is None and bar.n == 0  # closed on leaving


def test_batch_default_is_the_minuit_methods_default(monkeypatch):
    # batch.fit / batch.curve_fit default to None like the Minuit methods: quiet in a
    # script, a bar in a notebook; the resolved value is what check_progress returns
    from thetahat import batch

    seen = []
    real = core.Reporter

    def spy(progress, *a, **k):
        seen.append(progress)
        return real(progress, *a, **k)

    monkeypatch.setattr("thetahat.batch._progress.Reporter", spy)
    x = np.linspace(-1, 1, 9)
    y = np.vstack([2 * x + 1, -x + 0.5])
    r = batch.curve_fit(lambda x, a, b: a * x + b, x, y, p0=[1, 0])
    np.testing.assert_allclose(r.popt, [[2, 1], [-1, 0.5]], atol=1e-8)  # exact lines
    assert seen[0] is False  # None resolved outside a notebook: quiet
    pytest.importorskip("tqdm")
    monkeypatch.setattr(core, "is_jupyter", lambda: True)
    batch.curve_fit(lambda x, a, b: a * x + b, x, y, p0=[1, 0])
    assert seen[1] is True  # the same default in a notebook: a bar
