"""The HTML tables of a fit (Jupyter's ``_repr_html_``): the function minimum with coloured
validity cells, the parameters, the MINOS errors and the covariance matrix coloured by
correlation, in iminuit's layouts (:mod:`thetahat.display` describes them and the colours;
the cells come from :mod:`._display_cells`).

Inline ``style="..."`` attributes only, since notebook front ends strip or scope ``<style>``
blocks; a cell with a (light) fill also sets black text. An off-diagonal matrix cell is
filled with the neutral rgb(250,250,250) mixed linearly in ``|rho|`` towards red
rgb(250,100,100) for rho > 0 or blue rgb(120,120,250) for rho < 0 (:func:`corr_colour`).

The functions name :mod:`thetahat.display` as their module (``__module__``): users import
them from there, the reference documents them there, and their examples continue from the
fit in its docstring.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from typing import Any

from ._display_cells import (
    _MARK,
    _PARAM_HEADER,
    BAD,
    GOOD,
    WARN,
    _at_limits,
    _error_note,
    _fmin_cells,
    _matrix_cells,
    _param_row,
    pdg_format,
)

# Inline styles only (module docstring): notebook front ends drop or scope <style> blocks.
_CELL = "text-align:center;padding:2px 6px;border:1px solid #999"
_TEXT = "black"  # the text colour on every coloured cell (the fills are all light)
_MUTED = "#808080"  # mid grey: readable on white and on #1e1e1e alike


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
    fmin : thetahat.results.FMin
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


def _param_colours(p: Any) -> list[str | None]:
    """HTML cell colours of a parameter row: the HESSE error and the limit reached in the
    warning colour when the parameter ended at a limit."""
    lo, up = _at_limits(p)
    colours: list[str | None] = [None] * len(_PARAM_HEADER)
    for j, flag in ((6, lo), (7, up)):
        if flag:
            colours[3] = colours[j] = WARN
    return colours


def params_html(params: Iterable[Any], fmin: Any = None) -> str:
    """The parameter table as HTML.

    With the fit's ``fmin`` given, HESSE errors that are not trusted standard deviations
    are flagged, with a note under the table that says why: blank where HESSE failed (the
    numbers would be step sizes), in grey with a dagger where the covariance is approximate
    or forced positive definite. Fixed parameters keep their plain error.

    Parameters
    ----------
    params : iterable of thetahat.results.Param
        The parameters, as ``Minuit.params``.
    fmin : thetahat.results.FMin, optional
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
    merrors : thetahat.results.MErrors
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
    matrix : thetahat.results.Matrix
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


for _fn in (fmin_html, params_html, merrors_html, corr_colour, matrix_html, minuit_html):
    _fn.__module__ = "thetahat.display"  # the public home (module docstring)
