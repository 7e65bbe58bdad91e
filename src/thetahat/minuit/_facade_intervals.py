"""The interval methods of :class:`~._minuit.Minuit`: MINOS, profiles and contours
(:mod:`._intervals` computes them). A mixin, so that the facade stays one class in several
files; each method takes the facade's snapshot and applies what comes back. The drawings,
``visualize`` and ``interactive`` come from its base :class:`._facade_drawing.DrawingMethods`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, TypeVar

import numpy as np

from .._core.progress import Reporter, check_progress, reporter
from . import _intervals
from ._facade_drawing import DrawingMethods
from ._progress import ngrid, npoints, ray_counter, stepped_cost, stepped_refit
from ._state import Calls, FitState

__all__ = ["IntervalMethods"]

_F = TypeVar("_F")


def _with_nfcn(fmin: _F, nfcn: int) -> _F:
    """``dataclasses.replace(fmin, nfcn=nfcn)`` without re-running ``FMin.__init__`` on
    every field: a shallow copy of the frozen value object (its fields are its
    ``__dict__``) with one field set. The same object, ten times faster."""
    new = object.__new__(type(fmin))
    d = new.__dict__
    d.update(fmin.__dict__)
    d["nfcn"] = nfcn
    return new


class IntervalMethods(DrawingMethods):
    """MINOS, profiles and contours of ``Minuit`` (and, from its base, their drawings and
    the interactive panel)."""

    # intervals -----------------------------------------------------------------------------
    def _require_valid_minimum(self: Any) -> None:
        """As iminuit before MINOS and contours: without a minimum, HESSE at the current
        point decides whether it is one (EDM below the goal); RuntimeError if not."""
        if self._fmin is None or self._covariance is None \
                or self._fmin_key != self._state_key():
            self.hesse()
        assert self._fmin is not None  # HESSE always records a minimum
        if not self._fmin.is_valid:
            raise RuntimeError(f"Function minimum is not valid: {self._fmin!r}")

    def _count(self: Any, calls: Calls) -> None:
        self._nfcn += calls.n

    def minos(self: Any, *parameters: str, cl: float | None = None,
              ncall: int | None = None) -> Any:
        """Asymmetric intervals where the profiled cost rises by errordef · factor(cl).

        For each parameter, MINOS finds the values below and above the minimum at which
        the cost, minimised over the other free parameters, has risen by ``errordef``
        (times the ``chi2(1)`` quantile of ``cl``). Needs a valid minimum: HESSE runs
        first when there is no current one.

        Parameters
        ----------
        *parameters : str
            Names of the parameters (default: every free parameter); a fixed one is
            skipped with a warning.
        cl : float, optional
            Confidence level: None (1 sigma, the default), a probability in (0, 1), or a
            number of sigmas >= 1.
        ncall : int, optional
            Approximate limit of cost calls for each refit.

        Returns
        -------
        Minuit
            ``self``; the intervals are in :attr:`merrors` (and ``params[i].merror``).

        Raises
        ------
        RuntimeError
            If the function minimum is not valid.
        ValueError
            If ``ncall`` is not a positive integer or None.

        Examples
        --------
        A cost ``(a - 1)^2 + (b - 2)^2 / 4`` with ``errordef = 1`` has the 1-sigma
        interval ``a = 1 ± 1`` and ``b = 2 ± 2`` (the closed form):

        >>> from thetahat import Minuit
        >>> m = Minuit(lambda a, b: (a - 1) ** 2 + (b - 2) ** 2 / 4, a=0, b=0)
        >>> m.errordef = 1
        >>> _ = m.migrad()
        >>> lo, up = m.minos().merrors["b"]
        >>> round(lo, 4), round(up, 4)
        (-2.0, 2.0)
        """
        ncall = self._check_ncall(ncall)
        self._require_valid_minimum()
        assert self._fmin is not None  # checked above; HESSE keeps a minimum
        found, calls = _intervals.minos(self._state(), self._fmin.fval,
                                        self._covariance_array(), parameters, cl, ncall)
        self._count(calls)
        self._merrors.update(found)
        self._fmin = _with_nfcn(self._fmin, self._nfcn)  # the total, as iminuit
        return self

    def _covariance_array(self: Any) -> np.ndarray | None:
        return None if self._covariance is None else np.asarray(self._covariance)

    def profile(self: Any, vname: str, *, size: int = 100, bound: Any = 2,
                grid: Any = None, subtract_min: bool = False, progress: Any = None) -> tuple:
        """The cost along ``vname`` with the other parameters held at their values.

        Parameters
        ----------
        vname : str
            Name of the parameter to scan.
        size : int, optional
            Number of scan points (default 100); ignored when ``grid`` is given.
        bound : float or (float, float), optional
            A number of errors around the current value (default 2), or the ``(low,
            high)`` ends of the scan; clipped to the parameter's limits.
        grid : array-like, optional
            The scan points themselves (1-D, at least 2 finite values).
        subtract_min : bool, optional
            Subtract the smallest cost value from the result (default False).
        progress : None, bool or callable, optional
            Report the points as they are done: None (default) draws a tqdm bar in a
            Jupyter notebook and nothing elsewhere, True a tqdm bar (``pip install
            thetahat[progress]``), False nothing, a callable is called as
            ``progress(n_done, n_total)`` after each point. The result is the same.

        Returns
        -------
        x, y : ndarray
            The scan points and the cost at each.

        Examples
        --------
        A cost ``(a - 1)^2 + (b - 2)^2 / 4`` with ``errordef = 1`` has the profile
        ``(a - 1)^2`` along ``a`` at ``b = 2`` (the closed form):

        >>> from thetahat import Minuit
        >>> m = Minuit(lambda a, b: (a - 1) ** 2 + (b - 2) ** 2 / 4, a=0, b=0)
        >>> m.errordef = 1
        >>> _ = m.migrad()
        >>> x, y = m.profile("a", size=3, bound=1)
        >>> x.round(6).tolist(), y.round(6).tolist()
        ([0.0, 1.0, 2.0], [1.0, 0.0, 1.0])

        Raises
        ------
        ValueError
            If ``vname`` is not a parameter, ``grid`` is not a 1-D array of at least
            two finite values or ``size < 2``.
        TypeError
            If ``progress`` is not None, a bool or a callable.
        ImportError
            If ``progress`` is True and tqdm is not installed.
        """
        with self._cost_steps(progress, npoints(size, grid), f"profile {vname}") as st:
            xy, calls = _intervals.profile(st, vname, size, bound, grid, subtract_min)
        self._count(calls)
        return xy

    @contextlib.contextmanager
    def _cost_steps(self: Any, progress: Any, total: int, desc: str) -> Iterator[FitState]:
        """The state for an engine whose every cost call is a point of ``total``,
        reported as ``progress`` asks (the bar closed at the end)."""
        with reporter(progress, total, desc, "point") as report:
            yield stepped_cost(self._state(), report)

    def mnprofile(self: Any, vname: str, *, size: int = 30, bound: Any = 2, grid: Any = None,
                  subtract_min: bool = False, ncall: int = 0, iterate: int = 5,
                  use_simplex: bool = True, progress: Any = None) -> tuple:
        """The cost along ``vname`` minimised over the other free parameters.

        At each scan point ``vname`` is fixed and MIGRAD minimises the cost over the
        other free parameters (the profile likelihood); a warning names the points where
        it did not converge.

        Parameters
        ----------
        vname : str
            Name of the (free) parameter to scan.
        size : int, optional
            Number of scan points (default 30), each a MIGRAD refit.
        bound, grid, subtract_min : optional
            As for :meth:`profile`.
        ncall : int, optional
            Accepted for iminuit's signature (each point is refitted with MIGRAD's
            default call limit).
        iterate : int, optional
            Accepted for iminuit's signature.
        use_simplex : bool, optional
            Accepted for iminuit's signature.
        progress : None, bool or callable, optional
            Report the points as they are done: None (default) draws a tqdm bar in a
            Jupyter notebook and nothing elsewhere, True a tqdm bar (``pip install
            thetahat[progress]``), False nothing, a callable is called as
            ``progress(n_done, n_total)`` after each point. The result is the same.

        Returns
        -------
        x, y, ok : ndarray
            The scan points, the profiled cost at each, and whether each refit converged.

        Examples
        --------
        A cost ``(a - 1)^2 + (b - 2)^2 / 4`` with ``errordef = 1`` has the profile
        ``(b - 2)^2 / 4`` along ``b`` (the closed form):

        >>> from thetahat import Minuit
        >>> m = Minuit(lambda a, b: (a - 1) ** 2 + (b - 2) ** 2 / 4, a=0, b=0)
        >>> m.errordef = 1
        >>> _ = m.migrad()
        >>> x, y, ok = m.mnprofile("b", size=3, bound=1)
        >>> x.round(6).tolist(), y.round(6).tolist(), ok.tolist()
        ([0.0, 2.0, 4.0], [1.0, 0.0, 1.0], [True, True, True])

        Raises
        ------
        ValueError
            If ``vname`` is not a parameter or is fixed, ``grid`` is not a 1-D array of
            at least two finite values or ``size < 2``.
        TypeError
            If ``progress`` is not None, a bool or a callable.
        ImportError
            If ``progress`` is True and tqdm is not installed.
        """
        with reporter(progress, npoints(size, grid), f"mnprofile {vname}", "point") as r:
            return self._mnprofile(vname, size, bound, grid, subtract_min, r)

    def _mnprofile(self: Any, vname: str, size: int, bound: Any, grid: Any,
                   subtract_min: bool, report: Reporter) -> tuple:
        wrap = stepped_refit(report) if report.active else None
        xyo, calls = _intervals.mnprofile(self._state(), vname, size, bound, grid,
                                          subtract_min, wrap)
        self._count(calls)
        return xyo

    def contour(self: Any, x: str, y: str, *, size: Any = 50, bound: Any = 2, grid: Any = None,
                subtract_min: bool = False, progress: Any = None) -> tuple:
        """The cost on a grid of ``x`` and ``y``, the other parameters held.

        Parameters
        ----------
        x, y : str
            Names of the two parameters.
        size : int or (int, int), optional
            Grid points along each axis (default 50), or one number per axis.
        bound : float, (float, float) or ((float, float), (float, float)), optional
            A number of errors around the current values (default 2), or the ends of
            both axes, or one ``(low, high)`` pair per axis.
        grid : (array-like, array-like), optional
            The grid points along ``x`` and along ``y`` themselves.
        subtract_min : bool, optional
            Subtract the smallest cost value from the result (default False).
        progress : None, bool or callable, optional
            Report the points as they are done: None (default) draws a tqdm bar in a
            Jupyter notebook and nothing elsewhere, True a tqdm bar (``pip install
            thetahat[progress]``), False nothing, a callable is called as
            ``progress(n_done, n_total)`` after each point. The result is the same.

        Returns
        -------
        x, y : ndarray
            The grid points along each axis.
        F : ndarray, shape (len(x), len(y))
            ``F[i, j]`` is the cost at ``(x[i], y[j])``.

        Raises
        ------
        ValueError
            If ``x`` or ``y`` is not a parameter, or a grid has fewer than 2 points.
        TypeError
            If ``progress`` is not None, a bool or a callable.
        ImportError
            If ``progress`` is True and tqdm is not installed.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> x, y, z = m.migrad().contour('a', 'b', size=5)
        >>> z.shape, bool(z.min() >= 0)
        ((5, 5), True)
        """
        with self._cost_steps(progress, ngrid(size, grid), f"contour {x} {y}") as st:
            xyf, calls = _intervals.contour(st, x, y, size, bound, grid, subtract_min)
        self._count(calls)
        return xyf

    def mncontour(self: Any, x: str, y: str, *, cl: float | None = None, size: int = 100,
                  interpolated: int = 0, experimental: bool = False, ncall: int = 0,
                  iterate: int = 5, use_simplex: bool = True, progress: Any = None
                  ) -> np.ndarray:
        """Points of the MINOS contour of ``x`` and ``y`` at confidence level ``cl``.

        The contour is the closed curve on which the cost, minimised over the other free
        parameters, has risen by ``errordef`` times the ``chi2(2)`` quantile of ``cl``.
        Needs a valid minimum: HESSE runs first when there is no current one.

        Parameters
        ----------
        x, y : str
            Names of the two (free, different) parameters.
        cl : float, optional
            Confidence level: None (probability 0.68, the default), a probability in
            (0, 1), or a number of sigmas >= 1.
        size : int, optional
            Number of points on the contour (default 100, at least 4).
        interpolated : int, optional
            If larger than ``size``, return this many points interpolated along the
            curve (default 0: the computed points only).
        experimental, ncall, iterate, use_simplex : optional
            Accepted for iminuit's signature, as in :meth:`mnprofile`.
        progress : None, bool or callable, optional
            Report the points as they are done: None (default) draws a tqdm bar in a
            Jupyter notebook and nothing elsewhere, True a tqdm bar (``pip install
            thetahat[progress]``), False nothing, a callable is called as
            ``progress(n_done, n_total)`` after each point. The result is the same.

        Returns
        -------
        ndarray, shape (size + 1, 2) or (interpolated, 2)
            The ``(x, y)`` points of the closed contour (the first point repeated last).

        Raises
        ------
        ValueError
            If ``x`` and ``y`` are the same or not parameters, either is fixed, or
            ``size < 4``.
        RuntimeError
            If the function minimum is not valid.
        TypeError
            If ``progress`` is not None, a bool or a callable.
        ImportError
            If ``progress`` is True and tqdm is not installed.

        Examples
        --------
        A cost ``(a - 1)^2 + (b - 2)^2 / 4`` with ``errordef = 1`` has its 68 % contour
        on the ellipse ``(a - 1)^2 + (b - 2)^2 / 4 = -2 ln(0.32)`` (the closed form):

        >>> from thetahat import Minuit
        >>> m = Minuit(lambda a, b: (a - 1) ** 2 + (b - 2) ** 2 / 4, a=0, b=0)
        >>> m.errordef = 1
        >>> _ = m.migrad()
        >>> import numpy as np
        >>> pts = m.mncontour("a", "b", size=8)
        >>> r = (pts[:, 0] - 1) ** 2 + (pts[:, 1] - 2) ** 2 / 4
        >>> bool(abs(r + 2 * np.log(0.32)).max() < 1e-3)  # 1e-3: MINOS's tolerance
        True
        """
        progress = check_progress(progress)
        with Reporter(progress, npoints(size, None), f"mncontour {x} {y}", "point") as r:
            return self._mncontour(x, y, cl, size, interpolated, r)

    def _mncontour(self: Any, x: str, y: str, cl: float | None, size: int,
                   interpolated: int, report: Reporter) -> np.ndarray:
        _intervals.check_mncontour(self._state(), x, y, size)
        self._require_valid_minimum()
        assert self._fmin is not None  # checked above; HESSE keeps a minimum
        st = self._state()
        counter = ray_counter(st, x, y, size, report) if report.active else None
        pts, calls = _intervals.mncontour(st, self._fmin.fval, self._covariance_array(), x,
                                          y, cl, size, interpolated,
                                          None if counter is None else counter.wrap)
        if counter is not None:
            counter.close()
        self._count(calls)
        return pts
