"""Session 4: ensemble error (7.50), bootstrap and bagging."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reglab import data, ensembles, overfitting


@pytest.mark.equation("7.50")
@given(st.floats(0.01, 10.0), st.floats(-1.0, 1.0), st.integers(1, 50))
def test_ensemble_mse_equals_quadratic_form_of_covariance(v, rho, k):
    """Independent algebra: Var(mean) = 1^T Sigma 1 / k^2 with Sigma = (v - c) I + c 11^T."""
    c = rho * v if rho >= 0 else rho * v / max(k - 1, 1)
    sigma = (v - c) * np.eye(k) + c * np.ones((k, k))
    assert ensembles.ensemble_mse(v, c, k) == pytest.approx(np.ones(k) @ sigma @ np.ones(k) / k**2, rel=1e-9, abs=1e-12)
    assert ensembles.ensemble_mse(v, c, k) <= v * (1 + 1e-12)  # never worse than one member


def test_ensemble_mse_limits():
    assert ensembles.ensemble_mse(2.0, 2.0, 10) == pytest.approx(2.0)  # c = v: no gain
    assert ensembles.ensemble_mse(2.0, 0.0, 10) == pytest.approx(0.2)  # c = 0: v/k
    assert ensembles.ensemble_mse(2.0, 0.5, 1) == pytest.approx(2.0)


@pytest.mark.equation("7.50")
@pytest.mark.parametrize("v,c,k", [(1.0, 0.0, 5), (1.0, 0.5, 10), (2.0, 2.0, 4), (1.0, -0.2, 5), (3.0, 1.0, 1)])
def test_monte_carlo_agrees_with_formula_7_50(v, c, k):
    trials = 200_000
    est = ensembles.simulate_ensemble_mse(v, c, k, trials, np.random.default_rng(7), chunk=50_000)
    exact = ensembles.ensemble_mse(v, c, k)
    se = exact * np.sqrt(2.0 / trials)  # the mean of a Gaussian squared: Var = 2 sigma^4
    assert abs(est - exact) < 5 * se + 1e-12


@pytest.mark.equation("bootstrap-1/e")
def test_bootstrap_misses_about_one_over_e():
    n = 1000
    idx = ensembles.bootstrap_indices(n, 400, np.random.default_rng(0))
    assert idx.shape == (400, n) and idx.min() >= 0 and idx.max() < n
    oob = ensembles.out_of_bag_fraction(idx, n)
    expected = (1 - 1 / n) ** n  # exact expectation; -> 1/e = 0.3679
    sd = np.sqrt(expected * (1 - expected) / n)  # rough per-sample spread
    assert abs(oob.mean() - expected) < 5 * sd / np.sqrt(400)
    assert abs(expected - np.exp(-1)) < 2e-4
    # sampled WITH replacement: duplicates appear
    assert all(len(np.unique(row)) < n for row in idx[:5])


def test_estimate_v_c_identity_is_exact(rng):
    e = rng.standard_normal((7, 50)) + 0.5 * rng.standard_normal(50)
    v, c = ensembles.estimate_v_c(e)
    lhs = np.mean(e.mean(axis=0) ** 2)
    assert lhs == pytest.approx(v / 7 + 6 * c / 7, rel=1e-12)
    # independent estimate of c by looping over pairs
    pairs = [np.mean(e[i] * e[j]) for i in range(7) for j in range(7) if i != j]
    assert c == pytest.approx(np.mean(pairs), rel=1e-12)


@pytest.mark.equation("7.50", "bagging")
def test_bagged_polynomials_beat_their_average_member():
    """Real bagged models: degree-6 polynomials on 30 points, scored inside the data range.

    The ensemble's error follows (7.50).
    """
    x, y = data.polynomial_data(30, noise=0.3, rng=1)
    x_test = np.linspace(-0.8, 0.8, 200)
    def fit(X, Y):
        return overfitting.fit_polynomial(X, Y, 6)
    preds = ensembles.bagged_predictions(
        fit, overfitting.predict_polynomial, x, y, x_test, 25, np.random.default_rng(2)
    )
    assert preds.shape == (25, 200)
    errors = preds - data.true_function(x_test)
    v, c = ensembles.estimate_v_c(errors)
    ens = np.mean(errors.mean(axis=0) ** 2)
    assert ens == pytest.approx(v / 25 + 24 * c / 25, rel=1e-10)
    assert ens < v and 0 < c < v  # correlated but not identical members: some gain


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: ensembles.ensemble_mse(1.0, 2.0, 3), "cannot exceed"),
        (lambda: ensembles.ensemble_mse(1.0, -0.9, 3), "too negative"),
        (lambda: ensembles.ensemble_mse(-1.0, 0.0, 3), "v must be >= 0"),
        (lambda: ensembles.ensemble_mse(1.0, 0.0, 0), "k must be >= 1"),
        (lambda: ensembles.simulate_ensemble_mse(1.0, 0.0, 3, 10, "seed"), "Generator"),
        (lambda: ensembles.out_of_bag_fraction([[0, 5]], 3), r"\[0, 3\)"),
        (lambda: ensembles.estimate_v_c(np.ones((1, 3))), "at least 2"),
        (
            lambda: ensembles.bagged_predictions(lambda X, y: 0, lambda m, X: X, np.ones(3), np.ones(2), None, 2, 0),
            "examples",
        ),
    ],
)
def test_bad_inputs_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("v,c,k", [(1.0, 0.3, 4), (2.0, -0.4, 3), (0.5, 0.5, 2)])
def test_correlated_errors_have_variance_v_and_covariance_c(v, c, k):
    n = 200_000
    e = ensembles.correlated_errors(v, c, k, n, 0)
    assert e.shape == (n, k)
    cov = e.T @ e / n  # zero-mean by construction: the second moments are the covariance
    se = 5 * np.sqrt(2 * v**2 / n)  # generous bound on a sample second moment's standard error
    np.testing.assert_allclose(np.diag(cov), v, atol=se)
    np.testing.assert_allclose(cov[~np.eye(k, dtype=bool)], c, atol=se)
    # the same draws numpy's multivariate normal (eigh factorization) gives for this seed
    sigma = (v - c) * np.eye(k) + c * np.ones((k, k))
    ref = np.random.default_rng(0).multivariate_normal(np.zeros(k), sigma, size=n, method="eigh")
    np.testing.assert_allclose(e, ref, atol=1e-12)
