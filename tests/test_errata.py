"""The numbers behind the course's corrected claims, each against an independent computation."""

import numpy as np
import pytest
import scipy.optimize

from reglab import augmentation, data, dropout, early_stopping, ensembles, l1, l2, overfitting

# ---------------------------------------------------------------------------- session 0


@pytest.mark.equation("min-norm-limit")
def test_fit_polynomial_minimizes_its_documented_objective():
    x, y = data.polynomial_data(10, noise=0.3, rng=0)
    for penalize_bias in (False, True):
        coef = overfitting.fit_polynomial(x, y, 9, alpha=1e-2, penalize_bias=penalize_bias)
        res = scipy.optimize.minimize(
            lambda c: overfitting.polynomial_objective(c, x, y, 1e-2, penalize_bias=penalize_bias),
            np.zeros(10), method="BFGS", options={"gtol": 1e-12, "maxiter": 10_000},
        )
        obj = overfitting.polynomial_objective(coef, x, y, 1e-2, penalize_bias=penalize_bias)
        assert obj <= res.fun + 1e-9
    # the summed convention: the book's (alpha/2)||w||^2 with the same J has twice this alpha
    coef = overfitting.fit_polynomial(x, y, 9, alpha=0.5, penalize_bias=True)
    A = overfitting.poly_features(x, 9)
    np.testing.assert_allclose(coef, np.linalg.solve(A.T @ A + 0.5 * np.eye(10), A.T @ y), rtol=1e-8)


@pytest.mark.equation("min-norm-limit")
def test_min_norm_interpolant_is_the_ridge_limit_only_with_the_bias_penalized():
    """Erratum 9: with the bias free the alpha -> 0+ limit is another interpolant (0.07 apart at degree 10)."""
    x, y = data.polynomial_data(10, noise=0.3, rng=0)
    A = overfitting.poly_features(x, 10)
    with_bias = overfitting.min_norm_interpolant(x, y, 10, penalize_bias=True)
    free_bias = overfitting.min_norm_interpolant(x, y, 10, penalize_bias=False)
    np.testing.assert_allclose(with_bias, np.linalg.lstsq(A, y, rcond=None)[0], atol=1e-9)
    for w in (with_bias, free_bias):
        np.testing.assert_allclose(A @ w, y, atol=1e-9)  # both interpolate
    np.testing.assert_allclose(overfitting.fit_polynomial(x, y, 10, 1e-10, penalize_bias=True), with_bias, atol=1e-5)
    np.testing.assert_allclose(overfitting.fit_polynomial(x, y, 10, 1e-10, penalize_bias=False), free_bias, atol=1e-5)
    gap = np.abs(free_bias - with_bias).max()
    assert 0.06 < gap < 0.08
    assert np.linalg.norm(free_bias[1:]) <= np.linalg.norm(with_bias[1:])


@pytest.mark.equation("l2-basis")
def test_the_same_alpha_penalizes_legendre_and_monomial_coefficients_differently():
    """Session 0: fit_polynomial's alpha penalizes Legendre coefficients; PolynomialFeatures + Ridge, monomials."""
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures

    x, y = data.polynomial_data(10, noise=0.3, rng=0)
    grid = np.linspace(-1, 1, 400)
    free = np.diag([0.0] + [1.0] * 9)  # the constant is free in both: fit_polynomial's bias, Ridge's intercept

    def ridge_in(vander, alpha):  # sum of squared errors + alpha ||w_1:||^2, by its normal equations
        A = vander(x)
        return vander(grid) @ np.linalg.solve(A.T @ A + alpha * free, A.T @ y)

    def legendre(z):
        return np.polynomial.legendre.legvander(z, 9)

    def monomial(z):
        return np.vander(z, 10, increasing=True)

    gaps = {}
    for alpha in (1e-4, 1e-2, 1.0):
        leg = ridge_in(legendre, alpha)
        np.testing.assert_allclose(overfitting.predict_polynomial(overfitting.fit_polynomial(x, y, 9, alpha), grid),
                                   leg, atol=1e-8)
        mono = ridge_in(monomial, alpha)
        gaps[alpha] = np.abs(leg - mono).max()
        if alpha >= 1e-2:  # scikit-learn's pipeline is the monomial ridge (its intercept is the free constant)
            pipe = make_pipeline(PolynomialFeatures(9, include_bias=False), Ridge(alpha=alpha)).fit(x[:, None], y)
            np.testing.assert_allclose(pipe.predict(grid[:, None]), mono, atol=1e-6)
    # without a penalty the basis changes nothing: ten points, degree 9, one interpolating polynomial
    same = np.abs(np.polynomial.legendre.legval(grid, np.linalg.solve(legendre(x), y))
                  - np.polyval(np.linalg.solve(monomial(x), y)[::-1], grid)).max()
    assert same < 1e-6
    assert all(gap > 0.05 for gap in gaps.values())  # with one, the same alpha gives another fit
    assert gaps[1e-2] > 0.1


@pytest.mark.equation("per-example-l1")
def test_per_example_l1_penalty_and_its_subgradient():
    """Session 0's conventions table: (lambda/m) ||W||_1 over the weights, gradient (lambda/m) sign(W)."""
    rng = np.random.default_rng(0)
    Ws = [rng.normal(size=(4, 3)), rng.normal(size=(3, 2))]
    Ws[0][1, 2] = Ws[1][0, 1] = 0.0
    lam, m = 0.3, 20
    flat = np.concatenate([W.ravel() for W in Ws])
    value = overfitting.l1_penalty(Ws, lam, m)
    assert value == pytest.approx(lam / m * np.abs(flat).sum(), rel=1e-12)
    assert overfitting.l1_penalty(Ws[0], lam) == pytest.approx(lam * np.abs(Ws[0]).sum())  # m=None: lambda ||w||_1
    grad = np.concatenate([g.ravel() for g in overfitting.l1_penalty_grad(Ws, lam, m)])

    def penalty(v):  # the penalty of a flat weight vector, by its definition
        return lam / m * np.abs(v).sum()

    h = 1e-7
    for i in range(flat.size):
        e = np.zeros(flat.size)
        e[i] = h
        right, left = (penalty(flat + e) - penalty(flat)) / h, (penalty(flat) - penalty(flat - e)) / h
        if flat[i] != 0:  # differentiable: both one-sided slopes are the gradient
            assert right == pytest.approx(grad[i], abs=1e-8) and left == pytest.approx(grad[i], abs=1e-8)
        else:  # a kink: slopes +lambda/m to the right, -lambda/m to the left; any g between is a subgradient
            assert right == pytest.approx(lam / m) and left == pytest.approx(-lam / m)
            assert -lam / m <= grad[i] <= lam / m
    # the subgradient inequality for the library's choice sign(0) = 0 and for any other in [-1, 1]
    other = grad.copy()
    other[flat == 0] = rng.uniform(-lam / m, lam / m, size=int(np.sum(flat == 0)))
    for g in (grad, other):
        for d in rng.normal(size=(200, flat.size)):
            assert penalty(flat + d) >= penalty(flat) + g @ d - 1e-12
    # beside the per-example L2 (lambda/2m)||W||_F^2: gradient (lambda/m) W, proportional instead of constant
    l2 = np.concatenate([g.ravel() for g in overfitting.l2_penalty_grad(Ws, lam, "per_example", m)])
    np.testing.assert_allclose(l2, lam / m * flat)
    np.testing.assert_allclose(np.abs(grad[flat != 0]), lam / m)


# ---------------------------------------------------------------------------- session 1


@pytest.mark.equation("adamw-limit")
def test_adamw_settles_in_the_box_and_adam_l2_at_the_ridge_minimum():
    """Erratum 3: run both to convergence on a quadratic and compare with their fixed points."""
    H, w_star, lam = np.diag([2.0, 1.0, 0.5]), np.array([1.0, -3.0, 0.5]), 0.5
    grad = lambda w: H @ (w - w_star)  # noqa: E731
    adamw = l2.adam(grad, np.zeros(3), lr=0.01, steps=20_000, weight_decay=lam)[-1]
    adam_l2 = l2.adam(grad, np.zeros(3), lr=0.01, steps=20_000, l2=lam)[-1]
    limit = l2.adamw_limit(H, w_star, lam)
    np.testing.assert_allclose(limit, [1.0, -2.0, 0.5])  # w* clipped to |w_i| <= 1/lambda = 2 (H diagonal)
    np.testing.assert_allclose(adamw, limit, atol=2e-3)
    np.testing.assert_allclose(adam_l2, l2.eigen_rescale(H, w_star, lam), atol=2e-3)


