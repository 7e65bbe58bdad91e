"""The documentation builds with warnings as errors, offline.

The default run builds the whole site (API reference, Markdown pages, the tutorials) with
``-W`` but without executing the notebooks (``THETAHAT_DOCS_EXECUTE=off``), which keeps it
to about half a minute; ``-m slow`` builds it as ``make docs`` does, every tutorial
executed, so that a tutorial cell that raises fails the test. Skipped, with the reason, where
the docs requirements (the ``docs`` extra) are not installed.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
NEEDS = ("sphinx", "myst_nb", "numpydoc")
MISSING = [m for m in NEEDS if importlib.util.find_spec(m) is None]
needs_docs = pytest.mark.skipif(
    bool(MISSING) or not (DOCS / "conf.py").exists(),
    reason=f"docs requirements not installed ({', '.join(MISSING)}): "
           "pip install -e '.[docs]'" if MISSING else "no docs/ in this tree")

# names of the public modules left out of the reference on purpose: the same object is
# documented under another module (PerformanceWarning in thetahat.cost; a second entry is
# a "duplicate object description" warning) or is the standard library's or numpy's
# (typing.Annotated, numpy.typing.NDArray)
# names a module re-exports from another that documents them (one page per class: Sphinx
# records a class under its defining module, so a second stub would be a duplicate)
NOT_DOCUMENTED = {"thetahat.util": {"PerformanceWarning", "Annotated", "FMin", "Param",
                                    "Params", "MError", "MErrors", "Matrix"},
                  "thetahat.typing": {"Annotated", "NDArray"},
                  "thetahat.warnings": {"ThetahatWarning", "IMinuitWarning",
                                        "HesseFailedWarning", "PerformanceWarning"}}
# modules the reference documents besides the submodules in thetahat.__all__: the result
# classes (thetahat.results) and the error-analysis layer (thetahat.intervals is a package
# without names of its own)
INTERVALS = ("thetahat.intervals.profile", "thetahat.intervals.minos",
             "thetahat.intervals.contour")


def _build(tmp_path: Path, execute: str) -> subprocess.CompletedProcess:
    # autosummary writes its stubs into the source tree and never deletes the stub of a
    # name that left a list (as `make docs`, start from none)
    shutil.rmtree(DOCS / "api" / "generated", ignore_errors=True)
    env = dict(os.environ, THETAHAT_DOCS_EXECUTE=execute, MPLBACKEND="Agg")
    env.pop("THETAHAT_DOCS_ONLINE", None)  # the test is the offline build
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-E", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")],
        capture_output=True, text=True, env=env, timeout=900)


def _check(tmp_path: Path, r: subprocess.CompletedProcess) -> None:
    assert r.returncode == 0, f"sphinx failed:\n{r.stdout[-4000:]}\n{r.stderr[-6000:]}"
    html = tmp_path / "html"
    for page in ("index", "start/install", "start/getting_started", "tutorials/line_fit",
                 "tutorials/signal_background", "coming_from_lmfit", "api/index",
                 "api/generated/thetahat.minuit.Minuit", "api/generated/thetahat.curve_fit"):
        assert (html / f"{page}.html").exists(), f"{page}.html was not built"
    minuit = (html / "api/generated/thetahat.minuit.Minuit.html").read_text()
    assert "migrad" in minuit and "minos" in minuit  # the members are documented
    # intersphinx resolved offline from docs/_intersphinx: the other projects' pages
    for page, url in (
            ("coming_from_iminuit", "https://scikit-hep.org/iminuit/reference.html"
                                    "#iminuit.Minuit"),
            ("coming_from_scipy", "https://docs.scipy.org/doc/scipy/reference/generated/"
                                  "scipy.optimize.brute.html#scipy.optimize.brute"),
            ("tutorials/line_fit", "https://numpy.org/doc/stable/reference/random/"
                                   "generator.html#numpy.random.default_rng")):
        assert f'href="{url}"' in (html / f"{page}.html").read_text(), (page, url)


@needs_docs
def test_docs_build_offline_without_execution(tmp_path):
    _check(tmp_path, _build(tmp_path, "off"))


@needs_docs
@pytest.mark.slow
def test_docs_build_with_executed_tutorials(tmp_path):
    r = _build(tmp_path, "force")
    _check(tmp_path, r)
    page = (tmp_path / "html/tutorials/line_fit.html").read_text()
    assert "closed form:" in page  # the cells ran: their printed output is on the page


def test_reference_lists_every_public_name():
    """Every name in the ``__all__`` of every public module (each submodule in
    ``thetahat.__all__``, and the intervals layer) has an entry in the API reference (a
    public name or module added later must be added there, or to NOT_DOCUMENTED)."""
    text = (DOCS / "api" / "index.rst").read_text()
    sections = re.split(r"^\.\. currentmodule:: ", text, flags=re.M)[1:]
    listed = {s.split("\n", 1)[0].strip(): set(re.findall(r"^   (\w+)$", s, re.M))
              for s in sections}
    import thetahat
    modules = {f"thetahat.{n}" for n in thetahat.__all__
               if inspect.ismodule(getattr(thetahat, n))}
    modules |= {"thetahat.minuit", "thetahat.results", *INTERVALS}
    assert {"thetahat.display", "thetahat.typing", "thetahat.warnings"} <= modules  # the walk
    for mod in sorted(modules):
        assert mod in listed, f"{mod} has no section in docs/api/index.rst"
        names = set(importlib.import_module(mod).__all__) - NOT_DOCUMENTED.get(mod, set())
        assert names <= listed[mod], f"{mod}: not in docs/api/index.rst: {names - listed[mod]}"
    fronts = {n for n in thetahat.__all__ if not inspect.ismodule(getattr(thetahat, n))}
    assert fronts - {"Minuit"} <= listed["thetahat"], fronts - listed["thetahat"]


def test_model_classes_have_a_signature():
    """``inspect.signature`` reads every model class (help() and the reference use it) and
    every model instance reports ``(x, *parameters)``."""
    import thetahat.models as models
    for name in models.__all__:
        obj = getattr(models, name)
        if isinstance(obj, type):
            inspect.signature(obj)  # raised TypeError while __signature__ was a property
    g = models.get("gauss")
    assert list(inspect.signature(g).parameters) == ["x", *g.parameters]
