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

The data handling, density checks, scores, chunking over events, diagnosis and
drawing that both share are in :mod:`._unbinned_base`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from ..derivatives.model import fd_jacobian, observed_hessian, observed_hessian_sum
from ._stats import total
from ._unbinned_base import _Unbinned

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import ArrayLike, NDArray

__all__ = ["UnbinnedNLL", "ExtendedUnbinnedNLL"]


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

    _extended = True

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
