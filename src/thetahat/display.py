"""Text and HTML renderings of fit results: free functions, no fitting logic.

Layouts follow iminuit 2.x so that a user switching libraries reads the same tables:

- the function-minimum block (``fmin_text``/``fmin_html``): FCN (with χ²/ndof when the
  cost defines it), Nfcn, EDM and its goal, and the validity cells — green when good,
  yellow for a warning (parameters at a limit, approximate covariance), red when bad;
- the parameter table (``params_text``/``params_html``): Name, Value, Hesse Error, Minos
  Error-, Minos Error+, Limit-, Limit+, Fixed, with values rounded to the significant
  digits of their error by the PDG rule (:func:`pdg_format`); a parameter that ended at
  a limit shows it as ``at 0`` (in HTML the limit and the HESSE error in yellow: that
  error is not a standard deviation there);
- the MINOS table (``merrors_text``/``merrors_html``) and the covariance matrix
  (``matrix_text``/``matrix_html``), each coefficient once: the variances C_ii on the
  diagonal, the covariances C_ij above it, the correlations rho_ij below it, in brackets
  (iminuit prints the covariance in both triangles; the matrix is symmetric, so the lower
  triangle would only repeat the upper).

HTML (``*_html``, used by ``_repr_html_`` in Jupyter) carries inline ``style="..."``
attributes only: notebook front ends (Jupyter, VS Code, GitHub) strip or scope ``<style>``
blocks and right-align table cells with their own stylesheet. Every cell that sets a
background also sets ``color: black`` (the fills are all light), so a dark theme's light
default text never lands on a light fill; cells without a fill inherit the page's colours.
Matrix cells off the diagonal are coloured by the correlation rho_ij = C_ij / sqrt(C_ii C_jj):
the neutral fill rgb(250,250,250) mixed linearly in |rho| towards red rgb(250,100,100) for
rho > 0 or blue rgb(120,120,250) for rho < 0 (iminuit's palette); the diagonal is unfilled.

Untrusted errors: iminuit 2.33 colours the FMin cell "Hesse FAILED" / "Covariance
APPROXIMATE" but its Params table shows the HESSE column unchanged. Here, when the Params
table is rendered with the fit's FMin (``minuit_html``) and HESSE failed or there is no
covariance, the HESSE error cells of the free parameters are blank (the numbers there would
be step sizes, not standard deviations; ``m.errors`` still holds them), and a note row
under the table says why. When the covariance is only approximate or was forced positive
definite, the errors are estimates: they are shown greyed and italic with a dagger, and
the note says why. The text table (``params_text`` with the FMin, as ``minuit_text``
and ``print(m)``) leaves the errors of a failed HESSE blank too, with the same note; it
marks no approximate errors.

PDG rounding (Particle Data Group, "Introduction", §5.3): take the three most significant
digits of the error. If they lie in 100-354, keep two significant digits; in 355-949 keep
one; in 950-999 round the error up to 1000 and keep two. The value is rounded to the
same decimal place as the error.

Inputs are duck-typed on iminuit's field names, so iminuit's own result objects render
too.

Examples
--------
The examples of the functions below continue from this fit, ``m``, of a line to three
exact points (its covariance is the closed form ``0.1^2 (X^T X)^-1``):

>>> from thetahat import Minuit
>>> from thetahat.cost import LeastSquares
>>> c = LeastSquares([0, 1, 2], [1, 3, 5], 0.1, lambda x, a, b: a + b * x)
>>> m = Minuit(c, a=0, b=0).migrad()
>>> m.valid, [round(v, 6) for v in m.values]
(True, [1.0, 2.0])
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = ["pdg_format", "fmin_text", "params_text", "merrors_text", "matrix_text",
           "minuit_text", "fmin_html", "params_html", "merrors_html", "matrix_html",
           "minuit_html", "corr_colour", "pretty"]

GOOD, WARN, BAD = "#92CCA6", "#FFF79A", "#FF7878"


# --- numbers -------------------------------------------------------------------------------
def _pdg_digits(err: float) -> tuple[float, int]:
    """Error rounded by the PDG rule and the decimal exponent of its last kept digit."""
    if err <= 0 or not math.isfinite(err):
        return err, -3
    e = math.floor(math.log10(err))
    three = round(err / 10 ** (e - 2))  # the three leading digits, 100..999 (or 1000)
    if three >= 1000:
        three, e = 100, e + 1
    if three <= 354:
        keep = 2
    elif three <= 949:
        keep = 1
    else:
        return 10.0 ** (e + 1), e + 1 - 1  # 950-999 -> 1000, two significant digits
    last = e - keep + 1
    return round(err / 10 ** last) * 10 ** last, last


def pdg_format(value: float, *errors: float) -> tuple[str, ...]:
    """Value and errors as strings rounded by the PDG rule (module docstring).

    The smallest error sets the decimal place. Large or small numbers share one exponent.

    Parameters
    ----------
    value : float
        The central value.
    *errors : float
        Its uncertainties; None, zero and non-finite ones do not set the precision.

    Returns
    -------
    tuple of str
        The value, then each error, as strings.

    Examples
    --------
    >>> pdg_format(2.3456, 0.0123)
    ('2.346', '0.012')
    >>> pdg_format(125.136, 0.181, 0.184)
    ('125.14', '0.18', '0.18')
    >>> pdg_format(1234.5, 96.0)
    ('1230', '100')
    """
    errs = [float(e) for e in errors if e is not None and math.isfinite(float(e)) and e != 0]
    if not errs or not math.isfinite(value):
        return (_g(value),) + tuple(_g(e) for e in errors)
    last = min(_pdg_digits(abs(e))[1] for e in errs)
    big = max([abs(value)] + [abs(e) for e in errs])
    exp = math.floor(math.log10(big)) if big > 0 else 0
    if exp >= 5 or exp <= -4:  # common exponent, mantissas with the same decimals
        scale = 10.0 ** exp
        dec = max(exp - last, 0)
        vals = [value] + [float(e) for e in errors]
        return tuple(f"{v / scale:.{dec}f}e{exp:+03d}" if v is not None and math.isfinite(v)
                     else _g(v) for v in vals)
    dec = max(-last, 0)
    out = [f"{_round(value, last):.{dec}f}"]
    for e in errors:
        if e is None or not math.isfinite(float(e)):
            out.append(_g(e))
        else:
            out.append(f"{_round(float(e), last):.{dec}f}")
    return tuple(out)


def _round(v: float, last: int) -> float:
    return round(v / 10 ** last) * 10 ** last if last > 0 else round(v, -last)


def _g(v: Any) -> str:
    if v is None:
        return ""
    return f"{v:.4g}" if isinstance(v, (float, int, np.floating)) else str(v)


# --- text boxes ----------------------------------------------------------------------------
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


def _fmin_cells(fmin: Any) -> tuple[list[tuple[str, str]], str, str]:
    """The validity cells as (text, colour) and the FCN / EDM lines."""
    red = getattr(fmin, "reduced_chi2", math.nan)
    fcn = f"FCN = {fmin.fval:.4g}"
    if red is not None and math.isfinite(red):
        fcn += f" (χ²/ndof = {red:.2f})"
    edm = f"EDM = {fmin.edm:.3g} (Goal: {fmin.edm_goal:.2g})"
    cells = [
        ("Valid Minimum", GOOD) if fmin.is_valid else ("INVALID Minimum", BAD),
        ("Below EDM threshold (goal x 10)", GOOD) if not fmin.is_above_max_edm
        else ("ABOVE EDM threshold (goal x 10)", BAD),
        ("No parameters at limit", GOOD) if not fmin.has_parameters_at_limit
        else ("SOME parameters at limit", WARN),
        ("Below call limit", GOOD) if not fmin.has_reached_call_limit
        else ("ABOVE call limit", BAD),
        ("Hesse ok", GOOD) if not fmin.hesse_failed else ("Hesse FAILED", BAD),
        ("Covariance accurate", GOOD) if fmin.has_accurate_covar
        else (("Covariance APPROXIMATE", WARN) if fmin.has_covariance
              else ("NO covariance", BAD)),
    ]
    if fmin.has_made_posdef_covar:
        cells.append(("Covariance FORCED pos. def.", BAD))
    return cells, fcn, edm


def fmin_text(fmin: Any) -> str:
    """The function-minimum block as text.

    Parameters
    ----------
    fmin : thetahat.util.FMin
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