@pytest.mark.equation("adamw-limit")
def test_adamw_limit_is_the_box_constrained_minimizer_for_a_full_hessian():
    rng = np.random.default_rng(0)
    B = rng.normal(size=(4, 4))
    H, w_star = B @ B.T + 0.1 * np.eye(4), np.array([3.0, -0.5, 1.0, -4.0])
    ref = scipy.optimize.minimize(lambda w: 0.5 * (w - w_star) @ H @ (w - w_star), np.zeros(4),
                                  jac=lambda w: H @ (w - w_star), bounds=[(-2, 2)] * 4, method="L-BFGS-B",
                                  options={"ftol": 1e-15, "gtol": 1e-12})
    np.testing.assert_allclose(l2.adamw_limit(H, w_star, 0.5), ref.x, atol=1e-6)


def test_adamw_limit_of_the_session_1_example():
    """Session 1's problem: AdamW is still moving after 3000 steps; its limit is (1, -2, 2)."""
    A3, target = np.diag([100.0, 1.0, 0.01]), np.array([1.0, -2.0, 3.0])
    limit = l2.adamw_limit(A3, target, 0.5)
    path = l2.adam(lambda w: A3 @ (w - target), np.zeros(3), lr=0.01, steps=30_000, weight_decay=0.5)
    dist = np.abs(path[[3000, 10_000, 30_000]] - limit).max(axis=1)
    assert dist[0] > 0.3 and dist[0] > dist[1] > dist[2] and dist[2] < 0.1


@pytest.mark.equation("adamw-noisy")
def test_noisy_adamw_shrinks_coordinates_inside_the_box():
    """Sessions 1 and 6: w* = (1, -1, 1.5) lies inside the box |w_i| <= 2; exact AdamW ends there, noisy AdamW
    (sigma = 1) near (0.99, -0.65, 0.03), close to the ridge minimum for alpha * sigma (the noise keeps sqrt(v_hat)
    near sigma), with session 1's run (learning rate 0.001, seed 7) and session 6's (0.01, the last 10,000 steps)."""
    A3, w_in, alpha = np.diag([100.0, 1.0, 0.01]), np.array([1.0, -1.0, 1.5]), 0.5
    np.testing.assert_array_equal(l2.adamw_limit(A3, w_in, alpha), w_in)
    exact = l2.adam(lambda w: A3 @ (w - w_in), np.zeros(3), lr=0.01, steps=10_000, weight_decay=alpha)
    assert np.all(np.abs(exact[-1] - w_in) < np.abs(exact[3000] - w_in)) and np.abs(exact[-1] - w_in).max() < 0.04
    ridge = np.linalg.solve(A3 + alpha * np.eye(3), A3 @ w_in)  # alpha * sigma with sigma = 1
    for seed, lr, start in ((7, 0.001, 8000), (8, 0.001, 8000), (0, 0.01, 10_000)):  # session 1's, another, 6's
        noise = np.random.default_rng(seed)
        noisy = l2.adam(lambda w, r=noise: A3 @ (w - w_in) + r.normal(size=3), np.zeros(3), lr=lr, steps=20_000,
                        weight_decay=alpha)
        late = noisy[start:].mean(axis=0)
        np.testing.assert_allclose(late, [0.99, -0.65, 0.03], atol=0.03)
        np.testing.assert_allclose(late, ridge, atol=0.03)
        assert np.all(np.abs(late) < np.abs(w_in))  # every coordinate shrunk, though all lie inside the box


def _constrained_by_scipy(H, w_star, k):
    """min 1/2 (w - w*)^T H (w - w*) subject to ||w||_2 <= k, by scipy's SLSQP."""
    res = scipy.optimize.minimize(
        lambda w: 0.5 * (w - w_star) @ H @ (w - w_star), np.zeros(len(w_star)), jac=lambda w: H @ (w - w_star),
        method="SLSQP", constraints=[{"type": "ineq", "fun": lambda w: k**2 - w @ w, "jac": lambda w: -2 * w}],
        options={"ftol": 1e-13, "maxiter": 1000},
    )
    assert res.success, res.message
    return res.x


@pytest.mark.equation("7.2-constraint")
def test_the_penalty_and_the_constraint_meet_at_the_kkt_multiplier():
    """alpha(k) by bisection against brentq on the normal equations; the penalized minimizer against scipy's
    constrained solve; the multiplier read off that solve; alpha = 0 when the constraint is inactive."""
    rng = np.random.default_rng(5)
    B = rng.normal(size=(4, 4))
    H, w_star = B @ B.T + 0.05 * np.eye(4), 2 * rng.normal(size=4)
    alphas = []
    for k in (0.25, 0.5, 1.0, 2.0):
        alpha = l2.alpha_for_radius(H, w_star, k)
        ref = scipy.optimize.brentq(lambda a: np.linalg.norm(np.linalg.solve(H + a * np.eye(4), H @ w_star)) - k,
                                    0.0, 1e6, xtol=1e-14, rtol=1e-14)
        assert alpha == pytest.approx(ref, rel=1e-9)
        w_con = _constrained_by_scipy(H, w_star, k)
        np.testing.assert_allclose(l2.eigen_rescale(H, w_star, alpha), w_con, atol=1e-6)
        assert -w_con @ (H @ (w_con - w_star)) / k**2 == pytest.approx(alpha, rel=1e-4)
        alphas.append(alpha)
    assert np.all(np.diff(alphas) < 0)  # larger alpha <-> smaller k
    k_out = 1.01 * np.linalg.norm(w_star)
    assert l2.alpha_for_radius(H, w_star, k_out) == 0.0
    np.testing.assert_allclose(_constrained_by_scipy(H, w_star, k_out), w_star, atol=1e-6)
    # the notebook's rotated quadratic at k = 1
    Hc, wc = np.array([[2.0, 0.9], [0.9, 0.6]]), np.array([1.0, 1.5])
    np.testing.assert_allclose(l2.eigen_rescale(Hc, wc, l2.alpha_for_radius(Hc, wc, 1.0)),
                               _constrained_by_scipy(Hc, wc, 1.0), atol=1e-7)


@pytest.mark.equation("7.2-reprojection")
def test_projected_gradient_reaches_the_constrained_minimum_and_leaves_inside_weights_alone():
    Hc, wc = np.array([[2.0, 0.9], [0.9, 0.6]]), np.array([1.0, 1.5])

    def grad(w):
        return Hc @ (w - wc)

    for k in (0.5, 1.0, 1.5):
        end = l2.projected_gradient(grad, np.zeros(2), k, lr=0.4, steps=300)[-1]
        np.testing.assert_allclose(end, _constrained_by_scipy(Hc, wc, k), atol=1e-7)
    inside = l2.projected_gradient(grad, np.zeros(2), 2.5, lr=0.4, steps=300)[-1]  # ||w*|| = 1.80 < 2.5
    np.testing.assert_allclose(inside, wc, atol=1e-8)  # 2.2e-9 away after 300 steps, and closing
    assert np.linalg.norm(np.linalg.solve(Hc + 0.5 * np.eye(2), Hc @ wc) - wc) > 0.3  # a penalty moves it
    idle = np.array([0.6, -0.8])  # no data gradient: the constraint leaves it, weight decay shrinks it
    np.testing.assert_array_equal(l2.projected_gradient(lambda w: np.zeros(2), idle, 1.0, 0.1, 1000)[-1], idle)
    np.testing.assert_allclose(idle * l2.decay_factor(0.1, 0.05) ** 1000, [0.0040, -0.0053], atol=5e-5)


@pytest.mark.equation("max-norm")
def test_max_norm_projects_each_unit_and_bounds_a_too_large_step():
    rng = np.random.default_rng(3)
    W = rng.normal(size=(10, 8)) * np.linspace(0.2, 1.5, 8)
    M = l2.max_norm(W, 3.0)
    for j in range(8):  # each column against scipy's projection onto the ball of radius 3
        res = scipy.optimize.minimize(lambda v, t=W[:, j]: np.sum((v - t) ** 2), np.zeros(10),
                                      jac=lambda v, t=W[:, j]: 2 * (v - t), method="SLSQP",
                                      constraints=[{"type": "ineq", "fun": lambda v: 9.0 - v @ v}],
                                      options={"ftol": 1e-15, "maxiter": 1000})
        np.testing.assert_allclose(M[:, j], res.x, atol=1e-6)
    X, Y = rng.normal(size=(100, 10)), rng.normal(size=(100, 8))
    eta = 2.2 / np.linalg.eigvalsh(X.T @ X / 100).max()  # 1.1 x the stable limit
    free = capped = np.zeros((10, 8))
    for _ in range(60):
        free = free - eta * X.T @ (X @ free - Y) / 100
        capped = l2.max_norm(capped - eta * X.T @ (X @ capped - Y) / 100, 3.0)
    assert np.linalg.norm(free, axis=0).max() > 1e3 and np.linalg.norm(capped, axis=0).max() <= 3.0 + 1e-12


# ---------------------------------------------------------------------------- session 2


