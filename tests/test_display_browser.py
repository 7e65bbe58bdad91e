"""The notebook HTML as a browser draws it (issue 18): headless Chromium screenshots of a
fitted Minuit's tables on a light page and on a dark page (#1e1e1e with light default text,
as dark notebook themes), checked for readable text.

Oracle: the WCAG contrast ratio (L1 + 0.05) / (L2 + 0.05) of relative luminances, computed
from the screenshot's pixels. Every solid fill the HTML uses (validity flags, matrix cells)
is found in the image by its exact colour; inside each filled cell there must be text
pixels of high contrast to that fill, and outside the fills there must be plenty of text of
high contrast to the page. Text in the page's own colour on a light fill (the failure of a
dark theme) has a contrast near 1 and fails. Skips where Chromium is not installed.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from thetahat.display import GOOD, minuit_html

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")

PAGES = {"light": ("#ffffff", "#000000"), "dark": ("#1e1e1e", "#d4d4d4")}


def luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of sRGB values in 0..255 (last axis: r, g, b)."""
    c = np.asarray(rgb, dtype=float) / 255
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return lin @ np.array([0.2126, 0.7152, 0.0722])


def contrast(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    la, lb = luminance(a), luminance(b)
    return (np.maximum(la, lb) + 0.05) / (np.minimum(la, lb) + 0.05)


def hex_rgb(h: str) -> np.ndarray:
    return np.array([int(h[i:i + 2], 16) for i in (1, 3, 5)])


def screenshot(body: str, page: str, out: Path) -> np.ndarray:
    """The page drawn by headless Chromium, as uint8 RGB."""
    import matplotlib.image

    bg, fg = PAGES[page]
    src = out.with_suffix(".html")
    src.write_text(f'<html><body style="background:{bg};color:{fg};font-family:sans-serif;'
                   f'font-size:14px">{body}</body></html>', encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                        f"--screenshot={out}", "--window-size=1000,800", src.as_uri()],
                       check=True, capture_output=True, timeout=60)
    img = matplotlib.image.imread(str(out))
    return np.round(img[..., :3] * 255).astype(int)


def fill_regions(img: np.ndarray, colour: np.ndarray, min_area: int = 150):
    """Bounding boxes of the connected areas painted exactly (+-2 per channel) in colour."""
    from scipy import ndimage

    mask = np.all(np.abs(img - colour) <= 2, axis=-1)
    labels, n = ndimage.label(mask)
    boxes = ndimage.find_objects(labels)
    return [b for i, b in enumerate(boxes) if (labels[b] == i + 1).sum() >= min_area]


@pytest.fixture(scope="module")
def fitted_html():
    from thetahat import Minuit
    from thetahat.cost import LeastSquares

    x = np.linspace(0, 1, 11)
    y = 2 * x + 1 + np.random.default_rng(1).normal(0, 0.1, 11)
    m = Minuit(LeastSquares(x, y, 0.1, lambda x, a, b: a + b * x), a=0, b=0)
    m.migrad()
    m.minos()
    return minuit_html(m)


@pytest.mark.parametrize("page", ["light", "dark"])
def test_text_is_readable_on_light_and_dark_pages(fitted_html, page, tmp_path):
    keep = os.environ.get("THETAHAT_SCREENSHOTS")  # a directory to keep the PNGs for a look
    out = (Path(keep) if keep else tmp_path) / f"display_{page}.png"
    img = screenshot(fitted_html, page, out)
    fills = {GOOD.upper()} | set(re.findall(r"background-color:(rgb\([^)]*\)|#[0-9A-Fa-f]{6})",
                                            fitted_html))
    covered = np.zeros(img.shape[:2], bool)
    nregions = 0
    for f in fills:
        c = hex_rgb(f) if f.startswith("#") else np.array(
            [int(v) for v in f[4:-1].split(",")])
        for box in fill_regions(img, c):
            covered[box] = True
            nregions += 1
            ratio = contrast(img[box], c)
            # text drawn on the fill: anti-aliased glyphs keep cores of full ink, so some
            # pixels reach the ratio of the ink itself (black on these fills: >= 10)
            assert ratio.max() >= 7, (page, f, box)
            assert (ratio >= 4.5).sum() >= 10, (page, f, box)  # a glyph, not a stray pixel
    # the FMin flags (6 cells, merged where adjacent), MINOS flags, 2 matrix cells
    assert nregions >= 4
    bg = hex_rgb(PAGES[page][0])
    text = contrast(img[~covered], bg) >= 8  # the 1px #999 borders stay below 8 on both
    assert text.sum() >= 500, page  # the headers and numbers drawn on the page itself


@pytest.mark.slow  # a check of the check; one more Chromium start
def test_dark_theme_text_on_a_fill_would_be_caught(tmp_path):
    # the check itself: a fill whose text inherits the dark page's light colour fails it
    bad = f'<table><tr><td style="background-color:{GOOD};padding:6px">Valid Minimum</td>' \
          "</tr></table>"
    img = screenshot(bad, "dark", tmp_path / "bad.png")
    (box,) = fill_regions(img, hex_rgb(GOOD))
    assert contrast(img[box], hex_rgb(GOOD)).max() < 2  # #d4d4d4 on the green: about 1.5
