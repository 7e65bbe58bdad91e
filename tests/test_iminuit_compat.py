"""Regressions from running iminuit 2.33's own test suite against thetahat (issue 14), each
with iminuit as the oracle on the same inputs: confidence levels without scipy, the
progress bar in a Jupyter kernel, the interactive panel's output, the widget modules,
``Param``'s repr and costs of long double models."""

from __future__ import annotations

import base64
import contextlib
import math
import subprocess
import sys
from importlib.abc import MetaPathFinder

import numpy as np
import pytest

from thetahat import Minuit, cost, util
from thetahat._core.cl import erfinv, factor_1d, factor_2d

iminuit = pytest.importorskip("iminuit")
pytest.importorskip("iminuit.cost")  # binds iminuit.cost and iminuit.util as attributes
pytest.importorskip("iminuit.util")


class _Hidden(MetaPathFinder):
    def __init__(self, name: str) -> None:
        self.name = name

    def find_spec(self, fullname, path, target=None):
        if fullname == self.name or fullname.startswith(self.name + "."):
            raise ModuleNotFoundError(f"{fullname!r} is hidden", name=fullname)


@contextlib.contextmanager
def hidden(name: str):
    """``import name`` (and its submodules) fails inside the block; restored after."""
    saved = {k: sys.modules.pop(k) for k in list(sys.modules)
             if k == name or k.startswith(name + ".")}
    finder = _Hidden(name)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        sys.modules.update(saved)


# --- confidence levels without scipy ---------------------------------------------------
def test_erfinv_matches_scipy():
    special = pytest.importorskip("scipy.special")
    p = np.concatenate([np.linspace(0.0, 0.999, 1001), 1.0 - np.logspace(-15, -3, 60)])
    ours = np.array([erfinv(float(v)) for v in p])
    np.testing.assert_allclose(ours, special.erfinv(p), rtol=2e-15)  # Newton to the last bits
    with pytest.raises(ValueError, match="p=1.0"):
        erfinv(1.0)


def quad(x, y):
    return x**2 + y**2


@pytest.mark.parametrize("cl", [0.1, 0.68, 0.9, 0.95, 1, 2, 3])
def test_minos_and_contour_cl_without_scipy(cl):
    with hidden("scipy"):  # the quantiles need only the standard library
        q1, q2 = factor_1d(cl), factor_2d(cl)
    mi = iminuit.Minuit(quad, 1, 1)  # iminuit with scipy: the reference for every cl
    mi.migrad()
    mi.minos(cl=cl)
    ci = mi.mncontour("x", "y", cl=cl, size=20)
    mt = Minuit(quad, 1, 1)
    mt.migrad()
    mt.minos(cl=cl)
    ct = mt.mncontour("x", "y", cl=cl, size=20)
    for p in "xy":
        # MINOS's tolerance: both stop within 1e-3 errordef units of the crossing
        np.testing.assert_allclose(mt.merrors[p].upper, mi.merrors[p].upper, rtol=1e-3)
        np.testing.assert_allclose(mt.merrors[p].lower, mi.merrors[p].lower, rtol=1e-3)
        np.testing.assert_allclose(mt.merrors[p].upper, math.sqrt(q1), rtol=1e-3)  # same
    # the contour of x² + y² is the circle of radius sqrt(q2), up to MINOS's tolerance
    np.testing.assert_allclose(np.hypot(*ct.T), math.sqrt(q2), rtol=2e-3)
    np.testing.assert_allclose(np.hypot(*ci.T), math.sqrt(q2), rtol=2e-3)


# --- ProgressBar in a Jupyter kernel ---------------------------------------------------
def _kernel_output(monkeypatch, capsys, bar_class) -> str:
    m_iostream = pytest.importorskip("ipykernel.iostream")
    m_display = pytest.importorskip("IPython.display")
    real = sys.stdout

    class OutStream:  # a kernel's stdout
        def write(self, s):
            real.write(s)

        def flush(self):
            real.flush()

    def display(obj, **kwargs):
        real.write(obj._repr_html_() or "")

    monkeypatch.setattr(m_iostream, "OutStream", OutStream)
    monkeypatch.setattr(m_display, "display", display)
    monkeypatch.setattr(sys, "stdout", OutStream())
    with bar_class(max_value=4) as bar:
        for _ in range(4):
            bar += 1
    monkeypatch.setattr(sys, "stdout", real)
    return capsys.readouterr().out


