"""least_squares against scipy.optimize.least_squares and known minima.

A grid: methods × problems × losses × bounds × Jacobian options, each compared with scipy
on the same problem; hypothesis properties of linear models; bad input.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds
from scipy.optimize import least_squares as scipy_lsq

from thetahat import OptimizeResult, least_squares

# ---------------------------------------------------------------- problems (MGH and fits)
T = np.linspace(0, 4, 11)
Y = 2.5 * np.exp(-1.3 * T) + 0.05 * np.random.default_rng(1).normal(size=T.size)
Y[3] += 1.0  # one outlier, so robust losses matter


def rosenbrock(x):
    return np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]])


def decay(p):
    return p[0] * np.exp(-p[1] * T) - Y


def beale(x):
    y = np.array([1.5, 2.25, 2.625])
    i = np.arange(1, 4)
    return y - x[0] * (1 - x[1] ** i)


def powell_singular(x):
    return np.array([x[0] + 10 * x[1], np.sqrt(5) * (x[2] - x[3]), (x[1] - 2 * x[2]) ** 2,
                     np.sqrt(10) * (x[0] - x[3]) ** 2])


def brown_badly_scaled(x):
    return np.array([x[0] - 1e6, x[1] - 2e-6, x[0] * x[1] - 2])


def freudenstein_roth(x):
    return np.array([-13 + x[0] + ((5 - x[1]) * x[1] - 2) * x[1],
                     -29 + x[0] + ((x[1] + 1) * x[1] - 14) * x[1]])


# name: (fun, x0, bounds for the bounded variant (active at the solution))
PROBLEMS = {
    "rosenbrock": (rosenbrock, [-1.2, 1.0], ([-2, -2], [0.5, 2])),
    "decay": (decay, [1.0, 1.0], ([0, 0.5], [10, 1.2])),
    "beale": (beale, [1.0, 1.0], ([0, 0], [2.5, 1])),
    "powell_singular": (powell_singular, [3.0, -1.0, 0.0, 1.0], ([1, -2, -1, -1], [4, 2, 1, 2])),
    "brown_badly_scaled": (brown_badly_scaled, [1.0, 1.0], ([0, 0], [1e5, 1])),
    "freudenstein_roth": (freudenstein_roth, [0.5, -2.0], ([0, -3], [20, 3.9])),
}


def _compare(r, s, atol=1e-7):
    """Agreement with scipy: costs to 1e-6 relative (both stop at ftol 1e-8 in F) and x to
    1e-4 relative of its scale (sqrt of the cost tolerance, STYLE: solve 1e-8, assert 1e-4)."""
    assert r.cost <= s.cost * (1 + 1e-6) + 1e-12, (r.cost, s.cost)
    if abs(r.cost - s.cost) <= 1e-6 * s.cost + 1e-12:
        scale = np.maximum(np.abs(s.x), 1e-2 * np.max(np.abs(s.x)))
        np.testing.assert_array_less(np.abs(r.x - s.x), 1e-4 * scale + atol)


LOSSES = ["linear", "soft_l1", "huber", "cauchy", "arctan"]


@pytest.mark.parametrize("name", list(PROBLEMS))
@pytest.mark.parametrize("method", ["trf", "dogbox"])
@pytest.mark.parametrize("bounded", [False, True], ids=["free", "bounded"])
@pytest.mark.parametrize("loss", LOSSES)
def test_grid_against_scipy(name, method, bounded, loss):
    fun, x0, bounds = PROBLEMS[name]
    if name in ("powell_singular", "brown_badly_scaled") and loss != "linear":
        pytest.skip("residuals >> f_scale or a zero-residual singular minimum: the robust "
                    "cost is flat, minima are not unique")
    if name == "freudenstein_roth" and loss != "linear":
        pytest.skip("robust Freudenstein-Roth crawls along a flat valley: neither solver "
                    "converges within 100 n evaluations, nothing to compare")
    kw = dict(method=method, loss=loss, f_scale=0.5)
    if bounded:
        kw["bounds"] = bounds
    r = least_squares(fun, x0, **kw)
    s = scipy_lsq(fun, x0, **kw)
    assert r.success or not s.success  # where scipy converges, so do we
    # Powell's singular minimum x* = 0: x converges like cost^(1/4); both stop near 1e-4
    _compare(r, s, atol=1e-3 if name == "powell_singular" else 1e-7)


@pytest.mark.parametrize("name", list(PROBLEMS))
@pytest.mark.parametrize("jac", ["2-point", "3-point", "cs"])
@pytest.mark.parametrize("method", ["trf", "dogbox", "lm"])
def test_jacobian_options(name, jac, method):
    fun, x0, _ = PROBLEMS[name]
    r = least_squares(fun, x0, jac=jac, method=method)
    with warnings.catch_warnings():
        # scipy < 1.16 warns that lm uses '2-point' whatever jac says; the reference's notice
        warnings.filterwarnings("ignore", "jac=.* works equivalently", UserWarning)
        s = scipy_lsq(fun, x0, jac=jac, method=method)
    assert r.success
    # Powell's singular minimum x* = 0: x converges like cost^(1/4); both stop near 1e-4
    _compare(r, s, atol=1e-3 if name == "powell_singular" else 1e-7)


def test_known_minima():
    # closed-form minima: Rosenbrock (1, 1), Beale (3, 0.5), Brown (1e6, 2e-6), all zero cost
    for name, xstar in [("rosenbrock", [1, 1]), ("beale", [3, 0.5]),
                        ("brown_badly_scaled", [1e6, 2e-6])]:
        fun, x0, _ = PROBLEMS[name]
        r = least_squares(fun, x0, ftol=1e-12, xtol=1e-12, gtol=1e-12)
        np.testing.assert_allclose(r.x, xstar, rtol=1e-8)  # zero residual: quadratic convergence
        assert r.cost < 1e-20


def test_callable_jacobian_and_args_kwargs():
    def fun(p, t, y, scale=1.0):
        return scale * (p[0] * np.exp(-p[1] * t) - y)

    def jac(p, t, y, scale=1.0):
        e = np.exp(-p[1] * t)
        return scale * np.column_stack([e, -p[0] * t * e])

    r = least_squares(fun, [1, 1], jac=jac, args=(T, Y), kwargs={"scale": 2.0})
    s = scipy_lsq(fun, [1, 1], jac=jac, args=(T, Y), kwargs={"scale": 2.0})
    _compare(r, s)
    assert r.njev >= 1


def test_result_fields_match_scipy():
    fun, x0, bounds = PROBLEMS["rosenbrock"]
    r = least_squares(fun, x0, bounds=bounds, loss="soft_l1")
    s = scipy_lsq(fun, x0, bounds=bounds, loss="soft_l1")
    assert isinstance(r, OptimizeResult)
    for key in ["x", "cost", "fun", "jac", "grad", "optimality", "active_mask", "nfev", "njev",
                "status", "message", "success"]:
        assert key in r
    assert r.active_mask.tolist() == s.active_mask.astype(int).tolist() == [1, 0]
    assert r.jac.shape == (2, 2) and r.grad.shape == (2,)
    # grad is the gradient of the cost: Jᵀ (ρ' f), compare to scipy at the same optimum
    np.testing.assert_allclose(r.grad, s.grad, rtol=1e-3, atol=1e-6)  # 1e-4-level x agreement
    np.testing.assert_allclose(r.fun, fun(r.x), rtol=0, atol=0)  # residuals at x, exactly


def test_bounds_object_and_scalar_bounds():
    r1 = least_squares(decay, [1, 1], bounds=Bounds([0, 0.5], [10, 1.2]))
    r2 = least_squares(decay, [1, 1], bounds=([0, 0.5], [10, 1.2]))
    r3 = least_squares(decay, [1, 1], bounds=(0.5, [10, 1.2]))
    np.testing.assert_array_equal(r1.x, r2.x)  # same problem, same path
    np.testing.assert_allclose(r3.x, r2.x, rtol=1e-6)  # lb[0] = 0.5 is inactive at the minimum


def test_scalar_x0_and_scalar_residual():
    r = least_squares(lambda x: x[0] ** 2 - 2.0, 1.0)
    assert r.x.shape == (1,)
    np.testing.assert_allclose(r.x, [np.sqrt(2)], rtol=1e-8)  # zero residual, Newton-fast


@pytest.mark.parametrize("method", ["trf", "dogbox"])
def test_x_scale(method):
    fun, x0, _ = PROBLEMS["brown_badly_scaled"]
    for xs in ["jac", [1e6, 1e-6]]:
        r = least_squares(fun, x0, x_scale=xs, method=method)
        s = scipy_lsq(fun, x0, x_scale=xs, method=method)
        _compare(r, s)


def test_callable_loss_equals_named_loss():
    def cauchy(z):
        return np.vstack([np.log1p(z), 1 / (1 + z), -1 / (1 + z) ** 2])

    r1 = least_squares(decay, [1, 1], loss=cauchy, f_scale=0.3)
    r2 = least_squares(decay, [1, 1], loss="cauchy", f_scale=0.3)
    np.testing.assert_allclose(r1.x, r2.x, rtol=1e-12)  # same arithmetic up to rounding
    assert r1.cost == pytest.approx(r2.cost, rel=1e-12)


def test_max_nfev_status_zero():
    r = least_squares(rosenbrock, [-1.2, 1.0], max_nfev=3)
    assert r.status == 0 and not r.success and r.nfev <= 3


@pytest.mark.parametrize("method", ["trf", "dogbox"])
def test_callback_intermediate_result_and_stop(method):
    seen = []

    def cb(intermediate_result):
        seen.append(intermediate_result.cost)
        if len(seen) == 2:
            raise StopIteration

    r = least_squares(rosenbrock, [-1.2, 1.0], method=method, callback=cb)
    assert r.status == -2 and len(seen) == 2 and not r.success
    assert seen[1] == r.cost

    xs = []
    r = least_squares(rosenbrock, [-1.2, 1.0], method=method,
                      callback=lambda x: xs.append(x) or len(xs) == 3)
    assert r.status == -2 and len(xs) == 3
    np.testing.assert_array_equal(xs[-1], r.x)


def test_verbose_output(capsys):
    least_squares(rosenbrock, [-1.2, 1.0], verbose=1)
    out = capsys.readouterr().out
    assert "termination condition" in out and "Function evaluations" in out
    least_squares(rosenbrock, [-1.2, 1.0], verbose=2, method="dogbox")
    out = capsys.readouterr().out
    assert "Iteration" in out and "Optimality" in out and len(out.splitlines()) > 5


def test_tolerances_none_disable_conditions():
    r = least_squares(rosenbrock, [-1.2, 1.0], ftol=None, xtol=None)
    assert r.status == 1


def test_lm_matches_scipy():
    for name in ["rosenbrock", "decay", "beale", "freudenstein_roth"]:
        fun, x0, _ = PROBLEMS[name]
        r = least_squares(fun, x0, method="lm")
        s = scipy_lsq(fun, x0, method="lm")
        _compare(r, s)
        assert r.active_mask.tolist() == [0] * len(x0)


# ---------------------------------------------------------------- properties
@st.composite
def linear_problems(draw):
    seed = draw(st.integers(0, 2 ** 31))
    m = draw(st.integers(3, 15))
    n = draw(st.integers(1, min(4, m - 2)))
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(m, n)) + np.eye(m, n) * 3  # well conditioned (cond < ~20)
    b = rng.normal(size=m) * draw(st.sampled_from([1e-3, 1.0, 1e3]))
    return A, b


@settings(max_examples=25, deadline=None)
@given(linear_problems(), st.sampled_from(["trf", "dogbox"]))
def test_linear_model_is_solved_like_lstsq(problem, method):
    A, b = problem
    xe = np.linalg.lstsq(A, b, rcond=None)[0]
    r = least_squares(lambda x: A @ x - b, np.zeros(A.shape[1]), jac=lambda x: A, method=method)
    # exact Jacobian: the first Gauss-Newton step solves it to rounding (cond(A) eps |x|)
    np.testing.assert_allclose(r.x, xe, rtol=0, atol=1e-10 * max(1.0, np.max(np.abs(xe))))


@settings(max_examples=15, deadline=None)
@given(linear_problems(), st.floats(1e-3, 1e3))
def test_scaling_y_scales_linear_coefficients(problem, c):
    A, b = problem
    r1 = least_squares(lambda x: A @ x - b, np.zeros(A.shape[1]), jac=lambda x: A)
    rc = least_squares(lambda x: A @ x - c * b, np.zeros(A.shape[1]), jac=lambda x: A)
    # both solved to rounding: relative agreement ~1e-10 of the coefficient scale
    np.testing.assert_allclose(rc.x, c * r1.x, rtol=0,
                               atol=1e-10 * c * max(1.0, np.max(np.abs(r1.x))))


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2 ** 31))
def test_permuting_data_leaves_solution_unchanged(seed):
    perm = np.random.default_rng(seed).permutation(T.size)
    t, y = T[perm], Y[perm]
    r0 = least_squares(decay, [1, 1], ftol=1e-12, xtol=1e-12, gtol=1e-12)
    r1 = least_squares(lambda p: p[0] * np.exp(-p[1] * t) - y, [1, 1], ftol=1e-12, xtol=1e-12,
                       gtol=1e-12)
    # same minimum; sums in another order differ by rounding only: 1e-8 relative
    np.testing.assert_allclose(r1.x, r0.x, rtol=1e-8)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("kw, exc, match", [
    ({"x0": [1.0, np.nan]}, ValueError, r"x0\[1\]"),
    ({"x0": [[1.0, 2.0]]}, ValueError, "x0 must have at most 1 dimension"),
    ({"method": "newton"}, ValueError, "method must be one of"),
    ({"loss": "l2"}, ValueError, "loss must be one of"),
    ({"jac": "4-point"}, ValueError, "jac must be one of"),
    ({"bounds": ([0, 2], [1, 2])}, ValueError, r"index 1 has lb=2.0, ub=2.0"),
    ({"bounds": ([0, 0], [1, 1])}, ValueError, "x0 is infeasible"),
    ({"bounds": ([0, 0, 0], [1, 1, 1])}, ValueError, "bounds"),
    ({"method": "lm", "bounds": ([-5, -5], [5, 5])}, ValueError, "'lm' does not support bounds"),
    ({"method": "lm", "loss": "huber"}, ValueError, "only loss='linear'"),
    ({"x_scale": [1.0, 0.0]}, ValueError, r"x_scale\[1\]"),
    ({"x_scale": "auto"}, ValueError, "x_scale"),
    ({"f_scale": 0.0}, ValueError, "f_scale"),
    ({"max_nfev": 0}, ValueError, "max_nfev"),
    ({"ftol": -1.0}, ValueError, "ftol"),
    ({"ftol": None, "xtol": None, "gtol": None}, ValueError, "at least one of"),
    ({"verbose": 3}, ValueError, "verbose"),
])
def test_bad_input(kw, exc, match):
    args = {"fun": rosenbrock, "x0": [-1.2, 1.0]}
    args.update(kw)
    with pytest.raises(exc, match=match):
        least_squares(**args)


def test_bad_residuals():
    with pytest.raises(ValueError, match="at most 1-d"):
        least_squares(lambda x: np.ones((2, 2)), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"not finite .* fun\(x0\)\[1\]"):
        least_squares(lambda x: np.array([1.0, np.inf]), [1.0])
    with pytest.raises(ValueError, match="m=1 residuals < n=2"):
        least_squares(lambda x: np.array([x[0] + x[1]]), [1.0, 2.0], method="lm")
    with pytest.raises(ValueError, match=r"jac returned shape \(2, 3\)"):
        least_squares(rosenbrock, [1.0, 2.0], jac=lambda x: np.ones((2, 3)))


@pytest.mark.parametrize("method", ["trf", "dogbox"])
def test_start_on_a_corner_of_the_box(method):
    # regression: a start at the bounds gave a trust region of ~1e-10 that never grew
    def fun(x):
        return np.array([x[0] - 2, x[1] + 1])

    r = least_squares(fun, [0.0, 0.0], bounds=([0, 0], [1, 1]), method=method)
    s = scipy_lsq(fun, [0.0, 0.0], bounds=([0, 0], [1, 1]), method=method)
    np.testing.assert_allclose(r.x, [1, 0], atol=1e-9)  # the corner (1, 0), to xtol
    assert r.active_mask.tolist() == [1, -1] and r.success
    assert r.nfev <= 2 * s.nfev  # no crawl


@pytest.mark.parametrize("method", ["trf", "dogbox"])
def test_noisy_residuals_terminate(method):
    # residuals rounded to float32 (noise ~1e-7 relative) with a difference step fit for
    # them (sqrt of float32 eps): the solve must end on a tolerance, not at max_nfev, even
    # with tolerances far below the noise
    def noisy(p):
        return decay(p).astype(np.float32).astype(float)

    r = least_squares(noisy, [1.0, 1.0], method=method, diff_step=3e-4,
                      ftol=1e-15, xtol=1e-15, gtol=1e-15)
    exact = least_squares(decay, [1.0, 1.0], method=method, jac="cs")
    assert r.status > 0
    # FD truncation ~3e-4 relative in J and noise ~1e-7 / 3e-4: ~1e-3 relative in x
    np.testing.assert_allclose(r.x, exact.x, rtol=5e-3)


@pytest.mark.parametrize("method", ["trf", "dogbox"])
def test_non_finite_residuals_away_from_start_shrink_the_step(method):
    def fun(p):
        return np.full(T.size, np.nan) if p[1] > 3 else decay(p)

    r = least_squares(fun, [10.0, 2.9], method=method)
    s = scipy_lsq(decay, [10.0, 2.9], method=method)
    assert r.success
    np.testing.assert_allclose(r.x, s.x, rtol=1e-6)  # same minimum, solved to ~1e-8


def test_diff_step_sparse_jac_and_lm_njev():
    from scipy.sparse import csr_array

    r1 = least_squares(decay, [1, 1], diff_step=1e-6)
    r2 = least_squares(decay, [1, 1], jac=lambda p: csr_array(
        np.column_stack([np.exp(-p[1] * T), -p[0] * T * np.exp(-p[1] * T)])))
    # relative step 1e-6: truncation error ~1e-6 in J, the minimum moves by ~1e-7
    np.testing.assert_allclose(r1.x, r2.x, rtol=1e-6)
    assert least_squares(decay, [1, 1], method="lm").njev is None  # scipy: FD in lm


# ---------------------------------------------------------------- NIST StRD with 'trf'
@pytest.mark.parametrize("label, opts, each, mean", [
    ("default", {}, 4.0, 7.0),
    ("tight", {"ftol": 1e-15, "xtol": 1e-15, "gtol": 1e-15}, 6.0, 8.5),
])
def test_nist_digits_trf(label, opts, each, mean):
    """The bars of issue 2 for 'trf' with forward differences (tests/test_nist.py holds
    them for 'lm'); scipy's trf scores about 6.4 / 7.2 on average and fails MGH17."""
    import warnings

    import nist_problems as nist
    scores = {}
    for name in nist.NAMES:
        p = nist.load(name)
        for k in (0, 1):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # exp overflow far from the fit
                r = least_squares(p.residuals, p.starts[k], **opts)
            scores[(name, k)] = float(nist.lre(r.x, p.certified).min())
    worst = min(scores, key=scores.get)
    assert scores[worst] >= each, (label, worst, scores[worst])
    assert np.mean(list(scores.values())) >= mean, (label, np.mean(list(scores.values())))


