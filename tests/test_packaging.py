"""Packaging: the optional matplotlib, the sdist, the wheel.

- Without matplotlib (its import made to fail with a monkeypatched ``sys.modules``), the
  drawing functions, ``thetahat demo`` and ``thetahat fit --plot`` say
  ``pip install 'thetahat[plot]'`` instead of a traceback.
- ``-m slow``: the sdist (``python -m build --sdist``, its build requirements from the
  package index) carries what the tests need, and a few test files pass when run from the
  unpacked tree; a wheel installs in a fresh virtual environment and runs the demo there.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tarfile
import venv
from pathlib import Path

import numpy as np
import pytest

from thetahat.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
HINT = "pip install 'thetahat[plot]'"


@pytest.fixture
def no_matplotlib(monkeypatch):
    """``import matplotlib`` (and pyplot) raises ImportError, as where it is not installed."""
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)


def test_draw_without_matplotlib_names_the_extra(no_matplotlib):
    from thetahat import plot
    a = np.linspace(-1.0, 1.0, 5)
    with pytest.raises(ModuleNotFoundError, match=r"thetahat\[plot\]"):
        plot.draw_profile(a, a**2, name="a")


def test_minuit_draw_without_matplotlib_names_the_extra(no_matplotlib):
    from thetahat import Minuit
    m = Minuit(lambda a, b: (a - 1) ** 2 + (b - 2) ** 2, a=0, b=0)
    m.errordef = 1
    m.migrad()
    with pytest.raises(ModuleNotFoundError, match=r"thetahat\[plot\]"):
        m.draw_mncontour("a", "b")


def test_demo_without_matplotlib_runs_and_says_how_to_plot(no_matplotlib, tmp_path, capsys):
    rc = main(["demo", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert rc == 0                                   # the analysis itself needs no plot
    assert "[6] background-only hypothesis" in out   # ran to the end
    assert HINT in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())              # and wrote no file


def test_fit_plot_without_matplotlib_is_a_user_error(no_matplotlib, tmp_path, capsys):
    data = tmp_path / "points.txt"
    x = np.linspace(0, 1, 11)
    np.savetxt(data, np.column_stack([x, 2 * x + 1, np.full(x.size, 0.1)]))
    rc = main(["fit", str(data), "--model", "line", "--x", "0", "--y", "1", "--yerr", "2",
               "--plot", str(tmp_path / "fit.png")])
    out, err = capsys.readouterr()
    assert rc == 2                                   # exit status of a user error
    assert HINT in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "fit.png").exists()


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kw)
    assert r.returncode == 0, f"{cmd} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


needs_build = pytest.mark.skipif(importlib.util.find_spec("build") is None,
                                 reason="the 'build' package is not installed: pip install build")


@pytest.mark.slow
@needs_build
def test_sdist_carries_the_tests_and_they_pass_from_it(tmp_path):
    _run([sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path), str(ROOT)])
    (sdist,) = tmp_path.glob("thetahat-*.tar.gz")
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp_path, filter="data")
    tree = next(p for p in tmp_path.iterdir() if p.is_dir())
    for need in ("tests/conftest.py", "tests/nist_problems.py", "tests/golden/params.txt",
                 "tests/data/nist", "ARCHITECTURE.md", "LICENSE", "docs/conf.py",
                 "src/thetahat/_compiled/_lmcore.c", "benchmarks/run.py"):
        assert (tree / need).exists(), f"the sdist lacks {need}"
    for build_output in ("docs/api/generated", "docs/_build", "docs/jupyter_execute"):
        assert not (tree / build_output).exists(), f"the sdist carries {build_output}"
    # the unpacked sources, numpy code only (nothing compiled in the unpacked tree)
    env = dict(os.environ, PYTHONPATH=str(tree / "src"), THETAHAT_COMPILED="0")
    r = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
              "tests/test_architecture.py", "tests/test_display.py", "tests/test_nist.py",
              "tests/test_readme.py"], cwd=tree, env=env)
    assert " passed" in r.stdout
    loaded = _run([sys.executable, "-c", "import thetahat; print(thetahat.__file__)"],
                  cwd=tree, env=env).stdout
    assert str(tree) in loaded  # the tests ran against the sdist's sources


@pytest.mark.slow
@needs_build
def test_wheel_installs_in_a_clean_venv_and_runs_the_demo(tmp_path):
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"),
          str(ROOT)])
    (wheel,) = (tmp_path / "dist").glob("thetahat-*.whl")
    venv.create(tmp_path / "env", with_pip=True)
    py = str(tmp_path / "env" / "bin" / "python")
    # no compiler (CC=/bin/false) and binaries only: the wheel itself must carry the cores
    _run([py, "-m", "pip", "install", "--quiet", "--only-binary=:all:", str(wheel)],
         env=dict(os.environ, CC="/bin/false", CXX="/bin/false"))
    # no matplotlib in this environment: the demo runs and names the extra for the plot
    r = subprocess.run([py, "-m", "thetahat", "demo", "--out", str(tmp_path / "out")],
                       capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "significance of the peak" in r.stdout and HINT in r.stderr
    # built here with a C compiler: the wheel carries the compiled cores, and they load
    env = dict(os.environ, THETAHAT_COMPILED="require")
    _run([py, "-c", "from thetahat import _compiled; "
          "assert _compiled.lmcore is not None and _compiled.batchcore is not None"],
         cwd=tmp_path, env=env)
