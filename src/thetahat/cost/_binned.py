"""Binned maximum-likelihood costs: ``BinnedNLL`` and ``ExtendedBinnedNLL``.

Bin contents ``n_i`` are independent Poisson counts with expectations ``mu_i(p)``.

- ``ExtendedBinnedNLL``: ``mu_i`` is the integral of the scaled density over bin i,
  ``mu_i = Lambda(p) * (F(b_i) - F(a_i))`` from the model's scaled cdf. The cost is the
  Poisson deviance ``2 sum (mu - n + n ln(n/mu))``, -2 ln L up to a constant.
- ``BinnedNLL``: the total is not a parameter; ``mu_i = N p_i`` with ``p_i`` the bin
  probabilities from the cdf and ``N = sum n``. The cost is the multinomial deviance
  ``2 sum n ln(n / mu)``. With a mask, ``mu_i = p_i sum_{masked} n / sum_{masked} p`` (the
  probabilities are renormalised over the selected bins, as in iminuit).

Both are asymptotically chi-square distributed at the minimum, so FCN/ndof is a
goodness-of-fit figure. ``use_pdf='approximate'`` replaces the bin integral by
``pdf(centre) * bin volume``; ``use_pdf='numerical'`` integrates the pdf with Simpson's rule
on each bin (edges and midpoint; one-dimensional histograms only, as iminuit).

Weighted histograms (``n`` with a last axis ``(sum w, sum w^2)``) use the scaled Poisson
distribution of G. Bohm and G. Zech, NIM A 748 (2014) 1: with ``s_i = sum w / sum w^2``,
``n_i s_i`` is approximately Poisson with mean ``mu_i s_i``, and the cost is
``poisson_chi2(n s, mu s)`` for both classes. A histogram object (``hist``,
``boost_histogram``, the UHI protocol) as ``n`` is read as ``values()``, or as
``(values, variances)`` when the variances differ from the values (a weighted fill), and its
axes' edges must equal ``xe``.

Gauss-Newton structure (``gauss_newton``): with ``dmu_i = d mu_i / dp`` (model gradient through
the same bin integration, or forward differences of ``mu``: one call per parameter),

    Poisson:      g = 2 sum s_i (1 - n_i / mu_i) dmu_i,
    multinomial:  g = -2 sum (n_i / mu_i) dmu_i,
    both:         H = 2 sum s_i dmu_i dmu_i^T / mu_i,

the expected Fisher information of the counts, as in MINUIT's FUMILI method (I. N. Silin,
CERN Program Library D510, 1983). Bins with ``mu_i <= 0`` are left out of H.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..derivatives.model import fd_jacobian, observed_hessian
from ._base import MaskedCost, describe_model, model_array
from ._diagnose import binned_diagnosis
from ._histogram import (  # noqa: F401 - histogram_input, parse_counts: for _template.py
    HistogramData,
    _parse_edges,
    histogram_input,
    parse_counts,
)
from ._stats import multinomial_chi2, poisson_chi2

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import ArrayLike, NDArray

__all__ = ["BinnedNLL", "ExtendedBinnedNLL"]


class _Binned(HistogramData, MaskedCost):
    """Shared data handling and bin integration of the binned costs."""

    _extended = False

    def __init__(self, n: ArrayLike, xe: Any, model: Callable, use_pdf: str, verbose: int,
                 grad: Callable | None, name: Sequence[str] | None) -> None:
        edges = _parse_edges(xe, open_ends=use_pdf if isinstance(use_pdf, str) else None)
        nb = tuple(e.size - 1 for e in edges)
        if use_pdf and grad is not None:
            raise ValueError("use_pdf and grad cannot be used together")
        if use_pdf not in ("", "approximate", "numerical"):
            raise ValueError(f"use_pdf = {use_pdf!r} must be '', 'approximate' or 'numerical'")
        if use_pdf == "numerical" and len(edges) > 1:
            # as iminuit: Simpson's rule on a tensor grid is accurate only for bins small
            # against the pdf's scale (0.2 % off on coarse 3-D bins), so no silent bias
            raise ValueError('use_pdf="numerical" is not supported for multidimensional '
                             "histograms")
        if not callable(model):
            raise TypeError("model must be callable")
        self._edges = edges
        self._nb = nb
        self._set_counts(n)
        self._model = model
        self._model_grad = grad
        self._use_pdf = use_pdf
        self._setup_grid()
        super().__init__(describe_model(model, name, True), nb, verbose)
        self._take_masks(self._counts_mask)

    # --- grid on which the model is evaluated, and the linear map to bin contents --------
    def _setup_grid(self) -> None:
        e = self._edges
        d = len(e)
        if self._use_pdf == "":
            axes = e
        elif self._use_pdf == "approximate":
            axes = [0.5 * (a[1:] + a[:-1]) for a in e]
        else:
            axes = []
            for a in e:
                pts = np.empty(2 * a.size - 1)
                pts[0::2] = a
                pts[1::2] = 0.5 * (a[1:] + a[:-1])
                axes.append(pts)
        self._grid_shape = tuple(a.size for a in axes)
        if d == 1:
            self._grid = axes[0]
        else:
            mesh = np.meshgrid(*axes, indexing="ij")
            if self._use_pdf == "approximate":
                self._grid = np.array(mesh)
            else:
                self._grid = np.array([m.ravel() for m in mesh])
        vol = np.ones(self._nb)
        for k, a in enumerate(e):
            shape = [1] * d
            shape[k] = a.size - 1
            vol = vol * np.diff(a).reshape(shape)
        self._volume = vol

    def _integrate(self, out: NDArray) -> NDArray:
        """Bin contents from model values on the grid; leading axes are carried along."""
        d = len(self._edges)
        lead = out.shape[: out.ndim - (1 if (d == 1 or self._use_pdf != "approximate") else d)]
        out = out.reshape(lead + self._grid_shape)
        if self._use_pdf == "":
            for k in range(d):
                out = np.diff(out, axis=len(lead) + k)
            return out
        if self._use_pdf == "approximate":
            return out * self._volume
        for k in range(d):
            ax = len(lead) + k
            f0 = np.take(out, np.arange(0, out.shape[ax] - 1, 2), axis=ax)
            fm = np.take(out, np.arange(1, out.shape[ax], 2), axis=ax)
            f1 = np.take(out, np.arange(2, out.shape[ax], 2), axis=ax)
            out = (f0 + 4.0 * fm + f1) / 6.0
        return out * self._volume

    def _eval_model(self, call: tuple, wide: bool = False) -> NDArray:
        out = model_array(self._model(self._grid, *call), wide)
        flat = len(self._edges) == 1 or self._use_pdf != "approximate"
        expect = self._grid.shape[-1:] if flat else self._grid.shape[1:]
        if out.shape != expect:
            what = "cdf" if self._use_pdf == "" else "pdf"
            raise ValueError(f"output of model has shape {out.shape}, but {expect} is "
                             f"required: the {what} gives one value per point of the grid "
                             "it was given")
        return out

    def _update_cache(self) -> None:
        m = self._mask
        sel = np.ones(self._nb, dtype=bool) if m is None else m
        self._sel = sel.ravel()
        if m is None:  # views: in-place edits of n are seen without a setter
            self._nm, self._n2m = self._n.reshape(-1), self._n2.reshape(-1)
        else:
            self._nm, self._n2m = self._n.ravel()[self._sel], self._n2.ravel()[self._sel]
        self._sm = None if self._scale is None else self._scale.ravel()[self._sel]

    def _ndata(self) -> float:
        return int(self._nm.size)

    def diagnose(self, x: NDArray, free: NDArray) -> tuple[str, ...]:
        """Bins with entries and a prediction <= 0 at ``x`` (:mod:`thetahat.cost._diagnose`).

        Parameters
        ----------
        x : numpy.ndarray
            Values of all parameters at the minimum, in positional order.
        free : numpy.ndarray of bool
            Which parameters were free in the fit.

        Returns
        -------
        tuple of str
            One message per reason not to trust the minimum; empty for a sound one.

        Examples
        --------
        A bin with entries but no expected count makes the minimum untrustworthy:

        >>> from scipy.stats import norm
        >>> c = BinnedNLL([2, 5, 3], [-1.5, -0.5, 0.5, 1.5], lambda x, mu: norm.cdf(x, mu))
        >>> c.diagnose(np.array([0.0]), np.array([True]))  # a sound one
        ()
        >>> c = BinnedNLL([2, 5], [0.0, 1.0, 2.0], lambda x, a: np.clip(a * x, 0, 1))
        >>> print(c.diagnose(np.array([1.0]), np.array([True]))[0][:54])  # the bin [1, 2]
        1 of 2 bins with entries have a predicted content <= 0
        """
        mu = self._mu(self._call_args(np.asarray(x, dtype=float).ravel())).ravel()[self._sel]
        return binned_diagnosis(self._nm, mu)

    @property
    def has_grad(self) -> bool:
        """Whether a model gradient was given (``grad=``): then :meth:`grad` works.

        Examples
        --------
        >>> c = ExtendedBinnedNLL([4], [0.0, 1.0], lambda xe, lam: lam * np.asarray(xe),
        ...                       grad=lambda xe, lam: np.asarray(xe)[None, :])
        >>> c.has_grad, c.grad(4.0).round(12).tolist()  # d/dlam 2 (lam - n + n ln(n / lam)) = 0
        (True, [0.0])
        """
        return self._model_grad is not None

    # --- prediction and its derivatives --------------------------------------------------
    def _mu_from_integral(self, q: NDArray) -> NDArray:
        """Expected counts (full bin shape) from the bin integrals ``q`` of the model."""
        return q  # overridden by BinnedNLL

    def _mu(self, call: tuple, wide: bool = False) -> NDArray:
        return self._mu_from_integral(self._integrate(self._eval_model(call, wide)))

    def _dmu(self, p: NDArray, call: tuple, mu_flat_m: NDArray,
             free: NDArray | None = None, steps: NDArray | None = None) -> NDArray:
        """``d mu / dp`` over the selected bins, shape (npar, nsel)."""
        if self._model_grad is not None:
            dq = np.asarray(self._model_grad(self._grid, *call), dtype=float)
            q = self._integrate(self._eval_model(call))
            dq = self._integrate(dq).reshape(p.size, -1)
            return self._dmu_from_dq(q.ravel(), dq)[:, self._sel]
        jac = fd_jacobian(lambda v: self._mu(self._call_args(v)).ravel()[self._sel], p,
                          mu_flat_m, free, steps)
        self._fd_cache.store(p, steps, mu_flat_m, jac)
        return jac

    def _dmu_from_dq(self, q: NDArray, dq: NDArray) -> NDArray:
        return dq

    def _chi2(self, mu_m: NDArray) -> float:
        if self._weighted:
            return poisson_chi2(self._nm * self._sm, mu_m * self._sm)
        if self._extended:
            return poisson_chi2(self._nm, mu_m)
        return multinomial_chi2(self._nm, mu_m)

    def _value(self, args: tuple) -> float:
        return self._chi2(self._mu(args, wide=True).ravel()[self._sel])

    def _grad_from(self, mu_m: NDArray, dmu: NDArray) -> NDArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where((self._nm > 0) & (mu_m > 0), self._nm / mu_m, 0.0)
        if self._weighted:
            assert self._sm is not None  # set for weighted counts
            return 2.0 * dmu @ (self._sm * (1.0 - ratio))
        if self._extended:
            return 2.0 * dmu @ (1.0 - ratio)
        return -2.0 * dmu @ ratio

    def _grad(self, args: tuple) -> NDArray:
        p = np.asarray(args, dtype=float).ravel()
        mu_m = self._mu(args).ravel()[self._sel]
        return self._grad_from(mu_m, self._dmu(p, args, mu_m))

    def gauss_newton(self, args: ArrayLike, free: NDArray | None = None,
                     steps: NDArray | None = None) -> tuple[float, NDArray, NDArray]:
        """Value, gradient and FUMILI matrix ``2 sum s dmu dmu^T / mu`` (module docstring).

        Parameters
        ----------
        args : array_like
            Values of all parameters, in positional order.
        free : numpy.ndarray of bool, optional
            Which parameters are free: derivatives are taken over these only (None: all).
        steps : numpy.ndarray, optional
            Finite-difference step of each parameter, used where a derivative is numerical.

        Returns
        -------
        value : float
            The cost at ``args``.
        grad : numpy.ndarray
            Its gradient over the free parameters.
        hessian : numpy.ndarray
            The approximate Hessian named above (positive semi-definite) over the free parameters.

        Examples
        --------
        The Hessian is the Fisher information ``2 sum dmu_i^2 / mu_i``; here (one bin, ``mu = lam``)
        ``2 / lam``:

        >>> c = ExtendedBinnedNLL([4], [0.0, 1.0], lambda xe, lam: lam * np.asarray(xe))
        >>> f, g, h = c.gauss_newton([4.0])
        >>> round(f, 12), g.round(6).tolist(), h.round(6).tolist()  # at the minimum lam = n
        (0.0, [0.0], [[0.5]])
        """
        p = np.asarray(args, dtype=float).ravel()
        call = self._call_args(p)
        mu_m = self._mu(call).ravel()[self._sel]
        dmu = self._dmu(p, call, mu_m, free, steps)
        w = np.where(mu_m > 0, 1.0 / np.where(mu_m > 0, mu_m, 1.0), 0.0)
        if self._weighted:
            w = w * self._sm
        h = 2.0 * (dmu * w) @ dmu.T
        h = 0.5 * (h + h.T)  # exactly symmetric
        return self._chi2(mu_m), self._grad_from(mu_m, dmu), h

    def _loss_derivs(self, mu_m: NDArray) -> tuple[float, NDArray, NDArray]:
        """Value and elementwise d/dmu, d²/dmu² of the deviance (module docstring)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where((self._nm > 0) & (mu_m > 0), self._nm / mu_m, 0.0)
            d2 = np.where((self._nm > 0) & (mu_m > 0), ratio / mu_m, 0.0)
        if self._weighted:
            assert self._sm is not None  # set for weighted counts
            return (self._chi2(mu_m), 2.0 * self._sm * (1.0 - ratio),
                    2.0 * self._sm * d2)
        d1 = 2.0 * (1.0 - ratio) if self._extended else -2.0 * ratio
        return self._chi2(mu_m), d1, 2.0 * d2

    def exact_hessian(self, args: ArrayLike, steps: NDArray, free: NDArray | None = None
                      ) -> tuple[float, NDArray, NDArray, bool] | None:
        """Value, gradient and exact Hessian
        (:func:`thetahat.derivatives.model.observed_hessian`).

        Parameters
        ----------
        args : array_like
            Values of all parameters, in positional order.
        steps : numpy.ndarray
            Finite-difference step of each parameter, used where a derivative is numerical.
        free : numpy.ndarray of bool, optional
            Which parameters are free: derivatives are taken over these only (None: all).

        Returns
        -------
        tuple or None
            ``(value, grad, hessian, reused)``: the cost, its gradient and exact Hessian over the
            free parameters, and whether the model values of the last :meth:`gauss_newton` call at
            this point with these steps were reused; None when the model is not finite at a
            difference point.

        Examples
        --------
        The Poisson deviance ``2 (lam - n + n ln(n / lam))`` has the second derivative
        ``2 n / lam^2`` = 0.5 at lam = n = 4:

        >>> c = ExtendedBinnedNLL([4], [0.0, 1.0], lambda xe, lam: lam * np.asarray(xe))
        >>> f, g, h, reused = c.exact_hessian([4.0], np.array([1e-3]))
        >>> h.round(4).tolist()
        [[0.5]]
        """
        if self._model_grad is not None:
            return None
        return observed_hessian(lambda q: self._mu(self._call_args(q)).ravel()[self._sel],
                                self._loss_derivs, np.asarray(args, dtype=float).ravel(),
                                steps, free, self._fd_cache)

    def prediction(self, args: ArrayLike) -> NDArray:
        """Expected counts in every bin (masked bins included).

        Parameters
        ----------
        args : array_like
            Values of all parameters, in positional order.

        Returns
        -------
        numpy.ndarray
            The prediction, one value per data point or bin.

        Examples
        --------
        >>> from scipy.stats import norm
        >>> c = BinnedNLL([2, 5, 3], [-1.5, -0.5, 0.5, 1.5], lambda x, mu: norm.cdf(x, mu))
        >>> mu = c.prediction([0.0])  # N = 10 times the bin probabilities of the cdf
        >>> mu.round(3).tolist(), bool(np.isclose(mu.sum(), 10 * (norm.cdf(1.5) - norm.cdf(-1.5))))
        ([2.417, 3.829, 2.417], True)
        """
        return self._mu(self._call_args(args))

    def pulls(self, args: ArrayLike) -> NDArray:
        """``(n - mu) / sqrt(var n)``; NaN for masked bins and bins with zero variance.

        Parameters
        ----------
        args : array_like
            Values of all parameters, in positional order.

        Returns
        -------
        numpy.ndarray
            The pulls, one per data point or bin.

        Examples
        --------
        >>> c = ExtendedBinnedNLL([4, 9], [0.0, 1.0, 2.0], lambda xe, lam: lam * np.asarray(xe))
        >>> c.pulls([4.0]).tolist()  # (n - mu) / sqrt(n): (4 - 4) / 2, (9 - 4) / 3
        [0.0, 1.6666666666666667]
        """
        mu = self.prediction(args)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(self._n2 > 0, (self._n - mu) / np.sqrt(self._n2), np.nan)
        if self._mask is not None:
            r = np.where(self._mask, r, np.nan)
        return r

    def visualize(self, args: ArrayLike) -> Any:
        """Draw the counts with Poisson errors and the expected counts (1-D only).

        Parameters
        ----------
        args : array_like
            Values of all parameters, in positional order.

        Returns
        -------
        object
            What was drawn: the data and model arrays of the drawing (matplotlib draws on the
            current axes).

        Examples
        --------
        Drawn with the Agg backend: the counts with errors and the expected counts per bin:

        >>> from matplotlib import pyplot as plt
        >>> c = ExtendedBinnedNLL([4, 9], [0.0, 1.0, 2.0], lambda xe, lam: lam * np.asarray(xe))
        >>> (cx, n, ne), (xe, mu) = c.visualize([4.0])
        >>> cx.tolist(), ne.tolist(), mu.tolist()
        ([0.5, 1.5], [2.0, 3.0], [4.0, 4.0])
        >>> plt.close("all")
        """
        from ._visualize import visualize_binned

        return visualize_binned(self, args)


