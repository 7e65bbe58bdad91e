"""A value with its uncertainties as text, rounded by the rules of the Particle Data Group
(iminuit's ``pdg_format``).

**Digits.** One uncertainty, the *leader* (the smallest non-zero finite one unless chosen),
sets the decimal place of every number. Its three leading digits decide how many
significant digits it keeps (PDG, "Introduction", §5.3): 100-354 keep two, 355-949 keep
one, 950-999 are rounded up to 1000 and keep two. All numbers are rounded to the last
digit of the leader, at decimal position L.

**Exponent.** With k = ⌊log10 e⌋ of the leader and m = ⌊log10 |v|⌋ of the value, the
common exponent is E = max(3⌊m/3⌋, E_e), where E_e = 0 for 1e-3 <= e < 100 and
E_e = 3⌈k/3⌉ otherwise: a multiple of three that keeps the value's mantissa below 1000
and the leader's at or above 0.001. Without a usable leader (all uncertainties zero or not
finite) the value keeps five significant digits and E = m.

**Trailing zeros** common to all the numbers are removed (``1.0 ± 0.1`` not
``1.00 ± 0.10`` when the leader is 0.10 and the value 1.00).

Uncertainties are given as positive numbers (symmetric), as a pair ``(down, up)`` of
positive numbers, or as a negative number followed by a positive one (``-down, up``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .display import _pdg_digits

__all__ = ["pdg_format", "term", "latex"]

#: Plain-text format: (lower, upper, symmetric, label, scientific, strip, replacements).
term = (" %s", " +%s", " ± %s", " (%s)", "(%s)E%+03i", True, None)
#: LaTeX format, with NaN and infinity as LaTeX symbols.
latex = (" {}_{%s}", "^{+%s}", " \\pm %s", " (\\mathrm{%s})", "(%s) \\times 10^{%i}",
         True, ("\\mathrm{NaN}", "\\infty"))


def _find_smallest_nonzero_abs_value(seq: Sequence[float]) -> tuple[int | None, float]:
    """Index and absolute value of the smallest non-zero finite entry, (None, inf) if none."""
    index, best = None, math.inf
    for i, x in enumerate(seq):
        a = abs(x)
        if 0 < a < best:
            index, best = i, a
    return index, best


def _is_asym(error: Any) -> bool:
    """Whether ``error`` is an asymmetric pair; a sequence of another length is an error."""
    if isinstance(error, (int, float)):
        return False
    if len(error) != 2:
        raise ValueError(f"an asymmetric uncertainty is a pair (down, up), got {error!r}: "
                         "sequence must have two elements")
    return True


def _unpack(errors: Sequence[Any]) -> list[float]:
    """Pairs (down, up) written out as -down, up."""
    out: list[float] = []
    for e in errors:
        if _is_asym(e):
            out += [-abs(e[0]), abs(e[1])]
        else:
            out.append(e)
    return out


def _unpacked_index(unpacked: Sequence[float], index: int) -> int:
    """Position in the unpacked list of the ``index``-th uncertainty (a pair is -down, up)."""
    pos = 0
    for _ in range(index):
        neg = unpacked[pos] < 0 or math.copysign(1.0, unpacked[pos]) < 0
        pos += 2 if neg and pos + 1 < len(unpacked) else 1
    return pos


def _is_number(s: str) -> bool:
    return s[-1:].isdigit() or s.endswith(".")


def _strip(items: list[str]) -> list[str]:
    """Drop the trailing zeros (then the decimal point) that all numbers share."""
    nums = [i for i, s in enumerate(items) if _is_number(s)]
    out = list(items)
    if not nums or not all("." in out[i] for i in nums):
        return out
    while all(out[i].endswith("0") for i in nums):
        for i in nums:
            out[i] = out[i][:-1]
    if all(out[i].endswith(".") for i in nums):
        for i in nums:
            out[i] = out[i][:-1]
    return ["0" if s == "-0" and s != t else s for s, t in zip(out, items)]


def _exponent(value: float, leader: float | None) -> int:
    """The common exponent (module docstring)."""
    m = math.floor(math.log10(abs(value))) if value != 0 and math.isfinite(value) else None
    if leader is None:
        return 0 if m is None else m
    k = math.floor(math.log10(leader))
    e_err = 0 if -3 <= k <= 1 else 3 * math.ceil(k / 3)
    return e_err if m is None else max(3 * (m // 3), e_err)


def _lead_rounded(lead: float, last: int) -> float:
    """The leader rounded by the PDG rule at its last kept digit: 950-999 in its three
    leading digits round up to the next power of ten (0.95 -> 1.0); otherwise half up on
    the number as written, its shortest decimal form (0.045 -> 0.05, although the binary
    value of 0.045 lies below the tie)."""
    k = math.floor(math.log10(lead))
    if round(lead * 10.0 ** (2 - k)) >= 950:
        return 10.0 ** (k + 1)
    step = Decimal(1).scaleb(last)
    return float(Decimal(repr(lead)).quantize(step, rounding=ROUND_HALF_UP))


def _text(x: float, exp: int, last: int | None, replace: tuple[str, str] | None) -> str:
    """``x / 10**exp`` rounded at decimal position ``last`` (five significant digits of the
    value when None)."""
    if not math.isfinite(x):
        if replace is None:
            return str(x)
        return replace[0] if math.isnan(x) else replace[1]
    scaled = x * 10.0**-exp
    digits = 4 if last is None else exp - last
    if digits >= 0:
        return f"{scaled:.{digits}f}"
    unit = 10.0**-digits  # the last kept digit lies left of the decimal point
    return f"{math.copysign(round(scaled / unit) * unit, scaled):.0f}"


def pdg_format(value: float, error: Any, *errors: Any, labels: Sequence[str] | None = None,
               format: tuple = term, leader: int | None = None,
               exp: int | None = None) -> str:
    """A value and its uncertainties as one string, rounded by the PDG rules.

    Parameters
    ----------
    value : float
        The estimate.
    error : float or (float, float)
        Its uncertainty: a positive number (symmetric), a pair of positive numbers
        ``(x - xmin, xmax - x)``, or a negative number ``xmin - x`` followed by a positive
        ``xmax - x``.
    *errors
        Further uncertainties, in the same forms.
    labels : sequence of str, optional
        A label for each uncertainty (e.g. "stat", "sys"). One that starts with one of
        ``_\\^<`` is used verbatim, others are wrapped by the format's label spec.
    format : tuple, optional
        :data:`term` (plain text, the default) or :data:`latex`, or a tuple of the same
        structure: (lower, upper, symmetric, label, scientific, strip zeros, replacements
        for nan and inf or None).
    leader : int, optional
        Index of the uncertainty that sets the digits (a pair counts as one); default
        the smallest.
    exp : int, optional
        The exponent of the scientific notation; default chosen as in the module docstring.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If a sequence given as an uncertainty does not have two elements.

    Examples
    --------
    >>> pdg_format(2.3456, 0.123, 0.0123)
    '2.346 ± 0.123 ± 0.012'
    >>> pdg_format(2.3456, 0.123, 0.0123, leader=0)
    '2.35 ± 0.12 ± 0.01'
    >>> pdg_format(1.2, (0.1, 0.2), 0.3, format=latex)
    '1.2 {}_{-0.1}^{+0.2} \\\\pm 0.3'
    >>> pdg_format(2.3e3, 0.1e3, 0.2e3, labels=("stat", "sys"))
    '(2.3 ± 0.1 (stat) ± 0.2 (sys))E+03'
    """
    lower_fmt, upper_fmt, sym_fmt, label_fmt, sci_fmt, strip, replace = format
    packed = (error,) + errors
    unpacked = _unpack(packed)
    if leader is None:
        lead_index, _ = _find_smallest_nonzero_abs_value(
            [x if math.isfinite(x) else 0.0 for x in unpacked])
    else:
        lead_index = _unpacked_index(unpacked, leader)
        if lead_index >= len(unpacked):  # IndexError, as iminuit
            raise IndexError(f"leader={leader} is out of range for {len(packed)} "
                             "uncertainties")
    lead = None
    if lead_index is not None:
        a = abs(unpacked[lead_index])
        lead = a if (a > 0 and math.isfinite(a)) else None
    last = None
    if lead is not None and lead_index is not None:
        last = _pdg_digits(lead)[1]
        unpacked[lead_index] = math.copysign(_lead_rounded(lead, last), unpacked[lead_index])
    e = _exponent(value, lead) if exp is None else exp
    texts = [_text(x, e, last, replace) for x in [value, *unpacked]]
    if strip:
        texts = _strip(texts)
    out = texts[0]
    groups = _groups(texts[1:])
    for g, lab in zip(groups, list(labels or []) + [None] * len(groups)):
        for j in g:
            s = texts[1 + j]
            out += (lower_fmt if s.startswith("-") else upper_fmt if len(g) == 2
                    else sym_fmt) % s
        if lab is not None:
            out += lab if lab[:1] in ("_", "\\", "^", "<") else label_fmt % lab
    return sci_fmt % (out, e) if e != 0 else out


def _groups(texts: Sequence[str]) -> list[list[int]]:
    """The uncertainties as groups of positions: a negative one followed by a non-negative
    one is a pair (down, up); any other entry stands alone."""
    out: list[list[int]] = []
    i = 0
    while i < len(texts):
        if texts[i].startswith("-") and i + 1 < len(texts) and not texts[i + 1].startswith("-"):
            out.append([i, i + 1])
            i += 2
        else:
            out.append([i])
            i += 1
    return out
