"""Peak memory of unbinned fits, thetahat against iminuit (issue 15, "Also").

Each measurement runs in a fresh Python process: it imports the library, draws the sample
(seeded), notes its peak resident set size (``resource.getrusage(...).ru_maxrss``), fits
with ``migrad()`` then ``hesse()``, and reports the new peak. Columns: the extra memory
of the fit over the process with its data (MB, and in units of the data array), and the
ratio thetahat / iminuit of that extra memory and of the wall time of the fit (rounds
interleaved, medians of ``ROUNDS`` runs, default 3). Cases:

* ``gauss``: a Gaussian pdf (2 free parameters) at N = 1e6 and 1e7 events;
* ``mix8``: a mixture of 8 Gaussians with equal weights, free means and widths
  (16 free parameters), N = 2e5.

Run: ``.venv/bin/python benchmarks/run.py memory`` (``BIG=0`` skips N = 1e7).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

from _timing import table

_CHILD = r"""
import json, resource, sys, time
import numpy as np
from scipy.stats import norm
lib, case, n = sys.argv[1], sys.argv[2], int(float(sys.argv[3]))
if lib == "thetahat":
    from thetahat import Minuit
    from thetahat.cost import UnbinnedNLL
else:
    from iminuit import Minuit
    from iminuit.cost import UnbinnedNLL
rng = np.random.default_rng(1)
if case == "gauss":
    x = rng.normal(0.0, 1.0, n)
    def pdf(x, mu, sigma):
        return norm.pdf(x, mu, sigma)
    start = dict(mu=0.1, sigma=1.1)
else:
    centres = np.arange(8) * 3.0
    x = (centres[rng.integers(0, 8, n)] + rng.normal(0.0, 0.5, n))
    names = [f"{a}{j}" for j in range(8) for a in ("m", "s")]
    def pdf(x, *p):
        out = np.zeros_like(x)
        for j in range(8):
            out += norm.pdf(x, p[2 * j], p[2 * j + 1])
        out /= 8
        return out
    start = {f"m{j}": 3.0 * j + 0.1 for j in range(8)}
    start.update({f"s{j}": 0.6 for j in range(8)})
    start = {k: start[k] for k in names}
cost = UnbinnedNLL(x, pdf) if case == "gauss" else UnbinnedNLL(x, pdf, name=names)
kb = 1024.0
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / kb
m = Minuit(cost, **start)
if case == "gauss":
    m.limits["sigma"] = (0, None)
t0 = time.perf_counter()
m.migrad()
m.hesse()
t = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / kb
print(json.dumps(dict(base=base, peak=peak, time=t, valid=bool(m.valid),
                      data=x.nbytes / kb / kb, fval=float(m.fval))))
"""


def _run(lib: str, case: str, n: float) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, lib, case, str(n)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ratio(a: float, b: float) -> float | str:
    # ru_maxrss is a high-water mark: when building the data already reached it, the
    # fit's extra peak reads 0 and the ratio is not defined
    return a / b if b > 0 else "n/a (reference 0)"


def main() -> None:
    rounds = int(os.environ.get("ROUNDS", "3"))
    cases = [("gauss", 1e6), ("mix8", 2e5)]
    if os.environ.get("BIG", "1") != "0":
        cases.append(("gauss", 1e7))
    rows = []
    for case, n in cases:
        res: dict[str, list[dict]] = {"thetahat": [], "iminuit": []}
        for _ in range(rounds):  # interleaved
            for lib in res:
                res[lib].append(_run(lib, case, n))
        extra = {lib: statistics.median(r["peak"] - r["base"] for r in rs)
                 for lib, rs in res.items()}
        times = {lib: statistics.median(r["time"] for r in rs) for lib, rs in res.items()}
        data = res["thetahat"][0]["data"]
        valid = all(r["valid"] for rs in res.values() for r in rs)
        rows.append([case, f"{n:.0e}", data, extra["thetahat"], extra["thetahat"] / data,
                     extra["iminuit"], extra["iminuit"] / data,
                     _ratio(extra["thetahat"], extra["iminuit"]),
                     _ratio(times["thetahat"], times["iminuit"]),
                     valid])
    print(f"extra peak RSS of migrad()+hesse() over the process with its data, MB; "
          f"medians of {rounds} interleaved rounds")
    print(table(rows, ["case", "N", "data MB", "thetahat MB", "x data", "iminuit MB",
                       "x data", "mem ratio", "time ratio", "valid"]))


if __name__ == "__main__":
    main()
