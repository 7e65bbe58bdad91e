"""Notebook HTML (issue 18): inline styles only, readable colours, correlation colours by
sign, untrusted HESSE errors marked, numbers equal to the fit's own.

Oracles: the HTML is parsed with the stdlib ``html.parser``; the matrix of a straight-line
least-squares fit is the closed form sigma^2 (X^T X)^-1, whose off-diagonal sign is that of
-mean(x); the numbers shown are the Minuit object's values/errors through ``pdg_format``.
"""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pytest

from thetahat import Minuit
from thetahat.cost import LeastSquares
from thetahat.display import matrix_html, minuit_html, params_html, pdg_format


class Cells(HTMLParser):
    """All elements as (tag, style dict, text) in document order; tables split apart."""

    def __init__(self, text: str):
        super().__init__()
        self.elements: list[list] = []  # [tag, style, text]
        self.tables: list[list[list]] = []  # per table: its td/th elements
        self._open: list[list] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        style = {}
        for decl in (dict(attrs).get("style") or "").split(";"):
            if ":" in decl:
                k, v = decl.split(":", 1)
                style[k.strip()] = v.strip()
        el = [tag, style, ""]
        self.elements.append(el)
        if tag == "table":
            self.tables.append([])
        if tag in ("td", "th"):
            self.tables[-1].append(el)
            self._open.append(el)

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._open.pop()

    def handle_data(self, data):
        if self._open:
            self._open[-1][2] += data


def line_fit(x0: float, minos: bool = False) -> Minuit:
    x = np.linspace(x0, x0 + 1, 11)
    y = 2 * x + 1 + np.random.default_rng(1).normal(0, 0.1, 11)
    m = Minuit(LeastSquares(x, y, 0.1, lambda x, a, b: a + b * x), a=0, b=0)
    m.migrad()
    if minos:
        m.minos()
    return m


def flat_fit() -> Minuit:
    def f(x, y):  # y is a flat direction: HESSE fails
        return (x - 1) ** 2 + 0 * y
    f.errordef = 1
    m = Minuit(f, x=0, y=0)
    m.migrad()
    return m


def rgb(value: str) -> tuple[int, ...]:
    assert value.startswith("rgb(") or value.startswith("#"), value
    if value.startswith("#"):
        return tuple(int(value[i:i + 2], 16) for i in (1, 3, 5))
    return tuple(int(v) for v in value[4:-1].split(","))


@pytest.mark.parametrize("make", [lambda: line_fit(0.0, minos=True), flat_fit],
                         ids=["valid", "hesse-failed"])
def test_inline_styles_only_and_text_colour_on_every_fill(make):
    m = make()
    h = m._repr_html_()
    # the tables: no <style> block, no CSS classes (matplotlib's SVG under them carries its
    # own <style> for strokes inside <svg>; that is the drawing's, not the tables')
    tables = h.split("<svg")[0].split("<?xml")[0]
    assert tables == minuit_html(m)
    doc = Cells(tables)
    assert "style" not in {e[0] for e in doc.elements} and "<style" not in tables
    assert 'class="' not in tables
    filled = [e for e in doc.elements if "background-color" in e[1] or "background" in e[1]]
    assert filled  # the FMin flags at least
    for tag, style, text in filled:
        assert style.get("color") == "black", (tag, style, text)
        # the fill is light: WCAG luminance of black text on it gives contrast >= 7
        lum = [((c / 255) / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4)
               for c in rgb(style["background-color"])]
        assert (0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2] + 0.05) / 0.05 >= 7
    for tag, style, _ in doc.elements:
        if tag in ("td", "th"):
            assert style["text-align"] in ("center", "left")  # beats Jupyter's right-align


