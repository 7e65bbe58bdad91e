"""``thetahat fit FILE --model NAME ...``: a fit from the command line.

Curve data: ``--x COL --y COL [--yerr COL]`` (least squares). Event data:
``--events COL [--bins N] [--range LO HI] [--extended]`` (binned likelihood with
``--bins``, unbinned otherwise). FILE ``-`` reads text from standard input. Prints the
parameter table, χ²/ndof with its p-value where the cost defines one, and the validity
verdict; ``--json`` writes the same numbers machine-readable with the inputs that
produced them (``--json -``: to standard output, the report then to standard error),
``--plot`` a PNG of data, fit, its 1σ band and the parameters (:mod:`._report`).

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
from typing import NoReturn

import numpy as np

from .._core.warnings import ThetahatWarning

__all__ = ["main_fit"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage dump
        print(f"thetahat fit: {message}", file=sys.stderr)
        raise SystemExit(2)


_DESCRIPTION = """\
Fit a model to the data in FILE and print the best-fit parameters with their
uncertainties, the goodness of fit and whether the fit can be trusted.

Two kinds of data:
  curve data   pairs (x, y), optionally with the uncertainty of each y:
               --x COL --y COL [--yerr COL]; fitted by least squares (chi-square).
  event data   one column of measured values, e.g. energies of single events:
               --events COL; fitted by maximum likelihood, unbinned, or binned
               into a histogram with --bins N.

Models are named, and can be added: --model "expo+gauss" (thetahat models lists
them with their parameters and formulas). Start values are guessed from the data.
"""

_EPILOG = """\
examples:
  thetahat fit spectrum.csv --x energy --y counts --yerr sigma --model "poly1+gauss"
  thetahat fit decays.txt --events 0 --model expo --range 0 10 --minos
  cat data.csv | thetahat fit - --x 0 --y 1 --model line --json -

exit status: 0 the fit is valid, 1 the fit ran but is not valid (see the message),
2 the input is wrong (a one-line message says what).
"""


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="thetahat fit", description=_DESCRIPTION, epilog=_EPILOG,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="the data: a CSV or whitespace-separated text file (a first "
                   "line of names is a header; # starts a comment), a .npy or .npz file, "
                   "or - to read text from standard input")
    p.add_argument("--model", required=True,
                   help='the model to fit, e.g. "gauss", "line", "expo+gauss" (a sum); '
                   "run 'thetahat models' for the list")
    g = p.add_argument_group("curve data (least squares)")
    g.add_argument("--x", metavar="COL", help="the column of the x values (a name from the "
                   "header, or a number counting from 0)")
    g.add_argument("--y", metavar="COL", help="the column of the measured y values")
    g.add_argument("--yerr", metavar="COL", help="the column of the uncertainty of each y "
                   "(without it the uncertainties are estimated from the scatter of the "
                   "points, and there is no goodness-of-fit test)")
    g = p.add_argument_group("event data (maximum likelihood)")
    g.add_argument("--events", metavar="COL", help="the column of the event values")
    g.add_argument("--bins", type=int, metavar="N", help="put the events in a histogram of "
                   "N equal bins and fit the counts (faster for many events; without it "
                   "every event enters the likelihood)")
    g.add_argument("--range", nargs=2, type=float, metavar=("LO", "HI"),
                   help="only use events between LO and HI (the model is normalised there)")
    g.add_argument("--extended", action="store_true", help="also fit how many events each "
                   "model component has (yields), not only their fractions")
    g = p.add_argument_group("output")
    g.add_argument("--minos", action="store_true", help="also compute MINOS intervals: "
                   "uncertainties from where the likelihood rises by one unit, which may be "
                   "asymmetric (better than the symmetric errors for few events)")
    g.add_argument("--plot", metavar="OUT.png", help="write a picture of the data, the "
                   "fitted model with its 1-sigma band and the parameters")
    g.add_argument("--json", metavar="OUT.json", help="write the results, with the inputs "
                   "that produced them, as JSON (- for standard output; the printed report "
                   "then goes to standard error)")
    g.add_argument("--strict", action="store_true", help="rows with a missing or non-finite "
                   "value are an error (by default they are dropped and counted)")
    return p


def main_fit(argv: Sequence[str]) -> int:
    from ._fit import POOR_PVALUE, fit
    from ._io import DataError, drop_nonfinite, read_table
    from ._report import plot_fit, summary, why

    a = _parser().parse_args(list(argv))
    out = sys.stderr if a.json == "-" else sys.stdout  # the report, when JSON takes stdout
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
            print(f"thetahat fit: dropped {dropped} row(s) with non-finite values", file=out)
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
    print(m.params, file=out)
    meta = {"data_file": table.path, "model": a.model,
            "columns": {k: getattr(a, k) for k in ("x", "y", "yerr", "events")
                        if getattr(a, k) is not None},
            "rows_dropped": dropped,
            "options": {"bins": a.bins, "range": list(a.range) if a.range else None,
                        "extended": a.extended, "minos": a.minos}}
    s = summary(m, meta)
    if s["yerr_estimated"] is not None:
        print(f"no --yerr: the errors of y were estimated from the scatter "
              f"(s = {s['yerr_estimated']:.4g}), so chi2/ndof = 1 by construction and "
              "there is no goodness of fit", file=out)
    elif s["chi2_ndof"] is not None:
        print(f"chi2/ndof = {m.fval:.4g}/{m.ndof:.0f} = {s['chi2_ndof']:.3f}, "
              f"p-value = {s['p_value']:.3g}", file=out)
    if not m.valid:
        print("fit is NOT VALID: " + why(m), file=out)
    elif s["p_value"] is not None and s["p_value"] < POOR_PVALUE:
        print("fit is VALID but POOR: the p-value is below 1e-6, the model does not "
              "describe the data (or the minimum is a local one)", file=out)
    else:
        print("fit is VALID", file=out)
    if a.json == "-":
        json.dump(s, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif a.json:
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
        data["model_name"] = a.model
        plot_fit(a.plot, m, data)
    return 0 if m.valid else 1
