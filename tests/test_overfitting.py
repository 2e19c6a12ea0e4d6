"""Session 0: polynomial overfitting, bias-variance, the regularized objective and conventions."""

import numpy as np
import pytest
import scipy.optimize
from sklearn.linear_model import Ridge

from reglab import data
from reglab import overfitting as of


def test_legendre_features_span_the_monomials(rng):
    """Fits in the Legendre basis equal numpy's monomial polyfit (an independent basis and solver)."""
    x = np.sort(rng.uniform(-1, 1, 30))
    y = np.sin(3 * x) + 0.1 * rng.standard_normal(30)
    for d in range(0, 6):
        coef = of.fit_polynomial(x, y, d)
        ref = np.polyval(np.polyfit(x, y, d), x)
        np.testing.assert_allclose(of.predict_polynomial(coef, x), ref, atol=1e-9)
    P = of.poly_features(x, 3)
    np.testing.assert_allclose(P[:, 2], 0.5 * (3 * x**2 - 1))


@pytest.mark.equation("overfitting")
def test_interpolating_polynomial_overfits():
    """Degree 9 through 10 noisy points: training error ~0, validation error explodes."""
    x, y = data.polynomial_data(10, noise=0.3, rng=0)
    xv, yv = data.polynomial_data(200, noise=0.3, rng=1)
    degrees = [1, 3, 6, 9]
    train, val = of.degree_sweep(x, y, xv, yv, degrees)
    assert train[-1] < 1e-20  # interpolation
    assert np.all(np.diff(train) <= 1e-12)  # training error only falls with capacity
    assert val[-1] > 100 * val[1]  # validation error rises: overfitting
    assert np.argmin(val) in (1, 2)
    # a little L2 tames the same degree-9 fit
    _, val_reg = of.degree_sweep(x, y, xv, yv, [9], alpha=1e-3)
    assert val_reg[0] < val[-1] / 100


def test_degree_20_on_10_points_is_the_minimum_norm_interpolant():
    """With more coefficients than points, least squares picks the minimum-norm interpolant: the
    alpha -> 0+ limit of ridge (implicit regularization), not the wildest curve."""
    x, y = data.polynomial_data(10, noise=0.3, rng=0)
    coef = of.fit_polynomial(x, y, 20)
    np.testing.assert_allclose(of.predict_polynomial(coef, x), y, atol=1e-10)
    limit = of.fit_polynomial(x, y, 20, alpha=1e-12, penalize_bias=True)
    np.testing.assert_allclose(coef, limit, atol=1e-5)
    A = of.poly_features(x, 20)
    np.testing.assert_allclose(coef, np.linalg.pinv(A) @ y, atol=1e-8)


@pytest.mark.equation("bias-variance")
def test_bias_variance_decomposition_matches_direct_expected_error():
    """bias^2 + variance + noise equals E[(y_new - f_hat(x))^2] measured directly on fresh targets."""
    x_test = np.linspace(-0.9, 0.9, 40)
    def fp(x, y, xt):
        return of.predict_polynomial(of.fit_polynomial(x, y, 5), xt)
    res = of.bias_variance(fp, data.true_function, x_test, 25, 0.3, 3000, np.random.default_rng(0))
    rng = np.random.default_rng(99)
    y_new = data.true_function(x_test) + 0.3 * rng.standard_normal(res["predictions"].shape)
    direct = np.mean((y_new - res["predictions"]) ** 2)
    total = res["bias2"] + res["variance"] + res["noise"]
    assert total == pytest.approx(direct, rel=0.02)
    assert res["noise"] == pytest.approx(0.09)


def test_bias_variance_tradeoff_with_degree():
    x_test = np.linspace(-0.9, 0.9, 40)
    out = {}
    for d in (1, 5):
        def fp(x, y, xt, d=d):
            return of.predict_polynomial(of.fit_polynomial(x, y, d), xt)
        out[d] = of.bias_variance(fp, data.true_function, x_test, 30, 0.3, 400, np.random.default_rng(1))
    assert out[1]["bias2"] > 10 * out[5]["bias2"]
    assert out[5]["variance"] > 1.3 * out[1]["variance"]  # measured: 0.030 vs 0.020


