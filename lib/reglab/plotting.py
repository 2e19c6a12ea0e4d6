"""Figures for every session, kept apart from the computations they draw.

Each function draws on a matplotlib ``Axes`` (created if not given) and returns it, so notebooks
compose figures and widgets redraw the same axes. Nothing here computes mathematics of its own: it
calls the session modules.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from . import early_stopping, ensembles, l1, l2, overfitting

__all__ = [
    "plot_polynomial_fits",
    "plot_train_val",
    "plot_l2_geometry",
    "plot_shrink_factors",
    "plot_soft_threshold",
    "plot_l1_l2_geometry",
    "plot_gd_vs_ridge",
    "plot_alpha_approximation",
    "plot_ensemble_mse",
    "plot_error_histograms",
    "plot_dropout_predictions",
    "plot_history",
    "plot_decision_boundary",
    "plot_capstone",
    "plot_learning_curves",
    "plot_zero_fractions",
    "plot_weight_magnitudes",
    "plot_sweep",
]


def _ax(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    return ax


def plot_polynomial_fits(x, y, degrees, alpha=0.0, ax=None, f_true=None):
    """Draw the training points and the polynomial fit of each degree (session 0).

    Parameters
    ----------
    x : array-like of shape (n_samples,)
        Training inputs in [-1, 1].
    y : array-like of shape (n_samples,)
        Training targets.
    degrees : sequence of int
        Degrees to fit and draw.
    alpha : float, default=0.0
        L2 strength of the fits.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created if None.
    f_true : callable, default=None
        The true function, drawn dashed if given.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from reglab import data, plotting
    >>> x, y = data.polynomial_data(10, rng=0)
    >>> ax = plotting.plot_polynomial_fits(x, y, [1, 9], f_true=data.true_function)
    >>> [line.get_label() for line in ax.get_lines()]
    ['true function', 'degree 1', 'degree 9']
    """
    ax = _ax(ax)
    grid = np.linspace(-1, 1, 400)
    ax.scatter(x, y, color="k", zorder=3, label="training points")
    if f_true is not None:
        ax.plot(grid, f_true(grid), "k--", lw=1, label="true function")
    for d in degrees:
        coef = overfitting.fit_polynomial(x, y, d, alpha)
        ax.plot(grid, overfitting.predict_polynomial(coef, grid), label=f"degree {d}")
    lo, hi = np.min(y), np.max(y)
    pad = 0.75 * (hi - lo + 1e-9)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(fontsize="small")
    return ax


def plot_train_val(xs, train, val, ax=None, xlabel="capacity", log=True):
    """Draw training and validation error against capacity or training time.

    Parameters
    ----------
    xs : array-like of shape (n_points,)
        Capacities (or epochs).
    train : array-like of shape (n_points,)
        Training errors.
    val : array-like of shape (n_points,)
        Validation errors.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created if None.
    xlabel : str, default="capacity"
        Label of the x axis.
    log : bool, default=True
        Logarithmic y axis.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from reglab import plotting
    >>> ax = plotting.plot_train_val([1, 2, 3], [1.0, 0.5, 0.2], [1.0, 0.6, 0.9], xlabel="degree")
    >>> ax.get_xlabel(), ax.get_yscale()
    ('degree', 'log')
    """
    ax = _ax(ax)
    ax.plot(xs, train, "o-", label="training")
    ax.plot(xs, val, "s-", label="validation")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("mean squared error")
    ax.legend()
    return ax


def _finish_square(ax, extent, legend_size="x-small", labels=True):
    """Equal aspect, symmetric limits, axis labels and a legend: the 2-D geometry pictures."""
    ax.set_aspect("equal")
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    if labels:
        ax.set_xlabel("w1")
        ax.set_ylabel("w2")
    ax.legend(fontsize=legend_size, loc="lower left")
    return ax


def _quad_grid(H, w_star, extent):
    c = np.asarray(w_star, float)
    r = extent
    g1, g2 = np.meshgrid(np.linspace(-r, r, 200), np.linspace(-r, r, 200))
    P = np.stack([g1, g2], axis=-1) - c
    Z = 0.5 * np.einsum("...i,ij,...j->...", P, np.asarray(H, float), P)
    return g1, g2, Z


def _loss_contours(ax, H, w_star, extent, **kw):
    """Contours of the quadratic 0.5 (w - w*)^T H (w - w*) on [-extent, extent]^2; returns the ContourSet."""
    return ax.contour(*_quad_grid(H, w_star, extent), levels=12, cmap="Blues", **kw)


def _ridge_path(H, w_star):
    """w~(alpha) for alpha over six decades around the largest eigenvalue of H, shape (200, 2)."""
    lam, Q = np.linalg.eigh(H)  # one eigendecomposition for the whole path, as l2.eigen_rescale does per alpha
    f = np.array([l2.shrink_factors(lam, a) for a in np.geomspace(1e-3, 1e3, 200) * max(lam.max(), 1e-12)])
    return (f * (Q.T @ np.asarray(w_star, float))) @ Q.T


def plot_l2_geometry(H, w_star, alphas, ax=None):
    """Draw ellipse contours of J, circles of the penalty, and w~ for each alpha (session 1, (7.13)).

    Each w~ is annotated with the shrink factors lambda_i / (lambda_i + alpha).

    Parameters
    ----------
    H : array-like of shape (2, 2)
        Symmetric positive semidefinite Hessian.
    w_star : array-like of shape (2,)
        Unregularized minimizer.
    alphas : sequence of float
        Penalty strengths to mark.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created if None.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    ValueError
        If H is not 2x2.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import plotting
    >>> ax = plotting.plot_l2_geometry(np.diag([4.0, 0.25]), [1.0, 1.0], [1.0])
    >>> "alpha=1: factors 0.20, 0.80" in [line.get_label() for line in ax.get_lines()]
    True
    """
    ax = _ax(ax)
    H = np.asarray(H, float)
    w_star = np.asarray(w_star, float)
    if H.shape != (2, 2):
        raise ValueError("the geometry picture needs a 2x2 H")
    extent = 1.4 * max(np.max(np.abs(w_star)), 1e-3)
    _loss_contours(ax, H, w_star, extent)
    lam, Q = np.linalg.eigh(H)
    path = _ridge_path(H, w_star)
    ax.plot(path[:, 0], path[:, 1], color="0.6", lw=1, label="w~ as alpha grows")
    ax.plot(*w_star, "k*", ms=12, label="w* (no penalty)")
    for a in alphas:
        wt = l2.eigen_rescale(H, w_star, a)
        radius = np.linalg.norm(wt)
        ax.add_patch(plt.Circle((0, 0), radius, fill=False, ls=":", color="C3"))
        f = l2.shrink_factors(lam, a)
        ax.plot(*wt, "o", label=f"alpha={a:g}: factors {f[0]:.2f}, {f[1]:.2f}")
    for i in range(2):
        ax.arrow(0, 0, *(0.5 * extent * Q[:, i]), color="0.3", width=0.002 * extent, length_includes_head=True)
    return _finish_square(ax, extent)


def plot_shrink_factors(eigvals, alpha, ax=None):
    """Draw a bar chart of lambda_i / (lambda_i + alpha) per eigen-direction (session 1).

    Parameters
    ----------
    eigvals : array-like of shape (n_features,)
        Eigenvalues lambda_i >= 0.
    alpha : float
        Penalty strength.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created if None.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from reglab import plotting
    >>> ax = plotting.plot_shrink_factors([1.0, 3.0], 1.0)
    >>> [float(bar.get_height()) for bar in ax.patches]
    [0.5, 0.75]
    """
    ax = _ax(ax)
    f = l2.shrink_factors(eigvals, alpha)
    ax.bar(np.arange(len(f)), f, color="C0")
    ax.set_ylim(0, 1.05)
    ax.set_xticks(np.arange(len(f)))
    ax.set_xticklabels([f"{v:g}" for v in np.asarray(eigvals, float)])
    ax.set_xlabel("eigenvalue lambda_i")
    ax.set_ylabel("shrink factor")
    ax.set_title(f"alpha = {alpha:g}")
    return ax


def plot_soft_threshold(t, ax=None, lim=3.0):
    """Draw the soft-thresholding map next to the identity (session 2, (7.23)).

    Parameters
    ----------
    t : float
        Threshold, >= 0.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created if None.
    lim : float, default=3.0
        The x axis spans [-lim, lim].

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from reglab import plotting
    >>> ax = plotting.plot_soft_threshold(0.5)
    >>> ax.get_lines()[1].get_label()
    'soft threshold, t = 0.5'
    """
    ax = _ax(ax)
    x = np.linspace(-lim, lim, 601)
    ax.plot(x, x, "k--", lw=1, label="w* (no penalty)")
    ax.plot(x, l1.soft_threshold(x, t), lw=2, label=f"soft threshold, t = {t:g}")
    ax.axvspan(-t, t, color="C1", alpha=0.15, label="set exactly to 0")
    ax.set_xlabel("w*_i")
    ax.set_ylabel("w_i")
    ax.legend(fontsize="small")
    return ax


def plot_l1_l2_geometry(H, w_star, alpha, ax=None):
    """Draw loss contours with the L1 diamond and L2 circle through each regularized solution (session 2).

    Parameters
    ----------
    H : array-like of shape (2, 2)
        Symmetric positive semidefinite Hessian.
    w_star : array-like of shape (2,)
        Unregularized minimizer.
    alpha : float
        Penalty strength of both solutions.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created if None.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import plotting
    >>> ax = plotting.plot_l1_l2_geometry(np.eye(2), [0.4, 1.2], 0.5)
    >>> [line.get_label() for line in ax.get_lines()][-2]
    'L1 solution (0.00, 0.70)'
    """
    ax = _ax(ax)
    H = np.asarray(H, float)
    w_star = np.asarray(w_star, float)
    extent = 1.4 * max(np.max(np.abs(w_star)), 1e-3)
    _loss_contours(ax, H, w_star, extent)
    w1 = l1.lasso_quadratic(H, w_star, alpha)
    w2 = l2.eigen_rescale(H, w_star, alpha)
    r1 = np.sum(np.abs(w1))
    r2 = np.linalg.norm(w2)
    ax.plot([r1, 0, -r1, 0, r1], [0, r1, 0, -r1, 0], color="C3", label="L1 ball (diamond)")
    ax.add_patch(plt.Circle((0, 0), r2, fill=False, color="C2", label="L2 ball (circle)"))
    ax.plot(*w_star, "k*", ms=12, label="w*")
    ax.plot(*w1, "o", color="C3", label=f"L1 solution ({w1[0]:.2f}, {w1[1]:.2f})")
    ax.plot(*w2, "s", color="C2", label=f"L2 solution ({w2[0]:.2f}, {w2[1]:.2f})")
    return _finish_square(ax, extent)


def plot_gd_vs_ridge(H, w_star, eps, tau, ax=None):
    """Draw the gradient-descent trajectory from 0 and the ridge path, with w(tau) and w~ marked.

    w~ is the ridge solution at alpha = 1/(eps tau), the approximation (7.45).

    Parameters
    ----------
    H : array-like of shape (2, 2)
        Symmetric positive semidefinite Hessian.
    w_star : array-like of shape (2,)
        Unregularized minimizer.
    eps : float
        Step size.
    tau : int
        Number of steps.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created if None.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import plotting
    >>> ax = plotting.plot_gd_vs_ridge(np.diag([1.0, 0.05]), [1.0, 1.0], 0.1, 20)
    >>> ax.get_lines()[0].get_xydata().shape
    (21, 2)
    """
    ax = _ax(ax)
    H = np.asarray(H, float)
    w_star = np.asarray(w_star, float)
    extent = 1.4 * max(np.max(np.abs(w_star)), 1e-3)
    _loss_contours(ax, H, w_star, extent)
    it = early_stopping.gd_iterates(H, w_star, eps, int(tau))
    ax.plot(it[:, 0], it[:, 1], ".-", color="C0", ms=3, label="gradient descent")
    path = _ridge_path(H, w_star)
    ax.plot(path[:, 0], path[:, 1], color="C1", label="ridge path")
    a = early_stopping.approx_alpha(eps, tau)
    wr = l2.eigen_rescale(H, w_star, a)
    ax.plot(*it[-1], "o", color="C0", ms=8, label=f"w(tau), tau = {int(tau)}")
    ax.plot(*wr, "s", color="C1", ms=8, mfc="none", label=f"w~, alpha = 1/(eps tau) = {a:.3g}")
    ax.plot(*w_star, "k*", ms=12, label="w*")
    return _finish_square(ax, extent, labels=False)


def plot_alpha_approximation(eigvals, eps, taus, ax=None):
    """Draw the exact per-direction alpha_i of (7.43) against tau, with alpha = 1/(eps tau) (7.45).

    Parameters
    ----------
    eigvals : array-like of shape (n_features,)
        Eigenvalues of H.
    eps : float
        Step size.
    taus : array-like of shape (n_taus,)
        Numbers of steps.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created if None.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import plotting
    >>> ax = plotting.plot_alpha_approximation([0.01, 1.0], 0.1, np.array([10.0, 100.0]))
    >>> ax.get_lines()[-1].get_ydata()
    array([1. , 0.1])
    """
    ax = _ax(ax)
    taus = np.asarray(taus, float)
    exact = np.array([early_stopping.equivalent_alpha(eigvals, eps, t) for t in taus])
    for i, lam in enumerate(np.asarray(eigvals, float)):
        ax.loglog(taus, exact[:, i], label=f"exact, lambda = {lam:g} (eps*lambda = {eps * lam:.2g})")
    ax.loglog(taus, 1 / (eps * taus), "k--", label="1/(eps tau)")
    # exact alphas of stiff directions plunge toward 0 (they converge long before tau); keep the
    # axis on the range where the comparison is readable
    lo = 1e-3 / (eps * taus.max())
    ax.set_ylim(bottom=lo)
    ax.set_xlabel("tau (steps)")
    ax.set_ylabel("equivalent alpha")
    ax.legend(fontsize="x-small")
    return ax


def plot_ensemble_mse(v, c, ks, simulated=None, ax=None):
    """Draw formula (7.50) against ensemble size, with optional simulated points.

    Parameters
    ----------
    v : float
        Variance of each member's error.
    c : float
        Covariance between two members' errors.
    ks : array-like of shape (n_sizes,)
        Ensemble sizes.
    simulated : array-like of shape (n_sizes,), default=None
        Monte Carlo estimates at ks, drawn as points if given.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created if None.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from reglab import plotting
    >>> ax = plotting.plot_ensemble_mse(1.0, 0.25, [1, 2, 4])
    >>> ax.get_lines()[0].get_ydata()
    array([1.    , 0.625 , 0.4375])
    """
    ax = _ax(ax)
    ks = np.asarray(ks)
    ax.plot(ks, [ensembles.ensemble_mse(v, c, int(k)) for k in ks], "-", label="v/k + (k-1)c/k")
    if simulated is not None:
        ax.plot(ks, simulated, "o", label="Monte Carlo")
    ax.axhline(v, color="0.5", ls=":", label="one model (v)")
    ax.axhline(c, color="C3", ls=":", label="limit c")
    ax.set_xlabel("ensemble size k")
    ax.set_ylabel("expected squared error")
    ax.legend(fontsize="small")
    return ax


def plot_error_histograms(errors, ax=None, bins=30):
    """Draw histograms of one member's error and of the k members' average error (session 4).

    Parameters
    ----------
    errors : array-like of shape (n_draws, k)
        Member errors, as from :func:`reglab.ensembles.correlated_errors`.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created if None.
    bins : int, default=30
        Number of bins of each histogram.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from reglab import ensembles, plotting
    >>> ax = plotting.plot_error_histograms(ensembles.correlated_errors(1.0, 0.2, 5, 400, rng=0))
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ["one member's error", 'average of 5']
    """
    ax = _ax(ax)
    errors = np.asarray(errors, float)
    ax.hist(errors[:, 0], bins=bins, alpha=0.5, density=True, label="one member's error")
    ax.hist(errors.mean(axis=1), bins=bins, alpha=0.5, density=True, label=f"average of {errors.shape[1]}")
    ax.set_xlabel("error")
    ax.legend(fontsize="small")
    return ax


def plot_dropout_predictions(predictions: dict, ax=None, class_names=None):
    """Draw grouped bars of class probabilities from several inference rules (session 5).

    Parameters
    ----------
    predictions : dict
        Rule name -> class probabilities (array-like of shape (n_classes,)).
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created if None.
    class_names : list of str, default=None
        Tick labels; "class 0", "class 1", ... by default.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from reglab import plotting
    >>> ax = plotting.plot_dropout_predictions({"exact": [0.3, 0.7], "weight scaling": [0.4, 0.6]})
    >>> [round(float(bar.get_height()), 1) for bar in ax.patches]
    [0.3, 0.7, 0.4, 0.6]
    """
    ax = _ax(ax)
    names = list(predictions)
    C = len(np.asarray(predictions[names[0]]))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        ax.bar(np.arange(C) + i * width, np.asarray(predictions[name]), width, label=name)
    ax.set_xticks(np.arange(C) + 0.4 - width / 2)
    ax.set_xticklabels(class_names or [f"class {j}" for j in range(C)])
    ax.set_ylabel("probability")
    ax.legend(fontsize="small")
    return ax


def plot_history(history, ax=None, title=None):
    """Draw training and validation loss per epoch from :func:`reglab.mlp.train_mlp`.

    Parameters
    ----------
    history : dict
        ``train_loss`` and optionally ``val_loss`` lists, as in ``TrainResult.history``.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created if None.
    title : str, default=None
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from reglab import plotting
    >>> ax = plotting.plot_history({"train_loss": [1.0, 0.5], "val_loss": [1.1, 0.9]}, title="plain")
    >>> [line.get_label() for line in ax.get_lines()]
    ['training loss', 'validation loss']
    """
    ax = _ax(ax)
    ax.plot(np.arange(1, len(history["train_loss"]) + 1), history["train_loss"], label="training loss")
    if history.get("val_loss"):
        ax.plot(np.arange(1, len(history["val_loss"]) + 1), history["val_loss"], label="validation loss")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy")
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small")
    return ax


def plot_decision_boundary(predict, X, y, ax=None, dims=(0, 1), resolution=150):
    """Draw P(class 1) over the plane of two input features, the others held at 0 (their training mean).

    Parameters
    ----------
    predict : callable
        ``predict(X) -> probabilities`` of shape (n_samples, n_classes).
    X : array-like of shape (n_samples, n_features)
        Points to scatter (and the extent of the plane).
    y : array-like of shape (n_samples,)
        Their labels (colors).
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created if None.
    dims : tuple of (int, int), default=(0, 1)
        The two features spanning the plane.
    resolution : int, default=150
        Grid points per axis.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from reglab import data, mlp, plotting
    >>> split = data.classification_data(n_train=20, rng=0)
    >>> layers = mlp.init_mlp([split.X_train.shape[1], 4, 2], rng=0)
    >>> ax = plotting.plot_decision_boundary(lambda X: mlp.predict_proba(layers, X), split.X_train,
    ...                                      split.y_train, resolution=20)
    >>> ax.get_xlabel()
    'feature 0'
    """
    ax = _ax(ax)
    X = np.asarray(X, float)
    a, b = dims
    lo, hi = X[:, [a, b]].min(axis=0) - 0.5, X[:, [a, b]].max(axis=0) + 0.5
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.zeros((g1.size, X.shape[1]))
    grid[:, a], grid[:, b] = g1.ravel(), g2.ravel()
    p = predict(grid)[:, 1].reshape(g1.shape)
    ax.contourf(g1, g2, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
    ax.contour(g1, g2, p, levels=[0.5], colors="k", linewidths=1.5)
    ax.scatter(X[:, a], X[:, b], c=y, cmap="RdBu_r", edgecolors="k", s=25)
    ax.set_xlabel(f"feature {a}")
    ax.set_ylabel(f"feature {b}")
    return ax


def plot_capstone(results, ax=None):
    """Draw the held-out test loss of each regularizer of the capstone (lower is better).

    Parameters
    ----------
    results : dict
        Name -> dict with ``test_loss`` and ``test_acc``, as from
        :func:`reglab.mlp.compare_regularizers`.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created if None.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from reglab import plotting
    >>> results = {"none": {"test_loss": 1.5, "test_acc": 0.7}, "L2": {"test_loss": 0.5, "test_acc": 0.8}}
    >>> ax = plotting.plot_capstone(results)
    >>> [float(bar.get_width()) for bar in ax.patches]
    [1.5, 0.5]
    """
    ax = _ax(ax)
    names = list(results)
    losses = [results[n]["test_loss"] for n in names]
    bars = ax.barh(names, losses, color=["0.6"] + ["C0"] * (len(names) - 1))
    for bar, n in zip(bars, names):
        ax.text(
            bar.get_width(),
            bar.get_y() + bar.get_height() / 2,
            f" acc {results[n]['test_acc']:.2f}",
            va="center",
            fontsize="small",
        )
    ax.invert_yaxis()
    ax.set_xlabel("test cross-entropy")
    return ax


def plot_learning_curves(steps, train, val, ax=None):
    """Draw training and validation error against the number of steps (log axes), marking the best step.

    Parameters
    ----------
    steps : array-like of shape (n_points,)
        Numbers of steps (> 0 for the log axis).
    train : array-like of shape (n_points,)
        Training errors.
    val : array-like of shape (n_points,)
        Validation errors.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created if None.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from reglab import plotting
    >>> ax = plotting.plot_learning_curves([1, 10, 100], [1.0, 0.5, 0.2], [1.0, 0.6, 0.9])
    >>> ax.get_xscale(), len(ax.lines)
    ('log', 3)
    """
    ax = plot_train_val(steps, train, val, ax=ax, xlabel="gradient-descent steps", log=True)
    for line in ax.lines:
        line.set_marker("")
    best = int(np.argmin(val))
    ax.axvline(np.asarray(steps)[best], color="k", ls=":", lw=1, label="lowest validation error")
    ax.set_xscale("log")
    ax.legend(fontsize="small")
    return ax


def plot_zero_fractions(alphas, l1_zeros, l2_zeros, alpha=None, ax=None, true_zeros=None):
    """Draw the fraction of exactly-zero weights under L1 and under L2 against alpha.

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,)
        Strengths (> 0, log axis).
    l1_zeros : array-like of shape (n_alphas,)
        Fraction of L1 weights that are exactly 0.
    l2_zeros : array-like of shape (n_alphas,)
        The same for L2.
    alpha : float, default=None
        Current alpha, marked by a vertical line.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created if None.
    true_zeros : float, default=None
        Fraction of true weights that are 0, drawn as a horizontal line.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from reglab import plotting
    >>> ax = plotting.plot_zero_fractions([0.1, 1, 10], [0.1, 0.5, 0.9], [0, 0, 0], alpha=1)
    >>> ax.get_xscale()
    'log'
    """
    ax = _ax(ax)
    ax.plot(alphas, l1_zeros, "o-", ms=3, label="L1 (LASSO)")
    ax.plot(alphas, l2_zeros, "s-", ms=3, label="L2 (ridge)")
    if true_zeros is not None:
        ax.axhline(true_zeros, color="0.5", ls="--", lw=1, label="true weights that are 0")
    if alpha is not None:
        ax.axvline(alpha, color="k", ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("alpha")
    ax.set_ylabel("fraction of weights exactly 0")
    ax.legend(fontsize="small")
    return ax


def plot_weight_magnitudes(w_l1, w_l2, ax=None, floor=1e-8, bins=None):
    """Draw histograms of |w| under L1 and L2, exact zeros gathered in a bar at the left edge.

    Parameters
    ----------
    w_l1 : array-like
        L1 weights (any shape).
    w_l2 : array-like
        L2 weights.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created if None.
    floor : float, default=1e-8
        Magnitudes below this (exact zeros included) are drawn at this value, > 0.
    bins : array-like of shape (n_bins + 1,), default=None
        Bin edges; 40 logarithmic bins from the floor to the largest magnitude if None.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from reglab import plotting
    >>> ax = plotting.plot_weight_magnitudes([0.0, 0.5, 1.0], [0.01, 0.4, 1.0])
    >>> ax.get_xscale()
    'log'
    """
    ax = _ax(ax)
    a1 = np.maximum(np.abs(np.ravel(w_l1)), floor)
    a2 = np.maximum(np.abs(np.ravel(w_l2)), floor)
    if bins is None:
        bins = np.geomspace(floor / 1.5, max(a1.max(), a2.max(), 10 * floor) * 1.5, 40)
    ax.hist(a1, bins=bins, alpha=0.6, label=f"L1: {int(np.sum(np.ravel(w_l1) == 0))} exactly 0")
    ax.hist(a2, bins=bins, alpha=0.6, label=f"L2: {int(np.sum(np.ravel(w_l2) == 0))} exactly 0")
    ax.set_xscale("log")
    ax.set_xlabel(f"|w| (exact zeros drawn at {floor:g})")
    ax.set_ylabel("count")
    ax.legend(fontsize="small")
    return ax


def plot_sweep(values, val_loss, chosen, ax=None, xlabel="strength", log=True):
    """Draw a validation sweep: validation loss against the candidate values, the chosen one marked.

    Parameters
    ----------
    values : array-like of shape (n_values,)
        Candidate values (strengths, keep probabilities or epochs).
    val_loss : array-like of shape (n_values,)
        Validation loss of each.
    chosen : float
        The value with the lowest validation loss.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created if None.
    xlabel : str, default="strength"
        Label of the x axis.
    log : bool, default=True
        Logarithmic x axis.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from reglab import plotting
    >>> ax = plotting.plot_sweep([1e-3, 1e-2, 1e-1], [0.3, 0.2, 0.4], 1e-2)
    >>> ax.get_xscale(), ax.get_ylabel()
    ('log', 'validation cross-entropy')
    """
    ax = _ax(ax)
    ax.plot(values, val_loss, "o-", ms=4)
    ax.axvline(chosen, color="C1", ls="--", lw=1, label=f"chosen: {chosen:g}")
    if log:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("validation cross-entropy")
    ax.legend(fontsize="small")
    return ax
