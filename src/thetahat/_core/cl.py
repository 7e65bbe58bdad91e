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
``1 - erf(s / sqrt 2) = erfc(s / sqrt 2)``; ``chi2(1).ppf(p) = 2 erfinv(p)**2``. Only the
standard library is needed (the quantiles work where scipy is not installed): ``erfinv`` is
the root z of ``erf(z) = p``, found by Newton's method on ``math.erf`` (derivative
``2 exp(-z²) / sqrt(pi)``) from a starting point within a few per cent (the logarithmic
approximation ``z0² ≈ -ln(1 - p²)`` bounded by the series ``z ≈ sqrt(pi) p / 2``); for
``p`` near 1 the residual is taken on the complement, ``erfc(z) - (1 - p)``, so that no
digits are lost to cancellation. Newton converges quadratically: six steps reach the
last bit.
"""

from __future__ import annotations

import math

__all__ = ["factor_1d", "factor_2d", "erfinv"]

_SQRT_PI = math.sqrt(math.pi)


def erfinv(p: float) -> float:
    """The inverse of the error function, ``erf(erfinv(p)) = p`` for ``0 <= p < 1``.

    Parameters
    ----------
    p : float
        A probability in [0, 1).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``p`` is not in [0, 1).

    Examples
    --------
    >>> round(erfinv(math.erf(0.5)), 12)
    0.5
    """
    if not 0.0 <= p < 1.0:
        raise ValueError(f"erfinv needs 0 <= p < 1, got p={p!r}")
    if p == 0.0:
        return 0.0
    q = 1.0 - p  # exact for p >= 0.5 (Sterbenz), the regime where it matters
    z = min(math.sqrt(-math.log1p(-p * p)), 0.5 * _SQRT_PI * p)
    for _ in range(50):
        if p < 0.5:
            r = math.erf(z) - p
        else:
            r = q - math.erfc(z)
        dz = r / (2.0 / _SQRT_PI * math.exp(-z * z))
        z -= dz
        if abs(dz) <= 4e-16 * z:
            break
    return z


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
    return 2.0 * erfinv(c) ** 2


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
        tail = math.erfc(c / math.sqrt(2.0))  # 1 - p without cancellation
        return -2.0 * math.log(tail)
    return float(-2.0 * math.log1p(-c))
