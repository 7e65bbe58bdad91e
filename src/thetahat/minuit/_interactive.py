"""``Minuit.interactive``: a Jupyter panel to explore a fit with ipywidgets.

The panel is ``HBox([output, VBox([header, parameters])])``, as iminuit's:

- ``output`` shows the figure drawn by ``plot(values, **kwargs)`` (the cost's
  ``visualize`` by default) after every change, as a PNG that replaces the output
  widget's content in one assignment (no clear-then-display flicker, and independent of
  which ``IPython.display.display`` is current);
- ``header`` holds the *Fit* button, the *Continuous* toggle (slider updates while
  dragging), *Reset* and the algorithm selector (Migrad, Scipy, Simplex);
- ``parameters`` has one row per parameter: its name, the lower end of the slider range,
  the slider, the upper end, a *Fix* toggle and a *Fit* toggle that fits that parameter
  alone (the others held) whenever anything changes. Typing a range end also sets the
  parameter's limit.

The panel only calls public methods of :class:`~thetahat.Minuit` (``migrad``, ``scipy``,
``simplex``, ``reset``, the views); ipywidgets and matplotlib are imported when it is built.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["make_widget", "slider_range", "fit_selected", "draw_values", "figure_output",
           "ALGORITHMS"]

ALGORITHMS = ("Migrad", "Scipy", "Simplex")


def _require_ipywidgets() -> Any:
    try:
        import ipywidgets
    except ModuleNotFoundError as e:  # pragma: no cover - depends on the environment
        raise ModuleNotFoundError("Minuit.interactive needs ipywidgets. Please install "
                                  "ipywidgets: pip install ipywidgets") from e
    return ipywidgets


def slider_range(value: float, error: float, lo: float, hi: float) -> tuple[float, float]:
    """The slider's span: the limits where finite, else value ± 10 errors."""
    a = lo if np.isfinite(lo) else value - 10.0 * error
    b = hi if np.isfinite(hi) else value + 10.0 * error
    return float(a), float(b)


