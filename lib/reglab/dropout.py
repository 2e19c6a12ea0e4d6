"""Session 5 - Dropout, the geometric mean and weight scaling.

Equations (Goodfellow, Bengio & Courville, ch. 7):

* inverted dropout h~ = (m * h) / p, m_j ~ Bernoulli(p), p = keep probability, so E[h~] = h.
* (7.53) arithmetic-mean ensemble sum_mu p(mu) p(y | x, mu) (exact here by enumerating every mask).
* (7.54-7.55) geometric mean prod_mu p(y | x, mu)^p(mu), renormalized over y.
* (7.56-7.66) for softmax regression softmax(W^T v + b) with masked inputs d * v, the renormalized
  geometric mean equals softmax(p W^T v + b): the weight scaling rule is exact.

Convention in the ensemble functions (the book's): a mask multiplies units by 0 or 1 with no 1/p
rescaling, and weight scaling multiplies each layer's input by its keep probability at test time.
Training with inverted dropout instead and predicting with the unscaled network is the same model.
PyTorch's ``nn.Dropout(p)`` uses the DROP probability: keep_prob = 1 - p.

Layers are a list of ``(W, b)`` pairs with ``W`` of shape (n_in, n_out); ReLU between layers and
softmax at the output. A single layer is softmax regression with logits ``v @ W + b``.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, as_rng, check_int, check_keep_prob, check_keep_probs, check_layers, check_scalar

__all__ = [
    "inverted_dropout",
    "inverted_dropout_distribution",
    "keep_prob_from_torch",
    "all_masks",
    "softmax",
    "log_softmax",
    "geometric_mean_ensemble",
    "arithmetic_mean_ensemble",
    "weight_scaling_predict",
    "mc_dropout_predict",
    "mlp_geometric_mean_ensemble",
    "mlp_arithmetic_mean_ensemble",
    "mlp_weight_scaling_predict",
    "mlp_mc_dropout_predict",
    "MAX_ENUMERATED_UNITS",
]

MAX_ENUMERATED_UNITS = 24
_CHUNK_ELEMENTS = 1 << 22  # about 32 MB of float64 per intermediate array


def inverted_dropout(h, keep_prob, rng, return_mask=False):
    """Inverted dropout h~ = (m * h) / keep_prob with m_j ~ Bernoulli(keep_prob).

    E[h~] = h, so nothing changes at test time.

    Parameters
    ----------
    h : array_like
    keep_prob : float in (0, 1]
    rng : numpy.random.Generator or int seed
    return_mask : bool

    Returns
    -------
    h_tilde : ndarray
    mask : ndarray of 0/1 floats, only if ``return_mask``
    """
    h = as_float_array(h, "h")
    p = check_keep_prob(keep_prob)
    rng = as_rng(rng)
    mask = (rng.random(h.shape) < p).astype(float)
    out = mask * h / p
    return (out, mask) if return_mask else out


def inverted_dropout_distribution(h, keep_prob):
    """The two values inverted dropout can give a unit and their probabilities.

    Returns
    -------
    values : ndarray, shape (2,)  -- (h / keep_prob, 0)
    probs : ndarray, shape (2,)   -- (keep_prob, 1 - keep_prob)
    """
    h = float(as_float_array(h, "h", ndim=0))
    p = check_keep_prob(keep_prob)
    return np.array([h / p, 0.0]), np.array([p, 1.0 - p])


def keep_prob_from_torch(p):
    """Convert PyTorch's drop probability ``p`` of ``nn.Dropout(p)`` to a keep probability."""
    p = check_scalar(
        p, "p (the drop probability of torch.nn.Dropout)", 0.0, 1.0, include_high=False,
        hint="p = 1 would drop every unit; keep_prob = 1 - p",
    )
    return 1.0 - p


def all_masks(n):
    """All 2^n binary masks over n units.

    Row i holds the binary digits of i (unit j is bit j), so row 0 drops everything and the last
    row keeps everything.

    Returns
    -------
    ndarray of uint8, shape (2**n, n)
    """
    n = check_int(n, "n", minimum=0, maximum=MAX_ENUMERATED_UNITS)
    idx = np.arange(1 << n, dtype=np.int64)
    return ((idx[:, None] >> np.arange(n, dtype=np.int64)) & 1).astype(np.uint8)