@pytest.mark.equation("elastic-net-convention")
def test_elastic_net_convention_is_half_squared_error_plus_half_l2():
    X, y, _ = data.correlated_regression(n=40, d=5, rho=0.5, rng=3)
    w = l1.elastic_net(X, y, l1=2.0, l2=3.0)
    f = lambda v: l1.elastic_net_objective(v, X, y, 2.0, 3.0)  # noqa: E731
    rng = np.random.default_rng(0)
    assert all(f(w) <= f(w + 1e-3 * rng.normal(size=5)) for _ in range(200))
    # with l1 = 0 the L2 part adds l2 I to X^T X: l2.ridge's alpha (which minimizes ||y - Xw||^2 + alpha||w||^2)
    np.testing.assert_allclose(l1.elastic_net(X, y, 0.0, 3.0), l2.ridge(X, y, 3.0), atol=1e-8)


def _units_problem():
    """Session 2's structured-sparsity example: 8 units feed 5 outputs, only units 0-2 matter."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 8))
    W = np.zeros((8, 5))
    W[:3] = rng.normal(size=(3, 5))
    return X, X @ W + rng.normal(size=(40, 5))


@pytest.mark.equation("group-lasso")
def test_group_soft_threshold_is_the_proximal_step_of_the_group_penalty():
    """argmin_x 1/2 ||x - v||^2 + t ||x||_2, by scipy for each row: a whole row at 0 exactly when ||v|| <= t."""
    rng = np.random.default_rng(5)
    V = 2 * rng.normal(size=(6, 4))
    t = float(np.median(np.linalg.norm(V, axis=1)))
    prox = l1.group_soft_threshold(V, t)
    for v, p in zip(V, prox):
        f = lambda x, v=v: 0.5 * np.sum((x - v) ** 2) + t * np.linalg.norm(x)  # noqa: E731
        ref = scipy.optimize.minimize(f, v, method="Powell", options={"xtol": 1e-12, "ftol": 1e-15})
        assert f(p) <= ref.fun + 1e-12
        np.testing.assert_allclose(p, ref.x, atol=1e-5)
        assert np.all(p == 0) == (np.linalg.norm(v) <= t)  # the whole group, or none of it
    assert 0 < np.sum(np.all(prox == 0, axis=1)) < len(V)
    # groups of one weight: the elementwise soft-threshold of (7.23)
    singles = l1.group_soft_threshold(V.reshape(-1, 1), 1.0).ravel()
    np.testing.assert_allclose(singles, l1.soft_threshold(V.ravel(), 1.0), atol=1e-15)


@pytest.mark.equation("group-lasso")
def test_group_lasso_minimizes_its_objective_and_zeroes_whole_units_where_l1_scatters():
    """Session 2: the solver against its optimality conditions and scipy; then the notebook's printed comparison."""
    X, Y = _units_problem()
    alpha = 30.0
    W = l1.group_lasso(X, Y, alpha)
    # KKT certificate (the problem is convex): with G = X^T (Y - X W), a zero row needs ||G_g|| <= alpha and any
    # other row G_g = alpha W_g / ||W_g||
    G, norms = X.T @ (Y - X @ W), np.linalg.norm(W, axis=1)
    zero = norms == 0
    assert np.all(np.linalg.norm(G[zero], axis=1) < alpha)
    np.testing.assert_allclose(G[~zero], alpha * W[~zero] / norms[~zero, None], atol=1e-7)

    def smoothed(w, delta=1e-8):  # sqrt(||W_g||^2 + delta^2) for ||W_g||: differentiable, for BFGS
        M = w.reshape(W.shape)
        R, n = Y - X @ M, np.sqrt(np.sum(M * M, axis=1) + delta**2)
        return 0.5 * np.sum(R * R) + alpha * n.sum(), (-X.T @ R + alpha * M / n[:, None]).ravel()

    ref = scipy.optimize.minimize(smoothed, np.zeros(W.size), jac=True, method="BFGS",
                                  options={"gtol": 1e-10, "maxiter": 10_000}).x.reshape(W.shape)
    objective = lambda M: 0.5 * np.sum((Y - X @ M) ** 2) + alpha * np.linalg.norm(M, axis=1).sum()  # noqa: E731
    assert objective(W) <= objective(ref) + 1e-9
    np.testing.assert_allclose(ref, W, atol=1e-6)
    # the notebook: about as many zeros either way, whole units only with the group penalty
    zeros_group = np.sum(W == 0, axis=1)
    zeros_l1 = np.sum(np.column_stack([l1.lasso(X, Y[:, j], 10.0) for j in range(5)]) == 0, axis=1)
    assert zeros_group.tolist() == [0, 0, 0, 5, 5, 5, 5, 5]
    assert zeros_l1.tolist() == [2, 3, 0, 3, 4, 5, 5, 4]
    assert np.sum((zeros_l1 > 0) & (zeros_l1 < 5)) == 5  # L1's zeros scattered over partly zero units


# ---------------------------------------------------------------------------- session 3


def _alpha_by_root_finding(lam, eps, tau):
    """The alpha whose ridge factor lambda/(lambda + alpha) equals gradient descent's, by brentq on the iterates."""
    w_tau = early_stopping.gd_iterates(np.array([[lam]]), np.array([1.0]), eps, tau)[-1, 0]
    return scipy.optimize.brentq(lambda a: lam / (lam + a) - w_tau, 1e-12, 1e12, xtol=1e-14, rtol=1e-13)


@pytest.mark.equation("alpha-approx-ratio")
def test_single_alpha_approximation_holds_early_and_fails_late():
    """Erratum 1: lambda = 0.05, eps = 0.1: ratio 0.92 at tau = 30, 0.58 at 200, 0.03 at 1000."""
    for tau, want in ((30, 0.92), (200, 0.58), (1000, 0.03)):
        ratio = early_stopping.approximation_ratio([0.05], 0.1, tau)[0]
        assert ratio == pytest.approx(want, abs=0.005)
        assert ratio == pytest.approx(_alpha_by_root_finding(0.05, 0.1, tau) * 0.1 * tau, rel=1e-8)
    # the session 3 figure's point: w(20) vs w~ at alpha = 1/(eps tau), H = diag(1, 0.05), w* = (1, 1)
    H, w_star = np.diag([1.0, 0.05]), np.ones(2)
    np.testing.assert_allclose(early_stopping.gd_closed_form(H, w_star, 0.1, 20), [0.878, 0.095], atol=5e-4)
    np.testing.assert_allclose(l2.eigen_rescale(H, w_star, early_stopping.approx_alpha(0.1, 20)), [0.667, 0.091],
                               atol=5e-4)


@pytest.mark.equation("sign-flip")
def test_sign_flips_start_at_one_over_lambda_max():
    """Erratum 12: above eps = 1/lambda_max an odd number of steps overshoots w*; no alpha >= 0 does that."""
    lam = np.array([1.0, 0.05])
    eps0 = early_stopping.sign_flip_eps(lam)
    H, w_star = np.diag(lam), np.ones(2)
    for tau in (1, 3, 7):
        below = early_stopping.gd_iterates(H, w_star, 0.99 * eps0, tau)[-1]
        above = early_stopping.gd_iterates(H, w_star, 1.01 * eps0, tau)[-1]
        assert np.all((below >= 0) & (below <= 1))  # inside [0, w*]: a ridge factor in [0, 1] reproduces it
        assert above[0] > 1  # beyond w*: no ridge factor lambda/(lambda + alpha) <= 1 reaches it
        assert np.all(np.isfinite(early_stopping.equivalent_alpha(lam, 0.99 * eps0, tau)))
        assert np.isnan(early_stopping.equivalent_alpha(lam, 1.01 * eps0, tau)[0])
    assert eps0 == 1.0 and eps0 < 2.0 / lam.max()


@pytest.mark.equation("flat-direction-limit")
def test_flat_direction_alpha_is_the_limit_one_over_eps_tau():
    """Session 3 q5: at lambda_i = 0 any alpha matches (nothing moves); the convention is the limit lambda_i -> 0+."""
    eps, tau = 0.1, 20
    H, w_star = np.diag([0.0, 1.0]), np.ones(2)
    assert early_stopping.gd_iterates(H, w_star, eps, tau)[-1, 0] == 0.0
    assert all(l2.eigen_rescale(H, w_star, a)[0] == 0.0 for a in (1e-3, 1.0, 1e3))  # every alpha > 0 matches
    # root finding on the iterates: alpha_i -> 1/(eps tau) as lambda_i -> 0+, off by about eps tau lambda_i / 2
    off = [abs(_alpha_by_root_finding(lam, eps, tau) * eps * tau - 1) for lam in (1e-2, 1e-4, 1e-6)]
    assert off[0] > off[1] > off[2] and off[2] < 1e-5
    assert early_stopping.equivalent_alpha([0.0], eps, tau)[0] == pytest.approx(1 / (eps * tau), rel=1e-15)
    # continuous at 0: a round-off eigenvalue gets the alpha of an exact zero
    assert early_stopping.equivalent_alpha([1e-17], eps, tau)[0] == pytest.approx(1 / (eps * tau), rel=1e-12)
    # the notebook's printed values
    for lam, want in ((0.5, 0.27941), (0.05, 0.47417), (5e-3, 0.49738), (5e-5, 0.49997)):
        assert _alpha_by_root_finding(lam, eps, tau) == pytest.approx(want, abs=1e-5)


