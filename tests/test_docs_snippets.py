"""The ```python blocks of the Markdown pages in docs/ run as written.

The tutorials are MyST notebooks (``{code-cell}``): the docs build executes them
(tests/test_docs_build.py, ``-m slow``), so they are not run here. Every page's plain
```python blocks are executed in order in one namespace per page (a later block may use the
names of an earlier one, as a reader who pastes them into one session would), with
matplotlib's Agg backend (``MPLBACKEND`` from conftest).

A block that cannot run on its own says so on the page: a MyST comment line
``% snippet: skip (the reason)`` right above its fence (invisible in the built site; the text
next to the block tells the reader what it needs). The test skips those blocks and checks
that each gives a reason.

The default run makes a page's expensive problem small (``FAST``: a substitution in the code,
e.g. 4 * 10^4 fits instead of 10^6); ``-m slow`` runs every page exactly as written. The
values the blocks compute are checked against an independent oracle (lmfit, scipy, the
in-memory batch).
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
# an optional marker comment line, then a fence
BLOCK = re.compile(r"(?:^% snippet: (\w+)(.*)\n)?^```python\n(.*?)^```", re.S | re.M)
# page -> (what the page says, what the default run executes instead)
FAST = {"batch.md": [("n = 1_000_000", "n = 40_000")]}


def _pages() -> list[Path]:
    pages = []
    for p in sorted(DOCS.rglob("*.md")):
        text = p.read_text(encoding="utf-8")
        if "_build" in p.parts or "jupyter_execute" in p.parts or "{code-cell}" in text:
            continue  # build output, or a notebook that the docs build executes
        if "```python" in text:
            pages.append(p)
    return pages


def _blocks(page: Path) -> list[tuple[str, str, str]]:
    """(marker, reason, code) for each ```python block of the page."""
    return [(m, r.strip(), c) for m, r, c in BLOCK.findall(page.read_text(encoding="utf-8"))]


def _run(page: Path, fast: bool) -> dict:
    from matplotlib import pyplot as plt

    ns: dict = {"__name__": "__docs__"}
    out = io.StringIO()
    try:
        for i, (marker, _reason, code) in enumerate(_blocks(page)):
            if marker == "skip":
                continue
            if fast:
                for old, new in FAST.get(page.name, []):
                    code = code.replace(old, new)
            name = f"{page.relative_to(DOCS)} python block {i + 1}"
            try:
                with contextlib.redirect_stdout(out):
                    exec(compile(code, name, "exec"), ns)
            except Exception as e:  # pragma: no cover - the failure message is the point
                raise AssertionError(f"{name} fails: {e!r}\n{code}") from e
    finally:
        plt.close("all")
    return ns


def test_the_pages_with_snippets_are_found():
    names = {p.name for p in _pages()}
    assert {"batch.md", "coming_from_lmfit.md", "coming_from_iminuit.md",
            "coming_from_scipy.md"} <= names, names
    for page in _pages():
        for marker, reason, _ in _blocks(page):
            assert marker in ("", "skip"), f"{page.name}: unknown snippet marker {marker!r}"
            if marker == "skip":
                assert reason.startswith("(") and len(reason) > 10, (page.name, reason)
    for page, subs in FAST.items():
        text = (DOCS / page).read_text()
        assert all(old in text for old, _ in subs), page  # the page still says it


@pytest.mark.parametrize("page", ["coming_from_iminuit.md", "coming_from_scipy.md"])
def test_import_blocks_run(page):
    ns = _run(DOCS / page, fast=True)
    import thetahat
    assert ns["Minuit" if "iminuit" in page else "curve_fit"] is getattr(
        thetahat, "Minuit" if "iminuit" in page else "curve_fit")


def test_lmfit_page_fits_agree_with_lmfit():
    pytest.importorskip("lmfit")
    pytest.importorskip("matplotlib")
    ns = _run(DOCS / "coming_from_lmfit.md", fast=True)
    m, result = ns["m"], ns["result"]
    assert m.valid and result.success
    # the same weighted least squares: the two minima agree to the fits' tolerances
    np.testing.assert_allclose([m.values["mu"], m.values["sigma"]],
                               [result.params["center"].value, result.params["sigma"].value],
                               rtol=1e-4)  # lmfit's leastsq stops at xtol 1.5e-8 relative
    np.testing.assert_allclose(m.fval, result.chisqr, rtol=1e-6)  # a minimum is flat


def _check_batch(ns: dict, nfit: int) -> None:
    from scipy.optimize import curve_fit

    r, xy, spots = ns["r"], ns["xy"], ns["spots"]
    assert r.popt.shape == (nfit, 5) and r.pcov.shape == (nfit, 5, 5)
    assert r.success.mean() > 0.99  # well-posed spots (SNR ~ 50) from guessed starts
    # the dask result is the in-memory one, computed block by block
    mem = ns["batch"].fit(xy, spots, "gauss2d+constant")
    np.testing.assert_allclose(r.popt, mem.popt, rtol=1e-12)  # same code, same rows

    def g2(xy_, a, x0, y0, s, c):
        return a * np.exp(-0.5 * ((xy_[:, 0] - x0) ** 2 + (xy_[:, 1] - y0) ** 2) / s**2) + c

    for i in range(3):  # scipy on a few rows, started at the truth
        truth = [float(ns[k][i, 0]) for k in ("a", "x0", "y0", "s", "c")]
        p, _ = curve_fit(g2, xy, spots[i], p0=truth)
        np.testing.assert_allclose(np.abs(r.popt[i]), np.abs(p),
                                   rtol=1e-4)  # both solvers' default stopping tolerances


def test_batch_page_runs_with_fewer_fits():
    pytest.importorskip("dask.array")
    pytest.importorskip("pandas")
    pytest.importorskip("xarray")
    pytest.importorskip("tqdm")
    _check_batch(_run(DOCS / "batch.md", fast=True), 40_000)


@pytest.mark.slow
def test_batch_page_runs_as_written():
    pytest.importorskip("dask.array")
    pytest.importorskip("pandas")
    pytest.importorskip("xarray")
    pytest.importorskip("tqdm")
    _check_batch(_run(DOCS / "batch.md", fast=False), 1_000_000)


def test_readme_links_work_on_pypi_and_name_every_extra():
    """PyPI shows README.md without the repository around it: a relative link or image
    breaks there. Every link and image is absolute, under the project's URLs of
    pyproject.toml, and points at a file of this tree; every user extra is mentioned."""
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

    root = DOCS.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    meta = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    links = re.findall(r"\]\(([^)\s]+)\)", readme)
    assert len(links) >= 8, links  # the images and the docs pages are still linked
    source = meta["urls"]["Source"]
    raw = source.replace("https://github.com/", "https://raw.githubusercontent.com/") + "/main/"
    for url in links:
        assert url.startswith("https://"), f"README.md: relative link {url!r}"
        for base in (source + "/blob/main/", raw):
            if url.startswith(base):
                assert (root / url[len(base):]).exists(), f"README.md: {url} names no file"
    for extra in set(meta["optional-dependencies"]) - {"test", "docs"}:
        assert f"`{extra}`" in readme or f"[{extra}]" in readme, f"README lacks extra {extra}"
