"""The fit drawing embedded in a Minuit's HTML view: an ``<svg>`` element that leaves the
page alone, drawn at iminuit's size.

Oracles: matplotlib's own SVG of the same drawing (the same elements once its ``<style>``
rule is moved onto the root as inherited attributes) and iminuit 2.33's HTML view of the
same fit (the figure's width and height).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from thetahat import Minuit, plot  # noqa: E402
from thetahat.cost import LeastSquares  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"


def _line(x, a, b):
    return a + b * x


def _data(rng):
    x = np.linspace(0, 1, 12)
    return x, 1 + 2 * x + rng.normal(0, 0.1, x.size)


def _fitted(rng):
    m = Minuit(LeastSquares(*_data(rng), 0.1, _line), a=0, b=0)
    m.migrad()
    return m


def _elements(text):
    """(tag, attributes, text) of every element below the root, without matplotlib's
    metadata (it carries the time of drawing), style sheets and a ``<defs>`` that held
    only a style sheet."""
    out = []
    for child in ET.fromstring(text):
        if child.tag == SVG + "metadata":
            continue
        for e in child.iter():
            only_style = e.tag == SVG + "defs" and all(c.tag == SVG + "style" for c in e)
            if e.tag != SVG + "style" and not only_style:
                out.append((e.tag, dict(e.attrib), (e.text or "").strip()))
    return out


def test_svg_has_no_page_level_markup_and_draws_the_same(rng, monkeypatch):
    import matplotlib
    monkeypatch.setitem(matplotlib.rcParams, "svg.hashsalt", "fixed")  # same ids both times
    m = _fitted(rng)
    inline = plot._visualize_svg(m)
    monkeypatch.setattr(plot, "_inline_svg", lambda t: t)
    raw = plot._visualize_svg(m)
    assert "<style" in raw and raw.startswith("<?xml")  # what matplotlib writes
    assert "<style" not in inline and "<?xml" not in inline and "<!DOCTYPE" not in inline
    assert inline.startswith("<svg ")
    # the rule of matplotlib's style sheet, read from its own output, is on the root
    rule = re.search(r"\*\{([^}]*)\}", raw).group(1)
    declared = dict((t.strip() for t in d.split(":", 1)) for d in rule.split(";") if ":" in d)
    root = ET.fromstring(inline)
    assert declared and {k: root.get(k) for k in declared} == declared
    drawn = _elements(inline)
    assert len(drawn) > 50 and drawn == _elements(raw)  # every element of the drawing kept


def test_html_view_has_no_style_block(rng):
    html = _fitted(rng)._repr_html_()
    assert "<svg" in html and "<style" not in html and "<?xml" not in html


def test_figure_size_is_iminuits(rng):
    iminuit = pytest.importorskip("iminuit")
    from iminuit.cost import LeastSquares as ILeastSquares
    x, y = _data(rng)
    mi = iminuit.Minuit(ILeastSquares(x, y, 0.1, _line), a=0, b=0)
    mi.migrad()
    m = Minuit(LeastSquares(x, y, 0.1, _line), a=0, b=0)
    m.migrad()

    def size(text):
        return re.search(r'<svg[^>]*\bwidth="([^"]+)"[^>]*\bheight="([^"]+)"', text).groups()

    assert size(plot._visualize_svg(m)) == size(mi._repr_html_()) == ("360pt", "288pt")
