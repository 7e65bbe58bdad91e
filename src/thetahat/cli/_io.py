"""Reading data files for the command line.

Formats
-------
- ``.npy``: a 1-D array (one unnamed column, ``"0"``) or a 2-D array whose columns are
  ``"0"``, ``"1"``, ...;
- ``.npz``: each stored 1-D array is a column named by its key;
- anything else is text: comma-separated when the first data line contains a comma,
  otherwise whitespace-separated. A first line that does not parse as numbers is a header
  giving the column names; lines starting with ``#`` are comments;
- ``-``: text from standard input.

Columns are chosen by name or by 0-based index (``--x energy`` or ``--x 0``).
Rows with a non-finite value in any *selected* column are dropped and counted, or are an
error in strict mode.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np


class DataError(ValueError):
    """A data file that cannot be used; its message is one line, meant for the user."""


@dataclass(frozen=True)
class Table:
    """Named numeric columns of equal length read from one file."""

    path: str
    names: tuple[str, ...]
    columns: tuple[np.ndarray, ...]

    def column(self, key: str) -> np.ndarray:
        """Column by name or 0-based index (given as a string, as on the command line)."""
        if key in self.names:
            return self.columns[self.names.index(key)]
        if key.lstrip("-").isdigit():
            i = int(key)
            if 0 <= i < len(self.columns):
                return self.columns[i]
            raise DataError(
                f"column index {i} is out of range: {self.path} has {len(self.columns)} "
                f"column(s) ({', '.join(self.names)})"
            )
        raise DataError(
            f"no column {key!r} in {self.path}; columns are: {', '.join(self.names)}"
        )


def read_table(path: str | Path, stdin: TextIO | None = None) -> Table:
    """Read a ``.npy``, ``.npz`` or text file into a :class:`Table`; ``"-"`` reads text
    from standard input (or from ``stdin`` when given)."""
    if str(path) == "-":
        text = (stdin or sys.stdin).read()
        return _parse_text(text, "<stdin>")
    p = Path(path)
    if not p.exists():
        raise DataError(f"file not found: {p}")
    if p.is_dir():
        raise DataError(f"{p} is a directory, not a data file")
    suffix = p.suffix.lower()
    if suffix in (".npy", ".npz"):
        return _read_numpy(p, suffix)
    return _read_text(p)


def _read_numpy(p: Path, suffix: str) -> Table:
    try:
        obj = np.load(p, allow_pickle=False)
    except Exception as e:  # numpy raises several types for corrupt files
        raise DataError(f"cannot read {p} as a numpy file: {e}") from None
    if suffix == ".npz":
        names = tuple(obj.files)
        cols = tuple(np.asarray(obj[k], dtype=float).ravel() for k in names)
    else:
        a = np.asarray(obj)
        if a.dtype.kind not in "biuf":
            raise DataError(f"{p} holds a {a.dtype} array; numbers are needed")
        a = a.astype(float)
        if a.ndim == 1:
            cols = (a,)
        elif a.ndim == 2:
            cols = tuple(a[:, j] for j in range(a.shape[1]))
        else:
            raise DataError(f"{p} holds a {a.ndim}-D array; a 1-D or 2-D array is needed")
        names = tuple(str(j) for j in range(len(cols)))
    if len({len(c) for c in cols}) > 1:
        raise DataError(f"the arrays in {p} have different lengths")
    return Table(str(p), names, cols)


def _read_text(p: Path) -> Table:
    try:
        text = p.read_text()
    except UnicodeDecodeError:
        raise DataError(f"{p} is not a text file (and not .npy/.npz)") from None
    except OSError as e:
        raise DataError(f"cannot read {p}: {e.strerror}") from None
    return _parse_text(text, str(p))


def _parse_text(text: str, p: str) -> Table:
    lines = [
        (n, line.strip())
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise DataError(f"{p} contains no data")
    sep = "," if "," in lines[0][1] else None

    def split(line: str) -> list[str]:
        return [f.strip() for f in line.split(sep)]

    first = split(lines[0][1])
    if all(_is_number(f) for f in first):
        names = tuple(str(j) for j in range(len(first)))
    else:
        names = tuple(f or str(j) for j, f in enumerate(first))
        lines = lines[1:]
        if not lines:
            raise DataError(f"{p} has a header but no data rows")
    rows = []
    for n, line in lines:
        fields = split(line)
        if len(fields) != len(names):
            raise DataError(
                f"{p}, line {n}: {len(fields)} field(s) where the file has {len(names)} columns"
            )
        try:
            rows.append([_to_float(f) for f in fields])
        except ValueError:
            bad = next(f for f in fields if not _is_number(f))
            col = names[fields.index(bad)]
            raise DataError(
                f"{p}, line {n}: column {col!r} has non-numeric value {bad!r}") from None
    a = np.array(rows, dtype=float)
    return Table(str(p), names, tuple(a[:, j] for j in range(a.shape[1])))


_MISSING = {"", "nan", "na", "n/a", "null", "none"}


def _to_float(field: str) -> float:
    if field.lower() in _MISSING:
        return math.nan
    return float(field)


def _is_number(field: str) -> bool:
    try:
        _to_float(field)
    except ValueError:
        return False
    return True


def drop_nonfinite(
    columns: dict[str, np.ndarray], strict: bool = False
) -> tuple[dict[str, np.ndarray], int]:
    """Remove rows where any of ``columns`` is NaN or infinite.

    Returns the cleaned columns and the number of rows dropped. In strict mode the first
    bad row is an error naming the column and the row (0-based, counting data rows).
    """
    ok = np.ones(len(next(iter(columns.values()))), dtype=bool)
    for name, col in columns.items():
        good = np.isfinite(col)
        if strict and not good.all():
            i = int(np.flatnonzero(~good)[0])
            raise DataError(f"column {name!r}, row {i}: value {col[i]} is not finite (--strict)")
        ok &= good
    dropped = int(ok.size - ok.sum())
    return {k: v[ok] for k, v in columns.items()}, dropped
