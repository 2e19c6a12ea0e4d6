"""Session 6 playground: training and validation curves of a small network, computed in closed form.

The network has one ReLU hidden layer whose weights are drawn once and kept fixed (random
features); only the output weights w are trained, by full-batch gradient descent from w = 0 on

    J(w) = (1/n) ||y - F w||^2 + (alpha/2) ||w||^2 + [dropout term],

with F the n x H matrix of hidden activations. J is quadratic, so the iterate after t steps has the
closed form of (7.40), w(t) = Q [I - (I - eps Lambda)^t] Lambda^+ Q^T b, and whole learning curves
cost one eigendecomposition: cheap enough to redraw while a slider moves.

Dropout on the hidden units (inverted, keep probability p) is used through its expectation: for a
model linear in the dropped units, E_mask (y - sum_j m_j F_ij w_j / p)^2 = (y - F w)_i^2 +
(1 - p)/p sum_j F_ij^2 w_j^2, so dropout adds the data-dependent ridge penalty
w^T D w with D_jj = (1 - p)/p * mean_i F_ij^2 (:func:`dropout_penalty_diag`). The curves are
those of gradient descent on this expected objective, not of one noisy dropout run.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, as_rng, check_int, check_keep_prob, check_nonneg_scalar, check_same_length

__all__ = [
    "random_relu_features",
    "dropout_penalty_diag",
    "gd_learning_curves",
]


def random_relu_features(x, n_hidden, rng):
    """Compute the hidden layer of a 1-input ReLU network with fixed random weights: relu(a_j x + c_j).

    Slopes a_j ~ N(0, 3^2) and kinks -c_j/a_j uniform on [-1, 1], so the units bend inside the data's
    range.

    Parameters
    ----------
    x : array-like of shape (n_samples,)
        Inputs, usually in [-1, 1].
    n_hidden : int
        Number of hidden units, >= 1.
    rng : int or numpy.random.Generator
        Seed or generator of the hidden weights (the same seed gives the same network).

    Returns
    -------
    ndarray of shape (n_samples, n_hidden)
        Hidden activations F.

    Raises
    ------
    ValueError
        If x is not 1-D and finite, or n_hidden < 1.

    Examples
    --------
    >>> from reglab import playground
    >>> F = playground.random_relu_features([-1.0, 0.0, 1.0], 5, rng=0)
    >>> F.shape, bool((F >= 0).all())
    ((3, 5), True)
    """
    x = as_float_array(x, "x", ndim=1)
    n_hidden = check_int(n_hidden, "n_hidden", minimum=1)
    rng = as_rng(rng)
    a = 3.0 * rng.standard_normal(n_hidden)
    kinks = rng.uniform(-1, 1, n_hidden)
    return np.maximum(np.outer(x, a) - a * kinks, 0.0)


def dropout_penalty_diag(F, keep_prob):
    """Compute the diagonal D of the penalty w^T D w that inverted dropout on the features adds in expectation.

    D_jj = (1 - p)/p * mean_i F_ij^2: E over masks of the mean squared error with dropped features
    equals the mean squared error without dropout plus w^T D w.

    Parameters
    ----------
    F : array-like of shape (n_samples, n_features)
        Features (hidden activations) that dropout masks.
    keep_prob : float
        Keep probability p, in (0, 1].

    Returns
    -------
    ndarray of shape (n_features,)
        The diagonal of D (0 when p = 1).

    Raises
    ------
    ValueError
        If keep_prob is outside (0, 1] or F is not 2-D and finite.

    Examples
    --------
    >>> from reglab import playground
    >>> playground.dropout_penalty_diag([[1.0, 2.0], [1.0, 0.0]], 0.5)
    array([1., 2.])
    """
    F = as_float_array(F, "F", ndim=2)
    p = check_keep_prob(keep_prob)
    return _dropout_diag(F, p)


def _dropout_diag(F, p):
    return (1.0 - p) / p * np.mean(F * F, axis=0)


def gd_learning_curves(F, y, F_val, y_val, steps, alpha=0.0, keep_prob=1.0):
    """Compute training and validation MSE of gradient descent on J(w) after each number of steps, in closed form.

    J(w) = (1/n) ||y - F w||^2 + (alpha/2) ||w||^2 + w^T D w (D from :func:`dropout_penalty_diag`),
    gradient descent from w = 0 with step eps = 1 / lambda_max of the Hessian (every direction
    decays monotonically, none overshoots).

    Parameters
    ----------
    F : array-like of shape (n_samples, n_features)
        Training features.
    y : array-like of shape (n_samples,)
        Training targets.
    F_val : array-like of shape (n_val, n_features)
        Validation features.
    y_val : array-like of shape (n_val,)
        Validation targets.
    steps : array-like of int
        Numbers of steps t >= 0 at which to evaluate.
    alpha : float, default=0.0
        L2 strength, >= 0.
    keep_prob : float, default=1.0
        Keep probability of the (marginalized) dropout on the features, in (0, 1].

    Returns
    -------
    dict
        ``train`` and ``val``: ndarrays of shape (len(steps),), the unpenalized mean squared errors;
        ``w``: ndarray of shape (len(steps), n_features), the iterates; ``eps``: the step size.

    Raises
    ------
    ValueError
        If shapes do not match, a step is negative, alpha < 0 or keep_prob is outside (0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import playground
    >>> F = playground.random_relu_features(np.linspace(-1, 1, 8), 20, rng=0)
    >>> curves = playground.gd_learning_curves(F, np.sin(np.linspace(-1, 1, 8)), F, np.zeros(8), [0, 10, 1000])
    >>> bool(curves["train"][0] > curves["train"][1] > curves["train"][2])
    True
    """
    F = as_float_array(F, "F", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    F_val = as_float_array(F_val, "F_val", ndim=2)
    y_val = as_float_array(y_val, "y_val", ndim=1)
    check_same_length(F, y, "F", "y")
    check_same_length(F_val, y_val, "F_val", "y_val")
    if F_val.shape[1] != F.shape[1]:
        raise ValueError(f"F_val has {F_val.shape[1]} features but F has {F.shape[1]}")
    steps = np.asarray(steps)
    if steps.ndim != 1 or not np.issubdtype(steps.dtype, np.integer) or np.any(steps < 0):
        raise ValueError("steps must be a 1-D array of integers >= 0")
    alpha = check_nonneg_scalar(alpha, "alpha")
    p = check_keep_prob(keep_prob)
    return _curves(F, y, F_val, y_val, steps, alpha, p)


def _curves(F, y, F_val, y_val, steps, alpha, p):
    n = F.shape[0]
    A = (2.0 / n) * F.T @ F + np.diag(2.0 * _dropout_diag(F, p) + alpha)
    b = (2.0 / n) * F.T @ y
    lam, Q = np.linalg.eigh(A)
    lam = np.maximum(lam, 0.0)
    eps = 1.0 / lam.max()
    bq = Q.T @ b
    # coefficient of b_q after t steps: (1 - (1 - eps lam)^t) / lam, written with expm1/log1p so that it
    # stays accurate (-> eps t) for tiny lam; the stiffest direction (eps lam = 1) is solved in one step
    t = steps[:, None].astype(float)
    x = np.minimum(eps * lam, 1.0)
    safe = np.where(lam > 0, lam, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        coef = np.where(x < 1.0, -np.expm1(t * np.log1p(-np.where(x < 1.0, x, 0.0))) / safe, (t > 0) / safe)
    coef = np.where(lam > 0, coef, eps * t)
    W = (coef * bq) @ Q.T
    train = np.mean((F @ W.T - y[:, None]) ** 2, axis=0)
    val = np.mean((F_val @ W.T - y_val[:, None]) ** 2, axis=0)
    return {"train": train, "val": val, "w": W, "eps": eps}
