"""``Minuit.interactive`` outside Jupyter: the Qt window (``minuit/_qtwidget.py``).

The window is built offscreen (QT_QPA_PLATFORM=offscreen, set before Qt starts) and driven
through its widgets, as a user clicks them; the oracle for every fit is the closed-form
minimum of a quadratic cost, and for the messages iminuit's own window.
"""

import os
import sys

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no screen in CI

from thetahat import Minuit  # noqa: E402
from thetahat.minuit import _qtwidget  # noqa: E402

mpl = pytest.importorskip("matplotlib")


def _cost(a, b):  # minimum at a = b = 2; with b held, at a = b
    return (a - b) ** 2 + (b - 2) ** 2


_cost.errordef = 1.0


def test_without_pyside6_the_message_names_it_as_iminuit(monkeypatch):
    import iminuit
    from iminuit.cost import LeastSquares

    c = LeastSquares([1.1, 2.2], [3.3, 4.4], 1, lambda x, a: a * x)
    for mod in ("PySide6", "PySide6.QtCore", "PySide6.QtWidgets"):
        monkeypatch.setitem(sys.modules, mod, None)  # import raises ModuleNotFoundError
    for m in (iminuit.Minuit(c, 1), Minuit(c, 1)):
        with pytest.raises(ImportError, match="Please install PySide6"):
            m.interactive()


def test_no_display_is_an_error_not_an_abort(monkeypatch):
    """Without a display Qt aborts the process; the window says why before that."""
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    with pytest.raises(RuntimeError, match="no display"):
        _qtwidget._new_application(object())


@pytest.fixture
def window():
    pytest.importorskip("PySide6.QtWidgets")
    mpl.use("Agg")  # the test's own figures; the window draws on its Qt canvas
    calls = []
    m = Minuit(_cost, a=1, b=1)
    w = _qtwidget.make_widget(m, lambda v: calls.append(list(v)), {}, True,
                              run_event_loop=False)
    yield m, w, calls
    w.close()
    w.deleteLater()


def test_window_fits_resets_and_switches_algorithm(window):
    m, w, calls = window
    from PySide6 import QtWidgets

    assert isinstance(w, QtWidgets.QWidget) and calls == [[1.0, 1.0]]  # drawn once
    assert [r.label.text() for r in w.parameters] == ["a", "b"]
    w.fit_button.click()
    np.testing.assert_allclose(np.array(m.values), [2, 2], atol=1e-5)  # MIGRAD's tolerance
    assert calls[-1] == list(m.values)  # redrawn at the minimum
    w.reset_button.click()
    assert list(m.values) == [1.0, 1.0] and calls[-1] == [1.0, 1.0]
    w.algo_choice.setCurrentText("Simplex")
    w.fit_button.click()
    # SIMPLEX stops early with the default 1 % start errors (iminuit's stops after 5
    # calls at (1, 1.01)); it ran, from the reset start, and went most of the way
    assert m.fmin.algorithm == "Simplex" and m.fval < 0.1 * _cost(1, 1)


def test_slider_moves_the_value_and_fit_box_fits_one_parameter(window):
    m, w, calls = window
    ra, rb = w.parameters
    lo, hi = ra.lo, ra.hi  # value +- 10 errors (no limits)
    assert lo < 1 < hi
    ra.slider.setValue(750)
    a = lo + (hi - lo) * 0.75
    assert m.values["a"] == pytest.approx(a, rel=1e-12) and calls[-1][0] == m.values["a"]
    assert ra.value_label.text() == f"{m.values['a']:.6g}"
    rb.slider.setValue(rb.to_step(1.5))
    b = m.values["b"]
    ra.fit.setChecked(True)  # fit a alone, b held: the minimum is a = b
    assert not ra.slider.isEnabled()
    assert m.values["a"] == pytest.approx(b, abs=1e-5) and m.values["b"] == b
    assert list(m.fixed) == [False, False]  # the held flags are restored
    rb.slider.setValue(rb.to_step(1.2))  # a change refits a while its box is ticked
    assert m.values["a"] == pytest.approx(m.values["b"], abs=1e-5)


def test_range_fix_and_plot_errors(window):
    m, w, calls = window
    ra, rb = w.parameters
    ra.tmin.setText("-2")
    ra.tmax.setText("3")
    ra.tmin.editingFinished.emit()
    assert m.limits["a"] == (-2.0, 3.0) and (ra.lo, ra.hi) == (-2.0, 3.0)
    ra.tmax.setText("not a number")
    ra.tmax.editingFinished.emit()
    assert m.limits["a"] == (-2.0, 3.0) and ra.tmax.text() == "3"  # shown as it was
    rb.fix.setChecked(True)
    assert m.fixed["b"]
    w.fit_button.click()
    assert m.values["a"] == pytest.approx(m.values["b"], abs=1e-5)  # b fixed at 1


def test_plot_exception_is_shown_unless_asked_to_raise():
    pytest.importorskip("PySide6.QtWidgets")
    mpl.use("Agg")
    m = Minuit(_cost, a=1, b=1)

    def bad(values):
        raise ValueError("cannot draw")

    w = _qtwidget.make_widget(m, bad, {}, False, run_event_loop=False)
    texts = [t.get_text() for t in w.fig.axes[0].texts]
    assert texts == ["ValueError: cannot draw"]
    w.close()
    with pytest.raises(ValueError, match="cannot draw"):
        _qtwidget.make_widget(m, bad, {}, True, run_event_loop=False)
