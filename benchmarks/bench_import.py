"""Import time of thetahat against iminuit (issue 17).

Each measurement is the wall time of a fresh interpreter, ``python -c STATEMENT``, from
process start to exit (so it includes the interpreter's own start-up, the same for both
libraries). The statements run in interleaved rounds (every statement once per round, in
turn) so that a load that comes and goes on a shared machine hits all of them alike; the
estimate is the median over ``ROUNDS`` rounds (default 15). The ratio column is
thetahat / iminuit for the matching statement (< 1: thetahat imports faster). The
baseline row ``python -c pass`` shows how much of each time is the interpreter itself.

Bytecode: a wheel install (``pip install thetahat``) ships compiled ``.pyc`` files, as
iminuit's does; an editable install under ``PYTHONDONTWRITEBYTECODE=1`` (as on the
development machines) compiles every thetahat module from source on every import, while
iminuit's ``.pyc`` are read. The first table therefore gives both libraries cached
bytecode in one fresh ``PYTHONPYCACHEPREFIX`` (the like-for-like comparison); the second
repeats the measurement in the inherited environment (``BYTECODE=env`` prints only that
one, ``BYTECODE=cached`` only the first).

Run: ``.venv/bin/python benchmarks/run.py import`` (``ROUNDS=31`` for a steadier median).
For where the time goes: ``.venv/bin/python -X importtime -c "import thetahat"``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

from _timing import table

# (label, thetahat statement, iminuit statement it is compared with)
CASES = [
    ("import", "import thetahat", "import iminuit"),
    ("Minuit", "from thetahat import Minuit", "from iminuit import Minuit"),
    ("cost", "from thetahat.cost import LeastSquares", "from iminuit.cost import LeastSquares"),
    ("curve_fit", "from thetahat import curve_fit", "from scipy.optimize import curve_fit"),
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


def report(title: str, rounds: int, env: dict[str, str]) -> None:
    statements = ["pass"] + [s for _, a, b in CASES for s in (a, b)]
    med = medians(statements, rounds, env)
    rows: list[list[object]] = [["python -c pass", med["pass"] * 1e3, "", ""]]
    for label, ours, ref in CASES:
        rows.append([label, med[ours] * 1e3, med[ref] * 1e3, med[ours] / med[ref]])
    print(f"\n{title}: median wall time of a fresh `python -c ...`, {rounds} interleaved rounds")
    print(table(rows, ["statement", "thetahat ms", "reference ms", "ratio"]))


def main() -> None:
    rounds = int(os.environ.get("ROUNDS", "15"))
    mode = os.environ.get("BYTECODE", "both")
    if mode in ("both", "cached"):
        with tempfile.TemporaryDirectory() as prefix:
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            env["PYTHONPYCACHEPREFIX"] = prefix
            report("cached bytecode for both (as installed from wheels)", rounds, env)
    if mode in ("both", "env"):
        report("inherited environment (PYTHONDONTWRITEBYTECODE="
               f"{os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r})", rounds, dict(os.environ))
    print("references: iminuit 2.x for import / Minuit / cost; "
          "`from scipy.optimize import curve_fit` for curve_fit")


if __name__ == "__main__":
    main()
