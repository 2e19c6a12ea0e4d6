"""Session 2 - L1 regularization and the LASSO closed form.

Equations (Goodfellow, Bengio & Courville, ch. 7):

* (7.18) Omega(w) = ||w||_1 = sum_i |w_i|;  (7.20) subgradient alpha * sign(w), sign(0) in [-1, 1].
* (7.22) with a diagonal Hessian the objective separates per coordinate.
* (7.23) w_i = sign(w*_i) max(|w*_i| - alpha / H_ii, 0): soft-thresholding.

For a general (non-diagonal) Hessian there is no closed form; :func:`lasso_quadratic` solves it by
coordinate descent so the closed form can be checked, and its failure with correlated features shown.

Structured sparsity: the group penalty alpha sum_g ||W_g||_2 (group lasso, Yuan & Lin 2006) is L1
across groups and L2 within one; its proximal step, :func:`group_soft_threshold`, zeroes whole groups
(a unit's outgoing weights) at once, and :func:`group_lasso` solves least squares with it.
"""

from __future__ import annotations

import numpy as np

from ._kernels import soft_threshold as _soft_threshold
from ._validation import (
    as_float_array,
    check_int,
    check_nonneg_scalar,
    check_positive_scalar,
    check_same_length,
    check_scalar,
    check_sym_psd,
    check_vector_for_matrix,
)

__all__ = [
    "soft_threshold",
    "lasso_diagonal",
    "lasso_quadratic",
    "lasso",
    "elastic_net",
    "elastic_net_objective",
    "lasso_batch",
    "exact_zero_fractions",
    "l1_subgradient",
    "group_soft_threshold",
    "group_lasso",
]


def soft_threshold(x, t):
    """Soft-threshold elementwise: sign(x) * max(|x| - t, 0).

    Parameters
    ----------
    x : array-like
        Values to shrink.
    t : float or array-like
        Threshold(s) >= 0, broadcastable to x.

    Returns
    -------
    ndarray
        Exactly 0 where |x| <= t; elsewhere x moved toward 0 by t.

    Raises
    ------
    ValueError
        If a threshold is negative or a value is not finite.

    Examples
    --------
    >>> from reglab import l1
    >>> l1.soft_threshold([-2.0, 0.5, 3.0], 1.0)
    array([-1.,  0.,  2.])
    """
    x = as_float_array(x, "x")
    t = as_float_array(t, "t")
    if np.any(t < 0):
        raise ValueError("threshold t must be >= 0")
    return _soft_threshold(x, t)


def l1_subgradient(w, alpha, at_zero=0.0):
    """Compute a subgradient alpha * sign(w) of alpha ||w||_1 (7.20).

    Parameters
    ----------
    w : array-like
        Weights.
    alpha : float
        Penalty strength, >= 0.
    at_zero : float, default=0.0
        Element of the subdifferential [-1, 1] of |w_i| used where w_i = 0.

    Returns
    -------
    ndarray
        The subgradient, the shape of w.

    Raises
    ------
    ValueError
        If alpha < 0 or at_zero is outside [-1, 1].

    Examples
    --------
    >>> from reglab import l1
    >>> l1.l1_subgradient([-3.0, 0.0, 2.0], 0.5)
    array([-0.5,  0. ,  0.5])
    """
    w = as_float_array(w, "w")
    alpha = check_nonneg_scalar(alpha, "alpha")
    at_zero = check_scalar(at_zero, "at_zero", -1.0, 1.0, hint="the subdifferential of |w| at 0 is [-1, 1]")
    return alpha * np.where(w == 0, at_zero, np.sign(w))


