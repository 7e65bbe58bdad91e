"""NIST StRD nonlinear regression: correct digits (LRE) per problem, thetahat vs scipy.

38 fits (19 problems x 2 starts) with '2-point' finite-difference Jacobians, for
``least_squares`` methods 'lm' and 'trf', with default and with tight tolerances
(ftol = xtol = gtol = 1e-15). Each cell is the smallest LRE over the parameters
(0 = wrong, 11 = all certified digits).

Run: ``.venv/bin/python benchmarks/run.py nist``
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import scipy.optimize as so

from _timing import table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from nist_problems import NAMES, load, lre  # noqa: E402
from thetahat import least_squares  # noqa: E402

TIGHT = dict(ftol=1e-15, xtol=1e-15, gtol=1e-15)


def _lre(solver, p, k, method, opts):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = solver(p.residuals, p.starts[k], method=method, **opts)
        except Exception:  # a solver that fails scores 0
            return 0.0
    return float(lre(r.x, p.certified).min())


def main() -> None:
    for label, opts in (("default tolerances", {}), ("ftol=xtol=gtol=1e-15", TIGHT)):
        rows = []
        cols = {}
        for name in NAMES:
            p = load(name)
            for k in (0, 1):
                row = [f"{name} start{k + 1}"]
                for method in ("lm", "trf"):
                    t = _lre(least_squares, p, k, method, opts)
                    s = _lre(so.least_squares, p, k, method, opts)
                    row += [f"{t:.1f}", f"{s:.1f}"]
                    cols.setdefault((method, "t"), []).append(t)
                    cols.setdefault((method, "s"), []).append(s)
                rows.append(row)
        rows.append(["mean"] + [f"{np.mean(cols[(m, w)]):.2f}" for m in ("lm", "trf")
                                for w in ("t", "s")])
        rows.append(["min"] + [f"{np.min(cols[(m, w)]):.1f}" for m in ("lm", "trf")
                               for w in ("t", "s")])
        print(f"LRE, {label}")
        print(table(rows, ["problem", "lm thetahat", "lm scipy", "trf thetahat", "trf scipy"]))
        print()


if __name__ == "__main__":
    main()
