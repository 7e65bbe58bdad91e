r"""Model specs of the batch fronts: the built-in (compiled) components and their guesses.

A spec is a string of components joined by ``+`` or a :class:`thetahat.models.Model`.
Components of the model library with a compiled twin: ``constant``, ``line``, ``poly<n>``,
``expo`` (:math:`a e^{-(x-b)/c}`, ``b`` fixed as in the library), ``gauss``, ``lorentz``.
Two-dimensional components (``x`` of shape ``(..., n_points, 2)``), as Gpufit's:

- ``gauss2d``: :math:`a \exp(-[(x-x_0)^2 + (y-y_0)^2] / 2s^2)`, parameters ``a, x0, y0, s``;
- ``gauss2d_elliptic``: widths ``sx, sy`` along the axes;
- ``gauss2d_rotated``: widths ``sx, sy`` along axes turned by ``theta``: with
  :math:`u = (x-x_0)\cos\theta - (y-y_0)\sin\theta`, :math:`v = (x-x_0)\sin\theta +
  (y-y_0)\cos\theta`, :math:`f = a\exp(-u^2/2s_x^2 - v^2/2s_y^2)`.

``"gauss2d+constant"`` is Gpufit's ``GAUSS_2D`` (amplitude, centre, width, offset).
Parameter names follow the library: a sum prefixes each component's names
(``gauss2d_a, ..., constant_c``).

Starting values: for one Gaussian or Lorentzian (+ constant) on shared sorted ``x``,
vectorised moments (median baseline, extreme of the running mean, width from the points
beyond half height); otherwise the library's ``guess`` of each 1-D model, fit by fit; for the 2-D
Gaussians, vectorised moments: the offset is the row's minimum, the amplitude max - min, the
centre the centroid of ``y - min`` and the width the root of its second moment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .. import models
from ..models import Constant, Exponential, Gaussian, Lorentzian, Polynomial
from ..models._guess import FWHM_PER_SIGMA
from ..solvers.batch_lm import COMPONENTS, POLY_CODE, BuiltinModel

__all__ = ["Spec", "resolve", "guess"]

_TWO_D = {"gauss2d": ("a", "x0", "y0", "s"),
          "gauss2d_elliptic": ("a", "x0", "y0", "sx", "sy"),
          "gauss2d_rotated": ("a", "x0", "y0", "sx", "sy", "theta")}


@dataclass(frozen=True)
class Spec:
    """A resolved model: the compiled description, names, fixed mask, the library model
    (None for the 2-D components) and the component names."""

    builtin: BuiltinModel
    parameters: tuple[str, ...]
    fixed: NDArray
    library: models.Model | None
    parts: tuple[str, ...]


def _code(m: models.Model) -> tuple[int, int]:
    if isinstance(m, Polynomial):
        return POLY_CODE, m.npar
    for cls, name in ((Constant, "constant"), (Exponential, "expo"), (Gaussian, "gauss"),
                      (Lorentzian, "lorentz")):
        if type(m) is cls:
            return COMPONENTS[name][0], COMPONENTS[name][1]
    raise ValueError(f"model component {m.name!r} has no batch implementation; batch.fit "
                     f"knows constant, line, poly<n>, expo, gauss, lorentz, "
                     f"{', '.join(_TWO_D)}; use batch.curve_fit with a numpy function")


def resolve(spec: str | models.Model) -> Spec:
    """The :class:`Spec` of ``"gauss+constant"``, ``"gauss2d+constant"`` or a library model."""
    if isinstance(spec, str):
        parts = [p.strip().lower() for p in spec.split("+")]
        two_d = [p for p in parts if p in _TWO_D]
        if two_d:
            return _resolve_2d(parts)
        spec = models.parse(spec)
    if not isinstance(spec, models.Model):
        raise TypeError(f"model must be a string like 'gauss+constant' or a "
                        f"thetahat.models.Model, got {type(spec).__name__}")
    comps = spec.components if isinstance(spec, models.SumModel) else [spec]
    codes = [_code(c) for c in comps]
    names = tuple(spec.parameters)
    fixed = np.array([n in spec.fixed for n in names], dtype=bool)
    return Spec(BuiltinModel(codes, 1), names, fixed, spec, tuple(c.name for c in comps))


def _resolve_2d(parts: list[str]) -> Spec:
    codes, names = [], []
    for p in parts:
        if p in _TWO_D:
            code, npar, _ = COMPONENTS[p]
            codes.append((code, npar))
            names.append([f"{p}_{n}" for n in _TWO_D[p]])
        elif p in ("constant", "const"):
            codes.append((0, 1))
            names.append(["constant_c"])
        else:
            raise ValueError(f"a 2-D model combines {', '.join(_TWO_D)} and constant; "
                             f"got component {p!r}")
    flat = [n for g in names for n in g] if len(parts) > 1 else list(_TWO_D[parts[0]])
    return Spec(BuiltinModel(codes, 2), tuple(flat), np.zeros(len(flat), dtype=bool), None,
                tuple(parts))


def guess(spec: Spec, x: NDArray, y: NDArray) -> NDArray:
    """Starting values ``(n, k)`` per fit (module docstring); rows whose data are not finite
    get NaN (the solver then marks them non-finite)."""
    n = y.shape[0]
    out = np.full((n, len(spec.parameters)), np.nan)
    good = np.all(np.isfinite(y), axis=1) & _finite_x(x, n)
    if spec.library is not None and _fast_peak(spec, x):
        out[good] = _peak_guess(spec, x[:, 0], y[good])
        return out
    if spec.library is not None:
        lib = spec.library
        for i in np.flatnonzero(good):
            xi = x[i, :, 0] if x.ndim == 3 else x[:, 0]
            g = lib.guess(xi, y[i])
            out[i] = [g[nm] for nm in spec.parameters]
        return out
    rows = np.flatnonzero(good)
    xr = x[rows] if x.ndim == 3 else np.broadcast_to(x, (rows.size,) + x.shape)
    yr = y[rows]
    lo, hi = yr.min(axis=1), yr.max(axis=1)
    wgt = yr - lo[:, None]
    tot = wgt.sum(axis=1)
    tot = np.where(tot > 0, tot, 1.0)
    cx = (wgt * xr[..., 0]).sum(axis=1) / tot
    cy = (wgt * xr[..., 1]).sum(axis=1) / tot
    vx = (wgt * (xr[..., 0] - cx[:, None]) ** 2).sum(axis=1) / tot
    vy = (wgt * (xr[..., 1] - cy[:, None]) ** 2).sum(axis=1) / tot
    span = np.ptp(xr[..., 0], axis=1)
    floor = np.where(span > 0, span / 10, 1.0)
    sx, sy = np.maximum(np.sqrt(vx), floor), np.maximum(np.sqrt(vy), floor)
    cols = []
    for p in spec.parts:
        if p == "gauss2d":
            cols += [hi - lo, cx, cy, np.sqrt(sx * sy)]
        elif p == "gauss2d_elliptic":
            cols += [hi - lo, cx, cy, sx, sy]
        elif p == "gauss2d_rotated":
            cols += [hi - lo, cx, cy, sx, sy, np.zeros_like(cx)]
        else:
            cols += [lo]
    if "constant" not in spec.parts and "const" not in spec.parts:
        cols[0] = hi  # no offset: the amplitude is the maximum
    out[rows] = np.stack(cols, axis=1)
    return out


_PEAKS = {"gauss": 1.0 / FWHM_PER_SIGMA, "lorentz": 0.5}  # width parameter per FWHM


def _fast_peak(spec: Spec, x: NDArray) -> bool:
    """One Gaussian or Lorentzian peak, with or without a constant, on shared sorted x."""
    peaks = [p for p in spec.parts if p in _PEAKS]
    rest = [p for p in spec.parts if p not in _PEAKS]
    return (x.ndim == 2 and len(peaks) == 1 and rest in ([], ["constant"])
            and x.shape[0] >= 5 and bool(np.all(np.diff(x[:, 0]) > 0)))


def _peak_guess(spec: Spec, x: NDArray, y: NDArray) -> NDArray:
    """Vectorised moments of one peak (or dip) on a baseline, row by row: the baseline is
    the median of the row (0 without a constant), the peak the extreme of the 3-point
    running mean farther from it, the width from the number of points beyond half height."""
    ys = y.copy()
    ys[:, 1:-1] = (y[:, :-2] + y[:, 1:-1] + y[:, 2:]) / 3.0
    has_c = "constant" in spec.parts
    base = np.median(y, axis=1) if has_c else np.zeros(y.shape[0])
    up, down = ys.max(axis=1) - base, base - ys.min(axis=1)
    sign = np.where(down > up, -1.0, 1.0)
    h = np.maximum(up, down)
    z = sign[:, None] * (ys - base[:, None])
    i = np.argmax(z, axis=1)
    spacing = float(np.median(np.diff(x)))
    above = (z > 0.5 * h[:, None]).sum(axis=1)
    fwhm = np.maximum(above, 1) * spacing
    width = np.maximum(fwhm * _PEAKS[next(p for p in spec.parts if p in _PEAKS)], 0.5 * spacing)
    cols = []
    for p in spec.parts:
        cols += [base] if p == "constant" else [sign * h, x[i], width]
    return np.stack(cols, axis=1)


def _finite_x(x: NDArray, n: int) -> NDArray:
    if x.ndim == 3:
        return np.all(np.isfinite(x), axis=(1, 2))
    return np.full(n, bool(np.all(np.isfinite(x))))
