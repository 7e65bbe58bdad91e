"""The interval, drawing and exploring methods of :class:`~._minuit.Minuit`: MINOS, profiles,
contours (:mod:`._intervals` computes them), their drawings, ``visualize`` and
``interactive`` (:mod:`._interactive`). A mixin, so that the facade stays one class in
two files; each method takes the facade's snapshot and applies what comes back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _intervals
from ._state import Calls

__all__ = ["IntervalMethods"]


class IntervalMethods:
    """MINOS, profiles, contours, drawings and the interactive panel of ``Minuit``."""

    # intervals and drawing -----------------------------------------------------------------
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
        """Asymmetric intervals where the profiled cost rises by errordef · factor(cl)."""
        ncall = self._check_ncall(ncall)
        self._require_valid_minimum()
        assert self._fmin is not None  # checked above; HESSE keeps a minimum
        found, calls = _intervals.minos(self._state(), self._fmin.fval,
                                        self._covariance_array(), parameters, cl, ncall)
        self._count(calls)
        self._merrors.update(found)
        self._fmin = dataclasses.replace(self._fmin, nfcn=self._nfcn)  # the total, as iminuit
        return self

    def _covariance_array(self: Any) -> np.ndarray | None:
        return None if self._covariance is None else np.asarray(self._covariance)

    def profile(self: Any, vname: str, *, size: int = 100, bound: Any = 2,
                grid: Any = None, subtract_min: bool = False) -> tuple:
        """The cost along ``vname`` with the other parameters held at their values."""
        xy, calls = _intervals.profile(self._state(), vname, size, bound, grid, subtract_min)
        self._count(calls)
        return xy

    def mnprofile(self: Any, vname: str, *, size: int = 30, bound: Any = 2, grid: Any = None,
                  subtract_min: bool = False, ncall: int = 0, iterate: int = 5,
                  use_simplex: bool = True) -> tuple:
        """The cost along ``vname`` minimised over the other free parameters."""
        xyo, calls = _intervals.mnprofile(self._state(), vname, size, bound, grid,
                                          subtract_min)
        self._count(calls)
        return xyo

    def contour(self: Any, x: str, y: str, *, size: Any = 50, bound: Any = 2, grid: Any = None,
                subtract_min: bool = False) -> tuple:
        """The cost on a grid of ``x`` and ``y``, the other parameters held."""
        xyf, calls = _intervals.contour(self._state(), x, y, size, bound, grid, subtract_min)
        self._count(calls)
        return xyf

    def mncontour(self: Any, x: str, y: str, *, cl: float | None = None, size: int = 100,
                  interpolated: int = 0, experimental: bool = False, ncall: int = 0,
                  iterate: int = 5, use_simplex: bool = True) -> np.ndarray:
        """Points of the MINOS contour of ``x`` and ``y`` at confidence level ``cl``."""
        _intervals.check_mncontour(self._state(), x, y, size)
        self._require_valid_minimum()
        assert self._fmin is not None  # checked above; HESSE keeps a minimum
        pts, calls = _intervals.mncontour(self._state(), self._fmin.fval,
                                          self._covariance_array(), x, y, cl, size,
                                          interpolated)
        self._count(calls)
        return pts

    def draw_profile(self: Any, vname: str, **kwargs: Any) -> tuple:
        return _intervals.draw_profile(self, vname, **kwargs)

    def draw_mnprofile(self: Any, vname: str, **kwargs: Any) -> tuple:
        return _intervals.draw_mnprofile(self, vname, **kwargs)

    def draw_contour(self: Any, x: str, y: str, **kwargs: Any) -> Any:
        return _intervals.draw_contour(self, x, y, **kwargs)

    def draw_mncontour(self: Any, x: str, y: str, **kwargs: Any) -> Any:
        return _intervals.draw_mncontour(self, x, y, **kwargs)

    def draw_mnmatrix(self: Any, **kwargs: Any) -> Any:
        return _intervals.draw_mnmatrix(self, **kwargs)

    def _plot_function(self: Any, plot: Callable | None) -> Callable:
        fn = plot or getattr(self._fcn, "visualize", None)
        if fn is None:
            raise AttributeError("the cost has no visualize method; pass plot=callable")
        return fn

    def visualize(self: Any, plot: Callable | None = None, **kwargs: Any) -> Any:
        """Draw the cost's data and model at the current values (``fcn.visualize``, or
        ``plot(values, **kwargs)``)."""
        return self._plot_function(plot)(np.array(self._values), **kwargs)

    def interactive(self: Any, plot: Callable | None = None, raise_on_exception: bool = False,
                    **kwargs: Any) -> Any:
        """A panel to explore the fit: a slider, a fix and a fit toggle per parameter, and
        buttons to fit (Migrad, Scipy or Simplex) and reset.

        In a Jupyter notebook the panel is an ipywidgets widget, returned for display;
        elsewhere (a script, a terminal) it is a Qt window (PySide6) that runs until it is
        closed, as iminuit's.

        Parameters
        ----------
        plot : callable, optional
            ``plot(values, **kwargs)`` draws into the current matplotlib axes (default:
            the cost's ``visualize``; AttributeError if it has none).
        raise_on_exception : bool
            Re-raise exceptions of ``plot`` and of fits instead of showing them.
        **kwargs
            Passed on to ``plot``.

        Returns
        -------
        ipywidgets.HBox or PySide6.QtWidgets.QWidget
            The panel (see :mod:`._interactive` and :mod:`._qtwidget`); needs
            ``pip install ipywidgets`` in Jupyter, ``pip install PySide6`` elsewhere.

        Examples
        --------
        >>> from thetahat import Minuit
        >>> m = Minuit(lambda a, b: a ** 2 + b ** 2, a=1, b=1)
        >>> panel = m.interactive(lambda values: None)  # doctest: +SKIP
        """
        from thetahat._core.environment import is_jupyter
        if is_jupyter():
            from ._interactive import make_widget
        else:
            from ._qtwidget import make_widget
        return make_widget(self, self._plot_function(plot), kwargs, raise_on_exception)
