"""Issue 15, memory: the derivatives of unbinned costs are summed over chunks of events.

The value, gradient, BHHH matrix and exact Hessian of an unbinned likelihood are sums over
events, so the chunked evaluation (``thetahat.derivatives.model.EVENT_CHUNK`` events at a
time) must give the unchunked sums to rounding. The oracle is the same cost on a sample
smaller than one chunk; the chunk size is lowered to 1,000 events for the comparison
(the memory itself is measured in ``benchmarks/bench_memory.py``, not asserted here).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

import thetahat.derivatives.model as model_mod
from thetahat import Minuit
from thetahat.cost import ExtendedUnbinnedNLL, UnbinnedNLL

N = 10_001  # ten chunks of 1,000 and one of 1


def _costs(log: bool, grad: bool, two_d: bool):
    rng = np.random.default_rng(5)
    if two_d:
        x = rng.normal(0.0, 1.0, (2, N))

        def pdf(x, mu, s):
            return norm.pdf(x[0], mu, s) * norm.pdf(x[1], 0.0, 1.0)
    else:
        x = rng.normal(0.0, 1.0, N)

        def pdf(x, mu, s):
            return norm.pdf(x, mu, s)

    def logpdf(x, mu, s):
        return np.log(pdf(x, mu, s))

    def dlog(x, mu, s):  # d ln f / d(mu, s) of the first coordinate's Gaussian
        z = ((x[0] if two_d else x) - mu) / s
        return np.array([z / s, (z * z - 1) / s])

    def density_grad(x, mu, s):
        return dlog(x, mu, s) * pdf(x, mu, s)

    f = logpdf if log else pdf
    g = None
    if grad:
        g = dlog if log else density_grad
    u = UnbinnedNLL(x, f, log=log, grad=g)

    def scaled(x, n, mu, s):
        v = f(x, mu, s)
        return n, (v + np.log(n)) if log else n * v

    def scaled_grad(x, n, mu, s):
        d = g(x, mu, s)
        fv = np.exp(f(x, mu, s)) if log else f(x, mu, s)
        if log:
            return np.array([1.0, 0.0, 0.0]), np.vstack([np.full(x.shape[-1], 1 / n), d])
        return np.array([1.0, 0.0, 0.0]), np.vstack([fv, n * d])

    e = ExtendedUnbinnedNLL(x, scaled, log=log, grad=scaled_grad if grad else None)
    return u, e


@pytest.mark.parametrize("two_d", [False, True], ids=["1d", "2d"])
@pytest.mark.parametrize("grad", [False, True], ids=["fd", "grad"])
@pytest.mark.parametrize("log", [False, True], ids=["pdf", "logpdf"])
def test_issue_15_memory_chunked_sums_agree_with_unchunked(monkeypatch, log, grad, two_d):
    p, pe = np.array([0.1, 1.1]), np.array([9000.0, 0.1, 1.1])
    st, ste = np.array([1e-3, 1e-3]), np.array([1.0, 1e-3, 1e-3])
    # fresh costs for each evaluation: no cached differences shared between them
    whole = [c.gauss_newton(q, None, s) for c, q, s in zip(_costs(log, grad, two_d),
                                                          (p, pe), (st, ste))]
    hess = [c.exact_hessian(q, s) for c, q, s in zip(_costs(log, grad, two_d), (p, pe),
                                                     (st, ste))]
    monkeypatch.setattr(model_mod, "EVENT_CHUNK", 1000)
    parts = [c.gauss_newton(q, None, s) for c, q, s in zip(_costs(log, grad, two_d),
                                                          (p, pe), (st, ste))]
    hess_parts = [c.exact_hessian(q, s) for c, q, s in zip(_costs(log, grad, two_d),
                                                           (p, pe), (st, ste))]
    for a, b in zip(whole, parts):
        for u, v in zip(a, b):
            # sums of 10,001 terms in another order: rounding of 1e-13 relative
            np.testing.assert_allclose(v, u, rtol=1e-12, atol=1e-9)
    if grad:  # the cost's own gradient (the model's gradient summed over chunks)
        args = [(0.1, 1.1), (9000.0, 0.1, 1.1)]
        monkeypatch.setattr(model_mod, "EVENT_CHUNK", 65536)
        whole_g = [c.grad(*a) for c, a in zip(_costs(log, grad, two_d), args)]
        monkeypatch.setattr(model_mod, "EVENT_CHUNK", 1000)
        parts_g = [c.grad(*a) for c, a in zip(_costs(log, grad, two_d), args)]
        for u, v in zip(whole_g, parts_g):
            np.testing.assert_allclose(v, u, rtol=1e-12, atol=1e-9)  # summation order
    for a, b in zip(hess, hess_parts):
        assert (a is None) == (b is None) == grad  # a model gradient: no exact Hessian
        if a is not None:
            assert a[0] == pytest.approx(b[0], rel=1e-12)  # the value: summation order
            np.testing.assert_allclose(b[1], a[1], rtol=1e-12, atol=1e-9)
            # second differences divide the rounding of sums of N terms (another order
            # when chunked) by h_a h_b: up to ~3e-7 of the diagonal scale sqrt(H_aa H_bb)
            # (the yield's cross terms); 1e-6 of it is a correlation of 1e-6
            scale = np.sqrt(np.outer(np.diag(a[2]), np.diag(a[2])))
            assert np.all(np.abs(b[2] - a[2]) <= 1e-6 * scale)


def test_issue_15_memory_chunked_fit_agrees(monkeypatch):
    def fit():
        u, e = _costs(False, False, False)
        m = Minuit(e, n=9000.0, mu=0.1, s=1.1)
        m.limits["s"] = (0, None)
        m.migrad()
        m.hesse()
        return m
    a = fit()
    monkeypatch.setattr(model_mod, "EVENT_CHUNK", 1000)
    b = fit()
    assert a.valid and b.valid
    # the extended yield's MLE is N (closed form), to the EDM goal: 1e-3 of its error
    assert b.values["n"] == pytest.approx(N, abs=1e-3 * b.errors["n"])
    # the same minimum to 1e-9 of an error (the two differ by rounding only)
    for k in ("n", "mu", "s"):
        assert b.values[k] == pytest.approx(a.values[k], abs=1e-9 * a.errors[k])
        # unchunked, HESSE reuses the forward differences (mu0 + h J: rounding eps |mu|
        # divided by h² with steps of 1e-3 errors): ~1e-5 relative; chunked, it does not
        assert b.errors[k] == pytest.approx(a.errors[k], rel=1e-4)
