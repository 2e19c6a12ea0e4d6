"""Interactive explorations: sliders on top of the computing and plotting functions.

Every exploration is an :class:`Exploration`: a set of ipywidgets controls, a matplotlib ``Figure``
owned by the exploration (no pyplot state), and a draw function from :mod:`reglab.plotting`. The
figure is shown as a JPEG in a small image widget of its own (``Exploration.image``) that carries an
alternative text, so it renders the same in JupyterLab, in Notebook 7 and in a headless test, where
:meth:`Exploration.update` drives the same code path a slider does.
"""

from __future__ import annotations

import html
import io
import os
import re
from collections.abc import Callable

import anywidget
import ipywidgets
import numpy as np
import traitlets
from IPython.display import display
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from PIL import Image as PILImage

from . import data, dropout, early_stopping, ensembles, l1, l2, overfitting, playground, plotting
from ._kernels import single_threaded_blas
from ._validation import as_seed

__all__ = [
    "Exploration",
    "render_figures",
    "polynomial_explorer",
    "l2_explorer",
    "l1_explorer",
    "early_stopping_explorer",
    "ensemble_explorer",
    "dropout_explorer",
    "learning_curves_explorer",
    "l1_zeros_explorer",
    "capstone_sweep_explorer",
]


RENDER_ENV = "REGLAB_RENDER_FIGURES"


def render_figures() -> bool:
    """Whether explorations render their figure: False when ``REGLAB_RENDER_FIGURES=0`` (used under grading).

    Returns
    -------
    bool
        False if the environment variable is "0", True otherwise.

    Examples
    --------
    >>> import os
    >>> from reglab.widgets import render_figures
    >>> render_figures() == (os.environ.get("REGLAB_RENDER_FIGURES", "1") != "0")
    True
    """
    return os.environ.get(RENDER_ENV, "1").strip() != "0"


def _encode(canvas) -> bytes:
    """JPEG bytes of an Agg canvas's pixels.

    JPEG at quality 95 without chroma subsampling: measured here 3 ms against 15-29 ms for PNG (any
    zlib level) of the same 800 x 336 figure, with no visible artefacts around lines and text.
    """
    w, h = canvas.get_width_height(physical=True)
    img = PILImage.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, format="jpeg", quality=95, subsampling=0)
    return buf.getvalue()


_PICTURE_ESM = r"""
// The exploration's picture, with its alternative text. It also gives the exploration's sliders what
// ipywidgets' sliders (noUiSlider) lack: an accessible name (the slider's label) and, as their
// aria-valuetext, the value their readout shows (a log slider's handle otherwise announces the exponent);
// and when the kernel restarts or stops (ipywidgets then marks every widget with a red broken-chain icon),
// it says what happened and what to do.
const STOPPED = "This exploration stopped with its kernel (restarted or shut down): its controls do nothing " +
  "now. Run its cell again to use them.";

function labelSliders(root) {
  for (const slider of root.querySelectorAll(".widget-slider")) {
    const handle = slider.querySelector(".noUi-handle");
    if (!handle) continue;
    const label = slider.querySelector(".widget-label");
    const readout = slider.querySelector(".widget-readout");
    const name = label ? label.textContent.trim() : "";
    const shown = readout ? readout.textContent.trim() : "";
    if (name && handle.getAttribute("aria-label") !== name) handle.setAttribute("aria-label", name);
    if (shown && handle.getAttribute("aria-valuetext") !== shown) handle.setAttribute("aria-valuetext", shown);
  }
}

function render({ model, el }) {
  const img = document.createElement("img");
  img.className = "reglab-picture";
  img.style.maxWidth = "100%";
  img.style.height = "auto";
  const stopped = document.createElement("div");
  stopped.className = "reglab-stopped";
  stopped.setAttribute("role", "status");
  stopped.textContent = STOPPED;
  stopped.style.cssText = "display: none; color: #D55E00; font-weight: bold; margin: 4px 0;";
  el.appendChild(stopped);
  el.appendChild(img);
  let url = "";
  const show = () => {
    const value = model.get("value");
    const old = url;
    url = value && value.byteLength ? URL.createObjectURL(new Blob([value], { type: "image/jpeg" })) : "";
    img.style.display = url ? "block" : "none";
    if (url) img.src = url;
    if (old) URL.revokeObjectURL(old);
  };
  const describe = () => { img.alt = model.get("alt"); };
  model.on("change:value", show);
  model.on("change:alt", describe);
  describe();
  show();
  let observer = null;
  let tries = 0;
  const watch = () => {  // the sliders are siblings in the exploration's box, attached after this view
    const root = el.closest(".reglab-exploration");
    if (!root) {
      if (tries++ < 300) setTimeout(watch, 100);
      return;
    }
    const update = () => {
      labelSliders(root);
      const dead = root.matches(".jupyter-widgets-disconnected, .jupyter-widgets-disconnected *") ||
        root.querySelector(".jupyter-widgets-disconnected") !== null;
      stopped.style.display = dead ? "block" : "none";
    };
    update();
    observer = new MutationObserver(update);
    observer.observe(root, { subtree: true, childList: true, characterData: true, attributes: true,
                             attributeFilter: ["aria-valuetext", "class"] });
  };
  watch();
  return () => {
    if (observer) observer.disconnect();
    model.off("change:value", show);
    model.off("change:alt", describe);
  };
}

export default { render };
"""