def log_softmax(z, axis=-1):
    """Numerically stable log softmax."""
    return _log_softmax(as_float_array(z, "z", finite=False), check_int(axis, "axis"))


def _log_softmax(z, axis=-1):
    zmax = np.max(z, axis=axis, keepdims=True)
    s = z - zmax
    return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


def softmax(z, axis=-1):
    """Numerically stable softmax."""
    return np.exp(log_softmax(z, axis=axis))


def _softmax(z, axis=-1):
    return np.exp(_log_softmax(z, axis=axis))


# --------------------------------------------------------------------------------------------
# Networks: validation and masked forward passes shared by softmax regression and the MLP.


def _check_inputs(x, n_in):
    x = as_float_array(x, "v", ndim=(1, 2))
    single = x.ndim == 1
    x2 = x[None, :] if single else x
    if x2.shape[1] != n_in:
        raise ValueError(f"inputs have {x2.shape[1]} features but W expects {n_in}")
    return x2, single


def _forward_masked(layers, x, masks_per_layer):
    """Logits for every (example, mask): x (B, n0); masks_per_layer[l] (m, n_l) or None (all kept).

    Returns (B, m, C).
    """
    h = x[:, None, :]
    for l, (W, b) in enumerate(layers):
        if l > 0:
            h = np.maximum(h, 0.0)
        m = masks_per_layer[l]
        if m is not None:
            h = h * m[None, :, :]
        h = h @ W + b
    return h


