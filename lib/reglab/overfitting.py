"""Session 0 - Overfitting, bias-variance, and the regularized objective.

* Overfitting: a high-degree polynomial on few noisy points (training error falls, validation rises).
* Bias-variance: expected error = bias^2 + variance + irreducible noise, measured by refitting on
  many resampled training sets.
* (7.1) J~(theta) = J(theta) + alpha Omega(theta), alpha >= 0; penalize weights, not biases.
* Penalty conventions and how to convert between them.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._validation import (
    as_float_array,
    as_rng,
    check_callable,
    check_int,
    check_nonneg_scalar,
    check_option,
    check_same_length,
    check_scalar,
)

__all__ = [
    "poly_features",
    "fit_polynomial",
    "predict_polynomial",
    "mse",
    "degree_sweep",
    "bias_variance",
    "regularized_objective",
    "l2_penalty",
    "l2_penalty_grad",
    "to_half_alpha",
    "CONVENTIONS",
]

CONVENTIONS = {
    "half": "(alpha/2) ||w||^2, gradient alpha w (the book's (7.5))",
    "full": "lambda ||w||^2, gradient 2 lambda w (scikit-learn Ridge's alpha)",
    "per_example": "(lambda / 2m) ||W||_F^2 summed over layers, gradient (lambda/m) W",
}


def poly_features(x, degree):
    """Polynomial design matrix in the Legendre basis P_0..P_degree on [-1, 1].

    The Legendre basis spans the same polynomials as 1, x, ..., x^degree but stays well conditioned
    at degree 20. Column 0 (P_0 = 1) is the bias.

    Returns
    -------
    ndarray, shape (len(x), degree + 1)
    """
    x = as_float_array(x, "x", ndim=1)
    degree = check_int(degree, "degree", minimum=0)
    if np.any(np.abs(x) > 1 + 1e-12):
        raise ValueError("x must lie in [-1, 1] (rescale inputs first)")
    return np.polynomial.legendre.legvander(x, degree)


def fit_polynomial(x, y, degree, alpha=0.0, penalize_bias=False):
    """Least-squares polynomial fit with an optional L2 penalty alpha ||w||^2.

    The bias (column P_0) is not penalized unless ``penalize_bias``: a bias touches a single unit
    and needs little data, and shrinking it toward 0 only adds underfitting.

    Returns
    -------
    ndarray, shape (degree + 1,)
        Legendre coefficients; evaluate with :func:`predict_polynomial`.
    """
    A = poly_features(x, degree)
    y = as_float_array(y, "y", ndim=1)
    alpha = check_nonneg_scalar(alpha, "alpha")
    check_same_length(A, y, "x", "y", unit="points")
    pen = np.full(degree + 1, alpha)
    if not penalize_bias:
        pen[0] = 0.0
    A_aug = np.vstack([A, np.diag(np.sqrt(pen))])
    y_aug = np.concatenate([y, np.zeros(degree + 1)])
    coef, *_ = np.linalg.lstsq(A_aug, y_aug, rcond=None)
    return coef


def predict_polynomial(coef, x):
    """Evaluate Legendre coefficients from :func:`fit_polynomial` at x."""
    coef = as_float_array(coef, "coef", ndim=1)
    return poly_features(x, coef.shape[0] - 1) @ coef


def mse(y_true, y_pred):
    """Mean squared error."""
    a = as_float_array(y_true, "y_true")
    b = as_float_array(y_pred, "y_pred")
    if a.shape != b.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape (one prediction per target), got {a.shape} and {b.shape}"
        )
    return float(np.mean((a - b) ** 2))


def degree_sweep(x_train, y_train, x_val, y_val, degrees, alpha=0.0):
    """Training and validation MSE of polynomial fits for each degree.

    Returns
    -------
    train_mse, val_mse : ndarray, shape (len(degrees),)
    """
    train, val = [], []
    for d in degrees:
        coef = fit_polynomial(x_train, y_train, d, alpha)
        train.append(mse(y_train, predict_polynomial(coef, x_train)))
        val.append(mse(y_val, predict_polynomial(coef, x_val)))
    return np.array(train), np.array(val)


def bias_variance(
    fit_predict: Callable,
    f_true: Callable,
    x_test,
    n_train,
    noise_std,
    n_repeats,
    rng,
):
    """Measure bias^2, variance and noise by refitting on many resampled training sets.

    Each repeat draws ``n_train`` inputs uniformly on [-1, 1] with targets f_true(x) + N(0, noise_std^2),
    fits, and predicts at ``x_test``.

    Parameters
    ----------
    fit_predict : callable
        ``fit_predict(x_train, y_train, x_test) -> predictions at x_test``.
    f_true : callable
        The noise-free function.
    x_test : array_like, shape (t,)
    n_train, n_repeats : int
    noise_std : float
    rng : Generator or seed

    Returns
    -------
    dict
        ``bias2``, ``variance``, ``noise`` (averaged over x_test) and ``predictions`` (n_repeats, t).
        The expected squared error on a fresh noisy target is bias2 + variance + noise.
    """
    fit_predict = check_callable(
        fit_predict, "fit_predict", "fit_predict(x_train, y_train, x_test) -> predictions"
    )
    f_true = check_callable(f_true, "f_true", "f_true(x) -> y")
    x_test = as_float_array(x_test, "x_test", ndim=1)
    n_train = check_int(n_train, "n_train", minimum=1)
    n_repeats = check_int(n_repeats, "n_repeats", minimum=2)
    noise_std = check_nonneg_scalar(noise_std, "noise_std")
    rng = as_rng(rng)
    preds = np.empty((n_repeats, x_test.size))
    for r in range(n_repeats):
        x = rng.uniform(-1, 1, n_train)
        y = f_true(x) + noise_std * rng.standard_normal(n_train)
        preds[r] = fit_predict(x, y, x_test)
    mean_pred = preds.mean(axis=0)
    return {
        "bias2": float(np.mean((mean_pred - f_true(x_test)) ** 2)),
        "variance": float(np.mean(preds.var(axis=0))),
        "noise": noise_std**2,
        "predictions": preds,
    }


def regularized_objective(loss, penalty, alpha):
    """J~ = J + alpha * Omega (7.1); alpha = 0 means no regularization."""
    loss = check_scalar(loss, "loss")
    penalty = check_nonneg_scalar(penalty, "penalty")
    return loss + check_nonneg_scalar(alpha, "alpha") * penalty


def to_half_alpha(strength, convention, m=None):
    """Convert a penalty coefficient to the book's alpha in (alpha/2) ||w||^2.

    ``"half"`` -> alpha; ``"full"`` (lambda ||w||^2) -> 2 lambda; ``"per_example"``
    ((lambda/2m) ||W||_F^2) -> lambda / m.
    """
    strength = check_nonneg_scalar(strength, "strength")
    convention = check_option(convention, "convention", CONVENTIONS)
    if convention == "half":
        return strength
    if convention == "full":
        return 2.0 * strength
    if m is None:
        raise ValueError("the per_example convention needs the number of examples m")
    return strength / check_int(m, "m", minimum=1)


def _weights_list(w):
    if isinstance(w, (list, tuple)):
        return [as_float_array(x, "w") for x in w]
    return [as_float_array(w, "w")]


def l2_penalty(w, strength, convention="half", m=None):
    """Value of the L2 penalty under a convention (w may be a list of per-layer matrices)."""
    alpha = to_half_alpha(strength, convention, m)
    return 0.5 * alpha * sum(float(np.sum(x**2)) for x in _weights_list(w))


def l2_penalty_grad(w, strength, convention="half", m=None):
    """Gradient of :func:`l2_penalty` with respect to w (same structure as w)."""
    alpha = to_half_alpha(strength, convention, m)
    grads = [alpha * x for x in _weights_list(w)]
    return grads if isinstance(w, (list, tuple)) else grads[0]