class _Picture(anywidget.AnyWidget):
    """A JPEG picture with an alternative text, and accessible names and values for its exploration's sliders.

    ``value`` holds the JPEG bytes, ``alt`` what the picture shows in words (an ``<img alt>`` in the page).
    Inside an :class:`Exploration`'s box it also sets, on each slider's handle, ``aria-label`` to the
    slider's label and ``aria-valuetext`` to its readout, which ipywidgets' sliders do not; and after a
    kernel restart (ipywidgets marks each widget of the dead kernel with a red broken-chain icon) it says
    above the picture that the exploration stopped and that running its cell again brings it back.

    Examples
    --------
    >>> from reglab.widgets import _Picture
    >>> pic = _Picture(alt="a line")
    >>> pic.value, pic.alt
    (b'', 'a line')
    """

    _esm = _PICTURE_ESM
    value = traitlets.Bytes(b"").tag(sync=True)
    alt = traitlets.Unicode("").tag(sync=True)


def _plain(summary: str) -> str:
    """An HTML summary as plain text (for the picture's alternative text)."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", summary))).strip()


class Exploration:
    """Controls + a figure redrawn whenever a control changes.

    Two ways to draw. Without ``build``, every redraw clears the figure and ``draw(fig, **values)``
    draws it anew. With ``build``, ``build(fig)`` creates the axes and artists once and every redraw
    calls ``draw(fig, **values)`` to update their data (``set_data``, ``set_text``...): artists that
    change are created with ``animated=True``, the rest of the figure (axes, ticks, labels) is
    rendered once and reused (blitting); it is rendered again only when an axis' limits or scale
    change. The figure is shown as a JPEG in an image widget with alternative text, so it renders the same in
    JupyterLab, in Notebook 7 and in a headless test, where :meth:`update` drives the same code
    path a slider does. The picture's alternative text (``image.alt``) says what each panel shows
    (:func:`reglab.plotting.alt_text`) followed by the summary, so it follows the controls.

    With the environment variable ``REGLAB_RENDER_FIGURES=0`` the draw function (all the
    computation) still runs and the summary updates, but no picture is rendered (``picture`` stays empty).

    Parameters
    ----------
    title : str
        Heading shown above the controls.
    controls : dict
        Control name -> ipywidgets value widget (a slider, a dropdown...).
    draw : callable
        ``draw(fig, **values) -> str or None``; draws on the (cleared) figure, or updates the
        artists ``build`` made, and may return a short HTML summary shown under the controls.
    figsize : tuple of (float, float), default=(10, 4.2)
        Figure size in inches.
    build : callable, default=None
        ``build(fig)``, called once: creates the axes and artists that ``draw`` updates.
    dpi : float, default=80
        Resolution of the picture.
    cache : bool, default=False
        Keep the summary and picture of every combination of values already shown, and show them
        again without drawing (for a few discrete choices, such as a dropdown of results; not used
        when figures are not rendered).

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

    The same with the line built once and its data updated:

    >>> def build(fig):
    ...     ax = fig.subplots()
    ...     ax.plot([0, 1], [0, 1], animated=True)
    ...     ax.set_ylim(0, 10)
    >>> def update(fig, a):
    ...     fig.axes[0].lines[0].set_ydata([0, a])
    ...     return f"slope {a}"
    >>> exp = Exploration("demo", {"a": ipywidgets.FloatSlider(value=1.0)}, update, build=build)
    >>> exp.update(a=2.0)
    >>> exp.summary.value, exp.full_renders, exp.picture[:2] == (b"\\xff\\xd8" if render_figures() else b"")
    ('slope 2.0', 1, True)
    """

    def __init__(self, title: str, controls: dict, draw: Callable, figsize=(10, 4.2), build=None, dpi=80,
                 cache=False):
        self.title = title
        self.controls = controls
        self._draw = draw
        self._build = build
        self.figure = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        FigureCanvasAgg(self.figure)
        # at its own size (a VBox would stretch it to the cell's width and blur it), narrower if the cell is
        self.image = _Picture(layout=ipywidgets.Layout(align_self="flex-start", max_width="100%"))
        self.summary = ipywidgets.HTML()
        self.redraws = 0
        self.full_renders = 0
        self.picture = b""
        self._hold = False
        self._background = None
        self._static_key = None
        self._legends = []
        self._cache = {} if cache else None
        for c in controls.values():
            c.observe(self._on_change, names="value")
        self.widget = ipywidgets.VBox(
            [
                ipywidgets.HTML(f"<b>{title}</b>"),
                ipywidgets.HBox(list(controls.values()), layout=ipywidgets.Layout(flex_flow="row wrap")),
                self.summary,
                self.image,
            ],
        )
        self.widget.add_class("reglab-exploration")
        if build is not None:
            with single_threaded_blas():
                build(self.figure)
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

        Nothing is recomputed or redrawn when no value changes.

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
        if all(self.controls[k].value == v for k, v in values.items()):
            return
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
        >>> exp.redraws, exp.picture[:2] == (b"\\xff\\xd8" if widgets.render_figures() else b"")
        (2, True)
        """
        values = self.values
        key = tuple(values.items())
        if self._cache is not None and key in self._cache and render_figures():
            self.summary.value, self.picture, alt = self._cache[key]
            self._show(alt)
            self.redraws += 1
            return
        if self._build is None:
            self.figure.clear()
        with single_threaded_blas():  # the explorations' matrices are small: one BLAS thread is fastest
            summary = self._draw(self.figure, **values)
        self.summary.value = summary or ""
        # drawn anew, the panels' own facts are current; updated in place, the summary says them
        alt = f"{plotting.alt_text(self.figure, facts=self._build is None)} {_plain(self.summary.value)}".strip()
        if render_figures():
            self.picture = self.render()
            if self._cache is not None:
                self._cache[key] = (self.summary.value, self.picture, alt)
        self._show(alt)
        self.redraws += 1

    def _show(self, alt):
        with self.image.hold_sync():  # one message: the picture and its words change together
            self.image.alt = alt
            self.image.value = self.picture

    def _static(self):
        return tuple((ax.get_xscale(), ax.get_yscale(), tuple(ax.viewLim.bounds)) for ax in self.figure.axes)

    def render(self) -> bytes:
        """Render the figure to JPEG bytes: in full, or only its animated artists over the cached rest.

        Returns
        -------
        bytes
            The JPEG.

        Examples
        --------
        >>> from reglab import widgets
        >>> widgets.l1_explorer().render()[:2]  # the JPEG marker
        b'\\xff\\xd8'
        """
        canvas = self.figure.canvas
        if self._build is None:
            canvas.draw()
            self.full_renders += 1
            return _encode(canvas)
        key = self._static()
        if self._background is None or key != self._static_key:
            canvas.draw()  # everything but the animated artists (layout included)
            self._background = canvas.copy_from_bbox(self.figure.bbox)
            # fixed legends sit above the data: their pixels go back on top after the moving artists
            self._legends = [
                canvas.copy_from_bbox(Bbox.from_extents(*(leg.get_window_extent().extents + [-1, -1, 1, 1])))
                for leg in (ax.get_legend() for ax in self.figure.axes) if leg is not None and not leg.get_animated()
            ]
            self._static_key = self._static()
            self.full_renders += 1
        else:
            canvas.restore_region(self._background)
        renderer = canvas.get_renderer()
        for ax in self.figure.axes:
            for artist in sorted((a for a in ax.get_children() if a.get_animated()), key=lambda a: a.get_zorder()):
                artist.draw(renderer)
        for region in self._legends:
            canvas.restore_region(region)
        return _encode(canvas)

    def _ipython_display_(self):
        display(self.widget)


