"""``thetahat.fit`` as a front: plain functions, keyword and table data, the result object.

Oracles: scipy.optimize.curve_fit on the same data and function (values and errors), the
closed-form maximum-likelihood estimate of an exponential lifetime (the sample mean), the
covariance matrix itself for the propagated errors of ``correlated_values``.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import numpy as np
import pytest
from scipy.optimize import curve_fit

import thetahat
from thetahat import Minuit


def decay(x, a, k):
    return a * np.exp(-k * x)


@pytest.fixture
def curve():
    rng = np.random.default_rng(42)
    x = np.linspace(0, 3, 40)
    err = np.full_like(x, 0.05)
    y = decay(x, 2.0, 1.3) + rng.normal(0, 0.05, x.size)
    return x, y, err


def _chi2_covariance(x, y, err, p):
    """2 H^-1 of chi2 = sum(((y - f)/err)^2) by central differences (brute force)."""
    def chi2(q):
        return float(np.sum(((y - decay(x, *q)) / err) ** 2))
    n, h = len(p), 1e-4
    hess = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            ei, ej = np.eye(n)[i] * h, np.eye(n)[j] * h
            hess[i, j] = (chi2(p + ei + ej) - chi2(p + ei - ej) - chi2(p - ei + ej)
                          + chi2(p - ei - ej)) / (4 * h * h)
    return 2 * np.linalg.inv(hess)


def test_plain_function_with_p0_matches_curve_fit(curve):
    x, y, err = curve
    r = thetahat.fit(x, y, decay, yerr=err, p0=[1.0, 1.0])
    p, cov = curve_fit(decay, x, y, p0=[1.0, 1.0], sigma=err, absolute_sigma=True)
    assert r.valid and isinstance(r, Minuit) and r.parameters == ("a", "k")
    # MIGRAD's EDM < 2e-3 leaves the minimum known to ~0.06 errors
    np.testing.assert_allclose(r.values, p, atol=0.06 * np.sqrt(cov.diagonal()).max())
    # HESSE is the full Hessian of chi2 (curve_fit's J^T W J drops the residual curvature,
    # 0.6 % here): the brute-force Hessian is the oracle; O(h^2) differences ~ 1e-6
    full = _chi2_covariance(x, y, err, np.asarray(r.values))
    np.testing.assert_allclose(np.asarray(r.covariance), full, rtol=1e-4)
    np.testing.assert_allclose(r.errors, np.sqrt(cov.diagonal()), rtol=0.02)  # see above
    assert r.to_dict()["model"] == {"name": "decay"}  # a plain function states no formula


def test_plain_function_without_errors_scales_like_curve_fit(curve):
    x, y, _ = curve
    r = thetahat.fit(x, y, decay, p0={"a": 1.0, "k": 1.0})
    p, cov = curve_fit(decay, x, y, p0=[1.0, 1.0])  # absolute_sigma=False
    assert r.yerr_estimated is not None
    np.testing.assert_allclose(r.values, p, rtol=1e-4)  # EDM-level agreement
    # full Hessian vs curve_fit's J^T W J: the residual-curvature term, 0.6 % here
    np.testing.assert_allclose(r.errors, np.sqrt(cov.diagonal()), rtol=0.02)


def test_plain_function_defaults_are_start_values_and_annotations_limits(curve):
    x, y, err = curve

    def f(x, a: Annotated[float, 0:10] = 1.0, k=0.5):
        return a * np.exp(-k * x)

    r = thetahat.fit(x, y, f, yerr=err)
    assert r.valid and r.limits["a"] == (0.0, 10.0)
    p, _ = curve_fit(decay, x, y, p0=[1.0, 1.0], sigma=err, absolute_sigma=True)
    np.testing.assert_allclose(r.values, p, rtol=1e-3)  # EDM-level agreement


def test_plain_function_without_start_values_starts_at_one(curve):
    # as scipy's curve_fit (p0 = 1 for every parameter): the same minimum
    x, y, err = curve
    r = thetahat.fit(x, y, decay, yerr=err)
    p, _ = curve_fit(decay, x, y, sigma=err, absolute_sigma=True)
    assert r.valid
    np.testing.assert_allclose(r.values, p, rtol=1e-3)  # EDM-level agreement
    assert r.data_info["start"] == "defaults, 1 for the rest"


def test_plain_function_bad_start_values(curve):
    x, y, err = curve
    with pytest.raises(ValueError, match=r"p0 has 3 values for 2 parameters \(a, k\)"):
        thetahat.fit(x, y, decay, p0=[1, 2, 3])
    with pytest.raises(ValueError, match=r"p0\[1\] = nan is not finite"):
        thetahat.fit(x, y, decay, p0=[1, np.nan])
    with pytest.raises(TypeError, match="p0= or start="):
        thetahat.fit(x, y, decay, p0=[1, 1], start={"a": 1})
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['b'\]"):
        thetahat.fit(x, y, decay, p0={"a": 1, "b": 1})


def test_p0_replaces_the_guess_of_a_named_model(curve):
    x, y, err = curve
    r = thetahat.fit(x, y, "expo_rate", yerr=err, p0=[1.0, 0.5], nstart=1)
    ref = thetahat.fit(x, y, "expo_rate", yerr=err)
    np.testing.assert_allclose(r.values, ref.values, rtol=1e-4)  # same minimum, EDM-level


def test_keywords_give_the_positional_fit(curve):
    x, y, err = curve
    a = thetahat.fit(x, y, "expo_rate", yerr=err)
    b = thetahat.fit(x=x, y=y, model="expo_rate", yerr=err)
    assert list(a.values) == list(b.values)  # the same computation
    with pytest.raises(TypeError, match="x is given twice"):
        thetahat.fit(x, x=x, y=y, model="line")
    with pytest.raises(TypeError, match="fit needs a model"):
        thetahat.fit(x, y)
    with pytest.raises(TypeError, match="column name, but no table"):
        thetahat.fit(x="t", y="n", model="line")


def test_dataframe_columns_by_name(curve):
    pd = pytest.importorskip("pandas")
    x, y, err = curve
    df = pd.DataFrame({"t": x, "counts": y, "err": err})
    r = thetahat.fit(df, x="t", y="counts", yerr="err", model="expo_rate")
    ref = thetahat.fit(x, y, "expo_rate", yerr=err)
    assert list(r.values) == list(ref.values)  # the same arrays, the same computation
    d = r.to_dict()["data"]
    assert d == {"x": "t", "y": "counts", "yerr": "err", "kind": "curve", "n": 40}
    with pytest.raises(ValueError, match=r"y = 'count' is not a column of the data; "
                                         r"columns: \['t', 'counts', 'err'\]"):
        thetahat.fit(df, x="t", y="count", model="line")
    with pytest.raises(TypeError, match="give x="):
        thetahat.fit(df, model="line")
    pos = thetahat.fit(df, "expo_rate", x="t", y="counts", yerr="err")  # model positional
    assert list(pos.values) == list(ref.values)
    # Series work as arrays (their values, not their index)
    s = thetahat.fit(df["t"], df["counts"], "expo_rate", yerr=df["err"])
    assert list(s.values) == list(ref.values)


def test_table_column_of_events():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(3)
    ev = rng.normal(1.0, 0.5, 2000)
    df = pd.DataFrame({"E": ev})
    r = thetahat.fit(df, x="E", model="gauss", bins=40)
    ref = thetahat.fit(ev, "gauss", bins=40)
    assert list(r.values) == list(ref.values)  # the same column, the same computation
    assert r.to_dict()["data"]["kind"] == "events"


def test_plain_pdf_for_events_is_the_unbinned_mle():
    rng = np.random.default_rng(8)
    ev = rng.exponential(2.5, 3000)

    def pdf(x, tau=1.0):
        return np.exp(-x / tau) / tau

    r = thetahat.fit(ev, pdf, range=(0, np.inf))
    # the exponential's MLE is the sample mean, its error tau/sqrt(n)
    assert r.values["tau"] == pytest.approx(ev.mean(), rel=1e-5)  # EDM-level
    assert r.errors["tau"] == pytest.approx(ev.mean() / np.sqrt(ev.size), rel=1e-3)
    with pytest.raises(ValueError, match="unbinned likelihood"):
        thetahat.fit(ev, pdf, bins=20)


def test_result_to_dict_is_json_with_none_for_non_finite(curve, tmp_path):
    x, y, err = curve
    r = thetahat.fit(x, y, "expo_rate", yerr=err, minos=True)
    d = r.to_dict()
    text = json.dumps(d, allow_nan=False)  # strict JSON: no NaN, no Infinity
    back = json.loads(text)
    assert back["model"] == {"name": "expo_rate", "formula": "a exp(-k x)"}
    assert back["cost"] == "LeastSquares" and back["thetahat_version"] == thetahat.__version__
    pa = back["parameters"]["a"]
    assert pa["value"] == pytest.approx(r.values["a"], rel=1e-15)
    assert pa["lower_limit"] == 0.0 and pa["upper_limit"] is None  # inf -> None
    assert pa["minos_lower"] == pytest.approx(r.merrors["a"].lower, rel=1e-15)
    assert np.allclose(back["covariance"], np.asarray(r.covariance), rtol=1e-15)
    assert back["correlation"][0][0] == pytest.approx(1.0, rel=1e-15)
    assert back["p_value"] is not None and back["chi2_ndof"] == pytest.approx(r.fval / 38)
    path = tmp_path / "fit.json"
    assert r.to_json(path) == path.read_text().rstrip("\n")
    assert "Migrad" in str(r) or "FCN" in str(r)  # printable: Minuit's tables
    # no errors given: no goodness of fit
    assert thetahat.fit(x, y, "expo_rate").to_dict()["p_value"] is None


def test_correlated_values_carry_the_covariance(curve):
    pytest.importorskip("uncertainties")
    x, y, err = curve
    r = thetahat.fit(x, y, "expo_rate", yerr=err)
    u = r.correlated_values()
    cov = np.asarray(r.covariance)
    assert u["a"].nominal_value == r.values["a"]
    diff = u["a"] - u["k"]
    # error propagation of a difference with the correlation term
    assert diff.std_dev == pytest.approx(np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]),
                                         rel=1e-9)


def test_correlated_values_of_a_fixed_parameter_have_no_error():
    pytest.importorskip("uncertainties")
    rng = np.random.default_rng(2)
    x = np.linspace(0, 10, 50)
    y = 3 * np.exp(-(x - 2) / 4) + rng.normal(0, 0.05, x.size)
    r = thetahat.fit(x, y, "expo", yerr=0.05)  # expo's reference point b is fixed
    u = r.correlated_values()
    assert r.fixed["b"] and u["b"].std_dev == 0.0 and u["b"].nominal_value == r.values["b"]
    assert u["c"].std_dev == pytest.approx(r.errors["c"], rel=1e-9)  # the covariance's


def test_correlated_values_without_uncertainties_says_what_to_install(curve, monkeypatch):
    x, y, err = curve
    r = thetahat.fit(x, y, "expo_rate", yerr=err)
    monkeypatch.setitem(sys.modules, "uncertainties", None)
    with pytest.raises(ImportError, match="pip install uncertainties"):
        r.correlated_values()


def test_command_line_finds_the_new_models(tmp_path):
    """``thetahat fit --model pvoigt``: the CLI reads the same registry."""
    from thetahat.cli._main import main_fit
    m = thetahat.models.get("pvoigt")
    rng = np.random.default_rng(21)
    x = np.linspace(0, 10, 150)
    y = m(x, 3.0, 5.0, 0.6, 0.4) + rng.normal(0, 0.05, x.size)
    path = tmp_path / "peak.csv"
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", header="x,y", comments="")
    out = tmp_path / "fit.json"
    assert main_fit([str(path), "--x", "x", "--y", "y", "--model", "pvoigt",
                     "--json", str(out)]) == 0
    got = json.loads(out.read_text())["parameters"]
    ref = thetahat.fit(x, y, "pvoigt")
    for k in m.parameters:
        # the same fit through the CLI; its JSON rounds nothing
        assert got[k]["value"] == pytest.approx(ref.values[k], rel=1e-9)


def test_limits_with_none_mean_one_sided(curve):
    """limits={"k": (0, None)} is a lower limit only, as in iminuit (was a TypeError)."""
    x, y, err = curve
    r = thetahat.fit(x, y, decay, yerr=err, p0=[1.0, 1.0], limits={"k": (0, None)})
    assert r.limits["k"] == (0.0, np.inf)
    p, _ = curve_fit(decay, x, y, p0=[1.0, 1.0], sigma=err, absolute_sigma=True)
    np.testing.assert_allclose(r.values, p, rtol=1e-3)  # EDM-level agreement
