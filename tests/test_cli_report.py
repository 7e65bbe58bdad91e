"""The command line's report (issue 18): --version, stdin and stdout, ``thetahat models``,
the JSON record of the inputs, the plot's confidence band and parameter legend, and help
text for every option.

Oracles: the package metadata for the version; the same fit read from a file for stdin;
the model registry for the listing; the closed-form variance of a straight line,
var(a + b x) = var a + 2 x cov(a, b) + x² var b, for the band; iminuit's pdg_format for
the legend's rounding.
"""

from __future__ import annotations

import importlib.metadata
import io
import json
import sys

import numpy as np
import pytest

import thetahat
from thetahat import models
from thetahat.__main__ import main
from thetahat.cli import _main as climain
from thetahat.cli import _report


def _line_file(tmp_path, n=20, seed=3):
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 5, n)
    y = 1.0 + 0.5 * x + rng.normal(0, 0.2, n)
    text = "x,y,dy\n" + "\n".join(f"{a:.6f},{b:.6f},0.2" for a, b in zip(x, y)) + "\n"
    p = tmp_path / "line.csv"
    p.write_text(text)
    return p, text


def test_version_is_the_package_version(capsys):
    assert main(["--version"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == f"thetahat {thetahat.__version__}"
    assert thetahat.__version__ == importlib.metadata.version("thetahat")


def test_stdin_and_json_to_stdout_give_the_file_result(tmp_path, capsys, monkeypatch):
    p, text = _line_file(tmp_path)
    args = ["--x", "x", "--y", "y", "--yerr", "dy", "--model", "line"]
    assert main(["fit", str(p), *args, "--json", str(tmp_path / "r.json")]) == 0
    capsys.readouterr()
    from_file = json.loads((tmp_path / "r.json").read_text())
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    assert main(["fit", "-", *args, "--json", "-"]) == 0
    cap = capsys.readouterr()
    from_stdin = json.loads(cap.out)  # stdout is the JSON alone
    assert "fit is VALID" in cap.err and "fit is VALID" not in cap.out  # report on stderr
    assert from_stdin["data_file"] == "<stdin>" and from_file["data_file"] == str(p)
    for k in ("parameters", "covariance", "fval", "p_value"):
        assert from_stdin[k] == from_file[k], k  # the same numbers, to the last digit


def test_json_records_the_inputs(tmp_path, capsys):
    p, _ = _line_file(tmp_path)
    out = tmp_path / "r.json"
    main(["fit", str(p), "--x", "x", "--y", "y", "--yerr", "dy", "--model", "line",
          "--json", str(out)])
    r = json.loads(out.read_text())
    assert r["thetahat_version"] == thetahat.__version__
    assert r["model"] == "line" and r["cost"] == "LeastSquares"
    assert r["columns"] == {"x": "x", "y": "y", "yerr": "dy"}
    assert r["options"] == {"bins": None, "range": None, "extended": False, "minos": False}
    rng = np.random.default_rng(1)
    ev = tmp_path / "ev.txt"
    ev.write_text("\n".join(f"{v:.6f}" for v in rng.exponential(2.0, 500)))
    for extra, cost in (([], "UnbinnedNLL"), (["--bins", "20"], "BinnedNLL")):
        main(["fit", str(ev), "--events", "0", "--model", "expo", "--range", "0", "10",
              "--json", str(out), *extra])
        r = json.loads(out.read_text())
        assert r["cost"] == cost and r["options"]["range"] == [0.0, 10.0]
    capsys.readouterr()


def test_models_lists_every_registered_name(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    curves, dens = out.split("densities")
    for name in models.curve_names():
        if name != "poly<n>":
            assert name in curves, name
    for name in models.density_names():
        if name != "poly<n>":
            assert name in dens, name
    gauss_line = next(line for line in curves.splitlines() if line.strip().startswith("gauss"))
    assert ", ".join(models.get("gauss").parameters) in gauss_line
    assert main(["models", "extra"]) == 2


def test_band_of_a_line_is_the_closed_form():
    x = np.linspace(0, 5, 20)
    y = 1.0 + 0.5 * x + np.random.default_rng(2).normal(0, 0.2, x.size)
    m = thetahat.fit(x, y, "line", yerr=0.2)
    xf = np.linspace(0, 5, 7)
    yf, sf = _report._curve_band(lambda t, p: m.model(t, *p), xf, m)
    c = np.asarray(m.covariance)
    exact = np.sqrt(c[0, 0] + 2 * xf * c[0, 1] + xf**2 * c[1, 1])
    np.testing.assert_allclose(yf, m.model(xf, *m.values), rtol=1e-14)
    # a linear model: the extrapolated central differences are exact to rounding
    np.testing.assert_allclose(sf, exact, rtol=1e-9)


def test_plot_legend_rounds_as_the_pdg(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from iminuit.pdg_format import pdg_format
    x = np.linspace(0, 5, 20)
    y = 1.0 + 0.5 * x + np.random.default_rng(2).normal(0, 0.2, x.size)
    m = thetahat.fit(x, y, "line", yerr=0.2)
    text = _report._legend_text(m)
    for p in m.params:
        assert f"{p.name} = {pdg_format(p.value, p.error)}" in text
    p, _ = _line_file(tmp_path)
    png = tmp_path / "fit.png"
    assert main(["fit", str(p), "--x", "x", "--y", "y", "--model", "line",
                 "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    capsys.readouterr()


def test_every_option_is_explained():
    parser = climain._parser()
    for action in parser._actions:
        if action.dest != "help":
            assert action.help and len(action.help) > 20, action.dest
    text = parser.format_help()
    assert "exit status" in text and "thetahat models" in text
