"""thetahat.Minuit against iminuit in one run (issue 3).

1. Wall time of ``Minuit(...)`` + ``migrad()`` + ``hesse()`` on the seed's straight-line
   fit, once with a plain Python chi-square function (the variable-metric engine) and once
   with ``LeastSquares`` (the Gauss-Newton engine). Target: <= 0.5x iminuit.
2. Function calls to convergence (``nfcn`` after ``migrad()``, strategy 1, the same start
   and steps on both sides) on correlated quadratic bowls of 2, 10, 50, 100 parameters and
   on Rosenbrock. Target: <= 1.0x iminuit's nfcn.

Run: ``.venv/bin/python benchmarks/run.py minuit``
"""

from __future__ import annotations

import numpy as np
from iminuit import Minuit as IMinuit
from iminuit.cost import LeastSquares as ILeastSquares

from _timing import best_time, table
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
        tt, tr = best_time(run_t), best_time(run_r)
        rows.append([label, mr.nfcn, mt.nfcn, tr * 1e3, tt * 1e3, tt / tr])
    print(table(rows, ["migrad+hesse", "nfcn iminuit", "nfcn thetahat", "ms iminuit",
                       "ms thetahat", "time ratio"]))
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
