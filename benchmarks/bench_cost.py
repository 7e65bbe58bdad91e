"""Seed 001's fits with thetahat (Minuit + thetahat.cost) against iminuit, in one run.

Cases: the seed's straight-line LeastSquares fit; its unbinned fit (1,400 events) and binned
fit (50 bins) of a Gaussian peak on a flat background; an exponential-plus-Gaussian
LeastSquares fit to a 30,000-event histogram. Each measurement is ``migrad()`` followed by
``hesse()`` from the same start. Columns: ``nfcn`` as each Minuit reports it, ``model``
the number of model evaluations counted by a wrapper around the user's function (the fair
count when a Gauss-Newton step evaluates the model once per parameter), wall time (best
of several runs) and the ratios thetahat / iminuit (< 1: thetahat better).

Run: ``.venv/bin/python benchmarks/run.py cost``
"""

from __future__ import annotations

from functools import partial

import numpy as np
from iminuit import Minuit as IMinuit
from iminuit import cost as ic
from scipy.stats import norm, uniform

from _timing import best_time, table
from thetahat import cost as tc

try:
    from thetahat import Minuit as TMinuit
except (ImportError, AttributeError):
    TMinuit = None


class Counted:
    """Wrap a model and count its calls (keeps the signature for introspection)."""

    def __init__(self, fn):
        self.fn = fn
        self.n = 0
        import inspect

        self.__signature__ = inspect.signature(fn)

    def __call__(self, *args):
        self.n += 1
        return self.fn(*args)


def line(x, m, c):
    return x * m + c


def mix_pdf(x, z, mu, sigma):
    return z * norm.pdf(x, mu, sigma) + (1 - z) * uniform.pdf(x, -1, 2)


def mix_cdf(x, z, mu, sigma):
    return z * norm.cdf(x, mu, sigma) + (1 - z) * uniform.cdf(x, -1, 2)


def exp_plus_gauss(x, A, B, C, D, mu, sigma):
    return A * np.exp(-(x - B) / C) + D * np.exp(-((x - mu) ** 2) / (2 * sigma**2))


def cases():
    rng = np.random.default_rng(0)
    x = np.linspace(0, 1, 11)
    y = line(x, 1.0, 2.0) + rng.normal(0, 0.1, 11)
    rng = np.random.default_rng(1)
    d = np.append(rng.normal(0.0, 0.1, 400), rng.uniform(-1, 1, 1000))
    n, xe = np.histogram(d, bins=50, range=(-1, 1))
    peak_limits = {"z": (0, 1), "mu": (-1, 1), "sigma": (0, None)}
    rng = np.random.default_rng(2)
    e = 90 + rng.exponential(25.0, 29000)
    e = np.append(e[e < 200], rng.normal(125.0, 2.0, 1000))
    h, he = np.histogram(e, bins=55, range=(90, 200))
    hc = 0.5 * (he[1:] + he[:-1])
    hy = np.sqrt(np.maximum(h, 1))
    eg_limits = {"A": (0, None), "C": (0, None), "D": (0, None), "sigma": (0, None)}
    return [
        ("line (11 points)", lambda mod, f: mod.LeastSquares(x, y, 0.1, f), line,
         dict(m=5.0, c=5.0), {}, ()),
        ("unbinned (1400 events)", lambda mod, f: mod.UnbinnedNLL(d, f), mix_pdf,
         dict(z=0.4, mu=0.0, sigma=0.2), peak_limits, ()),
        ("binned (50 bins)", lambda mod, f: mod.BinnedNLL(n, xe, f), mix_cdf,
         dict(z=0.4, mu=0.0, sigma=0.2), peak_limits, ()),
        ("exp+gauss LSQ (30k events)", lambda mod, f: mod.LeastSquares(hc, h, hy, f),
         exp_plus_gauss, dict(A=float(h[0]), B=90.0, C=25.0, D=200.0, mu=124.0, sigma=3.0),
         eg_limits, ("B",)),
    ]


def run(minuit_cls, mod, make, model, start, limits, fixed):
    f = Counted(model)
    m = minuit_cls(make(mod, f), **start)
    for k, v in limits.items():
        m.limits[k] = v
    for k in fixed:
        m.fixed[k] = True
    m.migrad()
    m.hesse()
    return m, f.n


def main() -> None:
    rows = []
    for name, make, model, start, limits, fixed in cases():
        mi, ni = run(IMinuit, ic, make, model, start, limits, fixed)
        ti = best_time(partial(run, IMinuit, ic, make, model, start, limits, fixed), repeat=5)
        if TMinuit is None:
            rows.append([name, mi.nfcn, "n/a", ni, "n/a", "n/a", f"{ti * 1e3:.2f}", "n/a", "n/a"])
            continue
        mt, nt = run(TMinuit, tc, make, model, start, limits, fixed)
        tt = best_time(partial(run, TMinuit, tc, make, model, start, limits, fixed), repeat=5)
        dev = np.abs(np.array(mt.values) - np.array(mi.values))
        free = ~np.array(mi.fixed)
        ok = "yes" if mt.valid and np.all(dev[free] < 0.01 * np.array(mi.errors)[free]) else "NO"
        rows.append([name, mi.nfcn, mt.nfcn, ni, nt, f"{nt / ni:.2f}", f"{ti * 1e3:.2f}",
                     f"{tt * 1e3:.2f}", f"{tt / ti:.2f}  agree={ok}"])
    print(table(rows, ["fit", "nfcn iminuit", "nfcn thetahat", "model iminuit",
                       "model thetahat", "model ratio", "ms iminuit", "ms thetahat",
                       "time ratio"]))
    if TMinuit is None:
        print("thetahat.Minuit is not available yet: only the iminuit reference was measured")


if __name__ == "__main__":
    main()
