"""Session 1: L2 weight decay as eigen-rescaling, checked against independent solvers."""

import numpy as np
import pytest
import scipy.linalg
import scipy.optimize
import torch
from hypothesis import given
from hypothesis import strategies as st
from sklearn.linear_model import Ridge

from helpers import random_psd
from reglab import l2


@pytest.mark.equation("7.13")
def test_shrink_factors_match_direct_solve_on_diagonal_hessian(rng):
    lam = np.array([0.01, 0.1, 1.0, 10.0, 100.0])
    alpha = 1.0
    w_star = rng.standard_normal(5)
    w_tilde = np.linalg.solve(np.diag(lam) + alpha * np.eye(5), np.diag(lam) @ w_star)  # (7.10)
    np.testing.assert_allclose(l2.shrink_factors(lam, alpha), w_tilde / w_star, rtol=1e-12)
    f = l2.shrink_factors(lam, alpha)
    assert f[-1] > 0.99 and f[0] < 0.01  # kept where lambda >> alpha, removed where lambda << alpha


def test_shrink_factor_edge_cases():
    np.testing.assert_array_equal(l2.shrink_factors([0.0, 2.0], 0.0), [0.0, 1.0])
    np.testing.assert_array_equal(l2.shrink_factors([0.0], 3.0), [0.0])
    assert l2.shrink_factors(5.0, 5.0) == pytest.approx(0.5)


@pytest.mark.equation("7.10", "7.13")
@given(st.integers(1, 6), st.floats(0.0, 50.0), st.integers(0, 2**32 - 1))
def test_eigen_rescale_equals_linear_solve_7_10(d, alpha, seed):
    rng = np.random.default_rng(seed)
    H = random_psd(rng, d)
    w_star = rng.standard_normal(d)
    expected = scipy.linalg.solve(H + alpha * np.eye(d), H @ w_star, assume_a="sym")
    np.testing.assert_allclose(l2.eigen_rescale(H, w_star, alpha), expected, rtol=1e-8, atol=1e-10)


@pytest.mark.equation("7.6", "7.10")
def test_eigen_rescale_minimizes_the_regularized_quadratic(rng):
    H = random_psd(rng, 4)
    w_star = rng.standard_normal(4)
    alpha = 0.7

    def objective(w):
        return 0.5 * (w - w_star) @ H @ (w - w_star) + 0.5 * alpha * w @ w

    res = scipy.optimize.minimize(objective, np.zeros(4), method="BFGS", options={"gtol": 1e-12})
    np.testing.assert_allclose(l2.eigen_rescale(H, w_star, alpha), res.x, atol=1e-6)


def test_eigen_rescale_singular_hessian_zeroes_flat_directions(rng):
    H = random_psd(rng, 4, rank=2)
    w_star = rng.standard_normal(4)
    w = l2.eigen_rescale(H, w_star, 0.3)
    lam, Q = np.linalg.eigh(H)
    flat = Q[:, np.abs(lam) < 1e-10]
    np.testing.assert_allclose(flat.T @ w, 0.0, atol=1e-10)
    # alpha = 0 on a singular H gives the minimum-norm minimizer: the projection onto range(H)
    np.testing.assert_allclose(l2.eigen_rescale(H, w_star, 0.0), np.linalg.pinv(H) @ H @ w_star, atol=1e-10)


@pytest.mark.equation("7.17")
@pytest.mark.parametrize("alpha", [0.0, 1e-3, 0.5, 10.0])
def test_ridge_matches_sklearn(rng, alpha):
    X = rng.standard_normal((40, 6))
    y = rng.standard_normal(40)
    ref = Ridge(alpha=alpha, fit_intercept=False, solver="svd").fit(X, y).coef_
    np.testing.assert_allclose(l2.ridge(X, y, alpha), ref, rtol=1e-9, atol=1e-12)


def test_ridge_multi_target_matches_sklearn(rng):
    X = rng.standard_normal((30, 4))
    Y = rng.standard_normal((30, 3))
    ref = Ridge(alpha=2.0, fit_intercept=False, solver="svd").fit(X, Y).coef_.T
    np.testing.assert_allclose(l2.ridge(X, Y, 2.0), ref, rtol=1e-9)