_PARAM_HEADER = ["", "Name", "Value", "Hesse Error", "Minos Error-", "Minos Error+",
                 "Limit-", "Limit+", "Fixed"]


def _param_row(p: Any) -> list[str]:
    me = p.merror
    if me is not None:
        v, e, lo, up = pdg_format(p.value, p.error, me[0], me[1])
    else:
        v, e = pdg_format(p.value, p.error)
        lo = up = ""
    lim = ["" if x is None else f"{x:.4g}" for x in (p.lower_limit, p.upper_limit)]
    # a parameter that ended at a limit: "at 0" (its HESSE error is not a standard deviation)
    for j, flag in enumerate(_at_limits(p)):
        if flag:
            lim[j] = "at " + lim[j]
    return [str(p.number), p.name, v, e, lo, up, lim[0], lim[1],
            "yes" if p.is_fixed else ("CONST" if getattr(p, "is_const", False) else "")]


def _at_limits(p: Any) -> tuple[bool, bool]:
    """A parameter's ``(at_lower_limit, at_upper_limit)``; False for objects without them
    (iminuit's ``Param``)."""
    return bool(getattr(p, "at_lower_limit", False)), bool(getattr(p, "at_upper_limit", False))


def _param_colours(p: Any) -> list[str | None]:
    """HTML cell colours of a parameter row: the HESSE error and the limit reached in the
    warning colour when the parameter ended at a limit."""
    lo, up = _at_limits(p)
    colours: list[str | None] = [None] * len(_PARAM_HEADER)
    for j, flag in ((6, lo), (7, up)):
        if flag:
            colours[3] = colours[j] = WARN
    return colours


