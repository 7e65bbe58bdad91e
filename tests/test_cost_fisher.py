"""The Gauss-Newton / Fisher structure ``gauss_newton(args) -> (value, gradient, H)`` of the costs.

- value equals ``cost(*args)`` exactly;
- the gradient equals central finite differences of the value (agreement ~1e-6 relative:
  the difference error is O(h^2) ~ 1e-8 plus rounding eps*|f|/h ~ 1e-9 relative);
- H agrees with the exact (numerical) Hessian at the minimum of a large-statistics fit:
  the dropped terms (residual curvature for least squares; score fluctuations for
  likelihoods) are O(1/sqrt(N)) relative to H, so the tolerance is a few / sqrt(N).
"""

from __future__ import annotations

import numpy as np
import pytest
from iminuit import Minuit
from scipy.stats import expon, norm, uniform

from thetahat import cost as tc


def num_grad(f, p, rel=1e-5):
    p = np.asarray(p, dtype=float)
    g = np.empty(p.size)
    for j in range(p.size):
        h = rel * max(abs(p[j]), 1e-2)
        e = np.zeros(p.size)
        e[j] = h
        g[j] = (f(*(p + e)) - f(*(p - e))) / (2 * h)
    return g


def num_hess(f, p, rel=1e-4):
    p = np.asarray(p, dtype=float)
    k = p.size
    hs = rel * np.maximum(np.abs(p), 1e-2)
    H = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            ei = np.zeros(k)
            ej = np.zeros(k)
            ei[i] = hs[i]
            ej[j] = hs[j]
            H[i, j] = (f(*(p + ei + ej)) - f(*(p + ei - ej)) - f(*(p - ei + ej))
                       + f(*(p - ei - ej))) / (4 * hs[i] * hs[j])
    return 0.5 * (H + H.T)


def mix_pdf(x, z, mu, sigma):
    return z * norm.pdf(x, mu, sigma) + (1 - z) * uniform.pdf(x, -1, 2)


def mix_cdf(x, z, mu, sigma):
    return z * norm.cdf(x, mu, sigma) + (1 - z) * uniform.cdf(x, -1, 2)


def mix_scaled_cdf(x, nsig, nbkg, mu, sigma):
    return nsig * norm.cdf(x, mu, sigma) + nbkg * uniform.cdf(x, -1, 2)


def mix_scaled_pdf(x, nsig, nbkg, mu, sigma):
    return nsig + nbkg, nsig * norm.pdf(x, mu, sigma) + nbkg * uniform.pdf(x, -1, 2)


def sample(n_sig, n_bkg, seed=1):
    rng = np.random.default_rng(seed)
    return np.append(rng.normal(0.0, 0.1, n_sig), rng.uniform(-1, 1, n_bkg))


def exp_gauss(x, a, tau, b, mu, s):
    return a * np.exp(-x / tau) + b * np.exp(-0.5 * ((x - mu) / s) ** 2)