def figure_output(fig: Any) -> dict:
    """``fig`` as one Jupyter ``display_data`` output (PNG, with a text fallback), the
    form an ``ipywidgets.Output`` holds in its ``outputs``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    png = base64.b64encode(buf.getvalue()).decode("ascii")
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": png, "text/plain": repr(fig)}}


def draw_values(fig: Any, plot: Callable, m: Any, kwargs: dict,
                raise_on_exception: bool) -> None:
    """Clear ``fig`` and draw ``plot(values of m, **kwargs)`` into a new axes; an
    exception of ``plot`` is written into the figure unless ``raise_on_exception``."""
    import matplotlib.pyplot as plt

    fig.clf()
    ax = fig.add_subplot()
    plt.sca(ax)
    try:
        plot(np.array(m.values), **kwargs)
    except Exception as e:
        if raise_on_exception:
            raise
        ax.text(0.5, 0.5, f"{type(e).__name__}: {e}", ha="center", va="center",
                transform=ax.transAxes, color="r")


def fit_selected(m: Any, algorithm: str, alone: list[int], raise_on_exception: bool) -> None:
    """Fit with ``algorithm`` (one of :data:`ALGORITHMS`): only the parameters at the
    indices ``alone`` when it is not empty (the others held), else all free ones. The
    fixed flags are restored afterwards; a failing fit is ignored unless
    ``raise_on_exception``."""
    run = {"Migrad": m.migrad, "Scipy": m.scipy, "Simplex": m.simplex}[algorithm]
    saved = list(m.fixed)
    try:
        if alone:
            m.fixed = [i not in alone for i in range(len(saved))]
        run()
    except Exception:
        if raise_on_exception:
            raise
    finally:
        m.fixed = saved


def make_widget(m: Any, plot: Callable, kwargs: dict, raise_on_exception: bool) -> Any:
    """The panel for Minuit ``m`` (module docstring).

    Parameters
    ----------
    m : Minuit
        The fit to explore; the panel changes its values, fixed flags and limits.
    plot : callable
        ``plot(values, **kwargs)`` draws into the current matplotlib axes.
    kwargs : dict
        Extra keywords for ``plot``.
    raise_on_exception : bool
        Re-raise an exception of ``plot`` or of a fit (default: show it in the figure).

    Returns
    -------
    ipywidgets.HBox
        The panel.
    """
    widgets = _require_ipywidgets()
    import matplotlib.pyplot as plt

    out = widgets.Output()
    fig = plt.figure()
    plt.close(fig)  # drawn into the output widget only, never by pyplot's own show
    rows: list[Any] = []
    state = {"busy": False}

    def draw() -> None:
        draw_values(fig, plot, m, kwargs, raise_on_exception)
        out.outputs = (figure_output(fig),)

    def sync() -> None:
        """Move the widgets to the state of ``m`` without triggering their callbacks."""
        state["busy"] = True
        try:
            for i, row in enumerate(rows):
                v, e = m.values[i], m.errors[i]
                lo, hi = m.limits[i]
                a, b = row.vmin.value, row.vmax.value
                if not (a <= v <= b):
                    a, b = slider_range(v, e, lo, hi)
                    row.vmin.value, row.vmax.value = a, b
                row.slider.min, row.slider.max = min(a, row.slider.min), max(b, row.slider.max)
                row.slider.min, row.slider.max = a, b
                row.slider.value = v
                row.fix.value = bool(m.fixed[i])
        finally:
            state["busy"] = False

    def fit_one_or_all(algorithm: str) -> None:
        alone = [i for i, r in enumerate(rows) if r.fit.value]
        fit_selected(m, algorithm, alone, raise_on_exception)

    def on_fit(_: Any) -> None:
        fit_one_or_all(algo.value)
        sync()
        draw()

    def on_reset(_: Any) -> None:
        m.reset()
        state["busy"] = True
        try:
            for r in rows:
                r.fit.value = False
                r.slider.disabled = False
        finally:
            state["busy"] = False
        sync()
        draw()

    def on_continuous(change: Any) -> None:
        for r in rows:
            r.slider.continuous_update = bool(change["new"])

    fit_button = widgets.Button(description="Fit")
    fit_button.on_click(on_fit)
    update_button = widgets.ToggleButton(value=True, description="Continuous")
    update_button.observe(on_continuous, "value")
    reset_button = widgets.Button(description="Reset")
    reset_button.on_click(on_reset)
    algo = widgets.Dropdown(options=list(ALGORITHMS), value="Migrad")
    header = widgets.HBox([fit_button, update_button, reset_button, algo])

    def make_row(i: int, name: str) -> Any:
        v, e = m.values[i], m.errors[i]
        a, b = slider_range(v, e, *m.limits[i])
        label = widgets.Label(name)
        vmin = widgets.FloatText(value=a)
        slider = widgets.FloatSlider(value=v, min=a, max=b, step=(b - a) / 1000,
                                     continuous_update=True, readout_format=".3g")
        vmax = widgets.FloatText(value=b)
        fix = widgets.ToggleButton(value=bool(m.fixed[i]), description="Fix")
        fit = widgets.ToggleButton(value=False, description="Fit")
        row = widgets.HBox([label, vmin, slider, vmax, fix, fit])
        row.vmin, row.slider, row.vmax, row.fix, row.fit = vmin, slider, vmax, fix, fit

        def on_value(change: Any) -> None:
            if state["busy"]:
                return
            m.values[i] = change["new"]
            if any(r.fit.value for r in rows):
                fit_one_or_all(algo.value)
                sync()
            draw()

        def on_range(change: Any) -> None:
            if state["busy"]:
                return
            lo, hi = vmin.value, vmax.value
            if lo < hi:
                m.limits[i] = (lo, hi)
                sync()
                slider.min, slider.max = lo, hi

        def on_fix(change: Any) -> None:
            if not state["busy"]:
                m.fixed[i] = bool(change["new"])

        def on_fit_toggle(change: Any) -> None:
            if state["busy"]:
                return
            slider.disabled = bool(change["new"])
            if change["new"]:
                fit_one_or_all(algo.value)
                sync()
                draw()

        slider.observe(on_value, "value")
        vmin.observe(on_range, "value")
        vmax.observe(on_range, "value")
        fix.observe(on_fix, "value")
        fit.observe(on_fit_toggle, "value")
        return row

    rows.extend(make_row(i, n) for i, n in enumerate(m.parameters))
    parameters = widgets.VBox(rows)
    draw()
    return widgets.HBox([out, widgets.VBox([header, parameters])])
