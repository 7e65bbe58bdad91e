"""What :class:`~._unbinned.UnbinnedNLL` and :class:`~._unbinned.ExtendedUnbinnedNLL` share:
the sample (shape (N,) or (k, N), every event finite; NaN marks an event to mask out), the
model's density as the costs read it (``pdf``: f, ``scaled_pdf``: the density scaled to
the expected number of events), the checks of the density's values, the per-event scores
``s_i = d ln f(x_i) / dp`` (from the model gradient when given, else forward differences of
the density, one call per parameter), the Fisher information and covariance from them,
the diagnosis of a minimum and the drawing. The costs' formulas are in
:mod:`._unbinned`.

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
from typing import TYPE_CHECKING, Any

import numpy as np

from .._core.numbers import as_floats
from .._core.warnings import warn_user
from ..derivatives.model import event_slices, fd_jacobian
from ._base import MaskedCost, describe_model, model_array, unmask
from ._diagnose import normalisation_diagnosis, unbinned_diagnosis
from ._stats import safe_log

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import ArrayLike, NDArray

__all__ = ["_Unbinned"]


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

    _extended = False  # ExtendedUnbinnedNLL: the model returns (Lambda, g)

    def __init__(self, data: ArrayLike, model: Callable, log: bool, verbose: int,
                 grad: Callable | None, name: Sequence[str] | None) -> None:
        data, masked = unmask(data)
        d = as_floats(data, "data")
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
        >>> from thetahat.cost import UnbinnedNLL
        >>> c = UnbinnedNLL([0.5, 1.5], lambda x, t: t * np.exp(-t * x))
        >>> c.data = [1.0, 3.0]  # same shape; the exponential's MLE is t = 1 / mean = 0.5
        >>> c.data.tolist(), bool(np.isclose(c(0.5), -2 * (2 * np.log(0.5) - 0.5 * 4)))
        ([1.0, 3.0], True)
        """
        return self._data

    @data.setter
    def data(self, value: ArrayLike) -> None:
        value, masked = unmask(value)
        d = as_floats(value, "data", copy=True)
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
        >>> from thetahat.cost import ExtendedUnbinnedNLL
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

        >>> from thetahat.cost import UnbinnedNLL
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
        >>> from thetahat.cost import UnbinnedNLL
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

        >>> from thetahat.cost import UnbinnedNLL
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
        >>> from thetahat.cost import UnbinnedNLL
        >>> c = UnbinnedNLL([0.5, 1.5], lambda x, t: t * np.exp(-t * x))
        >>> c.diagnose(np.array([1.0]), np.array([True]))  # a normalised pdf, events inside
        ()
        """
        x = np.asarray(x, dtype=float).ravel()
        f = self._diagnosed_density(self._call_args(x))
        out = unbinned_diagnosis(self._dm, f, self._log, int(np.count_nonzero(free)),
                                 self._extended)
        if not out and not self._extended:
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
        >>> from thetahat.cost import UnbinnedNLL
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
        >>> from thetahat.cost import UnbinnedNLL
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

