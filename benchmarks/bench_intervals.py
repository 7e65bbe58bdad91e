"""MINOS and MNCONTOUR of thetahat against iminuit in one run.

For each seed-001 problem (straight-line chi2, unbinned and binned Gaussian peak on a
flat background with limits) both libraries fit from the same start, then we time

1. ``minos()`` on all parameters (rounds of thetahat and iminuit alternating: the medians
   of the times and of the per-round ratios) and count the cost calls it used (``nfcn``
   summed over the ``MError`` entries);
2. ``mncontour`` of the first two parameters with ``size=40``;
3. the interval algorithms alone, driven by an iminuit-based ``refit`` closure, so the
   number of refits (not the engine) is measured;
4. the straight line with a plain Python chi-square function (the variable-metric engine,
   compiled when the core is built): ``minos()``, ``mnprofile`` (size 30) and
   ``mncontour`` (size 40), 41 rounds of thetahat and iminuit alternating, timed by this
   process's CPU clock (a shared machine's load disturbs it less than the wall clock),
   the median of the per-round ratios (target <= 1.0, issue 17).

Key columns: ``ratio`` = thetahat / iminuit (< 1: thetahat faster or fewer calls).

Run: ``.venv/bin/python benchmarks/run.py intervals``
"""

from __future__ import annotations

import time
from functools import partial
from types import SimpleNamespace

import numpy as np
from scipy import stats

from _timing import best_time, table


def line(x, m, c):
    return m * x + c


def pdf(x, z, mu, sigma):
    return z * stats.norm.pdf(x, mu, sigma) + (1 - z) * 0.5


def cdf(xe, z, mu, sigma):
    return z * stats.norm.cdf(xe, mu, sigma) + (1 - z) * (xe + 1) / 2


def _peak():
    rng = np.random.default_rng(1)
    return np.append(rng.normal(0.0, 0.1, 400), rng.uniform(-1, 1, 1000))


def problems(costmod):
    x = np.linspace(0, 1, 11)
    y = line(x, 1.0, 2.0) + np.random.default_rng(0).normal(0, 0.1, 11)
    xs = _peak()
    n, xe = np.histogram(xs, bins=50, range=(-1, 1))
    lim = dict(z=(0, 1), mu=(-1, 1), sigma=(0, None))
    return {
        "line": (costmod.LeastSquares(x, y, 0.1, line), dict(m=5.0, c=5.0), {}),
        "unbinned": (costmod.UnbinnedNLL(xs, pdf), dict(z=0.4, mu=0.0, sigma=0.2), lim),
        "binned": (costmod.BinnedNLL(n, xe, cdf), dict(z=0.4, mu=0.0, sigma=0.2), lim),
    }


def fitted(M, cost, start, limits):
    m = M(cost, **start)
    for k, v in limits.items():
        m.limits[k] = v
    m.migrad()
    m.hesse()
    return m


def iminuit_refit(m, cost):
    """refit closure for the pure interval functions, from iminuit's Minuit."""
    from iminuit import Minuit

    errors, limits, names = np.array(m.errors), list(m.limits), m.parameters
    counter = SimpleNamespace(refits=0)

    def refit(fixed, start):
        counter.refits += 1
        mm = Minuit(cost, *start, name=names)
        mm.errors, mm.limits = errors, limits
        for i, v in fixed.items():
            mm.values[i] = v
            mm.fixed[i] = True
        mm.migrad()
        return SimpleNamespace(fval=mm.fval, values=np.array(mm.values), valid=mm.valid,
                               nfcn=mm.nfcn)

    return refit, counter


