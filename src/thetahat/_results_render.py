"""The rendering mixin of the result value objects (:mod:`thetahat.results`).

A value object holds numbers and flags only. Its text, its HTML (Jupyter's
``_repr_html_``) and IPython's pretty-printed form are those of the free functions of
:mod:`thetahat.display` named by the class attributes ``_text_fn`` and ``_html_fn``;
display is imported when an object is first rendered, so that making results never needs
it (display is not logic).
"""

from __future__ import annotations

from typing import Any


def _display(name: str, obj: Any) -> str | None:
    """Render ``obj`` with ``thetahat.display.<name>`` (None if display is unavailable)."""
    try:
        from . import display
    except ImportError:  # pragma: no cover - display is part of the package
        return None
    fn = getattr(display, name, None)
    return None if fn is None else fn(obj)


class _Rendered:
    """Mixin: ``str`` is the display module's text, HTML for Jupyter, a pretty-printer."""

    _text_fn = ""
    _html_fn = ""

    def __str__(self) -> str:
        s = _display(self._text_fn, self)
        return s if s is not None else repr(self)

    def _repr_html_(self) -> str:
        s = _display(self._html_fn, self)
        return s if s is not None else f"<pre>{self}</pre>"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self) if cycle else str(self))

