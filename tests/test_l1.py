"""Session 2: soft-thresholding and the LASSO closed form, against other algorithms and scikit-learn."""

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given
from hypothesis import strategies as st
from sklearn.linear_model import ElasticNet, Lasso

from helpers import random_psd
from reglab import data, l1

finite = st.floats(-1e3, 1e3, allow_nan=False)


@pytest.mark.equation("7.23")
@given(finite, st.floats(0.0, 1e3))
def test_soft_threshold_two_cases(x, t):
    out = float(l1.soft_threshold(x, t))
    if abs(x) <= t:
        assert out == 0.0  # exactly zero, not merely small
    else:
        assert out == pytest.approx(x - np.sign(x) * t, abs=1e-9)
        assert np.sign(out) == np.sign(x)


@pytest.mark.equation("7.23")
@given(finite, st.floats(0.0, 100.0))
def test_soft_threshold_is_the_1d_l1_minimizer(x, t):
    """soft_threshold(x, t) = argmin_w 1/2 (w - x)^2 + t |w|, found by a bounded scalar search."""
    def f(w):
        return 0.5 * (w - x) ** 2 + t * abs(w)
    lo, hi = -abs(x) - 1, abs(x) + 1
    res = scipy.optimize.minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
    ours = float(l1.soft_threshold(x, t))
    assert f(ours) <= res.fun + 1e-9


@pytest.mark.equation("7.20")
def test_l1_subgradient():
    np.testing.assert_array_equal(l1.l1_subgradient([-2.0, 0.0, 3.0], 0.5), [-0.5, 0.0, 0.5])
    np.testing.assert_array_equal(l1.l1_subgradient([0.0], 2.0, at_zero=-1.0), [-2.0])
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        l1.l1_subgradient([0.0], 1.0, at_zero=2.0)


@pytest.mark.equation("7.23")
@pytest.mark.parametrize("alpha_sk", [0.001, 0.01, 0.05])
def test_lasso_diagonal_matches_sklearn_on_orthogonal_design(alpha_sk):
    """sklearn Lasso: (1/2n)||y - Xw||^2 + a||w||_1 = (1/n)[1/2 (w-w*)^T H (w-w*) + n a ||w||_1] + const."""
    n, d, s = 200, 30, 4.0
    X = data.orthogonal_design(n, d, rng=1, scale=s)
    rng = np.random.default_rng(2)
    y = X @ rng.standard_normal(d) * 0.3 + 0.1 * rng.standard_normal(n)
    w_star = X.T @ y / s
    ours = l1.lasso_diagonal(w_star, np.full(d, s), n * alpha_sk)
    ref = Lasso(alpha=alpha_sk, fit_intercept=False, tol=1e-14, max_iter=100_000).fit(X, y).coef_
    np.testing.assert_allclose(ours, ref, atol=1e-9)
    assert np.any(ours == 0.0)


@pytest.mark.equation("7.22", "7.23")
@given(st.integers(1, 6), st.floats(0.0, 5.0), st.integers(0, 2**32 - 1))
def test_lasso_quadratic_reduces_to_closed_form_for_diagonal_H(d, alpha, seed):
    rng = np.random.default_rng(seed)
    h = rng.uniform(0.1, 10.0, d)
    w_star = rng.standard_normal(d) * 2
    np.testing.assert_allclose(
        l1.lasso_quadratic(np.diag(h), w_star, alpha), l1.lasso_diagonal(w_star, h, alpha), atol=1e-12
    )


def _brute_force_lasso(H, w_star, alpha):
    """Independent exact solver: try every sign pattern s in {-1, 0, +1}^d, solve the KKT system
    H_SS w_S = (H w*)_S - alpha s_S on the support, keep the patterns whose signs and off-support
    subgradients are consistent, and return the one with the lowest objective."""
    import itertools

    d = len(w_star)
    b = H @ w_star
    def obj(w):
        return 0.5 * (w - w_star) @ H @ (w - w_star) + alpha * np.abs(w).sum()
    best, best_val = None, np.inf
    for s in itertools.product((-1, 0, 1), repeat=d):
        s = np.array(s, dtype=float)
        S = s != 0
        w = np.zeros(d)
        if S.any():
            w[S] = np.linalg.solve(H[np.ix_(S, S)], b[S] - alpha * s[S])
            if np.any(np.sign(w[S]) != s[S]):
                continue
        g = H @ (w - w_star)
        if np.any(np.abs(g[~S]) > alpha + 1e-9):
            continue
        if obj(w) < best_val:
            best, best_val = w, obj(w)
    return best, best_val


@given(st.integers(2, 5), st.floats(0.01, 3.0), st.integers(0, 2**32 - 1))
def test_lasso_quadratic_matches_brute_force_active_sets(d, alpha, seed):
    rng = np.random.default_rng(seed)
    H = random_psd(rng, d)
    w_star = rng.standard_normal(d) * 2
    w = l1.lasso_quadratic(H, w_star, alpha)
    ref, _ = _brute_force_lasso(H, w_star, alpha)
    np.testing.assert_allclose(w, ref, atol=1e-8)


def test_lasso_quadratic_satisfies_kkt_conditions(rng):
    H = random_psd(rng, 8)
    w_star = rng.standard_normal(8) * 2
    alpha = 0.8
    w, n_iter = l1.lasso_quadratic(H, w_star, alpha, return_n_iter=True)
    g = H @ (w - w_star)
    nz = w != 0
    np.testing.assert_allclose(g[nz], -alpha * np.sign(w[nz]), atol=1e-8)  # stationarity off zero
    assert np.all(np.abs(g[~nz]) <= alpha + 1e-8)  # 0 in subdifferential at zero
    assert n_iter >= 1