def _enumerate(layers, x, keep, want_geo, want_arith):
    """Exact p(mu)-weighted geometric and/or arithmetic means over every dropout mask.

    Units whose keep probability is 1 are never dropped and are not enumerated. Masks are generated
    chunk by chunk from their integer index, so memory stays bounded whatever the number of masks.
    """
    widths = [W.shape[0] for W, _ in layers]
    dropped = [l for l in range(len(layers)) if keep[l] < 1.0]
    n_units = sum(widths[l] for l in dropped)
    if n_units > MAX_ENUMERATED_UNITS:
        raise ValueError(
            f"exact enumeration over {n_units} droppable units means 2^{n_units} masks; "
            f"at most {MAX_ENUMERATED_UNITS} units are supported (use Monte Carlo instead)"
        )
    B = x.shape[0]
    C = layers[-1][0].shape[1]
    widest = max(max(widths), C)
    chunk = max(1, _CHUNK_ELEMENTS // max(1, B * widest))
    total = 1 << n_units
    bits = np.arange(n_units, dtype=np.int64)
    geo = np.zeros((B, C))
    arith = np.zeros((B, C))
    for start in range(0, total, chunk):
        idx = np.arange(start, min(start + chunk, total), dtype=np.int64)
        M = ((idx[:, None] >> bits) & 1).astype(float)
        masks = [None] * len(layers)
        logw = np.zeros(len(idx))
        col = 0
        for l in dropped:
            ml = M[:, col : col + widths[l]]
            col += widths[l]
            masks[l] = ml
            k = ml.sum(axis=1)
            p = keep[l]
            logw += k * np.log(p) + (widths[l] - k) * np.log1p(-p)
        w = np.exp(logw)
        logp = _log_softmax(_forward_masked(layers, x, masks), axis=-1)  # (B, m, C)
        if want_geo:
            geo += np.einsum("m,bmc->bc", w, logp)
        if want_arith:
            arith += np.einsum("m,bmc->bc", w, np.exp(logp))
    return _softmax(geo, axis=-1), arith


def _weight_scaled(layers, x, keep):
    h = x
    for l, (W, b) in enumerate(layers):
        if l > 0:
            h = np.maximum(h, 0.0)
        h = (keep[l] * h) @ W + b
    return _softmax(h, axis=-1)


def _mc(layers, x, keep, n_samples, rng, chunk=4096):
    acc = np.zeros((x.shape[0], layers[-1][0].shape[1]))
    done = 0
    while done < n_samples:
        m = min(chunk, n_samples - done)
        masks = [
            None if keep[l] >= 1.0 else (rng.random((m, W.shape[0])) < keep[l]).astype(float)
            for l, (W, _) in enumerate(layers)
        ]
        # the mask axis has length m, or 1 when no layer drops anything (keep_prob = 1): average, then weight by m
        acc += _softmax(_forward_masked(layers, x, masks), axis=-1).mean(axis=1) * m
        done += m
    return acc / n_samples


def _prepare(layers, v, keep_prob):
    layers = check_layers(layers)
    keep = check_keep_probs(keep_prob, len(layers))
    x, single = _check_inputs(v, layers[0][0].shape[0])
    return layers, keep, x, single


def _prepare_softmax(W, b, v, keep_prob):
    """Softmax regression is the one-layer network [(W, b)] with a single (scalar) keep probability."""
    return _prepare([(W, b)], v, check_keep_prob(keep_prob))


def _out(arr, single):
    return arr[0] if single else arr


# ----------------------------------------------------------------------------- MLP (ReLU) API


def mlp_geometric_mean_ensemble(layers, x, keep_prob):
    """Exact renormalized, p(mu)-weighted geometric mean over every dropout mask (7.54-7.55).

    Parameters
    ----------
    layers : list of (W, b)
        ReLU network; softmax output.
    x : array_like, shape (n_in,) or (batch, n_in)
    keep_prob : float or sequence of floats
        Keep probability of each layer's INPUT units (one value, or one per layer). A value of 1
        means that layer has no dropout; only units with keep_prob < 1 are enumerated (<= 24).

    Returns
    -------
    ndarray, shape (n_classes,) or (batch, n_classes)
    """
    layers, keep, x2, single = _prepare(layers, x, keep_prob)
    geo, _ = _enumerate(layers, x2, keep, True, False)
    return _out(geo, single)


def mlp_arithmetic_mean_ensemble(layers, x, keep_prob):
    """Exact arithmetic-mean ensemble sum_mu p(mu) p(y | x, mu) (7.53) over every mask."""
    layers, keep, x2, single = _prepare(layers, x, keep_prob)
    _, arith = _enumerate(layers, x2, keep, False, True)
    return _out(arith, single)


def mlp_weight_scaling_predict(layers, x, keep_prob):
    """Weight scaling inference: every unit kept, each layer's input multiplied by its keep prob."""
    layers, keep, x2, single = _prepare(layers, x, keep_prob)
    return _out(_weight_scaled(layers, x2, keep), single)


def mlp_mc_dropout_predict(layers, x, keep_prob, n_samples, rng):
    """Monte Carlo estimate of (7.53): average softmax over ``n_samples`` sampled masks."""
    layers, keep, x2, single = _prepare(layers, x, keep_prob)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    rng = as_rng(rng)
    return _out(_mc(layers, x2, keep, n_samples, rng), single)


# ------------------------------------------------------------------ softmax regression API


def geometric_mean_ensemble(W, b, v, keep_prob):
    """Exact renormalized geometric mean over all 2^n input masks for softmax regression (7.54-7.55).

    Logits for mask d are (d * v) @ W + b; the p(d)-weighted geometric mean, renormalized over the
    classes, equals ``weight_scaling_predict(W, b, v, keep_prob)`` exactly (7.58-7.66).

    Parameters
    ----------
    W : array_like, shape (n_in, n_classes)
    b : array_like, shape (n_classes,)
    v : array_like, shape (n_in,) or (batch, n_in)
    keep_prob : float in (0, 1]

    Returns
    -------
    ndarray, shape (n_classes,) or (batch, n_classes)
    """
    layers, keep, x2, single = _prepare_softmax(W, b, v, keep_prob)
    return _out(_enumerate(layers, x2, keep, True, False)[0], single)


def arithmetic_mean_ensemble(W, b, v, keep_prob):
    """Exact arithmetic mean sum_d p(d) softmax((d * v) @ W + b) over all 2^n input masks (7.53)."""
    layers, keep, x2, single = _prepare_softmax(W, b, v, keep_prob)
    return _out(_enumerate(layers, x2, keep, False, True)[1], single)


def weight_scaling_predict(W, b, v, keep_prob):
    """Weight scaling rule for softmax regression: softmax(keep_prob * v @ W + b)."""
    layers, keep, x2, single = _prepare_softmax(W, b, v, keep_prob)
    return _out(_weight_scaled(layers, x2, keep), single)


def mc_dropout_predict(W, b, v, keep_prob, n_samples, rng):
    """Monte Carlo dropout: mean of softmax((d * v) @ W + b) over ``n_samples`` sampled masks d."""
    layers, keep, x2, single = _prepare_softmax(W, b, v, keep_prob)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    return _out(_mc(layers, x2, keep, n_samples, as_rng(rng)), single)
