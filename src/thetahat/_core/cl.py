"""Confidence level -> multiple of ``errordef`` (iminuit's ``cl`` convention).

A profiled cost rises by ``errordef * Q`` where ``Q`` is a quantile of a chi-square
distribution with ``k`` degrees of freedom (``k = 1`` for MINOS intervals and profiles,
``k = 2`` for MINOS contours), since asymptotically
``2 (-ln L_prof(theta) + ln L_max) ~ chi2(k)`` (Wilks) and ``errordef`` is 1 for chi-square
costs, 1/2 for negative log-likelihoods.

The argument ``cl`` follows iminuit 2.x:

* ``cl < 1`` is a probability ``p``: ``Q = chi2(k).ppf(p)``;
* ``cl >= 1`` counts standard deviations ``s`` of a normal distribution, i.e. the
  probability ``p = chi2(1).cdf(s**2) = erf(s / sqrt 2)``; for ``k = 1`` this gives
  ``Q = s**2`` exactly;
* ``cl = None`` is the default: 1 sigma (``Q = 1``) for intervals, ``p = 0.68`` for
  contours (iminuit's default, ``Q = 2.2789``).

Closed forms are used: ``chi2(2).ppf(p) = -2 ln(1 - p)`` and
``1 - erf(s / sqrt 2) = erfc(s / sqrt 2)``; ``chi2(1).ppf(p) = 2 erfinv(p)**2``.
"""

from __future__ import annotations

import math

__all__ = ["factor_1d", "factor_2d"]


def _check(cl: float) -> float:
    try:
        c = float(cl)
    except (TypeError, ValueError):
        raise TypeError(f"cl must be a number or None, got {cl!r}") from None
    if not math.isfinite(c) or c <= 0:
        raise ValueError(f"cl must be positive and finite, got {cl!r}")
    return c


def factor_1d(cl: float | None = None) -> float:
    """Multiplier of ``errordef`` for a one-parameter interval at confidence ``cl``.

    Parameters
    ----------
    cl : float or None
        ``None`` (1 sigma), a probability in (0, 1), or a number of sigmas >= 1.

    Returns
    -------
    float
        ``chi2(1).ppf(p)``; ``cl**2`` when ``cl`` counts sigmas.

    Examples
    --------
    >>> factor_1d(None), factor_1d(2)
    (1.0, 4.0)
    >>> round(factor_1d(0.95), 4)
    3.8415
    """
    if cl is None:
        return 1.0
    c = _check(cl)
    if c >= 1:
        return c * c
    from scipy import special  # at first use: importing scipy.special takes ~0.1 s
    return float(2.0 * special.erfinv(c) ** 2)


def factor_2d(cl: float | None = None) -> float:
    """Multiplier of ``errordef`` for a two-parameter contour at confidence ``cl``.

    Parameters
    ----------
    cl : float or None
        ``None`` (probability 0.68, iminuit's default), a probability in (0, 1), or a
        number of sigmas >= 1 (probability content of the 1-D ``cl``-sigma interval).

    Returns
    -------
    float
        ``chi2(2).ppf(p) = -2 ln(1 - p)``.

    Examples
    --------
    >>> round(factor_2d(None), 4), round(factor_2d(1), 4), round(factor_2d(0.9), 4)
    (2.2789, 2.2957, 4.6052)
    """
    c = 0.68 if cl is None else _check(cl)
    if c >= 1:
        from scipy import special
        tail = special.erfc(c / math.sqrt(2.0))  # 1 - p without cancellation
        return float(-2.0 * math.log(tail))
    return float(-2.0 * math.log1p(-c))
