"""progress= on the batch fronts: the blocks it reports, results identical to one block.

Oracles: the count of fits (every block reported once, in order, ending at n), and the same
call as one block (fits are independent: blocking must not change a single bit).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from thetahat import batch, models
from thetahat.batch import _progress

FIELDS = ("popt", "perr", "pcov", "chi2", "ndof", "nfev", "niter", "status", "success")


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(_progress, "BLOCK", 64)  # 2**15 in use; small here to stay fast
    return 64


def _data(rng, n):
    x = np.linspace(-5, 5, 40)
    y = models.parse("gauss+constant")(x, 10.0, 0.3, 1.0, 1.0) + rng.normal(0, 0.5, (n, 40))
    return x, y


def _gauss(x, a, mu, s, c):
    return a * np.exp(-0.5 * ((x - mu) / s) ** 2) + c


@pytest.mark.parametrize("front", ["fit", "curve_fit-library", "curve_fit-user"])
def test_callback_counts_and_identical_results(front, monkeypatch, rng):
    n = 150
    x, y = _data(rng, n)
    y[70, 5] = np.nan  # a bad row in the second block

    def call(**kw):
        if front == "fit":
            return batch.fit(x, y, "gauss+constant", **kw)
        if front == "curve_fit-library":
            return batch.curve_fit("gauss+constant", x, y, sigma=0.5, **kw)
        return batch.curve_fit(_gauss, x, y, p0=[9.0, 0.2, 1.1, 0.9], **kw)

    monkeypatch.setattr(_progress, "BLOCK", 2**15)
    plain = call()  # one block
    monkeypatch.setattr(_progress, "BLOCK", 64)  # 2**15 in use; small here to stay fast
    seen = []
    with_progress = call(progress=lambda done, total: seen.append((done, total)))
    assert seen == [(64, 150), (128, 150), (150, 150)]  # once per block, in order
    for f in FIELDS:  # independent fits: the blocks change nothing
        np.testing.assert_array_equal(getattr(with_progress, f), getattr(plain, f), err_msg=f)
    assert with_progress.status[70] == "non-finite" and with_progress.success.sum() == n - 1
    quiet = call()  # blocks of 64 without reports: still the same numbers
    np.testing.assert_array_equal(quiet.popt, plain.popt)


def test_per_fit_x_is_split_with_the_rows(small_blocks, monkeypatch, rng):
    n, m = 100, 20
    x = np.sort(rng.uniform(0, 5, (n, m)), axis=1)
    y = 2.0 + 0.5 * x + rng.normal(0, 0.01, (n, m))
    seen = []
    r = batch.fit(x, y, "line", progress=lambda d, t: seen.append(d))
    assert seen == [64, 100]
    monkeypatch.setattr(_progress, "BLOCK", 2**15)
    one = batch.fit(x, y, "line")
    for f in FIELDS:  # identical with and without blocks
        np.testing.assert_array_equal(getattr(r, f), getattr(one, f))


def test_tqdm_bar(small_blocks, rng, capsys):
    pytest.importorskip("tqdm")
    x, y = _data(rng, 100)
    r = batch.fit(x, y, "gauss+constant", progress=True)
    assert r.success.all()
    err = capsys.readouterr().err
    assert "100/100" in err  # tqdm writes its bar to stderr, ending at the total


def test_missing_tqdm_and_bad_progress(monkeypatch):
    x, y = np.arange(3.0), np.ones((2, 3))
    with pytest.raises(TypeError, match="progress must be True, False or a callable"):
        batch.fit(x, y, "line", progress="yes")
    monkeypatch.setitem(sys.modules, "tqdm", None)
    with pytest.raises(ImportError, match=r"thetahat\[progress\]"):
        batch.fit(x, y, "line", progress=True)