def test_progressbar_html_as_iminuit(monkeypatch, capsys):
    ours = _kernel_output(monkeypatch, capsys, util.ProgressBar)
    theirs = _kernel_output(monkeypatch, capsys, iminuit.util.ProgressBar)
    assert ours == theirs
    assert ours.count("<progress") == 5  # 0, 25, 50, 75, 100 %


def test_progressbar_terminal_as_iminuit(capsys):
    for cls in (util.ProgressBar, iminuit.util.ProgressBar):
        with cls(max_value=3) as bar:
            bar += 2
    ours, theirs = capsys.readouterr().out.split("\r     ")[:2]
    assert ours == theirs == "\r0 %\r67 %"


# --- the interactive panel draws without IPython.display -------------------------------
def test_interactive_panel_output_is_png(monkeypatch):
    widgets = pytest.importorskip("ipywidgets")
    ipython = pytest.importorskip("IPython")
    m_display = pytest.importorskip("IPython.display")
    plt = pytest.importorskip("matplotlib.pyplot")
    plt.switch_backend("Agg")  # before the fake shell: pyplot would hook into it

    class _KernelShell:
        def has_trait(self, name):
            return name == "kernel"

    def broken_display(*args, **kwargs):  # a leftover mock (iminuit's test_util leaves one)
        raise AssertionError("display must not be needed")

    monkeypatch.setattr(ipython, "get_ipython", lambda: _KernelShell())
    monkeypatch.setattr(m_display, "display", broken_display)
    c = cost.LeastSquares([1.1, 2.2], [3.3, 4.4], 1, lambda x, a: a * x)
    panel = Minuit(c, 1).interactive()
    assert isinstance(panel, widgets.HBox)
    (out_data,) = panel.children[0].outputs
    png = base64.b64decode(out_data["data"]["image/png"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # width and height in the PNG header: matplotlib's default figure, 6.4 x 4.8 in at 100 dpi
    assert int.from_bytes(png[16:20], "big") == 640
    assert int.from_bytes(png[20:24], "big") == 480


# --- the widget modules ----------------------------------------------------------------
def test_widget_modules_import_as_iminuits():
    code = ("import sys, {0}.qtwidget, {0}.ipywidget; "
            "print(callable({0}.qtwidget.make_widget), 'PySide6' in sys.modules)")
    outs = [subprocess.run([sys.executable, "-c", code.format(pkg)], capture_output=True,
                           text=True) for pkg in ("thetahat", "iminuit")]
    if outs[1].returncode != 0:
        pytest.skip("iminuit's widget modules need ipywidgets and matplotlib here")
    assert outs[0].returncode == 0, outs[0].stderr
    # importing the Qt module must not import PySide6 (matplotlib's Qt binding search)
    assert outs[0].stdout.split() == ["True", "False"]


# --- Param's repr ----------------------------------------------------------------------
def test_param_repr_as_iminuit():
    args = (3, "foo", 1.2, 3.4, None, False, False, 42, None)
    assert repr(util.Param(*args)) == repr(iminuit.util.Param(*args))
    at = util.Param(*args, at_lower_limit=True)  # thetahat's flag shows when it is set
    assert repr(at).endswith("upper_limit=None, at_lower_limit=True)")


# --- long double models ----------------------------------------------------------------
def _model(x, a):
    return a + np.asarray(x).astype(np.longdouble)


def _costs(mod):
    return (
        mod.UnbinnedNLL([1], _model),
        mod.ExtendedUnbinnedNLL([1], lambda x, a: (1, _model(x, a))),
        mod.BinnedNLL([1], [1, 2], _model),
        mod.ExtendedBinnedNLL([[1, 1]], [1, 2], _model),
        mod.LeastSquares([1.0], [2.0], [3.0], _model),
        mod.LeastSquares([1.0], [2.0], [3.0], _model, loss="soft_l1"),
    )


@pytest.mark.skipif(np.finfo(np.longdouble).eps >= np.finfo(float).eps,
                    reason="long double is float64 on this platform")
def test_long_double_model_keeps_precision():
    for ours, theirs in zip(_costs(cost), _costs(iminuit.cost)):
        a = np.longdouble(1) / 3  # a value float64 cannot hold exactly
        v, w = ours(a), theirs(a)
        assert v.dtype == np.longdouble == w.dtype
        # the same formulas in long double: equal up to a few long double roundings
        assert abs(v - w) <= 8 * np.finfo(np.longdouble).eps * max(abs(w), 1)
        m = Minuit(ours, a=0.5)
        m.migrad()
        assert math.isfinite(m.fval)