def params_text(params: Iterable[Any], fmin: Any = None) -> str:
    """The parameter table as text.

    With the fit's ``fmin`` given and HESSE failed (or no covariance), the HESSE errors of
    the free parameters are left blank (the numbers would be step sizes, as in
    :func:`params_html`) and a line under the table says why.

    Parameters
    ----------
    params : iterable of thetahat.util.Param
        The parameters, as ``Minuit.params``.
    fmin : thetahat.util.FMin, optional
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
    merrors : thetahat.util.MErrors
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


def _matrix_names(matrix: Any) -> list[str]:
    names = getattr(matrix, "names", None)
    if names is None:
        names = list(getattr(matrix, "_var2pos", {}))
    return list(names)


def _matrix_cells(matrix: Any) -> tuple[list[str], list[list[str]], np.ndarray]:
    a = np.asarray(matrix, dtype=float)
    names = _matrix_names(matrix) or [str(i) for i in range(len(a))]
    d = np.sqrt(np.abs(np.diag(a)))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = a / np.outer(d, d)
    corr[~np.isfinite(corr)] = 0.0
    cells = []
    for i in range(len(a)):
        row = []
        for j in range(len(a)):
            # each coefficient once: the variance on the diagonal, the covariance above
            # it, the correlation (in brackets) below it
            if i > j and a[i, j] != 0:
                row.append(f"({corr[i, j]:.3f})")
            else:
                row.append(f"{a[i, j]:.3g}")
        cells.append(row)
    return names, cells, corr


def matrix_text(matrix: Any) -> str:
    """The covariance matrix as text: variances on the diagonal, covariances above it,
    correlations in brackets below it.

    Parameters
    ----------
    matrix : thetahat.util.Matrix
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


# --- HTML ----------------------------------------------------------------------------------
# Inline styles only (module docstring): notebook front ends drop or scope <style> blocks.
_CELL = "text-align:center;padding:2px 6px;border:1px solid #999"
_TEXT = "black"  # the text colour on every coloured cell (the fills are all light)
_MUTED = "#808080"  # mid grey: readable on white and on #1e1e1e alike
_MARK = "\u2020"  # dagger after an error that is not a trusted standard deviation


def _td(text: str, colour: str | None = None, colspan: int = 1, tag: str = "td",
        align: str = "center", extra: str = "") -> str:
    style = _CELL if align == "center" else _CELL.replace("center", align, 1)
    if colour:
        style += f";background-color:{colour};color:{_TEXT}"
    style += extra
    span = f' colspan="{colspan}"' if colspan > 1 else ""
    return f'<{tag}{span} style="{style}">{html.escape(text)}</{tag}>'


def _table(rows: list[str]) -> str:
    return '<table style="border-collapse:collapse;margin:4px 0">' + \
        "".join(f"<tr>{r}</tr>" for r in rows) + "</table>"


