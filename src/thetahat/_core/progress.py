"""Progress of long work: the one ``progress=`` argument of batches, profiles, contours,
scans and ``draw_mnmatrix``.

A long computation is a known number ``n_total`` of steps (fits of a batch, points of a
profile, grid points of a scan, panels of a matrix); after each step it reports
``(n_done, n_total)``, with ``n_done`` increasing to ``n_total``. What the report does is
the caller's choice, checked once at the entry by :func:`check_progress`:

- ``progress=None`` (the default of the ``Minuit`` methods): a bar in a Jupyter notebook
  when tqdm is installed, nothing elsewhere (a script's output stays clean);
- ``progress=True``: a tqdm bar (``tqdm.auto``: a widget in a notebook, text on stderr
  elsewhere); tqdm is the optional extra ``thetahat[progress]``, imported only here and
  only then, and a missing tqdm is an ImportError that says how to install it;
- ``progress=False``: nothing;
- ``progress=callable``: ``callable(n_done, n_total)`` after each step.

Reporting never changes what is computed: the steps run in the same order on the same
numbers whichever form is chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .environment import is_jupyter

__all__ = ["Report", "Reporter", "check_progress", "reporter"]

Report = Callable[[int, int], Any]

_HINT = ("draws a tqdm bar: pip install thetahat[progress] (or pip install tqdm), or pass "
         "a callable progress(n_done, n_total)")


def _has_tqdm() -> bool:
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


def check_progress(progress: Any, name: str = "progress") -> bool | Report:
    """Validate a ``progress`` argument at the entry and resolve its default.

    Parameters
    ----------
    progress : None, bool or callable
        None: True in a Jupyter notebook when tqdm is installed, else False. True: a tqdm
        bar. False: no report. A callable: called as ``progress(n_done, n_total)``.
    name : str, optional
        The argument's name in the error messages (default ``"progress"``).

    Returns
    -------
    bool or callable
        True (a bar), False (quiet) or the callable.

    Raises
    ------
    TypeError
        If ``progress`` is none of these.
    ImportError
        If ``progress`` is True and tqdm is not installed (the message names
        ``pip install thetahat[progress]``).

    Examples
    --------
    >>> check_progress(False), check_progress(None)  # not in a notebook: quiet
    (False, False)
    """
    if progress is None:
        return is_jupyter() and _has_tqdm()
    if isinstance(progress, bool):
        if progress and not _has_tqdm():
            raise ImportError(f"{name}=True {_HINT}")
        return progress
    if callable(progress):
        return progress
    raise TypeError(f"{name} must be True, False or a callable(n_done, n_total), or None "
                    f"(a bar in a Jupyter notebook, quiet elsewhere); got {progress!r}")


class Reporter:
    """Reports of one computation of ``total`` steps, for a checked ``progress``.

    Use it as a context manager (the bar is closed at the end, also on an error) and call
    :meth:`advance` after each step; the count never passes ``total``.

    Parameters
    ----------
    progress : bool or callable
        As returned by :func:`check_progress`.
    total : int
        Number of steps.
    desc : str, optional
        The bar's label.
    unit : str, optional
        The bar's unit (default ``"it"``).

    Examples
    --------
    >>> seen = []
    >>> with Reporter(lambda d, t: seen.append((d, t)), 3) as r:
    ...     for _ in range(4):  # a fourth step past the total is not reported
    ...         r.advance()
    >>> seen
    [(1, 3), (2, 3), (3, 3)]
    """

    def __init__(self, progress: bool | Report, total: int, desc: str | None = None,
                 unit: str = "it") -> None:
        self.total = int(total)
        self.done = 0
        self._bar: Any = None
        self._call: Report | None = None
        if progress is True:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.total, desc=desc, unit=unit)
        elif progress is not False:
            self._call = progress

    @property
    def active(self) -> bool:
        """Whether the reports go anywhere (a bar or a callable)."""
        return self._bar is not None or self._call is not None

    def advance(self, k: int = 1) -> None:
        """Count ``k`` more steps done (capped at ``total``) and report."""
        new = min(self.total, self.done + int(k))
        if new <= self.done:
            return
        step, self.done = new - self.done, new
        if self._bar is not None:
            self._bar.update(step)
        elif self._call is not None:
            self._call(self.done, self.total)

    def finish(self) -> None:
        """Count the remaining steps as done (a computation that skipped some)."""
        self.advance(self.total - self.done)

    def close(self) -> None:
        """Close the bar, if there is one."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Reporter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def reporter(progress: Any, total: int, desc: str | None = None, unit: str = "it",
             name: str = "progress") -> Reporter:
    """:func:`check_progress` then a :class:`Reporter` of ``total`` steps.

    Parameters
    ----------
    progress : None, bool or callable
        As for :func:`check_progress`.
    total : int
        Number of steps.
    desc, unit : str, optional
        The bar's label and unit.
    name : str, optional
        The argument's name in the error messages.

    Returns
    -------
    Reporter

    Raises
    ------
    TypeError, ImportError
        As :func:`check_progress`.

    Examples
    --------
    >>> with reporter(False, 10) as r:
    ...     r.advance(3)
    >>> r.done, r.active
    (3, False)
    """
    return Reporter(check_progress(progress, name), total, desc, unit)
