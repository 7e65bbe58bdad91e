"""``import thetahat`` stays lean (issue 17): what a fresh interpreter has loaded after
``import thetahat``, ``from thetahat import Minuit`` and ``from thetahat.cost import X``,
and that every public name still resolves although it is imported lazily.

The oracle for "loaded" is ``sys.modules`` of a fresh subprocess (the test process has
long imported everything). No timing is asserted here: the times are in
``benchmarks/bench_import.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import thetahat
import thetahat.cost

# heavy modules that no import of the Minuit path needs
_HEAVY = ["scipy", "scipy.optimize", "scipy.stats", "scipy.sparse", "scipy.linalg",
          "scipy.special", "matplotlib", "pandas", "thetahat.cli", "thetahat.batch",
          "thetahat.models", "thetahat.scipy_api", "thetahat.plot"]


def _loaded_after(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    return set(json.loads(out))


def test_import_thetahat_loads_nothing_heavy() -> None:
    loaded = _loaded_after("import thetahat")
    # the package alone is its version and the lazy table: not even numpy
    assert [m for m in _HEAVY + ["numpy", "thetahat.minuit", "thetahat.cost"]
            if m in loaded] == []


@pytest.mark.parametrize("statement", ["from thetahat import Minuit",
                                       "import thetahat; thetahat.Minuit"])
def test_minuit_loads_no_scipy_no_cost_classes(statement: str) -> None:
    loaded = _loaded_after(statement)
    assert "thetahat.minuit._minuit" in loaded  # the probe works: Minuit was imported
    assert [m for m in _HEAVY if m in loaded] == []
    # the cost classes, numpy.typing and numpy.polynomial are not needed to make a Minuit
    assert [m for m in ["thetahat.cost._lsq", "thetahat.cost._binned",
                        "thetahat.cost._unbinned", "thetahat.cost._diagnose",
                        "numpy.typing", "numpy.polynomial"] if m in loaded] == []


def test_one_cost_class_loads_only_its_modules() -> None:
    loaded = _loaded_after("from thetahat.cost import LeastSquares")
    assert "thetahat.cost._lsq" in loaded
    assert [m for m in _HEAVY + ["thetahat.minuit", "thetahat.cost._binned",
                                 "thetahat.cost._template"] if m in loaded] == []


def test_every_public_name_resolves_in_a_fresh_interpreter() -> None:
    code = """
import thetahat, thetahat.cost
missing = [n for n in thetahat.__all__ if getattr(thetahat, n, None) is None]
missing += ["cost." + n for n in thetahat.cost.__all__
            if getattr(thetahat.cost, n, None) is None]
for n in thetahat.__all__:
    exec(f"from thetahat import {n}")
assert set(thetahat.__all__) <= set(dir(thetahat)), "dir(thetahat)"
assert set(thetahat.cost.__all__) <= set(dir(thetahat.cost)), "dir(thetahat.cost)"
print(missing)
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    assert out.strip() == "[]"


def test_lazy_cost_names_are_the_defining_objects() -> None:
    from thetahat.cost import _binned, _lsq, _stats, _unbinned

    # the lazy look-up returns the very object its module defines (not a copy)
    assert thetahat.cost.LeastSquares is _lsq.LeastSquares
    assert thetahat.cost.BinnedNLL is _binned.BinnedNLL
    assert thetahat.cost.UnbinnedNLL is _unbinned.UnbinnedNLL
    assert thetahat.cost.chi2 is _stats.chi2
    assert thetahat.Minuit is thetahat.minuit.Minuit
    with pytest.raises(AttributeError, match="no_such_name"):
        thetahat.cost.no_such_name  # noqa: B018


def test_renamed_cost_names_still_warn_and_resolve() -> None:
    with pytest.warns(FutureWarning, match="BarlowBeestonLite was renamed to Template"):
        old = thetahat.cost.BarlowBeestonLite
    assert old is thetahat.cost.Template


def test_compiled_cores_load_on_first_use_and_the_switch_is_checked_at_import() -> None:
    import os

    env = dict(os.environ, THETAHAT_COMPILED="1")
    code = ("import sys\nfrom thetahat import Minuit\n"
            "print(sorted(m for m in sys.modules if m.startswith('thetahat._compiled.')))\n"
            "from thetahat import _compiled\n"
            "print(_compiled.batchcore is None or 'thetahat._compiled._batchlm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, env=env).stdout.split("\n")
    # Minuit needs at most MIGRAD's core; the batch core loads when it is asked for
    assert set(json.loads(out[0].replace("'", '"'))) <= {"thetahat._compiled._migrad"}
    assert out[1] == "True"
    bad = subprocess.run([sys.executable, "-c", "import thetahat._compiled"],
                         capture_output=True, text=True,
                         env=dict(os.environ, THETAHAT_COMPILED="bogus"))
    assert bad.returncode != 0 and "THETAHAT_COMPILED must be one of" in bad.stderr
