"""Input checks shared by every module, run once at each public entry point.

Public functions call these helpers on their arguments and then hand validated arrays to private
functions that trust them (scikit-learn's ``check_input=False`` pattern), so no check runs inside
a training loop. An argument of the wrong type raises :class:`InvalidTypeError` (a ``TypeError``
that is also a ``ValueError``, like scikit-learn's ``InvalidParameterError``); an argument of the
right type with a wrong value raises ``ValueError``. Every message names the argument, says what
was expected and what was received, and, where a common mix-up explains the mistake, says so.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

__all__ = [
    "InvalidTypeError",
    "as_float_array",
    "check_real",
    "check_scalar",
    "check_nonneg_scalar",
    "check_positive_scalar",
    "check_keep_prob",
    "check_keep_probs",
    "check_int",
    "check_option",
    "check_callable",
    "check_same_length",
    "check_vector_for_matrix",
    "check_sym_psd",
    "check_layers",
    "check_labels",
    "CheckedSplit",
    "check_split",
    "as_rng",
    "as_seed",
]


class InvalidTypeError(TypeError, ValueError):
    """An argument of the wrong type.

    It is a ``TypeError``, and also a ``ValueError`` so that code written to catch the
    ``ValueError`` every bad input raised before keeps working (scikit-learn's
    ``InvalidParameterError`` derives from both for the same reason).
    """


def as_float_array(x, name: str, ndim: int | tuple[int, ...] | None = None, finite: bool = True) -> np.ndarray:
    """Convert ``x`` to a float64 array, checking dimensionality and (unless ``finite=False``) finiteness."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidTypeError(
            f"{name} must be numeric array-like (a number, a list of numbers or a numpy array), "
            f"got {type(x).__name__}"
        ) from exc
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}, got shape {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def check_real(value, name: str) -> float:
    """A real number as a float; NaN and infinity pass (see :func:`check_scalar` for finite values)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        arr = np.asarray(value) if not isinstance(value, str) else np.asarray(None)
        if arr.ndim != 0 or not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
            raise InvalidTypeError(f"{name} must be a real number, got {value!r}")
        value = arr.item()
    return float(value)


def check_scalar(
    value,
    name: str,
    low: float | None = None,
    high: float | None = None,
    *,
    include_low: bool = True,
    include_high: bool = True,
    finite: bool = True,
    hint: str = "",
) -> float:
    """A real number, optionally within [low, high] (each end open or closed), as a float.

    ``hint`` is appended to the range error: say there why the range is what it is.
    """
    value = check_real(value, name)
    if np.isnan(value) or (finite and not np.isfinite(value)):
        raise ValueError(f"{name} must be finite, got {value}")
    too_low = low is not None and (value < low if include_low else value <= low)
    too_high = high is not None and (value > high if include_high else value >= high)
    if too_low or too_high:
        if low is not None and high is not None:
            want = f"in {'[' if include_low else '('}{low:g}, {high:g}{']' if include_high else ')'}"
        elif low is not None:
            want = f"{'>=' if include_low else '>'} {low:g}"
        else:
            want = f"{'<=' if include_high else '<'} {high:g}"
        raise ValueError(f"{name} must be {want}, got {value:g}" + (f". {hint[:1].upper()}{hint[1:]}" if hint else ""))
    return value


def check_nonneg_scalar(value, name: str) -> float:
    """A finite real number >= 0 (e.g. a penalty strength alpha)."""
    return check_scalar(value, name, low=0.0)


def check_positive_scalar(value, name: str) -> float:
    """A finite real number > 0 (e.g. a learning rate)."""
    return check_scalar(value, name, low=0.0, include_low=False)


def check_keep_prob(value, name: str = "keep_prob") -> float:
    """A keep probability in (0, 1]. (PyTorch's ``p`` is the *drop* probability 1 - keep_prob.)"""
    return check_scalar(
        value, name, 0.0, 1.0, include_low=False,
        hint="It is the probability of KEEPING a unit; PyTorch's Dropout(p) uses the drop probability, "
        "keep_prob = 1 - p",
    )


def check_keep_probs(keep_prob, n_layers: int) -> list[float]:
    """One keep probability per layer input: a scalar is repeated, a sequence must have one per layer."""
    if np.ndim(keep_prob) == 0:
        return [check_keep_prob(keep_prob)] * n_layers
    if isinstance(keep_prob, (str, bytes)) or np.ndim(keep_prob) != 1:
        raise InvalidTypeError(f"keep_prob must be a number or a sequence of numbers, got {keep_prob!r}")
    keep = list(keep_prob)
    if len(keep) != n_layers:
        raise ValueError(
            f"keep_prob needs one value per layer input ({n_layers} layers), got {len(keep)}; "
            "use 1 for a layer without dropout"
        )
    return [check_keep_prob(p, f"keep_prob[{i}]") for i, p in enumerate(keep)]


def check_int(value, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer (Python or numpy; a float with an integer value is accepted) within optional bounds."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise InvalidTypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_option(value, name: str, options: Mapping[str, str]):
    """One of the keys of ``options`` (name -> what it means); the error lists every choice and its meaning."""
    if isinstance(value, str) and value in options:
        return value
    choices = ", ".join(f"{k!r} ({meaning})" for k, meaning in options.items())
    raise ValueError(f"{name} must be one of {choices}; got {value!r}")


def check_callable(value, name: str, signature: str):
    """A callable; ``signature`` (e.g. ``"fit(X, y) -> model"``) says how it will be called."""
    if not callable(value):
        raise InvalidTypeError(f"{name} must be a function {signature}, got {type(value).__name__}")
    return value


def check_same_length(a, b, a_name: str = "X", b_name: str = "y", unit: str = "rows") -> None:
    """``a`` and ``b`` describe the same examples: equal first dimensions."""
    na, nb = len(a), len(b)
    if na != nb:
        raise ValueError(
            f"{a_name} has {na} {unit} but {b_name} has {nb}: they must describe the same examples, one "
            f"{unit[:-1] if unit.endswith('s') else unit} each"
        )


def check_vector_for_matrix(w, H, w_name: str = "w_star", H_name: str = "H") -> None:
    """A vector with one entry per row of the square matrix ``H`` (e.g. w* for the Hessian H)."""
    if w.shape[0] != H.shape[0]:
        raise ValueError(
            f"{w_name} has length {w.shape[0]} but {H_name} is {H.shape[0]}x{H.shape[1]}: "
            f"{H_name} needs one row and column per entry of {w_name}"
        )


def check_sym_psd(H, name: str = "H", rtol: float = 1e-8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check that ``H`` is a symmetric positive semidefinite matrix.

    Returns ``(H, eigvals, Q)`` with ``H = Q diag(eigvals) Q^T``; eigenvalues within
    round-off of zero are clipped to exactly 0.
    """
    H = as_float_array(H, name, ndim=2)
    if H.shape[0] != H.shape[1]:
        raise ValueError(f"{name} must be square, got shape {H.shape}")
    scale = max(1.0, float(np.max(np.abs(H)))) if H.size else 1.0
    if not np.allclose(H, H.T, rtol=0, atol=rtol * scale * 10):
        raise ValueError(f"{name} must be symmetric (a Hessian is); max |H - H^T| = {np.max(np.abs(H - H.T)):.3g}")
    H = 0.5 * (H + H.T)
    eigvals, Q = np.linalg.eigh(H)
    tol = rtol * scale * max(H.shape[0], 1)
    if eigvals.size and eigvals.min() < -tol:
        raise ValueError(
            f"{name} must be positive semidefinite (the quadratic approximation is taken at a minimum); "
            f"smallest eigenvalue is {eigvals.min():.3g}"
        )
    # Eigenvalues below numpy.linalg.matrix_rank's tolerance are round-off: make them exactly 0,
    # so a singular H is treated as singular (and alpha = 0 gives the minimum-norm answer).
    zero_tol = (np.max(np.abs(eigvals)) if eigvals.size else 0.0) * max(H.shape[0], 1) * np.finfo(float).eps
    eigvals = np.where(eigvals <= zero_tol, 0.0, eigvals)
    return H, eigvals, Q


def check_layers(layers) -> list[tuple[np.ndarray, np.ndarray]]:
    """A non-empty list of ``(W, b)`` pairs, W of shape (n_in, n_out), b of shape (n_out,), chained."""
    if not isinstance(layers, (list, tuple)):
        raise InvalidTypeError(
            f"layers must be a list of (W, b) pairs, e.g. reglab.mlp.init_mlp([2, 8, 3], rng), "
            f"got {type(layers).__name__}"
        )
    if len(layers) == 0:
        raise ValueError("layers must be a non-empty list of (W, b) pairs")
    out = []
    prev = None
    for i, pair in enumerate(layers):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise InvalidTypeError(f"layer {i} must be a (W, b) pair, got {type(pair).__name__}")
        W = as_float_array(pair[0], f"W of layer {i}", ndim=2)
        b = as_float_array(pair[1], f"b of layer {i}", ndim=1)
        if b.shape[0] != W.shape[1]:
            raise ValueError(f"layer {i}: W has {W.shape[1]} outputs (columns) but b has length {b.shape[0]}")
        if prev is not None and W.shape[0] != prev:
            raise ValueError(
                f"layer {i} expects {W.shape[0]} inputs (rows of W) but layer {i - 1} gives {prev} outputs"
            )
        prev = W.shape[1]
        out.append((W, b))
    return out


def check_labels(y, n_classes: int, name: str = "y") -> np.ndarray:
    """A 1-D array of integer class labels in [0, n_classes)."""
    y = np.asarray(y)
    if y.ndim != 1 or not (np.issubdtype(y.dtype, np.integer) or y.size == 0):
        raise InvalidTypeError(
            f"{name} must be a 1-D array of integer class labels in [0, {n_classes}), "
            f"got dtype {y.dtype} and shape {y.shape}"
        )
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"labels in {name} must lie in [0, {n_classes}) (one per output unit), "
            f"got values from {y.min()} to {y.max()}"
        )
    return y.astype(np.intp, copy=False)


class CheckedSplit(NamedTuple):
    """A train / validation / test data set after :func:`check_split`: float inputs, integer labels."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int


_SPLIT_ARRAYS = ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test")


def check_split(split, name: str = "split") -> CheckedSplit:
    """A train / validation / test data set such as :class:`reglab.data.Split`, each of its six arrays checked.

    Each X is 2-D, finite, non-empty and has the training inputs' columns; each y has one integer label per row
    of its X, in [0, n_classes) (``split.n_classes``: one more than the largest label of the three sets).
    """
    missing = [a for a in _SPLIT_ARRAYS if not hasattr(split, a)]
    if missing:
        raise InvalidTypeError(
            f"{name} must be a train / validation / test data set with X_train, y_train, X_val, y_val, X_test and "
            f"y_test, e.g. reglab.data.digits_split(n_train=300, n_val=300, n_test=600, rng=0); got "
            + ("None (does the code that makes it return it?)" if split is None
               else f"{type(split).__name__}, which has no {', '.join(missing)}")
        )
    arrays, labels = {}, {}
    for part in ("train", "val", "test"):
        X = as_float_array(getattr(split, f"X_{part}"), f"{name}.X_{part}", ndim=2)
        if X.shape[0] == 0:
            raise ValueError(f"{name}.X_{part} has no rows: every set needs at least one example")
        if part != "train" and X.shape[1] != arrays["X_train"].shape[1]:
            raise ValueError(
                f"{name}.X_{part} has {X.shape[1]} features (columns) but {name}.X_train has "
                f"{arrays['X_train'].shape[1]}: the three sets must describe the same features"
            )
        y = np.asarray(getattr(split, f"y_{part}"))
        if y.ndim == 1:
            check_same_length(X, y, f"{name}.X_{part}", f"{name}.y_{part}")
        arrays[f"X_{part}"], labels[part] = X, y
    n_classes = check_int(getattr(split, "n_classes", None), f"{name}.n_classes", minimum=2)
    for part, y in labels.items():
        arrays[f"y_{part}"] = check_labels(y, n_classes, f"{name}.y_{part}")
    return CheckedSplit(**arrays, n_classes=n_classes)


def as_rng(rng, name: str = "rng") -> np.random.Generator:
    """Accept a ``numpy.random.Generator`` or an integer seed; anything else is an error."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (numbers.Integral, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise InvalidTypeError(
        f"{name} must be a numpy.random.Generator (e.g. numpy.random.default_rng(0)) or an integer seed, "
        f"got {rng!r}"
    )


def as_seed(rng, name: str = "rng") -> int:
    """An integer seed from ``rng``: an int is returned as is, a Generator draws one.

    For functions that derive several reproducible streams (seed, seed + 1, ...) from one ``rng``.
    """
    if isinstance(rng, (numbers.Integral, np.integer)) and not isinstance(rng, bool):
        return int(rng)
    return int(as_rng(rng, name).integers(2**31))
