"""curve_fit wall time per fit, thetahat vs scipy, with the number of function evaluations.

Cases: the seed-001 straight line (11 points, 2 parameters, with covariance) and a
3-parameter Gaussian on 50 points. Target (issue 2): thetahat <= 1.0x scipy.

Run: ``.venv/bin/python benchmarks/run.py curve_fit``
"""

from __future__ import annotations

import numpy as np
import scipy.optimize as so

from _timing import best_time, table
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


def main() -> None:
    rng = np.random.default_rng(1)
    x1 = np.linspace(0, 1, 11)
    y1 = line(x1, 1.0, 2.0) + rng.normal(0, 0.1, 11)
    x2 = np.linspace(-3, 3, 50)
    y2 = gauss(x2, 2.0, 0.3, 0.8) + rng.normal(0, 0.05, 50)
    cases = [("line, 11 points", line, x1, y1, dict(p0=[1, 1], sigma=np.full(11, 0.1))),
             ("gauss, 50 points", gauss, x2, y2, dict(p0=[1, 0, 1])),
             ("gauss, 50 points, bounds", gauss, x2, y2,
              dict(p0=[1, 0, 1], bounds=([0, -1, 0.1], [10, 1, 5])))]
    rows = []
    for label, f, x, y, kw in cases:
        ct, cs = Counted(f), Counted(f)
        pt, _ = curve_fit(ct, x, y, **kw)
        ps, _ = so.curve_fit(cs, x, y, **kw)
        tt = best_time(lambda: curve_fit(f, x, y, **kw))
        ts = best_time(lambda: so.curve_fit(f, x, y, **kw))
        rows.append([label, ct.n, cs.n, tt * 1e6, ts * 1e6, tt / ts,
                     f"{np.max(np.abs(pt - ps) / np.abs(ps)):.1e}"])
    print(table(rows, ["case", "nfev thetahat", "nfev scipy", "us thetahat", "us scipy",
                       "time ratio", "max rel diff popt"]))


if __name__ == "__main__":
    main()
