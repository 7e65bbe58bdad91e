"""The Jupyter panel of ``Minuit.interactive`` under iminuit's module name.

``iminuit.ipywidget.make_widget`` builds the ipywidgets panel that
``Minuit.interactive()`` shows in a notebook; here it is
:func:`thetahat.minuit._interactive.make_widget` (sliders per parameter that refit and redraw,
see that module). Importing this module needs ipywidgets, IPython and matplotlib, as
iminuit's does; without them the ``ModuleNotFoundError`` says what to install.

Examples
--------
>>> from thetahat.ipywidget import make_widget  # doctest: +SKIP
"""

from __future__ import annotations

try:
    import IPython  # noqa: F401
    import ipywidgets  # noqa: F401
    import matplotlib  # noqa: F401
except ModuleNotFoundError as e:
    raise ModuleNotFoundError(f"{e.msg}. Please install ipywidgets, IPython and matplotlib "
                              "to enable Minuit.interactive", name=e.name) from e

from .minuit._interactive import make_widget

__all__ = ["make_widget"]
