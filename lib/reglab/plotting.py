"""Figures for every session, kept apart from the computations they draw.

Each function draws on a matplotlib ``Axes`` (created if not given) and returns it, so notebooks
compose figures and widgets redraw the same axes. Nothing here computes mathematics of its own: it
calls the session modules.

Every figure is meant to be read at the notebook's width by anyone: importing this module makes
:data:`PALETTE` (colour-blind safe) matplotlib's colour cycle, numbers in titles and labels go through
:func:`fmt`, small text is never below :data:`SMALL` points, each function describes its axes for
:func:`alt_text`, and inside IPython a figure is also shown as an HTML ``<img>`` carrying that
alternative text (JupyterLab reads no alternative text from a PNG output). :func:`legibility_problems`
lists the text a reader could not read: too small on screen, overlapping, or cut off at the edge.

Three drawing steps of the session 1 and 2 figures are shared with the explorations (:mod:`reglab.widgets`), which
redraw them as sliders move: :func:`loss_contours`, :func:`touching_contour` and :func:`quadratic_ridge_path`. They
are not figures of their own (not in ``__all__``).
"""

from __future__ import annotations

import base64
import html
import io
import os
import sys
import weakref

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import early_stopping, ensembles, l1, l2, overfitting

__all__ = [
    "PALETTE",
    "SMALL",
    "OUTPUT_WIDTH_PX",
    "MIN_TEXT_PX",
    "fmt",
    "fmt_setting",
    "describe",
    "alt_text",
    "legibility_problems",
    "plot_polynomial_fits",
    "plot_train_val",
    "plot_l2_geometry",
    "plot_shrink_factors",
    "plot_penalty_constraint",
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
    "plot_paired_accuracy",
]

#: Okabe and Ito's colour-blind-safe colours, ordered so that no red sits beside a green: blue, orange,
#: bluish green, reddish purple, sky blue, vermillion, yellow, black. Importing :mod:`reglab.plotting`
#: makes it matplotlib's colour cycle ("C0", "C1", ... are these colours).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
matplotlib.rcParams["axes.prop_cycle"] = cycler(color=list(PALETTE))

#: Size in points of legends and annotations: 10 px on screen at the explorations' 80 dpi.
SMALL = 9

#: Width in pixels of a JupyterLab output area at its default layout (a 1400 px wide window, the file
#: browser open): a wider figure is scaled down to it, its text with it.
OUTPUT_WIDTH_PX = 820

#: Smallest text height, in screen pixels, that :func:`legibility_problems` accepts.
MIN_TEXT_PX = 10.0


def fmt(x, digits=3) -> str:
    """Round a number as a person reads it: ``digits`` significant digits, no trailing zeros, no "-0".

    Parameters
    ----------
    x : float
        The number.
    digits : int, default=3
        Significant digits.

    Returns
    -------
    str
        The rounded number ("0.794", "15", "1e-05" as "1e-5").

    Examples
    --------
    >>> from reglab.plotting import fmt
    >>> fmt(10 ** -0.1), fmt(15.0), fmt(-1e-17, 2), fmt(2.5e-5), fmt(1234567.0)
    ('0.794', '15', '-1e-17', '2.5e-5', '1.23e6')
    >>> fmt(-0.0)
    '0'
    """
    s = f"{float(x):.{int(digits)}g}"
    if s in ("-0", "0"):
        return "0"
    mantissa, _, exponent = s.partition("e")
    return f"{mantissa}e{int(exponent)}" if exponent else mantissa


def fmt_setting(setting) -> str:
    """Write a training setting (a dict of names and values) in words: "l2 = 0.001", "keep = 0.8, 0.5".

    Parameters
    ----------
    setting : dict or None
        Name -> number or sequence of numbers.

    Returns
    -------
    str
        "name = value" pairs joined by "; ", or "no setting" when empty.

    Examples
    --------
    >>> from reglab.plotting import fmt_setting
    >>> fmt_setting({"keep": [0.8, 0.5]}), fmt_setting({"epoch": 12, "patience": 5}), fmt_setting({})
    ('keep = 0.8, 0.5', 'epoch = 12; patience = 5', 'no setting')
    """
    if not setting:
        return "no setting"
    return "; ".join(
        f"{name} = " + ", ".join(fmt(v) for v in np.ravel(np.asarray(value, float)))
        for name, value in setting.items()
    )


