"""The drawing and exploring methods of :class:`~._minuit.Minuit`: the matplotlib drawings
of profiles, contours and the MINOS matrix (:mod:`._intervals` draws them through the
facade's own ``profile``, ``mnprofile``, ``contour`` and ``mncontour``), ``visualize`` (the
cost's drawing at the current values) and ``interactive`` (:mod:`._interactive` in Jupyter,
:mod:`._qtwidget` elsewhere). A mixin under :class:`._facade_intervals.IntervalMethods`, so
that the facade stays one class; every method reads the facade and draws, none fits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._core.progress import reporter
from . import _intervals
from ._progress import Reported, npoints

__all__ = ["DrawingMethods"]


class DrawingMethods:
    """The drawings, ``visualize`` and the interactive panel of ``Minuit``."""

    def draw_profile(self: Any, vname: str, **kwargs: Any) -> tuple:
        """Draw :meth:`profile` of ``vname`` with matplotlib on the current axes.

        Parameters
        ----------
        vname : str
            Name of the parameter.
        band : bool, optional
            Shade the interval (MINOS if computed, else ± error); default True.
        text : bool, optional
            Write the value and its errors as the title; default True.
        size, bound, grid
            As for :meth:`profile` (``size`` default 100).
        subtract_min : bool, optional
            Draw the cost above its minimum (default True).

        Returns
        -------
        x, y : ndarray
            The scan points and the cost, as drawn.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> import matplotlib
        >>> matplotlib.use('Agg')
        >>> x, y = m.migrad().draw_profile('b', size=10)
        >>> len(x)
        10
        >>> from matplotlib import pyplot as plt
        >>> plt.close('all')
        """
        return _intervals.draw_profile(self, vname, **kwargs)

    def draw_mnprofile(self: Any, vname: str, **kwargs: Any) -> tuple:
        """Draw :meth:`mnprofile` of ``vname`` with matplotlib on the current axes.

        Parameters
        ----------
        vname, band, text, bound, grid, subtract_min
            As for :meth:`draw_profile`.
        size : int, optional
            Number of scan points (default 30), each a MIGRAD refit.

        Returns
        -------
        x, y : ndarray
            The scan points and the profiled cost, as drawn.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> import matplotlib
        >>> matplotlib.use('Agg')
        >>> x, y = m.migrad().draw_mnprofile('b', size=5)
        >>> len(x)
        5
        >>> from matplotlib import pyplot as plt
        >>> plt.close('all')
        """
        return _intervals.draw_mnprofile(self, vname, **kwargs)

    def draw_contour(self: Any, x: str, y: str, **kwargs: Any) -> Any:
        """Draw :meth:`contour` of ``x`` and ``y``: iso-cost lines at 1, 2, 3, 4 errordef.

        Parameters
        ----------
        x, y : str
            Names of the two parameters.
        size, bound, grid
            As for :meth:`contour` (``size`` default 50).
        subtract_min : bool, optional
            Draw the cost above its minimum (default True).

        Returns
        -------
        x, y, F : ndarray
            The grid and the cost on it, as :meth:`contour` returns them.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> import matplotlib
        >>> matplotlib.use('Agg')
        >>> x, y, z = m.migrad().draw_contour('a', 'b', size=5)
        >>> z.shape
        (5, 5)
        >>> from matplotlib import pyplot as plt
        >>> plt.close('all')
        """
        return _intervals.draw_contour(self, x, y, **kwargs)

    def draw_mncontour(self: Any, x: str, y: str, **kwargs: Any) -> Any:
        """Draw :meth:`mncontour` of ``x`` and ``y``, one closed curve per confidence level.

        Parameters
        ----------
        x, y : str
            Names of the two parameters.
        cl : float or sequence of float, optional
            Confidence level(s), as for :meth:`mncontour`; one curve each.
        size, interpolated : int, optional
            As for :meth:`mncontour` (``size`` default 100).

        Returns
        -------
        matplotlib.contour.ContourSet
            The curves, labelled by confidence level.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> import matplotlib
        >>> matplotlib.use('Agg')
        >>> _ = m.migrad().draw_mncontour('a', 'b', size=8)
        >>> from matplotlib import pyplot as plt
        >>> plt.close('all')
        """
        return _intervals.draw_mncontour(self, x, y, **kwargs)

    def draw_mnmatrix(self: Any, *, cl: Any = None, size: int = 30, experimental: bool = False,
                      figsize: Any = None, progress: Any = None) -> Any:
        """Draw a matrix of MINOS profiles (diagonal) and contours (below it).

        Parameters
        ----------
        cl : float or sequence of float, optional
            Confidence level(s) of the contours, as for :meth:`mncontour`.
        size : int, optional
            Points of each profile and contour (default 30).
        experimental : bool, optional
            Accepted for iminuit's signature.
        figsize : (float, float), optional
            Size of the matplotlib figure.
        progress : None, bool or callable, optional
            Report the points as they are done: None (default) draws a tqdm bar in a
            Jupyter notebook and nothing elsewhere, True a tqdm bar (``pip install
            thetahat[progress]``), False nothing, a callable is called as
            ``progress(n_done, n_total)`` after each point of
            each profile and contour (``size`` per panel). The result is the same.

        Returns
        -------
        fig : matplotlib.figure.Figure
        ax : ndarray of Axes, shape (nfit, nfit)

        Raises
        ------
        RuntimeError
            If all parameters are fixed or the function minimum is not valid.
        TypeError
            If ``progress`` is not None, a bool or a callable.
        ImportError
            If ``progress`` is True and tqdm is not installed.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> import matplotlib
        >>> matplotlib.use('Agg')
        >>> fig, ax = m.migrad().draw_mnmatrix(size=6)
        >>> ax.shape
        (2, 2)
        >>> from matplotlib import pyplot as plt
        >>> plt.close('all')
        """
        ncl = 1 if cl is None or np.ndim(cl) == 0 else len(cl)
        n = self.nfit
        total = npoints(size, None) * (n + n * (n - 1) // 2 * ncl)
        with reporter(progress, total, "draw_mnmatrix", "point") as report:
            m = Reported(self, report) if report.active else self
            return _intervals.draw_mnmatrix(m, cl=cl, size=size, experimental=experimental,
                                            figsize=figsize)

    def _plot_function(self: Any, plot: Callable | None) -> Callable:
        fn = plot or getattr(self._fcn, "visualize", None)
        if fn is None:
            raise AttributeError("the cost has no visualize method; pass plot=callable")
        return fn

    def visualize(self: Any, plot: Callable | None = None, **kwargs: Any) -> Any:
        """Draw the cost's data and model at the current values (``fcn.visualize``, or
        ``plot(values, **kwargs)``).

        Parameters
        ----------
        plot : callable, optional
            ``plot(values, **kwargs)`` draws on the current matplotlib axes (default: the
            cost's ``visualize`` method).
        **kwargs
            Passed on to ``plot``.

        Returns
        -------
        object
            What ``plot`` returns.

        Raises
        ------
        AttributeError
            If ``plot`` is None and the cost has no ``visualize`` method.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> import matplotlib
        >>> matplotlib.use('Agg')
        >>> _ = m.migrad().visualize()
        >>> from matplotlib import pyplot as plt
        >>> plt.close('all')
        """
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
