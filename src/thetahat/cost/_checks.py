"""Input checks and helpers shared by the cost functions.

- the parameters of a model: its names after the first argument ``x``, each with the
  limits its annotations declare (``Annotated[float, 0:]``), or the names given;
- a model's output as a float64 array (long double kept for the value of a cost), with a
  :class:`~thetahat.PerformanceWarning` for a list;
- finiteness of the data, as a ValueError that names the first bad entry;
- histogram objects (``hist``, ``boost_histogram``, the UHI ``PlottableProtocol``): their
  counts (``values()``, and the variances as a last axis of length 2 after a weighted fill),
  their bin edges, and the refusal of a histogram where an array of data is meant;
- ``numpy.ma.MaskedArray`` inputs: their data and their mask, which the costs take as
  their own (:attr:`~._base.MaskedCost.mask`).

Each error names the argument it is about.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._core.masked import is_masked_array
from .._core.signature import describe
from .._core.warnings import PerformanceWarning, warn_user

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import NDArray

__all__ = ["check_finite", "describe_model", "histogram_counts", "histogram_edges",
           "is_histogram", "model_array", "refuse_histogram", "unmask"]


def describe_model(model: Callable, name: Sequence[str] | None, skip_first: bool) -> dict:
    """Parameter names of ``model`` (after the first argument ``x`` if ``skip_first``),
    mapped to the limits its annotations declare (``Annotated[float, 0:]``) or None.

    An explicit ``name`` sequence replaces the introspected names (its length must match)
    and keeps their limits. A model may declare its parameters with a ``_parameters`` dict
    (iminuit convention).
    """
    params = describe(model, annotations=True)
    if getattr(model, "__signature__", None) is not None and not isinstance(
            getattr(model, "_parameters", None), dict):
        # an object that states its signature (thetahat.models): read that one
        kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        names = [q.name for q in inspect.signature(model).parameters.values()
                 if q.kind in kinds]
        params = {k: params.get(k) for k in names}
    if skip_first and not isinstance(getattr(model, "_parameters", None), dict):
        params = dict(list(params.items())[1:])
    if name is not None:
        name = [str(n) for n in name]
        if params and len(name) != len(params):
            raise ValueError(
                f"length of name does not match number of model parameters: name has "
                f"{len(name)} entries, the model has {len(params)} parameters {list(params)}"
            )
        params = dict(zip(name, params.values())) if params else dict.fromkeys(name)
    if not params:
        raise ValueError(
            "cannot find the model's parameter names; pass them with name=[...]"
        )
    return params



def model_array(out: Any, wide: bool = False) -> NDArray:
    """A model's output as float64 values (with ``wide``, long double values stay long
    double: the value of a cost keeps a model's extended precision, its derivatives are
    float64); a model that returns a list or another non-array sequence works but is slow,
    and gets a :class:`PerformanceWarning`."""
    if not isinstance(out, np.ndarray) and np.ndim(out) > 0:
        warn_user(f"model should return a numpy array, but returns {type(out).__name__}",
                  PerformanceWarning)
    if wide and np.asarray(out).dtype == np.longdouble:
        return np.asarray(out)
    return np.asarray(out, dtype=float)


def check_finite(name: str, a: NDArray) -> None:
    """Raise ValueError naming the first non-finite entry of ``a``."""
    bad = ~np.isfinite(a)
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name}[{', '.join(map(str, idx))}] = {a[idx]} is not finite")


def is_histogram(obj: Any) -> bool:
    """Whether ``obj`` is a histogram object: ``hist``, ``boost_histogram`` or anything with
    the UHI ``PlottableProtocol`` (a callable ``values()`` and ``axes``), not an array."""
    return (not isinstance(obj, np.ndarray) and callable(getattr(obj, "values", None))
            and hasattr(obj, "axes"))


def histogram_edges(label: str, h: Any) -> list[NDArray]:
    """The bin edges of each axis of the histogram object ``h`` (``axis.edges``, or the UHI
    ``PlottableAxis`` protocol: ``axis[i]`` is the edge pair of bin i)."""
    out = []
    for k, ax in enumerate(h.axes):
        if getattr(getattr(ax, "traits", None), "ordered", True) is False:
            raise TypeError(f"{label}.axes[{k}] is a category axis ({type(ax).__name__}): "
                            "its bins have no edges to integrate a density over")
        edges = getattr(ax, "edges", None)
        if edges is None:
            pairs = [ax[i] for i in range(len(ax))]
            if not pairs:
                raise ValueError(f"{label}.axes[{k}] has no bins")
            edges = [q[0] for q in pairs] + [pairs[-1][1]]
        out.append(np.asarray(edges, dtype=float))
    return out


def histogram_counts(label: str, h: Any) -> tuple[NDArray, list[NDArray]]:
    """The contents of the histogram object ``h`` as the binned costs take them, and its
    edges: ``values()`` for counts; ``(values, variances)`` on a last axis of length 2 (sum
    of weights, sum of squared weights) when the variances differ from the values, i.e.
    the histogram was filled with weights. Flow bins are left out (``values()``). A profile
    (``kind`` MEAN) holds means, not counts: TypeError; unknown variances (``variances()``
    None, boost_histogram's Double storage after a weighted fill): ValueError."""
    if str(getattr(h, "kind", "COUNT")).upper().endswith("MEAN"):
        raise TypeError(f"{label} is a profile histogram (kind MEAN): its values are means "
                        "of samples, not counts; fit them with LeastSquares")
    values = np.asarray(h.values(), dtype=float)
    has_var = callable(getattr(h, "variances", None))
    var = h.variances() if has_var else None
    if has_var and var is None:  # UHI: the variances are unknown (a weighted fill)
        raise ValueError(f"{label}.variances() is None: the histogram was filled with weights "
                         "into a storage that does not keep their squares, so its values "
                         "are not counts; fill it with storage=Weight(), or pass "
                         "np.stack([values, sum of squared weights], -1)")
    if var is not None:
        var = np.asarray(var, dtype=float)
        if var.shape != values.shape:
            raise ValueError(f"{label}.variances() has shape {var.shape}, its values() "
                             f"{values.shape}")
        if not np.array_equal(var, values):
            values = np.stack([values, var], axis=-1)
    return values, histogram_edges(label, h)


def refuse_histogram(label: str, a: Any, hint: str) -> None:
    """TypeError naming ``label`` if ``a`` is a histogram object, which numpy would
    otherwise read as an array of its bin contents (or fail on deep inside)."""
    if is_histogram(a):
        raise TypeError(f"{label} is a histogram object ({type(a).__name__}); {hint}")


def unmask(a: Any, fill: float = 0.0, label: str = "data") -> tuple[Any, NDArray | None]:
    """A ``numpy.ma.MaskedArray`` input as its data (masked entries set to ``fill``, which
    passes every input check) and its mask; any other input as it is, with None.

    The costs honour such a mask as their own (:attr:`MaskedCost.mask`: the masked points
    are left out), where numpy's ``asarray`` would silently drop it (docs/trust.md). A
    histogram object is refused (TypeError naming ``label``): read as an array, its bin
    contents would become a sample of events or data points."""
    refuse_histogram(label, a, "read as an array, its bin contents would be "
                     f"taken for {label}: fit a histogram with BinnedNLL(h, h.axes[0].edges, cdf) "
                     "or ExtendedBinnedNLL (they read its counts, edges and variances), or "
                     "pass the arrays you mean (h.values(), h.axes[0].centers)")
    if not is_masked_array(a):
        return a, None
    m = np.ma.getmaskarray(a)
    d = np.array(np.ma.getdata(a), dtype=float)
    if not m.any():
        return d, None
    d[m] = fill
    return d, m

