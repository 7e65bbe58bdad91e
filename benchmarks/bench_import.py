"""Import time and first-use latency of thetahat against iminuit and scipy (issue 17).

Each measurement is the wall time of a fresh interpreter, ``python -c STATEMENT``, from
process start to exit (so it includes the interpreter's own start-up, the same for both
libraries). The statements run in interleaved rounds (every statement once per round, in
turn) so that a load that comes and goes on a shared machine hits all of them alike; the
estimate is the median over ``ROUNDS`` rounds (default 15). The ratio column is
thetahat / reference for the matching statement (< 1: thetahat is faster). The baseline
row ``python -c pass`` shows how much of each time is the interpreter itself.

Two tables: the imports alone (``import thetahat`` against ``import iminuit``, ...), and a
user's script that runs one fit: the imports plus the first fit (the first call loads
whatever the fit needs: LAPACK, the compiled core, the cost's modules) for ``Minuit`` with
a ``LeastSquares``, a plain Python function and an ``UnbinnedNLL`` (migrad + hesse)
against iminuit, and for ``curve_fit``, ``least_squares`` and ``minimize`` against
``from scipy.optimize import ...`` and scipy's first call.

Bytecode: a wheel install (``pip install thetahat``) ships compiled ``.pyc`` files, as
iminuit's and scipy's do; an editable install under ``PYTHONDONTWRITEBYTECODE=1`` (as on
the development machines) would compile every thetahat module from source on every
import. The benchmark therefore first runs ``python -m compileall -q`` on the thetahat
package directory, so that both sides read cached bytecode.

OpenBLAS: every OpenBLAS that a process loads starts a pool of worker threads that spin
for a while; on a machine with few, shared cores that costs wall time of its own. numpy
loads its OpenBLAS for both sides; a thetahat fit also loads scipy's (its LAPACK
wrappers), which iminuit never does. ``OPENBLAS_NUM_THREADS=1`` removes the pools from the
comparison and leaves the libraries' own costs.

Run: ``.venv/bin/python benchmarks/run.py import`` (``ROUNDS=31`` for a steadier median).
For where the time goes: ``.venv/bin/python -X importtime -c "import thetahat"``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from _timing import table

# (label, thetahat statement, reference statement it is compared with)
CASES = [
    ("import", "import thetahat", "import iminuit"),
    ("Minuit", "from thetahat import Minuit", "from iminuit import Minuit"),
    ("cost", "from thetahat.cost import LeastSquares", "from iminuit.cost import LeastSquares"),
    ("curve_fit", "from thetahat import curve_fit", "from scipy.optimize import curve_fit"),
]

_DATA = "import numpy as np\nx = np.linspace(0, 1, 11)\ny = 1 + 2 * x + 0.01 * np.sin(7 * x)\n"
_LSQ = ("from {lib} import Minuit\nfrom {lib}.cost import LeastSquares\n" + _DATA
        + "m = Minuit(LeastSquares(x, y, 0.1, lambda x, a, b: a + b * x), a=0, b=0)\n"
        "m.migrad(); m.hesse()")
_FCN = ("from {lib} import Minuit\n" + _DATA
        + "def f(a, b):\n    return (a - 1) ** 2 + 10 * (b - a * a) ** 2\n"
        "m = Minuit(f, a=0, b=0)\nm.migrad(); m.hesse()")
_NLL = ("from {lib} import Minuit\nfrom {lib}.cost import UnbinnedNLL\n" + _DATA
        + "d = np.random.default_rng(1).normal(0.5, 2.0, 1000)\n"
        "def pdf(x, mu, s):\n"
        "    return np.exp(-0.5 * ((x - mu) / s) ** 2) / (s * np.sqrt(2 * np.pi))\n"
        "m = Minuit(UnbinnedNLL(d, pdf), mu=0, s=1)\nm.limits['s'] = (0, None)\n"
        "m.migrad(); m.hesse()")
_CURVE_FIT = ("from {lib} import curve_fit\n" + _DATA
              + "curve_fit(lambda x, a, b: a + b * x, x, y, p0=[0, 0])")
_LEAST_SQUARES = ("from {lib} import least_squares\n" + _DATA
                  + "least_squares(lambda p: p[0] + p[1] * x - y, [0.0, 0.0])")
_MINIMIZE = ("from {lib} import minimize\n" + _DATA
             + "minimize(lambda p: (p[0] - 1) ** 2 + 10 * (p[1] - p[0] ** 2) ** 2, [0.0, 0.0])")

# a script that runs one fit: (label, thetahat script, reference script)
FIRST_FIT = [
    ("Minuit(LeastSquares)", _LSQ.format(lib="thetahat"), _LSQ.format(lib="iminuit")),
    ("Minuit(function)", _FCN.format(lib="thetahat"), _FCN.format(lib="iminuit")),
    ("Minuit(UnbinnedNLL)", _NLL.format(lib="thetahat"), _NLL.format(lib="iminuit")),
    ("curve_fit", _CURVE_FIT.format(lib="thetahat"), _CURVE_FIT.format(lib="scipy.optimize")),
    ("least_squares", _LEAST_SQUARES.format(lib="thetahat"),
     _LEAST_SQUARES.format(lib="scipy.optimize")),
    ("minimize", _MINIMIZE.format(lib="thetahat"), _MINIMIZE.format(lib="scipy.optimize")),
]


def _wall(statement: str, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True, env=env)
    return time.perf_counter() - t0


def medians(statements: list[str], rounds: int, env: dict[str, str]) -> dict[str, float]:
    """Median wall time of ``python -c s`` for each ``s``, over interleaved rounds."""
    for s in statements:
        _wall(s, env)  # warm the caches (bytecode, shared libraries)
    times: dict[str, list[float]] = {s: [] for s in statements}
    for _ in range(rounds):
        for s in statements:
            times[s].append(_wall(s, env))
    return {s: statistics.median(t) for s, t in times.items()}


def report(title: str, cases: list[tuple[str, str, str]], rounds: int,
           env: dict[str, str]) -> None:
    statements = ["pass"] + [s for _, a, b in cases for s in (a, b)]
    med = medians(statements, rounds, env)
    rows: list[list[object]] = [["python -c pass", med["pass"] * 1e3, "", ""]]
    for label, ours, ref in cases:
        rows.append([label, med[ours] * 1e3, med[ref] * 1e3, med[ours] / med[ref]])
    print(f"\n{title}: median wall time of a fresh `python -c ...`, {rounds} interleaved rounds")
    print(table(rows, ["statement", "thetahat ms", "reference ms", "ratio"]))


def compile_package() -> None:
    """Write the bytecode of every thetahat module, as a wheel install has it."""
    import thetahat

    subprocess.run([sys.executable, "-m", "compileall", "-q",
                    os.path.dirname(thetahat.__file__)], check=True)


def main() -> None:
    rounds = int(os.environ.get("ROUNDS", "15"))
    compile_package()
    env = dict(os.environ)
    report("import", CASES, rounds, env)
    report("import + first fit", FIRST_FIT, rounds, env)
    print("references: iminuit 2.x for import / Minuit / cost and the Minuit fits; "
          "`from scipy.optimize import ...` and scipy's first call for curve_fit, "
          "least_squares, minimize")


if __name__ == "__main__":
    main()