class BinnedNLL(_Binned):
    """Binned negative log-likelihood of a histogram for a normalised model (multinomial).

    Parameters
    ----------
    n : array_like
        Bin counts, shape (nbins...) or (nbins..., 2) for (sum w, sum w^2).
    xe : array_like or sequence of array_like
        Bin edges (one array per dimension).
    cdf : callable
        ``cdf(xe, *p)`` of the model (a pdf when ``use_pdf`` is set). In several dimensions
        it receives an array of shape (d, m) of grid points.
    verbose : int, optional
        Print arguments and value on every call if >= 1.
    grad : callable, optional
        Gradient of the cdf in the parameters, shape (npar,) + grid shape.
    use_pdf : {'', 'approximate', 'numerical'}, optional
        Integrate a pdf instead of differencing a cdf.
    name : sequence of str, optional
        Parameter names.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import norm
    >>> c = BinnedNLL([2, 5, 3], [-1.5, -0.5, 0.5, 1.5], lambda x, mu: norm.cdf(x, mu))
    >>> c.ndata, c.npar, c.ndof_offset
    (3, 1, 1)
    """

    #: Constraints among the ``ndata`` bins that the fit does not estimate: the total count
    #: is fixed, so a multinomial has ``ndata - 1`` free cells and ``Minuit.ndof`` is
    #: ``ndata - 1 - nfit`` (iminuit does not subtract it; ``ndata`` itself is unchanged).
    ndof_offset: int = 1

    def __init__(self, n: ArrayLike, xe: Any, cdf: Callable, *, verbose: int = 0,
                 grad: Callable | None = None, use_pdf: str = "",
                 name: Sequence[str] | None = None) -> None:
        super().__init__(n, xe, cdf, use_pdf, verbose, grad, name)

    @property
    def cdf(self) -> Callable:
        """The model cdf (or pdf with ``use_pdf``).

        Examples
        --------
        >>> from scipy.stats import norm
        >>> c = BinnedNLL([2, 5, 3], [-1.5, -0.5, 0.5, 1.5], lambda x, mu: norm.cdf(x, mu))
        >>> float(c.cdf(0.0, 0.0))  # the model as given
        0.5
        """
        return self._model

    def _norm(self, q_flat: NDArray) -> tuple[float, float | None]:
        if self._mask is None:
            return float(np.sum(self._n)), None
        return float(np.sum(self._nm)), float(np.sum(q_flat[self._sel]))

    def _mu_from_integral(self, q: NDArray) -> NDArray:
        ntot, qsum = self._norm(q.ravel())
        return q * ntot if qsum is None else q * (ntot / qsum)

    def _dmu_from_dq(self, q: NDArray, dq: NDArray) -> NDArray:
        ntot, qsum = self._norm(q)
        if qsum is None:
            return dq * ntot
        dsum = dq[:, self._sel].sum(axis=1)
        return ntot * (dq / qsum - np.outer(dsum, q) / qsum**2)


