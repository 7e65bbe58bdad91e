"""Timing helpers shared by the benchmark scripts."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_time(fn: Callable[[], object], repeat: int = 7, min_time: float = 0.2) -> float:
    """Best-of-``repeat`` wall time of one call of ``fn``, in seconds.

    Each repeat runs ``fn`` enough times to last about ``min_time / repeat`` so that short
    calls are not dominated by timer resolution; the minimum over repeats is the least
    noisy estimate on a shared machine.
    """
    fn()  # warm up caches and imports
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-7)
    number = max(1, int(min_time / repeat / one))
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def table(rows: list[list[object]], header: list[str]) -> str:
    """Format rows as a plain aligned text table."""
    cells = [[str(h) for h in header]] + [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(c: object) -> str:
    if isinstance(c, float):
        return f"{c:.3g}"
    return str(c)


def interleaved(fns: dict[str, Callable[[], object]], rounds: int = 5,
                min_time: float = 0.05) -> dict[str, float]:
    """Median wall time of one call of each of ``fns``, measured in interleaved rounds.

    Each round times every function once (each repeated enough to last about
    ``min_time``), in turn, so that a load that comes and goes on a shared machine hits
    all of them alike; the median over ``rounds`` is the estimate.
    """
    numbers = {}
    for name, fn in fns.items():
        fn()  # warm up
        t0 = time.perf_counter()
        fn()
        numbers[name] = max(1, int(min_time / max(time.perf_counter() - t0, 1e-7)))
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(numbers[name]):
                fn()
            times[name].append((time.perf_counter() - t0) / numbers[name])
    return {name: sorted(t)[len(t) // 2] for name, t in times.items()}