def fmin_html(fmin: Any) -> str:
    """The function-minimum block as an HTML table with coloured validity cells.

    Parameters
    ----------
    fmin : thetahat.util.FMin
        The function minimum, as ``Minuit.fmin``.

    Returns
    -------
    str
        An HTML table with inline styles.

    Examples
    --------
    With ``m`` the line fit of the module's example:

    >>> h = fmin_html(m.fmin)
    >>> h.startswith("<table"), "Valid Minimum</td>" in h, h.count(GOOD)  # six green cells
    (True, True, 6)
    """
    cells, fcn, edm = _fmin_cells(fmin)
    t = getattr(fmin, "time", None)
    rows = [_td(fmin.algorithm, colspan=2, tag="th"),
            _td(fcn, align="left") + _td(f"Nfcn = {fmin.nfcn}"),
            _td(edm, align="left") + _td(f"time = {t * 1e3:.1f} ms" if t else "")]
    for a, b in zip(cells[::2], cells[1::2] + [("", None)] * (len(cells) % 2)):
        rows.append(_td(a[0], a[1]) + _td(b[0], b[1]))
    return _table(rows)


def _error_note(fmin: Any) -> str | None:
    """Why the HESSE errors of a fit are not trusted standard deviations (None if they are)."""
    if fmin is None:
        return None
    if fmin.hesse_failed or not fmin.has_covariance:
        return f"{_MARK} HESSE failed: no covariance, so no errors are shown (m.errors " \
            "holds step sizes, not standard deviations)"
    if fmin.has_made_posdef_covar:
        return f"{_MARK} covariance forced positive definite: errors are not reliable"
    if not fmin.has_accurate_covar:
        return f"{_MARK} covariance approximate: errors are estimates, run HESSE"
    return None


def params_html(params: Iterable[Any], fmin: Any = None) -> str:
    """The parameter table as HTML.

    With the fit's ``fmin`` given, HESSE errors that are not trusted standard deviations
    are flagged, with a note under the table that says why: blank where HESSE failed (the
    numbers would be step sizes), in grey with a dagger where the covariance is approximate
    or forced positive definite. Fixed parameters keep their plain error.

    Parameters
    ----------
    params : iterable of thetahat.util.Param
        The parameters, as ``Minuit.params``.
    fmin : thetahat.util.FMin, optional
        The function minimum; when given, errors it does not trust are marked.

    Returns
    -------
    str
        An HTML table with inline styles.

    Examples
    --------
    With ``m`` the line fit of the module's example:

    >>> h = params_html(m.params, m.fmin)
    >>> h.count("<tr>"), ">0.09</td>" in h, ">0.07</td>" in h  # header and a row per parameter
    (3, True, True)
    """
    note = _error_note(fmin)
    failed = note is not None and (fmin.hesse_failed or not fmin.has_covariance)
    rows = ["".join(_td(h, tag="th") for h in _PARAM_HEADER)]
    for p in params:
        cells = _param_row(p)
        out = []
        for j, (c, k) in enumerate(zip(cells, _param_colours(p))):
            if j == 3 and note and not p.is_fixed and not k:
                out.append(_td("" if failed else c + _MARK,
                               extra=f";color:{_MUTED};font-style:italic"))
            else:
                out.append(_td(c, k, align="left" if j == 1 else "center"))
        rows.append("".join(out))
    if note:
        rows.append(_td(note, colspan=len(_PARAM_HEADER), align="left",
                        extra=f";color:{_MUTED};font-style:italic"))
    return _table(rows)


def merrors_html(merrors: Any) -> str:
    """The MINOS table as HTML, invalid sides in red.

    Parameters
    ----------
    merrors : thetahat.util.MErrors
        The MINOS errors, as ``Minuit.merrors``.

    Returns
    -------
    str
        An HTML table with inline styles.

    Examples
    --------
    With ``m`` the line fit of the module's example:

    >>> h = merrors_html(m.minos().merrors)
    >>> ">-0.09</td>" in h, h.count(BAD)  # every side valid: nothing in red
    (True, 0)
    """
    items = list(merrors.values())
    rows = [_td("", tag="th") + "".join(_td(e.name, colspan=2, tag="th") for e in items)]
    err = _td("Error", tag="th")
    valid = _td("Valid", tag="th")
    for e in items:
        lo, up = pdg_format(abs(e.lower) + abs(e.upper), e.lower, e.upper)[1:]
        err += _td(lo) + _td(up)
        valid += _td(str(e.lower_valid), GOOD if e.lower_valid else BAD) + \
            _td(str(e.upper_valid), GOOD if e.upper_valid else BAD)
    rows += [err, valid]
    for label, lo_f, up_f in (("At Limit", "at_lower_limit", "at_upper_limit"),
                              ("Max FCN", "at_lower_max_fcn", "at_upper_max_fcn"),
                              ("New Min", "lower_new_min", "upper_new_min")):
        r = _td(label, tag="th")
        for e in items:
            for f in (lo_f, up_f):
                v = bool(getattr(e, f))
                r += _td(str(v), BAD if v else GOOD)
        rows.append(r)
    return _table(rows)