def make_costs(scale):
    """(name, cost, a point near the minimum) for every cost type; ``scale`` = statistics."""
    x = sample(400 * scale, 1000 * scale)
    n, xe = np.histogram(x, bins=50, range=(-1, 1))
    centre = 0.5 * (xe[1:] + xe[:-1])
    rng = np.random.default_rng(7)
    t = rng.exponential(30.0, 3000 * scale)
    t = t[t < 150]
    t = np.append(t, rng.normal(60, 3, 300 * scale))
    h, te = np.histogram(t, bins=75, range=(0, 150))
    tc_ = 0.5 * (te[1:] + te[:-1])
    ok = h > 0
    lsq = tc.LeastSquares(tc_[ok], h[ok], np.sqrt(h[ok]), exp_gauss)
    masked = tc.ExtendedBinnedNLL(n, xe, mix_scaled_cdf)
    masked.mask = (centre < -0.5) | (centre > 0.5)
    masked_b = tc.BinnedNLL(n, xe, mix_cdf)
    masked_b.mask = centre > -0.7
    w = np.random.default_rng(8).uniform(0.5, 1.5, x.size)
    n1, _ = np.histogram(x, bins=50, range=(-1, 1), weights=w)
    n2, _ = np.histogram(x, bins=50, range=(-1, 1), weights=w**2)
    xy = np.random.default_rng(9).normal(0.0, 1.0, (2, 2000 * scale))
    h2, ex, ey = np.histogram2d(*xy, bins=(12, 10), range=((-3, 3), (-3, 3)))

    def cdf2(xy, k, mx, sy):
        return k * norm.cdf(xy[0], mx) * norm.cdf(xy[1], 0.0, sy)

    return [
        ("ext_binned_weighted", tc.ExtendedBinnedNLL(np.stack([n1, n2], -1), xe, mix_scaled_cdf),
         (400.0 * scale, 1000.0 * scale, 0.0, 0.1)),
        ("ext_binned_2d", tc.ExtendedBinnedNLL(h2, (ex, ey), cdf2), (2000.0 * scale, 0.0, 1.0)),
        ("lsq", lsq, (h[0] * 1.0, 30.0, 100.0 * scale / 4, 60.0, 3.0)),
        ("lsq_soft_l1",
         tc.LeastSquares(tc_[ok], h[ok], np.sqrt(h[ok]), exp_gauss, loss="soft_l1"),
         (h[0] * 1.0, 30.0, 25.0 * scale, 60.0, 3.0)),
        ("unbinned", tc.UnbinnedNLL(x, mix_pdf), (0.28, 0.0, 0.1)),
        ("ext_unbinned", tc.ExtendedUnbinnedNLL(x, mix_scaled_pdf),
         (400.0 * scale, 1000.0 * scale, 0.0, 0.1)),
        ("binned", tc.BinnedNLL(n, xe, mix_cdf), (0.28, 0.0, 0.1)),
        ("binned_masked", masked_b, (0.28, 0.0, 0.1)),
        ("ext_binned", tc.ExtendedBinnedNLL(n, xe, mix_scaled_cdf),
         (400.0 * scale, 1000.0 * scale, 0.0, 0.1)),
        ("ext_binned_masked", masked, (400.0 * scale, 1000.0 * scale, 0.0, 0.1)),
    ]


@pytest.mark.parametrize("case", make_costs(1), ids=lambda c: c[0])
def test_fisher_value_and_gradient(case):
    name, c, p0 = case
    p = np.array(p0) * 1.05  # away from the minimum, so the gradient is not ~0
    v, g, h = c.gauss_newton(p)
    assert v == c(*p)  # exact: same arithmetic
    gn = num_grad(c, p)
    # forward-difference Jacobian (~1e-8) and central-difference reference (~1e-8); with
    # the peak masked out, the signal-shape components are ~1e-3 of the largest one and
    # carry the differencing noise eps*|f|/h of the whole cost, hence the wider floor
    floor = 2e-3 if name == "ext_binned_masked" else 1e-5
    np.testing.assert_allclose(g, gn, rtol=1e-5, atol=floor * np.abs(gn).max())
    assert h.shape == (p.size, p.size)
    np.testing.assert_allclose(h, h.T, rtol=1e-14, atol=0)  # symmetric by construction
    assert np.all(np.linalg.eigvalsh(h) > -1e-9 * np.abs(h).max())  # PSD up to rounding


@pytest.mark.parametrize("case", make_costs(20), ids=lambda c: c[0])
def test_fisher_matrix_approximates_hessian_at_minimum(case):
    name, c, p0 = case
    m = Minuit(c, *p0)
    m.strategy = 2
    m.tol = 1e-6
    free = np.ones(len(p0), dtype=bool)
    if name == "ext_binned_masked":
        free[[0, 2, 3]] = False  # only the background yield is determined outside the peak
        m.fixed[0, 2, 3] = True
    m.migrad()
    assert m.valid
    p = np.array(m.values)
    _, _, h = c.gauss_newton(p)
    hn = num_hess(c, p)
    h, hn = h[np.ix_(free, free)], hn[np.ix_(free, free)]
    # compare the implied covariances (what HESSE reports); N ~ 3e4 events: the
    # outer-product / expected-information terms differ from the observed Hessian by
    # O(1/sqrt(N)) ~ 0.6 %, and the least-squares residual-curvature term by O(1/sqrt(ndof))
    # of a term that averages to zero at the minimum; 6 % allows for the spread
    d = np.sqrt(np.diag(np.linalg.inv(h)))
    dn = np.sqrt(np.diag(np.linalg.inv(hn)))
    np.testing.assert_allclose(d, dn, rtol=0.06)


