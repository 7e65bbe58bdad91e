"""Standard test functions for minimizers, with their gradients (as ``iminuit.testing``).

Each function takes its coordinates as separate arguments (``sphere_np`` takes one array)
and returns a float; ``*_grad`` returns the gradient as a tuple (an array for
``sphere_np_grad``). The formulas are the textbook ones (Rosenbrock 1960; Ackley 1987;
Beale 1958; Matyas 1965; see also M. Jamil & X.-S. Yang, "A literature survey of benchmark
functions for global optimisation problems", 2013):

==========  ============================================================  ===============
function    f                                                             minimum
==========  ============================================================  ===============
rosenbrock  (1 - x)² + 100 (y - x²)²                                       f(1, 1) = 0
ackley      -20 exp(-0.2 sqrt((x² + y²)/2)) - exp((cos 2πx + cos 2πy)/2)   f(0, 0) = 0
            + 20 + e
beale       (1.5 - x + xy)² + (2.25 - x + xy²)² + (2.625 - x + xy³)²       f(3, 0.5) = 0
matyas      0.26 (x² + y²) - 0.48 x y                                      f(0, 0) = 0
sphere_np   Σ x_i²                                                         f(0, ..., 0) = 0
==========  ============================================================  ===============

Examples
--------
>>> from thetahat import Minuit
>>> from thetahat.testing import rosenbrock, rosenbrock_grad
>>> m = Minuit(rosenbrock, x=0, y=0, grad=rosenbrock_grad)
>>> m.errordef = 1
>>> [round(v, 2) for v in m.migrad().values]  # within the EDM goal of (1, 1)
[1.0, 1.0]
"""

from __future__ import annotations

from math import cos, e, exp, pi, sin, sqrt

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["rosenbrock", "rosenbrock_grad", "ackley", "ackley_grad", "beale", "beale_grad",
           "matyas", "matyas_grad", "sphere_np", "sphere_np_grad"]


def rosenbrock(x: float, y: float) -> float:
    """Rosenbrock function. Minimum: f(1, 1) = 0.

    Parameters
    ----------
    x, y : float
        The point.

    Returns
    -------
    float
        The function value.

    Examples
    --------
    >>> rosenbrock(1.0, 1.0), rosenbrock(0.0, 0.0)  # the minimum; (1 - 0)^2 at the origin
    (0.0, 1.0)
    """
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosenbrock_grad(x: float, y: float) -> tuple[float, float]:
    """Gradient of :func:`rosenbrock`.

    Parameters
    ----------
    x, y : float
        The point.

    Returns
    -------
    tuple of float
        ``(df/dx, df/dy)``.

    Examples
    --------
    >>> rosenbrock_grad(1.0, 1.0) == (0.0, 0.0), rosenbrock_grad(0.0, 0.0)  # 0 at the minimum
    (True, (-2.0, 0.0))
    """
    return (-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2))


def ackley(x: float, y: float) -> float:
    """Ackley function. Minimum: f(0, 0) = 0.

    Parameters
    ----------
    x, y : float
        The point.

    Returns
    -------
    float
        The function value.

    Examples
    --------
    >>> round(ackley(0.0, 0.0), 12), round(ackley(1.0, 0.0), 4)  # 20 (1 - exp(-0.2 sqrt(1/2)))
    (0.0, 2.6375)
    """
    r = sqrt(0.5 * (x**2 + y**2))
    return -20 * exp(-0.2 * r) - exp(0.5 * (cos(2 * pi * x) + cos(2 * pi * y))) + 20 + e


