"""The numbers and cells that the text and the HTML tables of :mod:`thetahat.display`
share, so that both render a fit from one source.

- PDG rounding (:func:`pdg_format`, the rule stated in :mod:`thetahat.display`): the error's
  three leading digits choose two or one significant digits, the value is rounded to the
  same decimal place;
- the function-minimum cells: each validity flag as a text and a colour (``GOOD``, ``WARN``,
  ``BAD``), with the FCN and EDM lines;
- a parameter row (a limit the parameter ended at shown as ``at 0``) and the note that says
  why HESSE errors are not trusted standard deviations;
- the matrix cells: the variance C_ii on the diagonal, the covariance C_ij above it, the
  correlation rho_ij = C_ij / sqrt(C_ii C_jj) below it, in brackets.

``pdg_format`` names :mod:`thetahat.display` as its module (``__module__``): users import it
from there and the reference documents it there.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

GOOD, WARN, BAD = "#92CCA6", "#FFF79A", "#FF7878"
_MARK = "\u2020"  # dagger after an error that is not a trusted standard deviation


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


for _fn in (pdg_format,):
    _fn.__module__ = "thetahat.display"  # the public home (module docstring)