def main() -> None:
    import iminuit.cost as icost
    from iminuit import Minuit as IMinuit

    import thetahat.cost as tcost
    from bench_minuit import interleaved, median_ratio
    from thetahat import Minuit as TMinuit
    from thetahat.intervals.minos import minos_one

    tp, ip = problems(tcost), problems(icost)
    rows = []
    for name in tp:
        mt = fitted(TMinuit, *tp[name])
        mi = fitted(IMinuit, *ip[name])
        tt_r, ti_r = interleaved([mt.minos, mi.minos], rounds=9)
        tt, ti, ratio = float(np.median(tt_r)), float(np.median(ti_r)), \
            median_ratio(tt_r, ti_r)
        nt = sum(e.nfcn for e in mt.merrors.values())
        ni = sum(e.nfcn for e in mi.merrors.values())
        # interval ends (not offsets: the two MIGRAD minima differ within their EDM)
        # compared in units of the parabolic error
        dev = max(max(abs(mt.values[k] + mt.merrors[k].lower - mi.values[k]
                          - mi.merrors[k].lower),
                      abs(mt.values[k] + mt.merrors[k].upper - mi.values[k]
                          - mi.merrors[k].upper)) / mi.errors[k]
                  for k in mi.parameters)
        rows.append([name, "minos", tt * 1e3, ti * 1e3, ratio, nt, ni, nt / ni, dev])
        a, b = mi.parameters[:2]
        tt = best_time(partial(mt.mncontour, a, b, size=40), repeat=3)
        ti = best_time(partial(mi.mncontour, a, b, size=40), repeat=3)
        n0 = mt.nfcn
        mt.mncontour(a, b, size=40)
        nt = mt.nfcn - n0
        n0 = mi.nfcn
        mi.mncontour(a, b, size=40)
        ni = mi.nfcn - n0
        rows.append([name, "mncontour", tt * 1e3, ti * 1e3, tt / ti, nt or "n/a", ni,
                     nt / ni if nt else "n/a", ""])
    print("thetahat.Minuit vs iminuit (time in ms; dev = max difference of interval ends / error)")
    print(table(rows, ["problem", "call", "thetahat", "iminuit", "ratio", "nfcn th",
                       "nfcn im", "nfcn ratio", "dev"]))

    # the algorithm alone on iminuit refits: refits per interval
    rows = []
    for name in ip:
        mi = fitted(IMinuit, *ip[name])
        refit, counter = iminuit_refit(mi, ip[name][0])
        lim = [(float(a), float(b)) for a, b in mi.limits]
        vals, errs = np.array(mi.values), np.array(mi.errors)

        def run(mi=mi, refit=refit, vals=vals, errs=errs, lim=lim):
            for i in range(mi.npar):
                minos_one(refit, index=i, values=vals, errors=errs, limits=lim,
                          fval=mi.fval, errordef=mi.errordef, cov=np.array(mi.covariance))

        t_alg = best_time(run, repeat=3)
        counter.refits = 0
        run()
        refits = counter.refits
        ti = best_time(mi.minos, repeat=3)
        rows.append([name, mi.npar, refits, refits / (2 * mi.npar), t_alg * 1e3, ti * 1e3])
    print("\nminos_one driven by iminuit refits (one fresh iminuit.Minuit per refit)")
    print(table(rows, ["problem", "npar", "refits", "refits/side", "time ms",
                       "iminuit minos ms"]))
    plain_line()


def plain_line() -> None:
    """Section 4 of the module docstring."""
    from iminuit import Minuit as IMinuit

    from bench_minuit import interleaved, median_ratio
    from thetahat import Minuit as TMinuit

    x = np.linspace(0, 1, 11)
    y = line(x, 1.0, 2.0) + np.random.default_rng(0).normal(0, 0.1, 11)

    def chi2(m, c):
        return float(np.sum(((y - (m * x + c)) / 0.1) ** 2))

    def fitted_plain(M):
        m = M(chi2, m=5.0, c=5.0)
        m.errordef = 1
        m.migrad()
        m.hesse()
        return m

    mt, mi = fitted_plain(TMinuit), fitted_plain(IMinuit)
    calls = {"minos": lambda m: m.minos(),
             "mnprofile": lambda m: m.mnprofile("m", size=30),
             "mncontour": lambda m: m.mncontour("m", "c", size=40)}
    rows = []
    for name, call in calls.items():
        n0t, n0i = mt.nfcn, mi.nfcn
        call(mt)
        call(mi)
        nt, ni = mt.nfcn - n0t, mi.nfcn - n0i
        tt, ti = interleaved([partial(call, mt), partial(call, mi)], rounds=41,
                             min_time=0.02, clock=time.process_time)
        rows.append([name, np.median(tt) * 1e3, np.median(ti) * 1e3, median_ratio(tt, ti),
                     nt, ni, nt / ni if ni else "n/a"])
    print("\nline with a plain Python chi-square (time in ms, medians of interleaved rounds)")
    print(table(rows, ["call", "thetahat", "iminuit", "ratio", "nfcn th", "nfcn im",
                       "nfcn ratio"]))


if __name__ == "__main__":
    main()
