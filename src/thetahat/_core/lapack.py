"""scipy's LAPACK wrappers without importing the ``scipy.linalg`` package (issue 17).

thetahat calls a handful of LAPACK routines (``dposv``, ``dpotrf``, ``dpotrs``, ``dpotri``,
``dpocon``, ``dgesdd``, ``dgeqp3``, ``dormqr``, ``dtrtrs``) through scipy's f2py wrappers,
which live in one compiled extension, ``scipy.linalg._flapack``; ``scipy.linalg.lapack``
re-exports its functions (the very objects). Importing them by that name imports the
``scipy.linalg`` package, whose ``__init__`` pulls in scipy's array-API layer and with it
numpy.testing, unittest, email, json, ... : some 250 modules and ~100 ms in a fresh
interpreter, for a fit that needs five functions.

The extension itself needs nothing but numpy's C API (and scipy's bundled LAPACK, which
the dynamic linker finds next to it). :func:`flapack` therefore locates the ``scipy``
package with the import system's path finder (which finds a top-level package without
importing it), and loads ``scipy/linalg/_flapack<suffix>`` with the loader that the
import system itself would use, under its own name. The module is entered in
``sys.modules``, so that a later ``import scipy.linalg`` finds it there and re-exports the
same objects: every call runs the same compiled code on the same arguments, with the same
results, whichever way the module was loaded.

Anything unexpected (another scipy layout, a missing file or routine, a loader error)
falls back to the ordinary ``from scipy.linalg import lapack``.
"""

from __future__ import annotations

import importlib.machinery
import os
import sys
from typing import Any

__all__ = ["flapack", "NEEDED"]

NAME = "scipy.linalg._flapack"
# the routines that thetahat calls; a module without one of them is not the one we want
NEEDED = ("dposv", "dpotrf", "dpotrs", "dpotri", "dpocon", "dgesdd", "dgeqp3", "dormqr",
          "dtrtrs")

_module: Any = None  # the module whose routines are used, set at the first call


def _by_path() -> Any:
    """``scipy.linalg._flapack`` loaded from its file, without importing its packages."""
    loaded = sys.modules.get(NAME)
    if loaded is not None:
        return loaded
    scipy = sys.modules.get("scipy")  # imported already: where it was imported from
    spec = scipy.__spec__ if scipy is not None else importlib.machinery.PathFinder.find_spec(
        "scipy")
    places = list(spec.submodule_search_locations or []) if spec is not None else []
    if not places:
        raise ImportError("scipy is not installed as a package directory")
    for where in places:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(where, "linalg", "_flapack" + suffix)
            if os.path.isfile(path):
                loader = importlib.machinery.ExtensionFileLoader(NAME, path)
                module_spec = importlib.machinery.ModuleSpec(NAME, loader, origin=path)
                module = loader.create_module(module_spec)
                loader.exec_module(module)
                return sys.modules.setdefault(NAME, module)
    raise ImportError(f"no _flapack extension in {places}")


def _by_import() -> Any:
    from scipy.linalg import lapack

    return lapack


def flapack() -> Any:
    """The module whose attributes are scipy's LAPACK wrappers (:data:`NEEDED` at least):
    ``scipy.linalg._flapack`` loaded by its path, or ``scipy.linalg.lapack`` if that fails
    (module docstring). Loaded at the first call, the same module afterwards.

    Examples
    --------
    >>> import numpy as np
    >>> c, x, info = flapack().dposv(np.array([[4.0, 2.0], [2.0, 3.0]]), np.array([2.0, 1.0]))
    >>> x.tolist(), info
    ([0.5, 0.0], 0)
    """
    global _module
    if _module is None:
        if "scipy.linalg.lapack" in sys.modules:  # already paid for: use it
            module = sys.modules["scipy.linalg.lapack"]
        else:
            try:
                module = _by_path()
                if not all(callable(getattr(module, n, None)) for n in NEEDED):
                    raise ImportError("scipy.linalg._flapack lacks a routine thetahat calls")
            except Exception:  # any failure of the shortcut: the ordinary import
                module = _by_import()
        _module = module
    return _module
