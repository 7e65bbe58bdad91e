"""The data of a histogram cost: bin edges and bin contents, checked, shared by
``BinnedNLL``, ``ExtendedBinnedNLL`` (:mod:`._binned`) and ``Template`` (:mod:`._template`).

- Edges: one strictly increasing, finite array per dimension; the outer edges may be -inf
  and +inf where the cost differences a cdf (``use_pdf=''``), not where it integrates a
  pdf over the bin. Edges cannot be masked (a bin would lose one).
- Contents: plain counts ``n_i >= 0`` of shape (nbins...), or a weighted histogram with a
  last axis ``(sum w, sum w^2)``, whose Bohm-Zech scale ``s_i = |sum w| / sum w^2`` (1 where
  ``sum w^2 = 0``) makes ``n_i s_i`` approximately Poisson (G. Bohm and G. Zech,
  NIM A 748 (2014) 1).
- A histogram object (``hist``, ``boost_histogram``, the UHI protocol) is read through
  :func:`._base.histogram_counts`, after checking that its axes have the cost's edges.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .._core.masked import has_masked_entries
from ._base import check_finite, histogram_counts, is_histogram, unmask

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import ArrayLike, NDArray

__all__ = ["HistogramData", "histogram_input", "parse_counts"]


def _parse_edges(xe: Any, open_ends: str | None = None) -> list[NDArray]:
    """The edges as float arrays, checked: strictly increasing and finite, except that
    the outer edges may be -inf and +inf when ``open_ends`` is "" (a cdf is evaluated at
    the edges, as iminuit allows); another ``open_ends`` (the ``use_pdf`` mode) names why
    they may not be. Masked edges are refused: a bin cannot lose one of its edges."""
    for e in (xe if isinstance(xe, (list, tuple)) else [xe]):
        if has_masked_entries(e):
            raise ValueError("xe is a numpy.ma.MaskedArray with masked edges: edges cannot be "
                             "masked; mask the bins instead (a masked n, or the mask "
                             "argument)")
    if not isinstance(xe, (list, tuple)) and np.ndim(xe) == 0:
        raise ValueError(f"xe must be iterable (an array of bin edges), got {xe!r}")
    if isinstance(xe, (list, tuple)) and len(xe) > 0 and np.ndim(xe[0]) == 1:
        edges = [np.asarray(e, dtype=float) for e in xe]
        labels = [f"xe[{k}]" for k in range(len(edges))]
    else:
        edges = [np.asarray(xe, dtype=float)]
        labels = ["xe"]
        if edges[0].ndim != 1:
            raise ValueError(f"xe must be a 1-D array of edges or a sequence of them, "
                             f"got shape {edges[0].shape}")
    for e, lab in zip(edges, labels):
        if e.size < 1:
            raise ValueError(f"{lab} needs at least 1 edge, got none")
        if open_ends is not None and e.size >= 2 and (e[0] == -np.inf or e[-1] == np.inf):
            i = 0 if e[0] == -np.inf else e.size - 1
            if open_ends:
                raise ValueError(f"{lab}[{i}] = {e[i]}: an infinite outer edge needs the cdf "
                                 f"(use_pdf=''); use_pdf={open_ends!r} integrates the pdf "
                                 "over the bin, which is infinitely wide")
            bad = ~np.isfinite(e)
            bad[0] &= e[0] != -np.inf
            bad[-1] &= e[-1] != np.inf
            if np.any(bad):
                i = int(np.flatnonzero(bad)[0])
                raise ValueError(f"{lab}[{i}] = {e[i]} is not finite (only the outer edges "
                                 "may be -inf and +inf)")
        else:
            check_finite(lab, e)
        d = np.diff(e)
        bad = np.flatnonzero(~(d > 0))
        if bad.size:
            i = int(bad[0]) + 1
            raise ValueError(f"{lab}[{i}] = {e[i]} is not greater than {lab}[{i - 1}] = "
                             f"{e[i - 1]}; bin edges must be strictly increasing")
    return edges


def histogram_input(label: str, h: Any, edges: list[NDArray]) -> NDArray:
    """The contents of the histogram object ``h`` (:func:`._base.histogram_counts`), after
    checking that its axes have the bin edges ``edges`` the cost was given."""
    counts, hedges = histogram_counts(label, h)
    if len(hedges) != len(edges):
        raise ValueError(f"{label} is a histogram with {len(hedges)} axes, but the bin "
                         f"edges xe describe {len(edges)}")
    for k, (a, b) in enumerate(zip(hedges, edges)):
        if a.shape != b.shape or not np.allclose(a, b, rtol=1e-12, atol=0.0):
            raise ValueError(f"the edges of axis {k} of the histogram {label} ({a.size} "
                             f"edges from {a[0]:g} to {a[-1]:g}) differ from xe ({b.size} "
                             f"edges from {b[0]:g} to {b[-1]:g}); pass h.axes[{k}].edges")
    return counts


def parse_counts(n: ArrayLike, nb: tuple, label: str = "n"
                 ) -> tuple[NDArray, NDArray, NDArray, NDArray | None]:
    """Bin contents as given, sum of weights, sum of squared weights, and the Bohm-Zech
    scale ``sum w / sum w^2`` (None for plain counts), after checking the shape."""
    counts = np.array(n, dtype=float)  # a copy: the caller's array may change later
    if counts.shape == nb:
        weighted = False
    elif counts.shape == nb + (2,):
        weighted = True
    else:
        raise ValueError(
            f"{label} must either have same dimension as xe ({len(nb)}) or one more with "
            f"length 2: shape {nb} (counts) or {nb + (2,)} (sum of weights, sum of squared "
            f"weights) to match the bin edges, got {counts.shape}"
        )
    check_finite(label, counts)
    if not weighted:
        neg = np.argwhere(counts < 0)
        if neg.size:
            idx = tuple(int(i) for i in neg[0])
            raise ValueError(f"{label}[{', '.join(map(str, idx))}] = {counts[idx]} must be "
                             ">= 0 (negative contents need the (sum w, sum w^2) form)")
        return counts, counts, counts, None
    w, w2 = counts[..., 0], counts[..., 1]
    neg = np.argwhere(w2 < 0)
    if neg.size:
        idx = tuple(int(i) for i in neg[0]) + (1,)
        raise ValueError(f"{label}[{', '.join(map(str, idx))}] = {counts[idx]} must be >= 0 "
                         "(a sum of squared weights)")
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(w2 > 0, np.abs(w) / np.where(w2 > 0, w2, 1.0), 1.0)
    return counts, w, w2, scale


class HistogramData:
    """The counts and edges of a histogram, shared by the binned costs and Template
    (``_edges``, ``_nb`` set by the class; ``n`` settable; in-place edits of unmasked plain
    counts are seen)."""

    _edges: list[NDArray]
    _nb: tuple
    _take_masks: Callable[..., None]  # MaskedCost's, in the classes that use this one

    def _update_cache(self) -> None:  # pragma: no cover - provided by the cost
        raise NotImplementedError

    def _set_counts(self, n: ArrayLike) -> None:
        if is_histogram(n):  # hist / boost_histogram: counts, or (sum w, sum w^2)
            n = histogram_input("n", n, self._edges)
        n, masked = unmask(n, label="n")
        self._n_raw, self._n, self._n2, self._scale = parse_counts(n, self._nb)
        self._weighted = self._scale is not None
        if masked is not None and masked.shape != self._nb:  # (sum w, sum w^2) per bin
            masked = np.asarray(masked.any(axis=-1))
        self._counts_mask = masked  # the cost's mask once it is built (_take_masks)

    @property
    def n(self) -> NDArray:
        """Bin contents as given (with the (sumw, sumw2) axis for weighted histograms).

        Examples
        --------
        >>> from thetahat.cost import Template
        >>> c = Template([3, 5], [0.0, 1.0, 2.0], [[2, 1], [1, 4]])
        >>> c.n = [4, 4]
        >>> c.n.tolist(), c.ndata
        ([4.0, 4.0], 2)
        """
        return self._n_raw

    @n.setter
    def n(self, value: ArrayLike) -> None:
        self._set_counts(value)
        self._update_cache()
        self._take_masks(self._counts_mask)

    @property
    def xe(self) -> NDArray | tuple[NDArray, ...]:
        """Bin edges.

        Examples
        --------
        >>> from thetahat.cost import Template
        >>> Template([3, 5], [0.0, 1.0, 2.0], [[2, 1], [1, 4]]).xe.tolist()
        [0.0, 1.0, 2.0]
        """
        return self._edges[0] if len(self._edges) == 1 else tuple(self._edges)

    @property
    def data(self) -> NDArray:
        """Bin contents (same as :attr:`n`).

        Examples
        --------
        >>> from thetahat.cost import Template
        >>> Template([3, 5], [0.0, 1.0, 2.0], [[2, 1], [1, 4]]).data.tolist()
        [3.0, 5.0]
        """
        return self._n_raw