def test_fisher_with_model_gradients_equals_finite_difference_version():
    rng = np.random.default_rng(3)
    x = np.linspace(0, 5, 40)
    y = 3 * np.exp(-x / 2) + rng.normal(0, 0.05, 40)

    def model(x, a, tau):
        return a * np.exp(-x / tau)

    def model_grad(x, a, tau):
        e = np.exp(-x / tau)
        return np.array([e, a * e * x / tau**2])

    p = np.array([2.5, 1.7])
    a = tc.LeastSquares(x, y, 0.05, model, grad=model_grad)
    b = tc.LeastSquares(x, y, 0.05, model)
    fa, ga, ha = a.gauss_newton(p)
    fb, gb, hb = b.gauss_newton(p)
    assert fa == fb
    # forward differences of the model: relative error ~ sqrt(eps) ~ 1e-8
    np.testing.assert_allclose(ga, gb, rtol=1e-6)
    np.testing.assert_allclose(ha, hb, rtol=1e-6)
    np.testing.assert_allclose(a.grad(*p), ga, rtol=1e-12)  # same formula

    # binned cdf with gradient, with a mask (renormalised probabilities: chain rule)
    d = np.append(rng.exponential(1.0, 2000), [])
    n, xe = np.histogram(d, bins=30, range=(0, 3))

    def cdf(x, lam):
        return expon.cdf(x, scale=1 / lam)

    def cdf_grad(x, lam):
        return np.array([x * np.exp(-lam * x)])

    for mask in (None, xe[1:] > 0.5):
        ca = tc.BinnedNLL(n, xe, cdf, grad=cdf_grad)
        cb = tc.BinnedNLL(n, xe, cdf)
        ca.mask = cb.mask = mask
        fa, ga, ha = ca.gauss_newton(np.array([1.1]))
        fb, gb, hb = cb.gauss_newton(np.array([1.1]))
        np.testing.assert_allclose(ga, gb, rtol=1e-6)  # forward differences, ~1e-8
        np.testing.assert_allclose(ha, hb, rtol=1e-6)  # forward differences, ~1e-8
        np.testing.assert_allclose(ca.grad(1.1), gb, rtol=1e-6)  # same
        np.testing.assert_allclose(ga, num_grad(ca, [1.1]), rtol=1e-6)  # central differences


def test_fisher_of_sum_and_constraint_and_array_model():
    rng = np.random.default_rng(4)
    x = np.linspace(-1, 1, 20)
    y = np.polyval([0.5, -1.0, 2.0], x) + rng.normal(0, 0.1, 20)
    c = tc.LeastSquares(x, y, 0.1, lambda x, par: np.polyval(par, x))
    p = np.array([0.4, -0.9, 2.1])
    v, g, h = c.gauss_newton(p)
    assert v == c(p)
    vand = np.vander(x, 3) / 0.1
    h_exact = 2 * vand.T @ vand
    # exact for a linear model up to forward differencing, ~1e-8 of the largest entry
    np.testing.assert_allclose(h, h_exact, rtol=1e-6, atol=1e-6 * np.abs(h_exact).max())
    nc = tc.NormalConstraint(["b", "c"], [1.0, 0.0], [[0.04, 0.01], [0.01, 0.09]])
    v, g, h = nc.gauss_newton(np.array([1.2, 0.3]))
    np.testing.assert_allclose(h, 2 * np.linalg.inv(nc.covariance), rtol=1e-14)  # exact
    np.testing.assert_allclose(g, num_grad(nc, [1.2, 0.3]), rtol=1e-8)  # quadratic: exact FD
    lsq = tc.LeastSquares(x, y, 0.1, lambda x, a, b: a + b * x)
    s = lsq + nc
    q = np.array([2.0, -1.0, 0.2])
    v, g, h = s.gauss_newton(q)
    v1, g1, h1 = lsq.gauss_newton(q[:2])
    v2, g2, h2 = nc.gauss_newton(q[1:])
    assert v == pytest.approx(v1 + v2, rel=1e-15)  # exact sum
    np.testing.assert_allclose(g, np.r_[g1, 0] + np.r_[0, g2], rtol=1e-14)  # exact
    expected = np.zeros((3, 3))
    expected[:2, :2] += h1
    expected[1:, 1:] += h2
    np.testing.assert_allclose(h, expected, rtol=1e-14)  # exact
    assert h[0, 2] == 0.0
    s2 = lsq + tc.UnbinnedNLL(x, lambda x, a: np.ones_like(x) * a)
    assert hasattr(s2, "gauss_newton")


