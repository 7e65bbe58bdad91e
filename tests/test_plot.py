"""Drawings of profiles and contours: files written, labels, curve counts, return values.

matplotlib draws with the Agg backend (``MPLBACKEND`` set in conftest).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib import pyplot as plt
from matplotlib.contour import ContourSet

from thetahat import plot
from thetahat._core.cl import factor_2d


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _ellipse(cl, n=50):
    t = np.linspace(0, 2 * np.pi, n + 1)
    r = math.sqrt(factor_2d(cl))
    return np.c_[1 + 0.1 * r * np.cos(t), 2 + 0.05 * r * np.sin(t)]


def _saved(tmp_path, name):
    p = tmp_path / name
    plt.savefig(p)
    assert p.stat().st_size > 1000 and p.read_bytes()[:4] == b"\x89PNG"
    return p


def test_draw_profile_band_and_title(tmp_path):
    x = np.linspace(-1, 1, 21)
    rx, ry = plot.draw_profile(x, x**2, name="a", band=(0.0, -0.5, 0.6))
    assert np.array_equal(rx, x) and np.array_equal(ry, x**2)
    ax = plt.gca()
    assert ax.get_xlabel() == "a" and ax.get_ylabel() == "FCN"
    assert ax.get_title() == "a = 0 - 0.5 + 0.6"
    assert len(ax.lines) == 2  # the curve and the dashed best-value line
    assert len(ax.patches) == 1  # the interval band
    _saved(tmp_path, "profile.png")


def test_draw_mnprofile_without_band(tmp_path):
    x = np.linspace(0, 1, 5)
    plot.draw_mnprofile(x, x, name="b", band=None)
    ax = plt.gca()
    assert ax.get_xlabel() == "b" and len(ax.lines) == 1 and not ax.patches
    assert ax.get_title() == ""
    _saved(tmp_path, "mnprofile.png")


def test_draw_profile_bad_shapes():
    with pytest.raises(ValueError, match="x and y"):
        plot.draw_profile([0, 1], [0, 1, 2], name="a")


def test_draw_contour_levels(tmp_path):
    x = np.linspace(-2, 2, 30)
    y = np.linspace(-1, 1, 20)
    F = x[:, None] ** 2 + 4 * y[None, :] ** 2
    cs = plot.draw_contour(x, y, F, xname="x", yname="y", levels=[1, 4, 9], center=(0, 0))
    assert list(cs.levels) == [1, 4, 9]
    ax = plt.gca()
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "y")
    _saved(tmp_path, "contour.png")
    with pytest.raises(ValueError, match="F must have shape"):
        plot.draw_contour(x, y, F.T, xname="x", yname="y")


def test_draw_mncontour_one_level_per_cl(tmp_path):
    curves = {c: _ellipse(c) for c in (1, 2, 3)}
    cs = plot.draw_mncontour(curves, xname="m", yname="c")
    assert isinstance(cs, ContourSet)
    assert list(cs.levels) == [1, 2, 3]
    ax = plt.gca()
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("m", "c")
    # every curve fits inside the axes
    lo = np.min([p.min(axis=0) for p in curves.values()], axis=0)
    hi = np.max([p.max(axis=0) for p in curves.values()], axis=0)
    assert ax.get_xlim()[0] < lo[0] and ax.get_xlim()[1] > hi[0]
    assert ax.get_ylim()[0] < lo[1] and ax.get_ylim()[1] > hi[1]
    _saved(tmp_path, "mncontour.png")


def test_draw_mncontour_bad_input():
    with pytest.raises(ValueError, match="empty"):
        plot.draw_mncontour({}, xname="a", yname="b")
    with pytest.raises(ValueError, match="cl=0.9"):
        plot.draw_mncontour({0.9: np.zeros((5, 3))}, xname="a", yname="b")


def test_draw_mnmatrix_layout(tmp_path):
    names = ["m", "c", "k"]
    vals = {"m": 1.0, "c": 2.0, "k": 0.0}
    xs = np.linspace(-1, 1, 11)
    profiles = {n: (vals[n] + xs, 10 + xs**2) for n in names}
    contours = {(a, b): {None: _ellipse(None), 0.9: _ellipse(0.9)}
                for i, a in enumerate(names) for b in names[i + 1:]}
    fig, ax = plot.draw_mnmatrix(profiles, contours, names=names, values=vals, fval=10.0,
                                 errordef=1.0)
    assert ax.shape == (3, 3)
    for i in range(3):
        for j in range(3):
            assert ax[i, j].get_visible() == (j <= i)
    # seed 001 layout: x labels on the bottom row, y labels on the left column below row 0
    assert [a.get_xlabel() for a in ax[2]] == names
    assert [ax[i, 0].get_ylabel() for i in range(3)] == ["", "c", "k"]
    assert len(ax[1, 0].lines) == 3  # two contours and the best-value marker
    assert len(ax[0, 0].lines) == 1 + 2 + 1  # profile, two cl lines, best value
    # a column shares its parameter's range; a row (left of the diagonal) too
    for k in range(3):
        assert all(ax[i, k].get_xlim() == ax[k, k].get_xlim() for i in range(k, 3))
        assert all(ax[k, j].get_ylim() == ax[k, 0].get_ylim() for j in range(k))
    fig.savefig(tmp_path / "mnmatrix.png")
    assert (tmp_path / "mnmatrix.png").stat().st_size > 1000


# the seed's notebook cells, through the Minuit facade --------------------------------
@pytest.fixture
def mline():
    from thetahat import Minuit
    from thetahat.cost import LeastSquares

    x = np.linspace(0, 1, 11)
    y = 1.0 * x + 2.0 + np.random.default_rng(0).normal(0, 0.1, 11)
    m = Minuit(LeastSquares(x, y, 0.1, lambda x, m, c: m * x + c), m=5, c=5)
    m.migrad()
    m.hesse()
    return m


def test_seed_draw_mnmatrix(mline, tmp_path):
    fig, ax = mline.draw_mnmatrix()
    assert ax.shape == (2, 2)
    assert (ax[1, 0].get_xlabel(), ax[1, 0].get_ylabel()) == ("m", "c")
    assert ax[1, 1].get_xlabel() == "c" and not ax[0, 1].get_visible()
    fig.savefig(tmp_path / "seed_mnmatrix.png")


def test_seed_draw_mncontour(mline, tmp_path):
    cs = mline.draw_mncontour("m", "c", cl=(1, 2, 3))
    assert isinstance(cs, ContourSet) and len(cs.levels) == 3
    _saved(tmp_path, "seed_mncontour.png")


def test_seed_draw_profile(mline, tmp_path):
    x, y = mline.draw_profile("m")
    assert len(x) == 100 and plt.gca().get_xlabel() == "m"
    # cut through the chi2 at c fixed: minimum on the grid's middle
    assert y.argmin() in (49, 50)
    _saved(tmp_path, "seed_profile.png")


def test_seed_mnprofile_and_mncontour_for_own_plots(mline):
    m_h, Lm_h, ok = mline.mnprofile("m")
    assert len(m_h) == 30 and ok.all()
    for cl in (0.683, 0.9, 0.95):
        pts = mline.mncontour("m", "c", cl=cl, size=100)
        assert pts.shape == (101, 2)


def test_interactive_without_ipywidgets_message_as_iminuit(monkeypatch):
    ipython = pytest.importorskip("IPython")
    import sys

    import iminuit
    from iminuit.cost import LeastSquares

    from thetahat import Minuit

    class _KernelShell:  # a Jupyter kernel's shell, so iminuit takes its ipywidgets path
        def has_trait(self, name):
            return name == "kernel"

    monkeypatch.setattr(ipython, "get_ipython", lambda: _KernelShell())
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import raises ModuleNotFound
    c = LeastSquares([1.1, 2.2], [3.3, 4.4], 1, lambda x, a: a * x)
    for m in (iminuit.Minuit(c, 1), Minuit(c, 1)):
        with pytest.raises(ModuleNotFoundError, match="Please install ipywidgets"):
            m.interactive()


def test_html_view_has_the_visualize_drawing_as_iminuit():
    import iminuit
    from iminuit.cost import LeastSquares

    from thetahat import Minuit

    c = LeastSquares([1.0, 2.0], [3.0, 4.0], 1.0, lambda x, a: a * x)
    for make in (iminuit.Minuit, Minuit):
        m = make(c, 1)
        assert "<svg" not in m._repr_html_()  # no drawing before a fit
        assert "<svg" in m.migrad()._repr_html_()
