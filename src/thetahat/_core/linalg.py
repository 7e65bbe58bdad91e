"""Small dense linear algebra through LAPACK directly.

A fit of a few parameters solves many n x n systems with n ~ 2-10; there the arithmetic
is nothing and numpy.linalg's per-call checks and wrapping (3-7 µs) are the cost. These
functions call scipy's LAPACK wrappers (~0.5 µs) and report failure by their return
value, so that callers choose their own fallback (the wrappers are loaded at the first
call, and without the ``scipy.linalg`` package, :mod:`thetahat._core.lapack`, so that
neither ``from thetahat import Minuit`` nor a first fit pays ~100 ms for it):

- ``spd_solve(a, b)``: x = a⁻¹ b by Cholesky (``posv``), or None when ``a`` is not
  numerically positive definite (a pivot ≤ 0 or NaN);
- ``spd_inverse(a)``: a⁻¹ from its Cholesky factor, symmetrised, or None likewise;
- ``thin_svd(a)``: a = U diag(s) Vᵀ with s decreasing (``gesdd``), falling back to
  numpy.linalg.svd (which raises) on non-finite input;
- ``spd_cond(a)``: the 1-norm condition number of a symmetric positive-definite ``a``,
  estimated from its Cholesky factor (``pocon``, Hager-Higham; within a factor n of the
  2-norm one), or inf when ``a`` is not positive definite;
- ``null_direction(J, noise)`` / ``gram_null_direction(H, noise)``: the parameter
  combination that a Jacobian J (or its Gram matrix H = JᵀJ) determines only at the
  level of its own rounding, or None (below).

**Degenerate Jacobians.** Scale the columns of J to unit length, Jₛ = J D⁻¹ with
D = diag ‖J_j‖; the singular values of Jₛ (the square roots of the eigenvalues of the
matrix of cosines between the columns, scale-free, unchanged by the units of the
parameters) measure how well each combination of the parameters is determined relative to
the others: s_min(Jₛ) = 0 in exact arithmetic for a degenerate model ((a + b) x, a line
through points of one x, a parameter that appears twice). In floating point J carries an
error E, and by Weyl's inequality the computed s_min moves by at most ‖E D⁻¹‖₂ ≤
‖ν‖₂, with ν_j = ‖E_j‖ / ‖J_j‖ the relative error of column j. A smallest singular value
below 10 ‖ν‖ is therefore indistinguishable from zero: that combination is determined
only by rounding, and a finite covariance computed from it (errors of 1e7, say) is noise.
The column errors (``jacobian_noise``):

- an analytic J: each entry to a few ε, ν_j = ε √m;
- a difference J with relative step δ (h_j = δ |p_j|, δ where p_j = 0; forward δ = √ε,
  central δ = ε^(1/3)): the residuals are rounded to ε ρ, ρ the size of the numbers they
  are computed from (the data, ‖W y‖ for curve_fit; at least ‖r‖), and a difference
  divides that by h_j: ν_j = (ε / δ) max(1, ρ / (s_j ‖J_j‖)), s_j = |p_j| (1 if p_j = 0);
  s_j ‖J_j‖ is the size of the parameter's own contribution to the residuals, so ν_j is
  √ε for a forward difference of a parameter that carries the model's scale.
- a difference J also carries the truncation error of its formula, T_j = (h_j/2) ∂²r/∂p_j²
  (forward) or (h_j²/6) ∂³r/∂p_j³ (central): zero for a linear model, and for a parameter
  whose own scale is |p_j| of the order of the optimal step's rounding error, but not when
  a parameter runs far beyond the scale on which the model varies (b, c = ∓1e4 in
  exp(-(b + c) x): steps of δ 1e4 along a curvature of scale 1, columns that differ by
  1e-9-1e-6 where the rounding is 4e-11). ``truncation_noise`` measures it by Richardson's
  rule, D(2h) - D(h) = (2^k - 1) T + O(h^(k+1)) (k = 1 forward, 2 central), at 2n or 4n
  residual calls; the callers spend them only when s_min(Jₛ) < 1e-3 (a truncation error
  below 1e-4 cannot move that test, and reaching 1e-4 needs |p_j| a thousand times the
  model's scale).

For the 38 NIST StRD fits (tests/test_trust_degenerate.py) s_min(Jₛ) >= 2e-4 with ν ~ 5e-7:
ill-conditioned in the raw J (condition numbers 1e7-1e9 come from the units) but a
thousand times above the level; the degenerate models give s_min / ‖ν‖ < 0.3. With the
Gram matrix H only, forming H loses ~n ε of its unit diagonal, so its smallest
eigenvalue is compared with (10 ‖ν‖)² + 10 n ε.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .lapack import flapack

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import NDArray

__all__ = ["spd_solve", "spd_inverse", "thin_svd", "spd_cond", "jacobian_noise",
           "truncation_noise", "zero_step_columns", "zero_step_message", "null_direction",
           "gram_null_direction", "degenerate_message"]

_EPS = float(np.finfo(float).eps)
DEGENERATE_FACTOR = 10.0  # s_min within 10 times the bound on its rounding: not determined


def _lp() -> Any:
    """scipy's LAPACK wrappers, loaded at the first use without the scipy.linalg package
    (:mod:`thetahat._core.lapack`)."""
    return flapack()


def spd_solve(a: NDArray, b: NDArray) -> NDArray | None:
    """a⁻¹ b for a symmetric positive-definite ``a``; None if the Cholesky factor fails."""
    c, x, info = _lp().dposv(a, b)
    # a NaN in a reaches the last pivot of the factor, which potrf does not flag
    return x if info == 0 and math.isfinite(c[-1, -1]) else None


def spd_inverse(a: NDArray) -> NDArray | None:
    """a⁻¹ for a symmetric positive-definite ``a`` (exactly symmetric); None if not SPD."""
    c, info = _lp().dpotrf(a, lower=1)
    if info != 0 or not math.isfinite(c[-1, -1]):
        return None
    x, info = _lp().dpotrs(c, np.eye(a.shape[0]), lower=1)
    if info != 0:
        return None
    return 0.5 * (x + x.T)


def thin_svd(a: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """Thin SVD a = U diag(s) Vᵀ, s decreasing. Non-finite input, which gesdd rejects or
    turns into non-finite s, goes to numpy.linalg.svd, which raises."""
    if a.dtype == np.float64 and a.size:
        u, s, vt, info = _lp().dgesdd(a, compute_uv=1, full_matrices=0)
        if info == 0 and math.isfinite(sum(s.tolist())):
            return u, s, vt
    return np.linalg.svd(a, full_matrices=False)


def spd_cond(a: NDArray) -> float:
    """Estimated 1-norm condition number of a symmetric positive-definite ``a`` (inf if
    its Cholesky factor fails)."""
    c, info = _lp().dpotrf(a, lower=1)
    if info != 0 or not math.isfinite(c[-1, -1]):
        return math.inf
    rcond, info = _lp().dpocon(c, float(np.abs(a).sum(axis=0).max()), uplo="L")
    return 1.0 / rcond if info == 0 and rcond > 0 else math.inf


_SCALAR_N = 16  # up to this many parameters, scalar Python beats numpy's per-call cost


def jacobian_noise(p: NDArray, colnorm: NDArray, m: int, rel_step: float | None,
                   scale: float = 0.0) -> NDArray:
    """The relative error ν_j of each column of a Jacobian (module docstring) at the
    parameters ``p`` with column norms ``colnorm`` and ``m`` rows: analytic for
    ``rel_step`` None, else a difference with that relative step, of residuals computed
    from numbers of size ``scale``."""
    p = np.asarray(p, dtype=float)
    if rel_step is None:
        return np.full(p.shape, _EPS * math.sqrt(max(m, 1)))
    if p.size <= _SCALAR_N:  # the same numbers without numpy's per-call overhead
        c = _EPS / rel_step
        out = []
        for v, cn in zip(p.tolist(), np.asarray(colnorm, dtype=float).tolist()):
            s = (abs(v) if v != 0 else 1.0) * cn
            r = scale / s if s > 0 else 1.0
            out.append(c * (1.0 if r <= 1.0 else r))  # NaN r stays NaN, as np.maximum
        return np.array(out)
    size = np.where(p != 0, np.abs(p), 1.0) * np.asarray(colnorm, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(size > 0, scale / size, 1.0)
    return (_EPS / rel_step) * np.maximum(1.0, ratio)


TRUNCATION_GATE = 1e-3  # s_min(Jₛ) above this: no truncation error of interest can reach it


def clearly_determined(s_min: float, colnorm: NDArray, noise: NDArray,
                       difference: bool) -> bool:
    """True when s_min(J) alone shows that J determines every combination of the
    parameters: s_min(J) / max_j ‖J_j‖ is a lower bound on s_min of the column-scaled
    Jₛ, so if it exceeds 10 ‖ν‖ (and, for a ``difference`` J whose truncation error is
    measured below it, ``TRUNCATION_GATE``) no further test can find a null direction."""
    level = DEGENERATE_FACTOR * math.sqrt(float(np.dot(noise, noise)))
    if difference:
        level = max(level, TRUNCATION_GATE)
    return bool(colnorm.size) and s_min > level * float(colnorm.max())


def _steps(p: NDArray, rel_step: float) -> NDArray:
    h = rel_step * np.abs(p)
    return np.where(h > 0, h, rel_step)


def truncation_noise(fun: Callable[[NDArray], NDArray], p: NDArray, colnorm: NDArray,
                     rel_step: float, central: bool, lb: NDArray | None = None,
                     ub: NDArray | None = None) -> NDArray:
    """The truncation error ‖T_j‖ / ‖J_j‖ of each column of a difference Jacobian of the
    residuals ``fun`` at ``p`` (steps h_j = rel_step |p_j|), by Richardson's rule (module
    docstring); 0 for a column whose wider steps would leave the bounds or give non-finite
    residuals (no estimate there)."""
    p = np.asarray(p, dtype=float)
    n = p.size
    lb = np.full(n, -np.inf) if lb is None else np.asarray(lb, dtype=float)
    ub = np.full(n, np.inf) if ub is None else np.asarray(ub, dtype=float)
    h = _steps(p, rel_step)
    out = np.zeros(n)
    f0 = None if central else np.asarray(fun(p), dtype=float)

    def at(j: int, t: float) -> tuple[NDArray, float]:
        q = p.copy()
        q[j] = p[j] + t
        return np.asarray(fun(q), dtype=float), q[j] - p[j]  # the step actually taken

    with np.errstate(all="ignore"):
        for j in range(n):
            if not colnorm[j] > 0:
                continue
            if central:
                if not (lb[j] <= p[j] - 2 * h[j] and p[j] + 2 * h[j] <= ub[j]):
                    continue
                (a1, s1), (b1, t1) = at(j, h[j]), at(j, -h[j])
                (a2, s2), (b2, t2) = at(j, 2 * h[j]), at(j, -2 * h[j])
                t = ((a2 - b2) / (s2 - t2) - (a1 - b1) / (s1 - t1)) / 3.0
            else:
                hj = h[j] if p[j] + 2 * h[j] <= ub[j] else -h[j]
                if not lb[j] <= p[j] + 2 * hj <= ub[j]:
                    continue
                (a1, s1), (a2, s2) = at(j, hj), at(j, 2 * hj)
                t = (a2 - f0) / s2 - (a1 - f0) / s1
            e = float(np.linalg.norm(t)) / float(colnorm[j])
            out[j] = e if math.isfinite(e) else 0.0
    return out


def zero_step_columns(fun: Callable[[NDArray], NDArray], p: NDArray, norms: NDArray,
                      rel_step: float) -> list[int]:
    """The zero columns j of a difference Jacobian (relative step ``rel_step``) whose step
    h_j = rel_step |p_j| vanished in the rounding of the residuals at p_j: a step of
    rel_step max(1, |p_j|) changes them."""
    p = np.asarray(p, dtype=float)
    f0 = np.asarray(fun(p), dtype=float)
    out = []
    for j in np.flatnonzero(~(np.asarray(norms) > 0)):
        if p[j] == 0 or rel_step * abs(p[j]) >= rel_step:
            continue  # the step was already that of a parameter of size 1
        q = p.copy()
        q[j] = p[j] + rel_step * max(1.0, abs(p[j]))
        with np.errstate(all="ignore"):
            d = np.asarray(fun(q), dtype=float) - f0
        if np.all(np.isfinite(d)) and np.any(d != 0):
            out.append(int(j))
    return out


def _zero_column(norms: NDArray) -> NDArray | None:
    zero = ~(norms > 0)
    return zero / math.sqrt(int(zero.sum())) if zero.any() else None


def null_direction(J: NDArray, noise: NDArray) -> tuple[NDArray, float] | None:
    """(V, s): the unit vectors V (rows, column-scaled coordinates, the smallest first)
    with ‖Jₛ v‖ <= 10 ‖noise‖ (module docstring), s = s_min(Jₛ); a zero column is such a
    v with s = 0; None for a J that determines every combination (or is not finite)."""
    J = np.asarray(J, dtype=float)
    m, n = J.shape
    if n == 0 or not np.all(np.isfinite(J)):
        return None
    norms = np.sqrt(np.einsum("ij,ij->j", J, J))
    z = _zero_column(norms)
    if z is not None:
        return z[None, :], 0.0
    level = DEGENERATE_FACTOR * float(np.linalg.norm(noise))
    Js = J / norms
    if m >= n:
        # the common answer, cheaply: a Cholesky factor of JₛᵀJₛ - (level² + 10 n ε) I
        # proves s_min(Jₛ) > level (the Gram matrix of unit columns is exact to n ε)
        try:
            np.linalg.cholesky(Js.T @ Js - (level * level + 10.0 * n * _EPS) * np.eye(n))
            return None
        except np.linalg.LinAlgError:
            pass
    _, s, vt = np.linalg.svd(Js, full_matrices=True) if m < n else thin_svd(Js)
    s = np.concatenate((s, np.zeros(n - s.size)))  # m < n: a null space of n - m
    null = np.flatnonzero(s <= level)[::-1]
    return (vt[null], float(s[-1])) if null.size else None


def gram_null_direction(H: NDArray, noise: NDArray) -> tuple[NDArray, float] | None:
    """:func:`null_direction` from the Gram matrix H = JᵀJ alone (eigenvalues of H scaled
    to a unit diagonal against (10 ‖noise‖)² + 10 n ε); s is sqrt(λ_min)."""
    H = np.asarray(H, dtype=float)
    n = H.shape[0]
    if n == 0 or not np.all(np.isfinite(H)):
        return None
    d = np.sqrt(np.abs(np.diag(H)))
    z = _zero_column(d)
    if z is not None:
        return z[None, :], 0.0
    w, V = np.linalg.eigh(H / np.outer(d, d))
    level = (DEGENERATE_FACTOR * float(np.linalg.norm(noise))) ** 2 + 10.0 * n * _EPS
    null = np.flatnonzero(w <= level)
    return (V[:, null].T, math.sqrt(max(float(w[0]), 0.0))) if null.size else None


MAX_NAMED = 6  # parameters a degeneracy message names; the rest are counted


def _named(idx: NDArray, weight: NDArray) -> tuple[NDArray, int]:
    """The indices ``idx`` to name, at most MAX_NAMED: all of them in their order, or the
    MAX_NAMED of largest ``weight`` (largest first); and how many are left unnamed."""
    if idx.size <= MAX_NAMED:
        return idx, 0
    top = idx[np.argsort(-weight[idx], kind="stable")[:MAX_NAMED]]
    return top, int(idx.size - MAX_NAMED)


def degenerate_message(names: list[str], found: tuple[NDArray, float],
                       noise: NDArray) -> str:
    """What a user reads about the null directions ``found`` = (V, s) of
    :func:`null_direction`: the parameters that take part in them (|v_j| >= 1/4 of the
    largest, with the smallest direction's weights in column-scaled units) and the numbers
    of the test. At most ``MAX_NAMED`` parameters are named (those of largest weight,
    largest first; "and N more"), so that a fit of a hundred coefficients stays readable."""
    V, s = np.atleast_2d(np.asarray(found[0], dtype=float)), found[1]
    rel = np.abs(V) / np.max(np.abs(V), axis=1, keepdims=True)
    part = rel >= 0.25
    v = V[0] * (1.0 if V[0, int(np.argmax(np.abs(V[0])))] > 0 else -1.0)
    big, left = _named(np.flatnonzero(part.any(axis=0)), rel.max(axis=0))
    listed = [str(names[j]) for j in big] + ([f"{left} more"] if left else [])
    who = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]
    terms, rest = _named(np.flatnonzero(part[0]), rel[0])
    combo = ", ".join(f"{v[j]:+.3g} {names[j]}" for j in terms)
    if rest:
        combo += f", ... ({rest} more terms)"
    if V.shape[0] > 1:
        combo += f", and {V.shape[0] - 1} more"
    what = (f"{who} is not determined" if len(listed) == 1 else
            f"the data do not determine {who} separately")
    return (f"{what}: the column-scaled Jacobian is singular up to its rounding along "
            f"({combo}) (smallest singular value {s:.2g}, rounding level "
            f"{float(np.linalg.norm(noise)):.2g}; a degenerate model such as (a + b) x, a line "
            "through points of one x, or a parameter that appears twice): the errors of "
            "these parameters are rounding noise; fix one of them or reparametrise")


def zero_step_message(names: list[str], p: NDArray, cols: list[int], rel_step: float,
                      remedy: str) -> str:
    """What a user reads about the columns ``cols`` of :func:`zero_step_columns`."""
    who = ", ".join(f"{names[j]} = {float(p[j]):.3g} (step {rel_step * abs(float(p[j])):.2g})"
                    for j in cols)
    return (f"the Jacobian's column of {who} is zero because the difference step, "
            f"{rel_step:.2g} times the parameter's value, vanished in the rounding of the "
            f"residuals at that value (a larger step does change them): the data may well "
            f"determine it; {remedy}")
