"""thetahat.Minuit against iminuit in one run (issue 3).

1. Wall time of ``Minuit(...)`` + ``migrad()`` + ``hesse()`` on the seed's straight-line
   fit, once with a plain Python chi-square function (the variable-metric engine; target
   <= 0.8x iminuit's time at <= 0.7x its calls, issue 17) and once with ``LeastSquares``
   (the Gauss-Newton engine; target <= 0.5x). Rounds of thetahat and iminuit alternate
   (:func:`interleaved`) and the ratio is the median of the per-round ratios, so that the
   load of a shared machine falls on both alike.
2. Function calls to convergence (``nfcn`` after ``migrad()``, strategy 1, the same start
   and steps on both sides) on correlated quadratic bowls of 2, 10, 50, 100 parameters and
   on Rosenbrock. Target: <= 1.0x iminuit's nfcn.

Run: ``.venv/bin/python benchmarks/run.py minuit``
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from iminuit import Minuit as IMinuit
from iminuit.cost import LeastSquares as ILeastSquares

from _timing import table
from thetahat import Minuit as TMinuit
from thetahat.cost import LeastSquares


def line(x, m, c):
    return m * x + c


def _line_data():
    rng = np.random.default_rng(1)
    x = np.linspace(0, 1, 11)
    yerr = np.full(11, 0.1)
    return x, line(x, 1.0, 2.0) + rng.normal(0, yerr), yerr


def _bowl(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, n))
    h = a @ a.T / n + np.eye(n)
    c = rng.normal(size=n)

    def f(p):
        d = np.asarray(p) - c
        return float(d @ h @ d)

    return f


def _rosen(p):
    x, y = p
    return float((1 - x) ** 2 + 100 * (y - x**2) ** 2)


def interleaved(fns: list[Callable[[], object]], rounds: int = 25, min_time: float = 0.01,
                clock: Callable[[], float] = time.perf_counter) -> list[list[float]]:
    """Seconds per call of each of ``fns``, ``rounds`` times, the functions alternating
    within each round (each round runs a function for about ``min_time``). ``clock``:
    wall time by default; ``time.process_time`` counts this process's CPU time only,
    which a loaded machine disturbs less."""
    for fn in fns:
        fn()  # warm up
    number = []
    for fn in fns:
        t0 = clock()
        fn()
        number.append(max(1, int(min_time / max(clock() - t0, 1e-7))))
    out: list[list[float]] = [[] for _ in fns]
    for _ in range(rounds):
        for k, fn in enumerate(fns):
            t0 = clock()
            for _ in range(number[k]):
                fn()
            out[k].append((clock() - t0) / number[k])
    return out


def median_ratio(a: list[float], b: list[float]) -> float:
    """Median over rounds of a / b (the rounds of :func:`interleaved`)."""
    return float(np.median(np.asarray(a) / np.asarray(b)))


def _fit(M, fcn, start, errordef=1.0, hesse=True):
    m = M(fcn, start)
    m.errordef = errordef
    m.migrad()
    if hesse:
        m.hesse()
    return m


def main() -> None:
    x, y, yerr = _line_data()

    def chi2(m, c):
        return float(np.sum(((y - (m * x + c)) / yerr) ** 2))

    rows = []
    for label, tf, rf in [
        ("line, plain function", chi2, chi2),
        ("line, LeastSquares", LeastSquares(x, y, yerr, line), ILeastSquares(x, y, yerr, line)),
    ]:
        def run_t(tf=tf):
            m = TMinuit(tf, m=5, c=5)
            if getattr(tf, "errordef", None) is None:  # a cost declares its own
                m.errordef = 1
            m.migrad().hesse()
            return m

        def run_r(rf=rf):
            m = IMinuit(rf, m=5, c=5)
            if not hasattr(rf, "errordef"):
                m.errordef = 1
            m.migrad().hesse()
            return m

        mt, mr = run_t(), run_r()
        tt, tr = interleaved([run_t, run_r])
        ct, cr = interleaved([run_t, run_r], clock=time.process_time)
        rows.append([label, mr.nfcn, mt.nfcn, mt.nfcn / mr.nfcn, np.median(tr) * 1e3,
                     np.median(tt) * 1e3, median_ratio(tt, tr), median_ratio(ct, cr)])
    print(table(rows, ["migrad+hesse", "nfcn iminuit", "nfcn thetahat", "nfcn ratio",
                       "ms iminuit", "ms thetahat", "time ratio (median)",
                       "cpu ratio (median)"]))
    print()
    rows = []
    for label, f, start in [("bowl n=2", _bowl(2), np.zeros(2)),
                            ("bowl n=10", _bowl(10), np.zeros(10)),
                            ("bowl n=50", _bowl(50), np.zeros(50)),
                            ("bowl n=100", _bowl(100), np.zeros(100)),
                            ("rosenbrock", _rosen, np.array([-1.2, 1.0]))]:
        mt = _fit(TMinuit, f, start, hesse=False)
        mr = _fit(IMinuit, f, start, hesse=False)
        rows.append([label, mr.nfcn, mt.nfcn, mt.nfcn / mr.nfcn, mr.valid, mt.valid,
                     f"{mr.fval:.3g}", f"{mt.fval:.3g}"])
    print(table(rows, ["migrad", "nfcn iminuit", "nfcn thetahat", "ratio", "valid iminuit",
                       "valid thetahat", "fval iminuit", "fval thetahat"]))


if __name__ == "__main__":
    main()
