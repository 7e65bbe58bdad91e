"""The batch fronts on dask arrays: one in-memory batch per block of fits.

The fits of a batch are independent, so a batch ``ydata (n_fits, n_points)`` split along
its first axis into blocks of ``n_1, n_2, ...`` rows is solved block by block: block ``b``
is the ordinary :func:`thetahat.batch.curve_fit` / :func:`thetahat.batch.fit` call on its
rows (one compiled batch per block, in a dask task), and the result of the whole batch is
the concatenation of the blocks' results, row for row the same numbers as one call on the
whole array.

- **Blocks** are ``ydata``'s chunks along the fit axis. Every fit needs all of its points,
  so a ``ydata`` chunked along the point axis is *rechunked* to whole rows (one extra
  shuffle of the data; chunk it as ``ydata.rechunk({1: -1})`` yourself to control it).
- **Per-fit inputs** (``x`` of shape ``(n_fits, n_points[, 2])``, ``p0 (n_fits, k)``,
  ``sigma`` / ``yerr (n_fits, n_points)``), dask or numpy, are split along the same rows;
  shared ones go to every block whole.
- **Threads**: each block runs ``workers=1`` unless ``workers`` is given — dask's workers
  supply the parallelism (one task per core), and a thread pool per task would
  oversubscribe the cores.
- **The result** is a :class:`DaskBatchResult`: the same fields as
  :class:`thetahat.batch.BatchResult`, as dask arrays; ``compute()`` runs every block once
  and returns a :class:`BatchResult`, ``persist()`` keeps the fitted blocks in (cluster)
  memory. It runs on whichever scheduler is active: the threaded default, or a
  ``dask.distributed.Client``.
- **Errors**: shapes are checked when the graph is built; checks on values (a zero sigma,
  the model's output shape) run in the blocks, and their message names the block's first
  fit (row indices in the message count from it).
- ``progress=`` is for in-memory batches: with dask use ``dask.diagnostics.ProgressBar``
  or the distributed dashboard.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._inputs import check_ydata_shape
from ._result import FIELDS, STATUS_DTYPE, BatchResult

__all__ = ["DaskBatchResult", "over_blocks", "require_dask"]

_ERRORS = ("sigma", "yerr")  # the per-point error argument of curve_fit / fit


def require_dask() -> tuple[Any, Any]:
    """``(dask, dask.array)``, or an ImportError naming the extra."""
    try:
        import dask
        import dask.array as da
    except ImportError as exc:
        raise ImportError("thetahat.batch on dask arrays needs dask: pip install "
                          "thetahat[dask] (or pip install 'dask[array]' distributed)"
                          ) from exc
    return dask, da


@dataclass(frozen=True, eq=False)
class DaskBatchResult:
    """A lazy :class:`thetahat.batch.BatchResult`: the same fields, as dask arrays.

    ``compute()`` fits every block and returns a :class:`BatchResult` (the blocks' results
    travel whole and are joined once, on the caller's side); ``persist()`` returns a
    ``DaskBatchResult`` whose blocks are fitted and held in memory (on a cluster: on the
    workers). Fields are dask arrays of their own: ``r.popt[:10].compute()`` fits only the
    first block, ``da.to_zarr(r.popt, ...)`` writes from the workers. ``blocks`` holds one
    ``dask.delayed`` :class:`BatchResult` per block.

    Attributes
    ----------
    parameters, popt, perr, pcov, chi2, ndof, nfev, niter, status, success
        As in :class:`BatchResult`, each a dask array (``parameters`` a tuple of str).
    blocks : tuple of dask.delayed.Delayed
        One delayed :class:`BatchResult` per block of rows.

    Examples
    --------
    Three exact lines in blocks of two rows (the oracle: the lines themselves):

    >>> import numpy as np
    >>> import dask.array as da
    >>> from thetahat import batch
    >>> x = np.linspace(0, 1, 5)
    >>> y = da.from_array(np.array([1 + 2 * x, 3 - x, 2 + 0.5 * x]), chunks=2)
    >>> lazy = batch.fit(x, y, "line")
    >>> lazy
    <DaskBatchResult 3 fits of (a, b) in 2 blocks>
    >>> lazy.compute().popt.round(12).tolist()
    [[1.0, 2.0], [3.0, -1.0], [2.0, 0.5]]
    """

    parameters: tuple[str, ...]
    popt: Any
    perr: Any
    pcov: Any
    chi2: Any
    ndof: Any
    nfev: Any
    niter: Any
    status: Any
    success: Any
    blocks: tuple = ()

    @classmethod
    def from_blocks(cls, parameters: tuple[str, ...], blocks: list,
                    rows: tuple[int, ...]) -> DaskBatchResult:
        """The lazy fields over ``blocks``, delayed :class:`BatchResult` of ``rows`` fits.

        Parameters
        ----------
        parameters : tuple of str
            Parameter names.
        blocks : list
            Delayed :class:`BatchResult` objects, one per block of fits.
        rows : tuple of int
            Number of fits in each block.

        Returns
        -------
        DaskBatchResult

        Examples
        --------
        >>> import dask
        >>> from thetahat import batch
        >>> x = np.linspace(0, 1, 4)
        >>> fit = dask.delayed(batch.fit)
        >>> blocks = [fit(x, [1 + 2 * x], "line"), fit(x, [3 - x], "line")]  # one fit each
        >>> r = DaskBatchResult.from_blocks(("a", "b"), blocks, (1, 1))
        >>> r.nblocks, r.popt.compute().round(12).tolist()
        (2, [[1.0, 2.0], [3.0, -1.0]])
        """
        dask, da = require_dask()
        k = len(parameters)
        tails = {"popt": ((k,), float), "perr": ((k,), float), "pcov": ((k, k), float),
                 "chi2": ((), float), "ndof": ((), np.int64), "nfev": ((), np.int64),
                 "niter": ((), np.int64), "status": ((), STATUS_DTYPE),
                 "success": ((), bool)}
        get = dask.delayed(getattr, pure=True)
        arrays: dict[str, Any] = {
            f: da.concatenate([da.from_delayed(get(b, f), shape=(nb,) + tails[f][0],
                                               dtype=tails[f][1])
                               for b, nb in zip(blocks, rows)], axis=0)
            for f in FIELDS}
        return cls(tuple(parameters), blocks=tuple(blocks), **arrays)

    def compute(self, **kwargs: Any) -> BatchResult:
        """Fit every block (``dask.compute`` with ``kwargs``, e.g. ``scheduler=``).

        Parameters
        ----------
        **kwargs
            Passed to ``dask.compute``.

        Returns
        -------
        BatchResult
            All fits, in memory.

        Examples
        --------
        With ``lazy`` the three line fits of the class example:

        >>> r = lazy.compute()
        >>> type(r).__name__, r.popt.round(12).tolist()
        ('BatchResult', [[1.0, 2.0], [3.0, -1.0], [2.0, 0.5]])
        """
        dask, _ = require_dask()
        return BatchResult.concatenate(list(dask.compute(*self.blocks, **kwargs)))

    def persist(self, **kwargs: Any) -> DaskBatchResult:
        """Fit every block and keep the results in memory (``dask.persist``).

        Parameters
        ----------
        **kwargs
            Passed to ``dask.persist``.

        Returns
        -------
        DaskBatchResult
            A lazy result over the persisted blocks.

        Examples
        --------
        With ``lazy`` the three line fits of the class example:

        >>> kept = lazy.persist()  # the fits run now; the result stays a DaskBatchResult
        >>> kept.nblocks, kept.popt[2:].compute().round(12).tolist()
        (2, [[2.0, 0.5]])
        """
        dask, _ = require_dask()
        kept = dask.persist(*self.blocks, **kwargs)
        return self.from_blocks(self.parameters, list(kept), self.popt.chunks[0])

    @property
    def nblocks(self) -> int:
        """Number of blocks (tasks of fits) along the fit axis.

        Examples
        --------
        With ``lazy`` the three line fits of the class example, in blocks of two rows:

        >>> lazy.nblocks, lazy.popt.chunks[0]
        (2, (2, 1))
        """
        return len(self.blocks)

    def __len__(self) -> int:
        return int(self.popt.shape[0])

    def __repr__(self) -> str:
        return (f"<DaskBatchResult {len(self)} fits of ({', '.join(self.parameters)}) in "
                f"{self.nblocks} blocks>")


def _fit_block(front: Callable, err_name: str | None, start: int, options: dict,
               y: NDArray, x: Any, p0: Any, err: Any) -> BatchResult:
    """One block: the in-memory front on its rows (a dask task)."""
    kw = dict(options, ydata=y, x=x, p0=p0)
    if err_name is not None:
        kw[err_name] = err
    try:
        return front(**kw)
    except ValueError as exc:
        raise ValueError(f"in the dask block of fits {start}..{start + len(y) - 1} (rows "
                         f"below count from {start}): {exc}") from None


def _per_fit(a: Any, lead: tuple[int, ...]) -> bool:
    return a is not None and np.ndim(a) >= len(lead) and tuple(np.shape(a)[:len(lead)]) == lead


def _split(a: Any, rows: tuple[int, ...], per_fit: bool) -> list:
    """``a`` cut into the row blocks (per-fit) or repeated whole (shared)."""
    if not per_fit:
        return [a] * len(rows)
    if hasattr(a, "__dask_graph__"):
        a = a.rechunk((rows,) + tuple((s,) for s in a.shape[1:]))
        return list(a.to_delayed().ravel())
    bounds = np.concatenate([[0], np.cumsum(rows)])
    return [a[s:e] for s, e in zip(bounds[:-1], bounds[1:])]


def _as_dask_ydata(da: Any, ydata: Any, others: list) -> Any:
    if hasattr(ydata, "__dask_graph__"):
        y = ydata.astype(float)
    else:  # numpy ydata, dask per-fit x / p0 / sigma: follow their row chunks
        yn = np.asarray(ydata, dtype=float)
        rows: Any = "auto"
        for a in others:
            if hasattr(a, "__dask_graph__") and a.ndim >= 1 and yn.ndim == 2 \
                    and a.shape[0] == yn.shape[0]:
                rows = a.chunks[0]
                break
        y = da.from_array(yn, chunks=(rows, -1) if yn.ndim == 2 else -1)
    check_ydata_shape(y.shape)
    if any(np.isnan(c) for c in y.shape):
        raise ValueError("ydata has unknown chunk sizes: call ydata.compute_chunk_sizes()")
    if len(y.chunks[1]) > 1:  # each fit needs all its points: whole rows per block
        y = y.rechunk({1: -1})
    return y


def over_blocks(front: Callable, names: tuple[str, ...], progress: Any, *, ydata: Any,
                x: Any, p0: Any, **options: Any) -> DaskBatchResult:
    """The lazy result of ``front(ydata=..., x=..., p0=..., **options)`` over the blocks of
    a dask ``ydata`` (module docstring)."""
    dask, da = require_dask()
    if progress is not None and progress is not False:
        raise ValueError("progress= is for in-memory batches; on dask arrays use "
                         "dask.diagnostics.ProgressBar() or the distributed dashboard")
    err_name = next((e for e in _ERRORS if e in options), None)
    err = options.pop(err_name) if err_name is not None else None
    y = _as_dask_ydata(da, ydata, [x, p0, err])
    n, m = y.shape
    rows = y.chunks[0]
    k = len(names)
    x_flag = options.pop("x_per_fit", None)
    x_pf = bool(x_flag) if x_flag is not None else _per_fit(x, (n, m))
    if x_pf and (np.ndim(x) < 2 or np.shape(x)[0] != n):
        raise ValueError(f"x_per_fit=True needs x with a first axis of {n} fits, got shape "
                         f"{np.shape(x)}")
    p0_pf = p0 is not None and np.shape(p0) == (n, k) and n > 1
    if p0 is not None and np.shape(p0) not in ((k,), (1, k), (n, k)):
        raise ValueError(f"p0 of shape {np.shape(p0)} does not match {k} parameters "
                         f"({', '.join(names)}) and {n} fits: use shape ({k},) or ({n}, {k})")
    if err is not None:
        try:
            np.broadcast_shapes(np.shape(err), (n, m))
        except ValueError:
            raise ValueError(f"{err_name} of shape {np.shape(err)} does not broadcast to "
                             f"ydata's shape ({n}, {m})") from None
    err_pf = err is not None and np.ndim(err) == 2 and np.shape(err)[0] == n and n > 1
    if options.get("workers") is None:
        options["workers"] = 1
    ys = list(y.to_delayed().ravel())
    xs, ps, es = _split(x, rows, x_pf), _split(p0, rows, p0_pf), _split(err, rows, err_pf)
    task = dask.delayed(_fit_block, pure=False)  # a user model need not tokenize
    starts = np.concatenate([[0], np.cumsum(rows)[:-1]])
    parts = [task(front, err_name, int(s), options, yb, xb, pb, eb)
             for s, yb, xb, pb, eb in zip(starts, ys, xs, ps, es)]
    return DaskBatchResult.from_blocks(tuple(names), parts, rows)