@pytest.mark.equation("no-bias-penalty")
def test_bias_is_not_penalized_by_default():
    x, y = data.polynomial_data(30, noise=0.1, rng=2)
    y = y + 5.0
    huge = 1e9
    free = of.fit_polynomial(x, y, 4, alpha=huge)
    shrunk = of.fit_polynomial(x, y, 4, alpha=huge, penalize_bias=True)
    assert free[0] == pytest.approx(np.mean(y), rel=1e-6)  # all slopes ~0, intercept the mean
    assert abs(shrunk[0]) < 1e-5  # penalized bias dragged to 0: underfitting


@pytest.mark.equation("7.1")
def test_regularized_objective():
    assert of.regularized_objective(2.0, 3.0, 0.0) == 2.0
    assert of.regularized_objective(2.0, 3.0, 0.5) == 3.5
    with pytest.raises(ValueError):
        of.regularized_objective(2.0, 3.0, -1)


@pytest.mark.equation("conventions")
@pytest.mark.parametrize("convention,m", [("half", None), ("full", None), ("per_example", 50)])
def test_penalty_gradient_matches_finite_differences(rng, convention, m):
    w = rng.standard_normal(5)
    g = scipy.optimize.approx_fprime(w, lambda u: of.l2_penalty(u, 0.3, convention, m), 1e-7)
    np.testing.assert_allclose(of.l2_penalty_grad(w, 0.3, convention, m), g, rtol=1e-5)
    np.testing.assert_allclose(of.l2_penalty_grad(w, 0.3, convention, m), of.to_half_alpha(0.3, convention, m) * w)


def test_per_example_convention_sums_over_layers(rng):
    Ws = [rng.standard_normal((3, 4)), rng.standard_normal((4, 2))]
    lam, m = 0.2, 10
    expected = lam / (2 * m) * sum(np.sum(W**2) for W in Ws)  # (lambda / 2m) sum ||W||_F^2
    assert of.l2_penalty(Ws, lam, "per_example", m) == pytest.approx(expected)
    grads = of.l2_penalty_grad(Ws, lam, "per_example", m)
    np.testing.assert_allclose(grads[1], lam / m * Ws[1])


@pytest.mark.equation("conventions")
def test_sklearn_ridge_alpha_is_the_full_convention(rng):
    """Ridge minimizes ||y - Xw||^2 + a||w||^2: half-convention alpha = 2a on the 1/2-scaled loss."""
    X, y = rng.standard_normal((40, 3)), rng.standard_normal(40)
    a = 3.0
    alpha = of.to_half_alpha(a, "full")
    w = Ridge(alpha=a, fit_intercept=False).fit(X, y).coef_
    # stationarity of 1/2||y - Xw||^2 + (alpha/2)||w||^2 scaled by 2... i.e. X^T(Xw - y) + a w = 0
    np.testing.assert_allclose(X.T @ (X @ w - y) + 0.5 * alpha * w, 0, atol=1e-9)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: of.poly_features([2.0], 3), r"\[-1, 1\]"),
        (lambda: of.poly_features([0.0], -1), "degree"),
        (lambda: of.fit_polynomial([0.0, 0.5], [1.0], 1), "points"),
        (lambda: of.to_half_alpha(1.0, "per_example"), "number of examples"),
        (lambda: of.to_half_alpha(1.0, "double"), "convention"),
        (lambda: of.mse([1, 2], [1, 2, 3]), "same shape"),
        (lambda: of.bias_variance(lambda x, y, t: t, np.sin, [0.0], 5, 0.1, 1, 0), "n_repeats"),
    ],
)
def test_bad_inputs_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
