"""Session 5's explorations (dropout inference, live learning curves): :func:`dropout_explorer`,
:func:`learning_curves_explorer`."""

from __future__ import annotations

import ipywidgets
import numpy as np

from .. import data, dropout, playground, plotting
from .._validation import as_seed
from .exploration import Exploration, animate, memo, slider

__all__ = [
    "dropout_explorer",
    "learning_curves_explorer",
]


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

    art = {}

    @memo
    def exact(keep_prob):  # the exact ensembles and weight scaling depend on the keep probability only
        k2 = [keep_prob, keep_prob]  # dropping inputs too: with hidden units alone weight scaling is exact again
        return (
            {"arithmetic (exact)": dropout.arithmetic_mean_ensemble(Wsm, bsm, v, keep_prob),
             "geometric (exact)": dropout.geometric_mean_ensemble(Wsm, bsm, v, keep_prob),
             "weight scaling": dropout.weight_scaling_predict(Wsm, bsm, v, keep_prob)},
            {"arithmetic (exact)": dropout.mlp_arithmetic_mean_ensemble(mlp_layers, x, k2),
             "geometric (exact)": dropout.mlp_geometric_mean_ensemble(mlp_layers, x, k2),
             "weight scaling": dropout.mlp_weight_scaling_predict(mlp_layers, x, k2)},
        )

    def predictions(keep_prob, n_masks):
        mc_rng = np.random.default_rng(seed + 1)
        sm, ml = (dict(d) for d in exact(keep_prob))
        sm[f"Monte Carlo, {n_masks} masks"] = dropout.mc_dropout_predict(Wsm, bsm, v, keep_prob, n_masks, mc_rng)
        ml[f"Monte Carlo, {n_masks} masks"] = dropout.mlp_mc_dropout_predict(
            mlp_layers, x, [keep_prob, keep_prob], n_masks, mc_rng)
        return sm, ml

    def build(fig):
        ax1, ax2 = fig.subplots(1, 2, sharey=True)
        sm, ml = predictions(0.5, 10)
        plotting.plot_dropout_predictions(sm, ax=ax1)
        ax1.set_title(f"softmax regression, {n_in} inputs ({2 ** n_in} masks)")
        plotting.plot_dropout_predictions(ml, ax=ax2)
        ax2.set_title("ReLU MLP 4-8-3 (4096 masks)")
        ax2.get_legend().remove()
        art["bars"] = animate(*ax1.patches, *ax2.patches)
        ax1.get_legend().get_texts()[-1].set_text("Monte Carlo (masks: slider)")  # fixed: drawn once
        ax1.get_legend().set_loc("upper left")  # above the bars: probabilities end at 1, the axis at 1.4
        ax1.set_ylim(0, 1.4)
        ax1.set_yticks(np.linspace(0, 1, 6))

    def draw(fig, keep_prob, n_masks):
        sm, ml = predictions(keep_prob, n_masks)
        heights = np.concatenate([np.asarray(p, float) for p in (*sm.values(), *ml.values())])
        for bar, h in zip(art["bars"], heights):
            bar.set_height(h)
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
            "keep_prob": slider(ipywidgets.FloatSlider, "keep probability", min=0.05, max=1.0, step=0.05, value=0.5),
            "n_masks": slider(ipywidgets.IntSlider, "Monte Carlo masks", min=1, max=500, value=10),
        },
        draw,
        build=build,
    )


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

    art = {}

    def curves(log10_alpha, keep_prob, noise, n_train):
        alpha = 0.0 if log10_alpha <= -6 else 10.0**log10_alpha
        x, y = data.polynomial_data(n_train, noise, seed + 1)
        xv, yv = data.polynomial_data(200, noise, seed + 2)
        F, Fv = playground.random_relu_features(x, n_hidden, seed), playground.random_relu_features(xv, n_hidden, seed)
        return alpha, x, y, playground.gd_learning_curves(F, y, Fv, yv, steps, alpha, keep_prob)

    def build(fig):
        ax1, ax2 = fig.subplots(1, 2)
        _, x, y, c = curves(-6, 1.0, 0.3, 15)
        plotting.plot_learning_curves(steps, c["train"], c["val"], ax=ax1)
        art["train"], art["val"], art["best"] = animate(*ax1.lines)
        ax1.get_legend().set_loc("lower left")  # a "best" place would depend on the data: not redrawn
        animate(ax1.title)
        ax1.set_ylim(1e-4, 10)  # one error axis for every setting (noise 0 drives training error below it)
        art["points"] = animate(ax2.scatter(x, y, color="k", s=14, zorder=3, label="training points"))
        ax2.plot(grid, data.true_function(grid), "k--", lw=1, label="sin(pi x)")
        art["at_best"] = animate(ax2.plot(grid, F_grid @ c["w"][0], label="at the best step")[0])
        art["at_end"] = animate(ax2.plot(grid, F_grid @ c["w"][-1], label=f"after {steps[-1]:,} steps")[0])
        ax2.set_ylim(-2.5, 2.5)
        ax2.legend(fontsize=plotting.SMALL, loc="lower right")  # fixed labels: drawn once

    def draw(fig, log10_alpha, keep_prob, noise, n_train):
        alpha, x, y, c = curves(log10_alpha, keep_prob, noise, n_train)
        best = int(np.argmin(c["val"]))
        art["train"].set_ydata(c["train"])
        art["val"].set_ydata(c["val"])
        art["best"].set_xdata([steps[best], steps[best]])
        fig.axes[0].set_title(f"alpha = {plotting.fmt(alpha, 2)}, keep = {keep_prob:.2f}, noise = {noise:.2f}, "
                              f"n = {n_train}")
        art["points"].set_offsets(np.column_stack([x, y]))
        art["at_best"].set_ydata(F_grid @ c["w"][best])
        art["at_end"].set_ydata(F_grid @ c["w"][-1])
        marginalized = "; dropout as its expected penalty: no masks are sampled" if keep_prob < 1 else ""
        return (f"lowest validation MSE <b>{c['val'][best]:.3f}</b> at step {steps[best]:,}; after {steps[-1]:,} "
                f"steps: training <b>{c['train'][-1]:.3f}</b>, validation <b>{c['val'][-1]:.3f}</b>{marginalized}")

    return Exploration(
        "Learning curves: regularize, add noise, add data",
        {
            "log10_alpha": slider(ipywidgets.FloatSlider, "log10 alpha (-6 = none)", min=-6, max=0, step=0.25,
                                   value=-6),
            "keep_prob": slider(ipywidgets.FloatSlider, "keep probability", min=0.2, max=1.0, step=0.05, value=1.0),
            "noise": slider(ipywidgets.FloatSlider, "noise", min=0.0, max=1.0, step=0.05, value=0.3),
            "n_train": slider(ipywidgets.IntSlider, "training points", min=5, max=80, value=15),
        },
        draw,
        build=build,
    )
