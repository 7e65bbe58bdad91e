"""``Minuit.interactive`` outside Jupyter: the same panel as a Qt window (PySide6).

In a script or a terminal IPython there is no notebook to show an ipywidgets panel in, so
:meth:`Minuit.interactive` opens a window instead, as iminuit does. Its parts are those of
the notebook panel (:mod:`._interactive`), with the same behaviour:

- the figure drawn by ``plot(values, **kwargs)`` (the cost's ``visualize`` by default),
  redrawn after every change, on a matplotlib ``FigureCanvasQTAgg``;
- a button row: *Fit* (Migrad, Scipy or Simplex from the algorithm box), *Continuous*
  (redraw while a slider is dragged, or only when it is released), *Reset*;
- one row per parameter: its name, the lower end of the slider range, the slider
  (1,000 steps between the ends), the upper end, the current value, a *Fix* box and a
  *Fit* box that fits the parameters whose box is ticked, the others held, after every
  change. Typing a range end also sets the parameter's limit.

The window runs Qt's event loop until it is closed (``run_event_loop=True``, the default);
tests build it with ``run_event_loop=False`` and drive the widgets directly. PySide6 and
matplotlib are imported when the window is built; without PySide6 the error says how to
install it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from ._interactive import ALGORITHMS, draw_values, fit_selected, slider_range

__all__ = ["make_widget"]

_STEPS = 1000  # slider resolution between the two range ends


def _require_pyside6() -> Any:
    try:
        from PySide6 import QtCore, QtWidgets
    except ImportError as e:  # ModuleNotFoundError, or a broken Qt install
        raise ModuleNotFoundError(
            "Minuit.interactive outside Jupyter opens a Qt window. Please install PySide6: "
            "pip install PySide6 (in a Jupyter notebook, ipywidgets is used instead)") from e
    return QtCore, QtWidgets


def _canvas_class() -> Any:
    try:
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
    except ImportError as e:  # matplotlib found no Qt binding it can use
        raise ModuleNotFoundError(
            "Minuit.interactive outside Jupyter draws with matplotlib's Qt backend, which "
            "found no Qt binding. Please install PySide6: pip install PySide6") from e
    return FigureCanvasQTAgg


def _new_application(QtWidgets: Any) -> Any:
    """Qt's application object, after checking that a window can be shown: without a
    display Qt aborts the whole process, so say so first (Linux and other X11/Wayland
    systems; Windows and macOS always have one)."""
    if (sys.platform.startswith(("linux", "freebsd")) and not os.environ.get("DISPLAY")
            and not os.environ.get("WAYLAND_DISPLAY")
            and not os.environ.get("QT_QPA_PLATFORM")):
        raise RuntimeError("Minuit.interactive opens a window, but there is no display "
                           "(neither DISPLAY nor WAYLAND_DISPLAY is set): use it in a "
                           "Jupyter notebook, or set QT_QPA_PLATFORM=offscreen to build "
                           "the window without showing it")
    return QtWidgets.QApplication([])


def make_widget(m: Any, plot: Callable, kwargs: dict, raise_on_exception: bool,
                run_event_loop: bool = True) -> Any:
    """The window for Minuit ``m`` (module docstring).

    Parameters
    ----------
    m : Minuit
        The fit to explore; the window changes its values, fixed flags and limits.
    plot : callable
        ``plot(values, **kwargs)`` draws into the current matplotlib axes.
    kwargs : dict
        Extra keywords for ``plot``.
    raise_on_exception : bool
        Re-raise an exception of ``plot`` or of a fit (default: show it in the figure).
    run_event_loop : bool
        Show the window and run Qt's event loop until it is closed (default). False:
        return the widget without showing it (tests, or an application that runs its own
        loop).

    Returns
    -------
    PySide6.QtWidgets.QWidget
        The window; attributes ``fit_button``, ``update_button``, ``reset_button``,
        ``algo_choice`` and ``parameters`` (one row per parameter with ``slider``,
        ``tmin``, ``tmax``, ``value_label``, ``fix`` and ``fit``).
    """
    QtCore, QtWidgets = _require_pyside6()
    canvas_class = _canvas_class()
    import matplotlib.pyplot as plt

    app = QtWidgets.QApplication.instance() or _new_application(QtWidgets)

    class Row(QtWidgets.QWidget):  # type: ignore[name-defined]  # Qt imported at run time
        """One parameter: name, range ends, slider, value, Fix and Fit boxes."""

        def __init__(self, panel: Any, i: int, name: str) -> None:
            super().__init__()
            self.panel, self.i = panel, i
            self.busy = False
            layout = QtWidgets.QHBoxLayout(self)
            layout.setContentsMargins(0, 0, 0, 0)
            self.label = QtWidgets.QLabel(name)
            self.label.setMinimumWidth(60)
            self.tmin = QtWidgets.QLineEdit()
            self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
            self.slider.setRange(0, _STEPS)
            self.slider.setMinimumWidth(150)
            self.tmax = QtWidgets.QLineEdit()
            for edit in (self.tmin, self.tmax):
                edit.setMaximumWidth(90)
            self.value_label = QtWidgets.QLabel()
            self.value_label.setMinimumWidth(80)
            self.fix = QtWidgets.QCheckBox("Fix")
            self.fit = QtWidgets.QCheckBox("Fit")
            for w in (self.label, self.tmin, self.slider, self.tmax, self.value_label,
                      self.fix, self.fit):
                layout.addWidget(w)
            self.lo, self.hi = slider_range(m.values[i], m.errors[i], *m.limits[i])
            self.sync()
            self.slider.valueChanged.connect(self.on_slider)
            self.slider.sliderReleased.connect(self.on_released)
            self.tmin.editingFinished.connect(self.on_range)
            self.tmax.editingFinished.connect(self.on_range)
            self.fix.toggled.connect(self.on_fix)
            self.fit.toggled.connect(self.on_fit)

        def to_value(self, k: int) -> float:
            return self.lo + (self.hi - self.lo) * k / _STEPS

        def to_step(self, v: float) -> int:
            if self.hi == self.lo:
                return 0
            return int(round((v - self.lo) / (self.hi - self.lo) * _STEPS))

        def sync(self) -> None:
            """Show the state of ``m`` without triggering the callbacks."""
            self.busy = True
            try:
                v = m.values[self.i]
                if not (self.lo <= v <= self.hi):
                    self.lo, self.hi = slider_range(v, m.errors[self.i], *m.limits[self.i])
                self.tmin.setText(f"{self.lo:.6g}")
                self.tmax.setText(f"{self.hi:.6g}")
                self.slider.setValue(self.to_step(v))
                self.value_label.setText(f"{v:.6g}")
                self.fix.setChecked(bool(m.fixed[self.i]))
            finally:
                self.busy = False

        def on_slider(self, k: int) -> None:
            if self.busy:
                return
            m.values[self.i] = self.to_value(k)
            self.value_label.setText(f"{m.values[self.i]:.6g}")
            if self.slider.isSliderDown() and not panel.update_button.isChecked():
                return  # redraw when the slider is released
            panel.on_parameter_change()

        def on_released(self) -> None:
            if not panel.update_button.isChecked():
                panel.on_parameter_change()

        def on_range(self) -> None:
            if self.busy:
                return
            try:
                lo, hi = float(self.tmin.text()), float(self.tmax.text())
            except ValueError:
                self.sync()  # not a number: show the range as it was
                return
            if not lo < hi:
                self.sync()
                return
            self.lo, self.hi = lo, hi
            m.limits[self.i] = (lo, hi)
            panel.sync()
            panel.draw()

        def on_fix(self, checked: bool) -> None:
            if not self.busy:
                m.fixed[self.i] = bool(checked)

        def on_fit(self, checked: bool) -> None:
            if self.busy:
                return
            self.slider.setEnabled(not checked)
            if checked:
                panel.fit()

    class Panel(QtWidgets.QWidget):  # type: ignore[name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.setWindowTitle("thetahat - interactive fit")
            outer = QtWidgets.QHBoxLayout(self)
            self.fig = plt.figure()
            plt.close(self.fig)  # drawn on the canvas only, never by pyplot's own show
            self.canvas = canvas_class(self.fig)
            self.canvas.setMinimumSize(400, 300)
            outer.addWidget(self.canvas, stretch=1)
            right = QtWidgets.QVBoxLayout()
            outer.addLayout(right)
            buttons = QtWidgets.QHBoxLayout()
            self.fit_button = QtWidgets.QPushButton("Fit")
            self.update_button = QtWidgets.QPushButton("Continuous")
            self.update_button.setCheckable(True)
            self.update_button.setChecked(True)
            self.reset_button = QtWidgets.QPushButton("Reset")
            self.algo_choice = QtWidgets.QComboBox()
            self.algo_choice.addItems(list(ALGORITHMS))
            for w in (self.fit_button, self.update_button, self.reset_button,
                      self.algo_choice):
                buttons.addWidget(w)
            right.addLayout(buttons)
            scroll = QtWidgets.QScrollArea()
            scroll.setWidgetResizable(True)
            box = QtWidgets.QWidget()
            rows_layout = QtWidgets.QVBoxLayout(box)
            self.parameters = [Row(self, i, name) for i, name in enumerate(m.parameters)]
            for r in self.parameters:
                rows_layout.addWidget(r)
            rows_layout.addStretch()
            scroll.setWidget(box)
            right.addWidget(scroll)
            self.fit_button.clicked.connect(self.fit)
            self.reset_button.clicked.connect(self.on_reset)
            self.draw()

        def draw(self) -> None:
            draw_values(self.fig, plot, m, kwargs, raise_on_exception)
            self.canvas.draw_idle()

        def sync(self) -> None:
            for r in self.parameters:
                r.sync()

        def fit(self) -> None:
            alone = [r.i for r in self.parameters if r.fit.isChecked()]
            fit_selected(m, self.algo_choice.currentText(), alone, raise_on_exception)
            self.sync()
            self.draw()

        def on_parameter_change(self) -> None:
            if any(r.fit.isChecked() for r in self.parameters):
                self.fit()
            else:
                self.draw()

        def on_reset(self) -> None:
            m.reset()
            for r in self.parameters:
                r.busy = True
                r.fit.setChecked(False)
                r.slider.setEnabled(True)
                r.busy = False
                r.lo, r.hi = slider_range(m.values[r.i], m.errors[r.i], *m.limits[r.i])
            self.sync()
            self.draw()

    panel = Panel()
    if run_event_loop:  # pragma: no cover - blocks until the window is closed
        panel.show()
        app.exec()
    return panel
