"""Curve models: gradients, guesses, guess + fit on seeded data, sums, registry.

Oracle for fits: scipy.optimize.curve_fit started from the model's guess (thetahat's own
``fit`` comes later). Gradients: central finite differences.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import curve_fit

from thetahat import models as M

# (spec, x range, list of true parameter dicts)
CASES = [
    ("constant", (0, 10), [{"c": 2.0}, {"c": -1.0}]),
    ("line", (0, 10), [{"a": 1.0, "b": 2.0}, {"a": -3.0, "b": 0.5}]),
    ("poly2", (-5, 5), [{"c0": 1.0, "c1": -0.5, "c2": 0.1}]),
    ("poly3", (0, 4), [{"c0": 1.0, "c1": -0.5, "c2": 0.1, "c3": 0.2}]),
    ("expo", (0, 10), [{"a": 100.0, "b": 0.0, "c": 2.0}, {"a": 30.0, "b": 0.0, "c": -6.0}]),
    ("expo_rate", (0, 10), [{"a": 50.0, "k": 0.3}, {"a": 5.0, "k": -0.1}]),
    ("powerlaw", (1, 10), [{"a": 10.0, "k": -1.5}, {"a": 2.0, "k": 0.7}]),
    ("sigmoid", (0, 10), [{"a": 5.0, "mu": 3.0, "s": 0.5}, {"a": 2.0, "mu": 6.0, "s": -0.8}]),
    ("gauss", (0, 10), [{"a": 10.0, "mu": 3.0, "sigma": 0.7},
                        {"a": 3.0, "mu": 6.5, "sigma": 1.5}]),
    ("lorentz", (0, 10), [{"a": 10.0, "mu": 4.0, "gamma": 0.5},
                          {"a": 2.0, "mu": 6.0, "gamma": 1.2}]),
    ("rbw", (0, 10), [{"a": 10.0, "m": 5.0, "gamma": 0.4}, {"a": 4.0, "m": 3.0, "gamma": 1.0}]),
    ("voigt", (0, 10), [{"a": 10.0, "mu": 5.0, "sigma": 0.5, "gamma": 0.3},
                        {"a": 5.0, "mu": 4.0, "sigma": 0.3, "gamma": 0.8}]),
    ("crystalball", (0, 10), [{"a": 10.0, "mu": 5.0, "sigma": 0.5, "alpha": 1.2, "n": 3.0},
                              {"a": 4.0, "mu": 6.0, "sigma": 0.8, "alpha": 0.8, "n": 2.0}]),
    ("expo+gauss", (90, 226), [{"expo_a": 1000.0, "expo_b": 90.0, "expo_c": 20.0,
                                "gauss_a": 80.0, "gauss_mu": 125.0, "gauss_sigma": 1.5}]),
    ("line+lorentz", (0, 20), [{"line_a": 5.0, "line_b": 0.3, "lorentz_a": 8.0,
                                "lorentz_mu": 12.0, "lorentz_gamma": 0.6}]),
    ("poly2+gauss+gauss", (0, 20), [{"poly2_c0": 5.0, "poly2_c1": 0.2, "poly2_c2": -0.01,
                                     "gauss1_a": 8.0, "gauss1_mu": 6.0, "gauss1_sigma": 0.5,
                                     "gauss2_a": 4.0, "gauss2_mu": 14.0,
                                     "gauss2_sigma": 0.8}]),
]
GRID = [pytest.param(spec, xr, t, id=f"{spec}-{k}")
        for spec, xr, truths in CASES for k, t in enumerate(truths)]


def _data(model, xr, truth, seed, n=200, rel_noise=0.02):
    rng = np.random.default_rng(seed)
    x = np.linspace(*xr, n)
    f = model(x, **truth)
    yerr = np.full(n, rel_noise * np.max(np.abs(f)))
    return x, f + rng.normal(0, yerr), yerr


@pytest.mark.parametrize("spec, xr, truth", GRID)
def test_guess_then_fit_recovers_truth(spec, xr, truth):
    model = M.parse(spec)
    assert set(truth) == set(model.parameters)
    x, y, yerr = _data(model, xr, truth, seed=len(spec) * 7 + int(sum(truth.values())))
    g = model.guess(x, y)
    assert set(g) == set(model.parameters)
    free = [n for n in model.parameters if n not in model.fixed]
    fixed = {n: g[n] for n in model.fixed}

    def f(xx, *p):
        return model(xx, **dict(zip(free, p)), **fixed)

    def jac(xx, *p):
        full = model.grad(xx, **dict(zip(free, p)), **fixed)
        return full[[model.parameters.index(n) for n in free]].T

    # the model's natural domain as bounds, as thetahat.fit will use them
    bounds = ([model.limits[n][0] for n in free], [model.limits[n][1] for n in free])
    popt, pcov = curve_fit(f, x, y, p0=[g[n] for n in free], sigma=yerr, bounds=bounds,
                           absolute_sigma=True, jac=jac, method="trf", max_nfev=5000)
    # with a fixed reference b' the amplitude refers to b': a' = a exp(-(b' - b)/c)
    want = dict(truth)
    for n in model.fixed:
        pre = n[: -len("b")]
        want[pre + "a"] = truth[pre + "a"] * np.exp(-(fixed[n] - truth[n]) / truth[pre + "c"])
    perr = np.sqrt(np.diag(pcov))
    for k, n in enumerate(free):
        # estimates are ~normal with the fit covariance: 5 sigma fails with prob ~6e-7
        assert abs(popt[k] - want[n]) < 5 * perr[k], (n, popt[k], want[n], perr[k])


@pytest.mark.parametrize("spec, xr, truth", GRID)
def test_grad_matches_central_differences(spec, xr, truth):
    model = M.parse(spec)
    x = np.linspace(*xr, 57)
    p = np.array([truth[n] for n in model.parameters])
    g = model.grad(x, *p)
    assert g.shape == (model.npar, x.size)
    for j in range(model.npar):
        h = 1e-6 * max(1.0, abs(p[j]))
        up, dn = p.copy(), p.copy()
        up[j] += h
        dn[j] -= h
        fd = (model(x, *up) - model(x, *dn)) / (2 * h)
        scale = np.max(np.abs(fd)) + np.max(np.abs(model(x, *p))) / max(1.0, abs(p[j]))
        # central differences with h ~ 1e-6: truncation ~h^2 f''', rounding ~eps f/h ~ 1e-10
        np.testing.assert_allclose(g[j], fd, atol=1e-6 * scale, err_msg=model.parameters[j])


@pytest.mark.parametrize("spec, xr, truth", GRID)
def test_guess_is_near_truth_on_noiseless_data(spec, xr, truth):
    model = M.parse(spec)
    x = np.linspace(*xr, 400)
    y = model(x, **truth)
    g = model.guess(x, y)
    pred = model(x, **g)
    # a guess is a starting value, not a fit: the curve within 35 % of the data's size
    # (crystal-ball tails and voigt's sigma/gamma split are not estimated)
    assert np.max(np.abs(pred - y)) < 0.35 * np.max(np.abs(y)), g


def test_sum_names_limits_fixed_and_signature():
    import inspect

    m = M.Exponential() + M.Gaussian() + M.Gaussian()
    assert m.parameters == ("expo_a", "expo_b", "expo_c", "gauss1_a", "gauss1_mu",
                            "gauss1_sigma", "gauss2_a", "gauss2_mu", "gauss2_sigma")
    assert list(inspect.signature(m).parameters)[1:] == list(m.parameters)
    assert m.fixed == {"expo_b"}
    assert m.limits["gauss2_sigma"] == (0.0, np.inf)
    assert m.limits["expo_c"] == (-np.inf, np.inf)
    x = np.linspace(0, 1, 5)
    p = np.arange(1.0, 10.0)
    # exact: the sum is evaluated as the sum of the components
    np.testing.assert_array_equal(m(x, *p), M.Exponential()(x, *p[:3])
                                  + M.Gaussian()(x, *p[3:6]) + M.Gaussian()(x, *p[6:]))


def test_seedlike_histogram_guess_lands_near_truth():
    rng = np.random.default_rng(125)
    bkg = 90 + rng.exponential(20.0, 60000)
    ev = np.concatenate([bkg[bkg < 226][:29600], rng.normal(125.0, 1.5, 400)])
    n, xe = np.histogram(ev, bins=136, range=(90, 226))
    xc = 0.5 * (xe[1:] + xe[:-1])
    g = M.parse("expo+gauss").guess(xc, n)
    # statistical spread of the peak position ~ sigma/sqrt(400) = 0.08; bins are 1 GeV wide
    assert abs(g["gauss_mu"] - 125.0) < 0.5
    assert abs(g["expo_c"] - 20.0) < 1.0  # 3 % : the log-linear estimate of 30k events
    assert 0.7 < g["gauss_sigma"] / 1.5 < 1.5  # FWHM on 1-GeV bins is coarse
    assert g["expo_b"] == 90.5


def test_works_with_thetahat_and_iminuit_least_squares():
    from iminuit import cost as iminuit_cost

    from thetahat.cost import LeastSquares

    m = M.parse("line+gauss")
    truth = {"line_a": 1.0, "line_b": 0.1, "gauss_a": 5.0, "gauss_mu": 4.0, "gauss_sigma": 0.4}
    x, y, yerr = _data(m, (0, 10), truth, seed=3)
    c1 = LeastSquares(x, y, yerr, m, grad=m.grad)
    c2 = iminuit_cost.LeastSquares(x, y, yerr, m)
    assert list(c1._parameters) == list(m.parameters) == list(c2._parameters)
    assert c1.has_grad
    p = list(truth.values())
    # same chi2 formula on the same numbers: rounding only
    assert c1(*p) == pytest.approx(c2(*p), rel=1e-12)


@pytest.mark.parametrize("bad, hint", [("expo+gaus", "gauss"), ("lorenz", "lorentz"),
                                       ("crystalbal", "crystalball")])
def test_unknown_names_suggest_close_matches(bad, hint):
    with pytest.raises(ValueError, match=f"did you mean '{hint}'"):
        M.parse(bad)


def test_bad_input_names_argument_and_index():
    with pytest.raises(ValueError, match=r"y\[2\] = nan"):
        M.get("gauss").guess([1, 2, 3], [1, 2, np.nan])
    with pytest.raises(ValueError, match="same length"):
        M.get("line").guess([1, 2, 3], [1, 2])
    with pytest.raises(TypeError, match="takes 3 parameters"):
        M.get("gauss")(1.0, 1.0, 2.0)
    with pytest.raises(ValueError, match="degree"):
        M.Polynomial(-1)


def test_catalog_lists_every_model_with_parameters_and_formula():
    cat = M.catalog()
    for name in ("pvoigt", "emg", "bwf", "step_erf", "rectangle_logistic", "fermi", "sine",
                 "gauss", "expo", "poly<n>"):
        assert name in cat, name
    for name, entry in cat.items():
        assert entry["formula"], name  # every model states its formula
        if name != "poly<n>":
            assert M.get(name).parameters == entry["parameters"]
    # a sum's formula names its components
    assert M.parse("line+gauss").formula == "line: [a + b x] + gauss: [a exp(-((x-mu)/sigma)^2/2)]"


@pytest.mark.parametrize("old", ["bw", "breitwigner"])
def test_old_breit_wigner_names_warn_and_keep_their_meaning(old):
    with pytest.warns(FutureWarning, match="'bwf' for the Breit-Wigner-Fano"):
        m = M.get(old)
    assert isinstance(m, M.Lorentzian)
    with pytest.warns(FutureWarning, match="Lorentzian"):
        d = M.density(old, range=(0, 1))
    assert isinstance(d, M.CauchyDensity)
    assert isinstance(M.get("bwf"), M.BreitWignerFano)  # the Fano resonance has its own name


def test_lmfit_style_names_resolve():
    assert isinstance(M.get("step"), M.Step) and M.get("step").form == "linear"
    assert M.get("rectangle_erf").form == "erf"
    assert M.get("pseudovoigt").name == "pvoigt"
    assert M.get("exponential_gaussian").name == "emg"
    with pytest.raises(ValueError, match="did you mean 'pvoigt'"):
        M.get("pvoight")