@pytest.mark.equation("7.16", "7.17", "7.13")
def test_ridge_equals_eigen_form_with_H_XtX(rng):
    """(7.17) and (7.13) agree with H = X^T X and w* the least-squares solution."""
    X = rng.standard_normal((50, 5))
    y = rng.standard_normal(50)
    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    for alpha in [0.0, 0.1, 3.0, 100.0]:
        np.testing.assert_allclose(l2.ridge(X, y, alpha), l2.eigen_rescale(X.T @ X, w_star, alpha), rtol=1e-8)


def test_ridge_is_stable_on_ill_conditioned_design(rng):
    """Near-collinear columns (cond(X) ~ 1e9): the stationarity condition still holds to round-off."""
    base = rng.standard_normal((100, 1))
    X = np.hstack([base, base + 1e-9 * rng.standard_normal((100, 1)), rng.standard_normal((100, 2))])
    y = rng.standard_normal(100)
    alpha = 1e-12
    w = l2.ridge(X, y, alpha)
    grad = X.T @ (X @ w - y) + alpha * w
    assert np.linalg.norm(grad) < 1e-6 * np.linalg.norm(X.T @ y)
    ref = scipy.linalg.lstsq(np.vstack([X, np.sqrt(alpha) * np.eye(4)]), np.r_[y, np.zeros(4)], lapack_driver="gelsy")[
        0
    ]
    np.testing.assert_allclose(X @ w, X @ ref, atol=1e-6)


def test_ridge_path_matches_individual_solves(rng):
    X = rng.standard_normal((60, 8))
    y = rng.standard_normal(60)
    alphas = np.geomspace(1e-3, 1e3, 25)
    path = l2.ridge_path(X, y, alphas)
    for a, w in zip(alphas, path):
        np.testing.assert_allclose(w, l2.ridge(X, y, a), rtol=1e-7, atol=1e-10)


@pytest.mark.equation("7.5")
def test_decay_factor_seed_practice_question():
    """Spec: eta = 0.1, lambda = 0.01 with penalty lambda ||w||^2 -> factor 1 - 2*eta*lambda = 0.998."""
    assert l2.decay_factor(0.1, 0.01, "full") == pytest.approx(0.998, abs=1e-15)
    assert l2.decay_factor(0.1, 0.02, "half") == pytest.approx(0.998, abs=1e-15)


@pytest.mark.equation("7.5")
@pytest.mark.parametrize(
    "convention,penalty", [("half", lambda w, s: 0.5 * s * w @ w), ("full", lambda w, s: s * w @ w)]
)
def test_decay_factor_equals_one_sgd_step_on_penalty(rng, convention, penalty):
    """One SGD step with zero data gradient, gradient taken by finite differences."""
    w = rng.standard_normal(3)
    lr, s = 0.1, 0.3
    grad = scipy.optimize.approx_fprime(w, lambda u: penalty(u, s), 1e-7)
    stepped = w - lr * grad
    np.testing.assert_allclose(stepped, l2.decay_factor(lr, s, convention) * w, rtol=1e-5)


def _quadratic_problem():
    A = np.diag([100.0, 1.0, 0.01])
    target = np.array([1.0, -2.0, 3.0])
    return A, target, (lambda w: A @ (w - target))


