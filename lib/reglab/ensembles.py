"""Session 4 - Bagging and the variance of an ensemble.

Equation (Goodfellow, Bengio & Courville, ch. 7):

* (7.50) k models with zero-mean errors, E[e_i^2] = v, E[e_i e_j] = c (i != j):
  E[(1/k sum_i e_i)^2] = v/k + (k-1) c / k.

Plus bootstrap resampling (each sample misses about 1/e = 36.8 % of the examples), bagging of any
fit/predict pair, and estimators of v and c from real models' errors.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._validation import (
    InvalidTypeError,
    as_float_array,
    as_rng,
    check_callable,
    check_int,
    check_nonneg_scalar,
    check_same_length,
    check_scalar,
)

__all__ = [
    "ensemble_mse",
    "simulate_ensemble_mse",
    "correlated_errors",
    "bootstrap_indices",
    "out_of_bag_fraction",
    "bagged_predictions",
    "estimate_v_c",
]


def _check_vck(v, c, k):
    v = check_nonneg_scalar(v, "v")
    c = check_scalar(c, "c")
    k = check_int(k, "k", minimum=1)
    if c > v * (1 + 1e-12):
        raise ValueError(f"covariance c = {c} cannot exceed the variance v = {v} (|correlation| <= 1)")
    if k > 1 and c < -v / (k - 1) * (1 + 1e-12):
        raise ValueError(
            f"c = {c} is too negative for k = {k}: the covariance matrix needs c >= -v/(k-1) = {-v / (k - 1):.4g}"
        )
    return v, c, k


def ensemble_mse(v, c, k):
    """Expected squared error of the average of k models (7.50): v/k + (k-1) c / k.

    Parameters
    ----------
    v : float
        Variance of each member's error, >= 0.
    c : float
        Covariance between two members' errors, -v/(k-1) <= c <= v.
    k : int
        Ensemble size, >= 1.

    Returns
    -------
    float
        Equals v when c = v (no gain), v/k when c = 0, and is never above v.
    """
    v, c, k = _check_vck(v, c, k)
    return v / k + (k - 1) * c / k


def simulate_ensemble_mse(v, c, k, trials, rng, chunk=100_000):
    """Monte Carlo estimate of E[(1/k sum e_i)^2] with jointly Gaussian correlated errors.

    Errors are drawn from N(0, Sigma) with Sigma = (v - c) I + c 11^T (variance v, covariance c),
    in chunks of ``chunk`` trials to bound memory.

    Returns
    -------
    float
    """
    v, c, k = _check_vck(v, c, k)
    trials = check_int(trials, "trials", minimum=1)
    rng = as_rng(rng)
    chunk = check_int(chunk, "chunk", minimum=1)
    root = _error_root(v, c, k)
    total, done = 0.0, 0
    while done < trials:
        m = min(chunk, trials - done)
        errors = rng.standard_normal((m, k)) @ root.T
        total += float(np.sum(errors.mean(axis=1) ** 2))
        done += m
    return total / trials


def _error_root(v, c, k):
    """A square root R of Sigma = (v - c) I + c 11^T (Sigma = R R^T), from its eigendecomposition."""
    sigma = (v - c) * np.eye(k) + c * np.ones((k, k))
    lam, Q = np.linalg.eigh(sigma)
    return Q * np.sqrt(np.clip(lam, 0, None))


def correlated_errors(v, c, k, n, rng):
    """Draw the errors of k ensemble members on n test points, jointly Gaussian.

    Row t holds one draw of (e_1, ..., e_k) from N(0, Sigma) with Sigma = (v - c) I + c 11^T: each
    error has variance v and each pair covariance c, the assumptions of (7.50).
    """
    v, c, k = _check_vck(v, c, k)
    n = check_int(n, "n", minimum=1)
    rng = as_rng(rng)
    return rng.standard_normal((n, k)) @ _error_root(v, c, k).T


def bootstrap_indices(n, k, rng):
    """k bootstrap samples of size n drawn with replacement.

    Returns
    -------
    ndarray of int, shape (k, n)
    """
    n = check_int(n, "n", minimum=1)
    k = check_int(k, "k", minimum=1)
    rng = as_rng(rng)
    return rng.integers(0, n, size=(k, n))


def out_of_bag_fraction(indices, n):
    """Fraction of the n examples each bootstrap sample misses (about (1 - 1/n)^n -> 1/e).

    Returns
    -------
    ndarray, shape (k,)
    """
    idx = np.atleast_2d(np.asarray(indices))
    if not np.issubdtype(idx.dtype, np.integer):
        raise InvalidTypeError(f"indices must be integer row indices, e.g. from bootstrap_indices, got dtype {idx.dtype}")
    n = check_int(n, "n", minimum=1)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"indices must lie in [0, {n})")
    seen = np.zeros((idx.shape[0], n), dtype=bool)
    np.put_along_axis(seen, idx, True, axis=1)
    return 1.0 - seen.mean(axis=1)


def bagged_predictions(
    fit: Callable, predict: Callable, X, y, X_test, k, rng
):
    """Train one model per bootstrap sample and return every member's predictions.

    Parameters
    ----------
    fit : callable
        ``fit(X, y) -> model``.
    predict : callable
        ``predict(model, X) -> ndarray``.
    X, y : training data (first axis = examples)
    X_test : inputs to predict
    k : int, number of members
    rng : Generator or seed

    Returns
    -------
    ndarray, shape (k, n_test, ...)
        Average over axis 0 for regression; vote for classification.
    """
    fit = check_callable(fit, "fit", "fit(X, y) -> model")
    predict = check_callable(predict, "predict", "predict(model, X) -> predictions")
    X = np.asarray(X)
    y = np.asarray(y)
    check_same_length(X, y, unit="examples")
    idx = bootstrap_indices(len(X), k, rng)
    return np.stack([np.asarray(predict(fit(X[i], y[i]), X_test), dtype=float) for i in idx])


def estimate_v_c(errors):
    """Estimate v and c of (7.50) from member errors on test points.

    Parameters
    ----------
    errors : array_like, shape (k, n)
        errors[i, t] = prediction of member i minus target at test point t, k >= 2.

    Returns
    -------
    v, c : float
        v = mean over members and points of e_i^2; c = mean over pairs i != j and points of e_i e_j.
        With these empirical moments, mean_t (mean_i e_it)^2 = v/k + (k-1) c/k holds exactly.
    """
    e = as_float_array(errors, "errors", ndim=2)
    k, n = e.shape
    if k < 2:
        raise ValueError("need at least 2 members to estimate a covariance")
    v = float(np.mean(e**2))
    s = e.sum(axis=0)
    pair_sum = float(np.sum(s**2 - np.sum(e**2, axis=0)))  # sum over i != j of e_i e_j, all points
    c = pair_sum / (k * (k - 1) * n)
    return v, c
