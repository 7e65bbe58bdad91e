"""Unbinned maximum-likelihood costs: ``UnbinnedNLL`` and ``ExtendedUnbinnedNLL``.

For a sample ``x_1..x_N`` and a normalised density ``f(x; p)``,

    UnbinnedNLL:          value(p) = -2 sum_i ln f(x_i; p),
    ExtendedUnbinnedNLL:  value(p) = 2 (Lambda(p) - sum_i ln g(x_i; p)),

where the extended model returns ``(Lambda, g)``: the expected number of events and the
density scaled to it (``g = Lambda f``). Both are -2 ln L (up to a constant), so errordef
is 1; there is no goodness-of-fit figure, and ``ndata`` is ``inf``.

Gauss-Newton structure (``gauss_newton``): with the per-event scores ``s_i = d ln f(x_i) / dp``
(resp. ``t_i = d ln g(x_i) / dp``),

    UnbinnedNLL:          g = -2 sum_i s_i,              H = 2 sum_i s_i s_i^T,
    ExtendedUnbinnedNLL:  g = 2 (dLambda - sum_i t_i),   H = 2 sum_i t_i t_i^T.

H is the outer-product-of-scores (BHHH) estimate of the Fisher information (E. Berndt,
B. Hall, R. Hall, J. Hausman, Ann. Econ. Soc. Meas. 3 (1974) 653): the expectation of
``sum s s^T`` equals the expected Hessian of -ln L for a correct model. For the extended
likelihood, Campbell's theorem gives ``E[sum_i t_i t_i^T] = integral g t t^T dx``, which is
the expected Hessian of ``Lambda - sum ln g``, so the same estimate applies with the
yield's derivative entering only the gradient. Scores come from the model gradient when
given, else forward differences of the density (one call per parameter).

Memory. The derivatives (scores, BHHH matrix, the exact Hessian) are sums over events, so
a sample larger than :data:`~thetahat.derivatives.model.EVENT_CHUNK` events is processed
in chunks (:func:`~thetahat.derivatives.model.event_slices`: at most that many events,
fewer for many parameters): the model is evaluated on a view of the chunk's events, the
chunk's sums are accumulated and its vectors dropped. The peak memory is then that of a
plain cost evaluation (the model on the whole sample) plus a few chunk-sized vectors per
parameter, whatever the number of parameters; the sums agree with the unchunked ones to
rounding. (A model is assumed to treat events separately, as the likelihood does.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from .._core.warnings import warn_user
from ..derivatives.model import event_slices, fd_jacobian, observed_hessian, observed_hessian_sum
from ._base import MaskedCost, describe_model, model_array, unmask
from ._diagnose import normalisation_diagnosis, unbinned_diagnosis
from ._stats import safe_log, total

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import ArrayLike, NDArray

__all__ = ["UnbinnedNLL", "ExtendedUnbinnedNLL"]


def _check_not_infinite(d: NDArray) -> None:
    """An infinite event has density 0 under every model; the log clamp would then count it
    as a constant and the fit would look fine. NaN stays allowed (as in iminuit): it marks
    an event to mask out, and an unmasked NaN makes the cost NaN, which no fit accepts."""
    bad = np.flatnonzero(np.isinf(d.reshape(-1)))
    if bad.size:
        i = int(bad[0])
        where = f"[{i}]" if d.ndim == 1 else str(list(np.unravel_index(i, d.shape)))
        raise ValueError(f"data{where} = {d.reshape(-1)[i]} is infinite: an event must be a "
                         "finite number")


class _Unbinned(MaskedCost):
    """Shared data handling of the unbinned costs."""

    def __init__(self, data: ArrayLike, model: Callable, log: bool, verbose: int,
                 grad: Callable | None, name: Sequence[str] | None) -> None:
        data, masked = unmask(data)
        d = np.asarray(data, dtype=float)
        if d.ndim == 0 or d.ndim > 2:
            raise ValueError(f"data must have shape (N,) or (k, N), got {d.shape}")
        if not callable(model):
            raise TypeError("model must be callable")
        _check_not_infinite(d)
        self._data = d
        self._model = model
        self._model_grad = grad
        self._log = bool(log)
        super().__init__(describe_model(model, name, True), (d.shape[-1],), verbose)
        self._take_masks(masked)

    @property
    def data(self) -> NDArray:
        """The sample, shape (N,) or (k, N); a new sample must have the same shape.

        Examples
        --------
        >>> c = UnbinnedNLL([0.5, 1.5], lambda x, t: t * np.exp(-t * x))
        >>> c.data = [1.0, 3.0]  # same shape; the exponential's MLE is t = 1 / mean = 0.5
        >>> c.data.tolist(), bool(np.isclose(c(0.5), -2 * (2 * np.log(0.5) - 0.5 * 4)))
        ([1.0, 3.0], True)
        """
        return self._data

    @data.setter
    def data(self, value: ArrayLike) -> None:
        value, masked = unmask(value)
        d = np.array(value, dtype=float)
        if d.shape != self._data.shape:
            raise ValueError(f"data has shape {d.shape}, expected {self._data.shape} (the "
                             "shape of the sample the cost was made with)")
        _check_not_infinite(d)
        self._data = d
        self._fd_cache = type(self._fd_cache)()
        self._update_cache()
        self._take_masks(masked)

    @property
    def pdf(self) -> Callable[..., NDArray]:
        """``pdf(x, *par)``: the normalised density (exponentiated if ``log``).

        Examples
        --------
        >>> c = ExtendedUnbinnedNLL([0.2, 0.5], lambda x, lam: (lam, np.full(len(x), lam)))
        >>> c.pdf([0.5], 3.0).tolist(), c.scaled_pdf([0.5], 3.0).tolist()  # g / Lambda, g
        ([1.0], [3.0])
        """
        return lambda x, *args: self._density_at(np.asarray(x, dtype=float), args, False)

    @property
    def scaled_pdf(self) -> Callable[..., NDArray]:
        """``scaled_pdf(x, *par)``: the density scaled to the expected number of events
        (the sample size for :class:`UnbinnedNLL`).

        Examples
        --------
        For :class:`UnbinnedNLL` the scale is the sample size:

        >>> c = UnbinnedNLL([0.2, 0.5, 0.7], lambda x, t: t * np.exp(-t * x))
        >>> c.pdf([0.0], 2.0).tolist(), c.scaled_pdf([0.0], 2.0).tolist()  # t, 3 t
        ([2.0], [6.0])
        """
        return lambda x, *args: self._density_at(np.asarray(x, dtype=float), args, True)

    def fisher_information(self, *args: float) -> NDArray:
        """Estimate of the Fisher information of the parameters at ``args``: the sum of
        the outer products of the per-event scores (module docstring), as a matrix.

        Parameters
        ----------
        *args : float
            Parameter values.

        Returns
        -------
        ndarray
            Matrix of shape (npar, npar); its inverse is :meth:`covariance`.

        Examples
        --------
        >>> import numpy as np
        >>> c = UnbinnedNLL([-1.0, 1.0], lambda x, mu: np.exp(-0.5 * (x - mu) ** 2) /
        ...                 np.sqrt(2 * np.pi))
        >>> c.fisher_information(0.0).round(6).tolist()  # scores x - mu = -1, 1
        [[2.0]]
        """
        p = np.asarray(self._unpack(args), dtype=float).ravel()
        return 0.5 * self.gauss_newton(p)[2]

    def covariance(self, *args: float) -> NDArray:
        """Inverse of :meth:`fisher_information`: the asymptotic covariance of the
        maximum-likelihood estimate at ``args``.

        Parameters
        ----------
        *args : float
            Values of all parameters.

        Returns
        -------
        numpy.ndarray
            The covariance matrix, ``npar`` by ``npar``.

        Examples
        --------
        For a Gaussian of known width 1 the covariance of the mean is ``1 / N`` (scores
        ``x_i - mu``; N = 4, sum of squared scores 4 at mu = 0):

        >>> c = UnbinnedNLL([-1.0, -1.0, 1.0, 1.0], lambda x, mu: np.exp(-0.5 * (x - mu) ** 2) /
        ...                 np.sqrt(2 * np.pi))
        >>> c.covariance(0.0).round(6).tolist()
        [[0.25]]
        """
        return np.linalg.inv(self.fisher_information(*args))

    def gauss_newton(self, args: ArrayLike, free: NDArray | None = None,
                     steps: NDArray | None = None
                     ) -> tuple[float, NDArray, NDArray]:  # pragma: no cover - overridden
        raise NotImplementedError

    def _density_at(self, x: NDArray, args: tuple, scaled: bool) -> NDArray:
        raise NotImplementedError  # pragma: no cover - overridden

    def _update_cache(self) -> None:
        self._dm = self._data if self._mask is None else self._data[..., self._mask]

    def diagnose(self, x: NDArray, free: NDArray) -> tuple[str, ...]:
        """Reasons why a minimum at ``x`` is no maximum of the likelihood (a sample without
        spread, events with pdf <= 0, an unnormalised pdf: :mod:`thetahat.cost._diagnose`);
        one model call on the events, a few on quadrature nodes for :class:`UnbinnedNLL`.

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
        >>> c = UnbinnedNLL([0.5, 1.5], lambda x, t: t * np.exp(-t * x))
        >>> c.diagnose(np.array([1.0]), np.array([True]))  # a normalised pdf, events inside
        ()
        """
        x = np.asarray(x, dtype=float).ravel()
        f = self._diagnosed_density(self._call_args(x))
        out = unbinned_diagnosis(self._dm, f, self._log, int(np.count_nonzero(free)),
                                 isinstance(self, ExtendedUnbinnedNLL))
        if not out and not isinstance(self, ExtendedUnbinnedNLL):
            out = normalisation_diagnosis(
                self._dm, lambda t, q: self._density_at(t, self._call_args(q), False), x,
                free)
        return out

    def _diagnosed_density(self, call: tuple) -> NDArray:  # pragma: no cover - overridden
        raise NotImplementedError

    def _ndata(self) -> float:
        return np.inf

    @property
    def has_grad(self) -> bool:
        """Whether a model gradient was given (``grad=``): then :meth:`grad` works.

        Examples
        --------
        >>> c = UnbinnedNLL([0.5, 1.5], lambda x, t: t * np.exp(-t * x),
        ...                 grad=lambda x, t: np.array([(1 - t * x) * np.exp(-t * x)]))
        >>> c.has_grad, c.grad(1.0).round(12).tolist()  # -2 sum(1 / t - x) = 0 at t = 1 / mean
        (True, [0.0])
        """
        return self._model_grad is not None

    def _check_density(self, f: Any, wide: bool = False) -> NDArray:
        f = model_array(f, wide)
        n = self._dm.shape[-1]
        if f.shape != (n,):
            raise ValueError(
                f"output of model has shape {f.shape}, but ({n},) is required: one value "
                "per event of data"
            )
        return f

    def _log_density(self, f: NDArray) -> NDArray:
        return f if self._log else safe_log(f)

    def _chunks(self) -> list[NDArray]:
        """Views of the events in chunks (module docstring); one when the sample is small."""
        return [self._dm[..., sl] for sl in event_slices(self._dm.shape[-1], self.npar)]

    def _density_of(self, x: NDArray, call: tuple) -> NDArray:
        """The model's density (``_density``) at the events ``x``, a chunk of the data."""
        return self._chunk_array(self._model(x, *call), x)

    def _density_q(self, x: NDArray, q: NDArray) -> NDArray:
        """:meth:`_density_of` at the flat parameters ``q``."""
        return self._density_of(x, self._call_args(q))

    @staticmethod
    def _chunk_array(f: Any, x: NDArray) -> NDArray:
        """The model's output ``f`` at the events ``x``: one value per event."""
        f = model_array(f)
        if f.shape != (x.shape[-1],):
            raise ValueError(f"output of model has shape {f.shape}, but ({x.shape[-1]},) "
                             "is required: one value per event of data")
        return f

    def _event_loss(self, f: NDArray) -> tuple[float, NDArray, NDArray]:
        """Value and elementwise d/df, d²/df² of ``-2 sum ln f``."""
        value = float(-2.0 * np.sum(self._log_density(f)))
        if self._log:
            return value, np.full(f.size, -2.0), np.zeros(f.size)
        with np.errstate(divide="ignore"):
            inv = 1.0 / f
        return value, -2.0 * inv, 2.0 * inv * inv

    def _scores(self, p: NDArray, call: tuple, f: NDArray, fn: Callable | None,
                free: NDArray | None = None, steps: NDArray | None = None,
                x: NDArray | None = None, store: bool = True) -> NDArray:
        """``d ln f_i / dp``, shape (npar, n), from the model gradient or differences, at
        the events ``x`` (default: all); ``store``: keep the differences for HESSE."""
        if self._model_grad is not None:
            events = self._dm if x is None else x
            jac = np.asarray(self._model_grad(events, *call), dtype=float)
            if jac.shape == (f.size,) and p.size == 1:
                jac = jac.reshape(1, f.size)
            if jac.shape != (p.size, f.size):
                raise ValueError(
                    f"grad returned an array of shape {jac.shape}; expected ({p.size}, {f.size})"
                )
        else:
            assert fn is not None  # callers pass the model function when it has no grad
            jac = fd_jacobian(fn, p, f, free, steps)
            if store:
                self._fd_cache.store(p, steps, f, jac)
        if self._log:
            return jac
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(f > 0, jac / np.where(f > 0, f, 1.0), 0.0)

    def visualize(self, args: ArrayLike, model_points: int | Sequence[float] = 0,
                  bins: int = 50, **kwargs: Any) -> Any:
        """Histogram the sample and draw the (scaled) density (1-D data only).

        ``nbins`` is an old name of ``bins`` (it warns).

        Parameters
        ----------
        args : array_like
            Values of all parameters, in positional order.
        model_points : int or sequence of float, default 0
            Points of the density curve: 0 a default grid, an int that many equally spaced
            points, a sequence those ``x``.
        bins : int, default 50
            Number of histogram bins.
        **kwargs
            Only ``nbins``, the old name of ``bins`` (it warns).

        Returns
        -------
        object
            The histogram and the density curve drawn.

        Raises
        ------
        TypeError
            For a keyword other than ``nbins``.

        Examples
        --------
        Drawn with the Agg backend: a histogram of the sample and the density scaled to it:

        >>> from matplotlib import pyplot as plt
        >>> c = UnbinnedNLL([0.2, 0.4, 0.6, 0.8], lambda x, t: t * np.exp(-t * x))
        >>> (cx, n, ne), (xm, ym) = c.visualize([1.0], bins=2)
        >>> cx.round(6).tolist(), n.tolist()  # two bins over the range of the sample
        ([0.35, 0.65], [2, 2])
        >>> plt.close("all")
        """
        from ._visualize import visualize_unbinned

        if "nbins" in kwargs:
            warn_user("keyword 'nbins' is deprecated, use 'bins'", FutureWarning)
            bins = kwargs.pop("nbins")
        if kwargs:
            raise TypeError(f"unexpected keyword arguments {sorted(kwargs)}")
        return visualize_unbinned(self, args, model_points, bins)