# ---------------------------------------------------------------------------- alternative text

_DESCRIPTIONS = weakref.WeakKeyDictionary()  # Axes -> (what it shows, facts about its data)


def describe(ax, what: str, facts: str = ""):
    """Say in words what an axes shows (``what``) and what its data says (``facts``), for :func:`alt_text`.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes.
    what : str
        What it shows, true whatever the data ("training and validation error against degree").
    facts : str, default=""
        What this data shows ("validation error is lowest at degree 3").

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from reglab import plotting
    >>> ax = plotting.describe(plt.subplots()[1], "a line", "it rises")
    >>> plotting.alt_text(ax.figure)
    'A line: it rises.'
    """
    _DESCRIPTIONS[ax] = (what, facts)
    return ax


def _axes_text(ax, facts: bool) -> str:
    what, known = _DESCRIPTIONS.get(ax, ("", ""))
    if not what:  # an axes drawn outside this module: its title, axis labels and legend say what it shows
        y, x = ax.get_ylabel(), ax.get_xlabel()
        what = f"{y} against {x}" if x and y else (f"plotted against {x}" if x else y)
        legend = ax.get_legend()
        entries = [t.get_text() for t in legend.get_texts()] if legend is not None else [
            a.get_label() for a in (*ax.lines, *ax.collections) if not a.get_label().startswith("_")]
        if entries:
            what = f"{what}; " * bool(what) + "showing " + ", ".join(entries)
        if ax.images:
            what = "an image" + f": {what}" * bool(what)
        if not ax.axison and ax.texts:
            what = "; ".join(t.get_text() for t in ax.texts if t.get_visible())
    title = " ".join(ax.get_title().split())
    parts = [p for p in (title, what) if p]
    text = " - ".join(parts) if parts else "an empty panel"
    return text + (f": {known}" if facts and known else "")


def alt_text(fig, facts: bool = True) -> str:
    """Describe a figure in words, its alternative text: what each panel shows, top to bottom, left to right.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    facts : bool, default=True
        Include what the data shows (an exploration redrawn in place says it in its summary instead).

    Returns
    -------
    str
        One sentence per panel.

    Examples
    --------
    >>> from reglab import plotting
    >>> ax = plotting.plot_train_val([1, 2, 3], [1.0, 0.5, 0.2], [1.0, 0.6, 0.9], xlabel="degree")
    >>> plotting.alt_text(ax.figure)
    'Training and validation error against degree: validation error is lowest, 0.6, at degree 2.'
    """
    rows = []  # panels whose heights overlap are one row (an equal-aspect panel is shorter than its neighbour)
    for ax in sorted((ax for ax in fig.axes if ax.get_visible()), key=lambda ax: -ax.get_position().y1):
        box = ax.get_position()
        if rows and box.y1 > rows[-1][0].get_position().y0:
            rows[-1].append(ax)
        else:
            rows.append([ax])
    texts = [_axes_text(ax, facts) for row in rows for ax in sorted(row, key=lambda ax: ax.get_position().x0)]
    if len(texts) == 1:
        return texts[0][:1].upper() + texts[0][1:] + "."
    return f"{len(texts)} panels. " + " ".join(f"Panel {i}: {t}." for i, t in enumerate(texts, 1))


#: With this environment variable set to "1", a figure shown in IPython whose text is not legible
#: (:func:`legibility_problems`) says so on stderr (the browser tests set it: every notebook figure is checked).
CHECK_ENV = "REGLAB_CHECK_FIGURES"


def _figure_html(fig):
    """The figure as an HTML ``<img>`` with its alternative text (IPython's text/html formatter for figures).

    As matplotlib-inline shows it (PNG, tight bounding box); None when figures are not rendered (grading).
    """
    from .widgets import render_figures  # (widgets imports this module)

    if not render_figures() or not fig.axes:
        return None
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    if os.environ.get(CHECK_ENV) == "1":
        problems = legibility_problems(fig, tight=True, keep_layout=True)  # (savefig laid it out)
        if problems:
            print("figure not legible at the notebook's width:\n  " + "\n  ".join(problems), file=sys.stderr)
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt_text(fig), quote=True)}"/>'


