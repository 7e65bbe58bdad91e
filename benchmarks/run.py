"""Run the benchmarks and print ratio tables against the references.

Usage::

    python benchmarks/run.py            # every benchmarks/bench_*.py
    python benchmarks/run.py lsq nist   # only bench_lsq.py and bench_nist.py

Each ``bench_*.py`` module has a ``main()`` that times thetahat and its reference
(scipy, iminuit, lmfit) in the same run, on the same data, and prints a table whose key
column is the ratio thetahat / reference (< 1 means thetahat is faster or uses fewer
calls). Machines are shared and noisy: compare ratios, not absolute times.
``bench_distance`` prints, next to the call ratio, how far each MIGRAD's final point is
from the true minimum (|fval - fval_true| and max |x - x_true| / error).
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(HERE))
    names = argv or sorted(p.stem[len("bench_"):] for p in HERE.glob("bench_*.py"))
    for name in names:
        module = importlib.import_module(f"bench_{name}")
        print(f"\n=== bench_{name} ===")
        t0 = time.perf_counter()
        module.main()
        print(f"(bench_{name} took {time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
