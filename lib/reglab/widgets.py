"""Interactive explorations: sliders on top of the computing and plotting functions.

Every exploration is an :class:`Exploration`: a set of ipywidgets controls, a matplotlib ``Figure``
owned by the exploration (no pyplot state), and a draw function from :mod:`reglab.plotting`. The
figure is shown as a PNG inside an ``Output`` widget, so it renders the same in JupyterLab, in
Notebook 7 and in a headless test, where :meth:`Exploration.update` drives the same code path a
slider does.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import ipywidgets
import numpy as np
from IPython.display import Image, clear_output, display
from matplotlib.figure import Figure

from . import data, dropout, early_stopping, ensembles, l1, l2, overfitting, playground, plotting
from ._kernels import single_threaded_blas
from ._validation import as_seed

__all__ = [
    "Exploration",
    "polynomial_explorer",
    "l2_explorer",
    "l1_explorer",
    "early_stopping_explorer",
    "ensemble_explorer",
    "dropout_explorer",
    "capstone_explorer",
    "learning_curves_explorer",
    "l1_zeros_explorer",
    "capstone_sweep_explorer",
]


class Exploration:
    """Controls + a figure redrawn whenever a control changes.

    Parameters
    ----------
    title : str
        Heading shown above the controls.
    controls : dict
        Control name -> ipywidgets value widget (a slider, a dropdown...).
    draw : callable
        ``draw(fig, **values) -> str or None``; draws on the (cleared) figure and may return a short
        HTML summary shown under the controls.
    figsize : tuple of (float, float), default=(10, 4.2)
        Figure size in inches.

    Examples
    --------
    >>> import ipywidgets
    >>> from reglab.widgets import Exploration
    >>> def draw(fig, a):
    ...     fig.subplots().plot([0, 1], [0, a])
    ...     return f"slope {a}"
    >>> exp = Exploration("demo", {"a": ipywidgets.FloatSlider(value=1.0)}, draw)
    >>> exp.update(a=2.0)
    >>> exp.summary.value, exp.redraws
    ('slope 2.0', 2)
    """

    def __init__(self, title: str, controls: dict, draw: Callable, figsize=(10, 4.2)):
        self.title = title
        self.controls = controls
        self._draw = draw
        self.figure = Figure(figsize=figsize, layout="constrained")
        self.output = ipywidgets.Output()
        self.summary = ipywidgets.HTML()
        self.redraws = 0
        self.png = b""
        self._hold = False
        for c in controls.values():
            c.observe(self._on_change, names="value")
        self.widget = ipywidgets.VBox(
            [
                ipywidgets.HTML(f"<b>{title}</b>"),
                ipywidgets.HBox(list(controls.values()), layout=ipywidgets.Layout(flex_flow="row wrap")),
                self.summary,
                self.output,
            ],
        )
        self.widget.add_class("reglab-exploration")
        self.redraw()

    @property
    def values(self) -> dict:
        """Current value of every control, by name.

        Examples
        --------
        >>> from reglab import widgets
        >>> widgets.l1_explorer().values
        {'alpha': 0.5, 'rho': 0.0}
        """
        return {k: c.value for k, c in self.controls.items()}

    def _on_change(self, change):
        if not self._hold:
            self.redraw()

    def update(self, **values):
        """Set several controls at once (one redraw), as a student moving sliders would.

        Parameters
        ----------
        **values : dict
            Control name -> new value.

        Raises
        ------
        ValueError
            If a name is not one of the exploration's controls.

        Examples
        --------
        >>> from reglab import widgets
        >>> exp = widgets.l1_explorer()
        >>> exp.update(alpha=0.3, rho=0.8)
        >>> "not the minimizer" in exp.summary.value
        True
        """
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; this exploration has {sorted(self.controls)}")
        self._hold = True
        try:
            for k, v in values.items():
                self.controls[k].value = v
        finally:
            self._hold = False
        self.redraw()

    def redraw(self):
        """Redraw the figure and the summary from the current control values.

        Examples
        --------
        >>> from reglab import widgets
        >>> exp = widgets.l1_explorer()
        >>> exp.redraw()
        >>> exp.redraws, exp.png[:4]
        (2, b'\x89PNG')
        """
        self.figure.clear()
        with single_threaded_blas():  # the explorations' matrices are small: one BLAS thread is fastest
            summary = self._draw(self.figure, **self.values)
        self.summary.value = summary or ""
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=80)
        self.png = buf.getvalue()
        with self.output:
            clear_output(wait=True)
            display(Image(self.png))
        self.redraws += 1

    def _ipython_display_(self):
        display(self.widget)


def _slider(kind, description, **kw):
    style = {"description_width": "initial"}
    return kind(
        description=description, continuous_update=False, style=style, readout_format=kw.pop("fmt", ".3g"), **kw
    )


# ---------------------------------------------------------------------------- session 0


def polynomial_explorer(n_train=10, noise=0.3, rng=0):
    """Explore session 0: polynomial degree and L2 strength against training and validation error.

    Parameters
    ----------
    n_train : int, default=10
        Number of training points.
    noise : float, default=0.3
        Standard deviation of the target noise.
    rng : int or numpy.random.Generator, default=0
        Seed of the training set (the validation set uses the next seed).

    Returns
    -------
    Exploration
        The exploration; display it (last expression of a cell) to get its sliders.

    Examples
    --------
    >>> from reglab import widgets
    >>> exp = widgets.polynomial_explorer()
    >>> exp.update(degree=3)
    >>> exp.summary.value.startswith("training MSE")
    True
    """
    seed = as_seed(rng)
    x, y = data.polynomial_data(n_train, noise, seed)
    xv, yv = data.polynomial_data(200, noise, seed + 1)
    degrees = np.arange(0, 13)

    def draw(fig, degree, log10_alpha):
        alpha = 0.0 if log10_alpha <= -8 else 10.0**log10_alpha
        ax1, ax2 = fig.subplots(1, 2)
        plotting.plot_polynomial_fits(x, y, [degree], alpha, ax=ax1, f_true=data.true_function)
        tr, va = overfitting.degree_sweep(x, y, xv, yv, degrees, alpha)
        plotting.plot_train_val(degrees, np.maximum(tr, 1e-12), va, ax=ax2, xlabel="degree")
        ax2.axvline(degree, color="k", ls=":")
        ax1.set_title(f"degree {degree}, alpha = {alpha:.2g}")
        return (f"training MSE <b>{tr[degree]:.3g}</b>, validation MSE <b>{va[degree]:.3g}</b> "
                f"(best validation degree for this alpha: {int(degrees[np.argmin(va)])})")

    return Exploration(
        "Capacity and regularization: move the degree, then add L2",
        {
            "degree": _slider(ipywidgets.IntSlider, "degree", min=0, max=12, value=9),
            "log10_alpha": _slider(
                ipywidgets.FloatSlider, "log10 alpha (-8 = none)", min=-8, max=2, step=0.25, value=-8
            ),
        },
        draw,
    )


# ---------------------------------------------------------------------------- session 1


def _rotated_hessian(lam1, lam2, angle_deg):
    t = np.deg2rad(angle_deg)
    Q = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    return Q @ np.diag([lam1, lam2]) @ Q.T


def l2_explorer(w_star=(1.0, 1.0)):
    """Explore session 1: eigenvalues, rotation and alpha; w~ and the shrink factors.

    The shrink factors are lambda_i / (lambda_i + alpha) (7.13).

    Parameters
    ----------
    w_star : tuple of (float, float), default=(1.0, 1.0)
        Unregularized minimizer.

    Returns
    -------
    Exploration
        The exploration; display it (last expression of a cell) to get its sliders.

    Examples
    --------
    >>> from reglab import widgets
    >>> exp = widgets.l2_explorer()
    >>> exp.update(angle=0, lam1=4.0, lam2=0.25, alpha=1.0)
    >>> exp.summary.value.split(";")[0]
    'w~ = (0.800, 0.200)'
    """
    w_star = np.asarray(w_star, float)

    def draw(fig, lam1, lam2, angle, alpha):
        H = _rotated_hessian(lam1, lam2, angle)
        ax1, ax2 = fig.subplots(1, 2, width_ratios=[1.4, 1])
        plotting.plot_l2_geometry(H, w_star, [alpha], ax=ax1)
        plotting.plot_shrink_factors([lam1, lam2], alpha, ax=ax2)
        wt = l2.eigen_rescale(H, w_star, alpha)
        f = l2.shrink_factors([lam1, lam2], alpha)
        return (f"w~ = ({wt[0]:.3f}, {wt[1]:.3f}); shrink factors {f[0]:.3f} (lambda = {lam1:.3g}) and "
                f"{f[1]:.3f} (lambda = {lam2:.3g})")

    return Exploration(
        "L2 as eigen-rescaling: the low-curvature direction is pulled in most",
        {
            "lam1": _slider(ipywidgets.FloatLogSlider, "lambda_1", base=10, min=-2, max=2, value=4.0),
            "lam2": _slider(ipywidgets.FloatLogSlider, "lambda_2", base=10, min=-2, max=2, value=0.25),
            "angle": _slider(ipywidgets.FloatSlider, "rotation (deg)", min=0, max=90, step=5, value=30),
            "alpha": _slider(ipywidgets.FloatLogSlider, "alpha", base=10, min=-2, max=2, value=1.0),
        },
        draw,
    )


# ---------------------------------------------------------------------------- session 2


def l1_explorer(w_star=(0.4, 1.2)):
    """Explore session 2: alpha and feature correlation; L1 diamond, L2 circle and soft-thresholding.

    Parameters
    ----------
    w_star : tuple of (float, float), default=(0.4, 1.2)
        Unregularized minimizer.

    Returns
    -------
    Exploration
        The exploration; display it (last expression of a cell) to get its sliders.

    Examples
    --------
    >>> from reglab import widgets
    >>> exp = widgets.l1_explorer()
    >>> exp.update(alpha=0.5, rho=0.0)
    >>> exp.summary.value.split(";")[0]
    'L1 solution (0.000, 0.700), zeros: 1'
    """
    w_star = np.asarray(w_star, float)

    def draw(fig, alpha, rho):
        H = np.array([[1.0, rho], [rho, 1.0]])
        ax1, ax2 = fig.subplots(1, 2, width_ratios=[1.4, 1])
        plotting.plot_l1_l2_geometry(H, w_star, alpha, ax=ax1)
        plotting.plot_soft_threshold(alpha, ax=ax2, lim=2.0)
        ax2.set_title("coordinatewise rule (exact only when rho = 0)")
        exact = l1.lasso_quadratic(H, w_star, alpha)
        naive = l1.lasso_diagonal(w_star, np.diag(H), alpha)
        # correlated features usually move the minimizer off the coordinatewise rule, not always (alpha = 0,
        # or alpha so large that both are 0): say so only when the two differ
        differ = not np.allclose(exact, naive, rtol=0.0, atol=1e-9)
        return (f"L1 solution ({exact[0]:.3f}, {exact[1]:.3f}), zeros: {int(np.sum(exact == 0))}; "
                f"closed form (7.23) applied coordinatewise: ({naive[0]:.3f}, {naive[1]:.3f})"
                + (" - not the minimizer when features are correlated" if differ else ""))

    return Exploration(
        "L1 against L2: corners of the diamond give exact zeros",
        {
            "alpha": _slider(ipywidgets.FloatSlider, "alpha", min=0.0, max=1.5, step=0.05, value=0.5),
            "rho": _slider(ipywidgets.FloatSlider, "feature correlation rho", min=-0.9, max=0.9, step=0.05, value=0.0),
        },
        draw,
    )


# ---------------------------------------------------------------------------- session 3


def early_stopping_explorer(eigvals=(1.0, 0.05), w_star=(1.0, 1.0)):
    """Explore session 3: step size and steps; GD from 0 against the ridge path at alpha = 1/(eps tau).

    Parameters
    ----------
    eigvals : tuple of float, default=(1.0, 0.05)
        Eigenvalues of the diagonal Hessian.
    w_star : tuple of float, default=(1.0, 1.0)
        Unregularized minimizer.

    Returns
    -------
    Exploration
        The exploration; display it (last expression of a cell) to get its sliders.

    Examples
    --------
    >>> from reglab import widgets
    >>> exp = widgets.early_stopping_explorer()
    >>> exp.update(eps=0.1, tau=20)
    >>> exp.summary.value.split("; ")[1]
    'single alpha 1/(eps tau) = 0.5'
    """
    lam = np.asarray(eigvals, float)
    H = np.diag(lam)
    w_star = np.asarray(w_star, float)
    taus = np.unique(np.round(np.geomspace(1, 2000, 60)))  # whole steps: valid for any eps < 2/lambda

    def draw(fig, eps, tau):
        ax1, ax2 = fig.subplots(1, 2)
        plotting.plot_gd_vs_ridge(H, w_star, eps, tau, ax=ax1)
        plotting.plot_alpha_approximation(lam, eps, taus, ax=ax2)
        ax2.axvline(tau, color="k", ls=":")
        exact = early_stopping.equivalent_alpha(lam, eps, tau)
        approx = early_stopping.approx_alpha(eps, tau)
        parts = ", ".join(
            (f"{a:.3g}" if np.isfinite(a) else ("none: the iterate overshoots w*" if np.isnan(a) else "infinite"))
            + f" (lambda = {lam_i:g}, eps*lambda = {eps * lam_i:.2g})"
            for a, lam_i in zip(exact, lam)
        )
        return f"exact alpha per direction: {parts}; single alpha 1/(eps tau) = {approx:.3g}"

    return Exploration(
        "Early stopping as L2: where alpha = 1/(eps tau) holds and where it breaks",
        {
            "eps": _slider(ipywidgets.FloatSlider, "step size eps", min=0.05, max=1.9, step=0.05, value=0.1),
            "tau": _slider(ipywidgets.IntSlider, "steps tau", min=1, max=500, value=20),
        },
        draw,
    )


# ---------------------------------------------------------------------------- session 4


def ensemble_explorer(v=1.0, trials=20_000, rng=0):
    """Explore session 4: ensemble size and error correlation; formula (7.50) against Monte Carlo.

    Parameters
    ----------
    v : float, default=1.0
        Variance of each member's error.
    trials : int, default=20_000
        Monte Carlo trials per estimate.
    rng : int or numpy.random.Generator, default=0
        Seed of the simulations (each ensemble size uses its own derived seed).

    Returns
    -------
    Exploration
        The exploration; display it (last expression of a cell) to get its sliders.

    Examples
    --------
    >>> from reglab import widgets
    >>> exp = widgets.ensemble_explorer(trials=2_000)
    >>> exp.update(k=4, rho=0.5)
    >>> exp.summary.value.split(": ")[1].split(",")[0]
    'formula v/k + (k-1)c/k = <b>0.6250</b>'
    """
    seed = as_seed(rng)
    ks = np.array([1, 2, 3, 5, 8, 12, 20, 30, 50])

    def draw(fig, k, rho):
        c = rho * v
        ax1, ax2 = fig.subplots(1, 2)
        sim = [
            ensembles.simulate_ensemble_mse(v, c, int(kk), trials, np.random.default_rng(seed + int(kk))) for kk in ks
        ]
        plotting.plot_ensemble_mse(v, c, ks, simulated=sim, ax=ax1)
        ax1.axvline(k, color="k", ls=":")
        ax1.set_title(f"correlation {rho:.2f} (c = {c:.2f}, v = {v:g})")
        plotting.plot_error_histograms(ensembles.correlated_errors(v, c, k, 400, seed), ax=ax2)
        formula = ensembles.ensemble_mse(v, c, k)
        mc = ensembles.simulate_ensemble_mse(v, c, k, trials, np.random.default_rng(seed + 1000))
        return (
            f"k = {k}: formula v/k + (k-1)c/k = <b>{formula:.4f}</b>, "
            f"Monte Carlo ({trials:,} trials) = <b>{mc:.4f}</b>; limit c = {c:.3f}"
        )

    return Exploration(
        "Averaging k correlated models: error v/k + (k-1)c/k",
        {
            "k": _slider(ipywidgets.IntSlider, "ensemble size k", min=1, max=50, value=5),
            "rho": _slider(ipywidgets.FloatSlider, "error correlation c/v", min=0.0, max=1.0, step=0.05, value=0.3),
        },
        draw,
    )


# ---------------------------------------------------------------------------- session 5


def dropout_explorer(rng=0):
    """Explore session 5: keep probability and Monte Carlo masks; exact ensembles against weight scaling.

    Parameters
    ----------
    rng : int or numpy.random.Generator, default=0
        Seed of the example networks and of the Monte Carlo masks.

    Returns
    -------
    Exploration
        The exploration; display it (last expression of a cell) to get its sliders.

    Examples
    --------
    >>> from reglab import widgets
    >>> exp = widgets.dropout_explorer()
    >>> exp.update(keep_prob=1.0)
    >>> "|Monte Carlo - arithmetic| = 0.000" in exp.summary.value
    True
    """
    seed = as_seed(rng)
    rng = np.random.default_rng(seed)
    n_in, C = 10, 3
    Wsm, bsm, v = rng.normal(size=(n_in, C)), rng.normal(size=C) * 0.5, rng.normal(size=n_in)
    mlp_layers = [
        (rng.normal(size=(4, 8)) * 1.2, rng.normal(size=8) * 0.3),
        (rng.normal(size=(8, C)), rng.normal(size=C) * 0.3),
    ]
    x = rng.normal(size=4)

    def draw(fig, keep_prob, n_masks):
        ax1, ax2 = fig.subplots(1, 2, sharey=True)
        mc_rng = np.random.default_rng(seed + 1)
        sm = {
            "arithmetic (exact)": dropout.arithmetic_mean_ensemble(Wsm, bsm, v, keep_prob),
            "geometric (exact)": dropout.geometric_mean_ensemble(Wsm, bsm, v, keep_prob),
            "weight scaling": dropout.weight_scaling_predict(Wsm, bsm, v, keep_prob),
            f"Monte Carlo, {n_masks} masks": dropout.mc_dropout_predict(Wsm, bsm, v, keep_prob, n_masks, mc_rng),
        }
        keep = [keep_prob, keep_prob]  # dropping inputs too: with hidden units alone weight scaling is exact again
        ml = {
            "arithmetic (exact)": dropout.mlp_arithmetic_mean_ensemble(mlp_layers, x, keep),
            "geometric (exact)": dropout.mlp_geometric_mean_ensemble(mlp_layers, x, keep),
            "weight scaling": dropout.mlp_weight_scaling_predict(mlp_layers, x, keep),
            f"Monte Carlo, {n_masks} masks": dropout.mlp_mc_dropout_predict(mlp_layers, x, keep, n_masks, mc_rng),
        }
        plotting.plot_dropout_predictions(sm, ax=ax1)
        ax1.set_title(f"softmax regression, {n_in} inputs ({2 ** n_in} masks)")
        plotting.plot_dropout_predictions(ml, ax=ax2)
        ax2.set_title("ReLU MLP 4-8-3 (4096 masks)")
        ax2.get_legend().remove()
        gap_sm = np.abs(sm["geometric (exact)"] - sm["weight scaling"]).max()
        gap_ml = np.abs(ml["geometric (exact)"] - ml["weight scaling"]).max()
        mc_err = np.abs(sm[f"Monte Carlo, {n_masks} masks"] - sm["arithmetic (exact)"]).max()
        return (
            f"|geometric - weight scaling|: softmax regression <b>{gap_sm:.1e}</b> (exact), "
            f"ReLU MLP <b>{gap_ml:.3f}</b> (approximate); |Monte Carlo - arithmetic| = {mc_err:.3f}"
        )

    return Exploration(
        "Dropout inference: exact ensembles, weight scaling and Monte Carlo",
        {
            "keep_prob": _slider(ipywidgets.FloatSlider, "keep probability", min=0.05, max=1.0, step=0.05, value=0.5),
            "n_masks": _slider(ipywidgets.IntSlider, "Monte Carlo masks", min=1, max=500, value=10),
        },
        draw,
    )


# ---------------------------------------------------------------------------- session 6


def capstone_explorer(results, split):
    """Explore session 6: switch between the capstone's regularizers.

    Parameters
    ----------
    results : dict
        Results of :func:`reglab.mlp.compare_regularizers`.
    split : reglab.data.Split
        The data set they were trained on.

    Returns
    -------
    Exploration
        The exploration; display it (last expression of a cell) to get its sliders.

    Examples
    --------
    >>> from reglab import data, mlp, widgets
    >>> split = data.classification_data(rng=0)
    >>> results = mlp.compare_regularizers(split, hidden=8, epochs=5, methods={"none": {}, "L2": {"l2": 0.03}})
    >>> exp = widgets.capstone_explorer(results, split)
    >>> exp.update(method="L2")
    >>> exp.summary.value.startswith("<b>L2</b>")
    True
    """

    def draw(fig, method):
        r = results[method]
        ax1, ax2, ax3 = fig.subplots(1, 3, width_ratios=[1, 1, 1.1])
        plotting.plot_history(r["history"], ax=ax1, title=f"{method}: learning curves")
        plotting.plot_decision_boundary(r["predict"], split.X_train, split.y_train, ax=ax2)
        ax2.set_title("P(class 1), training points")
        plotting.plot_capstone(results, ax=ax3)
        ax3.get_children()[list(results).index(method)].set_color("C1")
        return (f"<b>{method}</b>: training loss {r['train_loss']:.3f}, validation loss {r['val_loss']:.3f}, "
                f"test loss {r['test_loss']:.3f}, test accuracy {r['test_acc']:.3f}")

    return Exploration(
        "Capstone: one network, six ways to regularize it",
        {"method": ipywidgets.Dropdown(options=list(results), value=list(results)[0], description="regularizer")},
        draw,
        figsize=(13, 4),
    )


# ---------------------------------------------------------------------------- live training curves


def learning_curves_explorer(n_hidden=100, rng=0):
    """Explore training and validation curves as the L2 strength, dropout, noise and data size change.

    A one-hidden-layer ReLU network with fixed random hidden weights fits noisy samples of
    sin(pi x); its output weights are trained by gradient descent, whose whole learning curve has a
    closed form (:func:`reglab.playground.gd_learning_curves`), so every slider move recomputes the
    curves exactly. Dropout enters through its expected penalty (:func:`reglab.playground.dropout_penalty_diag`).

    Parameters
    ----------
    n_hidden : int, default=100
        Hidden units.
    rng : int or numpy.random.Generator, default=0
        Seed of the hidden weights, the training set (seed + 1) and the validation set (seed + 2).

    Returns
    -------
    Exploration
        The exploration; display it (last expression of a cell) to get its sliders.

    Examples
    --------
    >>> from reglab import widgets
    >>> exp = widgets.learning_curves_explorer()
    >>> exp.update(log10_alpha=-1.0)
    >>> exp.summary.value.startswith("lowest validation MSE")
    True
    """
    seed = as_seed(rng)
    steps = np.unique(np.round(np.geomspace(1, 1e6, 50)).astype(int))
    grid = np.linspace(-1, 1, 200)
    F_grid = playground.random_relu_features(grid, n_hidden, seed)

    def draw(fig, log10_alpha, keep_prob, noise, n_train):
        alpha = 0.0 if log10_alpha <= -6 else 10.0**log10_alpha
        x, y = data.polynomial_data(n_train, noise, seed + 1)
        xv, yv = data.polynomial_data(200, noise, seed + 2)
        F, Fv = playground.random_relu_features(x, n_hidden, seed), playground.random_relu_features(xv, n_hidden, seed)
        c = playground.gd_learning_curves(F, y, Fv, yv, steps, alpha, keep_prob)
        best = int(np.argmin(c["val"]))
        ax1, ax2 = fig.subplots(1, 2)
        plotting.plot_learning_curves(steps, c["train"], c["val"], ax=ax1)
        ax1.set_title(f"alpha = {alpha:.2g}, keep = {keep_prob:.2f}, noise = {noise:.2f}, n = {n_train}")
        ax2.scatter(x, y, color="k", s=14, zorder=3, label="training points")
        ax2.plot(grid, data.true_function(grid), "k--", lw=1, label="sin(pi x)")
        ax2.plot(grid, F_grid @ c["w"][best], label=f"at the best step ({steps[best]:,})")
        ax2.plot(grid, F_grid @ c["w"][-1], label=f"after {steps[-1]:,} steps")
        ax2.set_ylim(-2.5, 2.5)
        ax2.legend(fontsize="x-small", loc="lower right")
        return (f"lowest validation MSE <b>{c['val'][best]:.3f}</b> at step {steps[best]:,}; after {steps[-1]:,} "
                f"steps: training <b>{c['train'][-1]:.3f}</b>, validation <b>{c['val'][-1]:.3f}</b>")

    return Exploration(
        "Learning curves: regularize, add noise, add data",
        {
            "log10_alpha": _slider(ipywidgets.FloatSlider, "log10 alpha (-6 = none)", min=-6, max=0, step=0.25,
                                   value=-6),
            "keep_prob": _slider(ipywidgets.FloatSlider, "keep probability", min=0.2, max=1.0, step=0.05, value=1.0),
            "noise": _slider(ipywidgets.FloatSlider, "noise", min=0.0, max=1.0, step=0.05, value=0.3),
            "n_train": _slider(ipywidgets.IntSlider, "training points", min=5, max=80, value=15),
        },
        draw,
    )


def l1_zeros_explorer(n_problems=200, rng=0):
    """Explore how often L1 and L2 set weights exactly to 0, over many random regression problems.

    Every problem (:func:`reglab.data.random_sparse_regressions`: 30 examples, 10 correlated
    features, 3 of them informative) is solved with the LASSO and with ridge for 25 values of alpha,
    once, when the exploration is built; moving the slider picks one of them.

    Parameters
    ----------
    n_problems : int, default=200
        Number of random problems.
    rng : int or numpy.random.Generator, default=0
        Seed of the problems.

    Returns
    -------
    Exploration
        The exploration; display it (last expression of a cell) to get its sliders.

    Examples
    --------
    >>> from reglab import widgets
    >>> exp = widgets.l1_zeros_explorer(n_problems=20)
    >>> exp.update(log10_alpha=1.0)
    >>> "L2 <b>0 of 200</b>" in exp.summary.value
    True
    """
    X, y, w_true = data.random_sparse_regressions(n_problems=n_problems, rng=as_seed(rng))
    log_alphas = np.linspace(-1, 2, 25)
    alphas = 10.0**log_alphas
    z1, z2, W1, W2 = l1.exact_zero_fractions(X, y, alphas)
    true_zeros = float(np.mean(w_true == 0))

    def draw(fig, log10_alpha):
        j = int(np.argmin(np.abs(log_alphas - log10_alpha)))
        ax1, ax2 = fig.subplots(1, 2)
        plotting.plot_zero_fractions(alphas, z1, z2, alpha=alphas[j], ax=ax1, true_zeros=true_zeros)
        ax1.set_title(f"{n_problems} random problems, 10 weights each")
        plotting.plot_weight_magnitudes(W1[j], W2[j], ax=ax2)
        ax2.set_title(f"alpha = {alphas[j]:.3g}")
        found = float(np.mean((W1[j] == 0) == (w_true == 0)))
        return (f"alpha = {alphas[j]:.3g}: exact zeros: L1 <b>{int(np.sum(W1[j] == 0))} of {W1[j].size}</b>, "
                f"L2 <b>{int(np.sum(W2[j] == 0))} of {W2[j].size}</b> (smallest L2 |w| = {np.abs(W2[j]).min():.1e}); "
                f"L1's zero pattern matches the truth for {found:.0%} of the weights")

    return Exploration(
        "Exact zeros: L1 against L2 over many problems",
        {"log10_alpha": _slider(ipywidgets.FloatSlider, "log10 alpha", min=-1, max=2, step=0.125, value=0.5)},
        draw,
    )


_SWEEP_AXES = {
    "L2": ("L2 strength", True),
    "L1": ("L1 strength (proximal step)", True),
    "dropout": ("hidden keep probability", False),
    "early stopping": ("epoch", False),
}


def capstone_sweep_explorer(result):
    """Explore the capstone of :func:`reglab.capstone.run_capstone`: each method's curves, sweep and test score.

    Parameters
    ----------
    result : reglab.capstone.CapstoneResult
        The sweeps and the comparison.

    Returns
    -------
    Exploration
        The exploration; display it (last expression of a cell) to get its sliders.

    Examples
    --------
    >>> from reglab import capstone, data, widgets
    >>> split = data.digits_split(n_train=100, n_val=50, n_test=50, rng=0)
    >>> res = capstone.run_capstone(split, hidden=8, epochs=3, grids={"L1": (0.001, 0.01)}, n_bags=2)
    >>> exp = widgets.capstone_sweep_explorer(res)
    >>> exp.update(method="L1")
    >>> exp.summary.value.startswith("<b>L1</b>")
    True
    """
    methods = list(result.table)

    def draw(fig, method):
        ax1, ax2, ax3 = fig.subplots(1, 3, width_ratios=[1, 1, 1.1])
        plotting.plot_history(result.histories[method], ax=ax1, title=f"{method}: learning curves")
        if method in result.sweeps:
            sw = result.sweeps[method]
            xlabel, log = _SWEEP_AXES[method]
            plotting.plot_sweep(sw["values"], sw["val_loss"], sw["chosen"], ax=ax2, xlabel=xlabel, log=log)
            ax2.set_title("chosen on the validation set")
        else:
            ax2.axis("off")
            ax2.text(0.5, 0.5, "no strength to choose" if method == "none" else "bag of unregularized networks",
                     ha="center", va="center")
        plotting.plot_capstone(result.table, ax=ax3)
        ax3.get_children()[methods.index(method)].set_color("C1")
        r = result.table[method]
        return (f"<b>{method}</b> ({r['setting'] or 'no setting'}): training loss {r['train_loss']:.3f}, "
                f"validation loss {r['val_loss']:.3f}, test loss {r['test_loss']:.3f}, test accuracy "
                f"{r['test_acc']:.3f}; exact zeros in the first layer: {r['zeros_first_layer']:.0f}")

    return Exploration(
        "Capstone: every regularizer tuned on validation, compared once on test",
        {"method": ipywidgets.Dropdown(options=methods, value=methods[0], description="method")},
        draw,
        figsize=(13, 4),
    )