def ackley_grad(x: float, y: float) -> tuple[float, float]:
    """Gradient of :func:`ackley` (at the origin, where the first term has a cusp, the
    limit along the axes: 0).

    Parameters
    ----------
    x, y : float
        The point.

    Returns
    -------
    tuple of float
        ``(df/dx, df/dy)``.

    Examples
    --------
    >>> ackley_grad(0.0, 0.0)  # the limit at the cusp of the minimum
    (0.0, 0.0)
    >>> [round(g, 4) for g in ackley_grad(0.5, 0.0)]
    [2.6353, 0.0]
    """
    r = sqrt(0.5 * (x**2 + y**2))
    c = exp(0.5 * (cos(2 * pi * x) + cos(2 * pi * y)))
    # d/dx of -20 exp(-0.2 r) with dr/dx = x / (2 r): 2 exp(-0.2 r) x / r
    a = 0.0 if r == 0 else 2 * exp(-0.2 * r) / r
    return (a * x + pi * sin(2 * pi * x) * c, a * y + pi * sin(2 * pi * y) * c)


def beale(x: float, y: float) -> float:
    """Beale function. Minimum: f(3, 0.5) = 0.

    Parameters
    ----------
    x, y : float
        The point.

    Returns
    -------
    float
        The function value.

    Examples
    --------
    >>> beale(3.0, 0.5), beale(0.0, 0.0)  # 1.5^2 + 2.25^2 + 2.625^2 at the origin
    (0.0, 14.203125)
    """
    t1 = 1.5 - x + x * y
    t2 = 2.25 - x + x * y**2
    t3 = 2.625 - x + x * y**3
    return t1 * t1 + t2 * t2 + t3 * t3


def beale_grad(x: float, y: float) -> tuple[float, float]:
    """Gradient of :func:`beale`.

    Parameters
    ----------
    x, y : float
        The point.

    Returns
    -------
    tuple of float
        ``(df/dx, df/dy)``.

    Examples
    --------
    >>> beale_grad(3.0, 0.5) == (0.0, 0.0), beale_grad(0.0, 0.0)
    (True, (-12.75, 0.0))
    """
    t1 = 1.5 - x + x * y
    t2 = 2.25 - x + x * y**2
    t3 = 2.625 - x + x * y**3
    gx = 2 * (t1 * (y - 1) + t2 * (y**2 - 1) + t3 * (y**3 - 1))
    gy = 2 * (t1 * x + t2 * 2 * x * y + t3 * 3 * x * y**2)
    return (gx, gy)


def matyas(x: float, y: float) -> float:
    """Matyas function. Minimum: f(0, 0) = 0.

    Parameters
    ----------
    x, y : float
        The point.

    Returns
    -------
    float
        The function value.

    Examples
    --------
    >>> matyas(0.0, 0.0), round(matyas(1.0, 1.0), 12)  # 0.26 * 2 - 0.48
    (0.0, 0.04)
    """
    return 0.26 * (x**2 + y**2) - 0.48 * x * y


def matyas_grad(x: float, y: float) -> tuple[float, float]:
    """Gradient of :func:`matyas`.

    Parameters
    ----------
    x, y : float
        The point.

    Returns
    -------
    tuple of float
        ``(df/dx, df/dy)``.

    Examples
    --------
    >>> [round(g, 12) for g in matyas_grad(1.0, 1.0)]  # 0.52 - 0.48 in both
    [0.04, 0.04]
    """
    return (0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x)


def sphere_np(x: ArrayLike) -> float:
    """Sphere function of any number of coordinates. Minimum: f(0, ..., 0) = 0.

    Parameters
    ----------
    x : array_like
        The coordinates.

    Returns
    -------
    float
        ``sum(x ** 2)``.

    Examples
    --------
    >>> float(sphere_np([1.0, 2.0, 2.0])), float(sphere_np([0.0, 0.0]))
    (9.0, 0.0)
    """
    a = np.asarray(x)
    return np.sum(a**2)


def sphere_np_grad(x: ArrayLike) -> NDArray:
    """Gradient of :func:`sphere_np`.

    Parameters
    ----------
    x : array_like
        The coordinates.

    Returns
    -------
    numpy.ndarray
        ``2 * x``, as floats.

    Examples
    --------
    >>> sphere_np_grad([1.0, -2.0]).tolist()
    [2.0, -4.0]
    """
    return 2 * np.asarray(x, dtype=float)
