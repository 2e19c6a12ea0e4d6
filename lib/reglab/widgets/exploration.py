"""The explorations' rendering engine: :class:`Exploration` and the building blocks the explorations share.

Every exploration is an :class:`Exploration`: a set of ipywidgets controls, a matplotlib ``Figure``
owned by the exploration (no pyplot state), and a draw function from :mod:`reglab.plotting`. The
figure is shown as a JPEG in a small image widget of its own (``Exploration.image``) that carries an
alternative text, so it renders the same in JupyterLab, in Notebook 7 and in a headless test, where
:meth:`Exploration.update` drives the same code path a slider does.

Here: the picture widget and its encoding (:class:`_Picture`, JPEG), blitting and the cache of
:class:`Exploration`, :func:`render_figures` (off under grading), and the helpers every session's
explorations build on: :func:`slider`, :func:`animate`, :func:`labelled_line`, :func:`relabel`,
:func:`replace_contours` and :func:`memo`.
"""

from __future__ import annotations

import html
import io
import os
import re
from collections.abc import Callable

import anywidget
import ipywidgets
import traitlets
from IPython.display import display
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from PIL import Image as PILImage

from .. import plotting
from .._kernels import single_threaded_blas

__all__ = [
    "Exploration",
    "render_figures",
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
    >>> from reglab.widgets.exploration import _Picture
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


def slider(kind, description, **kw):
    """A slider released to update, its readout rounded as :func:`reglab.plotting.fmt` rounds (whole numbers for
    an IntSlider, never "15.0")."""
    style = {"description_width": "initial"}
    readout = "d" if issubclass(kind, ipywidgets.IntSlider) else ".3"  # d3: 3 digits, trailing zeros trimmed
    return kind(description=description, continuous_update=False, style=style, readout_format=readout, **kw)


def animate(*artists):
    """Mark artists as redrawn on every update (the rest of the figure is rendered once)."""
    for a in artists:
        a.set_animated(True)
    return artists[0] if len(artists) == 1 else artists


def labelled_line(ax, label_start):
    """The line of ``ax`` whose label starts with ``label_start``."""
    return next(line for line in ax.lines if line.get_label().startswith(label_start))


def relabel(artist, label):
    """Change an artist's label and its entry in its axes' legend."""
    legend = artist.axes.get_legend()
    if legend is not None:
        for text in legend.get_texts():
            if text.get_text() == artist.get_label():
                text.set_text(label)
                break
    artist.set_label(label)


def replace_contours(ax, H, w_star, extent, old=None):
    """Replace the loss contours ``old`` (if any) by those of H, redrawn on every update."""
    if old is not None:
        old.remove()
    return animate(plotting.loss_contours(ax, H, w_star, extent))


def memo(fn):
    """Cache a pure function of hashable slider values (sliders revisit the same discrete values)."""
    cache = {}

    def wrapped(*args):
        if args not in cache:
            cache[args] = fn(*args)
        return cache[args]

    return wrapped

