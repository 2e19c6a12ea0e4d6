"""Numerical kernels shared by the session modules, on inputs the caller has already validated.

The public functions of :mod:`reglab.dropout` and :mod:`reglab.mlp` validate their arguments once
and then call these inside their loops (no checks here, by design).
"""

from __future__ import annotations

import numpy as np


def log_softmax(z, axis=-1):
    """Numerically stable log softmax of a float array (the maximum is subtracted first)."""
    zmax = np.max(z, axis=axis, keepdims=True)
    s = z - zmax
    return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


def softmax(z, axis=-1):
    """Numerically stable softmax of a float array."""
    return np.exp(log_softmax(z, axis=axis))


def soft_threshold(x, t):
    """sign(x) * max(|x| - t, 0) elementwise: the proximal step of t * |x| (exact zeros where |x| <= t)."""
    return np.sign(x) * np.maximum(np.abs(x) - t, 0.0)


def single_threaded_blas():
    """A context in which BLAS/LAPACK use one thread.

    The course's matrices are small (tens to hundreds of rows): threads cost more to start and
    synchronize than they save, and on a busy machine they spin against each other (measured here:
    a 100 x 100 eigendecomposition 2 ms on one thread, 300 ms with OpenBLAS's default threads on two
    loaded cores).
    """
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    return threadpool_limits(limits=1, user_api="blas")