@pytest.mark.equation("gradient-flow-not-ridge")
def test_closeness_to_ridge_is_set_by_eps_tau_lambda_not_by_eps():
    """Session 3 section 6: at eps tau = 1, eps -> 0 tends to gradient flow (solve_ivp), which stays 26 % off ridge."""
    from scipy.integrate import solve_ivp

    H, w_star, t = np.diag([1.0, 0.05]), np.ones(2), 1.0
    flow = solve_ivp(lambda _, w: -H @ (w - w_star), (0, t), np.zeros(2), rtol=1e-12, atol=1e-14).y[:, -1]
    ridge = l2.eigen_rescale(H, w_star, 1 / t)
    to_flow = []
    for eps in (0.1, 0.01, 0.001):
        w = early_stopping.gd_iterates(H, w_star, eps, round(t / eps))[-1]
        to_flow.append(abs(w[0] - flow[0]))
        assert w[0] / ridge[0] - 1 > 0.26  # a smaller step is no closer to ridge
    assert to_flow[0] > to_flow[1] > to_flow[2] and to_flow[2] < 2e-4
    assert flow[0] / ridge[0] - 1 == pytest.approx(0.264, abs=5e-4)
    # at a fixed eps the gap closes with eps tau lambda: the notebook's +26.5 %, +4.7 %, +0.5 %
    for tau, want in ((1000, 0.265), (100, 0.047), (10, 0.005)):
        w = early_stopping.gd_iterates(H, w_star, 0.001, tau)[-1]
        assert w[0] / l2.eigen_rescale(H, w_star, 1 / (0.001 * tau))[0] - 1 == pytest.approx(want, abs=1e-3)


@pytest.mark.equation("non-integer-tau")
def test_closed_form_between_whole_steps_interpolates_and_is_no_gradient_step():
    """Session 3 q3: per direction the error at tau + 1/2 is the geometric mean of the errors at tau and tau + 1."""
    rng = np.random.default_rng(8)
    B = rng.normal(size=(3, 3))
    H, w_star = B @ B.T + 0.1 * np.eye(3), rng.normal(size=3)
    lam, Q = np.linalg.eigh(H)
    eps = 0.9 / lam.max()
    it = early_stopping.gd_iterates(H, w_star, eps, 6)
    for tau in range(6):
        mid = early_stopping.gd_closed_form(H, w_star, eps, tau + 0.5)
        before, after, between = (Q.T @ (w_star - w) for w in (it[tau], it[tau + 1], mid))
        np.testing.assert_allclose(between, np.sign(before) * np.sqrt(before * after), rtol=1e-9, atol=1e-12)
        needed = Q.T @ (mid - it[tau]) / (lam * before)  # the step size a gradient step from w(tau) would need
        assert np.ptp(needed) > 0.1 * eps  # differs per direction: no single step lands there
    H2, w2 = np.diag([1.0, 0.05]), np.ones(2)  # the notebook's example
    w_2 = early_stopping.gd_iterates(H2, w2, 0.5, 2)[-1]
    needed = (early_stopping.gd_closed_form(H2, w2, 0.5, 2.5) - w_2) / (np.diag(H2) * (w2 - w_2))
    np.testing.assert_allclose(needed, [0.293, 0.252], atol=5e-4)


# ---------------------------------------------------------------------------- session 4


@pytest.mark.equation("bagging-vs-single")
def test_bagging_loses_for_polynomials_and_wins_for_nearest_neighbours():
    """Erratum 4: session 4's degree-6 polynomials vs a high-variance 1-NN learner, 20 bootstrap seeds each."""
    x, y = data.polynomial_data(30, noise=0.3, rng=1)
    x_test = np.linspace(-0.8, 0.8, 200)
    target = data.true_function(x_test)
    fit6 = lambda X, Y: overfitting.fit_polynomial(X, Y, 6)  # noqa: E731
    bag, single = ensembles.bagging_vs_single(fit6, overfitting.predict_polynomial, x, y, x_test, target, 25,
                                              range(20))
    assert single == pytest.approx(0.0098, abs=1e-4)
    assert bag[2] == pytest.approx(0.0139, abs=1e-4)  # the notebook's seed
    assert np.sum(bag > single) >= 14  # the bag loses most of the time
    bag_nn, single_nn = ensembles.bagging_vs_single(ensembles.nearest_neighbor_fit, ensembles.nearest_neighbor_regress,
                                                    x, y, x_test, target, 25, range(20))
    assert np.all(bag_nn < single_nn) and np.median(bag_nn) < 0.6 * single_nn
    # independent: the single 1-NN prediction by brute force
    nearest = y[np.argmin(np.abs(x_test[:, None] - x[None, :]), axis=1)]
    assert single_nn == pytest.approx(np.mean((nearest - target) ** 2))


@pytest.mark.equation("ensemble-gain")
def test_gain_from_5_to_50_members_is_0_18_times_v_minus_c():
    """Session 4 section 7: the gain is 0.18 (v - c), positive for every c < v; with explicit covariance matrices."""
    def avg_error(v, c, k):  # E[(1/k sum e_i)^2] = 1^T Sigma 1 / k^2, Sigma with v on the diagonal and c off it
        S = np.full((k, k), c)
        np.fill_diagonal(S, v)
        return np.ones(k) @ S @ np.ones(k) / k**2

    for v, c in ((1.0, 0.0), (1.0, 0.5), (2.0, 1.9), (1.0, 0.99), (1.0, -0.02), (3.0, 3.0)):
        gain = avg_error(v, c, 5) - avg_error(v, c, 50)
        assert gain == pytest.approx(0.18 * (v - c), abs=1e-12)
        assert ensembles.ensemble_mse(v, c, 5) - ensembles.ensemble_mse(v, c, 50) == pytest.approx(gain, abs=1e-12)
        assert (gain > 1e-12) == (c < v)  # no threshold short of c = v
    for rho in (0.0, 0.5, 0.9, 0.99):  # the notebook's paired Monte Carlo
        e = ensembles.correlated_errors(1.0, rho, 50, 20_000, rng=0)
        g = e[:, :5].mean(axis=1) ** 2 - e.mean(axis=1) ** 2
        assert abs(g.mean() - 0.18 * (1 - rho)) < 3 * g.std() / np.sqrt(g.size)


# ---------------------------------------------------------------------------- session 5


@pytest.mark.equation("mc-dropout-masks")
def test_mask_std_matches_sampling_and_sets_the_number_of_masks():
    """Erratum 13: session 5's softmax regression: ~400 masks for probabilities to 0.01, 3 for the decision."""
    rng = np.random.default_rng(5)
    W, b = rng.normal(size=(12, 3)), rng.normal(size=3)
    v = rng.normal(size=12)
    std = dropout.mask_std([(W, b)], v, 0.5)
    masks = (np.random.default_rng(0).random((200_000, 12)) < 0.5).astype(float)
    z = (masks * v) @ W + b
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(std, p.std(axis=0), rtol=0.01)
    assert dropout.masks_needed(std, 0.01) == int(np.ceil(std.max() ** 2 / 1e-4))
    assert 350 < dropout.masks_needed(std, 0.01) < 450
    ks = [1, 3, 10, 300]
    err, agree = dropout.mc_dropout_accuracy([(W, b)], v[None], 0.5, ks, trials=200, rng=1)
    assert 0.04 < err[2] < 0.08  # k = 10: probabilities off by ~0.06
    assert err[3] < 0.013
    assert agree[1] == pytest.approx(1.0) and err[1] > 0.05  # the decision is already right with 3 masks


def _exploration_problem(n=12, hidden=30):
    from reglab import playground

    x, y = data.polynomial_data(n, 0.3, rng=1)
    xv, yv = data.polynomial_data(50, 0.3, rng=2)
    return (playground.random_relu_features(x, hidden, rng=0), y,
            playground.random_relu_features(xv, hidden, rng=0), yv)


@pytest.mark.equation("learning-curves-keep-prob")
def test_the_keep_probability_slider_trains_on_the_expected_penalty_by_enumeration():
    """Session 5's learning-curves exploration: gradient descent on E_masks of the dropout loss, masks enumerated."""
    from reglab import playground

    F, y, Fv, yv = _exploration_problem(n=6, hidden=5)
    p, alpha = 0.6, 1e-3
    steps = np.array([0, 1, 5, 40])
    c = playground.gd_learning_curves(F, y, Fv, yv, steps, alpha, p)
    masks = dropout.all_masks(5)  # every mask of one example's 5 hidden units, with its probability
    prob = np.prod(np.where(masks == 1, p, 1 - p), axis=1)
    assert prob.sum() == pytest.approx(1.0)
    w, path = np.zeros(5), [np.zeros(5)]
    for _ in range(40):
        grad = alpha * w
        for Fi, yi in zip(F, y):  # each example its own mask: E over masks of d/dw (y_i - (m * F_i / p) @ w)^2 / n
            G = masks * Fi / p
            grad += prob @ (-2 * (yi - G @ w)[:, None] * G) / len(y)
        w = w - c["eps"] * grad
        path.append(w)
    np.testing.assert_allclose(c["w"], np.array(path)[steps], rtol=1e-9, atol=1e-12)