@pytest.mark.equation("adamw")
@pytest.mark.parametrize("mode", ["l2", "decoupled"])
def test_adam_matches_torch(mode):
    A, target, grad = _quadratic_problem()
    lr, wd, steps = 0.05, 0.1, 60
    w0 = np.array([0.5, 0.5, 0.5])
    ours = l2.adam(grad, w0, lr, steps, **({"l2": wd} if mode == "l2" else {"weight_decay": wd}))
    p = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    opt_cls = torch.optim.Adam if mode == "l2" else torch.optim.AdamW
    opt = opt_cls([p], lr=lr, weight_decay=wd, betas=(0.9, 0.999), eps=1e-8)
    At = torch.tensor(A)
    tt = torch.tensor(target)
    for t in range(steps):
        opt.zero_grad()
        loss = 0.5 * (p - tt) @ At @ (p - tt)
        loss.backward()
        opt.step()
        np.testing.assert_allclose(ours[t + 1], p.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.equation("adamw")
def test_l2_inside_adam_and_adamw_diverge():
    """Adam rescales the L2 gradient per coordinate; AdamW's decay is not rescaled: the endpoints differ."""
    A, target, grad = _quadratic_problem()
    w0 = np.zeros(3)
    a = l2.adam(grad, w0, 0.01, 3000, l2=0.5)[-1]
    b = l2.adam(grad, w0, 0.01, 3000, weight_decay=0.5)[-1]
    assert np.max(np.abs(a - b)) > 0.1
    # L2-inside-Adam converges to the true ridge minimum (A + 0.5 I)^-1 A target; AdamW does not.
    ridge_min = np.linalg.solve(A + 0.5 * np.eye(3), A @ target)
    np.testing.assert_allclose(a, ridge_min, atol=0.02)
    assert np.max(np.abs(b - ridge_min)) > 0.1


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: l2.shrink_factors([1.0], -1.0), "alpha must be >= 0"),
        (lambda: l2.shrink_factors([-1.0], 1.0), "eigvals must be >= 0"),
        (lambda: l2.eigen_rescale([[1.0, 2.0], [0.0, 1.0]], [1, 1], 1.0), "symmetric"),
        (lambda: l2.eigen_rescale([[1.0, 0.0], [0.0, -1.0]], [1, 1], 1.0), "positive semidefinite"),
        (lambda: l2.eigen_rescale(np.eye(2), [1, 1, 1], 1.0), "length"),
        (lambda: l2.eigen_rescale(np.ones((2, 3)), [1, 1], 1.0), "square"),
        (lambda: l2.ridge(np.ones((3, 2)), np.ones(4), 1.0), "rows"),
        (lambda: l2.ridge(np.ones((3, 2)), [1, np.nan, 1], 1.0), "NaN"),
        (lambda: l2.ridge("abc", [1], 1.0), "numeric"),
        (lambda: l2.ridge(np.ones((3, 2)), np.ones(3), "big"), "real number"),
        (lambda: l2.decay_factor(0.1, 0.01, "quarter"), "convention"),
        (lambda: l2.decay_factor(0.0, 0.01), "lr must be > 0"),
        (lambda: l2.ridge_path(np.ones((3, 2)), np.ones(3), [-1.0]), ">= 0"),
        (lambda: l2.adam(lambda w: w, [1.0], 0.1, 3, betas=(1.0, 0.9)), "betas"),
        (lambda: l2.adam(lambda w: np.ones(2), [1.0], 0.1, 3), "shape"),
        (lambda: l2.project_l2_ball(np.ones((2, 2)), 1.0), "max_norm projects each unit's column"),
        (lambda: l2.project_l2_ball([1.0, 2.0], -1.0), "radius must be >= 0, got -1. It is the largest norm"),
        (lambda: l2.max_norm(np.ones(3), 1.0), "for a single vector use project_l2_ball"),
        (lambda: l2.max_norm(np.ones((2, 2)), 0.0), "c must be > 0"),
        (lambda: l2.projected_gradient(lambda w: np.ones(3), [0.0, 0.0], 1.0, 0.1, 2), "shape"),
        (lambda: l2.projected_gradient(lambda w: w, [0.0, 0.0], 1.0, 0.0, 2), "lr must be > 0"),
        (lambda: l2.alpha_for_radius(np.eye(2), [1.0, 1.0], 0.0), "Only an infinitely strong penalty"),
        (lambda: l2.alpha_for_radius(np.eye(2), [1.0, 1.0, 1.0], 1.0), "length"),
    ],
)
def test_bad_inputs_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.equation("input-noise-ridge")
def test_input_noise_is_ridge_with_alpha_n_sigma_squared(rng):
    X, y = rng.standard_normal((60, 3)), rng.standard_normal(60)
    w, sigma = rng.standard_normal(3), 0.4
    draws = [
        np.sum((y - (X + sigma * np.random.default_rng(s).standard_normal(X.shape)) @ w) ** 2) for s in range(20000)
    ]
    expected = np.sum((y - X @ w) ** 2) + l2.input_noise_alpha(60, sigma) * w @ w
    assert np.mean(draws) == pytest.approx(expected, rel=5 * np.std(draws) / np.sqrt(20000) / expected + 1e-12)
    # least squares on many noisy copies approaches the ridge solution
    R = 2000
    Xa = np.vstack([X + sigma * np.random.default_rng(10_000 + r).standard_normal(X.shape) for r in range(R)])
    w_aug = np.linalg.lstsq(Xa, np.tile(y, R), rcond=None)[0]
    np.testing.assert_allclose(w_aug, l2.ridge(X, y, l2.input_noise_alpha(60, sigma)), atol=0.01)


