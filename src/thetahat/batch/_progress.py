"""Progress of a long batch: the fronts run the solver on consecutive blocks of fits.

The fits of a batch are independent, so solving rows ``[0, B)``, ``[B, 2B)``, ... one block
after the other gives the same numbers as one call on all rows (the block ``B = 2**15`` is a
multiple of the solvers' chunks of 2048 / 4096 fits, so even the grouping inside the solver
is unchanged). After each block the front reports ``(n_done, n_total)``:

- ``progress=False`` (default): one solver call, no report;
- ``progress=True``: a ``tqdm`` bar (the optional extra ``thetahat[progress]``);
- ``progress=callable``: ``callable(n_done, n_total)`` after each block.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["BLOCK", "check_progress", "run_blocks"]

BLOCK = 2**15  # fits per solver call when progress is reported

Report = Callable[[int, int], Any]


def check_progress(progress: Any) -> Any:
    """Validate ``progress`` at the entry: a bool or a callable; True needs tqdm."""
    if isinstance(progress, bool):
        if progress:
            try:
                import tqdm  # noqa: F401
            except ImportError as exc:
                raise ImportError("progress=True draws a tqdm bar: pip install "
                                  "thetahat[progress] (or pip install tqdm), or pass a "
                                  "callable progress(n_done, n_total)") from exc
        return progress
    if callable(progress):
        return progress
    raise TypeError(f"progress must be True, False or a callable (n_done, n_total), "
                    f"got {progress!r}")


def run_blocks(solve: Callable[[int, int], Any], n: int, progress: Any) -> list:
    """``[solve(start, stop), ...]`` over consecutive blocks of ``range(n)``: one call when
    ``progress`` is False, blocks of :data:`BLOCK` fits reported after each otherwise."""
    if progress is False:
        return [solve(0, n)]
    bar = None
    if progress is True:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, unit="fit", desc="thetahat.batch")
    out = []
    try:
        for start in range(0, n, BLOCK):
            stop = min(n, start + BLOCK)
            out.append(solve(start, stop))
            if bar is not None:
                bar.update(stop - start)
            else:
                progress(stop, n)
    finally:
        if bar is not None:
            bar.close()
    return out
