"""Session 1 - L2 weight decay as eigen-rescaling.

Equations (Goodfellow, Bengio & Courville, *Deep Learning*, ch. 7):

* (7.4-7.5)  gradient of (alpha/2) w^T w is alpha w; SGD step w <- (1 - eps alpha) w - eps grad J.
* (7.9-7.10) regularized minimum of the quadratic approximation: (H + alpha I) w~ = H w*.
* (7.13)     w~ = Q (Lambda + alpha I)^-1 Lambda Q^T w*: component i scaled by lambda_i / (lambda_i + alpha).
* (7.16-7.17) normal equations w = (X^T X)^-1 X^T y become w = (X^T X + alpha I)^-1 X^T y.

* (7.25-7.27) a penalty as a constraint: min J + (alpha/2)||w||^2 and min J subject to ||w||_2 <= k have the same
  solution when alpha is the constraint's KKT multiplier; explicit constraints by reprojection, and max-norm.

Also: Adam with an L2 term inside the gradient versus decoupled weight decay (AdamW).
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    InvalidTypeError,
    as_float_array,
    as_rng,
    check_callable,
    check_int,
    check_nonneg_scalar,
    check_option,
    check_positive_scalar,
    check_same_length,
    check_scalar,
    check_sym_psd,
    check_vector_for_matrix,
)

__all__ = [
    "shrink_factors",
    "eigen_rescale",
    "ridge",
    "ridge_path",
    "decay_factor",
    "epoch_decay_factor",
    "adam",
    "adamw_limit",
    "input_noise_alpha",
    "sgd_ridge",
    "project_l2_ball",
    "max_norm",
    "projected_gradient",
    "alpha_for_radius",
]


def shrink_factors(eigvals, alpha):
    """Compute the factor lambda_i / (lambda_i + alpha) applied to each eigen-direction (7.13).

    Parameters
    ----------
    eigvals : array-like of shape (n_features,)
        Eigenvalues lambda_i >= 0 of the Hessian H.
    alpha : float
        Penalty strength, >= 0, for the penalty (alpha/2) ||w||^2.

    Returns
    -------
    ndarray of shape (n_features,)
        Factors in [0, 1]: close to 1 where lambda_i >> alpha (direction kept), close to 0
        where lambda_i << alpha (direction shrunk away). A zero eigenvalue gives 0 for any
        alpha > 0; for alpha = 0 it also gives 0, the limit alpha -> 0+ (the minimum-norm
        solution, as with the pseudo-inverse).

    Raises
    ------
    ValueError
        If an eigenvalue or alpha is negative.

    Examples
    --------
    >>> from reglab import l2
    >>> l2.shrink_factors([0.01, 1.0, 100.0], alpha=1.0)
    array([0.0099, 0.5   , 0.9901])
    """
    lam = as_float_array(eigvals, "eigvals")
    alpha = check_nonneg_scalar(alpha, "alpha")
    if np.any(lam < 0):
        raise ValueError("eigvals must be >= 0 (H is positive semidefinite at a minimum)")
    denom = lam + alpha
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(denom > 0, lam / np.where(denom > 0, denom, 1.0), 0.0)
    return out


def eigen_rescale(H, w_star, alpha):
    """Minimize J(w*) + 1/2 (w - w*)^T H (w - w*) + (alpha/2) ||w||^2 by eigen-rescaling (7.13).

    Computes w~ = Q (Lambda + alpha I)^-1 Lambda Q^T w* with H = Q Lambda Q^T.

    Parameters
    ----------
    H : array-like of shape (n_features, n_features)
        Symmetric positive semidefinite Hessian at the unregularized minimum w*.
    w_star : array-like of shape (n_features,)
        Unregularized minimizer.
    alpha : float
        Penalty strength, >= 0.

    Returns
    -------
    ndarray of shape (n_features,)
        The regularized minimizer w~.

    Raises
    ------
    ValueError
        If H is not square, symmetric and positive semidefinite, w_star does not have one entry per
        row of H, or alpha < 0.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import l2
    >>> l2.eigen_rescale(np.diag([4.0, 0.25]), [1.0, 1.0], alpha=1.0)
    array([0.8, 0.2])
    """
    H, lam, Q = check_sym_psd(H)
    w_star = as_float_array(w_star, "w_star", ndim=1)
    check_vector_for_matrix(w_star, H)
    f = shrink_factors(lam, alpha)
    return Q @ (f * (Q.T @ w_star))


def ridge(X, y, alpha):
    """Compute ridge regression weights (X^T X + alpha I)^-1 X^T y (7.17), solved stably.

    Minimizes ||y - X w||^2 + alpha ||w||^2 (scikit-learn ``Ridge(alpha, fit_intercept=False)``'s
    objective). Solved as the least-squares problem [X; sqrt(alpha) I] w = [y; 0] with an SVD-based
    solver, which never forms an inverse and never squares X's condition number. With alpha = 0 and
    rank-deficient X it returns the minimum-norm least-squares solution.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets.
    alpha : float
        Penalty strength, >= 0.

    Returns
    -------
    ndarray of shape (n_features,) or (n_features, n_targets)
        The weights.

    Raises
    ------
    ValueError
        If X and y have different numbers of rows, contain NaN or infinity, or alpha < 0.
    TypeError
        If an argument is not numeric.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import l2
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> l2.ridge(X, [1.0, 2.0, 3.0], alpha=0.0)
    array([1., 2.])
    >>> l2.ridge(X, [1.0, 2.0, 3.0], alpha=1.0)
    array([0.875, 1.375])
    """
    X = as_float_array(X, "X", ndim=2)
    y = as_float_array(y, "y", ndim=(1, 2))
    alpha = check_nonneg_scalar(alpha, "alpha")
    check_same_length(X, y)
    d = X.shape[1]
    if alpha > 0:
        A = np.vstack([X, np.sqrt(alpha) * np.eye(d)])
        pad = np.zeros((d,) + y.shape[1:])
        b = np.concatenate([y, pad], axis=0)
    else:
        A, b = X, y
    w, *_ = np.linalg.lstsq(A, b, rcond=None)
    return w


def ridge_path(X, y, alphas):
    """Compute ridge weights for many alphas from ONE eigendecomposition of X^T X.

    With X^T X = Q Lambda Q^T, w(alpha) = Q (Lambda + alpha I)^-1 Q^T X^T y, so each extra alpha
    costs one diagonal scaling instead of a new solve.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,)
        Targets.
    alphas : array-like of shape (n_alphas,)
        Penalty strengths, >= 0 (> 0 when X^T X is singular).

    Returns
    -------
    ndarray of shape (n_alphas, n_features)
        Row i is the ridge solution for alphas[i].

    Raises
    ------
    ValueError
        If X and y have different numbers of rows, an alpha is negative, or X^T X is singular and
        some alpha is 0.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import l2
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> l2.ridge_path(X, [1.0, 2.0, 3.0], [0.0, 1.0])
    array([[1.   , 2.   ],
           [0.875, 1.375]])
    """
    X = as_float_array(X, "X", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    alphas = as_float_array(alphas, "alphas", ndim=1)
    check_same_length(X, y)
    if np.any(alphas < 0):
        raise ValueError("alphas must all be >= 0")
    lam, Q = np.linalg.eigh(X.T @ X)
    lam = np.maximum(lam, 0.0)
    z = Q.T @ (X.T @ y)
    denom = lam[None, :] + alphas[:, None]
    if np.any(denom <= 1e-300):
        raise ValueError("X^T X is singular: ridge_path needs alpha > 0 (or full-rank X)")
    return (z[None, :] / denom) @ Q.T


_DECAY_CONVENTIONS = {"half": "penalty (alpha/2)||w||^2", "full": "penalty lambda||w||^2"}


def decay_factor(lr, strength, convention="half"):
    """Compute the multiplicative factor SGD applies to w each step from the penalty alone (7.5).

    Parameters
    ----------
    lr : float
        Learning rate (eps or eta), > 0.
    strength : float
        Penalty coefficient, >= 0.
    convention : {"half", "full"}, default="half"
        ``"half"``: penalty (alpha/2) ||w||^2, gradient alpha w, factor 1 - lr*alpha.
        ``"full"``: penalty lambda ||w||^2, gradient 2 lambda w, factor 1 - 2*lr*lambda.

    Returns
    -------
    float
        The factor multiplying w.

    Raises
    ------
    ValueError
        If lr <= 0, strength < 0 or the convention is unknown.

    Examples
    --------
    >>> from reglab import l2
    >>> round(l2.decay_factor(0.1, 0.01, "full"), 12)
    0.998
    """
    lr = check_positive_scalar(lr, "lr")
    strength = check_nonneg_scalar(strength, "strength")
    convention = check_option(convention, "convention", _DECAY_CONVENTIONS)
    return 1.0 - (lr * strength if convention == "half" else 2.0 * lr * strength)


def adam(grad_fn, w0, lr, steps, *, l2=0.0, weight_decay=0.0, betas=(0.9, 0.999), eps=1e-8):
    """Run Adam and return every iterate, with L2 inside the gradient or decoupled decay.

    ``l2`` adds ``l2 * w`` to the gradient before the adaptive update (the gradient of
    (l2/2)||w||^2; this is what ``torch.optim.Adam(weight_decay=l2)`` does), so the decay is divided
    by the adaptive denominator sqrt(v_hat). ``weight_decay`` is AdamW's decoupled decay
    w <- w - lr * weight_decay * w applied outside the adaptive step (``torch.optim.AdamW``).

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(w) -> ndarray``, gradient of the unregularized loss, the shape of w.
    w0 : array-like of shape (n_features,)
        Starting point.
    lr : float
        Learning rate, > 0.
    steps : int
        Number of steps, >= 0.
    l2 : float, default=0.0
        L2 strength added to the gradient, >= 0.
    weight_decay : float, default=0.0
        Decoupled (AdamW) decay, >= 0.
    betas : tuple of (float, float), default=(0.9, 0.999)
        Decay rates of the first and second moment averages, each in [0, 1).
    eps : float, default=1e-8
        Added to the denominator sqrt(v_hat), > 0.

    Returns
    -------
    ndarray of shape (steps + 1, n_features)
        Row t is the iterate after t steps; row 0 is w0.

    Raises
    ------
    ValueError
        If a rate or strength is out of range, or grad_fn returns the wrong shape.
    TypeError
        If grad_fn is not callable or betas is not a pair.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import l2
    >>> path = l2.adam(lambda w: w - 1.0, [0.0, 0.0], lr=0.1, steps=3)
    >>> path[:, 0]
    array([0.    , 0.1   , 0.1996, 0.2984])
    """
    w = as_float_array(w0, "w0", ndim=1).copy()
    lr = check_positive_scalar(lr, "lr")
    steps = check_int(steps, "steps", minimum=0)
    l2 = check_nonneg_scalar(l2, "l2")
    weight_decay = check_nonneg_scalar(weight_decay, "weight_decay")
    if isinstance(betas, (str, bytes)) or np.ndim(betas) != 1 or len(betas) != 2:
        raise InvalidTypeError(f"betas must be a pair (beta1, beta2), e.g. (0.9, 0.999), got {betas!r}")
    hint = "each beta is the decay rate of a moving average; 1 would never forget the first gradient"
    b1 = check_scalar(betas[0], "betas[0]", 0.0, 1.0, include_high=False, hint=hint)
    b2 = check_scalar(betas[1], "betas[1]", 0.0, 1.0, include_high=False, hint=hint)
    eps = check_positive_scalar(eps, "eps")
    grad_fn = check_callable(grad_fn, "grad_fn", "grad_fn(w) -> gradient of the same shape as w")
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    out = np.empty((steps + 1, w.size))
    out[0] = w
    for t in range(1, steps + 1):
        g = np.asarray(grad_fn(w), dtype=float) + l2 * w
        if g.shape != w.shape:
            raise ValueError(f"grad_fn returned shape {g.shape}, expected {w.shape} (the shape of w0)")
        w = w * (1.0 - lr * weight_decay)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        out[t] = w
    return out


def input_noise_alpha(n_examples, sigma):
    """Compute the L2 strength equivalent to Gaussian input noise in linear regression (session 6).

    Adding independent N(0, sigma^2) noise to every input of a linear model gives, in expectation over
    the noise, E ||y - (X + E) w||^2 = ||y - X w||^2 + n sigma^2 ||w||^2: ridge regression with
    alpha = n sigma^2 (the ||y - Xw||^2 + alpha ||w||^2 convention of :func:`ridge`).

    Parameters
    ----------
    n_examples : int
        Number of training examples n, >= 1.
    sigma : float
        Standard deviation of the input noise, >= 0.

    Returns
    -------
    float
        The equivalent strength alpha = n sigma^2.

    Raises
    ------
    ValueError
        If n_examples < 1 or sigma < 0.

    Examples
    --------
    >>> from reglab import l2
    >>> l2.input_noise_alpha(100, 0.5)
    25.0
    """
    n = check_int(n_examples, "n_examples", minimum=1)
    sigma = check_nonneg_scalar(sigma, "sigma")
    return n * sigma**2


def epoch_decay_factor(lr, strength, n_examples, batch_size, convention="half"):
    """Compute the factor the penalty alone applies to w over one epoch of minibatch SGD.

    An epoch has n_examples / batch_size steps, each multiplying w by :func:`decay_factor`, so the
    epoch's factor is decay_factor ** (n_examples / batch_size). Halving the batch size SQUARES it;
    the decay 1 - factor only doubles to first order (while lr * strength * n / B is small).

    Parameters
    ----------
    lr : float
        Learning rate, > 0.
    strength : float
        Penalty coefficient, >= 0.
    n_examples : int
        Training examples, >= 1.
    batch_size : int
        Examples per step, >= 1.
    convention : {"half", "full"}, default="half"
        As in :func:`decay_factor`.

    Returns
    -------
    float
        The per-epoch factor.

    Raises
    ------
    ValueError
        If an argument is out of range or the convention is unknown.

    Examples
    --------
    >>> from reglab import l2
    >>> round(l2.epoch_decay_factor(0.1, 0.01, 1000, 100, "full"), 6)  # 0.998 ** 10
    0.980179
    """
    n_examples = check_int(n_examples, "n_examples", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    return decay_factor(lr, strength, convention) ** (n_examples / batch_size)


def sgd_ridge(X, y, strength, batch_size, lr, epochs, rng, lr_decay=1.0):
    """Run minibatch SGD on (1/2n) ||y - X w||^2 + (strength/2) ||w||^2 from w = 0; return w after each epoch.

    Each epoch visits the examples in a new random order, in minibatches of ``batch_size`` (the last one
    smaller when it does not divide n); a step uses the minibatch's MEAN gradient plus ``strength * w``,
    an unbiased estimate of the full objective's gradient whatever the batch size. The objective, and
    so its minimizer ``ridge(X, y, n * strength)``, does not depend on ``batch_size`` or ``lr``; where a
    fixed number of epochs ends does. With a constant learning rate the minibatch noise keeps w
    moving around the minimizer; ``lr_decay < 1`` multiplies the learning rate by that factor after
    every epoch, so that the noise dies out and w converges.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,)
        Targets.
    strength : float
        Penalty coefficient lambda of (lambda/2) ||w||^2 against the mean loss, >= 0.
    batch_size : int
        Examples per step, 1 to n_samples.
    lr : float
        Learning rate of the first epoch, > 0.
    epochs : int
        Passes over the data, >= 0.
    rng : int or numpy.random.Generator
        Seed or generator of the example orders.
    lr_decay : float, default=1.0
        Factor in (0, 1] applied to the learning rate after each epoch (1: constant).

    Returns
    -------
    ndarray of shape (epochs + 1, n_features)
        Row e is w after e epochs; row 0 is the start, 0.

    Raises
    ------
    ValueError
        If X and y have different numbers of rows, or an argument is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import l2
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.0]])
    >>> y = np.array([1.0, 2.0, 3.0, 2.0])
    >>> path = l2.sgd_ridge(X, y, 0.5, batch_size=4, lr=0.5, epochs=200, rng=0)  # full batch: plain GD
    >>> bool(np.allclose(path[-1], l2.ridge(X, y, 4 * 0.5)))
    True
    """
    X = as_float_array(X, "X", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    check_same_length(X, y)
    n = X.shape[0]
    strength = check_nonneg_scalar(strength, "strength")
    batch_size = check_int(batch_size, "batch_size", minimum=1, maximum=n)
    lr = check_positive_scalar(lr, "lr")
    epochs = check_int(epochs, "epochs", minimum=0)
    lr_decay = check_scalar(lr_decay, "lr_decay", 0.0, 1.0, include_low=False,
                            hint="the learning rate is multiplied by lr_decay after each epoch; 1 keeps it constant")
    gen = as_rng(rng)
    w = np.zeros(X.shape[1])
    out = np.empty((epochs + 1, w.size))
    out[0] = w
    for e in range(epochs):
        order = gen.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            Xb = X[idx]
            w = w - lr * (Xb.T @ (Xb @ w - y[idx]) / len(idx) + strength * w)
        out[e + 1] = w
        lr *= lr_decay
    return out


def adamw_limit(H, w_star, weight_decay, tol=1e-12, max_iter=100_000):
    """Compute where AdamW settles on a quadratic: the minimizer of J inside the box ||w||_inf <= 1/weight_decay.

    At a fixed point of AdamW (deterministic gradients, eps -> 0), m_hat = g and v_hat = g^2, so the
    update is lr * (g / |g| + weight_decay * w) = 0 per coordinate: either g_i = 0 with
    |w_i| < 1/weight_decay, or |w_i| = 1/weight_decay with g_i pushing outward. These are the KKT
    conditions of min J(w) subject to |w_i| <= 1/weight_decay. Coordinates whose unconstrained
    optimum lies inside the box end at w*_i, NOT shrunk: the decay changes where AdamW ends only
    through the box. L2 inside Adam instead ends at the ridge minimum (H + l2 I)^-1 H w*
    (:func:`eigen_rescale`), whatever the adaptive scaling, because its fixed point is a zero of the
    penalized gradient.

    Parameters
    ----------
    H : array-like of shape (n_features, n_features)
        Symmetric positive semidefinite Hessian of J(w) = 1/2 (w - w*)^T H (w - w*).
    w_star : array-like of shape (n_features,)
        Unconstrained minimizer.
    weight_decay : float
        AdamW's decoupled decay, > 0.
    tol : float, default=1e-12
        Stop when no coordinate moves more than this in a sweep, > 0.
    max_iter : int, default=100_000
        Maximum coordinate-descent sweeps, >= 1.

    Returns
    -------
    ndarray of shape (n_features,)
        The box-constrained minimizer (coordinate descent, exact for a box and a convex quadratic).

    Raises
    ------
    ValueError
        If H is not symmetric positive semidefinite with a positive diagonal, or weight_decay <= 0.
    RuntimeError
        If coordinate descent does not converge in ``max_iter`` sweeps.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import l2
    >>> l2.adamw_limit(np.diag([100.0, 1.0, 0.01]), [1.0, -2.0, 3.0], weight_decay=0.5)
    array([ 1., -2.,  2.])
    """
    H, _, _ = check_sym_psd(H)
    w_star = as_float_array(w_star, "w_star", ndim=1)
    check_vector_for_matrix(w_star, H)
    bound = 1.0 / check_positive_scalar(weight_decay, "weight_decay")
    tol = check_positive_scalar(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    if np.any(np.diag(H) <= 0):
        raise ValueError("H needs a positive diagonal (every coordinate must affect J)")
    w = np.clip(w_star, -bound, bound)
    b = H @ w_star
    for _ in range(max_iter):
        biggest = 0.0
        for i in range(w.size):
            new = np.clip((b[i] - H[i] @ w + H[i, i] * w[i]) / H[i, i], -bound, bound)
            biggest = max(biggest, abs(new - w[i]))
            w[i] = new
        if biggest <= tol:
            return w
    raise RuntimeError(f"coordinate descent did not converge in {max_iter} sweeps")


def project_l2_ball(w, radius):
    """Project a vector onto the ball ||w||_2 <= radius (the reprojection of an explicit constraint, GBC 7.2).

    The closest point of the ball to w: w itself when ||w||_2 <= radius (a point inside is left where it is),
    otherwise w * radius / ||w||_2 (the same direction, shortened to length radius). Clipping each coordinate to
    [-radius, radius] is another projection, onto the box ||w||_inf <= radius: it changes the direction.

    Parameters
    ----------
    w : array-like of shape (n_features,)
        The vector to project.
    radius : float
        Radius k of the ball, >= 0.

    Returns
    -------
    ndarray of shape (n_features,)
        The projection, a new array.

    Raises
    ------
    ValueError
        If w is not 1-D or not finite, or radius < 0.

    Examples
    --------
    >>> from reglab import l2
    >>> l2.project_l2_ball([3.0, 4.0], 2.0)
    array([1.2, 1.6])
    >>> l2.project_l2_ball([0.3, -0.4], 2.0)
    array([ 0.3, -0.4])
    """
    w = _as_vector(w, "w", "for a weight matrix, max_norm projects each unit's column")
    radius = check_scalar(radius, "radius", low=0.0, hint="it is the largest norm the constraint allows")
    return _project_ball(w, radius)


def _project_ball(w, radius):
    norm = np.linalg.norm(w)
    return w.copy() if norm <= radius else w * (radius / norm)


def _as_vector(w, name, hint):
    w = as_float_array(w, name)
    if w.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one vector), got shape {w.shape}: {hint}")
    return w


def max_norm(W, c):
    """Keep each hidden unit's incoming weight vector at ||w||_2 <= c (max-norm, Srebro & Shraibman 2005).

    With a layer computing h = x W + b (:mod:`reglab.mlp`'s layout), column j of W holds the weights coming into
    unit j. Each column longer than c is rescaled to length c; the others are left as they are. Applied after
    every training step, this is the constraint Hinton et al. (2012) and Srivastava et al. (2014) used with dropout
    and large learning rates: however large a step, no unit's incoming weights end it longer than c.

    Parameters
    ----------
    W : array-like of shape (n_inputs, n_units)
        A layer's weight matrix, one column per hidden unit.
    c : float
        Largest allowed norm of a column, > 0 (typically 3 to 4 with dropout).

    Returns
    -------
    ndarray of shape (n_inputs, n_units)
        The projected weights, a new array.

    Raises
    ------
    ValueError
        If W is not 2-D or not finite, or c <= 0.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import l2
    >>> W = np.array([[3.0, 0.1], [4.0, 0.2]])  # unit 0: norm 5, unit 1: norm 0.22
    >>> l2.max_norm(W, c=2.0)
    array([[1.2, 0.1],
           [1.6, 0.2]])
    """
    W = as_float_array(W, "W")
    if W.ndim != 2:
        raise ValueError(f"W must be 2-D (n_inputs, n_units), one column of incoming weights per unit, got shape "
                         f"{W.shape}; for a single vector use project_l2_ball")
    c = check_positive_scalar(c, "c")
    norms = np.linalg.norm(W, axis=0)
    return W * np.minimum(1.0, c / np.where(norms > 0, norms, 1.0))


def projected_gradient(grad_fn, w0, radius, lr, steps):
    """Minimize J subject to ||w||_2 <= radius by projected gradient descent; return every iterate.

    Each step is a plain gradient step followed by the projection onto the ball (:func:`project_l2_ball`):
    w <- P(w - lr * grad J(w)). For a convex J and lr below 2 / (largest curvature of J) the iterates converge to
    the constrained minimizer; when that lies on the sphere it equals the penalized minimizer for the penalty
    (alpha/2)||w||^2 with alpha = :func:`alpha_for_radius` (for a quadratic J). Inside the ball nothing pulls w
    toward 0: with a zero gradient the iterates do not move.

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(w) -> ndarray``, gradient of J, the shape of w.
    w0 : array-like of shape (n_features,)
        Starting point (projected first if it lies outside the ball).
    radius : float
        Radius k of the constraint ||w||_2 <= k, >= 0.
    lr : float
        Learning rate, > 0.
    steps : int
        Number of steps, >= 0.

    Returns
    -------
    ndarray of shape (steps + 1, n_features)
        Row t is the iterate after t steps; row 0 is the projected w0.

    Raises
    ------
    ValueError
        If an argument is out of range, or grad_fn returns the wrong shape or a non-finite gradient.
    TypeError
        If grad_fn is not callable.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import l2
    >>> path = l2.projected_gradient(lambda w: w - np.array([3.0, 4.0]), [0.0, 0.0], radius=1.0, lr=0.5, steps=50)
    >>> path[-1]  # the point of the unit ball closest to (3, 4)
    array([0.6, 0.8])
    """
    w = _as_vector(w0, "w0", "projected_gradient works on one weight vector")
    radius = check_scalar(radius, "radius", low=0.0, hint="it is the largest norm the constraint allows")
    lr = check_positive_scalar(lr, "lr")
    steps = check_int(steps, "steps", minimum=0)
    grad_fn = check_callable(grad_fn, "grad_fn", "grad_fn(w) -> gradient of the same shape as w")
    out = np.empty((steps + 1, w.size))
    w = _project_ball(w, radius)
    out[0] = w
    for t in range(1, steps + 1):
        g = np.asarray(grad_fn(w), dtype=float)
        if g.shape != w.shape or not np.all(np.isfinite(g)):
            raise ValueError(f"grad_fn returned shape {g.shape} or a non-finite value; expected finite values of "
                             f"shape {w.shape} (the shape of w0)")
        w = _project_ball(w - lr * g, radius)
        out[t] = w
    return out


def alpha_for_radius(H, w_star, radius, rtol=1e-13):
    """Compute the penalty alpha whose minimizer has norm radius: the multiplier of the constraint ||w||_2 <= radius.

    For J(w) = 1/2 (w - w*)^T H (w - w*), the constrained problem min J subject to ||w||_2 <= k and the
    penalized problem min J + (alpha/2)||w||^2 have the same solution when alpha is the constraint's KKT
    multiplier (GBC 7.25-7.27): alpha = 0 when the constraint is inactive (||w~(0)|| <= k, w~(0) the minimum-norm
    minimizer of J), and otherwise the alpha with ||w~(alpha)|| = k, w~ by (7.13). ||w~(alpha)|| falls as alpha
    grows, so each radius has one alpha: the smaller the radius, the larger alpha. Found by bisection on the
    eigen form.

    Parameters
    ----------
    H : array-like of shape (n_features, n_features)
        Symmetric positive semidefinite Hessian of J.
    w_star : array-like of shape (n_features,)
        Unconstrained minimizer.
    radius : float
        Radius k of the constraint, > 0 (only alpha -> infinity gives w~ = 0).
    rtol : float, default=1e-13
        Relative width of the final bisection bracket, > 0.

    Returns
    -------
    float
        The multiplier alpha >= 0.

    Raises
    ------
    ValueError
        If H is not symmetric positive semidefinite, w_star has the wrong length, or radius or rtol <= 0.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import l2
    >>> round(l2.alpha_for_radius(np.eye(2), [3.0, 4.0], radius=1.0), 10)  # w~ = w*/(1 + alpha), ||w*|| = 5
    4.0
    >>> l2.alpha_for_radius(np.eye(2), [3.0, 4.0], radius=6.0)  # inactive: w* is inside
    0.0
    """
    H, lam, Q = check_sym_psd(H)
    w_star = as_float_array(w_star, "w_star", ndim=1)
    check_vector_for_matrix(w_star, H)
    radius = check_scalar(radius, "radius", low=0.0, include_low=False,
                          hint="only an infinitely strong penalty shrinks w~ all the way to 0")
    rtol = check_positive_scalar(rtol, "rtol")
    z = Q.T @ w_star

    def norm(alpha):
        return np.linalg.norm(shrink_factors(lam, alpha) * z)

    if norm(0.0) <= radius:
        return 0.0
    lo, hi = 0.0, float(lam.max()) * (np.linalg.norm(z) / radius - 1.0)  # ||w~(hi)|| <= lam_max ||z|| / (lam_max + hi)
    for _ in range(200):  # halving the bracket 200 times reaches the resolution of a float
        if hi - lo <= rtol * hi:
            break
        mid = 0.5 * (lo + hi)
        if norm(mid) > radius:
            lo = mid
        else:
            hi = mid
    return float(0.5 * (lo + hi))