def levenberg_marquardt(fgh, p, max_calls=50):
    """A minimal damped Gauss-Newton loop on ``gauss_newton`` (test oracle of its usefulness)."""
    f, g, h = fgh(p)
    calls, lam = 1, 1e-3
    while calls < max_calls:
        a = h + lam * np.diag(np.diag(h))
        step = -np.linalg.solve(a, g)
        fn, gn, hn = fgh(p + step)
        calls += 1
        if np.isfinite(fn) and fn < f:
            edm = 0.5 * g @ np.linalg.solve(h, g)
            p, f, g, h, lam = p + step, fn, gn, hn, lam * 0.1
            if edm < 1e-8:
                break
        else:
            lam *= 10
    return p, calls


@pytest.mark.parametrize("case", make_costs(1), ids=lambda c: c[0])
def test_gauss_newton_on_fisher_reaches_the_minimum_in_few_calls(case):
    """The structure is what a Gauss-Newton minimizer needs: from the start values, a plain
    Levenberg-Marquardt loop on ``gauss_newton`` reaches iminuit's minimum within 0.01 sigma."""
    name, c, p0 = case
    if name == "ext_binned_masked":
        pytest.skip("three of four parameters are not determined with the peak masked")
    mi = Minuit(c, *p0)
    mi.tol = 1e-4  # EDM < 2e-7: values within ~1e-3 sigma of the minimum
    mi.migrad()
    mi.hesse()
    assert mi.valid
    p, calls = levenberg_marquardt(c.gauss_newton, np.array(p0, dtype=float))
    # both at the same minimum to a small fraction of the statistical error
    np.testing.assert_array_less(np.abs(p - np.array(mi.values)), 0.01 * np.array(mi.errors))
    assert calls <= 25  # iminuit's variable metric needs ~50-200 calls here


@pytest.mark.parametrize("case", make_costs(1), ids=lambda c: c[0])
def test_fisher_free_subset_skips_fixed_parameters(case):
    """``gauss_newton(args, free)``: the free block of g and H equals the full computation."""
    _, c, p0 = case
    p = np.array(p0) * 1.02
    free = np.zeros(p.size, dtype=bool)
    free[1::2] = True
    v, g, h = c.gauss_newton(p)
    vf, gf, hf = c.gauss_newton(p, free)
    assert vf == v  # exact: same arithmetic
    # same differences; only BLAS blocking of the products may change the last bits
    np.testing.assert_allclose(gf[free], g[free], rtol=1e-13)
    np.testing.assert_allclose(hf[np.ix_(free, free)], h[np.ix_(free, free)], rtol=1e-13)
    s = c + tc.NormalConstraint(list(c._parameters)[0], p0[0], 1.0)
    vs, gs, hs = s.gauss_newton(p, free)
    # the constraint is on a fixed parameter: the free gradient is unchanged (rounding only)
    np.testing.assert_allclose(gs[free], gf[free], rtol=1e-13)