@pytest.mark.parametrize("x0", [0.0, -1.0])
def test_matrix_colours_follow_the_sign_of_the_correlation(x0):
    m = line_fit(x0)
    x = np.linspace(x0, x0 + 1, 11)
    X = np.c_[np.ones_like(x), x]
    cov = 0.1 ** 2 * np.linalg.inv(X.T @ X)  # closed-form covariance of (a, b)
    rho = cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])
    assert np.sign(rho) == -np.sign(x.mean())  # the closed form's sign
    # the fit's covariance is the closed form (a linear model: HESSE is exact)
    np.testing.assert_allclose(np.asarray(m.covariance), cov, rtol=1e-3)  # finite-diff HESSE
    cells = Cells(matrix_html(m.covariance)).tables[0]
    tds = [e for e in cells if e[0] == "td"]
    assert len(tds) == 4
    diag = [tds[0], tds[3]]
    off = [tds[1], tds[2]]
    assert all("background-color" not in e[1] for e in diag)  # neutral: the page's colours
    # each coefficient once: the covariance above the diagonal, the correlation below it
    assert off[0][2] == f"{np.asarray(m.covariance)[0, 1]:.3g}"
    assert off[1][2] == f"({rho:.3f})"
    for _, style, _text in off:
        r, g, b = rgb(style["background-color"])
        if rho > 0:
            assert r > b and r == 250  # red-ish
        else:
            assert b > r and b == 250  # blue-ish
        # saturation grows with |rho|: 150 (red) or 130 (blue) units at |rho| = 1
        k = (250 - g) / (150 if rho > 0 else 130)
        assert k == pytest.approx(abs(rho), abs=0.01)  # colours are rounded to integers
    # the case is not trivial: a strong correlation, far from the neutral colour
    assert abs(rho) > 0.5


def test_values_shown_are_the_fits_own():
    m = line_fit(0.0, minos=True)
    doc = Cells(params_html(m.params, m.fmin))
    tds = [e for e in doc.tables[0] if e[0] == "td"]
    rows = [tds[i:i + 9] for i in range(0, len(tds), 9)]
    for i, name in enumerate(m.parameters):
        row = [e[2] for e in rows[i]]
        me = m.merrors[name]
        assert row[1] == name
        assert tuple(row[2:6]) == pdg_format(m.values[i], m.errors[i], me.lower, me.upper)
    assert "\u2020" not in "".join(e[2] for e in tds)  # a good fit: nothing marked


def test_failed_hesse_errors_are_marked():
    m = flat_fit()
    assert m.fmin.hesse_failed
    doc = Cells(minuit_html(m))
    params = next(t for t in doc.tables if any(e[2] == "Hesse Error" for e in t))
    tds = [e for e in params if e[0] == "td"]
    rows = [tds[i:i + 9] for i in range(0, 2 * 9, 9)]
    for i, row in enumerate(rows):
        tag, style, text = row[3]
        assert text == ""  # no error shown: the number would be a step size
        assert row[2][2] == pdg_format(m.values[i], m.errors[i])[0]  # the value stays
        assert m.errors[i] > 0  # there was a number to hide
    note = tds[-1]
    assert "HESSE failed" in note[2] and "no errors are shown" in note[2]
    assert "not standard deviations" in note[2]
    # the same Params without the FMin (``m.params._repr_html_``) cannot know: unmarked
    assert "\u2020" not in params_html(m.params)
    assert "Hesse FAILED" in minuit_html(m)


def test_fixed_parameter_error_is_not_marked():
    def f(x, y):
        return (x - 1) ** 2 + 0 * y
    f.errordef = 1
    m = Minuit(f, x=0, y=0)
    m.fixed["y"] = True
    m.migrad()
    assert not m.fmin.hesse_failed  # y fixed: the flat direction is gone
    assert "\u2020" not in minuit_html(m)


def test_plot_failure_falls_back_to_tables():
    pytest.importorskip("matplotlib")

    class Cost:
        errordef = 1

        def __call__(self, a):
            return (a - 2) ** 2

        def visualize(self, args):
            raise RuntimeError("drawing broken")

    m = Minuit(Cost(), a=0)
    m.migrad()
    h = m._repr_html_()
    assert "<svg" not in h and "Valid Minimum" in h
    assert h == minuit_html(m)  # tables only
    ok = line_fit(0.0)._repr_html_()
    assert ok.index("<svg") > ok.rindex("</table>")  # the drawing comes under the tables


def test_fit_drawing_has_axis_labels():
    pytest.importorskip("matplotlib")
    from thetahat.cost import BinnedNLL

    svg = line_fit(0.0)._repr_html_().split("<svg", 1)[1]
    # matplotlib writes each text of the figure as a comment next to its glyph paths
    assert "<!-- x -->" in svg and "<!-- y -->" in svg
    rng = np.random.default_rng(3)
    n, xe = np.histogram(rng.normal(size=500), bins=10, range=(-3, 3))
    m = Minuit(BinnedNLL(n, xe, lambda x, mu: __import__("scipy").stats.norm.cdf(x, mu)),
               mu=0.1)
    m.migrad()
    assert "<!-- counts per bin -->" in m._repr_html_()
