"""curve_fit wall time per fit, thetahat vs scipy, with the number of function evaluations.

Cases: the seed-001 straight line (11 points, 2 parameters, with covariance), a
3-parameter Gaussian on 50 points (also with bounds, with its analytic Jacobian as a
callable ``jac``, and with correlated errors given as a 2-D ``sigma``).
Target (issues 2, 16): thetahat <= 1.0x scipy. Times are medians of 15 interleaved rounds
(``_timing.interleaved``: a load that comes and goes hits both alike).

Run: ``.venv/bin/python benchmarks/run.py curve_fit``
"""

from __future__ import annotations

from functools import partial

import numpy as np
import scipy.optimize as so

from _timing import interleaved, table
from thetahat import curve_fit


class Counted:
    def __init__(self, f):
        self.f = f
        self.n = 0

    def __call__(self, x, *p):
        self.n += 1
        return self.f(x, *p)


def line(x, a, b):
    return a + b * x


def gauss(x, a, mu, s):
    return a * np.exp(-((x - mu) ** 2) / (2 * s * s))


def gauss_jac(x, a, mu, s):
    e = np.exp(-((x - mu) ** 2) / (2 * s * s))
    return np.stack([e, a * e * (x - mu) / s**2, a * e * (x - mu) ** 2 / s**3], axis=1)


def main() -> None:
    rng = np.random.default_rng(1)
    x1 = np.linspace(0, 1, 11)
    y1 = line(x1, 1.0, 2.0) + rng.normal(0, 0.1, 11)
    x2 = np.linspace(-3, 3, 50)
    y2 = gauss(x2, 2.0, 0.3, 0.8) + rng.normal(0, 0.05, 50)
    # correlated errors: AR(1) covariance with rho = 0.5, sigma 0.05 (a 2-D sigma)
    lag = np.abs(np.subtract.outer(np.arange(50), np.arange(50)))
    cov = 0.05**2 * 0.5**lag
    y3 = gauss(x2, 2.0, 0.3, 0.8) + np.linalg.cholesky(cov) @ rng.normal(size=50)
    cases = [("line, 11 points", line, x1, y1, dict(p0=[1, 1], sigma=np.full(11, 0.1))),
             ("gauss, 50 points, 2-D sigma", gauss, x2, y3, dict(p0=[1, 0, 1], sigma=cov)),
             ("gauss, 50 points", gauss, x2, y2, dict(p0=[1, 0, 1])),
             ("gauss, 50 points, callable jac", gauss, x2, y2, dict(p0=[1, 0, 1], jac=gauss_jac)),
             ("gauss, 50 points, bounds", gauss, x2, y2,
              dict(p0=[1, 0, 1], bounds=([0, -1, 0.1], [10, 1, 5])))]
    rows = []
    for label, f, x, y, kw in cases:
        ct, cs = Counted(f), Counted(f)
        pt, _ = curve_fit(ct, x, y, **kw)
        ps, _ = so.curve_fit(cs, x, y, **kw)
        t = interleaved({"ours": partial(curve_fit, f, x, y, **kw),
                         "scipy": partial(so.curve_fit, f, x, y, **kw)}, rounds=15)
        tt, ts = t["ours"], t["scipy"]
        rows.append([label, ct.n, cs.n, tt * 1e6, ts * 1e6, tt / ts,
                     f"{np.max(np.abs(pt - ps) / np.abs(ps)):.1e}"])
    print(table(rows, ["case", "nfev thetahat", "nfev scipy", "us thetahat", "us scipy",
                       "time ratio", "max rel diff popt"]))
    print()
    _batch()


def _batch(B: int = 10000) -> None:
    """Many small fits in one call: the batch-native LM vs a loop of scipy curve_fit."""
    import time

    from thetahat.solvers.levmar import LMOptions, levmar_batch
    rng = np.random.default_rng(7)
    t = np.linspace(0, 5, 30)
    a = rng.uniform(1, 5, B)
    k = rng.uniform(0.2, 2.0, B)
    Y = a[:, None] * np.exp(-k[:, None] * t) + rng.normal(0, 0.02, (B, t.size))

    def fun_b(X):
        return X[:, :1] * np.exp(-X[:, 1:2] * t) - Y

    def jac_b(X, F):
        e = np.exp(-X[:, 1:2] * t)
        return np.stack([e, -X[:, :1] * t * e], axis=2)

    X0 = np.ones((B, 2))
    t0 = time.perf_counter()
    r = levmar_batch(fun_b, jac_b, X0, LMOptions())
    tb = time.perf_counter() - t0
    nsub = 300
    t0 = time.perf_counter()
    for i in range(nsub):
        so.curve_fit(lambda x, a, k: a * np.exp(-k * x), t, Y[i], p0=[1, 1])
    ts = (time.perf_counter() - t0) / nsub * B
    print(table([[B, f"{tb:.2f}", f"{ts:.2f}", f"{tb / ts:.3f}", int(r.success.sum())]],
                ["fits (2 params, 30 points)", "s levmar_batch", "s scipy loop (extrapolated)",
                 "time ratio", "converged"]))


if __name__ == "__main__":
    main()