def lasso_diagonal(w_star, h_diag, alpha):
    """Compute the closed-form L1-regularized minimum for a diagonal Hessian (7.23).

    Minimizes sum_i [ H_ii/2 (w_i - w*_i)^2 + alpha |w_i| ], which gives
    w_i = sign(w*_i) max(|w*_i| - alpha/H_ii, 0).

    Parameters
    ----------
    w_star : array-like of shape (n_features,)
        Unregularized minimizer.
    h_diag : array-like of shape (n_features,)
        Diagonal of H, all > 0.
    alpha : float
        Penalty strength, >= 0.

    Returns
    -------
    ndarray of shape (n_features,)
        The L1-regularized minimizer.

    Raises
    ------
    ValueError
        If h_diag and w_star have different shapes, an H_ii <= 0, or alpha < 0.

    Examples
    --------
    >>> from reglab import l1
    >>> l1.lasso_diagonal([2.0, 0.3, -1.0], [1.0, 1.0, 2.0], alpha=0.5)
    array([ 1.5 ,  0.  , -0.75])
    """
    w_star = as_float_array(w_star, "w_star", ndim=1)
    h = as_float_array(h_diag, "h_diag", ndim=1)
    alpha = check_nonneg_scalar(alpha, "alpha")
    if h.shape != w_star.shape:
        raise ValueError(f"h_diag has shape {h.shape} but w_star has {w_star.shape}: one curvature H_ii per weight")
    if np.any(h <= 0):
        raise ValueError("h_diag must be > 0: (7.23) assumes a positive diagonal Hessian")
    return soft_threshold(w_star, alpha / h)


def _cd_quadratic(A, b, alpha, tol, max_iter, w0=None):
    """Coordinate descent for min_w 1/2 w^T A w - b^T w + alpha ||w||_1 (A symmetric PSD).

    Returns (w, n_sweeps). Stops when the largest coordinate change in a sweep is below ``tol``
    (scaled by max(1, ||w||_inf)).
    """
    d = A.shape[0]
    w = np.zeros(d) if w0 is None else w0.copy()
    g = A @ w - b  # gradient of the smooth part
    diag = np.diag(A).copy()
    for sweep in range(1, max_iter + 1):
        max_change = 0.0
        for i in range(d):
            a = diag[i]
            if a <= 0:
                # No curvature in this coordinate; its row of a PSD A is zero, so the smooth part
                # is linear in w_i with slope -b_i: bounded below only if |b_i| <= alpha.
                new = 0.0
                if abs(g[i]) > alpha + 1e-12:
                    raise ValueError("objective is unbounded below (zero curvature and |gradient| > alpha)")
            else:
                new = w[i] - g[i] / a
                thr = alpha / a
                new = np.sign(new) * max(abs(new) - thr, 0.0)
            delta = new - w[i]
            if delta != 0.0:
                g += delta * A[:, i]
                w[i] = new
                max_change = max(max_change, abs(delta))
        if max_change <= tol * max(1.0, float(np.max(np.abs(w))) if d else 1.0):
            return w, sweep
    raise RuntimeError(f"coordinate descent did not reach tol={tol} in {max_iter} sweeps")