@pytest.mark.equation("lasso-correlated")
def test_closed_form_breaks_with_correlated_features():
    """With off-diagonal H, applying (7.23) coordinatewise is no longer the minimizer."""
    rho = 0.9
    H = np.array([[1.0, rho], [rho, 1.0]])
    w_star = np.array([1.0, 0.8])
    alpha = 0.3
    exact = l1.lasso_quadratic(H, w_star, alpha)
    naive = l1.lasso_diagonal(w_star, np.diag(H), alpha)
    def obj(w):
        return 0.5 * (w - w_star) @ H @ (w - w_star) + alpha * np.abs(w).sum()
    assert np.max(np.abs(exact - naive)) > 0.1
    assert obj(exact) < obj(naive) - 1e-3
    # ...and on a rotated (decorrelated) basis it is exact again: rho -> 0
    H0 = np.eye(2)
    np.testing.assert_allclose(
        l1.lasso_quadratic(H0, w_star, alpha), l1.lasso_diagonal(w_star, np.ones(2), alpha), atol=1e-12
    )


def test_lasso_and_elastic_net_match_sklearn():
    X, y, _ = data.correlated_regression(n=80, d=6, rho=0.6, rng=3)
    n = len(y)
    for a in [0.01, 0.1]:
        ref = Lasso(alpha=a, fit_intercept=False, tol=1e-14, max_iter=200_000).fit(X, y).coef_
        np.testing.assert_allclose(l1.lasso(X, y, n * a), ref, atol=1e-7)
        for r in [0.2, 0.7]:
            ref = ElasticNet(alpha=a, l1_ratio=r, fit_intercept=False, tol=1e-14, max_iter=200_000).fit(X, y).coef_
            np.testing.assert_allclose(l1.elastic_net(X, y, n * a * r, n * a * (1 - r)), ref, atol=1e-7)


@pytest.mark.equation("elastic-net-grouping")
def test_elastic_net_grouping_effect():
    """LASSO drops members of a near-duplicate group; elastic net spreads weight over all of them."""
    X, y, group = data.grouped_features(n=200, group_size=4, within_corr=0.9999, rng=0)
    w_lasso = l1.lasso(X, y, 50.0)
    w_enet = l1.elastic_net(X, y, 50.0, 500.0)
    assert np.sum(w_lasso[group] != 0) == 1  # one member picked, the rest exactly 0
    assert np.all(w_enet[group] > 0)
    assert np.std(w_enet[group]) < 0.1 * np.mean(w_enet[group])


def test_sparsity_grows_with_alpha():
    X, y, _ = data.correlated_regression(n=100, d=10, rho=0.3, rng=4)
    zeros = [np.sum(l1.lasso(X, y, a) == 0) for a in [0.1, 10.0, 50.0, 1e4]]
    assert zeros == sorted(zeros) and zeros[-1] == 10 and zeros[0] < 10


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: l1.soft_threshold([1.0], -0.1), "t must be >= 0"),
        (lambda: l1.lasso_diagonal([1.0, 2.0], [1.0, 0.0], 1.0), "h_diag must be > 0"),
        (lambda: l1.lasso_diagonal([1.0, 2.0], [1.0], 1.0), "shape"),
        (lambda: l1.lasso_diagonal([1.0], [1.0], -1.0), "alpha must be >= 0"),
        (lambda: l1.lasso_quadratic([[1.0, 2.0], [2.0, 1.0]], [1.0, 1.0], 1.0), "positive semidefinite"),
        (lambda: l1.lasso_quadratic(np.eye(2), [1.0], 1.0), "length"),
        (lambda: l1.elastic_net(np.ones((3, 2)), np.ones(2), 1.0), "rows"),
        (lambda: l1.lasso_quadratic(np.eye(2), [1.0, 1.0], 1.0, tol=0), "tol must be > 0"),
        (lambda: l1.group_soft_threshold([1.0, 2.0], 1.0), "W must be 2-D"),
        (lambda: l1.group_soft_threshold([[1.0, 2.0]], -1.0), "t must be >= 0"),
        (lambda: l1.group_soft_threshold([[1.0], [2.0]], [1.0, 1.0, 1.0]), "one per row"),
        (lambda: l1.group_lasso(np.ones((3, 2)), np.ones((2, 1)), 1.0), "rows"),
        (lambda: l1.group_lasso(np.array([[1.0, 0.0], [2.0, 0.0]]), np.ones((2, 1)), 1.0), "all zero"),
        (lambda: l1.group_lasso(np.eye(2), np.ones((2, 1)), -1.0), "alpha must be >= 0"),
    ],
)
def test_bad_inputs_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_non_convergence_is_reported():
    H = np.array([[1.0, 0.999], [0.999, 1.0]])
    with pytest.raises(RuntimeError, match="did not reach"):
        l1.lasso_quadratic(H, [1.0, 1.0], 0.01, max_iter=2)


def test_group_lasso_with_one_output_is_the_lasso_and_zeroes_rows_as_wholes():
    X, y, _ = data.correlated_regression(n=60, d=6, rho=0.5, rng=7)
    for a in (1.0, 20.0):
        np.testing.assert_allclose(l1.group_lasso(X, y[:, None], a)[:, 0], l1.lasso(X, y, a), atol=1e-8)
    Y = np.column_stack([y, 2 * y + 0.1 * np.random.default_rng(7).normal(size=60)])
    W = l1.group_lasso(X, Y, 40.0)
    assert np.all((W == 0).all(axis=1) == (W == 0).any(axis=1)) and 0 < np.sum((W == 0).all(axis=1)) < 6
    with pytest.raises(RuntimeError, match="did not reach"):
        l1.group_lasso(X, Y, 1.0, max_iter=1)
