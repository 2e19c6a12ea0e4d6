"""Session 4 - Bagging and the variance of an ensemble.

Equation (Goodfellow, Bengio & Courville, ch. 7):

* (7.50) k models with zero-mean errors, E[e_i^2] = v, E[e_i e_j] = c (i != j):
  E[(1/k sum_i e_i)^2] = v/k + (k-1) c / k.

Plus bootstrap resampling (each sample misses about 1/e = 36.8 % of the examples), bagging of any
fit/predict pair, and estimators of v and c from real models' errors.
"""

from __future__ import annotations

from collections.abc import Callable

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
    "nearest_neighbor_fit",
    "nearest_neighbor_regress",
    "bagging_vs_single",
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
    """Compute the expected squared error of the average of k models (7.50): v/k + (k-1) c / k.

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
        The expected squared error: v when c = v (no gain), v/k when c = 0, never above v.

    Raises
    ------
    ValueError
        If v < 0, k < 1, c > v (a covariance cannot exceed the variance) or c < -v/(k-1) (the
        covariance matrix would not be positive semidefinite).
    TypeError
        If c or v is not a number or k is not an integer.

    Examples
    --------
    >>> from reglab import ensembles
    >>> ensembles.ensemble_mse(2.0, 0.0, 4), ensembles.ensemble_mse(2.0, 2.0, 4)
    (0.5, 2.0)
    """
    v, c, k = _check_vck(v, c, k)
    return v / k + (k - 1) * c / k


