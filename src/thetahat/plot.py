"""Matplotlib drawings of profiles, contours and MINOS contour matrices.

Pure views: every function receives arrays already computed (by
:mod:`thetahat.intervals` through :class:`~thetahat.Minuit`) and draws them on the current
axes (or a new figure for the matrix), with iminuit's look and return values. matplotlib
is imported inside the functions, so ``import thetahat`` never needs it.

Levels: the contour of confidence ``cl`` is where the profiled cost rises by
``errordef * factor_2d(cl)``; the 1-D interval of ``cl`` by ``errordef * factor_1d(cl)``
(see :mod:`thetahat._core.cl`).

Examples
--------
A parabolic cost scan with its one-sigma band, drawn off-screen (Agg backend):

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import numpy as np
>>> from matplotlib import pyplot as plt
>>> from thetahat import plot
>>> a = np.linspace(-2.0, 2.0, 41)
>>> xs, ys = plot.draw_profile(a, a**2, name="a", band=(0.0, -1.0, 1.0))
>>> plt.gca().get_title(), plt.gca().get_xlabel(), len(plt.gca().lines)
('a = 0 - 1 + 1', 'a', 2)
>>> plt.close("all")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["draw_profile", "draw_mnprofile", "draw_contour", "draw_mncontour",
           "draw_mnmatrix"]


PLOT_EXTRA = "pip install 'thetahat[plot]'"


def _pyplot(backend: str | None = None) -> Any:
    """``matplotlib.pyplot``, or a one-line error saying how to install it.

    ``backend`` (e.g. ``"Agg"`` for files written by the command line) is selected before
    pyplot is imported.
    """
    try:
        import matplotlib
    except ImportError as e:
        raise ModuleNotFoundError(
            f"drawing needs matplotlib, which is not installed: {PLOT_EXTRA}") from e
    if backend is not None:
        matplotlib.use(backend)
    from matplotlib import pyplot as plt
    return plt


def _cl_label(cl: Any) -> str:
    if cl is None:
        return "0.68"
    c = float(cl)
    return f"{c:g}σ" if c >= 1 else f"{c:g}"


def draw_profile(x: Any, y: Any, *, name: str, band: tuple[float, float, float] | None = None,
                 text: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Draw a 1-D cost scan ``y(x)`` of parameter ``name`` on the current axes.

    Parameters
    ----------
    x, y : array_like
        Parameter values and cost values.
    name : str
        Parameter name (x label).
    band : (value, lo, up) or None
        Best value and interval ends: a dashed line at ``value`` and a grey band
        ``[lo, up]``; ``None`` draws neither.
    text : bool
        Title ``name = value - (value-lo) + (up-value)``.

    Returns
    -------
    x, y : ndarray

    Raises
    ------
    ValueError
        When ``x`` and ``y`` are not 1-D arrays of equal length.

    Examples
    --------
    Drawn with the Agg backend; without a band only the scan:

    >>> from matplotlib import pyplot as plt
    >>> x, y = draw_profile([0.0, 1.0, 2.0], [1.0, 0.0, 1.0], name="a")
    >>> y.tolist(), len(plt.gca().lines), plt.gca().get_xlabel(), plt.gca().get_ylabel()
    ([1.0, 0.0, 1.0], 1, 'a', 'FCN')
    >>> plt.close("all")
    """
    plt = _pyplot()
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be 1-D of equal length, got {x.shape}, {y.shape}")
    plt.plot(x, y)
    plt.xlabel(name)
    plt.ylabel("FCN")
    if band is not None:
        v, lo, up = (float(t) for t in band)
        plt.axvline(v, color="k", linestyle="--")
        plt.axvspan(lo, up, facecolor="0.8")
        if text:
            plt.title(f"{name} = {v:.3g} - {v - lo:.3g} + {up - v:.3g}", fontsize="large")
    return x, y


