"""Coverage of MINOS and HESSE one-sigma intervals in toy Monte Carlo, thetahat and iminuit
on the same toys, against the closed forms (``tests/test_coverage_toys.py`` derives them):
a Poisson yield of 3 and 10 events (limit at 0), an exponential lifetime from 5 and 20
decay times. Columns: the exact coverage, each library's toy coverage with its binomial
standard deviation, the toys where the two libraries' intervals disagree, and the time
ratio thetahat / iminuit of the whole study (interleaved rounds, median).

Run: ``.venv/bin/python benchmarks/run.py coverage`` (``NTOY=...`` to change 2,000 toys).

``--per-fit`` times one toy fit instead, by stage (the cost, ``Minuit(...)`` with its
limit, ``migrad()``, ``minos()``), in microseconds per fit for both libraries on the same
300 toys of each case (CPU time of this process, best of 5 interleaved rounds: the least
noisy estimate on a shared machine), and the ratio thetahat / iminuit of the whole fit.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import numpy as np  # noqa: E402

from _timing import table  # noqa: E402
from test_coverage_toys import (  # noqa: E402
    CASES,
    _expon_pdf,
    _poisson_cost,
    exact_coverage,
    toy_coverage,
)

_STAGES = ("cost", "Minuit", "migrad", "minos")


def _one_round(case: str, lib: str, toys: list) -> dict[str, float]:
    """Seconds per fit of each stage of :func:`test_coverage_toys._fit` on ``toys``."""
    import warnings

    import iminuit
    import iminuit.cost

    import thetahat
    import thetahat.cost
    cls = thetahat.Minuit if lib == "thetahat" else iminuit.Minuit
    nll = thetahat.cost.UnbinnedNLL if lib == "thetahat" else iminuit.cost.UnbinnedNLL
    acc = dict.fromkeys(_STAGES, 0.0)
    clock = time.process_time  # CPU time: other processes on a shared machine count less
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # iminuit's warnings at the limit
        for toy in toys:
            t0 = clock()
            if case.startswith("poisson"):
                cost, start, lower = _poisson_cost(toy), toy + 0.5, 0.0
            else:
                cost, start, lower = nll(toy, _expon_pdf), float(toy.mean()) * 1.2, 1e-3
            t1 = clock()
            m = cls(cost, start)
            m.limits[0] = (lower, None)
            t2 = clock()
            m.migrad()
            t3 = clock()
            m.minos()
            t4 = clock()
            for k, a, b in zip(_STAGES, (t0, t1, t2, t3), (t1, t2, t3, t4)):
                acc[k] += b - a
    return {k: v / len(toys) for k, v in acc.items()}


def per_fit(ntoy: int = 300, rounds: int = 5) -> None:
    """Per-fit time by stage (module docstring)."""
    rows = []
    for k, case in enumerate(CASES):
        rng = np.random.default_rng(700 + k)
        if case.startswith("poisson"):
            toys: list = [int(n) for n in rng.poisson(float(case[len("poisson"):]), ntoy)]
        else:
            toys = [rng.exponential(2.0, int(case[len("lifetime"):])) for _ in range(ntoy)]
        best = {lib: dict.fromkeys(_STAGES, math.inf) for lib in ("thetahat", "iminuit")}
        for _ in range(rounds):
            for lib in best:
                for st, v in _one_round(case, lib, toys).items():
                    best[lib][st] = min(best[lib][st], v)
        t, i = (sum(best[lib].values()) for lib in ("thetahat", "iminuit"))
        for lib in best:
            rows.append([case, lib] + [int(round(1e6 * best[lib][st])) for st in _STAGES]
                        + [int(round(1e6 * sum(best[lib].values()))),
                           f"{t / i:.2f}" if lib == "thetahat" else ""])
    print(f"{ntoy} toys per case, best of {rounds} interleaved rounds; microseconds per fit")
    print(table(rows, ["case", "library", *_STAGES, "total", "ratio"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-fit", action="store_true",
                    help="time one toy fit by stage instead of the coverage study")
    ap.add_argument("--ntoy", type=int, default=None,
                    help="toys per case (default: 2000, or 300 with --per-fit)")
    args = ap.parse_args()
    if args.per_fit:
        per_fit(args.ntoy or 300)
        return
    import iminuit

    from thetahat import Minuit
    ntoy = args.ntoy or int(os.environ.get("NTOY", "2000"))
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