# correlation colours: neutral at 0, red towards +1, blue towards -1 (iminuit's convention);
# opaque fills mixed linearly in |rho| so that black text stays readable on any page
_NEUTRAL, _POS, _NEG = (250, 250, 250), (250, 100, 100), (120, 120, 250)


def corr_colour(rho: float) -> str:
    """The fill of a matrix cell with correlation ``rho``: white mixed with red (rho > 0)
    or blue (rho < 0) in proportion to ``|rho|`` (clipped to 1).

    Parameters
    ----------
    rho : float
        The correlation; nan gives white.

    Returns
    -------
    str
        A CSS colour, ``"rgb(r,g,b)"``.

    Examples
    --------
    >>> corr_colour(0.0), corr_colour(1.0), corr_colour(-0.5)  # white, red, half-way to blue
    ('rgb(250,250,250)', 'rgb(250,100,100)', 'rgb(185,185,250)')
    """
    k = min(abs(float(rho)), 1.0) if math.isfinite(rho) else 0.0
    end = _POS if rho > 0 else _NEG
    r, g, b = (round(n + k * (e - n)) for n, e in zip(_NEUTRAL, end))
    return f"rgb({r},{g},{b})"


def matrix_html(matrix: Any) -> str:
    """The covariance matrix as HTML (variances on the diagonal, covariances above it,
    correlations in brackets below it); off-diagonal cells coloured by the sign and size of
    the correlation (:func:`corr_colour`), the diagonal left in the page's colours.

    Parameters
    ----------
    matrix : thetahat.util.Matrix
        A covariance matrix with parameter names, as ``Minuit.covariance``.

    Returns
    -------
    str
        An HTML table with inline styles.

    Examples
    --------
    With ``m`` the line fit of the module's example:

    >>> h = matrix_html(m.covariance)
    >>> ">(-0.775)</td>" in h, h.count(corr_colour(-0.775))  # the two off-diagonal cells
    (True, 2)
    """
    names, cells, corr = _matrix_cells(matrix)
    rows = [_td("", tag="th") + "".join(_td(n, tag="th") for n in names)]
    for i, n in enumerate(names):
        r = _td(n, tag="th")
        for j, c in enumerate(cells[i]):
            r += _td(c, corr_colour(corr[i, j]) if i != j else None)
        rows.append(r)
    return _table(rows)


def minuit_html(m: Any) -> str:
    """All blocks of a Minuit object as HTML (the drawing of the cost is added by
    ``Minuit._repr_html_``).

    Parameters
    ----------
    m : thetahat.Minuit
        The minimizer; blocks it has no results for yet are left out.

    Returns
    -------
    str
        An HTML table with inline styles.

    Examples
    --------
    With ``m`` the line fit of the module's example:

    >>> minuit_html(m).count("<table")  # FMin, parameters, covariance
    3
    """
    parts = []
    if m.fmin is not None:
        parts.append(fmin_html(m.fmin))
    parts.append(params_html(m.params, m.fmin))
    if len(m.merrors):
        parts.append(merrors_html(m.merrors))
    if m.covariance is not None:
        parts.append(matrix_html(m.covariance))
    return "".join(parts)


def pretty(obj: Any, p: Any, cycle: bool) -> None:
    """IPython pretty-printer hook: ``_repr_pretty_ = pretty``-style delegation.

    Parameters
    ----------
    obj : object
        The object to print.
    p : IPython.lib.pretty.PrettyPrinter
        The printer it writes to.
    cycle : bool
        Whether IPython found a reference cycle (then ``repr`` is printed).

    Examples
    --------
    A printer with IPython's ``text`` method receives ``str`` of the object, or ``repr`` in a
    cycle:

    >>> class Printer(list):
    ...     text = list.append
    >>> p = Printer()
    >>> pretty("a", p, False), pretty("a", p, True), p
    (None, None, ['a', "'a'"])
    """
    p.text(repr(obj) if cycle else str(obj))