def _show_figures_with_alt_text():
    """Inside IPython, display figures also as text/html (an ``<img>`` with alternative text): JupyterLab prefers
    it to the PNG, which stays for other front ends."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the course
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["text/html"].for_type(Figure, _figure_html)


_show_figures_with_alt_text()


# ---------------------------------------------------------------------------- legibility


def _drawn_texts(fig, keep_layout):
    """Every non-empty text the figure draws, animated artists included, with the renderer that drew them."""
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    drawn = {}
    draw_text = renderer.draw_text

    def record(gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if mtext is not None and s.strip():
            drawn[id(mtext)] = mtext
        return draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)

    animated = [a for a in fig.findobj() if a.get_animated()]
    for a in animated:
        a.set_animated(False)
    engine = fig.get_layout_engine() if keep_layout else None
    if engine is not None:
        fig.set_layout_engine("none")
    renderer.draw_text = record
    try:
        fig.draw(renderer)
    finally:
        del renderer.draw_text
        for a in animated:
            a.set_animated(True)
        if engine is not None:
            fig.set_layout_engine(engine)
    return list(drawn.values()), renderer


def legibility_problems(fig, output_width_px=OUTPUT_WIDTH_PX, min_px=MIN_TEXT_PX, tight=False,
                        keep_layout=False) -> list[str]:
    """List what a reader cannot read in a figure: text too small on screen, overlapping or cut off.

    Text smaller than ``min_px`` on screen, two texts overlapping, text beyond the figure's edge. The
    figure is drawn, animated artists included, at its dpi, and scaled down to ``output_width_px`` if
    wider, as a notebook shows it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    output_width_px : float, default=OUTPUT_WIDTH_PX
        Width the figure is shown in.
    min_px : float, default=MIN_TEXT_PX
        Smallest acceptable font size on screen, in pixels.
    tight : bool, default=False
        The figure is shown cropped to what it draws (``bbox_inches="tight"``, as matplotlib-inline
        shows figures): its width is that of the drawing and no text is cut off.
    keep_layout : bool, default=False
        Draw the figure where its last drawing laid it out, without running its layout engine again (an
        exploration's axes stay where its first render put them; also faster).

    Returns
    -------
    list of str
        One sentence per problem; empty when every text can be read.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from reglab import plotting
    >>> fig, ax = plt.subplots(figsize=(4, 3))
    >>> _ = ax.set_title("a title"), ax.text(0.5, 0.5, "tiny", fontsize=4)
    >>> plotting.legibility_problems(fig)
    ['"tiny" is 5.6 px high on screen (at least 10 px)']
    """
    texts, renderer = _drawn_texts(fig, keep_layout)
    frame = fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans) if tight else fig.bbox
    scale = min(1.0, output_width_px / frame.width)
    problems = []
    boxes = []
    for t in texts:
        px = t.get_fontsize() * fig.dpi / 72 * scale
        if px < min_px - 0.05:
            problems.append(f'"{t.get_text()}" is {px:.1f} px high on screen (at least {min_px:g} px)')
        box = t.get_window_extent(renderer)
        if box.x0 < frame.x0 - 1 or box.x1 > frame.x1 + 1 or box.y0 < frame.y0 - 1 or box.y1 > frame.y1 + 1:
            problems.append(f'"{t.get_text()}" is cut off at the edge of the figure')
        boxes.append((t, box.padded(-1.0)))  # (touching is not overlapping)
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            if box_a.overlaps(box_b):
                problems.append(f'"{a.get_text()}" overlaps "{b.get_text()}"')
    return problems


def _ax(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4), layout="constrained")
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
    errors = []
    for d in degrees:
        coef = overfitting.fit_polynomial(x, y, d, alpha)
        ax.plot(grid, overfitting.predict_polynomial(coef, grid), label=f"degree {d}")
        errors.append(overfitting.mse(y, overfitting.predict_polynomial(coef, x)))
    lo, hi = np.min(y), np.max(y)
    pad = 0.75 * (hi - lo + 1e-9)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(fontsize=SMALL)
    shown = "the true function and " * (f_true is not None)
    return describe(ax, f"{len(x)} training points, {shown}polynomial fits of degree "
                        f"{', '.join(str(d) for d in degrees)} (alpha = {fmt(alpha)})",
                    "training MSE " + ", ".join(f"{fmt(e, 2)} at degree {d}" for d, e in zip(degrees, errors)))


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
    ax.legend(fontsize=SMALL)
    best = int(np.argmin(val))
    return describe(ax, f"training and validation error against {xlabel}",
                    f"validation error is lowest, {fmt(val[best])}, at {xlabel} {fmt(np.asarray(xs)[best])}")


def _finish_square(ax, extent, labels=True):
    """Equal aspect, symmetric limits, axis labels and a legend: the 2-D geometry pictures."""
    ax.set_aspect("equal")
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    if labels:
        ax.set_xlabel("w1")
        ax.set_ylabel("w2")
    ax.legend(fontsize=SMALL, loc="lower left")
    return ax


def _quad_grid(H, w_star, extent):
    c = np.asarray(w_star, float)
    r = extent
    g1, g2 = np.meshgrid(np.linspace(-r, r, 200), np.linspace(-r, r, 200))
    P = np.stack([g1, g2], axis=-1) - c
    Z = 0.5 * np.einsum("...i,ij,...j->...", P, np.asarray(H, float), P)
    return g1, g2, Z


def loss_contours(ax, H, w_star, extent, **kw):
    """Contours of the quadratic 0.5 (w - w*)^T H (w - w*) on [-extent, extent]^2; returns the ContourSet.

    Twelve levels evenly spaced in distance from w* (the loss grows with its square), dark blue near w*
    and still a clear mid blue at the edge.
    """
    g1, g2, Z = _quad_grid(H, w_star, extent)
    levels = np.max(Z) * np.linspace(0, 1, 13)[1:] ** 2 / 2
    return ax.contour(g1, g2, Z, levels=levels, cmap="Blues_r", vmin=0, vmax=2.5 * levels[-1], linewidths=1, **kw)


def touching_contour(ax, H, w_star, extent, points, **kw):
    """The loss contours through ``points`` (each regularized solution: the ellipse touching the penalty's ball)."""
    g1, g2, Z = _quad_grid(H, w_star, extent)
    d = np.atleast_2d(points) - np.asarray(w_star, float)
    levels = np.unique(0.5 * np.einsum("ni,ij,nj->n", d, np.asarray(H, float), d))
    levels = levels[levels > 0]
    if levels.size == 0:  # the solution is w* itself: no ellipse to draw
        levels = np.array([np.max(Z) * 1e-9])
    return ax.contour(g1, g2, Z, levels=levels, colors="k", linewidths=1.5, linestyles="--", **kw)


def quadratic_ridge_path(H, w_star):
    """w~(alpha) for alpha over six decades around the largest eigenvalue of H, shape (200, 2)."""
    lam, Q = np.linalg.eigh(H)  # one eigendecomposition for the whole path, as l2.eigen_rescale does per alpha
    f = np.array([l2.shrink_factors(lam, a) for a in np.geomspace(1e-3, 1e3, 200) * max(lam.max(), 1e-12)])
    return (f * (Q.T @ np.asarray(w_star, float))) @ Q.T


def plot_l2_geometry(H, w_star, alphas, ax=None):
    """Draw ellipse contours of J, circles of the penalty, and w~ for each alpha (session 1, (7.13)).

    Each w~ is annotated with the shrink factors lambda_i / (lambda_i + alpha), each named by its direction: the axis
    (w1, w2) when an eigenvector of H lies along one, else the eigenvector's coordinates; in axis order.

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
    >>> "alpha=1: factor 0.80 along w1, 0.20 along w2" in [line.get_label() for line in ax.get_lines()]
    True
    """
    ax = _ax(ax)
    H = np.asarray(H, float)
    w_star = np.asarray(w_star, float)
    if H.shape != (2, 2):
        raise ValueError("the geometry picture needs a 2x2 H")
    extent = 1.4 * max(np.max(np.abs(w_star)), 1e-3)
    loss_contours(ax, H, w_star, extent)
    lam, Q = np.linalg.eigh(H)
    path = quadratic_ridge_path(H, w_star)
    ax.plot(path[:, 0], path[:, 1], color="0.6", lw=1, label="w~ as alpha grows")
    ax.plot(*w_star, "k*", ms=12, label="w* (no penalty)")
    solutions = []
    for a in alphas:
        wt = l2.eigen_rescale(H, w_star, a)
        solutions.append(wt)
        radius = np.linalg.norm(wt)
        ax.add_patch(plt.Circle((0, 0), radius, fill=False, ls=":", lw=1.5, color="C3"))
        f = l2.shrink_factors(lam, a)
        named = ", ".join(f"{f[i]:.2f} along {_direction_name(Q[:, i])}" for i in _axis_order(Q))
        ax.plot(*wt, "o", label=f"alpha={fmt(a)}: factor {named}")
    touching_contour(ax, H, w_star, extent, solutions)
    ax.plot([], [], "k--", lw=1.5, label="loss contour touching the circle")
    for i in range(2):
        ax.arrow(0, 0, *(0.5 * extent * Q[:, i]), color="0.3", width=0.002 * extent, length_includes_head=True)
    facts = "; ".join(f"at alpha = {fmt(a)} w~ = ({w[0]:.2f}, {w[1]:.2f})" for a, w in zip(alphas, solutions))
    describe(ax, "loss contours around w*, the circles of the L2 penalty, the path of w~ as alpha grows and the "
                 "eigen-directions of H", facts)
    return _finish_square(ax, extent)


def _axis_order(Q):
    """The eigen-directions (columns of Q) in the order of the axes they lie closest to: w1's first."""
    return sorted(range(Q.shape[1]), key=lambda i: (int(np.argmax(np.abs(Q[:, i]))), i))


def _direction_name(q):
    """An eigenvector in words: the axis it lies along ("w1"), or its coordinates, first non-zero one positive."""
    q = np.asarray(q, float)
    axis = int(np.argmax(np.abs(q)))
    if abs(q[axis]) > 1 - 1e-9:
        return f"w{axis + 1}"
    q = -q if q[np.flatnonzero(np.abs(q) > 1e-12)[0]] < 0 else q
    return "(" + ", ".join(f"{v:.2f}" for v in q) + ")"


def plot_penalty_constraint(H, w_star, radius, lr, steps=40, ax=None):
    """Draw the constraint ||w||_2 <= k, projected gradient descent inside it, and the matching penalty (session 1).

    The loss contours of J(w) = 1/2 (w - w*)^T H (w - w*), the ball of the constraint, the iterates of
    :func:`reglab.l2.projected_gradient` from 0 (a gradient step, then back onto the ball), and the penalized
    minimizer w~(alpha) for the alpha :func:`reglab.l2.alpha_for_radius` gives (GBC 7.25-7.27): where the
    projected iterates stop, w~ lies.

    Parameters
    ----------
    H : array-like of shape (2, 2)
        Symmetric positive semidefinite Hessian of J.
    w_star : array-like of shape (2,)
        Unconstrained minimizer.
    radius : float
        Radius k of the constraint, > 0.
    lr : float
        Learning rate of projected gradient descent, > 0.
    steps : int, default=40
        Number of projected gradient steps drawn, >= 1.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created if None.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    ValueError
        If H is not 2x2, or an argument is out of range (as in the l2 functions it calls).

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import plotting
    >>> ax = plotting.plot_penalty_constraint(np.diag([2.0, 0.5]), [1.0, 1.5], 1.0, lr=0.4)
    >>> [line.get_label().split(":")[0] for line in ax.get_lines()]
    ['projected gradient from 0', 'penalty at alpha = 0.646', 'w* (no constraint)']
    """
    ax = _ax(ax)
    H = np.asarray(H, float)
    w_star = np.asarray(w_star, float)
    if H.shape != (2, 2):
        raise ValueError("the constraint picture needs a 2x2 H")
    path = l2.projected_gradient(lambda w: H @ (w - w_star), np.zeros(2), radius, lr, steps)
    alpha = l2.alpha_for_radius(H, w_star, radius)
    wt = l2.eigen_rescale(H, w_star, alpha)
    extent = 1.4 * max(np.max(np.abs(w_star)), radius, 1e-3)
    loss_contours(ax, H, w_star, extent)
    ax.add_patch(plt.Circle((0, 0), radius, color="C1", alpha=0.2, lw=0, label=f"||w|| <= {fmt(radius)}"))
    touching_contour(ax, H, w_star, extent, [wt])
    end = path[-1]
    ax.plot(path[:, 0], path[:, 1], ".-", color="C0", lw=1, ms=5,
            label=f"projected gradient from 0: ({end[0]:.2f}, {end[1]:.2f})")
    ax.plot(*wt, "x", color="C5", ms=13, mew=2.5, label=f"penalty at alpha = {fmt(alpha)}: ({wt[0]:.2f}, {wt[1]:.2f})")
    ax.plot(*w_star, "k*", ms=12, label="w* (no constraint)")
    describe(ax, "loss contours around w*, the ball of the constraint ||w|| <= k, the iterates of projected gradient "
                 "descent from 0 and the minimizer of the penalty whose multiplier matches k",
             f"k = {fmt(radius)}: after {steps} steps projected gradient is at ({end[0]:.2f}, {end[1]:.2f}); the "
             f"penalty with alpha = {fmt(alpha)} has its minimum at ({wt[0]:.2f}, {wt[1]:.2f})")
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
    ax.set_xticklabels([fmt(v) for v in np.asarray(eigvals, float)])
    ax.set_xlabel("eigenvalue lambda_i")
    ax.set_ylabel("shrink factor")
    ax.set_title(f"alpha = {fmt(alpha)}")
    return describe(ax, "shrink factor lambda_i / (lambda_i + alpha) of each eigen-direction",
                    ", ".join(f"{v:.2f} for lambda = {fmt(lam)}" for v, lam in zip(f, np.ravel(eigvals))))


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
    ax.plot(x, l1.soft_threshold(x, t), lw=2, label=f"soft threshold, t = {fmt(t)}")
    ax.axvspan(-t, t, color="C1", alpha=0.15, label="set exactly to 0")
    ax.set_xlabel("w*_i")
    ax.set_ylabel("w_i")
    ax.legend(fontsize=SMALL)
    return describe(ax, "the soft-thresholding map w_i against w*_i next to the identity",
                    f"every w*_i between {fmt(-t)} and {fmt(t)} is set exactly to 0, the others move {fmt(t)} "
                    "toward 0")


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
    loss_contours(ax, H, w_star, extent)
    w1 = l1.lasso_quadratic(H, w_star, alpha)
    w2 = l2.eigen_rescale(H, w_star, alpha)
    r1 = np.sum(np.abs(w1))
    r2 = np.linalg.norm(w2)
    ax.plot([r1, 0, -r1, 0, r1], [0, r1, 0, -r1, 0], color="C1", lw=1.5, label="L1 ball (diamond)")
    ax.add_patch(plt.Circle((0, 0), r2, fill=False, color="C3", lw=1.5, label="L2 ball (circle)"))
    ax.plot(*w_star, "k*", ms=12, label="w*")
    ax.plot(*w1, "o", color="C1", label=f"L1 solution ({w1[0]:.2f}, {w1[1]:.2f})")
    ax.plot(*w2, "s", color="C3", label=f"L2 solution ({w2[0]:.2f}, {w2[1]:.2f})")
    describe(ax, "loss contours around w* with the L1 diamond and the L2 circle through each regularized solution",
             f"at alpha = {fmt(alpha)} the L1 solution is ({w1[0]:.2f}, {w1[1]:.2f}) with {int(np.sum(w1 == 0))} "
             f"exact zeros, the L2 solution ({w2[0]:.2f}, {w2[1]:.2f})")
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
    loss_contours(ax, H, w_star, extent)
    it = early_stopping.gd_iterates(H, w_star, eps, int(tau))
    ax.plot(it[:, 0], it[:, 1], ".-", color="C0", ms=3, label="gradient descent")
    path = quadratic_ridge_path(H, w_star)
    ax.plot(path[:, 0], path[:, 1], color="C1", label="ridge path")
    a = early_stopping.approx_alpha(eps, tau)
    wr = l2.eigen_rescale(H, w_star, a)
    ax.plot(*it[-1], "o", color="C0", ms=8, label=f"w(tau), tau = {int(tau)}")
    ax.plot(*wr, "s", color="C1", ms=8, mfc="none", label=f"w~, alpha = 1/(eps tau) = {fmt(a)}")
    ax.plot(*w_star, "k*", ms=12, label="w*")
    describe(ax, "loss contours, the gradient-descent path from 0 and the ridge path",
             f"after tau = {int(tau)} steps w(tau) = ({it[-1][0]:.2f}, {it[-1][1]:.2f}), the ridge solution at "
             f"alpha = {fmt(a)} is ({wr[0]:.2f}, {wr[1]:.2f})")
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
        ax.loglog(taus, exact[:, i], label=f"exact, lambda = {fmt(lam)} (eps*lambda = {fmt(eps * lam, 2)})")
    ax.loglog(taus, 1 / (eps * taus), "k--", label="1/(eps tau)")
    # exact alphas of stiff directions plunge toward 0 (they converge long before tau); keep the
    # axis on the range where the comparison is readable
    lo = 1e-3 / (eps * taus.max())
    ax.set_ylim(bottom=lo)
    ax.set_xlabel("tau (steps)")
    ax.set_ylabel("equivalent alpha")
    ax.legend(fontsize=SMALL)
    return describe(ax, "the exact equivalent alpha of each eigen-direction against the number of steps tau, "
                        "log-log, with 1/(eps tau)", f"eps = {fmt(eps)}")


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
    ax.legend(fontsize=SMALL)
    return describe(ax, "expected squared error of an average of k models against k: the formula v/k + (k-1)c/k"
                        + (" and Monte Carlo estimates" if simulated is not None else ""),
                    f"it falls from v = {fmt(v)} toward c = {fmt(c)}")


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
    ax.legend(fontsize=SMALL)
    return describe(ax, f"histograms of one member's error and of the average error of {errors.shape[1]} members",
                    f"standard deviations {fmt(errors[:, 0].std())} and {fmt(errors.mean(axis=1).std())}")


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
    ax.legend(fontsize=SMALL)
    return describe(ax, "bars of the class probabilities given by " + ", ".join(names),
                    "; ".join(f"{n}: " + ", ".join(f"{p:.2f}" for p in np.asarray(predictions[n], float))
                              for n in names))


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
    ax.legend(fontsize=SMALL)
    facts = f"training loss ends at {fmt(history['train_loss'][-1])}"
    if history.get("val_loss"):
        facts += f", validation loss at {fmt(history['val_loss'][-1])} (lowest {fmt(min(history['val_loss']))})"
    return describe(ax, "training" + " and validation" * bool(history.get("val_loss")) + " loss per epoch, log scale",
                    facts)


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
    return describe(ax, f"the probability of class 1 over the plane of features {a} and {b} (red high, blue low), "
                        "the 0.5 boundary in black and the points coloured by class")


def plot_capstone(results, ax=None, highlight=None):
    """Draw the held-out test loss of each regularizer of the capstone (lower is better), one dot per method.

    Dots on an axis that spans the losses only (not from 0: bars would hide a difference such as 0.192
    against 0.207), each labelled with its loss; the method's test accuracy is in its row's name.

    Parameters
    ----------
    results : dict
        Name -> dict with ``test_loss`` and ``test_acc``, as the ``table`` of
        :func:`reglab.capstone.run_capstone`.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created if None.
    highlight : str, default=None
        A method drawn in the second palette colour, larger (the one an exploration shows).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from reglab import plotting
    >>> results = {"none": {"test_loss": 0.207, "test_acc": 0.7}, "L2": {"test_loss": 0.192, "test_acc": 0.8}}
    >>> ax = plotting.plot_capstone(results, highlight="L2")
    >>> [t.get_text() for t in ax.texts], [t.get_text() for t in ax.get_yticklabels()]
    (['0.207', '0.192'], ['none, acc 0.70', 'L2, acc 0.80'])
    """
    ax = _ax(ax)
    names = list(results)
    losses = np.array([float(results[n]["test_loss"]) for n in names])
    rows = np.arange(len(names))
    colors = [PALETTE[1] if n == highlight else ("0.45" if i == 0 else PALETTE[0]) for i, n in enumerate(names)]
    sizes = [90 if n == highlight else 40 for n in names]
    ax.hlines(rows, losses.min(), losses, color="0.8", lw=1, zorder=1)
    ax.scatter(losses, rows, c=colors, s=sizes, zorder=3)
    for row, loss in zip(rows, losses):
        ax.annotate(f"{loss:.3f}", (loss, row), xytext=(6, 0), textcoords="offset points", va="center",
                    fontsize=SMALL)
    span = max(losses.max() - losses.min(), 1e-3 * max(abs(losses.max()), 1e-12))
    ax.set_xlim(losses.min() - 0.08 * span, losses.max() + 0.45 * span)  # room for the labels on the right
    ax.set_ylim(len(names) - 0.5, -0.5)  # the first method on top
    ax.set_yticks(rows, [f"{n}, acc {float(results[n]['test_acc']):.2f}" for n in names])
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
    ax.set_xlabel("test cross-entropy (lower is better)")
    best = names[int(np.argmin(losses))]
    return describe(ax, "test cross-entropy of each method, lower is better",
                    "; ".join(f"{n} {loss:.3f} (accuracy {float(results[n]['test_acc']):.2f})"
                              for n, loss in zip(names, losses)) + f"; lowest: {best}")


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
    ax.legend(fontsize=SMALL)
    return describe(ax, "training and validation error against gradient-descent steps, log-log",
                    f"validation error is lowest, {fmt(val[best])}, after {fmt(np.asarray(steps)[best])} steps")


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
    ax.legend(fontsize=SMALL)
    facts = ""
    if alpha is not None:
        j = int(np.argmin(np.abs(np.log(np.asarray(alphas, float)) - np.log(alpha))))
        facts = f"at alpha = {fmt(alpha)}: L1 {fmt(l1_zeros[j], 2)}, L2 {fmt(l2_zeros[j], 2)}"
    return describe(ax, "fraction of weights exactly 0 under L1 and under L2 against alpha", facts)


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
    ax.legend(fontsize=SMALL)
    return describe(ax, "histograms of the weights' magnitudes under L1 and under L2, log scale, exact zeros at the "
                        "left edge", f"exactly 0: L1 {int(np.sum(np.ravel(w_l1) == 0))}, "
                                     f"L2 {int(np.sum(np.ravel(w_l2) == 0))}")


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
    ax.axvline(chosen, color="C1", ls="--", lw=1, label=f"chosen: {fmt(chosen)}")
    if log:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("validation cross-entropy")
    ax.legend(fontsize=SMALL)
    return describe(ax, f"validation cross-entropy against {xlabel}",
                    f"{fmt(chosen)} is chosen, validation loss {fmt(np.min(val_loss))}")


def plot_paired_accuracy(paired, ax=None, baseline="none"):
    """Draw each method's test images gained and lost against a baseline scored on the same images, with p-values.

    One row per method: a bar to the right for the images it gets right and the baseline gets wrong (gained), one
    to the left for the reverse (lost), labelled with the paired test's p-value (:func:`reglab.capstone.mcnemar`).
    The images both get right, or both wrong, are left out: they say nothing about which is better.

    Parameters
    ----------
    paired : dict
        Method -> object with ``gained``, ``lost`` and ``p_value`` (a :class:`reglab.capstone.PairedTest`).
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created if None.
    baseline : str, default="none"
        Name of the method every row is compared with, for the labels.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from reglab import capstone, plotting
    >>> ax = plotting.plot_paired_accuracy({"L2": capstone.PairedTest(14, 4, 10 / 600, 0.031)})
    >>> [t.get_text() for t in ax.texts]
    ['p = 0.031']
    """
    ax = _ax(ax)
    names = list(paired)
    gained = np.array([int(paired[n].gained) for n in names])
    lost = np.array([int(paired[n].lost) for n in names])
    rows = np.arange(len(names))
    ax.barh(rows, gained, color=PALETTE[2], label=f"gained: right, {baseline} wrong")
    ax.barh(rows, -lost, color=PALETTE[5], label=f"lost: wrong, {baseline} right")
    ax.axvline(0, color="0.3", lw=1)
    for row, g, n in zip(rows, gained, names):
        ax.annotate(f"p = {fmt(paired[n].p_value, 2)}", (g, row), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=SMALL)
    top = max(int(gained.max(initial=0)), int(lost.max(initial=0)), 1)
    ax.set_xlim(-1.15 * top, 1.9 * top)  # room for the p-values on the right
    ax.set_ylim(len(names) - 0.5, -1.6)  # the first method on top, room for the legend above it
    ax.set_yticks(rows, names)
    ticks = ax.get_xticks()
    ax.xaxis.set_major_locator(matplotlib.ticker.FixedLocator(ticks))
    ax.set_xticklabels([fmt(abs(t)) for t in ticks])
    ax.set_xlabel(f"test images, against {baseline} on the same images")
    ax.legend(fontsize=SMALL, loc="upper right")
    return describe(ax, f"test images each method gets right and {baseline} wrong (right) and the reverse (left)",
                    "; ".join(f"{n} {g} gained, {lo} lost, p = {fmt(paired[n].p_value, 2)}"
                              for n, g, lo in zip(names, gained, lost)))
