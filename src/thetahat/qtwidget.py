"""The Qt window of ``Minuit.interactive`` under iminuit's module name.

``iminuit.qtwidget.make_widget`` builds the PySide6 window that ``Minuit.interactive()``
opens outside a notebook; here it is :func:`thetahat.minuit._qtwidget.make_widget` (the
same sliders, fix and fit toggles as the notebook panel, see that module). Importing this
module is cheap and safe in a fresh process: PySide6 and matplotlib's Qt backend are
imported only when a window is built, so that matplotlib can find PySide6 first.

Examples
--------
>>> from thetahat.qtwidget import make_widget
>>> callable(make_widget)
True
"""

from __future__ import annotations

from .minuit._qtwidget import make_widget

__all__ = ["make_widget"]
