"""Closed-form learning curves and the batched L1/L2 zero counts behind the new explorations."""

import numpy as np
import pytest

from reglab import data, l1, l2, playground


@pytest.mark.equation("dropout-marginalized")
def test_dropout_on_features_is_a_ridge_penalty_in_expectation():
    rng = np.random.default_rng(0)
    F, y, w = np.abs(rng.normal(size=(6, 4))), rng.normal(size=6), rng.normal(size=4)
    p = 0.6
    masks = rng.random((400_000, 6, 4)) < p
    mc = np.mean((y - np.einsum("mnj,j->mn", masks * F / p, w)) ** 2)
    exact = np.mean((y - F @ w) ** 2) + w @ (playground.dropout_penalty_diag(F, p) * w)
    assert mc == pytest.approx(exact, rel=5e-3)


@pytest.mark.equation("dropout-marginalized")
def test_closed_form_curves_equal_explicit_gradient_descent():
    x, y = data.polynomial_data(12, 0.3, rng=1)
    xv, yv = data.polynomial_data(50, 0.3, rng=2)
    F, Fv = playground.random_relu_features(x, 30, rng=0), playground.random_relu_features(xv, 30, rng=0)
    alpha, p = 1e-3, 0.7
    c = playground.gd_learning_curves(F, y, Fv, yv, np.array([0, 1, 7, 200]), alpha, p)
    D = playground.dropout_penalty_diag(F, p)
    w, path = np.zeros(30), [np.zeros(30)]
    for _ in range(200):
        w = w - c["eps"] * (-(2 / 12) * F.T @ (y - F @ w) + alpha * w + 2 * D * w)
        path.append(w.copy())
    np.testing.assert_allclose(c["w"], np.array(path)[[0, 1, 7, 200]], atol=1e-12)
    np.testing.assert_allclose(c["val"], np.mean((Fv @ c["w"].T - yv[:, None]) ** 2, axis=0), rtol=1e-12)


def test_unregularized_curves_overfit_and_l2_narrows_the_gap():
    x, y = data.polynomial_data(15, 0.3, rng=1)
    xv, yv = data.polynomial_data(200, 0.3, rng=2)
    F, Fv = playground.random_relu_features(x, 100, rng=0), playground.random_relu_features(xv, 100, rng=0)
    steps = np.unique(np.round(np.geomspace(1, 1e6, 50)).astype(int))
    free = playground.gd_learning_curves(F, y, Fv, yv, steps)
    assert np.argmin(free["val"]) < len(steps) - 1 and free["val"][-1] > 1.3 * free["val"].min()  # U-shape
    reg = playground.gd_learning_curves(F, y, Fv, yv, steps, alpha=0.1)
    assert reg["val"][-1] - reg["train"][-1] < free["val"][-1] - free["train"][-1]


@pytest.mark.equation("l1-zero-frequency")
def test_exact_zero_fractions_match_one_problem_at_a_time():
    X, y, w_true = data.random_sparse_regressions(n_problems=15, rng=3)
    alphas = [0.3, 3.0, 30.0]
    z1, z2, W1, W2 = l1.exact_zero_fractions(X, y, alphas)
    for j, a in enumerate(alphas):
        ref1 = np.array([l1.lasso(X[p], y[p], a) for p in range(15)])
        ref2 = np.array([l2.ridge(X[p], y[p], a) for p in range(15)])  # same minimizer: both sides doubled
        np.testing.assert_allclose(W1[j], ref1, atol=1e-7)
        np.testing.assert_array_equal(W1[j] == 0, ref1 == 0)
        np.testing.assert_allclose(W2[j], ref2, atol=1e-10)
        assert z1[j] == np.mean(ref1 == 0) and z2[j] == 0.0
    assert z1[0] < z1[1] < z1[2]
    assert np.mean(w_true == 0) == pytest.approx(0.7)