# ---------------------------------------------------------------- scipy's remaining arguments
def _broyden_tridiagonal(x):
    """Moré-Garbow-Hillstrom problem 30: a tridiagonal Jacobian, zero residual at the root."""
    f = (3 - 2 * x) * x + 1
    f[1:] -= x[:-1]
    f[:-1] -= 2 * x[1:]
    return f


def _tridiagonal_pattern(n):
    i = np.arange(n)
    return np.abs(i[:, None] - i[None, :]) <= 1


@pytest.mark.parametrize("jac", ["2-point", "3-point"])
def test_jac_sparsity_groups_columns_and_agrees_with_scipy(jac):
    n = 30
    x0 = -np.ones(n)
    S = _tridiagonal_pattern(n)
    counts = {}
    for label, kw in (("dense", {}), ("sparse", {"jac_sparsity": S})):
        calls = [0]

        def f(x, calls=calls):
            calls[0] += 1
            return _broyden_tridiagonal(x)

        r = least_squares(f, x0, jac=jac, **kw)
        counts[label] = calls[0]
        assert r.success and r.jac.shape == (n, n)
    s = scipy_lsq(_broyden_tridiagonal, x0, jac=jac, jac_sparsity=S)
    r = least_squares(_broyden_tridiagonal, x0, jac=jac, jac_sparsity=S)
    # a zero-residual root solved to the difference Jacobian's accuracy on both sides
    np.testing.assert_allclose(r.x, s.x, rtol=0, atol=1e-8)
    # three groups instead of 30 columns: each Jacobian costs 3 (or 6) calls, not 30 (60)
    assert counts["sparse"] * 4 < counts["dense"]