def simulate_ensemble_mse(v, c, k, trials, rng, chunk=100_000):
    """Estimate E[(1/k sum e_i)^2] by Monte Carlo with jointly Gaussian correlated errors.

    Errors are drawn by :func:`correlated_errors` (variance v, covariance c), in chunks of ``chunk``
    trials to bound memory.

    Parameters
    ----------
    v : float
        Variance of each member's error, >= 0.
    c : float
        Covariance between two members' errors, -v/(k-1) <= c <= v.
    k : int
        Ensemble size, >= 1.
    trials : int
        Number of simulated draws, >= 1.
    rng : int or numpy.random.Generator
        Seed or generator of the draws.
    chunk : int, default=100_000
        Draws generated at once, >= 1.

    Returns
    -------
    float
        Mean over the trials of the squared average error.

    Raises
    ------
    ValueError
        If v < 0, k < 1, c > v (a covariance cannot exceed the variance) or c < -v/(k-1) (the
        covariance matrix would not be positive semidefinite).
    TypeError
        If c or v is not a number or k is not an integer.

    Examples
    --------
    >>> from reglab import ensembles
    >>> mc = ensembles.simulate_ensemble_mse(1.0, 0.5, 4, trials=100_000, rng=0)
    >>> abs(mc - ensembles.ensemble_mse(1.0, 0.5, 4)) < 0.01
    True
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
    """Draw the errors of k ensemble members at n points, jointly Gaussian with covariance c.

    Row t holds one draw of (e_1, ..., e_k) from N(0, Sigma) with Sigma = (v - c) I + c 11^T: each
    error has variance v and each pair covariance c, the assumptions of (7.50).

    Parameters
    ----------
    v : float
        Variance of each member's error, >= 0.
    c : float
        Covariance between two members' errors, -v/(k-1) <= c <= v.
    k : int
        Ensemble size, >= 1.
    n : int
        Number of draws (rows), >= 1.
    rng : int or numpy.random.Generator
        Seed or generator of the draws.

    Returns
    -------
    ndarray of shape (n, k)
        The errors; column i is member i.

    Raises
    ------
    ValueError
        If v < 0, k < 1, c > v (a covariance cannot exceed the variance) or c < -v/(k-1) (the
        covariance matrix would not be positive semidefinite).
    TypeError
        If c or v is not a number or k is not an integer.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import ensembles
    >>> e = ensembles.correlated_errors(1.0, 0.3, 3, 100_000, rng=0)
    >>> np.cov(e.T).round(1)
    array([[1. , 0.3, 0.3],
           [0.3, 1. , 0.3],
           [0.3, 0.3, 1. ]])
    """
    v, c, k = _check_vck(v, c, k)
    n = check_int(n, "n", minimum=1)
    rng = as_rng(rng)
    return rng.standard_normal((n, k)) @ _error_root(v, c, k).T


def bootstrap_indices(n, k, rng):
    """Draw k bootstrap samples of size n with replacement.

    Parameters
    ----------
    n : int
        Number of examples, >= 1.
    k : int
        Number of samples, >= 1.
    rng : int or numpy.random.Generator
        Seed or generator of the draws.

    Returns
    -------
    ndarray of shape (k, n)
        Row i holds the example indices of sample i.

    Raises
    ------
    ValueError
        If n < 1 or k < 1.

    Examples
    --------
    >>> from reglab import ensembles
    >>> ensembles.bootstrap_indices(5, 2, rng=0).shape
    (2, 5)
    """
    n = check_int(n, "n", minimum=1)
    k = check_int(k, "k", minimum=1)
    rng = as_rng(rng)
    return rng.integers(0, n, size=(k, n))


def out_of_bag_fraction(indices, n):
    """Compute the fraction of the n examples each bootstrap sample misses (about (1 - 1/n)^n -> 1/e).

    Parameters
    ----------
    indices : array-like of shape (k, n_draws)
        Integer example indices of each sample, as from :func:`bootstrap_indices`.
    n : int
        Number of examples, >= 1.

    Returns
    -------
    ndarray of shape (k,)
        Fraction of examples absent from each sample.

    Raises
    ------
    ValueError
        If an index is outside [0, n).
    TypeError
        If the indices are not integers.

    Examples
    --------
    >>> from reglab import ensembles
    >>> ensembles.out_of_bag_fraction([[0, 0, 1, 3]], 4)
    array([0.25])
    """
    idx = np.atleast_2d(np.asarray(indices))
    if not np.issubdtype(idx.dtype, np.integer):
        raise InvalidTypeError(
            f"indices must be integer row indices, e.g. from bootstrap_indices, got dtype {idx.dtype}"
        )
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
    X : array-like of shape (n_samples, ...)
        Training inputs (first axis = examples).
    y : array-like of shape (n_samples, ...)
        Training targets.
    X_test : array-like
        Inputs to predict, passed to ``predict`` as they are.
    k : int
        Number of members, >= 1.
    rng : int or numpy.random.Generator
        Seed or generator of the bootstrap samples.

    Returns
    -------
    ndarray of shape (k, n_test, ...)
        Predictions of each member; average over axis 0 for regression, vote for classification.

    Raises
    ------
    ValueError
        If X and y have different numbers of examples or k < 1.
    TypeError
        If fit or predict is not callable.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import ensembles
    >>> fit = lambda X, y: np.mean(y)
    >>> predict = lambda model, X: np.full(len(X), model)
    >>> ensembles.bagged_predictions(fit, predict, np.zeros(4), np.arange(4.0), np.zeros(2), k=3, rng=0).shape
    (3, 2)
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
    errors : array-like of shape (k, n_points)
        Member errors: errors[i, t] = prediction of member i minus the target at test point t, k >= 2.

    Returns
    -------
    v : float
        Mean over members and points of e_i^2.
    c : float
        Mean over pairs i != j and points of e_i e_j. With these empirical moments,
        mean_t (mean_i e_it)^2 = v/k + (k-1) c/k holds exactly.

    Raises
    ------
    ValueError
        If errors is not 2-D or has fewer than 2 rows.

    Examples
    --------
    >>> from reglab import ensembles
    >>> ensembles.estimate_v_c([[1.0, -1.0], [1.0, 1.0]])
    (1.0, 0.0)
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


def nearest_neighbor_fit(x, y):
    """Fit 1-nearest-neighbour regression on 1-D inputs: the model is the training set itself.

    A high-variance learner: its prediction jumps with every noisy training point, so averaging
    bootstrap copies (bagging) smooths it; compare with a low-variance polynomial fit.

    Parameters
    ----------
    x : array-like of shape (n_samples,)
        Inputs.
    y : array-like of shape (n_samples,)
        Targets.

    Returns
    -------
    tuple of (ndarray, ndarray)
        (x, y) as float arrays, the model for :func:`nearest_neighbor_regress`.

    Raises
    ------
    ValueError
        If x and y have different lengths or are empty.

    Examples
    --------
    >>> from reglab import ensembles
    >>> model = ensembles.nearest_neighbor_fit([0.0, 1.0], [5.0, 7.0])
    >>> ensembles.nearest_neighbor_regress(model, [0.2, 0.9])
    array([5., 7.])
    """
    x = as_float_array(x, "x", ndim=1)
    y = as_float_array(y, "y", ndim=1)
    check_same_length(x, y, "x", "y", unit="examples")
    if x.size == 0:
        raise ValueError("x must not be empty")
    return x, y


def nearest_neighbor_regress(model, x):
    """Regress with a model from :func:`nearest_neighbor_fit`: the target of the nearest training input.

    1-nearest-neighbour regression on 1-D inputs (for classifying images by their nearest labelled
    reference, see :func:`reglab.augmentation.nearest_neighbor_classify`).

    Parameters
    ----------
    model : tuple of (ndarray, ndarray)
        The training inputs and targets.
    x : array-like of shape (n_samples,)
        Inputs.

    Returns
    -------
    ndarray of shape (n_samples,)
        Predictions.

    Raises
    ------
    ValueError
        If x is not 1-D or not finite.

    Examples
    --------
    >>> from reglab import ensembles
    >>> ensembles.nearest_neighbor_regress(([0.0, 1.0], [5.0, 7.0]), [0.6])
    array([7.])
    """
    xs, ys = np.asarray(model[0], dtype=float), np.asarray(model[1], dtype=float)
    x = as_float_array(x, "x", ndim=1)
    return ys[np.argmin(np.abs(x[:, None] - xs[None, :]), axis=1)]


def bagging_vs_single(fit, predict, X, y, X_test, target, k, seeds):
    """Compare a bag of k bootstrap-trained models with ONE model fit on all the data, over several seeds.

    The ensemble always beats its average member (7.50); the question a practitioner asks is
    whether it beats the single model trained on all the data. Bagging helps high-variance learners
    and can hurt low-variance ones, whose bootstrap members each see only ~63% of the distinct points.

    Parameters
    ----------
    fit : callable
        ``fit(X, y) -> model``.
    predict : callable
        ``predict(model, X) -> predictions``.
    X : array-like of shape (n_samples, ...)
        Training inputs.
    y : array-like of shape (n_samples,)
        Training targets.
    X_test : array-like
        Test inputs.
    target : array-like of shape (n_test,)
        The noise-free target at X_test.
    k : int
        Bag size, >= 1.
    seeds : sequence of int
        One bootstrap seed per trial.

    Returns
    -------
    bag_mse : ndarray of shape (len(seeds),)
        Mean squared error of the bag's average prediction against target, per seed.
    single_mse : float
        That of the single model fit on all of X (it does not depend on the seed).

    Raises
    ------
    ValueError
        If X and y have different lengths or k < 1.
    TypeError
        If fit or predict is not callable.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import data, ensembles
    >>> x, y = data.polynomial_data(30, noise=0.3, rng=1)
    >>> grid = np.linspace(-0.8, 0.8, 50)
    >>> bag, single = ensembles.bagging_vs_single(ensembles.nearest_neighbor_fit, ensembles.nearest_neighbor_regress,
    ...                                           x, y, grid, data.true_function(grid), k=25, seeds=range(3))
    >>> bool(np.all(bag < single))
    True
    """
    fit = check_callable(fit, "fit", "fit(X, y) -> model")
    predict = check_callable(predict, "predict", "predict(model, X) -> predictions")
    target = as_float_array(target, "target", ndim=1)
    seeds = [int(s) for s in seeds]
    single = float(np.mean((np.asarray(predict(fit(X, y), X_test), dtype=float) - target) ** 2))
    bag = np.array([
        np.mean((bagged_predictions(fit, predict, X, y, X_test, k, s).mean(axis=0) - target) ** 2) for s in seeds
    ])
    return bag, single
