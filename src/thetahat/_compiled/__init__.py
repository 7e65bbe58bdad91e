"""The optional compiled core, and the one switch that selects it.

``_lmcore.c`` holds the hot loops that the interpreter makes slow: curve_fit's
Levenberg-Marquardt iteration (the algorithm of :mod:`thetahat.solvers.levmar`, step for
step) and the model evaluations of the cost functions' difference schemes. Every routine in
it has a numpy twin that computes the same result to rounding; the tests run both.

The switch is the environment variable ``THETAHAT_COMPILED``, read once, here, at import:

- unset or ``1``: use the compiled core when it was built (``pip install`` builds it when a
  C compiler is present), the numpy code otherwise;
- ``0``: always the numpy code (the test suite runs once this way);
- ``require``: fail at import if the core was not built (CI's compiled run uses this, so
  that a broken build cannot silently test the numpy code twice).

Code that can use the core imports :data:`lmcore` from here and falls back to numpy when
it is None; nothing imports ``_lmcore`` directly. The second core, ``_batchlm.c``, runs the
batch Levenberg-Marquardt of :mod:`thetahat.solvers.batch_lm` for the built-in models over
worker threads; it is :data:`batchcore` here (None when off or not built), under the same
switch. The third, ``_minimize.c``, runs the L-BFGS-B and Nelder-Mead iterations of
:mod:`thetahat.solvers.lbfgsb` and :mod:`thetahat.solvers.nelder_mead` (the user's function
called from C); it is :data:`minicore` here. The fourth, ``_migrad.c``, runs MIGRAD's inner
loop (the numerical gradient with MINUIT's step control, the line search, the
variable-metric update, the limit transforms) for costs that are plain Python functions:
:data:`migradcore`, same switch.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

__all__ = ["lmcore", "batchcore", "minicore", "migradcore", "SWITCH", "setting"]

SWITCH = "THETAHAT_COMPILED"
_CHOICES = ("1", "0", "require")


def setting() -> str:
    """The value of the switch, checked (``'1'`` when unset)."""
    value = os.environ.get(SWITCH, "1").strip().lower() or "1"
    if value not in _CHOICES:
        raise ImportError(f"environment variable {SWITCH} must be one of {_CHOICES}, "
                          f"got {value!r}")
    return value


def _load(name: str = "_lmcore") -> ModuleType | None:
    value = _SETTING  # the switch as read at import, also for a core loaded later
    if value == "0":
        return None
    try:
        core = importlib.import_module(f"{__name__}.{name}")
    except ImportError as exc:
        if value == "require":
            raise ImportError(f"{SWITCH}=require, but the compiled core thetahat._compiled."
                              f"{name} was not built or does not load: {exc}") from exc
        return None
    return core


# each core is loaded on first use (PEP 562), so that ``from thetahat import Minuit`` does
# not load the batch and minimize cores; the declarations are for the type checker
lmcore: ModuleType | None
batchcore: ModuleType | None
minicore: ModuleType | None
migradcore: ModuleType | None
_CORES = {"lmcore": "_lmcore", "batchcore": "_batchlm", "minicore": "_minimize",
          "migradcore": "_migrad"}

_SETTING = setting()  # read once, here: an invalid switch fails at import, as documented
if _SETTING == "require":
    for _name, _module in _CORES.items():  # 'require' checks every core at import
        globals()[_name] = _load(_module)


def __getattr__(name: str) -> ModuleType | None:
    if name in _CORES:
        core = _load(_CORES[name])
        globals()[name] = core  # cache: later look-ups are plain attribute access
        return core
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
