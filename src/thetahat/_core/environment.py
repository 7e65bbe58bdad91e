"""Where the code runs: the one test of "in a Jupyter kernel" that the displays, the
progress bars and ``Minuit.interactive`` share (re-exported as ``thetahat.util.is_jupyter``)."""

from __future__ import annotations

import sys

__all__ = ["is_jupyter"]


def is_jupyter() -> bool:
    """Whether the code runs in a Jupyter kernel (an IPython kernel with a ZMQ shell).

    IPython is not imported here: in a kernel it is imported already, and a script that
    never imported it is not in one.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_jupyter()
    False
    """
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython else None
    if shell is None:
        return False
    # a kernel-backed shell (Jupyter's ZMQInteractiveShell) has a "kernel" trait; the
    # terminal IPython shell has none
    try:
        return bool(shell.has_trait("kernel"))
    except Exception:
        return type(shell).__name__ == "ZMQInteractiveShell"
