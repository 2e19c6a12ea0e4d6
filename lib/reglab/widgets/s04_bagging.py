"""Session 4's exploration (averaging correlated models): :func:`ensemble_explorer`."""

from __future__ import annotations

import ipywidgets
import numpy as np

from .. import ensembles, plotting
from .._validation import as_seed
from .exploration import Exploration, animate, labelled_line, memo, slider

__all__ = [
    "ensemble_explorer",
]


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
    edges = np.linspace(-4, 4, 31) * np.sqrt(v)  # fixed bins: the error axis stays put
    art = {}

    @memo
    def simulated(rho):  # Monte Carlo at every ks; depends on rho only
        return [ensembles.simulate_ensemble_mse(v, rho * v, int(kk), trials, np.random.default_rng(seed + int(kk)))
                for kk in ks]

    @memo
    def monte_carlo(k, rho):
        return ensembles.simulate_ensemble_mse(v, rho * v, k, trials, np.random.default_rng(seed + 1000))

    def build(fig):
        ax1, ax2 = fig.subplots(1, 2)
        plotting.plot_ensemble_mse(v, 0.3 * v, ks, simulated=simulated(0.3), ax=ax1)
        art["formula"], art["mc"], art["limit"] = animate(
            labelled_line(ax1, "v/k"), labelled_line(ax1, "Monte Carlo"), labelled_line(ax1, "limit c"))
        art["k"] = animate(ax1.axvline(5, color="k", ls=":"))
        ax1.get_legend().set_loc("lower left")  # a "best" place would depend on the data: not redrawn
        animate(ax1.title)
        ax1.set_ylim(-0.05 * v, 1.1 * v)
        plotting.plot_error_histograms(ensembles.correlated_errors(v, 0.3 * v, 5, 400, seed), ax=ax2, bins=edges)
        art["bars"] = animate(*ax2.patches)
        ax2.get_legend().get_texts()[1].set_text("average of the k members")  # fixed: drawn once
        ax2.set_xlim(edges[0], edges[-1])
        # one density axis for every k and rho: up to the peak of the narrowest average (k = 50, rho = 0)
        ax2.set_ylim(0, 1.2 / np.sqrt(2 * np.pi * ensembles.ensemble_mse(v, 0.0, int(ks.max()))))

    def draw(fig, k, rho):
        c = rho * v
        ax1, ax2 = fig.axes
        art["formula"].set_ydata([ensembles.ensemble_mse(v, c, int(kk)) for kk in ks])
        art["mc"].set_ydata(simulated(float(rho)))
        art["limit"].set_ydata([c, c])
        art["k"].set_xdata([k, k])
        ax1.set_title(f"correlation {rho:.2f} (c = {c:.2f}, v = {v:g})")
        errors = ensembles.correlated_errors(v, c, k, 400, seed)
        heights = np.concatenate([np.histogram(e, edges, density=True)[0] for e in (errors[:, 0], errors.mean(axis=1))])
        for bar, h in zip(art["bars"], heights):
            bar.set_height(h)
        formula = ensembles.ensemble_mse(v, c, k)
        mc = monte_carlo(k, float(rho))
        return (
            f"k = {k}: formula v/k + (k-1)c/k = <b>{formula:.4f}</b>, "
            f"Monte Carlo ({trials:,} trials) = <b>{mc:.4f}</b>; limit c = {c:.3f}"
        )

    return Exploration(
        "Averaging k correlated models: error v/k + (k-1)c/k",
        {
            "k": slider(ipywidgets.IntSlider, "ensemble size k", min=1, max=50, value=5),
            "rho": slider(ipywidgets.FloatSlider, "error correlation c/v", min=0.0, max=1.0, step=0.05, value=0.3),
        },
        draw,
        build=build,
    )