@pytest.mark.equation("learning-curves-keep-prob")
def test_runs_with_sampled_masks_average_to_the_curve_one_run_does_not_follow_it():
    """The mean iterate of SGD with fresh masks obeys the expected objective's update; a single run is noisy."""
    from reglab import playground

    F, y, Fv, yv = _exploration_problem()
    p, runs, T = 0.5, 4000, 30
    c = playground.gd_learning_curves(F, y, Fv, yv, np.array([T]), 0.0, p)
    rng = np.random.default_rng(3)
    W = np.zeros((runs, F.shape[1]))
    for _ in range(T):
        G = (rng.random((runs, *F.shape)) < p) * F / p  # one fresh mask per run, example and unit
        resid = y - np.einsum("rnh,rh->rn", G, W)
        W = W + c["eps"] * (2 / len(y)) * np.einsum("rnh,rn->rh", G, resid)
    err = np.abs(W.mean(axis=0) - c["w"][0])
    sem = W.std(axis=0) / np.sqrt(runs)
    assert np.all(err < 5 * sem + 1e-12)
    assert np.abs(W[0] - c["w"][0]).max() > 10 * sem.max()  # one sampled run is far from the curve's weights


@pytest.mark.equation("learning-curves-keep-prob")
def test_the_exploration_says_its_keep_probability_is_an_expected_penalty():
    from reglab import widgets

    exp = widgets.learning_curves_explorer()
    exp.update(keep_prob=1.0)
    assert "expected penalty" not in exp.summary.value
    exp.update(keep_prob=0.6)
    assert "expected penalty" in exp.summary.value and "no masks are sampled" in exp.summary.value
    assert "no masks are sampled" in exp.image.alt  # the picture's alternative text carries the summary


@pytest.mark.equation("multiplicative-noise")
def test_gaussian_and_bernoulli_multiplicative_noise_add_the_same_expected_penalty():
    """Noise on hidden units: any multiplicative noise of mean 1 and variance (1-p)/p, on linear features."""
    from reglab import playground

    F, y, _, _ = _exploration_problem()
    w = np.random.default_rng(1).normal(size=F.shape[1])
    p, draws = 0.6, 6000
    rng = np.random.default_rng(2)
    formula = np.mean((y - F @ w) ** 2) + w @ (((1 - p) / p) * np.mean(F * F, axis=0) * w)
    bern = (rng.random((draws, *F.shape)) < p) / p
    gauss = 1 + np.sqrt((1 - p) / p) * rng.standard_normal((draws, *F.shape))
    for noise in (bern, gauss):
        per_draw = np.mean((y - np.einsum("dnh,nh,h->dn", noise, F, w)) ** 2, axis=1)
        sem = per_draw.std() / np.sqrt(draws)
        assert sem < 0.01 * formula and abs(per_draw.mean() - formula) < 4 * sem
    assert formula == pytest.approx(np.mean((y - F @ w) ** 2) + w @ (playground.dropout_penalty_diag(F, p) * w))


@pytest.mark.equation("variance-shift")
def test_dropout_raises_the_training_variance_that_batch_norm_then_uses_at_test_time():
    rng = np.random.default_rng(0)
    H = np.maximum(rng.normal(0.5, 1.0, size=(400, 6)), 0.0)  # ReLU activations: mean > 0
    p = 0.5
    train_var, test_var = dropout.variance_shift(H, p)
    dropped = dropout.inverted_dropout(np.broadcast_to(H, (2000, *H.shape)), p, rng=1).reshape(-1, 6)
    np.testing.assert_allclose(train_var, dropped.var(axis=0), rtol=0.02)
    np.testing.assert_allclose(test_var, H.var(axis=0), rtol=1e-12)
    np.testing.assert_allclose(dropped.mean(axis=0), H.mean(axis=0), rtol=0.02)  # the mean is kept
    # the shift grows as p falls; p = 1 has none
    assert np.all(train_var > test_var)
    np.testing.assert_allclose(dropout.variance_shift(H, 1.0)[0], test_var, rtol=1e-12)
    # a batch normalization with the training statistics: test-time outputs have variance test/train, not 1
    bn = (H - dropped.mean(axis=0)) / np.sqrt(dropped.var(axis=0))
    np.testing.assert_allclose(bn.var(axis=0), test_var / train_var, rtol=0.03)
    assert np.all(bn.var(axis=0) < 0.7)


@pytest.mark.equation("weight-noise")
def test_weight_noise_on_a_linear_model_adds_sigma2_norm_x2_and_is_only_a_small_noise_limit_otherwise():
    rng = np.random.default_rng(4)
    X, w = rng.normal(size=(40, 5)), rng.normal(size=5)
    y = X @ w + rng.normal(scale=0.5, size=40)
    base = np.mean((y - X @ w) ** 2)
    for sigma in (0.1, 1.0, 3.0):  # exact for every sigma: the model is linear in the weights
        eta = rng.normal(scale=sigma, size=(20_000, 5))
        sampled = np.mean((y - (w + eta) @ X.T) ** 2)
        formula = base + dropout.weight_noise_penalty(X, sigma)
        assert sampled == pytest.approx(formula, rel=0.02)
        assert dropout.weight_noise_penalty(X, sigma) == pytest.approx(sigma**2 * np.mean(np.sum(X**2, axis=1)))
    # one tanh unit: sigma^2 E||grad_w y_hat||^2 is the leading term only; it holds for small sigma, not for large
    y_t = np.tanh(X @ w * 0.3) + rng.normal(scale=0.1, size=40)
    sens = np.mean((1 - np.tanh(X @ w * 0.3) ** 2) ** 2 * 0.09 * np.sum(X**2, axis=1))
    base_t = np.mean((y_t - np.tanh(X @ w * 0.3)) ** 2)
    ratios = {}
    for sigma in (0.05, 2.0):
        eta = rng.normal(scale=sigma, size=(20_000, 5))
        extra = np.mean((y_t - np.tanh((w + eta) @ X.T * 0.3)) ** 2) - base_t
        ratios[sigma] = extra / (sigma**2 * sens)
    assert ratios[0.05] == pytest.approx(1.0, abs=0.1)
    assert ratios[2.0] < 0.7  # the sampled error saturates (tanh is bounded), the formula grows as sigma^2


# ---------------------------------------------------------------------------- session 6


