"""Session 2's explorations (L1 and exact zeros): :func:`l1_explorer`, :func:`l1_zeros_explorer`."""

from __future__ import annotations

import ipywidgets
import numpy as np

from .. import data, l1, l2, plotting
from .._validation import as_seed
from .exploration import Exploration, animate, labelled_line, relabel, replace_contours, slider

__all__ = [
    "l1_explorer",
    "l1_zeros_explorer",
]


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
    extent = 1.4 * max(np.max(np.abs(w_star)), 1e-3)  # as plotting.plot_l1_l2_geometry
    art = {}

    def build(fig):
        ax1, ax2 = fig.subplots(1, 2, width_ratios=[1.4, 1])
        plotting.plot_l1_l2_geometry(np.eye(2), w_star, 0.5, ax=ax1)
        art["contours"], art["circle"] = animate(ax1.collections[0], ax1.patches[0])
        art["diamond"], art["w1"], art["w2"] = animate(
            labelled_line(ax1, "L1 ball"), labelled_line(ax1, "L1 solution"), labelled_line(ax1, "L2 solution"))
        animate(labelled_line(ax1, "w*"), ax1.title)  # w* between the moving artists, as in the full figure
        # fixed legend labels (the numbers go to the title and the summary): the legends are drawn once
        relabel(art["w1"], "L1 solution")
        relabel(art["w2"], "L2 solution")
        plotting.plot_soft_threshold(0.5, ax=ax2, lim=2.0)
        art["soft"], art["span"] = animate(labelled_line(ax2, "soft threshold"), ax2.patches[0])
        relabel(art["soft"], "soft threshold at t = alpha")
        ax2.get_legend().set_loc("upper left")  # a "best" place would depend on the data: not redrawn
        ax2.set_title("coordinatewise rule (exact only when rho = 0)")
        art["rho"] = 0.0

    def draw(fig, alpha, rho):
        ax1 = fig.axes[0]
        H = np.array([[1.0, rho], [rho, 1.0]])
        if rho != art["rho"]:  # alpha alone leaves the loss contours as they are
            art["contours"] = replace_contours(ax1, H, w_star, extent, old=art["contours"])
            art["rho"] = rho
        exact = l1.lasso_quadratic(H, w_star, alpha)
        w2 = l2.eigen_rescale(H, w_star, alpha)
        r1 = np.sum(np.abs(exact))
        art["diamond"].set_data([r1, 0, -r1, 0, r1], [0, r1, 0, -r1, 0])
        art["circle"].set_radius(np.linalg.norm(w2))
        art["w1"].set_data([exact[0]], [exact[1]])
        art["w2"].set_data([w2[0]], [w2[1]])
        ax1.set_title(f"alpha = {plotting.fmt(alpha)}: L1 ({exact[0]:.2f}, {exact[1]:.2f}), "
                      f"L2 ({w2[0]:.2f}, {w2[1]:.2f})",
                      fontsize="medium")
        soft = art["soft"]
        soft.set_ydata(l1.soft_threshold(soft.get_xdata(), alpha))
        art["span"].set_x(-alpha)
        art["span"].set_width(2 * alpha)
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
            "alpha": slider(ipywidgets.FloatSlider, "alpha", min=0.0, max=1.5, step=0.05, value=0.5),
            "rho": slider(ipywidgets.FloatSlider, "feature correlation rho", min=-0.9, max=0.9, step=0.05, value=0.0),
        },
        draw,
        build=build,
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

    floor = 1e-8  # as plotting.plot_weight_magnitudes draws exact zeros
    top = max(np.abs(W1).max(), np.abs(W2).max(), 10 * floor)
    bins = np.geomspace(floor / 1.5, top * 1.5, 40)  # one |w| axis for every alpha

    def counts(j):
        return [np.histogram(np.maximum(np.abs(np.ravel(W[j])), floor), bins)[0] for W in (W1, W2)]

    highest = max(int(c.max()) for j in range(len(alphas)) for c in counts(j))
    art = {}

    def build(fig):
        ax1, ax2 = fig.subplots(1, 2)
        plotting.plot_zero_fractions(alphas, z1, z2, alpha=alphas[0], ax=ax1, true_zeros=true_zeros)
        art["alpha"] = animate(ax1.lines[-1])
        ax1.set_title(f"{n_problems} random problems, 10 weights each")
        plotting.plot_weight_magnitudes(W1[0], W2[0], ax=ax2, floor=floor, bins=bins)
        art["bars"] = animate(*ax2.patches)
        for text, name in zip(ax2.get_legend().get_texts(), ("L1 (LASSO)", "L2 (ridge)")):
            text.set_text(name)  # fixed legend, drawn once: the counts go to the title and the summary
        animate(ax2.title)
        ax2.set_ylim(0, 1.05 * highest)

    def draw(fig, log10_alpha):
        j = int(np.argmin(np.abs(log_alphas - log10_alpha)))
        ax2 = fig.axes[1]
        art["alpha"].set_xdata([alphas[j], alphas[j]])
        for bar, h in zip(art["bars"], np.concatenate(counts(j))):
            bar.set_height(h)
        ax2.set_title(f"alpha = {plotting.fmt(alphas[j])}: exactly 0: L1 {int(np.sum(W1[j] == 0))}, "
                      f"L2 {int(np.sum(W2[j] == 0))}", fontsize="medium")
        found = float(np.mean((W1[j] == 0) == (w_true == 0)))
        return (f"alpha = {plotting.fmt(alphas[j])}: exact zeros: L1 <b>{int(np.sum(W1[j] == 0))} of {W1[j].size}</b>, "
                f"L2 <b>{int(np.sum(W2[j] == 0))} of {W2[j].size}</b> (smallest L2 |w| = {np.abs(W2[j]).min():.1e}); "
                f"L1's zero pattern matches the truth for {found:.0%} of the weights")

    return Exploration(
        "Exact zeros: L1 against L2 over many problems",
        {"log10_alpha": slider(ipywidgets.FloatSlider, "log10 alpha", min=-1, max=2, step=0.125, value=0.5)},
        draw,
        build=build,
    )