def _slider(kind, description, **kw):
    """A slider released to update, its readout rounded as :func:`reglab.plotting.fmt` rounds (whole numbers for
    an IntSlider, never "15.0")."""
    style = {"description_width": "initial"}
    readout = "d" if issubclass(kind, ipywidgets.IntSlider) else ".3"  # d3: 3 digits, trailing zeros trimmed
    return kind(description=description, continuous_update=False, style=style, readout_format=readout, **kw)


def _animate(*artists):
    """Mark artists as redrawn on every update (the rest of the figure is rendered once)."""
    for a in artists:
        a.set_animated(True)
    return artists[0] if len(artists) == 1 else artists


def _line(ax, label_start):
    """The line of ``ax`` whose label starts with ``label_start``."""
    return next(line for line in ax.lines if line.get_label().startswith(label_start))


def _relabel(artist, label):
    """Change an artist's label and its entry in its axes' legend."""
    legend = artist.axes.get_legend()
    if legend is not None:
        for text in legend.get_texts():
            if text.get_text() == artist.get_label():
                text.set_text(label)
                break
    artist.set_label(label)


def _contours(ax, H, w_star, extent, old=None):
    """Replace the loss contours ``old`` (if any) by those of H, redrawn on every update."""
    if old is not None:
        old.remove()
    return _animate(plotting.loss_contours(ax, H, w_star, extent))


