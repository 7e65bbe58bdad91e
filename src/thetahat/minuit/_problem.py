"""The free-parameter problem that the solvers see.

``Minuit`` holds all parameters (values, errors, limits, fixed flags) in *external*
coordinates. The solvers work on the free parameters only, in *internal* coordinates
where limits disappear, by MINUIT's transforms (F. James, MINUIT Reference Manual, §1.3):

=================  ===========================================  ============================
limits             external from internal  x = T(u)             internal from external
=================  ===========================================  ============================
[a, b]             a + (b - a) (sin u + 1) / 2                  arcsin(2 (x - a)/(b - a) - 1)
[a, inf)           a - 1 + sqrt(u² + 1)                         sqrt((x - a + 1)² - 1)
(-inf, b]          b + 1 - sqrt(u² + 1)                         sqrt((b - x + 1)² - 1)
none               u                                            x
=================  ===========================================  ============================

with derivatives dx/du = (b - a) cos(u) / 2, u / sqrt(u² + 1), -u / sqrt(u² + 1), 1.
Errors and covariances map linearly at the minimum: C_ext = D C_int D, D = diag(dx/du);
an external step s becomes the internal step |T⁻¹(x + s) - T⁻¹(x)| (or the step to the
other side when x + s crosses a limit), as MINUIT does.

:class:`Problem` is the callable ``F(u)`` the solvers minimise. It counts calls, turns an
exception of the user's function into one that names the parameter values, and handles
non-finite values (``throw_nan`` raises; otherwise the value passes through and the solver
treats it as very large).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

import numpy as np

from ..cost._protocol import (
    ExactHessianCost,
    StructuredCost,
    exact_hessian_ncall,
    gauss_newton_ncall,
)

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import NDArray

__all__ = ["Problem", "Limits", "int_step"]


class Limits:
    """MINUIT's limit transforms (module docstring) for parameters with limits ``lo``/``hi``
    (±inf where absent): the positions of each kind of limit are found once, and every
    transform, its inverse and its derivatives work on those positions."""

    def __init__(self, lo: NDArray, hi: NDArray) -> None:
        self.lo, self.hi = lo, hi
        fl, fh = np.isfinite(lo), np.isfinite(hi)
        self.any = bool(fl.any() or fh.any())
        if self.any:
            self.both = np.flatnonzero(fl & fh)
            self.low = np.flatnonzero(fl & ~fh)
            self.upp = np.flatnonzero(~fl & fh)
        else:
            self.both = self.low = self.upp = np.empty(0, dtype=np.intp)
        self.half = 0.5 * (hi[self.both] - lo[self.both])

    def ext(self, u: NDArray) -> NDArray:
        """External values x = T(u)."""
        x = np.array(u, dtype=float)
        b, lo_, up_ = self.both, self.low, self.upp
        if b.size:
            x[b] = self.lo[b] + self.half * (np.sin(u[b]) + 1.0)
        if lo_.size:
            x[lo_] = self.lo[lo_] - 1.0 + np.sqrt(u[lo_] ** 2 + 1.0)
        if up_.size:
            x[up_] = self.hi[up_] + 1.0 - np.sqrt(u[up_] ** 2 + 1.0)
        return x

    def int(self, x: NDArray) -> NDArray:
        """Internal values u = T⁻¹(x); ``x`` must lie inside its limits."""
        u = np.array(x, dtype=float)
        b, lo_, up_ = self.both, self.low, self.upp
        if b.size:
            t = (x[b] - self.lo[b]) / self.half - 1.0
            u[b] = np.arcsin(np.clip(t, -1.0, 1.0))
        if lo_.size:
            u[lo_] = np.sqrt(np.maximum((x[lo_] - self.lo[lo_] + 1.0) ** 2 - 1.0, 0.0))
        if up_.size:
            u[up_] = np.sqrt(np.maximum((self.hi[up_] - x[up_] + 1.0) ** 2 - 1.0, 0.0))
        return u

    def d1(self, u: NDArray) -> NDArray:
        """Diagonal of the Jacobian dx/du."""
        d = np.ones(u.size)
        b, lo_, up_ = self.both, self.low, self.upp
        if b.size:
            d[b] = self.half * np.cos(u[b])
        if lo_.size:
            d[lo_] = u[lo_] / np.sqrt(u[lo_] ** 2 + 1.0)
        if up_.size:
            d[up_] = -u[up_] / np.sqrt(u[up_] ** 2 + 1.0)
        return d

    def d2(self, u: NDArray) -> NDArray:
        """Diagonal second derivative d²x/du²."""
        d = np.zeros(u.size)
        b, lo_, up_ = self.both, self.low, self.upp
        if b.size:
            d[b] = -self.half * np.sin(u[b])
        if lo_.size:
            d[lo_] = (u[lo_] ** 2 + 1.0) ** -1.5
        if up_.size:
            d[up_] = -((u[up_] ** 2 + 1.0) ** -1.5)
        return d


def int_step(x: NDArray, step: NDArray, lo: NDArray, hi: NDArray) -> NDArray:
    """Internal step sizes that correspond to external steps ``step`` at ``x``."""
    lim = Limits(lo, hi)
    u0 = lim.int(x)
    xp = x + step
    xm = x - step
    # take the side that stays inside the limits (MINUIT: ext2int of x ± err)
    up = np.where(xp <= hi, xp, xm)
    up = np.clip(up, lo, hi)
    s = np.abs(lim.int(up) - u0)
    limited = np.isfinite(lo) | np.isfinite(hi)
    # a step that maps to nothing (x at a limit) or beyond the sine's period gets a sane size
    s = np.where(limited & ((s == 0) | ~np.isfinite(s)), 0.1, s)
    s = np.where(limited, np.minimum(s, 1.0), s)
    return np.where(limited, s, np.abs(step))


def _as_float(v: object) -> float:
    """The cost's return value as a float: a number, a numpy scalar or a size-1 array
    (RuntimeError otherwise, as iminuit)."""
    if isinstance(v, float):
        return v
    if v is None:  # np.asarray(None, dtype=float) is nan: a forgotten return, not a value
        raise RuntimeError("the cost returned None (a missing return statement?): it must "
                           "return a float")
    try:
        a = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        raise RuntimeError(f"Unable to cast Python instance {v!r} returned by the cost to "
                           "a float") from None
    if a.size != 1:
        raise RuntimeError(f"cost function must return a scalar, got an array of shape "
                           f"{a.shape}")
    return float(a.reshape(()))


class Problem:
    """Cost of the free parameters in internal coordinates.

    Parameters
    ----------
    fcn : callable
        The user's cost, called as ``fcn(*values)`` (or ``fcn(values)`` if ``array_call``).
    values : array
        All parameter values (external); fixed ones are kept at these values.
    free : bool array
        Which parameters the solver varies.
    lower, upper : arrays
        Limits of all parameters (±inf where absent).
    """

    def __init__(self, fcn: Callable, values: NDArray, free: NDArray, lower: NDArray,
                 upper: NDArray, *, array_call: bool, names: tuple[str, ...],
                 throw_nan: bool = False, grad: Callable | None = None) -> None:
        self.fcn = fcn
        self.grad_fn = grad
        self.array_call = array_call
        self.names = names
        self.throw_nan = throw_nan
        self.full = np.array(values, dtype=float)
        self.free = np.asarray(free, dtype=bool)
        self.all_free = bool(self.free.all())
        self.idx = np.arange(self.free.size) if self.all_free else np.flatnonzero(self.free)
        lo, hi = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
        self.lo = lo.copy() if self.all_free else lo[self.idx]
        self.hi = hi.copy() if self.all_free else hi[self.idx]
        self._lim = Limits(self.lo, self.hi)
        self.limited = self._lim.any
        self._sub = (self.idx[:, None], self.idx)  # the free block of a full matrix
        self._diag = np.diag_indices(self.idx.size)
        self.nfcn = 0
        self.ngrad = 0

    # coordinates -------------------------------------------------------------------------
    def to_int(self, full_values: NDArray) -> NDArray:
        """Internal values of the free parameters from all parameter values (external)."""
        xf = np.asarray(full_values, float)[self.idx]
        return self._lim.int(xf) if self.limited else np.array(xf, dtype=float)

    def to_ext(self, u: NDArray) -> NDArray:
        """All parameter values (external) for internal free values ``u``."""
        if self.all_free and not self.limited:
            return np.array(u, dtype=float)
        u = np.asarray(u, float)
        x = self.full.copy()
        x[self.idx] = self._lim.ext(u) if self.limited else u
        return x

    def off_stationary(self, u: NDArray, full_values: NDArray, errors: NDArray) -> NDArray:
        """Move internal values off the stationary points of the limit transforms.

        A start exactly at a limit maps to u = 0 (one-sided) or u = ±π/2 (two-sided), where
        dx/du = 0: every derivative in u vanishes and no minimizer can leave. Such a
        parameter starts one internal step inside instead.
        """
        if not self.limited:
            return u
        u = np.array(u, dtype=float)
        scale = np.ones(u.size)  # dx/du is 1 for parameters without limits: never stuck
        scale[self._lim.both] = self._lim.half
        stuck = np.abs(self.jac_diag(u)) < 1e-8 * scale
        if not stuck.any():
            return u  # no parameter sits on a stationary point
        step = self.steps_int(full_values, errors)
        both = np.zeros(u.size, dtype=bool)
        both[self._lim.both] = True
        u = np.where(stuck & both, u - np.sign(u) * np.minimum(step, 0.5), u)
        u = np.where(stuck & ~both, u + np.minimum(step, 1.0), u)
        return u

    def d2ext_dint2(self, u: NDArray) -> NDArray:
        """Diagonal second derivative d²x/du² of the limit transforms."""
        return self._lim.d2(np.asarray(u, float))

    def int_from_free_ext(self, xf: NDArray) -> NDArray:
        """Internal values of the free parameters from their external values ``xf``
        (inside the limits)."""
        return self._lim.int(xf)

    def jac_diag(self, u: NDArray) -> NDArray:
        """Diagonal of dx/du at internal values ``u`` (ones without limits)."""
        u = np.asarray(u, float)
        return self._lim.d1(u) if self.limited else np.ones(u.size)

    def steps_int(self, full_values: NDArray, errors: NDArray) -> NDArray:
        e = np.asarray(errors, float)[self.idx]
        if not self.limited:
            return np.abs(e)  # no transform: the internal step is the external one
        return int_step(np.asarray(full_values, float)[self.idx], e, self.lo, self.hi)

    def cov_ext(self, u: NDArray, cov_int: NDArray) -> NDArray:
        """Covariance of all parameters (zeros for fixed ones) from the internal one."""
        if not self.limited:
            if self.all_free:
                return np.array(cov_int, dtype=float)
            c_int = cov_int
        else:
            d = self.jac_diag(u)
            c_int = cov_int * (d[:, None] * d)
            if self.all_free:
                return c_int
        n = len(self.full)
        c = np.zeros((n, n))
        c[self._sub] = c_int
        return c

    # evaluation --------------------------------------------------------------------------
    def call_ext(self, x: NDArray) -> float:
        """The user's cost at all-parameter values ``x`` (counted)."""
        self.nfcn += 1
        try:
            v = self.fcn(x) if self.array_call else self.fcn(*x)
        except Exception as e:  # name the values at which the user's code failed
            self.reraise(e, x)
        v = _as_float(v)
        if self.throw_nan and np.isnan(v):
            where = ", ".join(f"{n}={v!r}" for n, v in zip(self.names, x.tolist()))
            raise RuntimeError(f"result is NaN: cost returned {v} at {where} (throw_nan=True)")
        return v

    def reraise(self, e: Exception, x: NDArray) -> NoReturn:
        """Raise ``e``, which the user's cost raised at values ``x``, naming those values."""
        where = ", ".join(f"{n}={v!r}" for n, v in zip(self.names, x.tolist()))
        note = f"thetahat: raised while evaluating the cost at {where}"
        if hasattr(e, "add_note"):
            e.add_note(note)
            raise e
        raise type(e)(f"{e} ({note})") from e  # pragma: no cover - Python 3.10

    def __call__(self, u: NDArray) -> float:
        if self.all_free and not self.limited and not self.array_call:
            return self.call_ext(u)  # fcn(*u) receives scalars: no copy of u is needed
        return self.call_ext(self.to_ext(u))

    def grad_int(self, u: NDArray) -> NDArray:
        """Analytic gradient in internal coordinates (user's ``grad`` times dx/du)."""
        self.ngrad += 1
        x = self.to_ext(u)
        assert self.grad_fn is not None  # called only for a user's grad
        raw = self.grad_fn(x) if self.array_call else self.grad_fn(*x)
        try:
            g = np.asarray(raw, float)
        except (TypeError, ValueError):
            raise RuntimeError(f"Unable to cast Python instance {raw!r} returned by grad to "
                               "an array of floats") from None
        if g.shape != (len(x),):
            raise RuntimeError(f"grad returned shape {g.shape}, expected ({len(x)},)")
        if self.throw_nan and np.isnan(g).any():
            raise RuntimeError(f"result is NaN: grad returned {g} (throw_nan=True)")
        return g[self.idx] * self.jac_diag(u)

    def g2_int(self, g2_fn: Callable, u: NDArray, g_int: NDArray) -> NDArray:
        """The user's Hessian diagonal ``g2_fn`` in internal coordinates, given the internal
        gradient ``g_int``: d²F/du² = (dx/du)² d²F/dx² + d²x/du² dF/dx."""
        x = self.to_ext(u)
        raw = g2_fn(x) if self.array_call else g2_fn(*x)
        g2 = np.asarray(raw, float).reshape(len(x))[self.idx]
        if not self.limited:
            return g2
        d1 = self.jac_diag(u)
        return d1 ** 2 * g2 + self.d2ext_dint2(u) * np.asarray(g_int, float) / d1

    def ext_steps(self, u: NDArray, h: NDArray, x: NDArray | None = None
                  ) -> NDArray | None:
        """Full-length external difference steps: ``h`` for the free parameters, kept to
        half the room to their limits; None if a step would be negligible (a parameter on
        its limit) or is not finite. ``x = to_ext(u)`` may be passed if already known."""
        h = np.asarray(h, float)
        if self.all_free and not self.limited:
            xf = u
        else:
            xf = (self.to_ext(u) if x is None else x)[self.idx]
        if self.limited:
            h = np.minimum(h, 0.5 * np.minimum(xf - self.lo, self.hi - xf))
        if not (h > 1e-7 * (np.abs(xf) + 1e-8)).all() or not np.isfinite(h).all():
            return None
        if self.all_free:
            return h
        steps = np.zeros(self.full.size)
        steps[self.idx] = h
        return steps

    def observed_int(self, u: NDArray, cost: ExactHessianCost, steps: NDArray
                     ) -> tuple[float, NDArray, NDArray] | None:
        """Value, gradient and exact Hessian of a structured cost, internal coordinates.

        The cost differentiates its model vector in external coordinates with the
        full-length external ``steps`` (:meth:`ext_steps`;
        :func:`thetahat.derivatives.model.observed_hessian`); then g_u = D g_x and H_u = D H_x D
        + diag(t), with t = g_x x''(u) the term of the exact chain rule. At an interior
        minimum t vanishes, and at a point within the EDM goal of it t only distorts the
        covariance (by ~2e-4 on the seed's unbinned fit, measured against a Richardson
        reference): where |t_i| < 0.1 (D H_x D)_ii it is left out, and the covariance
        D H_u⁻¹ D is the external H_x⁻¹. Where t is larger, the limit holds the parameter
        (a minimum on the boundary), and t is kept as MINUIT keeps it. Counted as
        1 + 2k + k(k-1)/2 calls for k free parameters, or k + k(k-1)/2 when the cost could
        reuse the model values of the forward-difference Jacobian of its last
        :meth:`fgh_int` at this point with these steps. Returns None if the model is not
        finite at a difference point.
        """
        x = self.to_ext(u)
        out = cost.exact_hessian(x, steps, None if self.all_free else self.free)
        k = self.idx.size
        if out is None:
            self.nfcn += exact_hessian_ncall(k)
            return None
        v, g, hm, reused = out
        self.nfcn += exact_hessian_ncall(k, reused)
        g = np.asarray(g, float)[self.idx]
        hm = np.asarray(hm, float)[self._sub]
        if self.limited:
            d = self.jac_diag(u)
            hm = hm * (d[:, None] * d)
            t = g * self.d2ext_dint2(u)
            held = np.abs(t) >= 0.1 * np.abs(hm[self._diag])
            hm[self._diag] += np.where(held, t, 0.0)
            g = g * d
        return float(v), g, hm

    def fgh_int(self, u: NDArray, cost: StructuredCost, steps: NDArray | None = None,
                x: NDArray | None = None, d: NDArray | None = None
                ) -> tuple[float, NDArray, NDArray]:
        """Value, gradient and Gauss-Newton matrix of a structured cost, internal coords.

        Counted as one call, plus one per free parameter when the cost differentiates its
        model numerically (the forward-difference Jacobian, with the full-length external
        ``steps`` if given), so that ``nfcn`` compares with a minimizer that calls the cost
        itself. ``x = to_ext(u)`` and ``d = jac_diag(u)`` may be passed if already known.
        """
        self.nfcn += gauss_newton_ncall(cost, self.idx.size)
        x = self.to_ext(u) if x is None else x
        free = None if self.all_free else self.free
        v, g, h = cost.gauss_newton(x, free) if steps is None else cost.gauss_newton(x, free, steps)
        g = np.asarray(g, float)
        h = np.asarray(h, float)
        if not self.all_free:
            g = g[self.idx]
            h = h[self._sub]
        if self.limited:
            # chain rule: g_u = D g_x, H_u = D H_x D + diag(g_x x''(u)); the last term is
            # kept where positive (it is the curvature that holds a parameter pinned at
            # its limit, where D -> 0) so that H_u stays positive semi-definite
            d = self.jac_diag(u) if d is None else d
            curv = g * self.d2ext_dint2(u)
            g = g * d
            h = h * (d[:, None] * d)
            h[self._diag] += np.maximum(curv, 0.0)
        if self.throw_nan and not np.isfinite(v):
            raise RuntimeError(f"cost returned {v} (throw_nan=True)")
        return float(v), g, h
