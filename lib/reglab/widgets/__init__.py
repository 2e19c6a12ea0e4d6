"""Interactive explorations: sliders on top of the computing and plotting functions.

Every exploration is an :class:`Exploration` (:mod:`reglab.widgets.exploration`, the rendering engine): a set of
ipywidgets controls, a matplotlib ``Figure`` owned by the exploration (no pyplot state), and a draw function from
:mod:`reglab.plotting`. The figure is shown as a JPEG in a small image widget of its own (``Exploration.image``) that
carries an alternative text, so it renders the same in JupyterLab, in Notebook 7 and in a headless test, where
:meth:`Exploration.update` drives the same code path a slider does.

Each session's explorations live in a module named after its notebook; the notebooks call them from here
(``widgets.l2_explorer()``):

========================================  ==========================================================
module                                    explorations
========================================  ==========================================================
:mod:`reglab.widgets.s00_overfitting`     :func:`polynomial_explorer`
:mod:`reglab.widgets.s01_l2_weight_decay` :func:`l2_explorer`
:mod:`reglab.widgets.s02_l1_lasso`        :func:`l1_explorer`, :func:`l1_zeros_explorer`
:mod:`reglab.widgets.s03_early_stopping`  :func:`early_stopping_explorer`
:mod:`reglab.widgets.s04_bagging`         :func:`ensemble_explorer`
:mod:`reglab.widgets.s05_dropout`         :func:`dropout_explorer`, :func:`learning_curves_explorer`
:mod:`reglab.widgets.s06_capstone`        :func:`capstone_sweep_explorer`
========================================  ==========================================================
"""

from .exploration import Exploration, render_figures
from .s00_overfitting import polynomial_explorer
from .s01_l2_weight_decay import l2_explorer
from .s02_l1_lasso import l1_explorer, l1_zeros_explorer
from .s03_early_stopping import early_stopping_explorer
from .s04_bagging import ensemble_explorer
from .s05_dropout import dropout_explorer, learning_curves_explorer
from .s06_capstone import capstone_sweep_explorer

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
