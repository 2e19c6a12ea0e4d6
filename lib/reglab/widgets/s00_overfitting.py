"""Session 0's exploration (capacity and regularization): :func:`polynomial_explorer`."""

from __future__ import annotations

import ipywidgets
import numpy as np

from .. import data, overfitting, plotting
from .._validation import as_seed
from .exploration import Exploration, animate, labelled_line, memo, relabel, slider

__all__ = [
    "polynomial_explorer",
]


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
    log_alphas = np.arange(-8, 2.125, 0.25)  # the slider's values

    def alpha_of(log10_alpha):
        return 0.0 if log10_alpha <= -8 else 10.0**log10_alpha

    @memo
    def sweep(log10_alpha):
        tr, va = overfitting.degree_sweep(x, y, xv, yv, degrees, alpha_of(log10_alpha))
        return np.maximum(tr, 1e-12), va

    # every alpha's sweep once, at build: the error axis is then the same for every alpha
    errors = np.concatenate([np.concatenate(sweep(float(la))) for la in log_alphas])
    art = {}

    def build(fig):
        ax1, ax2 = fig.subplots(1, 2)
        plotting.plot_polynomial_fits(x, y, [9], 0.0, ax=ax1, f_true=data.true_function)
        art["fit"] = animate(labelled_line(ax1, "degree"))
        relabel(art["fit"], "fit (degree and alpha above)")  # fixed legends are drawn once
        ax1.get_legend().set_loc("lower right")  # a "best" place would depend on the data: not redrawn
        animate(ax1.title)
        plotting.plot_train_val(degrees, *sweep(-8.0), ax=ax2, xlabel="degree")
        art["train"], art["val"] = animate(*ax2.lines[:2])
        art["degree"] = animate(ax2.axvline(9, color="k", ls=":"))
        ax2.set_ylim(errors.min() / 3, errors.max() * 3)

    def draw(fig, degree, log10_alpha):
        alpha = alpha_of(log10_alpha)
        ax1 = fig.axes[0]
        fit = art["fit"]
        fit.set_ydata(overfitting.predict_polynomial(overfitting.fit_polynomial(x, y, degree, alpha), fit.get_xdata()))
        ax1.set_title(f"degree {degree}, alpha = {plotting.fmt(alpha, 2)}")
        tr, va = sweep(float(log10_alpha))
        art["train"].set_ydata(tr)
        art["val"].set_ydata(va)
        art["degree"].set_xdata([degree, degree])
        return (f"training MSE <b>{tr[degree]:.3g}</b>, validation MSE <b>{va[degree]:.3g}</b> "
                f"(best validation degree for this alpha: {int(degrees[np.argmin(va)])})")

    return Exploration(
        "Capacity and regularization: move the degree, then add L2",
        {
            "degree": slider(ipywidgets.IntSlider, "degree", min=0, max=12, value=9),
            "log10_alpha": slider(
                ipywidgets.FloatSlider, "log10 alpha (-8 = none)", min=-8, max=2, step=0.25, value=-8
            ),
        },
        draw,
        build=build,
    )