def _memo(fn):
    """Cache a pure function of hashable slider values (sliders revisit the same discrete values)."""
    cache = {}

    def wrapped(*args):
        if args not in cache:
            cache[args] = fn(*args)
        return cache[args]

    return wrapped


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
    log_alphas = np.arange(-8, 2.125, 0.25)  # the slider's values

    def alpha_of(log10_alpha):
        return 0.0 if log10_alpha <= -8 else 10.0**log10_alpha

    @_memo
    def sweep(log10_alpha):
        tr, va = overfitting.degree_sweep(x, y, xv, yv, degrees, alpha_of(log10_alpha))
        return np.maximum(tr, 1e-12), va

    # every alpha's sweep once, at build: the error axis is then the same for every alpha
    errors = np.concatenate([np.concatenate(sweep(float(la))) for la in log_alphas])
    art = {}

    def build(fig):
        ax1, ax2 = fig.subplots(1, 2)
        plotting.plot_polynomial_fits(x, y, [9], 0.0, ax=ax1, f_true=data.true_function)
        art["fit"] = _animate(_line(ax1, "degree"))
        _relabel(art["fit"], "fit (degree and alpha above)")  # fixed legends are drawn once
        ax1.get_legend().set_loc("lower right")  # a "best" place would depend on the data: not redrawn
        _animate(ax1.title)
        plotting.plot_train_val(degrees, *sweep(-8.0), ax=ax2, xlabel="degree")
        art["train"], art["val"] = _animate(*ax2.lines[:2])
        art["degree"] = _animate(ax2.axvline(9, color="k", ls=":"))
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
            "degree": _slider(ipywidgets.IntSlider, "degree", min=0, max=12, value=9),
            "log10_alpha": _slider(
                ipywidgets.FloatSlider, "log10 alpha (-8 = none)", min=-8, max=2, step=0.25, value=-8
            ),
        },
        draw,
        build=build,
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
    extent = 1.4 * max(np.max(np.abs(w_star)), 1e-3)  # as plotting.plot_l2_geometry
    art = {}

    def build(fig):
        ax1, ax2 = fig.subplots(1, 2, width_ratios=[1.4, 1])
        H = _rotated_hessian(4.0, 0.25, 30)
        plotting.plot_l2_geometry(H, w_star, [1.0], ax=ax1)
        art["contours"] = _animate(ax1.collections[0])
        art["path"], art["w"] = _animate(_line(ax1, "w~ as alpha grows"), _line(ax1, "alpha="))
        art["circle"], *art["arrows"] = _animate(*ax1.patches)
        art["touch"] = _animate(ax1.collections[1])  # the loss contour touching the circle
        _animate(_line(ax1, "w*"))  # between the moving artists, as in the full figure
        _relabel(art["w"], "w~ at this alpha")  # fixed legends are drawn once (the factors: right panel)
        plotting.plot_shrink_factors([4.0, 0.25], 1.0, ax=ax2)
        art["bars"] = _animate(*ax2.patches)
        ax2.set_xticklabels(["lambda_1", "lambda_2"])
        ax2.set_xlabel("eigen-direction")
        _animate(ax2.title)
        art["H"] = H

    def draw(fig, lam1, lam2, angle, alpha):
        ax1, ax2 = fig.axes
        H = _rotated_hessian(lam1, lam2, angle)
        if not np.array_equal(H, art["H"]):  # alpha alone leaves the loss and the ridge path as they are
            art["contours"] = _contours(ax1, H, w_star, extent, old=art["contours"])
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
        art["touch"] = _animate(plotting.touching_contour(ax1, H, w_star, extent, [wt]))
        for bar, h in zip(art["bars"], f):
            bar.set_height(h)
        fmt = plotting.fmt
        ax2.set_title(f"alpha = {fmt(alpha)}; lambda = {fmt(lam1)}, {fmt(lam2)}")
        return (f"w~ = ({wt[0]:.3f}, {wt[1]:.3f}); shrink factors {f[0]:.3f} (lambda = {fmt(lam1)}) and "
                f"{f[1]:.3f} (lambda = {fmt(lam2)})")

    return Exploration(
        "L2 as eigen-rescaling: the low-curvature direction is pulled in most",
        {
            "lam1": _slider(ipywidgets.FloatLogSlider, "lambda_1", base=10, min=-2, max=2, value=4.0),
            "lam2": _slider(ipywidgets.FloatLogSlider, "lambda_2", base=10, min=-2, max=2, value=0.25),
            "angle": _slider(ipywidgets.FloatSlider, "rotation (deg)", min=0, max=90, step=5, value=30),
            "alpha": _slider(ipywidgets.FloatLogSlider, "alpha", base=10, min=-2, max=2, value=1.0),
        },
        draw,
        build=build,
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
    extent = 1.4 * max(np.max(np.abs(w_star)), 1e-3)  # as plotting.plot_l1_l2_geometry
    art = {}

    def build(fig):
        ax1, ax2 = fig.subplots(1, 2, width_ratios=[1.4, 1])
        plotting.plot_l1_l2_geometry(np.eye(2), w_star, 0.5, ax=ax1)
        art["contours"], art["circle"] = _animate(ax1.collections[0], ax1.patches[0])
        art["diamond"], art["w1"], art["w2"] = _animate(
            _line(ax1, "L1 ball"), _line(ax1, "L1 solution"), _line(ax1, "L2 solution"))
        _animate(_line(ax1, "w*"), ax1.title)  # w* between the moving artists, as in the full figure
        # fixed legend labels (the numbers go to the title and the summary): the legends are drawn once
        _relabel(art["w1"], "L1 solution")
        _relabel(art["w2"], "L2 solution")
        plotting.plot_soft_threshold(0.5, ax=ax2, lim=2.0)
        art["soft"], art["span"] = _animate(_line(ax2, "soft threshold"), ax2.patches[0])
        _relabel(art["soft"], "soft threshold at t = alpha")
        ax2.get_legend().set_loc("upper left")  # a "best" place would depend on the data: not redrawn
        ax2.set_title("coordinatewise rule (exact only when rho = 0)")
        art["rho"] = 0.0

    def draw(fig, alpha, rho):
        ax1 = fig.axes[0]
        H = np.array([[1.0, rho], [rho, 1.0]])
        if rho != art["rho"]:  # alpha alone leaves the loss contours as they are
            art["contours"] = _contours(ax1, H, w_star, extent, old=art["contours"])
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
            "alpha": _slider(ipywidgets.FloatSlider, "alpha", min=0.0, max=1.5, step=0.05, value=0.5),
            "rho": _slider(ipywidgets.FloatSlider, "feature correlation rho", min=-0.9, max=0.9, step=0.05, value=0.0),
        },
        draw,
        build=build,
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
    art = {}

    @_memo
    def exact_alphas(eps):  # the curves of plotting.plot_alpha_approximation
        return np.array([early_stopping.equivalent_alpha(lam, eps, t) for t in taus])

    def build(fig):
        ax1, ax2 = fig.subplots(1, 2)
        plotting.plot_gd_vs_ridge(H, w_star, 0.1, 20, ax=ax1)
        art["gd"], art["w_tau"], art["w_tilde"] = _animate(
            _line(ax1, "gradient descent"), _line(ax1, "w(tau)"), _line(ax1, "w~"))
        _animate(_line(ax1, "w*"))  # drawn after the moving points, as in the full figure
        # fixed legends are drawn once: the numbers go to the titles and the summary
        _relabel(art["w_tau"], "w(tau)")
        _relabel(art["w_tilde"], "w~, alpha = 1/(eps tau)")
        plotting.plot_alpha_approximation(lam, 0.1, taus, ax=ax2)
        art["curves"] = _animate(*ax2.lines)
        for line, lam_i in zip(art["curves"], lam):
            _relabel(line, f"exact, lambda = {lam_i:g}")
        ax2.get_legend().set_loc("lower left")  # a "best" place would depend on the data: not redrawn
        art["tau"] = _animate(ax2.axvline(20, color="k", ls=":"))
        _animate(ax1.title, ax2.title)
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
            "eps": _slider(ipywidgets.FloatSlider, "step size eps", min=0.05, max=1.9, step=0.05, value=0.1),
            "tau": _slider(ipywidgets.IntSlider, "steps tau", min=1, max=500, value=20),
        },
        draw,
        build=build,
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
    edges = np.linspace(-4, 4, 31) * np.sqrt(v)  # fixed bins: the error axis stays put
    art = {}

    @_memo
    def simulated(rho):  # Monte Carlo at every ks; depends on rho only
        return [ensembles.simulate_ensemble_mse(v, rho * v, int(kk), trials, np.random.default_rng(seed + int(kk)))
                for kk in ks]

    @_memo
    def monte_carlo(k, rho):
        return ensembles.simulate_ensemble_mse(v, rho * v, k, trials, np.random.default_rng(seed + 1000))

    def build(fig):
        ax1, ax2 = fig.subplots(1, 2)
        plotting.plot_ensemble_mse(v, 0.3 * v, ks, simulated=simulated(0.3), ax=ax1)
        art["formula"], art["mc"], art["limit"] = _animate(
            _line(ax1, "v/k"), _line(ax1, "Monte Carlo"), _line(ax1, "limit c"))
        art["k"] = _animate(ax1.axvline(5, color="k", ls=":"))
        ax1.get_legend().set_loc("lower left")  # a "best" place would depend on the data: not redrawn
        _animate(ax1.title)
        ax1.set_ylim(-0.05 * v, 1.1 * v)
        plotting.plot_error_histograms(ensembles.correlated_errors(v, 0.3 * v, 5, 400, seed), ax=ax2, bins=edges)
        art["bars"] = _animate(*ax2.patches)
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
            "k": _slider(ipywidgets.IntSlider, "ensemble size k", min=1, max=50, value=5),
            "rho": _slider(ipywidgets.FloatSlider, "error correlation c/v", min=0.0, max=1.0, step=0.05, value=0.3),
        },
        draw,
        build=build,
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

    art = {}

    @_memo
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
        art["bars"] = _animate(*ax1.patches, *ax2.patches)
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
            "keep_prob": _slider(ipywidgets.FloatSlider, "keep probability", min=0.05, max=1.0, step=0.05, value=0.5),
            "n_masks": _slider(ipywidgets.IntSlider, "Monte Carlo masks", min=1, max=500, value=10),
        },
        draw,
        build=build,
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
        art["train"], art["val"], art["best"] = _animate(*ax1.lines)
        ax1.get_legend().set_loc("lower left")  # a "best" place would depend on the data: not redrawn
        _animate(ax1.title)
        ax1.set_ylim(1e-4, 10)  # one error axis for every setting (noise 0 drives training error below it)
        art["points"] = _animate(ax2.scatter(x, y, color="k", s=14, zorder=3, label="training points"))
        ax2.plot(grid, data.true_function(grid), "k--", lw=1, label="sin(pi x)")
        art["at_best"] = _animate(ax2.plot(grid, F_grid @ c["w"][0], label="at the best step")[0])
        art["at_end"] = _animate(ax2.plot(grid, F_grid @ c["w"][-1], label=f"after {steps[-1]:,} steps")[0])
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
            "log10_alpha": _slider(ipywidgets.FloatSlider, "log10 alpha (-6 = none)", min=-6, max=0, step=0.25,
                                   value=-6),
            "keep_prob": _slider(ipywidgets.FloatSlider, "keep probability", min=0.2, max=1.0, step=0.05, value=1.0),
            "noise": _slider(ipywidgets.FloatSlider, "noise", min=0.0, max=1.0, step=0.05, value=0.3),
            "n_train": _slider(ipywidgets.IntSlider, "training points", min=5, max=80, value=15),
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
        art["alpha"] = _animate(ax1.lines[-1])
        ax1.set_title(f"{n_problems} random problems, 10 weights each")
        plotting.plot_weight_magnitudes(W1[0], W2[0], ax=ax2, floor=floor, bins=bins)
        art["bars"] = _animate(*ax2.patches)
        for text, name in zip(ax2.get_legend().get_texts(), ("L1 (LASSO)", "L2 (ridge)")):
            text.set_text(name)  # fixed legend, drawn once: the counts go to the title and the summary
        _animate(ax2.title)
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
        {"log10_alpha": _slider(ipywidgets.FloatSlider, "log10 alpha", min=-1, max=2, step=0.125, value=0.5)},
        draw,
        build=build,
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
        plotting.plot_capstone(result.table, ax=ax3, highlight=method)
        r = result.table[method]
        return (f"<b>{method}</b> ({plotting.fmt_setting(r['setting'])}): training loss {r['train_loss']:.3f}, "
                f"validation loss {r['val_loss']:.3f}, test loss {r['test_loss']:.3f}, test accuracy "
                f"{r['test_acc']:.3f}; exact zeros in the first layer: {r['zeros_first_layer']:.0f}")

    return Exploration(
        "Capstone: every regularizer tuned on validation, compared once on test",
        {"method": ipywidgets.Dropdown(options=methods, value=methods[0], description="method")},
        draw,
        figsize=(10.25, 4.2),
        cache=True,
    )