def test_column_groups_are_structurally_orthogonal():
    from thetahat.derivatives.jacobian import column_groups

    S = _tridiagonal_pattern(10)
    groups = column_groups(S)
    assert len(groups) == 3  # a tridiagonal pattern needs exactly three colours
    assert sorted(np.concatenate(groups).tolist()) == list(range(10))
    for g in groups:
        assert S[:, g].sum(axis=1).max() <= 1  # no row shared within a group


def test_tr_solver_and_options_are_accepted_and_checked():
    ref = least_squares(decay, [1, 1])
    for kw in ({"tr_solver": "exact"}, {"tr_solver": "lsmr", "tr_options": {"regularize": True}}):
        r = least_squares(decay, [1, 1], **kw)
        np.testing.assert_array_equal(r.x, ref.x)  # dense problems: the same exact solve
    with pytest.raises(ValueError, match="tr_solver"):
        least_squares(decay, [1, 1], tr_solver="cg")
    with pytest.raises(TypeError, match="tr_options"):
        least_squares(decay, [1, 1], tr_options=[1])
    with pytest.raises(ValueError, match=r"jac_sparsity must have shape \(m, n\)"):
        least_squares(decay, [1, 1], jac_sparsity=np.ones((3, 2)))
    with pytest.raises(ValueError, match="jac_sparsity"):
        least_squares(decay, [1, 1], method="lm", jac_sparsity=np.ones((T.size, 2)))


def test_positional_arguments_in_scipys_order():
    import inspect

    from scipy.optimize import curve_fit as scipy_curve_fit

    from thetahat import curve_fit

    for ours, theirs in ((least_squares, scipy_lsq), (curve_fit, scipy_curve_fit)):
        a, b = ([k for k, v in inspect.signature(fn).parameters.items()
                 if v.kind is not v.VAR_KEYWORD] for fn in (ours, theirs))
        n = min(len(a), len(b))  # an older scipy lacks the newest trailing ones (callback)
        assert a[:n] == b[:n], (a, b)  # a positional call means the same on both sides
