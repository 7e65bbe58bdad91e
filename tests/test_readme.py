"""The README's Python snippets run as written.

Every ```python block of README.md is executed in order in one namespace (a later block may
use the names of an earlier one, as a reader who pastes them into one session would), with
matplotlib's Agg backend (``MPLBACKEND`` from conftest). A block that raises fails the test
and names the block; the printed values of the tour are checked against the truth that the
snippets generate.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks() -> list[str]:
    return BLOCK.findall(README.read_text(encoding="utf-8"))


def test_readme_has_python_blocks():
    assert len(_blocks()) >= 4, "the tour's snippets went missing from README.md"


def test_readme_blocks_run_in_order():
    pytest.importorskip("matplotlib")  # the first block draws a contour
    from matplotlib import pyplot as plt

    ns: dict = {"__name__": "__readme__"}
    out = io.StringIO()
    try:
        for i, code in enumerate(_blocks()):
            try:
                with contextlib.redirect_stdout(out):
                    exec(compile(code, f"README.md python block {i + 1}", "exec"), ns)
            except Exception as e:  # pragma: no cover - the failure message is the point
                raise AssertionError(f"README python block {i + 1} fails: {e!r}\n{code}") from e
    finally:
        plt.close("all")
    # ``m`` is now the one-call fit of the tour's Gaussian (a=2, mu=0.3, sigma=1) and
    # ``popt`` curve_fit's answer to the same least-squares problem: the two agree to the
    # fits' tolerances, and both lie near the truth
    m_gauss = ns["m"]
    assert m_gauss.valid
    np.testing.assert_allclose(ns["popt"], list(m_gauss.values), rtol=1e-5, atol=1e-6)  # tolerances
    np.testing.assert_allclose(ns["popt"], [2.0, 0.3, 1.0], atol=0.05)  # 61 points, noise 0.05
    assert ns["r"].popt.shape == (10_000, 3)
    assert ns["r"].success.mean() > 0.99  # well-posed Gaussians from guessed starts
