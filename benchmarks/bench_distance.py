"""How close MIGRAD's final point is to the true minimum, thetahat against iminuit.

For each problem, ``migrad()`` (strategy 1, the default tolerance, the same start) on both
sides, and a reference minimum: the closed form for the straight-line least-squares fit,
otherwise iminuit at ``tol=1e-10`` and strategy 2, run twice. Columns: the calls
(``nfcn``) and their ratio thetahat / iminuit, the distance in the cost
``|fval - fval_true|`` (MIGRAD's EDM goal is 2e-4 · errordef) and the largest distance of
a parameter in units of its error, ``max |x - x_true| / error``.

Run: ``.venv/bin/python benchmarks/run.py distance``
"""

from __future__ import annotations

from functools import partial

import numpy as np
from iminuit import Minuit as IMinuit
from iminuit import cost as ic

from _timing import table
from bench_cost import cases
from bench_minuit import _bowl, _rosen
from thetahat import Minuit as TMinuit
from thetahat import cost as tc


def _setup(m, limits, fixed, errordef):
    if errordef is not None:
        m.errordef = errordef
    for k, v in limits.items():
        m.limits[k] = v
    for k in fixed:
        m.fixed[k] = True
    return m


def _line_truth(x, y, yerr):
    """Weighted linear least squares in closed form: (χ²_min, [m, c])."""
    a = np.column_stack([x, np.ones_like(x)]) / yerr[:, None]
    p = np.linalg.lstsq(a, y / yerr, rcond=None)[0]
    return float(np.sum((a @ p - y / yerr) ** 2)), p


def problems():
    """(label, make(minuit_cls, cost_module) -> Minuit, truth or None)."""
    out = []
    for name, make, model, start, limits, fixed in cases():
        def build(M, mod, make=make, model=model, start=start, limits=limits, fixed=fixed):
            return _setup(M(make(mod, model), **start), limits, fixed, None)
        out.append((name, build, None))
    # the seed's straight line as a plain Python chi-square (variable-metric engine)
    rng = np.random.default_rng(1)
    x = np.linspace(0, 1, 11)
    yerr = np.full(11, 0.1)
    y = 1.0 * x + 2.0 + rng.normal(0, yerr)

    def chi2(m, c):
        return float(np.sum(((y - (m * x + c)) / yerr) ** 2))

    out.append(("line, plain function",
                lambda M, mod: _setup(M(chi2, m=5.0, c=5.0), {}, (), 1.0),
                _line_truth(x, y, yerr)))
    for n in (2, 10):
        f = _bowl(n)
        out.append((f"bowl n={n}",
                    lambda M, mod, f=f, n=n: _setup(M(f, np.zeros(n)), {}, (), 1.0), None))
    out.append(("rosenbrock",
                lambda M, mod: _setup(M(_rosen, np.array([-1.2, 1.0])), {}, (), 1.0), None))
    return out


def _reference(build):
    m = build(IMinuit, ic)
    m.strategy = 2
    m.tol = 1e-10
    m.migrad()
    m.migrad()
    return float(m.fval), np.array(m.values)


def main() -> None:
    rows = []
    for label, build, truth in problems():
        ftrue, xtrue = truth if truth is not None else _reference(build)
        cells = [label]
        dist = []
        ncalls = []
        for M, mod in ((IMinuit, ic), (TMinuit, tc)):
            m = partial(build, M, mod)()
            m.migrad()
            free = ~np.array(m.fixed)
            err = np.array(m.errors)[free]
            dx = np.abs(np.array(m.values)[free] - np.asarray(xtrue)[free]) / err
            dist.append((abs(float(m.fval) - ftrue), float(np.max(dx))))
            ncalls.append(m.nfcn)
        cells += [ncalls[0], ncalls[1], f"{ncalls[1] / ncalls[0]:.2f}",
                  f"{dist[0][0]:.1e}", f"{dist[1][0]:.1e}",
                  f"{dist[0][1]:.1e}", f"{dist[1][1]:.1e}"]
        rows.append(cells)
    print(table(rows, ["migrad (strategy 1)", "nfcn iminuit", "nfcn thetahat", "ratio",
                       "|df| iminuit", "|df| thetahat", "max|dx|/err iminuit",
                       "max|dx|/err thetahat"]))


if __name__ == "__main__":
    main()
