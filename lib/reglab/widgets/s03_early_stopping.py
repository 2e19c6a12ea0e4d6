"""Session 3's exploration (early stopping as L2): :func:`early_stopping_explorer`."""

from __future__ import annotations

import ipywidgets
import numpy as np

from .. import early_stopping, l2, plotting
from .exploration import Exploration, animate, labelled_line, memo, relabel, slider

__all__ = [
    "early_stopping_explorer",
]


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
    art = {}

    @memo
    def exact_alphas(eps):  # the curves of plotting.plot_alpha_approximation
        return np.array([early_stopping.equivalent_alpha(lam, eps, t) for t in taus])

    def build(fig):
        ax1, ax2 = fig.subplots(1, 2)
        plotting.plot_gd_vs_ridge(H, w_star, 0.1, 20, ax=ax1)
        art["gd"], art["w_tau"], art["w_tilde"] = animate(
            labelled_line(ax1, "gradient descent"), labelled_line(ax1, "w(tau)"), labelled_line(ax1, "w~"))
        animate(labelled_line(ax1, "w*"))  # drawn after the moving points, as in the full figure
        # fixed legends are drawn once: the numbers go to the titles and the summary
        relabel(art["w_tau"], "w(tau)")
        relabel(art["w_tilde"], "w~, alpha = 1/(eps tau)")
        plotting.plot_alpha_approximation(lam, 0.1, taus, ax=ax2)
        art["curves"] = animate(*ax2.lines)
        for line, lam_i in zip(art["curves"], lam):
            relabel(line, f"exact, lambda = {lam_i:g}")
        ax2.get_legend().set_loc("lower left")  # a "best" place would depend on the data: not redrawn
        art["tau"] = animate(ax2.axvline(20, color="k", ls=":"))
        animate(ax1.title, ax2.title)
        # one alpha axis for every step size (slider 0.05..1.9): 1/(eps tau) <= 1/0.05, the
        # bottom as plot_alpha_approximation sets it for the largest eps
        ax2.set_ylim(1e-3 / (1.9 * taus.max()), 2 / 0.05)

    def draw(fig, eps, tau):
        it = early_stopping.gd_iterates(H, w_star, eps, int(tau))
        art["gd"].set_data(it[:, 0], it[:, 1])
        art["w_tau"].set_data([it[-1, 0]], [it[-1, 1]])
        approx = early_stopping.approx_alpha(eps, tau)
        wr = l2.eigen_rescale(H, w_star, approx)
        art["w_tilde"].set_data([wr[0]], [wr[1]])
        fig.axes[0].set_title(f"tau = {int(tau)}, alpha = 1/(eps tau) = {plotting.fmt(approx)}", fontsize="medium")
        curves = exact_alphas(float(eps))
        for line, col in zip(art["curves"], curves.T):
            line.set_ydata(col)
        fig.axes[1].set_title("eps*lambda = " + ", ".join(
            f"{plotting.fmt(eps * lam_i, 2)} (lambda = {plotting.fmt(lam_i)})" for lam_i in lam),
                              fontsize="medium")
        art["curves"][-1].set_ydata(1 / (eps * taus))
        art["tau"].set_xdata([tau, tau])
        exact = early_stopping.equivalent_alpha(lam, eps, tau)
        parts = ", ".join(
            (f"{a:.3g}" if np.isfinite(a) else ("none: the iterate overshoots w*" if np.isnan(a) else "infinite"))
            + f" (lambda = {lam_i:g}, eps*lambda = {eps * lam_i:.2g}, eps*tau*lambda = {eps * tau * lam_i:.2g})"
            for a, lam_i in zip(exact, lam)
        )
        return f"exact alpha per direction: {parts}; single alpha 1/(eps tau) = {approx:.3g}"

    return Exploration(
        "Early stopping as L2: where alpha = 1/(eps tau) holds and where it breaks",
        {
            "eps": slider(ipywidgets.FloatSlider, "step size eps", min=0.05, max=1.9, step=0.05, value=0.1),
            "tau": slider(ipywidgets.IntSlider, "steps tau", min=1, max=500, value=20),
        },
        draw,
        build=build,
    )