class UnbinnedNLL(_Unbinned):
    """Unbinned negative log-likelihood ``-2 sum ln pdf(x_i; p)``.

    Parameters
    ----------
    data : array_like
        Sample, shape (N,) or (k, N).
    pdf : callable
        ``pdf(x, *p) -> array (N,)``, normalised over the data range.
    verbose : int, optional
        Print arguments and value on every call if >= 1.
    log : bool, optional
        ``pdf`` returns ``ln pdf`` (more accurate in the tails).
    grad : callable, optional
        ``grad(x, *p) -> array (npar, N)``: gradient of the pdf (of ``ln pdf`` if ``log``).
    name : sequence of str, optional
        Parameter names.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import norm
    >>> c = UnbinnedNLL([-1.0, 0.0, 1.0], lambda x, mu, s: norm.pdf(x, mu, s))
    >>> bool(abs(c(0.0, 1.0) + 2 * norm.logpdf([-1, 0, 1]).sum()) < 1e-12)
    True
    """

    def __init__(self, data: ArrayLike, pdf: Callable, *, verbose: int = 0, log: bool = False,
                 grad: Callable | None = None, name: Sequence[str] | None = None) -> None:
        super().__init__(data, pdf, log, verbose, grad, name)

    def _density_at(self, x: NDArray, args: tuple, scaled: bool) -> NDArray:
        f = np.asarray(self._model(x, *args))
        f = np.exp(f) if self._log else f
        return f * self._data.shape[-1] if scaled else f

    def _density(self, call: tuple) -> NDArray:
        return self._check_density(self._model(self._dm, *call))

    _diagnosed_density = _density

    def _value(self, args: tuple) -> float:
        f = self._check_density(self._model(self._dm, *args), wide=True)
        return -2.0 * total(self._log_density(f))

    def _grad(self, args: tuple) -> NDArray:
        p = np.asarray(args, dtype=float).ravel()
        out = np.zeros(p.size)
        for x in self._chunks():
            f = self._density_of(x, args)
            out -= 2.0 * np.sum(self._scores(p, args, f, None, x=x, store=False), axis=1)
        return out

    def gauss_newton(self, args: ArrayLike, free: NDArray | None = None,
                     steps: NDArray | None = None) -> tuple[float, NDArray, NDArray]:
        """Value, gradient ``-2 sum s_i`` and BHHH matrix ``2 sum s_i s_i^T``, summed over
        chunks of events (module docstring).

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
        For a Gaussian with mean 0 and width 1 at x = (-1, 0, 1): the gradient in the width
        ``-2 sum((x - mu)^2 / s^3 - 1 / s)`` = 2, the Hessian the sum of the outer products of
        the scores, times 2:

        >>> from scipy.stats import norm
        >>> c = UnbinnedNLL([-1.0, 0.0, 1.0], lambda x, mu, s: norm.pdf(x, mu, s))
        >>> f, g, h = c.gauss_newton([0.0, 1.0])
        >>> (g.round(4) + 0.0).tolist(), (h.round(4) + 0.0).tolist()  # + 0.0: no -0.0
        ([0.0, 2.0], [[4.0, 0.0], [0.0, 2.0]])
        """
        p = np.asarray(args, dtype=float).ravel()
        call = self._call_args(p)
        chunks = self._chunks()
        value, grad, bhhh = 0.0, np.zeros(p.size), np.zeros((p.size, p.size))
        for x in chunks:
            f = self._density_of(x, call)
            s = self._scores(p, call, f, partial(self._density_q, x), free, steps, x,
                             store=len(chunks) == 1)
            value += float(-2.0 * np.sum(self._log_density(f)))
            grad -= 2.0 * s.sum(axis=1)
            bhhh += 2.0 * (s @ s.T)
        return value, grad, bhhh

    def _loss_derivs(self, f: NDArray) -> tuple[float, NDArray, NDArray]:
        """Value and elementwise d/df, d²/df² of ``-2 sum ln f``."""
        return self._event_loss(f)

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
        The exact second derivatives of ``-2 sum ln pdf`` at mean 0, width 1, x = (-1, 0, 1):
        ``2 N / s^2`` = 6 in the mean and ``-2 sum(1 / s^2 - 3 (x - mu)^2 / s^4)`` = 6 in the width:

        >>> from scipy.stats import norm
        >>> c = UnbinnedNLL([-1.0, 0.0, 1.0], lambda x, mu, s: norm.pdf(x, mu, s))
        >>> f, g, h, reused = c.exact_hessian([0.0, 1.0], np.array([1e-3, 1e-3]))
        >>> h.round(2).tolist()
        [[6.0, 0.0], [0.0, 6.0]]
        """
        if self._model_grad is not None:
            return None
        p = np.asarray(args, dtype=float).ravel()
        chunks = self._chunks()
        if len(chunks) == 1:  # one chunk: the differences of gauss_newton are reused
            return observed_hessian(lambda q: self._density(self._call_args(q)),
                                    self._loss_derivs, p, steps, free, self._fd_cache)
        return observed_hessian_sum(
            [(partial(self._density_q, x), self._event_loss) for x in chunks], p, steps, free)


class ExtendedUnbinnedNLL(_Unbinned):
    """Extended unbinned negative log-likelihood ``2 (Lambda - sum ln g(x_i; p))``.

    Parameters
    ----------
    data : array_like
        Sample, shape (N,) or (k, N).
    scaled_pdf : callable
        ``scaled_pdf(x, *p) -> (Lambda, g)``: expected number of events and the density
        scaled to it (``ln g`` if ``log``).
    verbose, log, name
        As :class:`UnbinnedNLL`.
    grad : callable, optional
        ``grad(x, *p) -> (dLambda (npar,), dg (npar, N))`` (of ``ln g`` if ``log``).

    Examples
    --------
    A uniform sample on [0, 1] with ``Lambda`` expected events: the cost is
    ``2 (Lambda - N ln Lambda)``, minimal at ``Lambda = N`` with error ``sqrt(N)``
    (closed form, N = 3):

    >>> import numpy as np
    >>> from thetahat import Minuit
    >>> c = ExtendedUnbinnedNLL([0.2, 0.5, 0.7], lambda x, lam: (lam, np.full(len(x), lam)))
    >>> m = Minuit(c, lam=1)
    >>> m.limits["lam"] = (0, None)
    >>> _ = m.migrad()
    >>> round(m.values["lam"], 4), round(m.errors["lam"], 3)
    (3.0, 1.732)
    """

    def __init__(self, data: ArrayLike, scaled_pdf: Callable, *, verbose: int = 0,
                 log: bool = False, grad: Callable | None = None,
                 name: Sequence[str] | None = None) -> None:
        super().__init__(data, scaled_pdf, log, verbose, grad, name)

    def _density_at(self, x: NDArray, args: tuple, scaled: bool) -> NDArray:
        lam, g = self._model(x, *args)
        g = np.asarray(g)
        g = np.exp(g) if self._log else g
        return g if scaled else g / lam

    def _eval(self, call: tuple, wide: bool = False) -> tuple[float, NDArray]:
        out = self._model(self._dm, *call)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise ValueError("scaled_pdf must return a pair (expected count, scaled density)")
        g = self._check_density(out[1], wide)
        lam = out[0] if wide and g.dtype == np.longdouble else float(out[0])
        return lam, g

    def _value(self, args: tuple) -> float:
        lam, g = self._eval(args, wide=True)
        return 2.0 * (lam - total(self._log_density(g)))

    def _diagnosed_density(self, call: tuple) -> NDArray:
        return self._eval(call)[1]

    def _grad(self, args: tuple) -> NDArray:
        p = np.asarray(args, dtype=float).ravel()
        assert self._model_grad is not None  # _grad is used only when has_grad
        out = np.zeros(p.size)
        for c, x in enumerate(self._chunks()):
            g = self._eval_of(x, args)[1]
            dlam, dg = self._model_grad(x, *args)
            if c == 0:  # the expected count enters once
                out += 2.0 * np.asarray(dlam, dtype=float)
            out -= 2.0 * self._scores_from(np.asarray(dg, dtype=float), g).sum(axis=1)
        return out

    def _scores_from(self, dg: NDArray, g: NDArray) -> NDArray:
        if self._log:
            return dg
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(g > 0, dg / np.where(g > 0, g, 1.0), 0.0)

    def _eval_of(self, x: NDArray, call: tuple) -> tuple[float, NDArray]:
        """``(Lambda, g)`` at the events ``x``, a chunk of the data."""
        out = self._model(x, *call)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise ValueError("scaled_pdf must return a pair (expected count, scaled density)")
        return float(out[0]), self._chunk_array(out[1], x)

    def _events_q(self, x: NDArray, q: NDArray) -> NDArray:
        """The scaled density ``g`` at the events ``x`` and the flat parameters ``q``."""
        return self._eval_of(x, self._call_args(q))[1]

    def _both_of(self, x: NDArray, q: NDArray) -> NDArray:
        """``[Lambda, g(x)...]`` at the flat parameters ``q``."""
        lam, g = self._eval_of(x, self._call_args(q))
        return np.concatenate([[lam], g])

    def gauss_newton(self, args: ArrayLike, free: NDArray | None = None,
                     steps: NDArray | None = None) -> tuple[float, NDArray, NDArray]:
        """Value, gradient ``2 (dLambda - sum t_i)`` and ``2 sum t_i t_i^T``, summed over
        chunks of events (``Lambda`` and its derivative from the first chunk).

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
        The cost ``2 (lam - N ln lam)`` of N = 3 uniform events: zero gradient at lam = N, Fisher
        information ``2 N / lam^2`` = 2/3:

        >>> c = ExtendedUnbinnedNLL([0.2, 0.5, 0.7], lambda x, lam: (lam, np.full(len(x), lam)))
        >>> f, g, h = c.gauss_newton([3.0])
        >>> bool(np.isclose(f, 2 * (3 - 3 * np.log(3)))), g.round(6).tolist(), h.round(6).tolist()
        (True, [0.0], [[0.666667]])
        """
        p = np.asarray(args, dtype=float).ravel()
        call = self._call_args(p)
        chunks = self._chunks()
        value, grad, bhhh = 0.0, np.zeros(p.size), np.zeros((p.size, p.size))
        for c, x in enumerate(chunks):
            lam, g = self._eval_of(x, call)
            if self._model_grad is not None:
                dlam, dg = self._model_grad(x, *call)
                dlam = np.asarray(dlam, dtype=float)
                t = self._scores_from(np.asarray(dg, dtype=float), g)
            else:
                both0 = np.concatenate([[lam], g])
                jac = fd_jacobian(partial(self._both_of, x), p, both0, free, steps)
                if len(chunks) == 1:
                    self._fd_cache.store(p, steps, both0, jac)
                dlam = jac[:, 0]
                t = self._scores_from(jac[:, 1:], g)
            if c == 0:  # the expected count enters once
                value += 2.0 * lam
                grad += 2.0 * dlam
            value -= float(2.0 * np.sum(self._log_density(g)))
            grad -= 2.0 * t.sum(axis=1)
            bhhh += 2.0 * (t @ t.T)
        return float(value), grad, bhhh

    def _loss_derivs(self, both: NDArray) -> tuple[float, NDArray, NDArray]:
        """Value and elementwise derivatives of ``2 (Lambda - sum ln g)`` in (Lambda, g)."""
        lam, g = both[0], both[1:]
        value = float(2.0 * (lam - np.sum(self._log_density(g))))
        d1 = np.empty(both.size)
        d2 = np.zeros(both.size)
        d1[0] = 2.0
        if self._log:
            d1[1:] = -2.0
        else:
            with np.errstate(divide="ignore"):
                inv = 1.0 / g
            d1[1:] = -2.0 * inv
            d2[1:] = 2.0 * inv * inv
        return value, d1, d2

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
        >>> c = ExtendedUnbinnedNLL([0.2, 0.5, 0.7], lambda x, lam: (lam, np.full(len(x), lam)))
        >>> f, g, h, reused = c.exact_hessian([3.0], np.array([1e-3]))
        >>> h.round(4).tolist()  # 2 N / lam^2 at lam = N = 3
        [[0.6667]]
        """
        if self._model_grad is not None:
            return None

        p = np.asarray(args, dtype=float).ravel()
        chunks = self._chunks()
        if len(chunks) == 1:  # one chunk: the differences of gauss_newton are reused
            return observed_hessian(lambda q: self._both_of(self._dm, q), self._loss_derivs,
                                    p, steps, free, self._fd_cache)
        # the first chunk carries Lambda (its loss 2 Lambda), the others only events
        parts: list[tuple[Callable[[NDArray], NDArray],
                          Callable[[NDArray], tuple[float, NDArray, NDArray]]]] = [
            (partial(self._both_of, chunks[0]), self._loss_derivs)]
        parts += [(partial(self._events_q, x), self._event_loss) for x in chunks[1:]]
        return observed_hessian_sum(parts, p, steps, free)
