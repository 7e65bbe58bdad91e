"""``thetahat models``: the model names the command line and ``thetahat.fit`` accept.

One line per model (aliases together): its names, its parameters and its formula (the
model's ``formula`` attribute, else the first line of its docstring). Curve models are
fitted to (x, y) data; densities to events (normalised on the fit range).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["main_models"]


def _describe(obj: Any) -> str:
    formula = getattr(obj, "formula", None)
    if isinstance(formula, str) and formula:
        return formula.replace("``", "")
    doc = (type(obj).__doc__ or "").strip()
    return doc.splitlines()[0].replace("``", "") if doc else ""


def _groups(table: dict[str, Any], make: Any) -> list[tuple[list[str], Any]]:
    """(names, instance) per model class, names in the registry's order."""
    by_class: dict[Any, list[str]] = {}
    for name, cls in table.items():
        by_class.setdefault(cls, []).append(name)
    return [(names, make(cls)) for cls, names in by_class.items()]


def _lines(groups: list[tuple[list[str], Any]], poly: tuple[str, str, str]) -> list[str]:
    rows = [(", ".join(names), ", ".join(getattr(obj, "parameters", ())), _describe(obj))
            for names, obj in groups]
    rows.append(poly)
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    return [f"  {r[0]:<{w0}}  {r[1]:<{w1}}  {r[2]}".rstrip() for r in rows]


def main_models(argv: Sequence[str]) -> int:
    """Print the models; ``--help`` says what the listing is."""
    if list(argv) and argv[0] in ("-h", "--help"):
        print("usage: thetahat models\n\nList the model names that 'thetahat fit --model' "
              "accepts, with their parameters and formulas. Names can be added: "
              '"expo+gauss" fits the sum.')
        return 0
    if list(argv):
        print(f"thetahat models: unexpected argument {argv[0]!r}", file=sys.stderr)
        return 2
    from .. import models as mod

    print("curve models (for --x/--y data; x is the variable):")
    curves = _groups(mod._CURVES, lambda cls: cls())
    poly = ("poly<n>, pol<n>", "c0, ..., c<n>", "polynomial c0 + c1 x + ... + c<n> x^n")
    for line in _lines(curves, poly):
        print(line)
    print("\ndensities (for --events data, normalised on the fit range):")
    dens = _groups(mod._DENSITIES, lambda cls: cls((0.0, 1.0)))
    poly = ("poly<n>, pol<n>", "a1, ..., a<n>", "Legendre series of degree n (n >= 1)")
    for line in _lines(dens, poly):
        print(line)
    return 0
