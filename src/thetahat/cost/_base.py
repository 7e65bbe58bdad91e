"""The base of the costs over data points: :class:`MaskedCost`, whose boolean ``mask``
selects the points (or slices along the first axis of a histogram) that enter the cost.

The cost of masked data is that of the selected points alone: ``ndata`` counts them, and
a new mask drops the cached model values of the finite-difference Jacobians (they belong
to the old selection). Masked-array inputs (``numpy.ma``) give their mask the same way.

The cost modules import their common pieces from here: :class:`Cost`, :class:`CostSum` and
:class:`Constant` (:mod:`._cost`) and the input checks (:mod:`._checks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..derivatives.model import FDCache
from ._checks import check_finite as check_finite
from ._checks import describe_model
from ._checks import histogram_counts as histogram_counts
from ._checks import histogram_edges as histogram_edges
from ._checks import is_histogram as is_histogram
from ._checks import model_array as model_array
from ._checks import refuse_histogram as refuse_histogram
from ._checks import unmask as unmask
from ._cost import Constant, Cost, CostSum

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import ArrayLike, NDArray

__all__ = ["Cost", "MaskedCost", "CostSum", "Constant", "describe_model"]


class MaskedCost(Cost):
    """A cost over data points that a boolean ``mask`` (settable any time) can select.

    Parameters
    ----------
    parameters : dict of str to (float, float) or None
        As for :class:`Cost`.
    mask_shape : tuple of int
        Shape of a boolean mask over the data points.
    verbose : int, optional
        As for :class:`Cost`.

    Examples
    --------
    >>> from thetahat.cost import LeastSquares, MaskedCost
    >>> c = LeastSquares([0.0, 1.0, 2.0], [1.0, 3.0, 9.0], 1.0, lambda x, a, b: a + b * x)
    >>> c.mask = [True, True, False]  # leave out the outlier
    >>> isinstance(c, MaskedCost), c.ndata, c(1.0, 2.0)
    (True, 2, 0.0)
    """

    def __init__(self, parameters: dict, mask_shape: tuple, verbose: int = 0) -> None:
        super().__init__(parameters, verbose)
        self._mask_shape = tuple(mask_shape)
        self._mask: NDArray | None = None  # boolean, of the data's shape
        self._mask_given: NDArray | None = None  # as the user set it
        self._fd_cache = FDCache()
        self._update_cache()

    @property
    def mask(self) -> NDArray | None:
        """Selection of the data used by the cost, or None (use all): a boolean array with
        one entry per data point (or per slice along the first axis of a histogram), or an
        array of indices along the first axis.

        Examples
        --------
        >>> from thetahat.cost import LeastSquares
        >>> c = LeastSquares([0.0, 1.0, 2.0], [1.0, 3.0, 9.0], 1.0, lambda x, a, b: a + b * x)
        >>> c(1.0, 2.0), c.mask  # (9 - 5)^2 from the last point
        (16.0, None)
        >>> c.mask = [0, 1]  # indices work too
        >>> c(1.0, 2.0), c.mask.tolist(), c.ndata
        (0.0, [0, 1], 2)
        """
        return self._mask_given

    @mask.setter
    def mask(self, mask: ArrayLike | None) -> None:
        if mask is None:
            self._mask = None
            self._mask_given = None
        else:
            m = np.asarray(mask)
            shape = self._mask_shape
            if m.dtype != bool:
                if m.size and not np.issubdtype(m.dtype, np.integer):
                    raise TypeError(f"mask must be boolean or an array of indices, got dtype "
                                    f"{m.dtype}")
                sel = np.zeros(shape[0], dtype=bool)
                try:
                    sel[m.astype(int)] = True
                except IndexError:
                    raise ValueError(f"mask indices {m.tolist()} out of range for "
                                     f"{shape[0]} data points") from None
                full = sel
            else:
                full = m
            if full.shape != shape:
                if full.shape == shape[:1]:
                    full = np.broadcast_to(full.reshape(shape[:1] + (1,) * (len(shape) - 1)),
                                           shape)
                else:
                    raise ValueError(
                        f"mask has shape {m.shape}, expected {shape} "
                        "(one entry per data point)"
                    )
            self._mask = np.array(full, dtype=bool)
            self._mask_given = m.copy()
        self._fd_cache = FDCache()  # its model values belong to the old selection
        self._update_cache()

    def _update_cache(self) -> None:  # pragma: no cover - overridden
        pass

    def _take_masks(self, *masks: NDArray | None) -> None:
        """Use the masks of masked-array inputs (True: masked, each of the data's shape or
        with leading axes, reduced by ``any``) as the cost's mask; none given: no change."""
        given = [m for m in masks if m is not None]
        if not given:
            return
        n = len(self._mask_shape)
        bad = np.zeros(self._mask_shape, dtype=bool)
        for m in given:
            bad |= m.reshape((-1,) + m.shape[m.ndim - n:]).any(axis=0) if m.ndim > n else m
        self.mask = ~bad

