"""Session 6's exploration (the capstone's comparison): :func:`capstone_sweep_explorer`."""

from __future__ import annotations

import ipywidgets

from .. import plotting
from .exploration import Exploration

__all__ = [
    "capstone_sweep_explorer",
]


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
