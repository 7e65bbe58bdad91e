"""What ``thetahat fit`` reports: the JSON record, the plot, and why a fit is not valid.

The JSON record holds the numbers of the printed report (validity, χ²/ndof and p-value
where defined, every parameter with its error, limits and MINOS interval, the covariance)
and what produced them: the thetahat version, the data file and columns, the model and the
cost, and the options of the run, so that a result can be traced to its inputs.

The plot shows the data (points with error bars, or the histogram of the events), the
fitted model, its 1σ confidence band from the parameters' covariance (first-order error
propagation, :func:`thetahat.derivatives.propagate.band`), and a legend with each free
parameter's value and error rounded as the Particle Data Group rounds them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..derivatives.propagate import band
from ..pdg_format import pdg_format

__all__ = ["summary", "plot_fit", "why"]


def summary(m: Any, meta: dict) -> dict:
    """The JSON record of a fit ``m`` (a :class:`~thetahat.cli._result.FitResult`) run with
    the inputs ``meta``: the result's own :meth:`~thetahat.cli._result.FitResult.to_dict`
    (one definition of what a fit reports), with the run's inputs added; ``model`` is the
    name given on the command line and ``model_formula`` the model's formula."""
    out = m.to_dict()
    info = out.pop("model")
    out.update(meta)
    out.setdefault("model", info["name"])
    if "formula" in info:
        out["model_formula"] = info["formula"]
    return out


def _legend_text(m: Any) -> str:
    lines = []
    for par in m.params:
        if par.is_fixed:
            lines.append(f"{par.name} = {par.value:.4g} (fixed)")
        else:
            lines.append(f"{par.name} = {pdg_format(par.value, par.error)}")
    return "\n".join(lines)


def _curve_band(f: Any, xf: np.ndarray, m: Any) -> tuple[np.ndarray, np.ndarray | None]:
    vals = np.asarray(m.values, dtype=float)
    if m.covariance is None:
        return np.asarray(f(xf, vals), dtype=float), None
    cov = np.asarray(m.covariance, dtype=float)
    if not np.all(np.isfinite(cov)):
        return np.asarray(f(xf, vals), dtype=float), None
    return band(lambda p: f(xf, p), vals, cov)


def plot_fit(path: str, m: Any, data: dict) -> None:
    """Write the plot of data, fit, band and parameters to ``path`` (module docstring)."""
    from ..plot import _pyplot
    plt = _pyplot("Agg")  # a file, never a window; a clear error without matplotlib
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    mod = data["model"]
    if "events" in data:
        ev = data["events"]
        lo, hi = data["range"]
        n, xe = np.histogram(ev, bins=data.get("bins") or 50, range=(lo, hi))
        cx = 0.5 * (xe[1:] + xe[:-1])
        ax.errorbar(cx, n, np.sqrt(np.maximum(n, 1)), fmt="ok", ms=3, label="data")
        xf = np.linspace(lo, hi, 400)
        w = xe[1] - xe[0]
        total = n.sum()

        def f(x: np.ndarray, p: np.ndarray) -> np.ndarray:
            if hasattr(mod, "scaled_pdf"):
                return mod.scaled_pdf(x, *p)[1] * w
            return mod.pdf(x, *p) * total * w
        ax.set_ylabel(f"events / {w:.3g}")
    else:
        x, y, yerr = data["x"], data["y"], data["yerr"]
        ax.errorbar(x, y, yerr, fmt="ok", ms=3, label="data")
        xf = np.linspace(x.min(), x.max(), 400)

        def f(x: np.ndarray, p: np.ndarray) -> np.ndarray:
            return mod(x, *p)
        ax.set_ylabel(data["yname"])
    yf, sf = _curve_band(f, xf, m)
    ax.plot(xf, yf, "C0-", label="fit: " + data.get("model_name", "model"))
    if sf is not None:
        ax.fill_between(xf, yf - sf, yf + sf, color="C0", alpha=0.3, lw=0,
                        label="fit ± 1σ (parameter errors)")
    ax.set_xlabel(data["xname"])
    handles, labels = ax.get_legend_handles_labels()
    handles.append(plt.Line2D([], [], ls="none"))
    labels.append(_legend_text(m))
    ax.legend(handles, labels, frameon=False, fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def why(m: Any) -> str:
    """The reasons a fit is not valid, in words."""
    f = m.fmin
    reasons = [t for t, bad in (("EDM above goal", f.is_above_max_edm),
                                ("call limit reached", f.has_reached_call_limit),
                                ("Hesse failed", f.hesse_failed),
                                ("parameters at limit", f.has_parameters_at_limit)) if bad]
    return ", ".join(reasons) or "see the table"
