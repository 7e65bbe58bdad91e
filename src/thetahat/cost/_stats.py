"""Pure statistics functions underneath the cost classes.

Every function maps data and a prediction to a number, with no state. The conventions are
those of iminuit 2.x, so that a fit's minimum value is a goodness-of-fit figure where one
exists:

- ``chi2(y, ye, ym) = sum_i ((y_i - ym_i) / ye_i)^2`` (Pearson's / Neyman's chi-square);
- ``poisson_chi2(n, mu) = 2 sum_i (mu_i - n_i + n_i ln(n_i / mu_i))``, the Poisson deviance
  (-2 ln of the likelihood ratio against the saturated model, Baker & Cousins 1984), which
  is asymptotically chi-square distributed with (bins - parameters) degrees of freedom;
- ``multinomial_chi2(n, mu) = 2 sum_i n_i ln(n_i / mu_i)``, the same for a fixed total
  ``sum mu_i = sum n_i`` (the ``mu_i - n_i`` terms then cancel);
- ``unbinned_nll(f) = -sum_i ln f_i``, the negative log-likelihood of a sample whose
  densities are ``f_i``.

Zero counts and zero densities. ``n ln(n / mu)`` is taken as 0 for ``n = 0`` (its limit), so
empty bins are fine; a negative (weighted) count keeps only its ``mu - n`` term (bounded
below, unlike keeping ``-n ln mu``). A zero density (or a zero predicted count with
``n > 0``) would give an infinite cost; we replace ``ln 0`` by ``ln(tiny)`` with ``tiny``
the smallest normal double (``ln tiny = -708.4``), which keeps the cost finite and very
large, so that a minimizer can still move away from such a point. A *negative* density or
prediction is an error in the model: it gives NaN, which Minuit reports as an invalid
minimum (or raises with ``throw_nan``). No function here emits floating-point warnings.

Template fits (``mu`` with a variance ``v`` from finite template statistics; per bin, a
scale factor ``b`` of ``mu`` is a nuisance parameter):

- ``template_chi2_jsc`` (J. S. Conway, arXiv:1103.0354): Gaussian constraint of ``b`` with
  relative variance ``s2 = v / mu^2``; profiling gives ``b^2 + (mu s2 - 1) b - n s2 = 0``,
  and the cost is ``poisson_chi2(n, b mu) + sum (b - 1)^2 / s2``;
- ``template_chi2_da`` (H. Dembinski, A. Abdelmotteleb, arXiv:2206.12346): the template is
  an auxiliary Poisson measurement of ``k = mu^2 / v`` effective counts; profiling gives
  ``b = (n + k) / (mu + k)`` and the cost ``poisson_chi2(n, b mu) + poisson_chi2(k, b k)``;
- ``template_nll_asy`` (C. A. Argüelles et al., JHEP 06 (2019) 030, eq. 3.15): ``b``
  marginalised with a gamma prior, ``alpha = mu^2 / v + 1``, ``beta = mu / v``;
  ``-ln L = -sum [alpha ln beta + lnG(n + alpha) - lnG(n + 1) - (n + alpha) ln(1 + beta)
  - lnG(alpha)]``, a negative log-likelihood (not chi-square distributed).

Bins with ``v = 0`` take the limit ``v -> 0`` of each: the Poisson deviance (the Poisson
negative log-likelihood ``mu - n ln mu + lnG(n + 1)`` for ``asy``).

References: S. Baker and R. D. Cousins, NIM 221 (1984) 437; H. Dembinski et al.,
iminuit documentation, "cost functions"; G. Bohm and G. Zech, NIM A 748 (2014) 1 (scaled
Poisson distribution for weighted histograms).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import ArrayLike, NDArray

__all__ = ["chi2", "poisson_chi2", "multinomial_chi2", "unbinned_nll", "safe_log",
           "template_chi2_jsc", "template_chi2_da", "template_nll_asy", "TEMPLATE_TERMS"]

TINY = np.finfo(float).tiny
LOG_TINY = float(np.log(TINY))


def floats(x: ArrayLike) -> NDArray:
    """``x`` as an array of float64, or of long double where it already is one (a model
    computing in ``np.longdouble`` keeps its precision in the cost's value, as in iminuit)."""
    a = np.asarray(x)
    return a if a.dtype == np.longdouble else np.asarray(a, dtype=float)


def total(a: NDArray) -> float:
    """``sum(a)`` as a Python float, or as a long double scalar for a long double ``a``."""
    s = np.sum(a)
    return s if s.dtype == np.longdouble else float(s)


def safe_log(x: ArrayLike) -> NDArray[np.float64]:
    """``ln x`` with ``ln 0 -> ln(tiny)`` and NaN (no warning) for negative or NaN ``x``
    (float64, or long double for a long double ``x``)."""
    x = floats(x)
    if x.size and x.min() > 0:  # the common case (NaN makes min NaN): no masks needed
        return np.log(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(np.where(x > 0, x, 1.0))
    out = np.where(x > 0, out, np.where(x == 0, LOG_TINY, np.nan))
    return out


def _xlogx_ratio(n: NDArray, mu: NDArray) -> NDArray:
    """``n ln(n / mu)`` elementwise, 0 where ``n <= 0``; ``ln 0`` as in :func:`safe_log`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ln_n = np.log(np.where(n > 0, n, 1.0))
    return np.where(n > 0, n * (ln_n - safe_log(mu)), 0.0)


def chi2(y: ArrayLike, ye: ArrayLike, ym: ArrayLike) -> float:
    """Chi-square ``sum ((y - ym) / ye)^2``.

    Parameters
    ----------
    y : array_like
        Observed values.
    ye : array_like
        Their standard deviations (broadcast against ``y``).
    ym : array_like
        Predicted values.

    Returns
    -------
    float
        The sum; a point with ``ye == 0`` adds 0 if ``y == ym`` and ``inf`` otherwise.

    Examples
    --------
    >>> chi2([1.0, 2.0], [1.0, 0.5], [0.0, 2.5])
    2.0
    """
    y, ye, ym = (floats(a) for a in (y, ye, ym))
    d = y - ym
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(d == 0, 0.0, d / ye)
    return total(z * z)


def poisson_chi2(n: ArrayLike, mu: ArrayLike) -> float:
    """Poisson deviance ``2 sum (mu - n + n ln(n / mu))`` (Baker-Cousins chi-square).

    Parameters
    ----------
    n : array_like
        Observed counts (may be non-integer, e.g. scaled weighted counts).
    mu : array_like
        Expected counts.

    Returns
    -------
    float

    Examples
    --------
    >>> poisson_chi2([0.0, 2.0], [1.0, 2.0])
    2.0
    """
    n, mu = floats(n), floats(mu)
    return 2.0 * total(mu - n + _xlogx_ratio(n, mu))


def multinomial_chi2(n: ArrayLike, mu: ArrayLike) -> float:
    """Multinomial deviance ``2 sum n ln(n / mu)``.

    Equals :func:`poisson_chi2` when ``sum mu == sum n``; ``mu`` is used as given (not
    renormalised).

    Parameters
    ----------
    n : array_like
        Observed counts.
    mu : array_like
        Expected counts.

    Returns
    -------
    float

    Examples
    --------
    >>> multinomial_chi2([0.0, 2.0], [1.0, 2.0])
    0.0
    """
    n, mu = floats(n), floats(mu)
    return 2.0 * total(_xlogx_ratio(n, mu))


def unbinned_nll(density: ArrayLike, *, log: bool = False) -> float:
    """Negative log-likelihood ``-sum ln f_i`` of a sample with densities ``f_i``.

    Parameters
    ----------
    density : array_like
        Densities ``f_i`` at the sample points, or ``ln f_i`` if ``log`` is true.
    log : bool, optional
        Whether ``density`` already holds logarithms.

    Returns
    -------
    float

    Examples
    --------
    >>> round(unbinned_nll([1.0, np.exp(-1.0)]), 12)
    1.0
    """
    f = floats(density)
    return -total(f if log else safe_log(f))


def _template_args(n: ArrayLike, mu: ArrayLike, mu_var: ArrayLike
                   ) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    n, mu, v = (np.asarray(a, dtype=float) for a in (n, mu, mu_var))
    n, mu, v = np.broadcast_arrays(n, mu, v)
    return n, mu, v, (v > 0) & (mu > 0)


def template_chi2_jsc(n: ArrayLike, mu: ArrayLike, mu_var: ArrayLike) -> float:
    """Conway's Barlow-Beeston-lite chi-square for a template fit (module docstring)."""
    return float(np.sum(_jsc_terms(n, mu, mu_var)))


def _poisson_terms(n: NDArray, mu: NDArray) -> NDArray:
    return 2.0 * (mu - n + _xlogx_ratio(n, mu))


def _jsc_terms(n: ArrayLike, mu: ArrayLike, mu_var: ArrayLike) -> NDArray:
    n, mu, v, ok = _template_args(n, mu, mu_var)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.where(ok, v / np.where(ok, mu, 1.0) ** 2, 0.0)
        q = mu * s2 - 1.0
        b = np.where(ok, 0.5 * (-q + np.sqrt(q * q + 4.0 * n * s2)), 1.0)
        penalty = np.where(ok, (b - 1.0) ** 2 / np.where(ok, s2, 1.0), 0.0)
    return _poisson_terms(n, b * mu) + penalty


def template_chi2_da(n: ArrayLike, mu: ArrayLike, mu_var: ArrayLike) -> float:
    """Dembinski-Abdelmotteleb chi-square for a template fit (module docstring)."""
    return float(np.sum(_da_terms(n, mu, mu_var)))


def _da_terms(n: ArrayLike, mu: ArrayLike, mu_var: ArrayLike) -> NDArray:
    n, mu, v, ok = _template_args(n, mu, mu_var)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(ok, mu * mu / np.where(ok, v, 1.0), 0.0)
        b = np.where(ok, (n + k) / (mu + k), 1.0)
    return _poisson_terms(n, b * mu) + _poisson_terms(k, b * k)


def template_nll_asy(n: ArrayLike, mu: ArrayLike, mu_var: ArrayLike) -> float:
    """Argüelles-Schneider-Yuan marginal negative log-likelihood (module docstring)."""
    return float(np.sum(_asy_terms(n, mu, mu_var)))


def _asy_terms(n: ArrayLike, mu: ArrayLike, mu_var: ArrayLike) -> NDArray:
    from scipy.special import gammaln

    n, mu, v, ok = _template_args(n, mu, mu_var)
    with np.errstate(divide="ignore", invalid="ignore"):
        vs = np.where(ok, v, 1.0)
        a = np.where(ok, mu * mu / vs + 1.0, 1.0)
        be = np.where(ok, mu / vs, 1.0)
        ll = (a * np.log(be) + gammaln(n + a) - gammaln(n + 1.0)
              - (n + a) * np.log1p(be) - gammaln(a))
        pois = np.where(n > 0, n * safe_log(mu), 0.0) - mu - gammaln(n + 1.0)
    return -np.where(ok, ll, pois)


_TEMPLATE_DOC = """

    Parameters
    ----------
    n : array_like
        Observed counts.
    mu : array_like
        Expected counts: the sum of the normalised templates scaled with their yields.
    mu_var : array_like
        Variance of ``mu`` from the template statistics (0 gives the Poisson limit).

    Returns
    -------
    {returns}

    Examples
    --------
    {example}
    """

template_chi2_jsc.__doc__ = (
    template_chi2_jsc.__doc__ or "") + _TEMPLATE_DOC.format(
    returns='float\n        Asymptotically chi-square distributed cost.',
    example='>>> round(template_chi2_jsc([3.0], [3.0], [1.0]), 12)\n    0.0')

template_chi2_da.__doc__ = (
    template_chi2_da.__doc__ or "") + _TEMPLATE_DOC.format(
    returns='float\n        Asymptotically chi-square distributed cost.',
    example='>>> round(template_chi2_da([3.0], [3.0], [1.0]), 12)\n    0.0')

template_nll_asy.__doc__ = (
    template_nll_asy.__doc__ or "") + _TEMPLATE_DOC.format(
    returns='float\n        Negative log-likelihood (use errordef 0.5).',
    example='>>> round(template_nll_asy([0.0], [1.0], [1.0]), 12)  # = 2 ln 2\n    1.38629436112')

#: the per-bin terms of each template method (their sums are the functions above)
TEMPLATE_TERMS = {"jsc": _jsc_terms, "da": _da_terms, "asy": _asy_terms}
