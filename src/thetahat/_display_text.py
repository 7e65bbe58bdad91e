"""The text tables of a fit (``print(m)``): box-drawing tables of the function minimum,
the parameters, the MINOS errors and the covariance matrix, in iminuit's layouts
(:mod:`thetahat.display` describes them; the cells come from :mod:`._display_cells`).

Each function's ``__module__`` is ``thetahat.display``, the module users import it from
and the reference documents it in; its example uses the fit made in that module's
docstring.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ._display_cells import (
    _PARAM_HEADER,
    GOOD,
    _error_note,
    _fmin_cells,
    _matrix_cells,
    _param_row,
    pdg_format,
)


def _box(rows: list[list[str]], header: list[str] | None = None,
         align: Sequence[str] | None = None) -> str:
    """A box-drawing table; ``align`` per column: '<', '>' or '^'."""
    allrows = ([header] if header else []) + rows
    ncol = max(len(r) for r in allrows)
    allrows = [r + [""] * (ncol - len(r)) for r in allrows]
    w = [max(len(r[i]) for r in allrows) for i in range(ncol)]
    align = list(align or ["^"] * ncol)

    def line(left: str, mid: str, right: str) -> str:
        return left + mid.join("─" * (x + 2) for x in w) + right

    def fmt(r: list[str]) -> str:
        return "│" + "│".join(f" {c:{a}{x}} " for c, a, x in zip(r, align, w)) + "│"

    out = [line("┌", "┬", "┐")]
    if header:
        out += [fmt(header), line("├", "┼", "┤")]
    out += [fmt(r) for r in rows]
    out.append(line("└", "┴", "┘"))
    return "\n".join(out)


def fmin_text(fmin: Any) -> str:
    """The function-minimum block as text.

    Parameters
    ----------
    fmin : thetahat.results.FMin
        The function minimum, as ``Minuit.fmin``.

    Returns
    -------
    str
        Plain text (box-drawing table).

    Examples
    --------
    With ``m`` the line fit of the module's example:

    >>> t = fmin_text(m.fmin)
    >>> t.splitlines()[1].strip("│ "), "Valid Minimum" in t, "Hesse ok" in t
    ('Migrad', True, True)
    """
    cells, fcn, edm = _fmin_cells(fmin)
    t = getattr(fmin, "time", None)
    right1 = f"Nfcn = {fmin.nfcn}"
    right2 = f"time = {t * 1e3:.1f} ms" if t else ""
    if len(cells) % 2:
        cells.append(("", GOOD))
    rows = [[fcn, right1], [edm, right2]]
    body = [[a[0], b[0]] for a, b in zip(cells[::2], cells[1::2])]
    w = max(34, max(len(c) for r in rows + body for c in r))
    inner = 2 * (w + 2) + 1
    title = f"│{fmin.algorithm:^{inner}}│"
    top = "┌" + "─" * inner + "┐"
    sep = "├" + "─" * (w + 2) + "┼" + "─" * (w + 2) + "┤"
    out = [top, title, "├" + "─" * (w + 2) + "┬" + "─" * (w + 2) + "┤"]
    out += [f"│ {a:<{w}} │ {b:^{w}} │" for a, b in rows]
    for a, b in body:
        out += [sep, f"│ {a:^{w}} │ {b:^{w}} │"]
    out.append("└" + "─" * (w + 2) + "┴" + "─" * (w + 2) + "┘")
    return "\n".join(out)


def params_text(params: Iterable[Any], fmin: Any = None) -> str:
    """The parameter table as text.

    With the fit's ``fmin`` given and HESSE failed (or no covariance), the HESSE errors of
    the free parameters are left blank (the numbers would be step sizes, as in
    :func:`params_html`) and a line under the table says why.

    Parameters
    ----------
    params : iterable of thetahat.results.Param
        The parameters, as ``Minuit.params``.
    fmin : thetahat.results.FMin, optional
        The function minimum; when given, errors of a failed HESSE are not shown.

    Returns
    -------
    str
        Plain text (box-drawing table).

    Examples
    --------
    The errors of ``m``, the line fit of the module's example, are the closed form
    ``0.1 sqrt(diag((X^T X)^-1))`` = 0.091, 0.071:

    >>> print(params_text(m.params).splitlines()[3])
    │ 0 │ a    │ 1.00  │    0.09     │              │              │        │        │       │
    """
    failed = fmin is not None and (fmin.hesse_failed or not fmin.has_covariance)
    rows = []
    for p in params:
        row = _param_row(p)
        if failed and not p.is_fixed:
            row[3] = ""  # a step size, not a standard deviation
        rows.append(row)
    table = _box(rows, _PARAM_HEADER, ["<", "<", "^", "^", "^", "^", "^", "^", "^"])
    note = _error_note(fmin) if failed else None
    return table if note is None else f"{table}\n{note}"


def merrors_text(merrors: Any) -> str:
    """The MINOS table as text: one column pair (lower, upper) per parameter.

    Parameters
    ----------
    merrors : thetahat.results.MErrors
        The MINOS errors, as ``Minuit.merrors``.

    Returns
    -------
    str
        Plain text (box-drawing table).

    Examples
    --------
    With ``m`` the line fit of the module's example:

    >>> print(merrors_text(m.minos().merrors).splitlines()[3])  # symmetric: linear
    │ Error    │ -0.09 │ 0.09  │ -0.07 │ 0.07  │
    """
    items = list(merrors.values())
    header = [""]
    rows = {k: [k] for k in ("Error", "Valid", "At Limit", "Max FCN", "New Min")}
    for e in items:
        header += [f"{e.name} -", f"{e.name} +"]
        lo, up = pdg_format(abs(e.lower) + abs(e.upper), e.lower, e.upper)[1:]
        rows["Error"] += [lo, up]
        rows["Valid"] += [str(e.lower_valid), str(e.upper_valid)]
        rows["At Limit"] += [str(e.at_lower_limit), str(e.at_upper_limit)]
        rows["Max FCN"] += [str(e.at_lower_max_fcn), str(e.at_upper_max_fcn)]
        rows["New Min"] += [str(e.lower_new_min), str(e.upper_new_min)]
    return _box(list(rows.values()), header, ["<"] + ["^"] * (len(header) - 1))


def matrix_text(matrix: Any) -> str:
    """The covariance matrix as text: variances on the diagonal, covariances above it,
    correlations in brackets below it.

    Parameters
    ----------
    matrix : thetahat.results.Matrix
        A covariance matrix with parameter names, as ``Minuit.covariance``.

    Returns
    -------
    str
        Plain text (box-drawing table).

    Examples
    --------
    The covariance of ``m``, the line fit of the module's example, is the closed form
    ``0.1^2 (X^T X)^-1`` = ((1/120, -1/200), (-1/200, 1/200)), correlation ``-sqrt(3/5)``
    = -0.775:

    >>> print(matrix_text(m.covariance))
    ┌───┬──────────┬────────┐
    │   │        a │      b │
    ├───┼──────────┼────────┤
    │ a │  0.00833 │ -0.005 │
    │ b │ (-0.775) │  0.005 │
    └───┴──────────┴────────┘
    """
    names, cells, _ = _matrix_cells(matrix)
    return _box([[n] + r for n, r in zip(names, cells)], [""] + names,
                ["<"] + [">"] * len(names))


def minuit_text(m: Any) -> str:
    """FMin block, parameters, MINOS errors and covariance of a Minuit object.

    Parameters
    ----------
    m : thetahat.Minuit
        The minimizer; blocks it has no results for yet are left out.

    Returns
    -------
    str
        Plain text (box-drawing table).

    Examples
    --------
    With ``m`` the line fit of the module's example:

    >>> minuit_text(m) == str(m), minuit_text(m).count("┌")  # FMin, parameters, covariance
    (True, 3)
    """
    parts = []
    if m.fmin is not None:
        parts.append(fmin_text(m.fmin))
    parts.append(params_text(m.params, m.fmin))
    if len(m.merrors):
        parts.append(merrors_text(m.merrors))
    if m.covariance is not None:
        parts.append(matrix_text(m.covariance))
    return "\n".join(parts)


for _fn in (fmin_text, params_text, merrors_text, matrix_text, minuit_text):
    _fn.__module__ = "thetahat.display"  # the public home (module docstring)
