"""Session 3 - Early stopping and its equivalence to L2.

Equations (Goodfellow, Bengio & Courville, ch. 7), quadratic model with w(0) = 0, step eps:

* (7.35-7.37) w(tau) - w* = (I - eps H)(w(tau-1) - w*).
* (7.40)      Q^T w(tau) = [I - (I - eps Lambda)^tau] Q^T w*, valid when |1 - eps lambda_i| < 1.
* (7.42)      L2 in the same basis: Q^T w~ = [I - (Lambda + alpha I)^-1 alpha] Q^T w*.
* (7.43)      the two agree when (I - eps Lambda)^tau = (Lambda + alpha I)^-1 alpha, one alpha_i per direction.
* (7.44-7.45) for small eps lambda_i and lambda_i / alpha: tau ~ 1/(eps alpha), alpha ~ 1/(tau eps).

Plus the early-stopping meta-algorithm (patience, best-parameter copy).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validation import (
    as_float_array,
    as_rng,
    check_callable,
    check_int,
    check_nonneg_scalar,
    check_positive_scalar,
    check_real,
    check_scalar,
    check_sym_psd,
    check_vector_for_matrix,
)

__all__ = [
    "gd_iterates",
    "gd_closed_form",
    "equivalent_alpha",
    "approx_alpha",
    "approximation_ratio",
    "sign_flip_eps",
    "validation_selection_bias",
    "kfold_indices",
    "EarlyStopping",
    "run_early_stopping",
    "EarlyStoppingResult",
]


def _check_quadratic(H, w_star):
    H, lam, Q = check_sym_psd(H)
    w_star = as_float_array(w_star, "w_star", ndim=1)
    check_vector_for_matrix(w_star, H)
    return H, lam, Q, w_star


def gd_iterates(H, w_star, eps, steps, w0=None):
    """Run plain gradient descent on J(w) = 1/2 (w - w*)^T H (w - w*) and return every iterate (7.35).

    Parameters
    ----------
    H : array-like of shape (n_features, n_features)
        Symmetric positive semidefinite Hessian at the minimum w*.
    w_star : array-like of shape (n_features,)
        Unregularized minimizer.
    eps : float
        Step size, > 0.
    steps : int
        Number of steps, >= 0.
    w0 : array-like of shape (n_features,), default=None
        Starting point; zero by default (the assumption behind (7.40)).

    Returns
    -------
    ndarray of shape (steps + 1, n_features)
        Row tau is w(tau); row 0 is w0.

    Raises
    ------
    ValueError
        If H is not square, symmetric and positive semidefinite, or w_star does not have one entry
        per row of H.
        Also if eps <= 0, steps < 0 or w0 has the wrong length.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import early_stopping
    >>> early_stopping.gd_iterates(np.diag([1.0, 0.1]), [1.0, 1.0], eps=0.5, steps=2)
    array([[0.    , 0.    ],
           [0.5   , 0.05  ],
           [0.75  , 0.0975]])
    """
    H, _, _, w_star = _check_quadratic(H, w_star)
    eps = check_positive_scalar(eps, "eps")
    steps = check_int(steps, "steps", minimum=0)
    d = H.shape[0]
    w = np.zeros(d) if w0 is None else as_float_array(w0, "w0", ndim=1).copy()
    check_vector_for_matrix(w, H, "w0")
    out = np.empty((steps + 1, d))
    out[0] = w
    for t in range(1, steps + 1):
        w = w - eps * (H @ (w - w_star))
        out[t] = w
    return out


def _decay_powers(lam, eps, tau):
    base = 1.0 - eps * lam
    if float(tau).is_integer():
        return base ** int(tau)
    if np.any(base < 0):
        raise ValueError("a non-integer tau needs eps * lambda_i <= 1 for every direction")
    return base**tau


def gd_closed_form(H, w_star, eps, tau):
    """Evaluate the closed form of gradient descent from w(0) = 0 after tau steps (7.40).

    w(tau) = Q [I - (I - eps Lambda)^tau] Q^T w*, with H = Q Lambda Q^T.

    Parameters
    ----------
    H : array-like of shape (n_features, n_features)
        Symmetric positive semidefinite Hessian at the minimum w*.
    w_star : array-like of shape (n_features,)
        Unregularized minimizer.
    eps : float
        Step size, > 0.
    tau : float
        Number of steps, >= 0. It may be a non-integer (for smooth plots) when eps * lambda_i <= 1 in
        every direction: the closed form then interpolates the iterates geometrically (per direction,
        the distance to w* at tau + 1/2 is the geometric mean of those at tau and tau + 1); no gradient
        step lands there.

    Returns
    -------
    ndarray of shape (n_features,)
        The iterate w(tau).

    Raises
    ------
    ValueError
        If H is not square, symmetric and positive semidefinite, or w_star does not have one entry
        per row of H.
        Also if eps <= 0, tau < 0, or tau is not an integer while some eps * lambda_i > 1.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import early_stopping
    >>> H, w_star = np.diag([1.0, 0.1]), np.array([1.0, 1.0])
    >>> bool(np.allclose(early_stopping.gd_closed_form(H, w_star, 0.5, 2),
    ...                  early_stopping.gd_iterates(H, w_star, 0.5, 2)[-1]))
    True
    """
    H, lam, Q, w_star = _check_quadratic(H, w_star)
    eps = check_positive_scalar(eps, "eps")
    tau = check_nonneg_scalar(tau, "tau")
    factors = 1.0 - _decay_powers(lam, eps, tau)
    return Q @ (factors * (Q.T @ w_star))


def equivalent_alpha(eigvals, eps, tau):
    """Compute the per-direction alpha_i that makes tau GD steps equal to L2 exactly (7.43).

    Solves (1 - eps lambda_i)^tau = alpha_i / (lambda_i + alpha_i), i.e.
    alpha_i = lambda_i r_i / (1 - r_i) with r_i = (1 - eps lambda_i)^tau.

    Parameters
    ----------
    eigvals : array-like of shape (n_features,)
        Eigenvalues lambda_i >= 0 of H.
    eps : float
        Step size, > 0.
    tau : float
        Number of steps, >= 0.

    Returns
    -------
    ndarray of shape (n_features,)
        The alpha_i >= 0; ``inf`` where tau = 0 (only an infinite penalty keeps w at 0); ``nan`` where
        r_i < 0 (an odd number of overshooting steps, 1 < eps lambda_i < 2, puts the iterate beyond w*,
        which no alpha >= 0 can do). Where lambda_i = 0 a convention: neither gradient descent nor
        ridge moves that direction, so every alpha > 0 matches; the value returned is the limit of
        alpha_i as lambda_i -> 0+, 1/(eps tau) (where (7.45) is exact), so that alpha_i is continuous
        in lambda_i and a round-off eigenvalue of 1e-17 gets the same answer as an exact 0.

    Raises
    ------
    ValueError
        If some |1 - eps lambda_i| >= 1 with lambda_i > 0 (gradient descent does not converge), or
        an eigenvalue is negative.

    Examples
    --------
    >>> from reglab import early_stopping
    >>> early_stopping.equivalent_alpha([1.0, 1e-6, 0.0], eps=0.1, tau=10)
    array([0.5353, 1.    , 1.    ])
    """
    lam = as_float_array(eigvals, "eigvals")
    eps = check_positive_scalar(eps, "eps")
    tau = check_nonneg_scalar(tau, "tau")
    if np.any(lam < 0):
        raise ValueError("eigvals must be >= 0")
    pos = lam > 0
    if np.any(eps * lam >= 2):  # |1 - eps lambda_i| < 1 for lambda_i > 0 (not tested as such: 1 - 1e-18 == 1.0)
        raise ValueError(
            "gradient descent diverges or oscillates forever: need |1 - eps*lambda_i| < 1 "
            f"(eps*lambda_max = {eps * lam.max():.3g}, must be < 2)"
        )
    r = _decay_powers(lam, eps, tau)
    with np.errstate(divide="ignore", invalid="ignore"):
        # 1 - r without cancellation when eps*lambda_i is tiny (r close to 1): -expm1(tau log(1 - eps lambda_i))
        inside = (eps * lam < 1) & (tau > 0)
        gap = np.where(inside, -np.expm1(tau * np.log1p(-np.where(inside, eps * lam, 0.0))), 1 - r)
        finite = pos & (gap > 0)
        out = np.where(finite, lam * r / np.where(finite, gap, 1.0), np.inf)
        if tau > 0:
            out = np.where(pos, out, 1.0 / (eps * tau))  # lambda_i = 0: the limit lambda_i -> 0+, a convention
    out = np.where(pos & (r < 0), np.nan, out)
    return out


def approx_alpha(eps, tau):
    """Approximate the equivalent L2 strength by the single value alpha ~ 1 / (eps tau) (7.45).

    Good when eps lambda_i << 1 and lambda_i << alpha; see :func:`equivalent_alpha` for the exact
    per-direction values.

    Parameters
    ----------
    eps : float
        Step size, > 0.
    tau : float
        Number of steps, > 0.

    Returns
    -------
    float
        1 / (eps tau).

    Raises
    ------
    ValueError
        If eps <= 0 or tau <= 0.

    Examples
    --------
    >>> from reglab import early_stopping
    >>> early_stopping.approx_alpha(0.1, 20)
    0.5
    """
    eps = check_positive_scalar(eps, "eps")
    tau = check_positive_scalar(tau, "tau")
    return 1.0 / (eps * tau)


@dataclass
class EarlyStoppingResult:
    """Outcome of :func:`run_early_stopping`.

    Parameters
    ----------
    best_step : int
        Step with the lowest validation loss.
    best_loss : float
        That loss.
    best_params : object
        Deep copy of the parameters at ``best_step``.
    stopped_step : int
        Step at which training stopped.
    history : list of (int, float), default=[]
        Every (step, validation loss) evaluated.

    Examples
    --------
    >>> from reglab import early_stopping
    >>> early_stopping.EarlyStoppingResult(3, 0.2, [1.0], 8).best_step
    3
    """

    best_step: int
    best_loss: float
    best_params: Any
    stopped_step: int
    history: list = field(default_factory=list)  # (step, validation loss) pairs


class EarlyStopping:
    """Early-stopping bookkeeping: best-parameter copy and patience.

    Call :meth:`update` after each validation evaluation. It keeps a deep copy of the parameters
    with the lowest validation loss so far and returns ``True`` once ``patience`` evaluations in a
    row have failed to improve on it by more than ``min_delta``.

    Parameters
    ----------
    patience : int, default=5
        Evaluations without improvement before stopping, >= 1.
    min_delta : float, default=0.0
        Smallest decrease of the validation loss that counts as an improvement, >= 0.

    Raises
    ------
    ValueError
        If patience < 1 or min_delta < 0.

    Examples
    --------
    >>> from reglab import early_stopping
    >>> es = early_stopping.EarlyStopping(patience=2)
    >>> [es.update(step, loss, {"w": step}) for step, loss in enumerate([3.0, 2.0, 2.5, 2.2])]
    [False, False, False, True]
    >>> es.best_step, es.best_params
    (1, {'w': 1})
    """

    def __init__(self, patience=5, min_delta=0.0):
        self.patience = check_int(patience, "patience", minimum=1)
        self.min_delta = check_nonneg_scalar(min_delta, "min_delta")
        self.best_loss = np.inf
        self.best_step = None
        self.best_params = None
        self.bad_evals = 0
        self.history = []

    def update(self, step, val_loss, params):
        """Record one evaluation; return True when training should stop.

        Parameters
        ----------
        step : int
            The step (or epoch) of this evaluation.
        val_loss : float
            Validation loss at this step.
        params : object
            Current parameters, deep-copied when they are the best so far.

        Returns
        -------
        bool
            True once ``patience`` evaluations in a row have not improved on the best loss.

        Raises
        ------
        ValueError
            If val_loss is NaN (training diverged).
        TypeError
            If step is not an integer or val_loss is not a number.

        Examples
        --------
        >>> from reglab import early_stopping
        >>> es = early_stopping.EarlyStopping(patience=1)
        >>> es.update(0, 1.0, None), es.update(1, 1.5, None)
        (False, True)
        """
        step = check_int(step, "step")
        val_loss = check_real(val_loss, "val_loss")
        if np.isnan(val_loss):
            raise ValueError(f"validation loss is NaN at step {step}: training diverged")
        self.history.append((step, val_loss))
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss = val_loss
            self.best_step = step
            self.best_params = copy.deepcopy(params)
            self.bad_evals = 0
        else:
            self.bad_evals += 1
        return self.bad_evals >= self.patience


def run_early_stopping(
    step_fn: Callable[[Any], Any],
    val_loss_fn: Callable[[Any], float],
    params,
    max_steps,
    eval_every=1,
    patience=5,
    min_delta=0.0,
):
    """Train with early stopping and return the BEST parameters, not the last.

    Parameters
    ----------
    step_fn : callable
        ``step_fn(params) -> params``, one training step.
    val_loss_fn : callable
        ``val_loss_fn(params) -> float``, the validation loss.
    params : object
        Initial parameters (deep-copied when a new best is seen).
    max_steps : int
        Maximum number of training steps, >= 0.
    eval_every : int, default=1
        Evaluate on validation data every ``eval_every`` steps (step 0 is evaluated too).
    patience : int, default=5
        Evaluations without improvement before stopping.
    min_delta : float, default=0.0
        Smallest decrease that counts as an improvement.

    Returns
    -------
    EarlyStoppingResult
        Best step, loss and parameters, the step where training stopped, and the history.

    Raises
    ------
    ValueError
        If max_steps < 0, eval_every < 1, patience < 1 or min_delta < 0, or a validation loss is
        NaN.
    TypeError
        If step_fn or val_loss_fn is not callable.

    Examples
    --------
    >>> from reglab import early_stopping
    >>> res = early_stopping.run_early_stopping(lambda w: w + 1, lambda w: (w - 3) ** 2, 0,
    ...                                         max_steps=100, patience=2)
    >>> res.best_step, res.best_params, res.stopped_step
    (3, 3, 5)
    """
    step_fn = check_callable(step_fn, "step_fn", "step_fn(params) -> params")
    val_loss_fn = check_callable(val_loss_fn, "val_loss_fn", "val_loss_fn(params) -> float")
    max_steps = check_int(max_steps, "max_steps", minimum=0)
    eval_every = check_int(eval_every, "eval_every", minimum=1)
    es = EarlyStopping(patience=patience, min_delta=min_delta)
    step = 0
    stop = es.update(0, val_loss_fn(params), params)
    while not stop and step < max_steps:
        params = step_fn(params)
        step += 1
        if step % eval_every == 0:
            stop = es.update(step, val_loss_fn(params), params)
    return EarlyStoppingResult(es.best_step, es.best_loss, es.best_params, step, es.history)


def approximation_ratio(eigvals, eps, tau):
    """Compare the exact per-direction alpha_i (7.43) with the single alpha = 1/(eps tau) (7.45).

    The ratio is near 1 only while eps lambda_i << 1 AND lambda_i << 1/(eps tau), i.e. while the
    direction is still far from converged; once eps tau lambda_i is of order 1 or more, the exact
    alpha_i falls far below 1/(eps tau) (e.g. lambda = 0.05, eps = 0.1: 0.92 at tau = 30, 0.58 at
    tau = 200, 0.03 at tau = 1000).

    Parameters
    ----------
    eigvals : array-like of shape (n_features,)
        Eigenvalues lambda_i >= 0 of H (a zero one has ratio 1: the convention of :func:`equivalent_alpha`).
    eps : float
        Step size, > 0, with eps lambda_i < 2.
    tau : float
        Number of steps, > 0.

    Returns
    -------
    ndarray of shape (n_features,)
        The ratio alpha_i * eps * tau (nan where alpha_i is undefined, see :func:`equivalent_alpha`).

    Raises
    ------
    ValueError
        If an eigenvalue is negative, or eps or tau is not positive, or gradient descent diverges.

    Examples
    --------
    >>> from reglab import early_stopping
    >>> early_stopping.approximation_ratio([0.05], 0.1, 30).round(2)
    array([0.92])
    """
    eps = check_positive_scalar(eps, "eps")
    tau = check_positive_scalar(tau, "tau")
    return equivalent_alpha(eigvals, eps, tau) / approx_alpha(eps, tau)


def sign_flip_eps(eigvals):
    """Return the step size above which some direction overshoots: eps > 1/lambda_max.

    For eps lambda_i > 1 the factor 1 - eps lambda_i is negative, so after an odd number of steps
    (1 - eps lambda_i)^tau < 0 and the iterate is beyond w* in that direction: no alpha_i >= 0
    reproduces it (:func:`equivalent_alpha` gives nan). This starts at eps = 1/lambda_max, well before
    divergence at eps = 2/lambda_max.

    Parameters
    ----------
    eigvals : array-like of shape (n_features,)
        Eigenvalues of H, >= 0, at least one > 0.

    Returns
    -------
    float
        1 / max(eigvals).

    Raises
    ------
    ValueError
        If an eigenvalue is negative or all are 0.

    Examples
    --------
    >>> from reglab import early_stopping
    >>> early_stopping.sign_flip_eps([1.0, 0.05])
    1.0
    """
    lam = as_float_array(eigvals, "eigvals")
    if lam.size == 0 or np.any(lam < 0) or lam.max() <= 0:
        raise ValueError("eigvals must be >= 0 with at least one > 0")
    return float(1.0 / lam.max())


def validation_selection_bias(n_candidates, n_val, error_rate, trials, rng):
    """Simulate choosing the best of several equally good models on one validation set.

    Every candidate (a setting, a seed, an early-stopping run) has the same true error rate; its
    validation error is the fraction of ``n_val`` independent examples it gets wrong. Picking the
    lowest validation error picks the luckiest draw, so the chosen model's validation error is
    biased low, by more as candidates multiply and by less as the validation set grows: the
    validation set itself is being fitted. A fresh test set (or K-fold cross-validation,
    :func:`kfold_indices`, when data are scarce) measures the chosen model honestly.

    Parameters
    ----------
    n_candidates : int
        Models compared, >= 1.
    n_val : int
        Validation examples, >= 1.
    error_rate : float
        True error rate of every candidate, in [0, 1].
    trials : int
        Repetitions, >= 1.
    rng : int or numpy.random.Generator
        Seed or generator.

    Returns
    -------
    float
        Mean validation error of the chosen candidate over the trials; its true (test) error is
        ``error_rate``.

    Raises
    ------
    ValueError
        If a count is below 1 or error_rate is outside [0, 1].

    Examples
    --------
    >>> from reglab import early_stopping
    >>> one = early_stopping.validation_selection_bias(1, 200, 0.2, 2000, rng=0)
    >>> many = early_stopping.validation_selection_bias(50, 200, 0.2, 2000, rng=0)
    >>> round(one, 2), many < 0.16
    (0.2, True)
    """
    n_candidates = check_int(n_candidates, "n_candidates", minimum=1)
    n_val = check_int(n_val, "n_val", minimum=1)
    error_rate = check_scalar(error_rate, "error_rate", 0.0, 1.0)
    trials = check_int(trials, "trials", minimum=1)
    rng = as_rng(rng)
    val_errors = rng.binomial(n_val, error_rate, size=(trials, n_candidates)) / n_val
    return float(np.mean(val_errors.min(axis=1)))


def kfold_indices(n, k, rng):
    """Split range(n) into k shuffled folds of (nearly) equal size, for K-fold cross-validation.

    Each fold serves once as the validation set while the model trains on the other k - 1; every
    example is validated on exactly once, so small data sets are not spent on one fixed split.

    Parameters
    ----------
    n : int
        Number of examples, >= k.
    k : int
        Number of folds, >= 2.
    rng : int or numpy.random.Generator
        Seed or generator of the shuffle.

    Returns
    -------
    list of ndarray
        The k validation folds; together a permutation of range(n).

    Raises
    ------
    ValueError
        If k < 2 or n < k.

    Examples
    --------
    >>> from reglab import early_stopping
    >>> [len(f) for f in early_stopping.kfold_indices(10, 3, rng=0)]
    [4, 3, 3]
    """
    k = check_int(k, "k", minimum=2)
    n = check_int(n, "n", minimum=k)
    return np.array_split(as_rng(rng).permutation(n), k)
