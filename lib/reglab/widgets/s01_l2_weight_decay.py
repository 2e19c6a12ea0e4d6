"""Session 1's exploration (L2 as eigen-rescaling): :func:`l2_explorer`."""

from __future__ import annotations

import ipywidgets
import numpy as np

from .. import l2, plotting
from .exploration import Exploration, animate, labelled_line, relabel, replace_contours, slider

__all__ = [
    "l2_explorer",
]


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
    extent = 1.4 * max(np.max(np.abs(w_star)), 1e-3)  # as plotting.plot_l2_geometry
    art = {}

    def build(fig):
        ax1, ax2 = fig.subplots(1, 2, width_ratios=[1.4, 1])
        H = _rotated_hessian(4.0, 0.25, 30)
        plotting.plot_l2_geometry(H, w_star, [1.0], ax=ax1)
        art["contours"] = animate(ax1.collections[0])
        art["path"], art["w"] = animate(labelled_line(ax1, "w~ as alpha grows"), labelled_line(ax1, "alpha="))
        art["circle"], *art["arrows"] = animate(*ax1.patches)
        art["touch"] = animate(ax1.collections[1])  # the loss contour touching the circle
        animate(labelled_line(ax1, "w*"))  # between the moving artists, as in the full figure
        relabel(art["w"], "w~ at this alpha")  # fixed legends are drawn once (the factors: right panel)
        plotting.plot_shrink_factors([4.0, 0.25], 1.0, ax=ax2)
        art["bars"] = animate(*ax2.patches)
        ax2.set_xticklabels(["lambda_1", "lambda_2"])
        ax2.set_xlabel("eigen-direction")
        animate(ax2.title)
        art["H"] = H

    def draw(fig, lam1, lam2, angle, alpha):
        ax1, ax2 = fig.axes
        H = _rotated_hessian(lam1, lam2, angle)
        if not np.array_equal(H, art["H"]):  # alpha alone leaves the loss and the ridge path as they are
            art["contours"] = replace_contours(ax1, H, w_star, extent, old=art["contours"])
            art["path"].set_data(*plotting.quadratic_ridge_path(H, w_star).T)
            _, Q = np.linalg.eigh(H)
            for arrow, q in zip(art["arrows"], Q.T):
                arrow.set_data(x=0, y=0, dx=0.5 * extent * q[0], dy=0.5 * extent * q[1])
            art["H"] = H
        wt = l2.eigen_rescale(H, w_star, alpha)
        f = l2.shrink_factors([lam1, lam2], alpha)
        art["w"].set_data([wt[0]], [wt[1]])
        art["circle"].set_radius(np.linalg.norm(wt))
        art["touch"].remove()
        art["touch"] = animate(plotting.touching_contour(ax1, H, w_star, extent, [wt]))
        for bar, h in zip(art["bars"], f):
            bar.set_height(h)
        fmt = plotting.fmt
        ax2.set_title(f"alpha = {fmt(alpha)}; lambda = {fmt(lam1)}, {fmt(lam2)}")
        return (f"w~ = ({wt[0]:.3f}, {wt[1]:.3f}); shrink factors {f[0]:.3f} (lambda = {fmt(lam1)}) and "
                f"{f[1]:.3f} (lambda = {fmt(lam2)})")

    return Exploration(
        "L2 as eigen-rescaling: the low-curvature direction is pulled in most",
        {
            "lam1": slider(ipywidgets.FloatLogSlider, "lambda_1", base=10, min=-2, max=2, value=4.0),
            "lam2": slider(ipywidgets.FloatLogSlider, "lambda_2", base=10, min=-2, max=2, value=0.25),
            "angle": slider(ipywidgets.FloatSlider, "rotation (deg)", min=0, max=90, step=5, value=30),
            "alpha": slider(ipywidgets.FloatLogSlider, "alpha", base=10, min=-2, max=2, value=1.0),
        },
        draw,
        build=build,
    )