@pytest.mark.equation("map-gaussian")
def test_map_with_gaussian_prior_is_ridge(rng):
    X, y = rng.standard_normal((40, 4)), rng.standard_normal(40)
    sigma, tau = 0.5, 2.0
    def neg_log_post(w):
        return np.sum((y - X @ w) ** 2) / (2 * sigma**2) + w @ w / (2 * tau**2)
    res = scipy.optimize.minimize(neg_log_post, np.zeros(4), method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(res.x, l2.ridge(X, y, sigma**2 / tau**2), atol=1e-6)


@pytest.mark.equation("lambda-reduction")
def test_mean_loss_lambda_is_sum_loss_lambda_over_n(rng):
    X, y = rng.standard_normal((500, 4)), rng.standard_normal(500)
    n, lam_sum = 500, 5.0
    def mean_obj(w):
        return np.mean((y - X @ w) ** 2) + lam_sum / n * w @ w
    res = scipy.optimize.minimize(mean_obj, np.zeros(4), method="BFGS", options={"gtol": 1e-12})
    np.testing.assert_allclose(res.x, l2.ridge(X, y, lam_sum), atol=1e-6)


def test_projection_max_norm_and_projected_gradient_on_small_cases(rng):
    w = rng.normal(size=5) * 3
    p = l2.project_l2_ball(w, 1.5)
    assert np.linalg.norm(p) == pytest.approx(1.5) and np.allclose(p / 1.5, w / np.linalg.norm(w))
    # the closest point of the ball: no sampled point of the ball is closer to w
    samples = rng.normal(size=(2000, 5))
    samples *= (1.5 * rng.uniform(size=(2000, 1)) ** 0.2) / np.linalg.norm(samples, axis=1, keepdims=True)
    assert np.linalg.norm(w - p) <= np.linalg.norm(w - samples, axis=1).min()
    inside = w / np.linalg.norm(w)
    np.testing.assert_array_equal(l2.project_l2_ball(inside, 1.5), inside)
    np.testing.assert_array_equal(l2.project_l2_ball(np.zeros(3), 0.0), np.zeros(3))
    W = rng.normal(size=(6, 4)) * np.array([0.1, 1.0, 2.0, 5.0])
    M = l2.max_norm(W, 2.5)
    for j in range(4):
        np.testing.assert_allclose(M[:, j], l2.project_l2_ball(W[:, j], 2.5), rtol=1e-15)
    np.testing.assert_array_equal(l2.max_norm(np.zeros((2, 3)), 1.0), np.zeros((2, 3)))
    path = l2.projected_gradient(lambda v: np.zeros(2), [3.0, 4.0], 1.0, 0.1, 3)
    np.testing.assert_allclose(path, [[0.6, 0.8]] * 4)  # w0 projected first; no gradient, no move


def test_alpha_for_radius_of_an_isotropic_quadratic_is_known_in_closed_form():
    # H = h I: w~(alpha) = h/(h + alpha) w*, so ||w~|| = k at alpha = h (||w*||/k - 1)
    for h, k in [(2.0, 1.0), (0.5, 0.1), (10.0, 4.9)]:
        assert l2.alpha_for_radius(h * np.eye(2), [3.0, 4.0], k) == pytest.approx(h * (5.0 / k - 1.0), rel=1e-12)
    assert l2.alpha_for_radius(np.eye(2), [3.0, 4.0], 5.0) == 0.0
    # a singular H: w~(0) is the minimum-norm minimizer, (3, 0) here, inside a ball of radius 3.5
    assert l2.alpha_for_radius(np.diag([1.0, 0.0]), [3.0, 4.0], 3.5) == 0.0
    assert l2.alpha_for_radius(np.diag([1.0, 0.0]), [3.0, 4.0], 1.0) == pytest.approx(2.0, rel=1e-12)
