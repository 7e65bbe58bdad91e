"""Coverage of MINOS and HESSE one-sigma intervals in toy Monte Carlo, thetahat and iminuit
on the same toys, against the closed forms (``tests/test_coverage_toys.py`` derives them):
a Poisson yield of 3 and 10 events (limit at 0), an exponential lifetime from 5 and 20
decay times. Columns: the exact coverage, each library's toy coverage with its binomial
standard deviation, the toys where the two libraries' intervals disagree, and the time
ratio thetahat / iminuit of the whole study (interleaved rounds, median).

Run: ``.venv/bin/python benchmarks/run.py coverage`` (``NTOY=...`` to change 2,000 toys)
"""

from __future__ import annotations

import math
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import numpy as np  # noqa: E402

from _timing import table  # noqa: E402
from test_coverage_toys import CASES, exact_coverage, toy_coverage  # noqa: E402


def main() -> None:
    import iminuit

    from thetahat import Minuit
    ntoy = int(os.environ.get("NTOY", "2000"))
    libs = (("thetahat", Minuit), ("iminuit", iminuit.Minuit))
    rows = []
    for k, case in enumerate(CASES):
        parts: dict[str, list] = {name: [] for name, _ in libs}
        times: dict[str, list] = {name: [] for name, _ in libs}
        for r in range(3):  # interleaved rounds, each a third of the toys, same seeds
            for name, cls in libs:
                t0 = time.perf_counter()
                parts[name].append(toy_coverage(case, ntoy // 3, 2000 + 10 * k + r, cls))
                times[name].append(time.perf_counter() - t0)
        res = {name: {kind: np.concatenate([p[kind] for p in parts[name]])
                      for kind in parts[name][0]} for name in parts}
        ratio = statistics.median(times["thetahat"]) / statistics.median(times["iminuit"])
        t, i = res["thetahat"], res["iminuit"]
        n = t["minos"].size
        for j, kind in enumerate(("minos", "hesse")):
            want = exact_coverage(case)[j]
            rows.append([case, kind, want, float(t[kind].mean()), float(i[kind].mean()),
                         math.sqrt(want * (1 - want) / n), int((t[kind] != i[kind]).sum()),
                         int((t[kind] != t[kind + "_exact"]).sum()), ratio])
    print(f"{3 * (ntoy // 3)} toys per case; time ratio: median of 3 interleaved rounds")
    print(table(rows, ["case", "interval", "exact", "thetahat", "iminuit", "binom sd",
                       "differ", "vs exact", "time ratio"]))


if __name__ == "__main__":
    main()
