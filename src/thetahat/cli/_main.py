"""``thetahat fit FILE --model NAME ...``: a fit from the command line.

Curve data: ``--x COL --y COL [--yerr COL]`` (least squares). Event data:
``--events COL [--bins N] [--range LO HI] [--extended]`` (binned likelihood with
``--bins``, unbinned otherwise). Prints the parameter table, χ²/ndof with its p-value
where the cost defines one, and the validity verdict; ``--json`` writes the same numbers
machine-readable, ``--plot`` a PNG of data and fit.

Every user error (missing file, unknown column or model, NaN rows under ``--strict``, an
empty range, too few points) is one line on stderr and exit status 2; a fit that ran but
is not valid exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from typing import Any, NoReturn

import numpy as np

from .._core.warnings import ThetahatWarning

__all__ = ["main_fit"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage dump
        print(f"thetahat fit: {message}", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="thetahat fit", description="Fit a model to a data file.")
    p.add_argument("file", help="CSV / whitespace text (optional header) or .npy / .npz")
    p.add_argument("--model", required=True, help='model name, e.g. "expo+gauss"')
    p.add_argument("--x", help="column of x (curve data)")
    p.add_argument("--y", help="column of y (curve data)")
    p.add_argument("--yerr", help="column of the errors of y")
    p.add_argument("--events", help="column of events (event data)")
    p.add_argument("--bins", type=int, help="number of bins (binned likelihood)")
    p.add_argument("--range", nargs=2, type=float, metavar=("LO", "HI"))
    p.add_argument("--extended", action="store_true", help="fit yields, not fractions")
    p.add_argument("--minos", action="store_true", help="also compute MINOS intervals")
    p.add_argument("--plot", metavar="OUT.png", help="write a plot of data and fit")
    p.add_argument("--json", metavar="OUT.json", help="write the results as JSON")
    p.add_argument("--strict", action="store_true", help="NaN rows are an error")
    return p


def _summary(m: Any) -> dict:
    from ._fit import pvalue
    ndof = m.ndof
    estimated = getattr(m, "yerr_estimated", None)
    p = None if estimated is not None else pvalue(m)
    out: dict[str, Any] = {
        "valid": bool(m.valid),
        "fval": float(m.fval),
        "ndof": float(ndof) if np.isfinite(ndof) else None,
        "chi2_ndof": float(m.fmin.reduced_chi2) if p is not None else None,
        "p_value": p,
        "yerr_estimated": estimated,
        "edm": float(m.fmin.edm),
        "nfcn": int(m.nfcn),
    }
    parameters: dict[str, dict] = {}
    out["parameters"] = parameters
    for p in m.params:
        d = {"value": p.value, "error": p.error, "fixed": p.is_fixed,
             "lower_limit": p.lower_limit, "upper_limit": p.upper_limit}
        if p.merror is not None:
            d["minos_lower"], d["minos_upper"] = p.merror
        parameters[p.name] = d
    if m.covariance is not None:
        out["covariance"] = np.asarray(m.covariance).tolist()
    return out


def _plot(path: str, m: Any, data: dict) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    vals = np.asarray(m.values)
    if "events" in data:
        ev = data["events"]
        lo, hi = data["range"]
        n, xe = np.histogram(ev, bins=data.get("bins") or 50, range=(lo, hi))
        cx = 0.5 * (xe[1:] + xe[:-1])
        ax.errorbar(cx, n, np.sqrt(np.maximum(n, 1)), fmt="ok", ms=3, label="data")
        mod = data["model"]
        xf = np.linspace(lo, hi, 400)
        w = xe[1] - xe[0]
        if hasattr(mod, "scaled_pdf"):
            yf = mod.scaled_pdf(xf, *vals)[1] * w
        else:
            yf = mod.pdf(xf, *vals) * n.sum() * w
        ax.plot(xf, yf, "C0-", label="fit")
        ax.set_xlabel(data["xname"])
        ax.set_ylabel(f"events / {w:.3g}")
    else:
        x, y, yerr = data["x"], data["y"], data["yerr"]
        ax.errorbar(x, y, yerr, fmt="ok", ms=3, label="data")
        xf = np.linspace(x.min(), x.max(), 400)
        ax.plot(xf, data["model"](xf, *vals), "C0-", label="fit")
        ax.set_xlabel(data["xname"])
        ax.set_ylabel(data["yname"])
    ax.legend(frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main_fit(argv: Sequence[str]) -> int:
    from ._fit import POOR_PVALUE, fit
    from ._io import DataError, drop_nonfinite, read_table

    a = _parser().parse_args(list(argv))
    try:
        curve = a.x is not None or a.y is not None
        if curve and a.events is not None:
            raise DataError("give either --x/--y (curve data) or --events, not both")
        if not curve and a.events is None:
            raise DataError("give --x and --y (curve data) or --events (event data)")
        if curve and (a.x is None or a.y is None):
            raise DataError("curve data needs both --x and --y")
        if a.plot:  # before the fit: without matplotlib, one line naming the extra
            from ..plot import _pyplot
            try:
                _pyplot("Agg")
            except ImportError as e:
                raise DataError(str(e)) from None
        table = read_table(a.file)
        if curve:
            cols = {"x": table.column(a.x), "y": table.column(a.y)}
            if a.yerr is not None:
                cols["yerr"] = table.column(a.yerr)
        else:
            cols = {"events": table.column(a.events)}
        cols, dropped = drop_nonfinite(cols, strict=a.strict)
        if dropped:
            print(f"thetahat fit: dropped {dropped} row(s) with non-finite values")
        with warnings.catch_warnings():  # a poor fit is reported below, in words
            warnings.simplefilter("ignore", ThetahatWarning)
            if curve:
                yerr = cols.get("yerr")
                m = fit(cols["x"], cols["y"], a.model, yerr=yerr)
            else:
                ev = cols["events"]
                rng = tuple(a.range) if a.range else None
                if rng is not None and not np.any((ev >= rng[0]) & (ev <= rng[1])):
                    raise DataError(f"no events in the range [{rng[0]:g}, {rng[1]:g}]")
                m = fit(ev, a.model, bins=a.bins, range=rng, extended=a.extended)
        if a.minos and m.valid:
            m.minos()
    except (DataError, ValueError, KeyError, OSError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"thetahat fit: {msg}", file=sys.stderr)
        return 2
    print(m.params)
    s = _summary(m)
    if s["yerr_estimated"] is not None:
        print(f"no --yerr: the errors of y were estimated from the scatter "
              f"(s = {s['yerr_estimated']:.4g}), so chi2/ndof = 1 by construction and "
              "there is no goodness of fit")
    elif s["chi2_ndof"] is not None:
        print(f"chi2/ndof = {m.fval:.4g}/{m.ndof:.0f} = {s['chi2_ndof']:.3f}, "
              f"p-value = {s['p_value']:.3g}")
    if not m.valid:
        print("fit is NOT VALID: " + _why(m))
    elif s["p_value"] is not None and s["p_value"] < POOR_PVALUE:
        print("fit is VALID but POOR: the p-value is below 1e-6, the model does not "
              "describe the data (or the minimum is a local one)")
    else:
        print("fit is VALID")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(s, f, indent=2)
    if a.plot:
        if curve:
            data = {"x": cols["x"], "y": cols["y"],
                    "yerr": cols.get("yerr", np.full(cols["x"].size, np.nan)),
                    "xname": a.x, "yname": a.y}
            if a.yerr is None:
                data["yerr"] = np.asarray(m.fcn.yerror)
        else:
            ev = cols["events"]
            data = {"events": ev, "bins": a.bins, "xname": a.events,
                    "range": tuple(a.range) if a.range else (ev.min(), ev.max())}
        data["model"] = m.model
        _plot(a.plot, m, data)
    return 0 if m.valid else 1


def _why(m: Any) -> str:
    f = m.fmin
    reasons = [t for t, bad in (("EDM above goal", f.is_above_max_edm),
                                ("call limit reached", f.has_reached_call_limit),
                                ("Hesse failed", f.hesse_failed),
                                ("parameters at limit", f.has_parameters_at_limit)) if bad]
    return ", ".join(reasons) or "see the table"