def draw_mnprofile(x: Any, y: Any, *, name: str,
                   band: tuple[float, float, float] | None = None,
                   text: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Draw a profiled-cost scan; same drawing and arguments as :func:`draw_profile`.

    Parameters
    ----------
    x, y : array_like
        Parameter values and profiled cost values.
    name : str
        Parameter name (x label).
    band : (value, lo, up) or None
        Best value and interval ends, as in :func:`draw_profile`.
    text : bool
        Title ``name = value - (value-lo) + (up-value)``.

    Returns
    -------
    x, y : ndarray

    Raises
    ------
    ValueError
        When ``x`` and ``y`` are not 1-D arrays of equal length.

    Examples
    --------
    The interval of a parabola ``a^2`` at a rise of 1 is [-1, 1]:

    >>> from matplotlib import pyplot as plt
    >>> a = np.linspace(-2.0, 2.0, 41)
    >>> _ = draw_mnprofile(a, a**2, name="a", band=(0.0, -1.0, 1.0))
    >>> plt.gca().get_title(), len(plt.gca().lines)  # the scan and the dashed best value
    ('a = 0 - 1 + 1', 2)
    >>> plt.close("all")
    """
    return draw_profile(x, y, name=name, band=band, text=text)


def draw_contour(x: Any, y: Any, F: Any, *, xname: str, yname: str,
                 levels: Sequence[float] | None = None,
                 center: tuple[float, float] | None = None) -> Any:
    """Draw iso-cost lines of ``F[i, j] = cost(x[i], y[j])``.

    Parameters
    ----------
    x, y : array_like
        Grids, lengths ``nx`` and ``ny``.
    F : array_like of shape (nx, ny)
        Cost values.
    xname, yname : str
        Axis labels.
    levels : sequence of float, optional
        Cost levels of the lines (increasing); matplotlib's choice when ``None``.
    center : (float, float), optional
        Best values: dashed cross lines.

    Returns
    -------
    matplotlib.contour.QuadContourSet

    Raises
    ------
    ValueError
        When ``F`` does not have the shape ``(len(x), len(y))``.

    Examples
    --------
    >>> from matplotlib import pyplot as plt
    >>> x = y = np.linspace(-2.0, 2.0, 21)
    >>> cs = draw_contour(x, y, x[:, None]**2 + y**2, xname="a", yname="b", levels=[4, 1])
    >>> cs.levels.tolist(), plt.gca().get_xlabel(), plt.gca().get_ylabel()  # sorted levels
    ([1.0, 4.0], 'a', 'b')
    >>> plt.close("all")
    """
    plt = _pyplot()
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    F = np.asarray(F, dtype=float)
    if F.shape != (x.size, y.size):
        raise ValueError(f"F must have shape ({x.size}, {y.size}), got {F.shape}")
    if levels is None:
        cs = plt.contour(x, y, F.T)
    else:
        lv = sorted(float(t) for t in levels)
        cs = plt.contour(x, y, F.T, lv)
    plt.clabel(cs)
    plt.xlabel(xname)
    plt.ylabel(yname)
    if center is not None:
        plt.axvline(center[0], color="k", ls="--")
        plt.axhline(center[1], color="k", ls="--")
    return cs


def draw_mncontour(curves: Mapping[Any, Any], *, xname: str, yname: str) -> Any:
    """Draw closed MINOS contours, one per confidence level, as a labelled ContourSet.

    Parameters
    ----------
    curves : mapping cl -> ndarray of shape (N, 2)
        Closed curves (last point equals the first), keyed by their ``cl``.
    xname, yname : str
        Axis labels.

    Returns
    -------
    matplotlib.contour.ContourSet
        One level per ``cl`` (as iminuit's ``draw_mncontour``).

    Raises
    ------
    ValueError
        When ``curves`` is empty, or a curve is not of shape ``(N, 2)`` with ``N >= 3``.

    Examples
    --------
    A unit circle as the 68 % contour (the axes padded by 5 %):

    >>> from matplotlib import pyplot as plt
    >>> t = np.linspace(0.0, 2 * np.pi, 51)
    >>> cs = draw_mncontour({0.68: np.c_[np.cos(t), np.sin(t)]}, xname="a", yname="b")
    >>> [float(v) for v in cs.levels], [round(float(v), 2) for v in plt.gca().get_xlim()]
    ([0.68], [-1.1, 1.1])
    >>> plt.close("all")
    """
    plt = _pyplot()
    from matplotlib.contour import ContourSet
    from matplotlib.path import Path

    if not curves:
        raise ValueError("curves is empty: nothing to draw")
    items = sorted(curves.items(), key=lambda kv: 0.68 if kv[0] is None else float(kv[0]))
    levels, segs, kinds = [], [], []
    for cl, pts in items:
        p = np.asarray(pts, dtype=float)
        if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] < 3:
            raise ValueError(f"curve for cl={cl!r} must have shape (N >= 3, 2), "
                             f"got {p.shape}")
        levels.append(0.68 if cl is None else float(cl))
        segs.append([p])
        kinds.append([np.array([Path.MOVETO] + [Path.LINETO] * (len(p) - 2)
                               + [Path.CLOSEPOLY], dtype=np.uint8)])
    ax = plt.gca()
    cs = ContourSet(ax, levels, segs, kinds)
    allp = np.concatenate([s[0] for s in segs])
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    pad = 0.05 * (hi - lo)
    ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])  # ContourSet's sticky edges clip the
    ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])  # outermost curve otherwise
    fmt = {lv: _cl_label(cl) for lv, (cl, _) in zip(levels, items)}
    plt.clabel(cs, fmt=fmt)
    plt.xlabel(xname)
    plt.ylabel(yname)
    return cs


def draw_mnmatrix(profiles: Mapping[str, Any], contours: Mapping[tuple[str, str], Any], *,
                  names: Sequence[str], values: Mapping[str, float], fval: float,
                  errordef: float, figsize: Any = None,
                  cl: Any = None) -> tuple[Any, np.ndarray]:
    """Matrix of 1-D profiled costs (diagonal) and 2-D MINOS contours (lower triangle).

    Parameters
    ----------
    profiles : mapping name -> (x, fvals)
        Profiled cost of each parameter.
    contours : mapping (xname, yname) -> mapping cl -> (N, 2) curve
        Contours of each pair, ``xname`` before ``yname`` in ``names``.
    names : sequence of str
        Parameters in display order.
    values : mapping name -> float
        Best values (dashed lines).
    fval, errordef : float
        Minimum cost and cost rise of one sigma; profiles are drawn as
        ``fvals - fval`` with horizontal lines at each ``errordef * factor_1d(cl)``.
    figsize : tuple, optional
        Figure size; defaults to about 2.5 inches per parameter.
    cl : float, sequence or None, optional
        Confidence levels; taken from the contour keys when ``None``.

    Returns
    -------
    fig, ax : Figure, ndarray of Axes of shape (n, n)

    Raises
    ------
    ValueError
        When ``names`` is empty (no free parameters).

    Examples
    --------
    Two parameters: profiles on the diagonal, their contour below it, the upper corner hidden:

    >>> from matplotlib import pyplot as plt
    >>> x, t = np.linspace(-2.0, 2.0, 41), np.linspace(0.0, 2 * np.pi, 51)
    >>> fig, ax = draw_mnmatrix({"a": (x, x**2), "b": (x, x**2)},
    ...                         {("a", "b"): {0.68: np.c_[np.cos(t), np.sin(t)]}}, names=["a", "b"],
    ...                         values={"a": 0.0, "b": 0.0}, fval=0.0, errordef=1.0)
    >>> ax.shape, ax[0, 1].get_visible(), ax[1, 0].get_xlabel(), ax[1, 0].get_ylabel()
    ((2, 2), False, 'a', 'b')
    >>> plt.close("all")
    """
    plt = _pyplot()
    from ._core.cl import factor_1d

    names = list(names)
    n = len(names)
    if n == 0:
        raise ValueError("names is empty: no free parameters to draw")
    if cl is None:
        keys = [k for c in contours.values() for k in c]
        cls = list(dict.fromkeys(keys)) or [None]
    else:
        cls = [cl] if np.ndim(cl) == 0 else list(cl)
    if figsize is None:
        figsize = (2.5 * n + 1, 2.5 * n + 1)
    fig, ax = plt.subplots(n, n, figsize=figsize, squeeze=False,
                           constrained_layout=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    level = max(errordef * factor_1d(c) for c in cls)
    # displayed range of each parameter: the contours and the profile inside `level`
    prange = {nm: [np.inf, -np.inf] for nm in names}

    def widen(nm: str, v: np.ndarray) -> None:
        v = v[np.isfinite(v)]
        if v.size:
            prange[nm][0] = min(prange[nm][0], float(v.min()))
            prange[nm][1] = max(prange[nm][1], float(v.max()))

    for i, yn in enumerate(names):
        for j, xn in enumerate(names):
            a = ax[i, j]
            if j > i:
                a.set_visible(False)
                continue
            if i == j:
                x, f = (np.asarray(t, dtype=float) for t in profiles[xn])
                a.plot(x, f - fval, color="k")
                inside = np.flatnonzero(f - fval <= level)
                if inside.size:  # one grid point beyond each crossing
                    lo, hi = max(inside[0] - 1, 0), min(inside[-1] + 1, x.size - 1)
                    widen(xn, x[[lo, hi]])
                for k, c in enumerate(cls):
                    a.axhline(errordef * factor_1d(c), color=colors[k % len(colors)],
                              ls=":")
                a.axvline(values[xn], color="k", ls="--", lw=0.8)
                a.set_ylim(0, 1.3 * level)
            else:
                curves = contours.get((xn, yn))
                swap = curves is None
                if swap:
                    curves = contours[(yn, xn)]
                assert curves is not None
                for k, (c, pts) in enumerate(curves.items()):
                    p = np.asarray(pts, dtype=float)
                    px, py = (p[:, 1], p[:, 0]) if swap else (p[:, 0], p[:, 1])
                    a.plot(px, py, color=colors[k % len(colors)], label=_cl_label(c))
                    widen(xn, px)
                    widen(yn, py)
                a.plot(values[xn], values[yn], "+k")
                if i == 1 and j == 0 and len(cls) > 1:
                    a.legend(fontsize="small")
            if i == n - 1:
                a.set_xlabel(xn)
            if j == 0 and i > 0:
                a.set_ylabel(yn)
    for nm, (lo, hi) in prange.items():
        if not lo < hi:
            continue
        pad = 0.05 * (hi - lo)
        k = names.index(nm)
        for i in range(k, n):  # column k: x axis is parameter nm
            ax[i, k].set_xlim(lo - pad, hi + pad)
        for j in range(k):  # row k, left of the diagonal: y axis is parameter nm
            ax[k, j].set_ylim(lo - pad, hi + pad)
    return fig, ax


VISUALIZE_FIGSIZE = (5.0, 4.0)  # inches, iminuit's figure in the HTML view of a Minuit


def _visualize_svg(m: Any) -> str:
    """The cost's ``visualize`` drawing at the fitted values as SVG text, for the HTML
    view of a Minuit object in Jupyter (as iminuit: a 5 x 4 inch figure, constrained
    layout); empty before a fit, for a cost without ``visualize``, or without matplotlib.
    The text is an ``<svg>`` element fit to sit inside a page (:func:`_inline_svg`)."""
    if m.fmin is None or not hasattr(m.fcn, "visualize"):
        return ""
    try:
        plt = _pyplot()
    except ImportError:
        return ""
    import io

    fig = plt.figure(figsize=VISUALIZE_FIGSIZE, layout="constrained")
    try:
        m.visualize()
        _label_axes(fig, m.fcn)
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
        return _inline_svg(buf.getvalue())
    except Exception:  # a drawing that fails must not break the text of the fit
        return ""
    finally:
        plt.close(fig)


def _label_axes(fig: Any, cost: Any) -> None:
    """Axis labels for a one-panel drawing whose axes the cost left unlabelled: the data
    axis ``x`` and, by the kind of cost, ``y`` (least squares) or the counts per bin (the
    histogram of a binned or unbinned likelihood). A label the cost set is kept."""
    if len(fig.axes) != 1:
        return
    ax, kind = fig.axes[0], type(getattr(cost, "_fn", cost)).__name__  # Minuit's wrapper
    ylabel = "counts per bin" if "Binned" in kind or "Template" in kind else \
        "y" if "LeastSquares" in kind else ""
    if not ax.get_xlabel() and ylabel:
        ax.set_xlabel("x")
    if not ax.get_ylabel() and ylabel:
        ax.set_ylabel(ylabel)


def _inline_svg(text: str) -> str:
    """A standalone SVG document made an element to embed in HTML.

    matplotlib writes an XML declaration and a DOCTYPE (out of place inside a page) and a
    ``<style>`` block with the rule ``*{stroke-linejoin: round; stroke-linecap: butt}``: in
    a page, that selector matches every element of the notebook, not only the figure's.
    The declarations go onto the root ``<svg>`` element as presentation attributes
    instead; both properties are inherited, so every element of the figure that does not
    set them keeps the same value as under the rule, and the page is untouched.
    """
    import re

    text = re.sub(r"<\?xml[^>]*\?>\s*", "", text)
    text = re.sub(r"<!DOCTYPE[^>]*>\s*", "", text)
    attrs = ""
    for rules in re.findall(r"<style[^>]*>(.*?)</style>", text, flags=re.S):
        for body in re.findall(r"\*\s*\{([^}]*)\}", rules):
            for decl in body.split(";"):
                if ":" in decl:
                    key, value = (t.strip() for t in decl.split(":", 1))
                    attrs += f' {key}="{value}"'
    text = re.sub(r"\s*<style[^>]*>.*?</style>", "", text, flags=re.S)
    text = re.sub(r"\s*<defs>\s*</defs>", "", text)
    return text.replace("<svg ", "<svg" + attrs + " ", 1).strip()
