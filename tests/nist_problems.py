"""The NIST StRD nonlinear regression problems in ``tests/data/nist``: models and scoring.

Each ``.dat`` file gives the model formula (transcribed by hand below), two starting
points, the certified parameter values and the data. A fit is scored by the log relative
error of each parameter, LRE = -log10(|estimate - certified| / |certified|), the number of
correct significant digits, capped at 11 (the certified values have 11).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NIST_DIR = Path(__file__).resolve().parent / "data" / "nist"
PI = np.pi


def _model(name: str):
    """Residual model f(b, x) -> predicted y (or log y for Nelson)."""
    if name.startswith("Chwirut"):
        return lambda b, x: np.exp(-b[0] * x) / (b[1] + b[2] * x)
    if name == "DanWood":
        return lambda b, x: b[0] * x ** b[1]
    if name == "ENSO":
        return lambda b, x: (b[0] + b[1] * np.cos(2 * PI * x / 12) + b[2] * np.sin(2 * PI * x / 12)
                             + b[4] * np.cos(2 * PI * x / b[3]) + b[5] * np.sin(2 * PI * x / b[3])
                             + b[7] * np.cos(2 * PI * x / b[6]) + b[8] * np.sin(2 * PI * x / b[6]))
    if name.startswith("Gauss"):
        return lambda b, x: (b[0] * np.exp(-b[1] * x) + b[2] * np.exp(-(x - b[3]) ** 2 / b[4] ** 2)
                             + b[5] * np.exp(-(x - b[6]) ** 2 / b[7] ** 2))
    if name == "Hahn1":
        return lambda b, x: ((b[0] + b[1] * x + b[2] * x**2 + b[3] * x**3)
                             / (1 + b[4] * x + b[5] * x**2 + b[6] * x**3))
    if name == "Kirby2":
        return lambda b, x: (b[0] + b[1] * x + b[2] * x**2) / (1 + b[3] * x + b[4] * x**2)
    if name.startswith("Lanczos"):
        return lambda b, x: (b[0] * np.exp(-b[1] * x) + b[2] * np.exp(-b[3] * x)
                             + b[4] * np.exp(-b[5] * x))
    if name == "MGH17":
        return lambda b, x: b[0] + b[1] * np.exp(-x * b[3]) + b[2] * np.exp(-x * b[4])
    if name == "Misra1a":
        return lambda b, x: b[0] * (1 - np.exp(-b[1] * x))
    if name == "Misra1b":
        return lambda b, x: b[0] * (1 - (1 + b[1] * x / 2) ** (-2))
    if name == "Misra1c":
        return lambda b, x: b[0] * (1 - (1 + 2 * b[1] * x) ** (-0.5))
    if name == "Misra1d":
        return lambda b, x: b[0] * b[1] * x * ((1 + b[1] * x) ** (-1))
    if name == "Nelson":
        return lambda b, x: b[0] - b[1] * x[0] * np.exp(-b[2] * x[1])
    if name == "Roszman1":
        return lambda b, x: b[0] - b[1] * x - np.arctan(b[2] / (x - b[3])) / PI
    raise KeyError(name)


@dataclass(frozen=True)
class Problem:
    name: str
    starts: tuple[np.ndarray, np.ndarray]
    certified: np.ndarray
    x: np.ndarray  # (npoints,) or (k, npoints)
    y: np.ndarray

    def residuals(self, b: np.ndarray) -> np.ndarray:
        f = _model(self.name)(b, self.x)
        return (np.log(self.y) if self.name == "Nelson" else self.y) - f


def load(name: str) -> Problem:
    text = (NIST_DIR / f"{name}.dat").read_text().splitlines()
    s1, s2, cert = [], [], []
    data_at = None
    for i, line in enumerate(text):
        m = re.match(r"\s*b\d+\s*=\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", line)
        if m:
            s1.append(float(m.group(1)))
            s2.append(float(m.group(2)))
            cert.append(float(m.group(3)))
        if re.match(r"^Data:\s+y\s", line):
            data_at = i + 1
    rows = np.array([[float(v) for v in ln.split()] for ln in text[data_at:] if ln.strip()])
    y = rows[:, 0]
    x = rows[:, 1] if rows.shape[1] == 2 else rows[:, 1:].T
    return Problem(name, (np.array(s1), np.array(s2)), np.array(cert), x, y)


NAMES = sorted(p.stem for p in NIST_DIR.glob("*.dat"))
if len(NAMES) != 19:  # a missing data directory must fail loudly, not test nothing
    raise RuntimeError(f"expected the 19 NIST StRD files in {NIST_DIR}, found {len(NAMES)}")


def lre(estimate: np.ndarray, certified: np.ndarray) -> np.ndarray:
    """Correct significant digits of each parameter, capped at 11 (0 when wrong)."""
    est = np.asarray(estimate, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(est - certified) / np.abs(certified)
        out = np.where(rel == 0, 11.0, -np.log10(rel))
    out = np.where(np.isfinite(out), out, 0.0)
    return np.clip(out, 0.0, 11.0)
