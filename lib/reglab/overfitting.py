"""Session 0 - Overfitting, bias-variance, and the regularized objective.

* Overfitting: a high-degree polynomial on few noisy points (training error falls, validation rises).
* Bias-variance: expected error = bias^2 + variance + irreducible noise, measured by refitting on
  many resampled training sets.
* (7.1) J~(theta) = J(theta) + alpha Omega(theta), alpha >= 0; penalize weights, not biases.
* Penalty conventions and how to convert between them; the per-example L1 penalty of a network,
  (lambda/m) ||W||_1 over the weights, gradient (lambda/m) sign(W).
"""

from __future__ import annotations

from collections.abc import Callable

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
    "polynomial_objective",
    "min_norm_interpolant",
    "predict_polynomial",
    "mse",
    "degree_sweep",
    "bias_variance",
    "regularized_objective",
    "l2_penalty",
    "l2_penalty_grad",
    "l1_penalty",
    "l1_penalty_grad",
    "to_half_alpha",
    "CONVENTIONS",
]

CONVENTIONS = {
    "half": "(alpha/2) ||w||^2, gradient alpha w (the book's (7.5))",
    "full": "lambda ||w||^2, gradient 2 lambda w (scikit-learn Ridge's alpha)",
    "per_example": "(lambda / 2m) ||W||_F^2 summed over layers, gradient (lambda/m) W",
}


def poly_features(x, degree):
    """Build the polynomial design matrix in the Legendre basis P_0..P_degree on [-1, 1].

    The Legendre basis spans the same polynomials as 1, x, ..., x^degree but stays well conditioned
    at degree 20. Column 0 (P_0 = 1) is the bias.

    Parameters
    ----------
    x : array-like of shape (n_samples,)
        Inputs in [-1, 1].
    degree : int
        Polynomial degree, >= 0.

    Returns
    -------
    ndarray of shape (n_samples, degree + 1)
        Column j is P_j(x).

    Raises
    ------
    ValueError
        If an input is outside [-1, 1] or degree < 0.

    Examples
    --------
    >>> from reglab import overfitting
    >>> overfitting.poly_features([-1.0, 0.0, 1.0], 2)
    array([[ 1. , -1. ,  1. ],
           [ 1. ,  0. , -0.5],
           [ 1. ,  1. ,  1. ]])
    """
    x = as_float_array(x, "x", ndim=1)
    degree = check_int(degree, "degree", minimum=0)
    if np.any(np.abs(x) > 1 + 1e-12):
        raise ValueError("x must lie in [-1, 1] (rescale inputs first)")
    return np.polynomial.legendre.legvander(x, degree)