@pytest.mark.equation("epoch-decay")
def test_halving_the_batch_squares_the_epoch_factor():
    """Erratum 17: 'doubles the decay' holds to first order only."""
    lr, lam, n = 0.1, 0.01, 1000
    for B in (100, 10):
        f_B = l2.epoch_decay_factor(lr, lam, n, B, "full")
        f_half = l2.epoch_decay_factor(lr, lam, n, B // 2, "full")
        w = 1.0
        for _ in range(n // (B // 2)):  # simulate the steps of an epoch, penalty gradient 2 lambda w only
            w -= lr * 2 * lam * w
        assert f_half == pytest.approx(w, rel=1e-12) and f_half == pytest.approx(f_B**2, rel=1e-12)
    small = (1 - l2.epoch_decay_factor(lr, lam, n, 50, "full")) / (1 - l2.epoch_decay_factor(lr, lam, n, 100, "full"))
    large = (1 - l2.epoch_decay_factor(lr, lam, n, 1, "full")) / (1 - l2.epoch_decay_factor(lr, lam, n, 2, "full"))
    assert small == pytest.approx(1.98, abs=0.005) and large == pytest.approx(1.37, abs=0.01)


@pytest.mark.equation("augmentation-labels")
def test_shifts_keep_digit_labels_and_flips_change_them():
    split = data.digits_split(n_train=1000, n_val=1, n_test=796, rng=0)
    res = augmentation.label_preservation(split)
    assert res["none"]["accuracy"] > 0.97
    assert res["shift right 1"]["accuracy"] > 0.95 and res["shift down 1"]["accuracy"] > 0.95
    assert res["flip horizontal"]["accuracy"] < 0.5 and res["flip vertical"]["accuracy"] < 0.5
    assert res["flip vertical"]["read_as"][2] == 5  # an upside-down 2 reads as a 5
    assert res["flip horizontal"]["kept"][0] > 0.9 and res["flip horizontal"]["kept"][2] < 0.1
    plain = augmentation.label_preservation(split, shift_tolerant=False)
    assert plain["shift right 1"]["accuracy"] < 0.8  # a reader that never saw shifts is thrown by one pixel
    # independent: a flip twice is the identity, a shift is a permutation of pixels
    X = split.X_test[:5]
    np.testing.assert_array_equal(augmentation.flip_images(augmentation.flip_images(X, "vertical"), "vertical"), X)
    shifted = augmentation.shift_images(X, 1, 0).reshape(-1, 8, 8)
    np.testing.assert_array_equal(shifted[:, :, 1:], X.reshape(-1, 8, 8)[:, :, :-1])
    assert np.all(shifted[:, :, 0] == 0)


@pytest.mark.equation("bias-variance")
def test_alpha_trades_a_little_bias_for_a_large_cut_in_variance():
    """Erratum 15: the degree-9 polynomial on 10 points, with alpha rather than the degree varied."""
    x_test = np.linspace(-1, 1, 101)

    def measure(alpha):
        def fit_predict(x, y, xs):
            return overfitting.predict_polynomial(overfitting.fit_polynomial(x, y, 9, alpha), xs)

        return overfitting.bias_variance(fit_predict, data.true_function, x_test, 10, 0.3, 300, 0)

    small, large = measure(1e-2), measure(1.0)
    assert large["bias2"] - small["bias2"] < 0.1  # bias^2 rises a little (0.0075 -> 0.085)
    assert small["variance"] - large["variance"] > 0.25  # variance falls a lot (0.35 -> 0.05)
    assert small["variance"] > 5 * large["variance"]
    # independent: the variance is the spread of the stored predictions
    assert large["variance"] == pytest.approx(np.mean(np.var(large["predictions"], axis=0)), rel=1e-6)


@pytest.mark.equation("7.58-7.66")
def test_weight_scaling_is_exact_for_a_deep_network_without_nonlinearity():
    """Erratum 2: exact for softmax regression AND for deep nets whose hidden units act linearly.

    With positive inputs, weights and biases every hidden pre-activation is positive under every mask,
    so the ReLU is the identity and the network is linear in each layer's mask: the renormalized
    geometric mean equals weight scaling. The arithmetic mean is a different number.
    """
    r = np.random.default_rng(0)
    layers = [(r.uniform(0.1, 1, (4, 5)), r.uniform(0.1, 1, 5)), (r.normal(size=(5, 3)), r.normal(size=3))]
    x = r.uniform(0.1, 1, (6, 4))
    keep = [0.8, 0.5]
    geo = dropout.mlp_geometric_mean_ensemble(layers, x, keep)
    np.testing.assert_allclose(geo, dropout.mlp_weight_scaling_predict(layers, x, keep), atol=1e-12)
    assert np.abs(geo - dropout.mlp_arithmetic_mean_ensemble(layers, x, keep)).max() > 1e-3


@pytest.mark.equation("validation-overfit")
def test_choosing_among_many_candidates_overfits_the_validation_set():
    """Seed concept (session 3): the chosen model's validation error is biased low; exact order statistics agree."""
    import scipy.stats

    def exact(M, n, e):  # E[min of M Binomial(n, e)] / n = sum_j P(X >= j)^M / n
        j = np.arange(1, n + 1)
        return float(np.sum(scipy.stats.binom.sf(j - 1, n, e) ** M) / n)

    for M, n in ((1, 100), (10, 100), (50, 100), (50, 1000)):
        sim = early_stopping.validation_selection_bias(M, n, 0.2, 20_000, rng=M + n)
        assert sim == pytest.approx(exact(M, n, 0.2), abs=0.002)
    assert exact(50, 100, 0.2) < exact(50, 1000, 0.2) < 0.2  # more validation data, less optimism
    folds = early_stopping.kfold_indices(23, 5, rng=0)
    assert sorted(np.concatenate(folds).tolist()) == list(range(23)) and {len(f) for f in folds} == {4, 5}


@pytest.mark.equation("7.17")
def test_ridge_convention_and_the_hessian_of_the_unscaled_squared_error():
    """Erratum 7: for J = ||y - Xw||^2 the Hessian is 2 X^T X, so the book's (alpha/2)||w||^2 is l2.ridge(alpha/2)."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(20, 3)), r.normal(size=20)
    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    h = 1e-4  # finite-difference Hessian of the unscaled squared error
    J = lambda w: np.sum((y - X @ w) ** 2)  # noqa: E731
    E = np.eye(3) * h
    H = np.array([[(J(w_star + E[i] + E[j]) - J(w_star + E[i] - E[j]) - J(w_star - E[i] + E[j])
                    + J(w_star - E[i] - E[j])) / (4 * h * h) for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(H, 2 * X.T @ X, rtol=1e-6)
    np.testing.assert_allclose(l2.eigen_rescale(2 * X.T @ X, w_star, 0.8), l2.ridge(X, y, 0.4), atol=1e-12)
    np.testing.assert_allclose(l2.eigen_rescale(X.T @ X, w_star, 0.8), l2.ridge(X, y, 0.8), atol=1e-12)


# ---------------------------------------------------------------------------- sessions 0-2


@pytest.mark.equation("min-norm-limit")
def test_the_smallest_norm_interpolant_depends_on_the_basis_and_is_the_limit_of_ridge():
    """Session 0's caution and session 1's return to it: pinv is ridge's alpha -> 0+ limit, in ONE basis."""
    x, y = data.polynomial_data(10, noise=0.3, rng=0)
    xv, _ = data.polynomial_data(200, noise=0.3, rng=1)
    legendre = overfitting.min_norm_interpolant(x, y, 10)
    monomial = np.linalg.pinv(np.vander(x, 11, increasing=True)) @ y
    np.testing.assert_allclose(np.vander(x, 11, increasing=True) @ monomial, y, atol=1e-8)  # both interpolate
    np.testing.assert_allclose(overfitting.predict_polynomial(legendre, x), y, atol=1e-8)
    # the same points, two different polynomials between them
    gap = np.abs(np.vander(xv, 11, increasing=True) @ monomial - overfitting.predict_polynomial(legendre, xv)).max()
    assert gap > 1.0
    # independent: the minimum-norm solution of F w = y by the KKT system [[I, F^T], [F, 0]]
    F = overfitting.poly_features(x, 12)
    kkt = np.block([[np.eye(13), F.T], [F, np.zeros((10, 10))]])
    w_kkt = np.linalg.solve(kkt, np.concatenate([np.zeros(13), y]))[:13]
    np.testing.assert_allclose(np.linalg.pinv(F) @ y, w_kkt, atol=1e-8)
    dist = [np.abs(l2.ridge(F, y, a) - w_kkt).max() for a in (1e-4, 1e-6, 1e-8)]
    assert dist[0] > dist[1] > dist[2] and dist[2] < 1e-4


@pytest.mark.equation("l1-zero-frequency")
def test_l1_zeros_grow_with_alpha_l2_has_none_and_selection_is_best_in_between():
    """Session 2's zeros panel (its default 200 problems): the claims its markdown makes."""
    X, y, w_true = data.random_sparse_regressions(n_problems=200, rng=0)
    alphas = [0.1, 1.0, 7.5, 100.0]
    z1, z2, W1, _ = l1.exact_zero_fractions(X, y, alphas)
    assert np.all(np.diff(z1) > 0) and z1[-1] > 0.99 and np.all(z2 == 0)
    match = [np.mean((W1[j] == 0) == (w_true == 0)) for j in range(len(alphas))]
    assert match[2] > max(match[0], match[-1]) + 0.1


@pytest.mark.equation("7.23")
def test_proximal_steps_reach_the_exact_zeros_and_subgradient_steps_none():
    """Session 2: ISTA lands on (7.23)'s zeros; the subgradient method hovers around them."""
    rng = np.random.default_rng(7)
    s, w_star, alpha, eps = 4.0, rng.normal(size=20), 2.0, 0.01
    w_sub, w_prox = np.zeros(20), np.zeros(20)
    for _ in range(3000):
        w_sub = w_sub - eps * (s * (w_sub - w_star) + alpha * np.sign(w_sub))
        w_prox = l1.soft_threshold(w_prox - eps * s * (w_prox - w_star), eps * alpha)
    dead = np.abs(w_star) <= alpha / s  # the closed form's zeros, written out
    assert 0 < dead.sum() < 20
    np.testing.assert_array_equal(w_prox == 0, dead)
    assert np.sum(w_sub == 0) == 0 and np.abs(w_sub[dead]).max() < 2 * eps * alpha


@pytest.mark.equation("bias-variance")
def test_alpha_sweep_total_error_is_lowest_in_between():
    """Session 0's alpha table: the total falls from 0.01 to 0.1 (variance cut >> bias rise), then rises again."""
    x_test = np.linspace(-1, 1, 101)
    total = {}
    for alpha in (1e-2, 1e-1, 1.0):
        def fit_predict(x, y, xs, alpha=alpha):
            return overfitting.predict_polynomial(overfitting.fit_polynomial(x, y, 9, alpha), xs)

        r = overfitting.bias_variance(fit_predict, data.true_function, x_test, 10, 0.3, 300, 0)
        # independent: the expected error is the mean squared distance of every refit's prediction to f, plus noise
        total[alpha] = np.mean((r["predictions"] - data.true_function(x_test)) ** 2) + 0.09
        assert total[alpha] == pytest.approx(r["bias2"] + r["variance"] + r["noise"], rel=1e-9)
    assert total[1e-1] < total[1.0] < total[1e-2]


@pytest.mark.equation("adamw-limit")
def test_adam_l2_leaves_the_ridge_minimum_only_in_short_excursions():
    """Session 1: with a constant learning rate Adam+L2 reaches the ridge minimum, later spikes off it and returns."""
    A3, target, lam = np.diag([100.0, 1.0, 0.01]), np.array([1.0, -2.0, 3.0]), 0.5
    path = l2.adam(lambda w: A3 @ (w - target), np.zeros(3), lr=0.01, steps=30_000, l2=lam)
    ridge_min = np.linalg.solve(A3 + lam * np.eye(3), A3 @ target)
    dist = np.abs(path - ridge_min).max(axis=1)
    assert dist[3000:10_000].max() < 1e-12  # settled to rounding
    late = dist[10_000:]
    assert 1e-3 < late.max() < 1e-2 and np.mean(late < 1e-6) > 0.5


@pytest.mark.equation("lasso-correlated")
def test_l1_explorer_says_not_the_minimizer_only_when_it_is_not():
    """Session 2's L1 panel: with correlated features (7.23) coordinatewise is usually wrong, but not at alpha = 0
    or once alpha zeroes both weights; the summary must not say so there."""
    from reglab import widgets

    exp = widgets.l1_explorer()
    for alpha, rho in ((0.0, 0.8), (1.5, 0.5), (0.3, 0.8)):
        exp.update(alpha=alpha, rho=rho)
        H = np.array([[1.0, rho], [rho, 1.0]])
        w_star = np.array([0.4, 1.2])
        exact = scipy.optimize.minimize(lambda w: 0.5 * (w - w_star) @ H @ (w - w_star) + alpha * np.abs(w).sum(),
                                        w_star, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14}).x
        naive = np.sign(w_star) * np.maximum(np.abs(w_star) - alpha, 0.0)  # H_ii = 1
        differs = np.abs(exact - naive).max() > 1e-4
        assert ("not the minimizer" in exp.summary.value) == differs, (alpha, rho)
    assert differs  # the last case is the usual one


# ---------------------------------------------------------------------------- sessions 3-5


@pytest.mark.equation("7.50")
def test_7_50_with_sample_moments_is_an_identity_for_any_members():
    """Session 4: with estimated v and c, (7.50) matches the measured ensemble error for ANY errors (an identity)."""
    r = np.random.default_rng(7)
    for k, n in ((2, 5), (7, 40), (25, 200)):
        errors = r.standard_cauchy(size=(k, n)) + r.normal(size=n)  # heavy tails and a shared part: not Gaussian
        v, c = ensembles.estimate_v_c(errors)
        measured = np.mean(errors.mean(axis=0) ** 2)
        assert measured == pytest.approx(v / k + (k - 1) * c / k, rel=1e-12)
        assert measured <= v * (1 + 1e-12)  # never above the average member: the guarantee says nothing about bagging


@pytest.mark.equation("bagging-vs-single")
def test_bagging_least_squares_lines_on_many_examples_changes_nothing():
    """Session 4 w1: a line on 10,000 examples is so stable that its bootstrap copies are nearly identical (c ~ v)."""
    r = np.random.default_rng(0)
    x = r.uniform(-1, 1, 10_000)
    y = data.true_function(x) + r.normal(0, 0.3, x.size)
    x_test = np.linspace(-1, 1, 200)
    target = data.true_function(x_test)
    fit = lambda X, Y: np.polyfit(X, Y, 1)  # noqa: E731
    members = ensembles.bagged_predictions(fit, lambda m, X: np.polyval(m, X), x, y, x_test, 50, 3)
    single = np.mean((np.polyval(fit(x, y), x_test) - target) ** 2)
    bag = np.mean((members.mean(axis=0) - target) ** 2)
    assert bag == pytest.approx(single, rel=1e-3)  # no improvement, and no loss either
    v, c = ensembles.estimate_v_c(members - target)
    assert c / v > 0.99


def _linear_net_logits(W1, b1, W2, b2, x, d1, d2):
    return (d2 * ((d1 * x) @ W1 + b1)) @ W2 + b2


@pytest.mark.equation("weight-scaling-exact-models")
def test_weight_scaling_is_exact_for_a_deep_linear_network_by_enumeration():
    """Session 5: no nonlinear hidden units; every input and hidden mask enumerated here, not by the dropout module."""
    r = np.random.default_rng(3)
    n_in, n_hid, p1, p2 = 4, 5, 0.8, 0.5
    W1, b1, W2, b2 = r.normal(size=(n_in, n_hid)), r.normal(size=n_hid), r.normal(size=(n_hid, 3)), r.normal(size=3)
    x = r.normal(size=n_in)
    log_geo, arith = np.zeros(3), np.zeros(3)
    for code in range(2 ** (n_in + n_hid)):
        bits = (code >> np.arange(n_in + n_hid)) & 1
        d1, d2 = bits[:n_in], bits[n_in:]
        weight = np.prod(np.where(d1, p1, 1 - p1)) * np.prod(np.where(d2, p2, 1 - p2))
        z = _linear_net_logits(W1, b1, W2, b2, x, d1, d2)
        log_p = z - np.log(np.sum(np.exp(z)))
        log_geo += weight * log_p
        arith += weight * np.exp(log_p)
    geo = np.exp(log_geo) / np.exp(log_geo).sum()
    z_ws = _linear_net_logits(W1, b1, W2, b2, x, p1, p2)  # every unit kept, scaled by its keep probability
    ws = np.exp(z_ws) / np.exp(z_ws).sum()
    np.testing.assert_allclose(geo, ws, rtol=1e-10)
    assert np.abs(arith - ws).max() > 1e-3  # exact for the geometric mean, not the arithmetic one


@pytest.mark.equation("weight-scaling-exact-models")
def test_weight_scaling_is_exact_for_regression_with_a_normal_output():
    """Session 5: y ~ N(w.(d*x) + b, sigma^2); the renormalized geometric mean of densities is N(p w.x + b, sigma^2).

    Computed on a grid of y, so the renormalization is a numerical integral, not the algebra of the notebook.
    """
    r = np.random.default_rng(4)
    n, p, sigma = 6, 0.7, 0.4
    w, b, x = r.normal(size=n), 0.3, r.normal(size=n)
    masks = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    weights = np.prod(np.where(masks, p, 1 - p), axis=1)
    means = (masks * x) @ w + b
    grid = np.linspace(-8, 8, 4001)
    dy = grid[1] - grid[0]
    log_dens = -((grid[None, :] - means[:, None]) ** 2) / (2 * sigma**2) - np.log(sigma * np.sqrt(2 * np.pi))
    geo = np.exp(weights @ log_dens)
    geo /= geo.sum() * dy
    ws_mean = p * w @ x + b
    ws = np.exp(-((grid - ws_mean) ** 2) / (2 * sigma**2)) / (sigma * np.sqrt(2 * np.pi))
    np.testing.assert_allclose(geo, ws, atol=1e-9)
    mixture = weights @ np.exp(log_dens)  # the arithmetic mean: a mixture of normals, wider than the weight-scaled one
    assert np.sqrt(np.sum(mixture * (grid - ws_mean) ** 2) * dy) > 1.2 * sigma


@pytest.mark.equation("sign-flip")
def test_past_one_over_lambda_max_an_even_step_count_still_has_an_alpha():
    """Session 3: past 1/lambda_max only odd step counts overshoot w*; an even count lands inside, alpha_i >= 0."""
    lam, eps = np.array([1.0, 0.05]), 1.1
    for tau in (2, 4, 6):
        w_tau = early_stopping.gd_iterates(np.diag(lam), np.ones(2), eps, tau)[-1]
        alpha = early_stopping.equivalent_alpha(lam, eps, tau)
        assert np.all((w_tau > 0) & (w_tau < 1)) and np.all(alpha >= 0)
        np.testing.assert_allclose(lam / (lam + alpha), w_tau, rtol=1e-12)  # the ridge factor reproduces the iterate


@pytest.mark.equation("alpha-approx-ratio")
def test_single_alpha_within_five_per_cent_for_the_flat_direction_up_to_tau_20_only():
    """Session 3's prose: the flat direction's ratio is within 5 % of 1 up to tau = 20, 8 % off at tau = 30."""
    ratios = {tau: _alpha_by_root_finding(0.05, 0.1, tau) * 0.1 * tau for tau in (5, 20, 30)}
    assert all(abs(ratios[tau] - 1) < 0.055 for tau in (5, 20))
    assert ratios[30] == pytest.approx(0.924, abs=0.001)


# session 6


@pytest.fixture(scope="module")
def capstone_run():
    from reglab import capstone

    split = data.digits_split(n_train=300, n_val=300, n_test=600, rng=0)
    return split, capstone.run_capstone(split, rng=0)


@pytest.mark.equation("capstone")
def test_capstone_on_the_digits_shows_what_the_notebook_says(capstone_run):
    """Erratum 5 and the old ledger claim: tuned on validation, scored once, not every regularizer beats none."""
    split, res = capstone_run
    t = res.table
    y = split.y_test
    for name in t:  # the table's test numbers, recomputed from the models' probabilities
        p = res.predict_proba(name, split.X_test)
        assert t[name]["test_loss"] == pytest.approx(-np.mean(np.log(p[np.arange(len(y)), y])), rel=1e-12)
    acc = {m: r["test_acc"] for m, r in t.items()}
    assert sorted(acc, key=acc.get)[-2:] == ["L1", "L2"]  # the two highest test accuracies
    assert (acc["L2"], acc["L1"], acc["none"]) == pytest.approx((0.947, 0.940, 0.930), abs=5e-4)
    assert min(t, key=lambda m: t[m]["val_loss"]) == "L2"  # the network w2's model answer deploys, chosen on validation
    beats = {m for m, r in t.items() if m != "none" and r["test_loss"] < t["none"]["test_loss"]}
    assert beats == {"L2", "L1", "dropout"}  # early stopping and the bag do NOT beat the unregularized network
    assert t["early stopping"]["test_loss"] == pytest.approx(0.207, abs=5e-4)
    assert t["bagging"]["test_loss"] == pytest.approx(0.203, abs=5e-4) and t["none"]["test_loss"] == pytest.approx(
        0.199, abs=5e-4)
    se = np.sqrt(acc["none"] * (1 - acc["none"]) / len(y))  # binomial standard error of an accuracy
    assert 1.0 < (acc["L2"] - acc["none"]) / se < 2.0 and 0.0 < (acc["L1"] - acc["none"]) / se < 2.0
    # measured with the standard error of one accuracy (the yardstick the notebook once used, and now explains is the
    # wrong one for two networks scored on the same images): every difference is below two of them, L2's the largest,
    # the bag (higher test loss) higher by less than one; the paired test is test_capstone_l2_against_none_...
    diffs = {m: (a - acc["none"]) / se for m, a in acc.items() if m != "none"}
    assert max(diffs, key=diffs.get) == "L2" and all(abs(d) < 2.0 for d in diffs.values())
    assert 0.0 < diffs["bagging"] < 1.0


def test_capstone_exact_zeros_and_bootstrap_coverage(capstone_run):
    """Erratum 16: L1 (proximal) is the only method with exact zeros; bootstrap members see about 63 % of the images."""
    from reglab import ensembles

    split, res = capstone_run
    zeros = {m: r["zeros_first_layer"] for m, r in res.table.items()}
    assert zeros.pop("L1") == 1213 and set(zeros.values()) == {0.0}
    W1 = res.models["L1"][0][0][0]
    dead = split.X_train.max(axis=0) == 0
    assert dead.sum() == 5 and 0 < np.sum(W1[dead] == 0) < W1[dead].size  # most, not all, of the blank pixels' weights
    distinct = [len(np.unique(idx)) / 300 for idx in ensembles.bootstrap_indices(300, 5, 3)]  # run_capstone's draw
    assert np.mean(distinct) == pytest.approx(1 - (1 - 1 / 300) ** 300, abs=0.03)


@pytest.mark.equation("epoch-decay")
def test_session_6_batch_sizes_shrinkage_grows_less_than_twofold():
    """Erratum 17: the penalty's factor per epoch, f(B) = (1 - eta lambda)^(n/B), squares when B halves (what session 6
    prints), and the shrinkage 1 - f grows by 1 + f(2B) < 2 (1.96 and 1.92 here), not twofold."""
    f = {B: l2.epoch_decay_factor(0.1, 1e-3, 50_000, B) for B in (128, 64, 32)}
    for B in (64, 32):
        ratio = (1 - f[B]) / (1 - f[2 * B])
        assert ratio == pytest.approx(1 + f[2 * B], rel=1e-12) and ratio < 2
        assert f[B] == pytest.approx(f[2 * B] ** 2, rel=1e-12)
    assert round((1 - f[64]) / (1 - f[128]), 2) == 1.96 and round((1 - f[32]) / (1 - f[64]), 2) == 1.92


@pytest.mark.equation("sgd-l2-minimizer")
def test_sgd_on_the_mean_loss_ends_at_one_minimizer_whatever_the_batch_size_and_learning_rate():
    """Erratum (session 6, section 2): B and eta move the path and a fixed budget's end, not the minimizer."""
    r = np.random.default_rng(6)
    X = r.normal(size=(500, 4))
    y = X @ np.array([1.0, -1.0, 0.5, 0.0]) + r.normal(size=500)
    lam, n = 0.1, 500
    w_min = np.linalg.solve(X.T @ X / n + lam * np.eye(4), X.T @ y / n)  # zero of the mean loss's penalized gradient
    runs = [(50, 0.05), (25, 0.05), (50, 0.1)]
    ends = [l2.sgd_ridge(X, y, lam, B, eta, epochs=300, rng=1, lr_decay=0.97)[-1] for B, eta in runs]
    for end in ends:
        np.testing.assert_allclose(end, w_min, atol=2e-3)
    np.testing.assert_allclose(l2.ridge(X, y, n * lam), w_min, atol=1e-12)  # the same point in ridge's convention
    # full batch, constant rate: plain gradient descent, exact for any stable eta
    for eta in (0.3, 0.9):
        np.testing.assert_allclose(l2.sgd_ridge(X, y, lam, n, eta, epochs=200, rng=0)[-1], w_min, atol=1e-10)
    # a fixed budget of one epoch: each set-up stops elsewhere, all far from the minimizer
    budget = [l2.sgd_ridge(X, y, lam, B, eta, epochs=1, rng=1)[-1] for B, eta in runs]
    assert min(np.abs(b - w_min).max() for b in budget) > 0.2
    # halving B or doubling eta both take the first set-up twice as far, to first order the same distance
    assert min(np.abs(budget[0] - b).max() for b in budget[1:]) > 0.2
    assert 0.001 < np.abs(budget[1] - budget[2]).max() < 0.05


@pytest.mark.equation("mcnemar-paired")
def test_mcnemar_matches_an_independent_binomial_test():
    import scipy.stats

    from reglab import capstone

    r = np.random.default_rng(0)
    for n, q in ((600, 0.05), (600, 0.2), (40, 0.5), (3, 0.9)):
        a = r.random(n) < 0.8
        b = np.where(r.random(n) < q, ~a, a)  # flip a random share of the base's verdicts
        t = capstone.mcnemar(a, b)
        g, lo = int(np.sum(b & ~a)), int(np.sum(a & ~b))
        assert (t.gained, t.lost) == (g, lo) and t.difference == pytest.approx(b.mean() - a.mean(), abs=1e-15)
        ref = scipy.stats.binomtest(lo, g + lo, 0.5).pvalue if g + lo else 1.0
        assert t.p_value == pytest.approx(ref, rel=1e-9)
        k, m = min(g, lo), g + lo
        mid = min(1.0, 2 * scipy.stats.binom.cdf(k, m, 0.5) - scipy.stats.binom.pmf(k, m, 0.5))
        assert capstone.mcnemar(a, b, mid_p=True).p_value == pytest.approx(mid, rel=1e-9)
    with pytest.raises(ValueError, match="right"):
        capstone.mcnemar([0.9, 0.1], [1, 0])  # probabilities, not verdicts
    with pytest.raises(ValueError, match="same examples"):
        capstone.mcnemar([1, 0, 1], [1, 0])


@pytest.mark.equation("mcnemar-paired")
def test_capstone_l2_against_none_is_a_paired_comparison(capstone_run):
    """Erratum (session 6, w2): one accuracy's standard error is the wrong yardstick for two models on one test set."""
    from reglab import capstone

    split, res = capstone_run
    right = {m: res.predict_proba(m, split.X_test).argmax(axis=1) == split.y_test for m in ("none", "L2")}
    t = capstone.mcnemar(right["none"], right["L2"])
    assert (t.gained, t.lost) == (14, 4) and t.p_value == pytest.approx(0.031, abs=5e-4)
    assert t.difference == pytest.approx(res.table["L2"]["test_acc"] - res.table["none"]["test_acc"], abs=1e-12)
    # the unpaired yardstick (one accuracy's standard error) calls the same difference 1.6 "standard errors"
    acc = res.table["none"]["test_acc"]
    assert 1.5 < t.difference / np.sqrt(acc * (1 - acc) / len(split.y_test)) < 1.7
