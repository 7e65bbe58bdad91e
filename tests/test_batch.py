"""The public batch fronts: thetahat.batch.curve_fit and thetahat.batch.fit.

Oracles: single scipy.optimize.curve_fit calls on the same fits; a direct minimisation of
the Poisson negative log-likelihood with scipy.optimize.minimize; noise-free data whose
minimum is the truth. Every generator is seeded.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
import scipy.optimize as so

from thetahat import batch, models

TIGHT = dict(ftol=1e-12, xtol=1e-12, gtol=1e-12)
GRID = np.arange(5.0)
X2 = np.stack(np.meshgrid(GRID, GRID), -1).reshape(-1, 2)


def _gauss2d(xy, a, x0, y0, s, c):
    return a * np.exp(-0.5 * ((xy[:, 0] - x0) ** 2 + (xy[:, 1] - y0) ** 2) / s**2) + c


def _gauss1d_data(n, rng, m=60):
    x = np.linspace(-5, 5, m)
    mdl = models.parse("gauss+constant")
    truth = np.array([10.0, 0.3, 1.0, 1.0])
    y = mdl(x, *truth) + rng.normal(0, 0.5, (n, m))
    return x, y, truth


def _gauss2d_data(n, rng):
    truth = np.array([10.0, 2.0, 2.0, 1.0, 1.0])
    y = _gauss2d(X2, *truth) + rng.normal(0, 0.5, (n, 25))
    p0 = truth * (1 + rng.uniform(-0.1, 0.1, (n, 5)))
    return y, p0, truth


@pytest.mark.parametrize("absolute_sigma", [False, True])
def test_library_model_equals_single_scipy_curve_fits(absolute_sigma, rng):
    x, y, _ = _gauss1d_data(40, rng)
    sigma = rng.uniform(0.4, 0.6, y.shape)
    r = batch.fit(x, y, "gauss+constant", **TIGHT) if not absolute_sigma else \
        batch.curve_fit("gauss+constant", x, y, sigma=sigma, absolute_sigma=True, **TIGHT)
    mdl = models.parse("gauss+constant")
    assert r.success.all()
    for i in range(0, 40, 4):
        po, pc = so.curve_fit(mdl, x, y[i], p0=r.popt[i] * 1.01,
                              sigma=sigma[i] if absolute_sigma else None,
                              absolute_sigma=absolute_sigma, **TIGHT)
        # both solved to 1e-12 in chi2: the minima agree far below the 1e-6 target
        np.testing.assert_allclose(r.popt[i], po, rtol=1e-6)
        # the same J^T W J at the same point; scipy's comes from differences (~1e-7)
        np.testing.assert_allclose(r.perr[i], np.sqrt(np.diag(pc)), rtol=1e-4)


def test_defaults_agree_with_scipy_defaults_within_a_fraction_of_the_error(rng):
    y, p0, _ = _gauss2d_data(30, rng)
    r = batch.curve_fit("gauss2d+constant", X2, y, p0=p0)
    for i in range(30):
        po, pc = so.curve_fit(_gauss2d, X2, y[i], p0=p0[i])
        # both stop at ftol = xtol = 1e-8: each within ~1e-4 errors of the minimum
        assert np.all(np.abs(r.popt[i] - po) <= 1e-3 * np.sqrt(np.diag(pc)))


def test_user_function_equals_scipy_and_compiled(rng):
    y, p0, _ = _gauss2d_data(20, rng)

    def f(xy, a, x0, y0, s, c):  # written as for one fit: broadcasting does the batch
        return a * np.exp(-0.5 * ((xy[:, 0] - x0) ** 2 + (xy[:, 1] - y0) ** 2) / s**2) + c

    r = batch.curve_fit(f, X2, y, p0=p0, x_per_fit=False, **TIGHT)
    c = batch.curve_fit("gauss2d+constant", X2, y, p0=p0, **TIGHT)
    assert r.parameters == ("a", "x0", "y0", "s", "c")
    for i in range(0, 20, 3):
        po, pc = so.curve_fit(_gauss2d, X2, y[i], p0=p0[i], **TIGHT)
        np.testing.assert_allclose(r.popt[i], po, rtol=1e-6)  # same minimum, tight solves
        # forward-difference Jacobians on both sides: ~sqrt(eps) relative in J^T J
        np.testing.assert_allclose(r.perr[i], np.sqrt(np.diag(pc)), rtol=1e-4)
    # forward differences (~1e-8 relative in J) vs analytic J: the stopping tests see
    # slightly different gradients; both end within the 1e-12 tolerance of one minimum
    np.testing.assert_allclose(r.popt, c.popt, rtol=1e-6)


def test_user_jac_and_per_fit_x(rng):
    n, m = 12, 30
    x = np.sort(rng.uniform(0, 5, (n, m)), axis=1)  # every fit on its own abscissae
    tau = rng.uniform(0.8, 2.0, n)
    y = 3.0 * np.exp(-x / tau[:, None]) + rng.normal(0, 0.02, (n, m))

    def f(x, a, tau):
        return a * np.exp(-x / tau)

    def jac(x, a, tau):
        e = np.exp(-x / tau)
        return np.stack([e, a * e * x / tau**2], axis=-1)

    r = batch.curve_fit(f, x, y, p0=[1.0, 1.0], jac=jac, **TIGHT)
    for i in range(n):
        po, _ = so.curve_fit(f, x[i], y[i], p0=[1.0, 1.0], **TIGHT)
        np.testing.assert_allclose(r.popt[i], po, rtol=1e-6)  # tight solves on both sides


def test_mle_equals_direct_poisson_likelihood_minimisation(rng):
    x = np.linspace(-4, 4, 30)
    mdl = models.parse("gauss+constant")
    mu = mdl(x, 20.0, 0.2, 1.0, 2.0)
    y = rng.poisson(mu, (6, x.size)).astype(float)
    r = batch.fit(x, y, "gauss+constant", estimator="mle", **TIGHT)
    assert r.success.all()
    for i in range(6):

        def nll(p, i=i):
            f = mdl(x, *p)
            return np.sum(f - y[i] * np.log(f)) if np.all(f > 0) else np.inf

        res = so.minimize(nll, r.popt[i] * 1.02, method="Nelder-Mead",
                          options=dict(xatol=1e-10, fatol=1e-12, maxiter=20000))
        # Nelder-Mead to 1e-10 in x on a smooth well-conditioned minimum
        np.testing.assert_allclose(r.popt[i], res.x, rtol=1e-6, atol=1e-7)
        # the error: the inverse Fisher information sum grad grad^T / f of -ln L, from the
        # library's analytic gradient at scipy's minimum; 1e-6 apart in p => ~1e-5 in perr
        grad = mdl.grad(x, *res.x)
        fisher = (grad / mdl(x, *res.x)) @ grad.T
        np.testing.assert_allclose(r.perr[i], np.sqrt(np.diag(np.linalg.inv(fisher))),
                                   rtol=1e-4)


def test_noise_free_rotated_gaussian_and_guess():
    m = batch.fit(X2, np.zeros((1, 25)) + 1.0, "gauss2d_rotated+constant", p0=np.ones(7))
    assert m.parameters[-1] == "constant_c"
    xx = np.stack(np.meshgrid(np.arange(9.0), np.arange(9.0)), -1).reshape(-1, 2)
    truth = np.array([10.0, 4.2, 3.8, 1.0, 1.8, 0.4, 2.0])
    ct, st = np.cos(truth[5]), np.sin(truth[5])
    dx, dy = xx[:, 0] - truth[1], xx[:, 1] - truth[2]
    u, v = (dx * ct - dy * st) / truth[3], (dx * st + dy * ct) / truth[4]
    y = (truth[0] * np.exp(-0.5 * (u * u + v * v)) + truth[6])[None]
    r = batch.fit(xx, y, "gauss2d_rotated+constant", p0=truth * 1.05)
    np.testing.assert_allclose(r.popt[0], truth, rtol=1e-8)  # zero residual: exact
    g = batch.fit(xx, y, "gauss2d+constant")  # starting values from moments
    assert g.success.all() and abs(g.popt[0, 1] - 4.2) < 0.2  # a round fit of an ellipse


def test_some_rows_bad_others_proceed(rng):
    x, y, truth = _gauss1d_data(5, rng)
    y[1, 7] = np.nan
    y[3, 0] = np.inf
    r = batch.fit(x, y, "gauss+constant")
    assert r.status.tolist() == ["converged", "non-finite", "converged", "non-finite",
                                 "converged"]
    assert r.success.tolist() == [True, False, True, False, True]
    good = batch.fit(x, y[[0, 2, 4]], "gauss+constant")
    np.testing.assert_array_equal(r.popt[[0, 2, 4]], good.popt)  # unaffected by bad rows


def test_workers_give_identical_results(rng):
    y, p0, _ = _gauss2d_data(3000, rng)
    one = batch.curve_fit("gauss2d+constant", X2, y, p0=p0, workers=1)
    two = batch.curve_fit("gauss2d+constant", X2, y, p0=p0, workers=2, chunk=100)
    np.testing.assert_array_equal(one.popt, two.popt)  # each fit computed the same way


def test_expo_keeps_reference_point_fixed(rng):
    x = np.linspace(0, 5, 40)
    y = 4.0 * np.exp(-x / 1.5) + rng.normal(0, 0.01, (3, 40))
    r = batch.fit(x, y, "expo", **TIGHT)
    assert (r.popt[:, 1] == 0.0).all() and (r.perr[:, 1] == 0).all()
    assert (r.ndof == 38).all()
    for i in range(3):
        po, _ = so.curve_fit(lambda x, a, c: a * np.exp(-x / c), x, y[i], p0=[3, 1], **TIGHT)
        np.testing.assert_allclose(r.popt[i, [0, 2]], po, rtol=1e-6)  # tight solves


def test_result_object():
    x = np.linspace(0, 1, 5)
    r = batch.fit(x, np.array([1 + 2 * x, 3 - x]), "line")
    assert len(r) == 2 and "2 converged" in repr(r)
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="needs pandas"):
            r.to_dataframe()
    else:
        df = r.to_dataframe()
        # exact data: the line's intercept and slope to rounding
        assert list(df["a"].round(10)) == [1.0, 3.0] and list(df["b"].round(10)) == [2.0, -1.0]
        assert list(df["status"]) == ["converged"] * 2


@pytest.mark.parametrize("call, match", [
    (lambda: batch.fit(np.arange(5.0), np.ones((3, 6)), "line"), r"x of shape \(5,\)"),
    (lambda: batch.fit(np.arange(5.0), np.ones((0, 5)), "line"), "batch is empty"),
    (lambda: batch.fit(np.arange(5.0), np.ones((2, 2, 5)), "line"), "reshape"),
    (lambda: batch.fit(np.arange(3.0), np.ones((4, 3)), "line",
                       yerr=np.array([1.0, 1, 1, 1])[:, None] * [[1, 1, 1]] * [[1], [1], [0], [1]]),
     r"row 2 has yerr\[2, 0\] = 0"),
    (lambda: batch.fit(np.arange(3.0), np.ones((2, 3)), "line", yerr=np.ones(4)),
     r"yerr of shape \(4,\) does not broadcast"),
    (lambda: batch.fit(np.arange(3.0), np.ones((2, 3)), "line", p0=np.ones(3)),
     r"p0 of shape \(3,\)"),
    (lambda: batch.fit(np.arange(3.0), -np.ones((2, 3)), "line", estimator="mle"),
     r"counts >= 0: row 0"),
    (lambda: batch.fit(np.arange(3.0), np.ones((2, 3)), "voigt"), "no batch implementation"),
    (lambda: batch.fit(np.arange(3.0), np.ones((2, 3)), "line", estimator="ls"), "estimator"),
    (lambda: batch.curve_fit(lambda x, a: np.ones(7) * a[:1], np.arange(3.0), np.ones((2, 3))),
     r"returned shape \(1, 7\).*expected \(2, 3\)"),
    (lambda: batch.curve_fit(lambda x, a: a * x, np.arange(3.0), np.ones((2, 3)), workers=0),
     "workers"),
    (lambda: batch.curve_fit(lambda x, a: a * x, np.arange(3.0), np.ones((2, 3)),
                             bounds=(1, 0)), "strictly less"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("spec", ["gauss+constant", "lorentz", "constant+lorentz"])
def test_vectorised_guess_finds_peaks_and_dips(spec, rng):
    x = np.linspace(-5, 5, 60)
    mdl = models.parse(spec)
    n = 40
    amp = np.where(np.arange(n) % 2, 8.0, -8.0)  # peaks and dips
    truth = np.array([[a, 0.5, 1.0, 2.0] if spec.startswith("gauss") else
                      ([2.0, a, 0.5, 1.0] if spec.startswith("constant") else [a, 0.5, 1.0])
                      for a in amp])
    y = np.array([mdl(x, *t) for t in truth]) + rng.normal(0, 0.2, (n, 60))
    r = batch.fit(x, y, spec, **TIGHT)
    ref = batch.fit(x, y, spec, p0=truth, **TIGHT)
    assert r.success.all()
    # the same minimum from the guess as from the truth (tight solves)
    np.testing.assert_allclose(r.popt, ref.popt, rtol=1e-6, atol=1e-9)


def test_to_xarray_and_missing_tables(monkeypatch):
    xr = pytest.importorskip("xarray")
    x = np.linspace(0, 1, 5)
    y = np.array([1 + 2 * x, 3 - x, 1 + 0 * x])
    y[2, 0] = np.nan
    r = batch.fit(x, y, "line")
    ds = r.to_xarray()
    assert isinstance(ds, xr.Dataset) and ds.sizes["fit"] == 3
    assert list(ds["parameter"].values) == ["a", "b"]
    # exact data: intercept and slope to rounding, read by name
    assert ds["popt"].sel(parameter="b").values[:2].round(10).tolist() == [2.0, -1.0]
    assert ds["pcov"].shape == (3, 2, 2)
    assert ds["status"].values.tolist() == ["converged", "converged", "non-finite"]
    assert ds["success"].values.tolist() == [True, True, False]
    for name in ("xarray", "pandas"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"to_xarray needs xarray: .*thetahat\[tables\]"):
        r.to_xarray()
    with pytest.raises(ImportError, match=r"to_dataframe needs pandas: .*thetahat\[tables\]"):
        r.to_dataframe()


def test_concatenate_blocks_is_the_whole_batch(rng):
    x, y, _ = _gauss1d_data(30, rng)
    whole = batch.fit(x, y, "gauss+constant")
    parts = [batch.fit(x, y[:10], "gauss+constant"), batch.fit(x, y[10:], "gauss+constant")]
    joined = batch.BatchResult.concatenate(parts)
    np.testing.assert_array_equal(joined.popt, whole.popt)  # independent fits: identical
    np.testing.assert_array_equal(joined.status, whole.status)
    with pytest.raises(ValueError, match="cannot concatenate"):
        batch.BatchResult.concatenate([parts[0], batch.fit(x, y, "gauss")])
