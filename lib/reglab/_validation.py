"""Input checks shared by every module: each raises ``ValueError`` with a message a student can act on."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_float_array",
    "check_nonneg_scalar",
    "check_positive_scalar",
    "check_keep_prob",
    "check_int",
    "check_sym_psd",
    "as_rng",
]


def as_float_array(x, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Convert ``x`` to a float64 array, checking dimensionality and finiteness."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric array-like, got {type(x).__name__}") from exc
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _check_scalar(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        arr = np.asarray(value)
        if arr.ndim != 0 or not np.issubdtype(arr.dtype, np.number):
            raise ValueError(f"{name} must be a real number, got {value!r}")
        value = arr.item()
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_nonneg_scalar(value, name: str) -> float:
    """A finite real number >= 0 (e.g. a penalty strength alpha)."""
    value = _check_scalar(value, name)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def check_positive_scalar(value, name: str) -> float:
    """A finite real number > 0 (e.g. a learning rate)."""
    value = _check_scalar(value, name)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return value


def check_keep_prob(value, name: str = "keep_prob") -> float:
    """A keep probability in (0, 1]. (PyTorch's ``p`` is the *drop* probability 1 - keep_prob.)"""
    value = _check_scalar(value, name)
    if not 0.0 < value <= 1.0:
        raise ValueError(
            f"{name} must be in (0, 1], got {value}. It is the probability of KEEPING a unit; "
            "PyTorch's Dropout(p) uses the drop probability, keep_prob = 1 - p."
        )
    return value


def check_int(value, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer (Python or numpy) within optional bounds."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


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


def as_rng(rng) -> np.random.Generator:
    """Accept a ``numpy.random.Generator`` or an integer seed; anything else is an error."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (numbers.Integral, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise ValueError(
        "rng must be a numpy.random.Generator (e.g. numpy.random.default_rng(0)) or an integer seed, "
        f"got {rng!r}"
    )