def fit_polynomial(x, y, degree, alpha=0.0, penalize_bias=False):
    """Fit a polynomial by least squares with an optional L2 penalty alpha ||w||^2.

    Minimizes sum (y - y_hat)^2 + alpha ||w_1:||^2 (:func:`polynomial_objective`): a summed squared
    error and a penalty without the 1/2, so the book's (alpha/2) ||w||^2 convention uses twice this
    alpha. As alpha -> 0+ the fit tends to :func:`min_norm_interpolant` with the same ``penalize_bias``.

    The bias (column P_0) is not penalized unless ``penalize_bias``: a bias touches a single unit
    and needs little data, and shrinking it toward 0 only adds underfitting.

    Parameters
    ----------
    x : array-like of shape (n_samples,)
        Inputs in [-1, 1].
    y : array-like of shape (n_samples,)
        Targets.
    degree : int
        Polynomial degree, >= 0.
    alpha : float, default=0.0
        Penalty strength, >= 0.
    penalize_bias : bool, default=False
        Penalize the bias too.

    Returns
    -------
    ndarray of shape (degree + 1,)
        Legendre coefficients; evaluate with :func:`predict_polynomial`.

    Raises
    ------
    ValueError
        If x and y have different lengths, an input is outside [-1, 1], or alpha < 0.

    Examples
    --------
    >>> from reglab import overfitting
    >>> overfitting.fit_polynomial([-1.0, 0.0, 1.0], [1.0, 0.0, 1.0], degree=2)
    array([0.3333, 0.    , 0.6667])
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
    """Evaluate Legendre coefficients from :func:`fit_polynomial` at x.

    Parameters
    ----------
    coef : array-like of shape (degree + 1,)
        Legendre coefficients.
    x : array-like of shape (n_samples,)
        Inputs in [-1, 1].

    Returns
    -------
    ndarray of shape (n_samples,)
        The polynomial's values.

    Raises
    ------
    ValueError
        If an input is outside [-1, 1].

    Examples
    --------
    >>> from reglab import overfitting
    >>> overfitting.predict_polynomial([0.0, 2.0], [-0.5, 0.5])
    array([-1.,  1.])
    """
    coef = as_float_array(coef, "coef", ndim=1)
    return poly_features(x, coef.shape[0] - 1) @ coef


def mse(y_true, y_pred):
    """Compute the mean squared error.

    Parameters
    ----------
    y_true : array-like
        Targets.
    y_pred : array-like
        Predictions, the shape of y_true.

    Returns
    -------
    float
        The mean of (y_true - y_pred)^2.

    Raises
    ------
    ValueError
        If the shapes differ.

    Examples
    --------
    >>> from reglab import overfitting
    >>> overfitting.mse([1.0, 2.0], [1.0, 4.0])
    2.0
    """
    a = as_float_array(y_true, "y_true")
    b = as_float_array(y_pred, "y_pred")
    if a.shape != b.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape (one prediction per target), got {a.shape} and {b.shape}"
        )
    return float(np.mean((a - b) ** 2))


def degree_sweep(x_train, y_train, x_val, y_val, degrees, alpha=0.0):
    """Compute the training and validation MSE of polynomial fits for each degree.

    Parameters
    ----------
    x_train : array-like of shape (n_train,)
        Training inputs in [-1, 1].
    y_train : array-like of shape (n_train,)
        Training targets.
    x_val : array-like of shape (n_val,)
        Validation inputs in [-1, 1].
    y_val : array-like of shape (n_val,)
        Validation targets.
    degrees : sequence of int
        Degrees to fit.
    alpha : float, default=0.0
        L2 strength of every fit, >= 0.

    Returns
    -------
    train_mse : ndarray of shape (n_degrees,)
        Training error of each degree.
    val_mse : ndarray of shape (n_degrees,)
        Validation error of each degree.

    Raises
    ------
    ValueError
        If an input is outside [-1, 1] or lengths do not match.

    Examples
    --------
    >>> from reglab import data, overfitting
    >>> x, y = data.polynomial_data(10, rng=0)
    >>> xv, yv = data.polynomial_data(100, rng=1)
    >>> train, val = overfitting.degree_sweep(x, y, xv, yv, [1, 3, 9])
    >>> bool(train[2] < train[0]), bool(val[2] > val[1])
    (True, True)
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
    x_test : array-like of shape (n_test,)
        Points where the error is measured.
    n_train : int
        Training set size, >= 1.
    noise_std : float
        Standard deviation of the target noise, >= 0.
    n_repeats : int
        Number of resampled training sets, >= 2.
    rng : int or numpy.random.Generator
        Seed or generator of the training sets.

    Returns
    -------
    dict
        ``bias2``, ``variance``, ``noise`` (averaged over x_test) and ``predictions``
        (n_repeats, n_test). The expected squared error on a fresh noisy target is
        bias2 + variance + noise.

    Raises
    ------
    ValueError
        If n_train < 1, n_repeats < 2 or noise_std < 0.
    TypeError
        If fit_predict or f_true is not callable.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import data, overfitting
    >>> mean_model = lambda x, y, t: np.full(len(t), y.mean())
    >>> bv = overfitting.bias_variance(mean_model, data.true_function, np.linspace(-1, 1, 5), 10, 0.3, 50, rng=0)
    >>> sorted(bv), bv["noise"]
    (['bias2', 'noise', 'predictions', 'variance'], 0.09)
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
    """Compute J~ = J + alpha * Omega (7.1); alpha = 0 means no regularization.

    Parameters
    ----------
    loss : float
        Data loss J.
    penalty : float
        Penalty Omega, >= 0.
    alpha : float
        Penalty strength, >= 0.

    Returns
    -------
    float
        J + alpha * Omega.

    Raises
    ------
    ValueError
        If penalty or alpha is negative or a value is not finite.

    Examples
    --------
    >>> from reglab import overfitting
    >>> overfitting.regularized_objective(1.5, 2.0, 0.25)
    2.0
    """
    loss = check_scalar(loss, "loss")
    penalty = check_nonneg_scalar(penalty, "penalty")
    return loss + check_nonneg_scalar(alpha, "alpha") * penalty


