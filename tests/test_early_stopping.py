"""Session 3: early stopping and its equivalence to L2 on a quadratic."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import random_psd
from reglab import early_stopping as es
from reglab import l2


@pytest.mark.equation("7.40")
@given(st.integers(1, 5), st.floats(0.05, 1.9), st.integers(0, 60), st.integers(0, 2**32 - 1))
def test_gd_iterates_match_closed_form_7_40(d, eps_scale, tau, seed):
    rng = np.random.default_rng(seed)
    H = random_psd(rng, d)
    w_star = rng.standard_normal(d)
    eps = eps_scale / np.linalg.eigvalsh(H).max()  # |1 - eps lambda| < 1 in every direction
    it = es.gd_iterates(H, w_star, eps, tau)
    assert it.shape == (tau + 1, d)
    np.testing.assert_allclose(it[-1], es.gd_closed_form(H, w_star, eps, tau), atol=1e-9)


@pytest.mark.equation("7.37")
def test_gd_iterates_from_nonzero_start_follow_matrix_power(rng):
    """(7.37) unrolled: w(tau) - w* = (I - eps H)^tau (w0 - w*)."""
    H = random_psd(rng, 3)
    w_star, w0 = rng.standard_normal(3), rng.standard_normal(3)
    eps = 0.1
    it = es.gd_iterates(H, w_star, eps, 25, w0=w0)
    M = np.linalg.matrix_power(np.eye(3) - eps * H, 25)
    np.testing.assert_allclose(it[25] - w_star, M @ (w0 - w_star), atol=1e-12)
    np.testing.assert_array_equal(it[0], w0)


def test_closed_form_non_integer_tau_interpolates(rng):
    H = np.diag([0.5, 2.0])
    w_star = np.array([1.0, -1.0])
    mid = es.gd_closed_form(H, w_star, 0.1, 10.5)
    a, b = es.gd_closed_form(H, w_star, 0.1, 10), es.gd_closed_form(H, w_star, 0.1, 11)
    assert np.all((mid - a) * (b - mid) > 0)  # strictly between consecutive steps, per coordinate
    with pytest.raises(ValueError, match="non-integer tau"):
        es.gd_closed_form(H, w_star, 0.9, 2.5)  # eps * lambda = 1.8 > 1: negative base


@pytest.mark.equation("7.42", "7.43")
@given(st.integers(1, 5), st.floats(0.05, 0.99), st.integers(1, 200), st.integers(0, 2**32 - 1))
def test_equivalent_alpha_reproduces_gd_exactly_per_direction_7_43(d, eps_scale, tau, seed):
    """Ridge with alpha_i in direction i lands exactly where tau GD steps land."""
    rng = np.random.default_rng(seed)
    lam = rng.uniform(0.05, 5.0, d)
    eps = eps_scale / lam.max()
    w_star = rng.standard_normal(d)
    alphas = es.equivalent_alpha(lam, eps, tau)
    gd = es.gd_closed_form(np.diag(lam), w_star, eps, tau)
    for i in range(d):
        e = np.zeros(d)
        e[i] = 1.0
        ridge_i = l2.eigen_rescale(np.diag(lam), w_star, alphas[i]) @ e
        assert ridge_i == pytest.approx(gd[i], rel=1e-7, abs=1e-12)


def test_equivalent_alpha_edge_cases():
    a = es.equivalent_alpha([0.0, 1.0], 0.5, 4)
    # a flat direction never moves, so every alpha matches: the convention is the limit lambda -> 0+, 1/(eps tau)
    assert a[0] == pytest.approx(1 / (0.5 * 4), rel=1e-15)
    assert np.all(es.equivalent_alpha([0.0, 1.0], 0.5, 0) == np.inf)  # tau = 0: only an infinite penalty keeps w = 0
    assert es.equivalent_alpha([1.0], 1.0, 3)[0] == 0.0  # eps*lambda = 1: one step reaches w*
    assert np.isnan(es.equivalent_alpha([1.0], 1.5, 3)[0])  # odd number of overshooting steps
    assert es.equivalent_alpha([1.0], 1.5, 4)[0] > 0  # even: the overshoot cancels
    with pytest.raises(ValueError, match="diverges"):
        es.equivalent_alpha([1.0, 3.0], 1.0, 5)  # eps*lambda = 3


@pytest.mark.equation("7.45")
def test_single_alpha_holds_when_eps_lambda_and_lambda_over_alpha_are_small():
    """(7.45): relative error about lambda/(2 alpha) + eps lambda/2, under 1% in that regime."""
    eps, tau = 1e-3, 1000.0  # alpha ~ 1/(eps tau) = 1
    lam = np.array([1e-4, 1e-3, 1e-2])
    exact = es.equivalent_alpha(lam, eps, tau)
    approx = es.approx_alpha(eps, tau)
    rel = np.abs(exact - approx) / exact
    bound = lam / (2 * approx) + eps * lam
    assert np.all(rel < 0.01)
    assert np.all(rel <= 1.5 * bound + 1e-6)


@pytest.mark.parametrize(
    "eps,tau,lam,min_rel_err",
    [
        (1e-3, 1000.0, 1.0, 0.3),  # lambda comparable to alpha = 1: lambda/alpha not small
        (0.5, 2.0, 1.0, 0.5),  # eps*lambda = 0.5: not small
        (0.9, 1.0, 1.0, 0.5),  # eps*lambda near 1
    ],
)
@pytest.mark.equation("7.45")
def test_single_alpha_breaks_outside_its_regime(eps, tau, lam, min_rel_err):
    exact = es.equivalent_alpha([lam], eps, tau)[0]
    approx = es.approx_alpha(eps, tau)
    assert abs(exact - approx) / exact > min_rel_err


@pytest.mark.equation("early-stopping")
def test_early_stopping_keeps_best_copy_and_respects_patience():
    losses = [5.0, 4.0, 3.0, 3.5, 2.5, 2.6, 2.7, 2.8, 1.0]
    stopper = es.EarlyStopping(patience=3)
    params = {"w": np.zeros(2)}
    stopped_at = None
    for step, loss in enumerate(losses):
        params["w"] = params["w"] + 1.0  # mutate in place: the stored best must be a copy
        if stopper.update(step, loss, params):
            stopped_at = step
            break
    assert stopped_at == 7  # three evaluations without improving on 2.5 (steps 5, 6, 7)
    assert stopper.best_step == 4 and stopper.best_loss == 2.5
    np.testing.assert_array_equal(stopper.best_params["w"], [5.0, 5.0])
    # brute force: the best of the evaluated prefix
    assert stopper.best_loss == min(losses[: stopped_at + 1])


@pytest.mark.equation("early-stopping")
def test_run_early_stopping_returns_best_not_last_on_real_training(rng):
    """Noisy linear regression with few examples: validation loss is U-shaped in training time."""
    n, d = 20, 15
    w_true = np.zeros(d)
    w_true[:3] = [2.0, -1.0, 0.5]
    X, Xv = rng.standard_normal((n, d)), rng.standard_normal((200, d))
    y = X @ w_true + 1.0 * rng.standard_normal(n)
    yv = Xv @ w_true + 1.0 * rng.standard_normal(200)
    lr = 0.01
    def step(w):
        return w - lr * X.T @ (X @ w - y) / n
    def val(w):
        return float(np.mean((Xv @ w - yv) ** 2))
    res = es.run_early_stopping(step, val, np.zeros(d), max_steps=20000, eval_every=10, patience=20)
    w = np.zeros(d)
    trajectory = [val(w)]
    for s in range(1, res.stopped_step + 1):
        w = step(w)
        if s % 10 == 0:
            trajectory.append(val(w))
    assert res.best_loss == pytest.approx(min(trajectory))
    assert res.best_step == 10 * int(np.argmin(trajectory))
    assert res.stopped_step < 20000 and res.best_step < res.stopped_step
    assert val(res.best_params) == pytest.approx(res.best_loss)
    assert trajectory[-1] > res.best_loss  # the last parameters are worse than the returned ones


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: es.gd_iterates(np.eye(2), [1.0, 1.0], 0.0, 3), "eps must be > 0"),
        (lambda: es.gd_iterates(np.eye(2), [1.0, 1.0], 0.1, -1), "steps must be >= 0"),
        (lambda: es.gd_iterates(np.eye(2), [1.0, 1.0], 0.1, 2.5), "integer"),
        (lambda: es.gd_iterates(np.eye(2), [1.0, 1.0], 0.1, 3, w0=[1.0]), "w0"),
        (lambda: es.gd_closed_form(-np.eye(2), [1.0, 1.0], 0.1, 3), "positive semidefinite"),
        (lambda: es.equivalent_alpha([-1.0], 0.1, 3), ">= 0"),
        (lambda: es.approx_alpha(0.1, 0), "tau must be > 0"),
        (lambda: es.EarlyStopping(patience=0), "patience"),
        (lambda: es.EarlyStopping().update(0, float("nan"), None), "NaN"),
    ],
)
def test_bad_inputs_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