def lasso_quadratic(H, w_star, alpha, tol=1e-10, max_iter=100_000, return_n_iter=False):
    """Minimize 1/2 (w - w*)^T H (w - w*) + alpha ||w||_1 for a general PSD H.

    Solved by cyclic coordinate descent with soft-thresholding updates (each coordinate step is
    the exact 1-D minimizer, (7.23) applied to one coordinate given the others) until no coordinate
    moves by more than ``tol``. With a diagonal H one sweep reproduces :func:`lasso_diagonal`;
    with correlated features (off-diagonal H) the closed form is no longer the minimizer.

    Parameters
    ----------
    H : array-like of shape (n_features, n_features)
        Symmetric positive semidefinite Hessian.
    w_star : array-like of shape (n_features,)
        Unregularized minimizer.
    alpha : float
        Penalty strength, >= 0.
    tol : float, default=1e-10
        Stop when no coordinate moves by more than tol * max(1, max|w|), > 0.
    max_iter : int, default=100_000
        Maximum number of sweeps over all coordinates.
    return_n_iter : bool, default=False
        Also return the number of sweeps.

    Returns
    -------
    w : ndarray of shape (n_features,)
        The minimizer.
    n_iter : int
        Number of sweeps, only if ``return_n_iter``.

    Raises
    ------
    ValueError
        If H is not symmetric PSD, w_star does not match H, or alpha < 0.
    RuntimeError
        If coordinate descent does not reach ``tol`` in ``max_iter`` sweeps.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import l1
    >>> H = np.array([[1.0, 0.9], [0.9, 1.0]])
    >>> l1.lasso_quadratic(H, [1.0, 1.0], alpha=0.5)
    array([0.7368, 0.7368])
    """
    H, _, _ = check_sym_psd(H)
    w_star = as_float_array(w_star, "w_star", ndim=1)
    check_vector_for_matrix(w_star, H)
    alpha = check_nonneg_scalar(alpha, "alpha")
    tol = check_positive_scalar(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    w, n = _cd_quadratic(H, H @ w_star, alpha, tol, max_iter)
    return (w, n) if return_n_iter else w


def elastic_net(X, y, l1, l2=0.0, tol=1e-10, max_iter=100_000):
    """Minimize 1/2 ||y - X w||^2 + l1 ||w||_1 + (l2/2) ||w||^2 by coordinate descent.

    With l2 = 0 this is the LASSO. The L2 part is (l2/2) ||w||^2, the book's (alpha/2) convention
    (:func:`elastic_net_objective`): a text written lambda_1 ||w||_1 + lambda_2 ||w||^2 (same data term)
    has l2 = 2 lambda_2. scikit-learn's ``ElasticNet(alpha, l1_ratio)`` minimizes the
    same objective divided by n with l1 = n*alpha*l1_ratio and l2 = n*alpha*(1 - l1_ratio).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,)
        Targets.
    l1 : float
        L1 strength, >= 0.
    l2 : float, default=0.0
        L2 strength, >= 0.
    tol : float, default=1e-10
        Convergence tolerance of coordinate descent, > 0.
    max_iter : int, default=100_000
        Maximum number of sweeps.

    Returns
    -------
    ndarray of shape (n_features,)
        The weights.

    Raises
    ------
    ValueError
        If X and y have different numbers of rows or a strength is negative.
    RuntimeError
        If coordinate descent does not converge in ``max_iter`` sweeps.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import l1
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> l1.elastic_net(X, [1.0, 0.1, 1.1], l1=0.3, l2=0.1)
    array([0.8446, 0.0264])
    """
    X = as_float_array(X, "X", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    check_same_length(X, y)
    l1 = check_nonneg_scalar(l1, "l1")
    l2 = check_nonneg_scalar(l2, "l2")
    tol = check_positive_scalar(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    A = X.T @ X + l2 * np.eye(X.shape[1])
    w, _ = _cd_quadratic(A, X.T @ y, l1, tol, max_iter)
    return w


def lasso(X, y, alpha, tol=1e-10, max_iter=100_000):
    """Solve the LASSO: minimize 1/2 ||y - X w||^2 + alpha ||w||_1 (least squares + L1).

    scikit-learn's ``Lasso(alpha_sk)`` minimizes (1/2n)||y - Xw||^2 + alpha_sk ||w||_1, the same
    problem with alpha = n * alpha_sk.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,)
        Targets.
    alpha : float
        L1 strength, >= 0.
    tol : float, default=1e-10
        Convergence tolerance of coordinate descent, > 0.
    max_iter : int, default=100_000
        Maximum number of sweeps.

    Returns
    -------
    ndarray of shape (n_features,)
        The weights; some are exactly 0.

    Raises
    ------
    ValueError
        If X and y have different numbers of rows or alpha < 0.
    RuntimeError
        If coordinate descent does not converge in ``max_iter`` sweeps.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import l1
    >>> X = np.eye(3)
    >>> l1.lasso(X, [2.0, 0.3, -1.0], alpha=0.5)
    array([ 1.5,  0. , -0.5])
    """
    return elastic_net(X, y, alpha, 0.0, tol=tol, max_iter=max_iter)


def elastic_net_objective(w, X, y, l1, l2=0.0):
    """Evaluate the objective :func:`elastic_net` minimizes: 1/2 ||y - Xw||^2 + l1 ||w||_1 + (l2/2) ||w||^2.

    The library's convention, everywhere: a 1/2 on the squared error and (l2/2) ||w||^2, the
    book's (alpha/2) w^T w of (7.5), so that the L2 part adds l2 I to X^T X and the L2 gradient
    is l2 w. A text written as lambda_1 ||w||_1 + lambda_2 ||w||^2 (no 1/2) with the same data term
    has lambda_2 = l2 / 2; scikit-learn's ``ElasticNet(alpha, l1_ratio)`` divides the whole objective
    by n: l1 = n alpha l1_ratio, l2 = n alpha (1 - l1_ratio).

    Parameters
    ----------
    w : array-like of shape (n_features,)
        Weights.
    X : array-like of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,)
        Targets.
    l1 : float
        L1 strength, >= 0.
    l2 : float, default=0.0
        L2 strength, >= 0.

    Returns
    -------
    float
        The objective's value.

    Raises
    ------
    ValueError
        If the shapes do not match or a strength is negative.

    Examples
    --------
    >>> from reglab import l1
    >>> l1.elastic_net_objective([1.0], [[1.0]], [3.0], l1=0.5, l2=2.0)
    3.5
    """
    w = as_float_array(w, "w", ndim=1)
    X = as_float_array(X, "X", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    check_same_length(X, y)
    if X.shape[1] != w.size:
        raise ValueError(f"w has {w.size} entries but X has {X.shape[1]} columns")
    l1 = check_nonneg_scalar(l1, "l1")
    l2 = check_nonneg_scalar(l2, "l2")
    r = y - X @ w
    return float(0.5 * r @ r + l1 * np.sum(np.abs(w)) + 0.5 * l2 * w @ w)


def _lasso_batch(X, y, alpha, tol, max_iter, w0=None):
    P, _, d = X.shape
    A = np.einsum("pni,pnj->pij", X, X)
    b = np.einsum("pni,pn->pi", X, y)
    diag = np.einsum("pii->pi", A)
    w = np.zeros((P, d)) if w0 is None else w0.copy()
    g = np.einsum("pij,pj->pi", A, w) - b
    for _ in range(max_iter):
        biggest = 0.0
        for i in range(d):
            a = diag[:, i]
            new = np.where(a > 0, _soft_threshold(w[:, i] - g[:, i] / np.where(a > 0, a, 1.0), alpha / np.where(
                a > 0, a, 1.0)), 0.0)
            delta = new - w[:, i]
            g += delta[:, None] * A[:, :, i]
            w[:, i] = new
            biggest = max(biggest, float(np.max(np.abs(delta))))
        if biggest <= tol:
            return w
    raise RuntimeError(f"coordinate descent did not reach tol={tol} in {max_iter} sweeps")


def lasso_batch(X, y, alpha, tol=1e-10, max_iter=10_000):
    """Solve many LASSO problems at once: for each p, minimize 1/2 ||y_p - X_p w||^2 + alpha ||w||_1.

    The coordinate descent of :func:`lasso`, vectorized over the problems (one sweep updates
    coordinate i of every problem together), so hundreds of small problems cost about as much as one.

    Parameters
    ----------
    X : array-like of shape (n_problems, n_samples, n_features)
        Designs.
    y : array-like of shape (n_problems, n_samples)
        Targets.
    alpha : float
        L1 strength, >= 0.
    tol : float, default=1e-10
        Stop when no coordinate of any problem moves more than this in a sweep, > 0.
    max_iter : int, default=10_000
        Maximum sweeps, >= 1.

    Returns
    -------
    ndarray of shape (n_problems, n_features)
        The solutions; many entries exactly 0.

    Raises
    ------
    ValueError
        If the shapes do not match or alpha < 0.
    RuntimeError
        If coordinate descent does not converge in ``max_iter`` sweeps.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import l1
    >>> X = np.stack([np.eye(3), 2 * np.eye(3)])
    >>> l1.lasso_batch(X, [[2.0, 0.3, -1.0], [2.0, 0.3, -1.0]], alpha=0.5)
    array([[ 1.5  ,  0.   , -0.5  ],
           [ 0.875,  0.025, -0.375]])
    """
    X, y = _check_batch(X, y)
    alpha = check_nonneg_scalar(alpha, "alpha")
    tol = check_positive_scalar(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    return _lasso_batch(X, y, alpha, tol, max_iter)


def _check_batch(X, y):
    X = as_float_array(X, "X", ndim=3)
    y = as_float_array(y, "y", ndim=2)
    if y.shape != X.shape[:2]:
        raise ValueError(f"y must have shape (n_problems, n_samples) = {X.shape[:2]}, got {y.shape}")
    return X, y


def exact_zero_fractions(X, y, alphas):
    """Fraction of weights that are exactly 0 under L1 and under L2, over many problems, for each alpha.

    L1: the LASSO 1/2 ||y - Xw||^2 + alpha ||w||_1 (:func:`lasso_batch`, warm-started along the
    decreasing alphas). L2: ridge 1/2 ||y - Xw||^2 + (alpha/2) ||w||^2, solved exactly. "Exactly 0"
    means ``== 0``.

    Parameters
    ----------
    X : array-like of shape (n_problems, n_samples, n_features)
        Designs, e.g. from :func:`reglab.data.random_sparse_regressions`.
    y : array-like of shape (n_problems, n_samples)
        Targets.
    alphas : array-like of shape (n_alphas,)
        Strengths, each > 0.

    Returns
    -------
    l1_zeros : ndarray of shape (n_alphas,)
        Fraction of the L1 weights (over all problems and features) that are exactly 0.
    l2_zeros : ndarray of shape (n_alphas,)
        The same for L2.
    w_l1 : ndarray of shape (n_alphas, n_problems, n_features)
        The L1 solutions.
    w_l2 : ndarray of shape (n_alphas, n_problems, n_features)
        The L2 solutions.

    Raises
    ------
    ValueError
        If the shapes do not match or an alpha is not positive.

    Examples
    --------
    >>> from reglab import data, l1
    >>> X, y, _ = data.random_sparse_regressions(n_problems=50, rng=0)
    >>> z1, z2, _, _ = l1.exact_zero_fractions(X, y, [1.0, 10.0])
    >>> bool(z1[1] > z1[0] > 0), z2.tolist()
    (True, [0.0, 0.0])
    """
    X, y = _check_batch(X, y)
    alphas = as_float_array(alphas, "alphas", ndim=1)
    if np.any(alphas <= 0):
        raise ValueError("alphas must be > 0")
    A = np.einsum("pni,pnj->pij", X, X)
    b = np.einsum("pni,pn->pi", X, y)
    eye = np.eye(X.shape[2])
    order = np.argsort(alphas)[::-1]
    w_l1 = np.empty((alphas.size, X.shape[0], X.shape[2]))
    w_l2 = np.empty_like(w_l1)
    w = None
    for j in order:
        w = _lasso_batch(X, y, alphas[j], 1e-8, 10_000, w)
        w_l1[j] = w
        w_l2[j] = np.linalg.solve(A + alphas[j] * eye, b[..., None])[..., 0]
    return np.mean(w_l1 == 0, axis=(1, 2)), np.mean(w_l2 == 0, axis=(1, 2)), w_l1, w_l2


def _group_shrink(W, t):
    """Rows of W scaled by max(1 - t/||W_g||_2, 0) (a zero row stays 0), on validated inputs."""
    norms = np.sqrt(np.sum(W * W, axis=1))
    t = np.broadcast_to(t, norms.shape)
    keep = norms > t
    out = np.zeros_like(W)  # +0.0, not the -0.0 a negative weight times 0 would give
    out[keep] = W[keep] * (1.0 - t[keep] / norms[keep])[:, None]
    return out


def group_soft_threshold(W, t):
    """Shrink each row of W as one group: W_g max(1 - t/||W_g||_2, 0), the proximal step of t sum_g ||W_g||_2.

    It minimizes 1/2 ||V - W||^2 + t sum_g ||V_g||_2 over V. A row whose Euclidean norm is at most t
    becomes exactly 0 as a whole; any other row keeps its direction and loses t of its norm. With
    groups of size 1 this is the elementwise :func:`soft_threshold`.

    Parameters
    ----------
    W : array-like of shape (n_groups, group_size)
        One group per row, e.g. the outgoing weights of one unit.
    t : float or array-like of shape (n_groups,)
        Threshold(s) >= 0, one for all groups or one per group.

    Returns
    -------
    ndarray of shape (n_groups, group_size)
        The shrunk rows; rows with ||W_g||_2 <= t are exactly 0.

    Raises
    ------
    ValueError
        If W is not 2-D or not finite, or a threshold is negative or has the wrong length.

    Examples
    --------
    >>> from reglab import l1
    >>> l1.group_soft_threshold([[3.0, 4.0], [0.3, -0.4]], 1.0)
    array([[2.4, 3.2],
           [0. , 0. ]])
    """
    W = as_float_array(W, "W", ndim=2)
    t = as_float_array(t, "t", ndim=(0, 1))
    if np.any(t < 0):
        raise ValueError("threshold t must be >= 0")
    if t.ndim == 1 and t.shape != (W.shape[0],):
        raise ValueError(f"t has {t.size} thresholds but W has {W.shape[0]} groups (rows): give one per row, "
                         "or one number for all")
    return _group_shrink(W, t)


def group_lasso(X, Y, alpha, tol=1e-10, max_iter=100_000):
    """Minimize 1/2 ||Y - X W||_F^2 + alpha sum_g ||W_g||_2, the group lasso with one group per input.

    Row g of W holds the weights from input g to every output (a unit's outgoing weights): the
    penalty is L1 across rows and L2 within a row, so whole rows become exactly 0 and input g can be
    removed. Solved by block coordinate descent: each block step is the exact minimizer over row g
    given the others, a :func:`group_soft_threshold` of X_g^T R_g by alpha, divided by ||X_g||^2.
    With one output this is :func:`lasso`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Inputs (e.g. the activations of the units whose outgoing weights are grouped).
    Y : array-like of shape (n_samples, n_outputs)
        Targets.
    alpha : float
        Group penalty strength, >= 0.
    tol : float, default=1e-10
        Stop when no weight moves by more than tol * max(1, max|W|) in a sweep, > 0.
    max_iter : int, default=100_000
        Maximum number of sweeps over the rows.

    Returns
    -------
    ndarray of shape (n_features, n_outputs)
        The weights; some rows exactly 0.

    Raises
    ------
    ValueError
        If the shapes do not match, a column of X is all zero, or alpha < 0.
    RuntimeError
        If block coordinate descent does not reach ``tol`` in ``max_iter`` sweeps.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import l1
    >>> l1.group_lasso(np.eye(2), [[3.0, 4.0], [0.3, -0.4]], alpha=1.0)
    array([[2.4, 3.2],
           [0. , 0. ]])
    """
    X = as_float_array(X, "X", ndim=2)
    Y = as_float_array(Y, "Y", ndim=2)
    check_same_length(X, Y, b_name="Y")
    alpha = check_nonneg_scalar(alpha, "alpha")
    tol = check_positive_scalar(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    sq = np.sum(X * X, axis=0)
    if np.any(sq == 0):
        raise ValueError("a column of X is all zero: its row of W is not determined by the data")
    W = np.zeros((X.shape[1], Y.shape[1]))
    R = Y.copy()  # residual Y - X W
    for _ in range(max_iter):
        biggest = 0.0
        for g in range(X.shape[1]):
            z = X[:, g] @ R + sq[g] * W[g]  # X_g^T (residual without row g)
            new = _group_shrink(z[None, :], alpha)[0] / sq[g]
            delta = new - W[g]
            if np.any(delta != 0.0):
                R -= np.outer(X[:, g], delta)
                W[g] = new
                biggest = max(biggest, float(np.max(np.abs(delta))))
        if biggest <= tol * max(1.0, float(np.max(np.abs(W)))):
            return W
    raise RuntimeError(f"block coordinate descent did not reach tol={tol} in {max_iter} sweeps")