def to_half_alpha(strength, convention, m=None):
    """Convert a penalty coefficient to the book's alpha in (alpha/2) ||w||^2.

    ``"half"`` -> alpha; ``"full"`` (lambda ||w||^2) -> 2 lambda; ``"per_example"``
    ((lambda/2m) ||W||_F^2) -> lambda / m.

    Parameters
    ----------
    strength : float
        The coefficient in the given convention, >= 0.
    convention : {"half", "full", "per_example"}, default="half"
        ``"half"``: (alpha/2) ||w||^2; ``"full"``: lambda ||w||^2; ``"per_example"``:
        (lambda/2m) ||W||_F^2 summed over layers (see :data:`CONVENTIONS`).
    m : int, default=None
        Number of examples, required by ``"per_example"``.

    Returns
    -------
    float
        The equivalent alpha of (alpha/2) ||w||^2.

    Raises
    ------
    ValueError
        If the convention is unknown, strength < 0, or m is missing or < 1 for ``"per_example"``.

    Examples
    --------
    >>> from reglab import overfitting
    >>> overfitting.to_half_alpha(0.01, "full"), overfitting.to_half_alpha(1.0, "per_example", m=50)
    (0.02, 0.02)
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
    """Compute the value of the L2 penalty under a convention.

    Parameters
    ----------
    w : ndarray or list of array-like
        Weights as one array, or a list of per-layer weight matrices (a list is always read as
        per-layer).
    strength : float
        The coefficient in the given convention, >= 0.
    convention : {"half", "full", "per_example"}, default="half"
        ``"half"``: (alpha/2) ||w||^2; ``"full"``: lambda ||w||^2; ``"per_example"``:
        (lambda/2m) ||W||_F^2 summed over layers (see :data:`CONVENTIONS`).
    m : int, default=None
        Number of examples, required by ``"per_example"``.

    Returns
    -------
    float
        The penalty (alpha/2) sum ||w||^2 with alpha from :func:`to_half_alpha`.

    Raises
    ------
    ValueError
        If the convention is unknown or strength < 0.

    Examples
    --------
    >>> from reglab import overfitting
    >>> import numpy as np
    >>> overfitting.l2_penalty(np.array([3.0, 4.0]), 0.1, "full")
    2.5
    """
    alpha = to_half_alpha(strength, convention, m)
    return 0.5 * alpha * sum(float(np.sum(x**2)) for x in _weights_list(w))


def l2_penalty_grad(w, strength, convention="half", m=None):
    """Compute the gradient of :func:`l2_penalty` with respect to w.

    Parameters
    ----------
    w : ndarray or list of array-like
        Weights as one array, or a list of per-layer weight matrices (a list is always read as
        per-layer).
    strength : float
        The coefficient in the given convention, >= 0.
    convention : {"half", "full", "per_example"}, default="half"
        ``"half"``: (alpha/2) ||w||^2; ``"full"``: lambda ||w||^2; ``"per_example"``:
        (lambda/2m) ||W||_F^2 summed over layers (see :data:`CONVENTIONS`).
    m : int, default=None
        Number of examples, required by ``"per_example"``.

    Returns
    -------
    ndarray or list of ndarray
        The gradient alpha * w, with the structure of w.

    Raises
    ------
    ValueError
        If the convention is unknown or strength < 0.

    Examples
    --------
    >>> from reglab import overfitting
    >>> import numpy as np
    >>> overfitting.l2_penalty_grad(np.array([3.0, 4.0]), 0.1, "full")
    array([0.6, 0.8])
    >>> [g.tolist() for g in overfitting.l2_penalty_grad([np.ones(2), np.ones((1, 2))], 0.5)]
    [[0.5, 0.5], [[0.5, 0.5]]]
    """
    alpha = to_half_alpha(strength, convention, m)
    grads = [alpha * x for x in _weights_list(w)]
    return grads if isinstance(w, (list, tuple)) else grads[0]


def _l1_scale(strength, m):
    strength = check_nonneg_scalar(strength, "strength")
    return strength if m is None else strength / check_int(m, "m", minimum=1)


def l1_penalty(w, strength, m=None):
    """Compute the per-example L1 penalty (lambda/m) sum over layers of ||W||_1.

    The L1 counterpart of the per-example L2 penalty (lambda/2m) ||W||_F^2: the absolute values of
    the weights summed over layers and divided by the number of examples m, with no 1/2 (the
    gradient is (lambda/m) sign(W), :func:`l1_penalty_grad`). Pass the weight matrices only: the
    biases are not penalized.

    Parameters
    ----------
    w : ndarray or list of array-like
        Weights as one array, or a list of per-layer weight matrices (a list is always read as
        per-layer).
    strength : float
        The coefficient lambda, >= 0.
    m : int, default=None
        Number of examples the data term averages over, >= 1; None gives lambda ||w||_1.

    Returns
    -------
    float
        (lambda/m) sum of |w| over every entry of every layer.

    Raises
    ------
    ValueError
        If strength < 0, m < 1 or a weight is not finite.

    Examples
    --------
    >>> from reglab import overfitting
    >>> import numpy as np
    >>> overfitting.l1_penalty([np.array([[1.0, -2.0]]), np.array([3.0])], 1.0, m=4)
    1.5
    """
    scale = _l1_scale(strength, m)
    return scale * sum(float(np.sum(np.abs(x))) for x in _weights_list(w))


def l1_penalty_grad(w, strength, m=None):
    """Compute a (sub)gradient of :func:`l1_penalty`: (lambda/m) sign(W), layer by layer.

    |w| has no derivative at w = 0: every value in [-lambda/m, lambda/m] is a subgradient there
    (sign(0) any value in [-1, 1]); this function takes sign(0) = 0, numpy's ``np.sign``.

    Parameters
    ----------
    w : ndarray or list of array-like
        Weights as one array, or a list of per-layer weight matrices (a list is always read as
        per-layer).
    strength : float
        The coefficient lambda, >= 0.
    m : int, default=None
        Number of examples the data term averages over, >= 1; None gives lambda sign(w).

    Returns
    -------
    ndarray or list of ndarray
        (lambda/m) sign(w), with the structure of w.

    Raises
    ------
    ValueError
        If strength < 0, m < 1 or a weight is not finite.

    Examples
    --------
    >>> from reglab import overfitting
    >>> import numpy as np
    >>> overfitting.l1_penalty_grad(np.array([2.0, 0.0, -0.1]), 1.0, m=4)
    array([ 0.25,  0.  , -0.25])
    """
    scale = _l1_scale(strength, m)
    grads = [scale * np.sign(x) for x in _weights_list(w)]
    return grads if isinstance(w, (list, tuple)) else grads[0]


def polynomial_objective(coef, x, y, alpha, penalize_bias=False):
    """Evaluate the objective :func:`fit_polynomial` minimizes: sum (y - y_hat)^2 + alpha ||w_1:||^2.

    The convention: a SUMMED squared error (no 1/2, no 1/n) and the penalty alpha ||w||^2 (no 1/2)
    on every Legendre coefficient but the bias w_0 (unless ``penalize_bias``). In the book's
    J + alpha_half * (1/2)||w||^2 with the same summed J, alpha_half = 2 alpha
    (:func:`to_half_alpha` with ``"full"``); with a mean squared error J/n, alpha_half = 2 alpha / n.

    Parameters
    ----------
    coef : array-like of shape (degree + 1,)
        Legendre coefficients.
    x : array-like of shape (n_samples,)
        Inputs in [-1, 1].
    y : array-like of shape (n_samples,)
        Targets.
    alpha : float
        Penalty strength, >= 0.
    penalize_bias : bool, default=False
        Include w_0 in the penalty.

    Returns
    -------
    float
        The objective's value.

    Raises
    ------
    ValueError
        If the lengths do not match, an input is outside [-1, 1], or alpha < 0.

    Examples
    --------
    >>> from reglab import overfitting
    >>> overfitting.polynomial_objective([1.0, 2.0], [0.0, 1.0], [1.0, 1.0], alpha=0.5)
    6.0
    """
    coef = as_float_array(coef, "coef", ndim=1)
    A = poly_features(x, coef.size - 1)
    y = as_float_array(y, "y", ndim=1)
    alpha = check_nonneg_scalar(alpha, "alpha")
    check_same_length(A, y, "x", "y", unit="points")
    w = coef if penalize_bias else coef[1:]
    return float(np.sum((y - A @ coef) ** 2) + alpha * np.sum(w * w))


def min_norm_interpolant(x, y, degree, penalize_bias=True):
    """Compute the alpha -> 0+ limit of :func:`fit_polynomial`: the interpolant of smallest penalized norm.

    With more coefficients than points many polynomials interpolate the data. As alpha -> 0+, the
    L2-penalized fit tends to the interpolant whose PENALIZED coefficients have the smallest norm:
    with ``penalize_bias`` that is the minimum-norm least-squares solution (``numpy.linalg.lstsq``,
    ``pinv``); with the bias free (the default of :func:`fit_polynomial`) it is a different polynomial.
    Both depend on the basis (here Legendre polynomials): a minimum norm is not basis-free.

    Parameters
    ----------
    x : array-like of shape (n_samples,)
        Inputs in [-1, 1].
    y : array-like of shape (n_samples,)
        Targets.
    degree : int
        Polynomial degree, >= 0.
    penalize_bias : bool, default=True
        Minimize the norm of every coefficient (True) or of all but the bias w_0 (False).

    Returns
    -------
    ndarray of shape (degree + 1,)
        Legendre coefficients.

    Raises
    ------
    ValueError
        If the lengths do not match or an input is outside [-1, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import data, overfitting
    >>> x, y = data.polynomial_data(10, rng=0)
    >>> w = overfitting.min_norm_interpolant(x, y, 12)
    >>> bool(np.allclose(overfitting.predict_polynomial(w, x), y))
    True
    """
    A = poly_features(x, degree)
    y = as_float_array(y, "y", ndim=1)
    check_same_length(A, y, "x", "y", unit="points")
    if penalize_bias:
        return np.linalg.pinv(A) @ y
    a0, A1 = A[:, 0], A[:, 1:]
    P = np.eye(len(y)) - np.outer(a0, a0) / (a0 @ a0)  # remove what the free bias can fit
    u = np.linalg.pinv(P @ A1) @ (P @ y)
    w0 = a0 @ (y - A1 @ u) / (a0 @ a0)
    return np.concatenate([[w0], u])