class ExtendedBinnedNLL(_Binned):
    """Extended binned negative log-likelihood (Poisson) of a histogram.

    Parameters
    ----------
    n : array_like
        Bin counts, shape (nbins...) or (nbins..., 2) for (sum w, sum w^2).
    xe : array_like or sequence of array_like
        Bin edges.
    scaled_cdf : callable
        ``scaled_cdf(xe, *p)``: expected number of events below ``xe`` (a scaled pdf with
        ``use_pdf``).
    verbose, grad, use_pdf, name
        As :class:`BinnedNLL`.

    Examples
    --------
    Two bins of a flat distribution with ``mu`` expected events in all: the estimate is
    the total count, 6, with the Poisson error ``sqrt(6)`` (closed form):

    >>> import numpy as np
    >>> from thetahat import Minuit
    >>> c = ExtendedBinnedNLL([2, 4], [0, 1, 2], lambda xe, mu: mu * np.asarray(xe) / 2)
    >>> m = Minuit(c, mu=1)
    >>> m.limits["mu"] = (0, None)
    >>> _ = m.migrad()
    >>> round(m.values["mu"], 4), round(m.errors["mu"], 3)
    (6.0, 2.449)
    """

    _extended = True

    def __init__(self, n: ArrayLike, xe: Any, scaled_cdf: Callable, *, verbose: int = 0,
                 grad: Callable | None = None, use_pdf: str = "",
                 name: Sequence[str] | None = None) -> None:
        super().__init__(n, xe, scaled_cdf, use_pdf, verbose, grad, name)

    @property
    def scaled_cdf(self) -> Callable:
        """The scaled cdf model (or scaled pdf with ``use_pdf``).

        Examples
        --------
        >>> c = ExtendedBinnedNLL([4, 9], [0.0, 1.0, 2.0], lambda xe, lam: lam * np.asarray(xe))
        >>> float(c.scaled_cdf(2.0, 6.5))  # lam times the cdf at the upper edge
        13.0
        """
        return self._model
