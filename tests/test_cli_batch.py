"""``thetahat batch FILE.npy --model ...``: results written for every row, errors in one line.

Oracles: single scipy.optimize.curve_fit calls on rows of the same file, the in-memory
thetahat.batch.fit on the same arrays (the command is a wrapper: identical numbers), and the
exit status / message of each bad input. Files are written to tmp_path; generators seeded.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import numpy as np
import pytest
import scipy.optimize as so

from thetahat import batch
from thetahat.__main__ import main
from thetahat.cli import _batch

GRID = np.arange(5.0)
X2 = np.stack(np.meshgrid(GRID, GRID), -1).reshape(-1, 2)


def _gauss2d(xy, a, x0, y0, s, c):
    return a * np.exp(-0.5 * ((xy[:, 0] - x0) ** 2 + (xy[:, 1] - y0) ** 2) / s**2) + c


def _images(rng, n=40):
    truth = np.array([10.0, 2.2, 1.8, 1.0, 1.0])
    return (_gauss2d(X2, *truth) + rng.normal(0, 0.3, (n, 25))).reshape(n, 5, 5)


def test_images_fit_like_scipy_and_the_in_memory_batch(tmp_path, rng, capsys):
    y = _images(rng)
    np.save(tmp_path / "img.npy", y)
    out = tmp_path / "res.npz"
    assert main(["batch", str(tmp_path / "img.npy"), "--model", "gauss2d+constant",
                 "--out", str(out), "--workers", "1"]) == 0
    assert "40 fits of gauss2d+constant" in capsys.readouterr().out
    with np.load(out) as r:
        ref = batch.fit(X2, y.reshape(40, 25), "gauss2d+constant")
        for f in ("popt", "perr", "pcov", "chi2", "ndof", "nfev", "niter", "status"):
            np.testing.assert_array_equal(r[f], getattr(ref, f))  # the same call: identical
        assert list(r["parameters"]) == list(ref.parameters) and r["success"].all()
        for i in (0, 17, 39):  # the pixel grid: x the column, y the row of the image
            po, pc = so.curve_fit(_gauss2d, X2, y[i].ravel(), p0=r["popt"][i] * 1.01,
                                  ftol=1e-12, xtol=1e-12, gtol=1e-12)
            # the batch stops at scipy's default 1e-8 tolerances: ~1e-4 errors from the
            # tight minimum, far inside one error
            assert np.all(np.abs(r["popt"][i] - po) <= 1e-3 * np.sqrt(np.diag(pc)))


def test_npz_key_x_yerr_p0_and_mle(tmp_path, rng):
    x = np.linspace(0, 4, 30)
    y = 3.0 * np.exp(-x / 1.5) + rng.normal(0, 0.05, (10, 30))
    np.savez(tmp_path / "d.npz", spectra=y, other=np.zeros(3))
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "r.npz"
    code = main(["batch", str(tmp_path / "d.npz"), "--key", "spectra", "--model", "expo",
                 "--x", str(tmp_path / "x.npy"), "--yerr", "0.05", "--p0", "2,0,1",
                 "--out", str(out)])
    assert code == 0
    ref = batch.fit(x, y, "expo", yerr=0.05, p0=[2.0, 0.0, 1.0])
    with np.load(out) as r:
        np.testing.assert_array_equal(r["popt"], ref.popt)  # the same call: identical
    counts = rng.poisson(20 * np.exp(-x / 1.5), (5, 30)).astype(float)
    np.save(tmp_path / "c.npy", counts)
    assert main(["batch", str(tmp_path / "c.npy"), "--model", "expo", "--x",
                 str(tmp_path / "x.npy"), "--estimator", "mle"]) == 0
    with np.load(tmp_path / "c_batch.npz") as r:  # the default output name
        np.testing.assert_array_equal(r["popt"], batch.fit(x, counts, "expo",
                                                           estimator="mle").popt)


def test_parquet_or_its_clear_error(tmp_path, rng, capsys):
    np.save(tmp_path / "img.npy", _images(rng, 6))
    args = ["batch", str(tmp_path / "img.npy"), "--model", "gauss2d+constant",
            "--out", str(tmp_path / "r.parquet")]
    try:
        import pandas as pd
        import pyarrow  # noqa: F401
    except ImportError:
        assert main(args) == 2
        assert "needs pandas and pyarrow" in capsys.readouterr().err
        return
    assert main(args) == 0
    df = pd.read_parquet(tmp_path / "r.parquet")
    assert len(df) == 6 and list(df["status"]) == ["converged"] * 6


def test_unconverged_fits_are_counted_not_hidden(tmp_path, rng, capsys):
    y = _images(rng, 4).reshape(4, 25)
    y[2, 3] = np.nan
    np.save(tmp_path / "y.npy", y)
    assert main(["batch", str(tmp_path / "y.npy"), "--model", "gauss2d+constant"]) == 0
    cap = capsys.readouterr()
    assert "3 converged, 1 non-finite" in cap.out
    assert "1 of 4 fits did not converge" in cap.err


def _bad_cases(tmp):
    np.save(tmp / "y1.npy", np.ones(7))
    np.save(tmp / "y.npy", np.ones((3, 7)))
    np.save(tmp / "x5.npy", np.arange(5.0))
    np.save(tmp / "s.npy", np.array([[1.0] * 7, [1.0] * 7, [1.0] * 6 + [0.0]]))
    np.savez(tmp / "two.npz", a=np.ones((2, 3)), b=np.ones(3))
    (tmp / "text.npy").write_text("not an array")
    y, mdl = str(tmp / "y.npy"), ["--model", "line"]
    return [
        ([str(tmp / "missing.npy"), *mdl], "does not exist"),
        ([str(tmp / "text.npy"), *mdl], "is not a .npy/.npz array"),
        ([str(tmp / "y1.npy"), *mdl], r"has shape \(7,\): it must be \(n_fits, n_points\)"),
        ([y, *mdl, "--x", str(tmp / "x5.npy")], r"x of shape \(5,\) does not match"),
        ([y, *mdl, "--yerr", str(tmp / "s.npy")], r"row 2 has yerr\[2, 6\] = 0"),
        ([y, *mdl, "--p0", "1,2,3"], r"p0 of shape \(3,\)"),
        ([y, *mdl, "--p0", "1,a"], "numbers separated by commas"),
        ([str(tmp / "two.npz"), *mdl], "name the ydata with --key"),
        ([str(tmp / "two.npz"), "--key", "c", *mdl], "has no array 'c'"),
        ([y, "--model", "voigt"], "no batch implementation"),
        ([y, "--model", "gauss2d"], "not a square image"),
        ([y, *mdl, "--out", str(tmp / "r.csv")], "must end in .npz or .parquet"),
        ([y, *mdl, "--workers", "0"], "workers must be a positive int"),
    ]


def test_bad_input_is_one_line_and_status_2(tmp_path, capsys):
    import re
    for args, match in _bad_cases(tmp_path):
        assert main(["batch", *args]) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("thetahat batch: ") and err.count("\n") == 1, err
        assert re.search(match, err), (match, err)
    with pytest.raises(SystemExit) as e:  # argparse's own errors: one line too
        main(["batch", str(tmp_path / "y.npy")])
    assert e.value.code == 2
    assert "--model" in capsys.readouterr().err


def test_progress_flag_draws_a_bar(tmp_path, rng, capsys):
    pytest.importorskip("tqdm")
    np.save(tmp_path / "img.npy", _images(rng, 7))
    assert main(["batch", str(tmp_path / "img.npy"), "--model", "gauss2d+constant",
                 "--progress"]) == 0
    assert "7/7" in capsys.readouterr().err  # tqdm's bar on stderr, ending at the total


def test_add_parser_for_a_subcommand_parser(tmp_path, rng):
    np.save(tmp_path / "img.npy", _images(rng, 3))
    top = argparse.ArgumentParser(prog="tool")
    _batch.add_parser(top.add_subparsers())
    args = top.parse_args(["batch", str(tmp_path / "img.npy"), "--model", "gauss2d+constant"])
    assert args.func(args) == 0 and (tmp_path / "img_batch.npz").is_file()


def test_console_entry_point(tmp_path, rng):
    np.save(tmp_path / "img.npy", _images(rng, 5))
    p = subprocess.run([sys.executable, "-m", "thetahat", "batch", str(tmp_path / "img.npy"),
                        "--model", "gauss2d+constant"], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    assert "5 converged" in p.stdout
