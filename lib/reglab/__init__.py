"""reglab: the helper library of a Jupyter course on regularization for deep learning.

Where each session's mathematics lives:

=======  ===============================  =====================================================
session  module                           equations (Goodfellow et al., ch. 7)
=======  ===============================  =====================================================
0        :mod:`reglab.overfitting`        (7.1) regularized objective, bias-variance, conventions
1        :mod:`reglab.l2`                 (7.4-7.17) weight decay as eigen-rescaling, ridge, AdamW
2        :mod:`reglab.l1`                 (7.18-7.23) soft-thresholding, LASSO, elastic net
3        :mod:`reglab.early_stopping`     (7.35-7.45) GD iterates vs L2, equivalent alpha
4        :mod:`reglab.ensembles`          (7.50) ensemble error, bootstrap, bagging
5        :mod:`reglab.dropout`            (7.53-7.66) inverted dropout, exact mask enumeration
6        :mod:`reglab.mlp`                numpy MLP with L1/L2, dropout and early stopping
=======  ===============================  =====================================================

Session 6 also has :mod:`reglab.capstone` (the reference implementation of the capstone: proximal L1,
inverted dropout, validation sweeps, one fair comparison), :mod:`reglab.augmentation` (label-preserving
transformations of the digits) and :mod:`reglab.playground` (closed-form learning curves).

Supporting modules: :mod:`reglab.data` (seeded data sets), :mod:`reglab.plotting` (figures),
:mod:`reglab.widgets` (explorations), :mod:`reglab.checks` (the self-check harness that test cells
call), :mod:`reglab.gate` (the mastery gate and the progress table), :mod:`reglab.progress` (the progress file),
:mod:`reglab.course` (sessions, questions, gates), :mod:`reglab.release` (student versions, the course
index and the student copy) and :mod:`reglab.selftest` (is a copy of the course ready: ``reglab selftest``).
"""

from importlib.metadata import PackageNotFoundError, version

import numpy as np

from . import (
    augmentation,
    capstone,
    course,
    data,
    dropout,
    early_stopping,
    ensembles,
    l1,
    l2,
    mlp,
    overfitting,
    playground,
)

try:
    __version__ = version("reglab")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

#: session id -> the name of the module holding its mathematics (the sessions themselves, with their questions,
#: are :data:`reglab.course.SESSIONS`)
SESSION_MODULES = {s.id: s.module for s in course.SESSIONS}


def rounded(values, decimals=3):
    """Round numbers for printing, without negative zeros.

    ``np.round`` keeps the sign of a value that rounds to zero, so a tiny negative number (a gradient that is zero
    up to round-off, a coefficient a solver set to ``-0.0``) prints as ``-0.``; adding 0.0 turns every -0.0 into
    0.0 (in IEEE arithmetic -0.0 + 0.0 is +0.0) and changes nothing else. The notebooks print rounded arrays
    through this function.

    Parameters
    ----------
    values : array_like
        The numbers to show.
    decimals : int, default=3
        Decimal places kept.

    Returns
    -------
    numpy.ndarray
        The rounded values as floats, zeros without a sign.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import rounded
    >>> print(np.round([-1e-12, 0.5, -2.0], 3), rounded([-1e-12, 0.5, -2.0], 3))
    [-0.   0.5 -2. ] [ 0.   0.5 -2. ]
    """
    return np.round(np.asarray(values, dtype=float), decimals) + 0.0


__all__ = [
    "augmentation", "capstone", "data", "dropout", "early_stopping", "ensembles", "l1", "l2", "mlp", "overfitting",
    "playground", "rounded", "SESSION_MODULES",
]
