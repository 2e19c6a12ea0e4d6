"""Session 5 - Dropout, the geometric mean and weight scaling.

Equations (Goodfellow, Bengio & Courville, ch. 7):

* inverted dropout h~ = (m * h) / p, m_j ~ Bernoulli(p), p = keep probability, so E[h~] = h.
* (7.53) arithmetic-mean ensemble sum_mu p(mu) p(y | x, mu) (exact here by enumerating every mask).
* (7.54-7.55) geometric mean prod_mu p(y | x, mu)^p(mu), renormalized over y.
* (7.56-7.66) for softmax regression softmax(W^T v + b) with masked inputs d * v, the renormalized
  geometric mean equals softmax(p W^T v + b): the weight scaling rule is exact.
* variance shift: inverted dropout keeps a unit's mean but raises its variance in training,
  E[h~^2] = E[h^2] / p, so a batch normalization after it estimates a variance that test time no
  longer has (:func:`variance_shift`).
* weight noise: for a linear model, noise eta ~ N(0, sigma^2 I) on the weights adds sigma^2 ||x||^2
  to the expected squared error (:func:`weight_noise_penalty`).

Convention in the ensemble functions (the book's): a mask multiplies units by 0 or 1 with no 1/p
rescaling, and weight scaling multiplies each layer's input by its keep probability at test time.
Training with inverted dropout instead and predicting with the unscaled network is the same model.
PyTorch's ``nn.Dropout(p)`` uses the DROP probability: keep_prob = 1 - p.

Layers are a list of ``(W, b)`` pairs with ``W`` of shape (n_in, n_out); ReLU between layers and
softmax at the output. A single layer is softmax regression with logits ``v @ W + b``.
"""

from __future__ import annotations

import numpy as np

from ._kernels import log_softmax as _log_softmax
from ._kernels import softmax as _softmax
from ._validation import (
    as_float_array,
    as_rng,
    check_int,
    check_keep_prob,
    check_keep_probs,
    check_layers,
    check_scalar,
)

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
    "mask_std",
    "masks_needed",
    "mc_dropout_accuracy",
    "variance_shift",
    "weight_noise_penalty",
    "mlp_geometric_mean_ensemble",
    "mlp_arithmetic_mean_ensemble",
    "mlp_weight_scaling_predict",
    "mlp_mc_dropout_predict",
    "MAX_ENUMERATED_UNITS",
]

MAX_ENUMERATED_UNITS = 24
_CHUNK_ELEMENTS = 1 << 22  # about 32 MB of float64 per intermediate array


def inverted_dropout(h, keep_prob, rng, return_mask=False):
    """Apply inverted dropout h~ = (m * h) / keep_prob with m_j ~ Bernoulli(keep_prob).

    E[h~] = h, so nothing changes at test time.

    Parameters
    ----------
    h : array-like
        Activations, any shape.
    keep_prob : float
        Probability of keeping each unit, in (0, 1].
    rng : int or numpy.random.Generator
        Seed or generator of the masks.
    return_mask : bool, default=False
        Also return the mask.

    Returns
    -------
    h_tilde : ndarray
        Dropped and rescaled activations, the shape of h.
    mask : ndarray
        The 0/1 mask (floats), only if ``return_mask``.

    Raises
    ------
    ValueError
        If keep_prob is outside (0, 1] (it is the probability of KEEPING a unit) or h is not finite.
    TypeError
        If rng is neither an int nor a Generator.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import dropout
    >>> out, mask = dropout.inverted_dropout(np.full(6, 3.0), 0.5, rng=0, return_mask=True)
    >>> bool(np.all(out == 6.0 * mask))
    True
    """
    h = as_float_array(h, "h")
    p = check_keep_prob(keep_prob)
    rng = as_rng(rng)
    mask = (rng.random(h.shape) < p).astype(float)
    out = mask * h / p
    return (out, mask) if return_mask else out


def inverted_dropout_distribution(h, keep_prob):
    """List the two values inverted dropout can give a unit and their probabilities.

    Parameters
    ----------
    h : float
        The unit's activation.
    keep_prob : float
        Keep probability, in (0, 1].

    Returns
    -------
    values : ndarray of shape (2,)
        The values h / keep_prob (kept) and 0 (dropped).
    probs : ndarray of shape (2,)
        Their probabilities keep_prob and 1 - keep_prob.

    Raises
    ------
    ValueError
        If h is not a single finite number or keep_prob is outside (0, 1].

    Examples
    --------
    >>> from reglab import dropout
    >>> values, probs = dropout.inverted_dropout_distribution(3.0, 0.6)
    >>> values.tolist(), probs.round(2).tolist(), float(values @ probs)
    ([5.0, 0.0], [0.6, 0.4], 3.0)
    """
    h = float(as_float_array(h, "h", ndim=0))
    p = check_keep_prob(keep_prob)
    return np.array([h / p, 0.0]), np.array([p, 1.0 - p])


def keep_prob_from_torch(p):
    """Convert PyTorch's drop probability ``p`` of ``nn.Dropout(p)`` to a keep probability.

    Parameters
    ----------
    p : float
        Drop probability, in [0, 1).

    Returns
    -------
    float
        The keep probability 1 - p.

    Raises
    ------
    ValueError
        If p is outside [0, 1).
    TypeError
        If p is not a number.

    Examples
    --------
    >>> from reglab import dropout
    >>> dropout.keep_prob_from_torch(0.2)
    0.8
    """
    p = check_scalar(
        p, "p (the drop probability of torch.nn.Dropout)", 0.0, 1.0, include_high=False,
        hint="p = 1 would drop every unit; keep_prob = 1 - p",
    )
    return 1.0 - p


def all_masks(n):
    """List all 2^n binary masks over n units.

    Row i holds the binary digits of i (unit j is bit j), so row 0 drops everything and the last
    row keeps everything.

    Parameters
    ----------
    n : int
        Number of units, in [0, MAX_ENUMERATED_UNITS].

    Returns
    -------
    ndarray of shape (2**n, n)
        The masks, dtype uint8.

    Raises
    ------
    ValueError
        If n is negative or above MAX_ENUMERATED_UNITS (24).

    Examples
    --------
    >>> from reglab import dropout
    >>> dropout.all_masks(2).tolist()
    [[0, 0], [1, 0], [0, 1], [1, 1]]
    """
    n = check_int(n, "n", minimum=0, maximum=MAX_ENUMERATED_UNITS)
    idx = np.arange(1 << n, dtype=np.int64)
    return ((idx[:, None] >> np.arange(n, dtype=np.int64)) & 1).astype(np.uint8)


def log_softmax(z, axis=-1):
    """Compute the log softmax, numerically stable (the maximum is subtracted first).

    Parameters
    ----------
    z : array-like
        Logits; infinite values are allowed.
    axis : int, default=-1
        Axis over which the probabilities sum to 1.

    Returns
    -------
    ndarray
        The log-probabilities log softmax(z), the shape of z.

    Raises
    ------
    TypeError
        If z is not numeric or axis is not an integer.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import dropout
    >>> dropout.log_softmax(np.array([1000.0, 1000.0]))
    array([-0.6931, -0.6931])
    """
    return _log_softmax(as_float_array(z, "z", finite=False), check_int(axis, "axis"))


def softmax(z, axis=-1):
    """Compute the softmax, numerically stable.

    Parameters
    ----------
    z : array-like
        Logits; infinite values are allowed.
    axis : int, default=-1
        Axis over which the probabilities sum to 1.

    Returns
    -------
    ndarray
        The probabilities softmax(z), the shape of z.

    Raises
    ------
    TypeError
        If z is not numeric or axis is not an integer.

    Examples
    --------
    >>> from reglab import dropout
    >>> dropout.softmax([0.0, 0.0, 0.0, 0.0])
    array([0.25, 0.25, 0.25, 0.25])
    """
    return _softmax(as_float_array(z, "z", finite=False), check_int(axis, "axis"))


# --------------------------------------------------------------------------------------------
# Networks: validation and masked forward passes shared by softmax regression and the MLP.


def _check_inputs(x, n_in, name):
    x = as_float_array(x, name, ndim=(1, 2))
    single = x.ndim == 1
    x2 = x[None, :] if single else x
    if x2.shape[1] != n_in:
        raise ValueError(f"inputs have {x2.shape[1]} features but W expects {n_in}")
    return x2, single


def _forward_masked(layers, x, masks_per_layer):
    """Logits for every (example, mask): x (B, n0); masks_per_layer[layer] (m, n_l) or None (all kept).

    Returns (B, m, C).
    """
    h = x[:, None, :]
    for layer, (W, b) in enumerate(layers):
        if layer > 0:
            h = np.maximum(h, 0.0)
        m = masks_per_layer[layer]
        if m is not None:
            h = h * m[None, :, :]
        h = h @ W + b
    return h


def _enumerate(layers, x, keep, want_geo, want_arith, want_second=False):
    """Exact p(mu)-weighted geometric and/or arithmetic means over every dropout mask.

    Units whose keep probability is 1 are never dropped and are not enumerated. Masks are generated
    chunk by chunk from their integer index, so memory stays bounded whatever the number of masks.
    """
    widths = [W.shape[0] for W, _ in layers]
    dropped = [layer for layer in range(len(layers)) if keep[layer] < 1.0]
    n_units = sum(widths[layer] for layer in dropped)
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
    second = np.zeros((B, C))
    for start in range(0, total, chunk):
        idx = np.arange(start, min(start + chunk, total), dtype=np.int64)
        M = ((idx[:, None] >> bits) & 1).astype(float)
        masks = [None] * len(layers)
        logw = np.zeros(len(idx))
        col = 0
        for layer in dropped:
            ml = M[:, col : col + widths[layer]]
            col += widths[layer]
            masks[layer] = ml
            k = ml.sum(axis=1)
            p = keep[layer]
            logw += k * np.log(p) + (widths[layer] - k) * np.log1p(-p)
        w = np.exp(logw)
        logp = _log_softmax(_forward_masked(layers, x, masks), axis=-1)  # (B, m, C)
        if want_geo:
            geo += np.einsum("m,bmc->bc", w, logp)
        if want_arith or want_second:
            prob = np.exp(logp)
            arith += np.einsum("m,bmc->bc", w, prob)
            if want_second:
                second += np.einsum("m,bmc->bc", w, prob * prob)
    if want_second:
        return _softmax(geo, axis=-1), arith, second
    return _softmax(geo, axis=-1), arith


def _weight_scaled(layers, x, keep):
    h = x
    for layer, (W, b) in enumerate(layers):
        if layer > 0:
            h = np.maximum(h, 0.0)
        h = (keep[layer] * h) @ W + b
    return _softmax(h, axis=-1)


def _mc(layers, x, keep, n_samples, rng, chunk=4096):
    acc = np.zeros((x.shape[0], layers[-1][0].shape[1]))
    done = 0
    while done < n_samples:
        m = min(chunk, n_samples - done)
        masks = [
            None if keep[layer] >= 1.0 else (rng.random((m, W.shape[0])) < keep[layer]).astype(float)
            for layer, (W, _) in enumerate(layers)
        ]
        # the mask axis has length m, or 1 when no layer drops anything (keep_prob = 1): average, then weight by m
        acc += _softmax(_forward_masked(layers, x, masks), axis=-1).mean(axis=1) * m
        done += m
    return acc / n_samples


def _prepare(layers, x, keep_prob, name="x"):
    """The MLP functions' inputs checked; ``name`` is the argument's name in the errors (x, or v for softmax)."""
    layers = check_layers(layers)
    keep = check_keep_probs(keep_prob, len(layers))
    x, single = _check_inputs(x, layers[0][0].shape[0], name)
    return layers, keep, x, single


def _prepare_softmax(W, b, v, keep_prob):
    """Softmax regression is the one-layer network [(W, b)] with a single (scalar) keep probability."""
    return _prepare([(W, b)], v, check_keep_prob(keep_prob), name="v")


def _out(arr, single):
    return arr[0] if single else arr


# ----------------------------------------------------------------------------- MLP (ReLU) API


def mlp_geometric_mean_ensemble(layers, x, keep_prob):
    """Compute the exact renormalized, p(mu)-weighted geometric mean over every dropout mask (7.54-7.55).

    Only units with keep probability below 1 are enumerated (at most MAX_ENUMERATED_UNITS = 24);
    masks are generated chunk by chunk, so memory stays bounded.

    Parameters
    ----------
    layers : list of (W, b) pairs
        ReLU network with softmax output; W of shape (n_in, n_out), b of shape (n_out,).
    x : array-like of shape (n_in,) or (n_samples, n_in)
        One input or a batch of inputs.
    keep_prob : float or sequence of float
        Keep probability of each layer's INPUT units, in (0, 1]: one value for every layer, or one
        per layer. A value of 1 means that layer has no dropout.

    Returns
    -------
    ndarray of shape (n_classes,) or (n_samples, n_classes)
        Class probabilities (rows sum to 1), one row per input.

    Raises
    ------
    ValueError
        If more than MAX_ENUMERATED_UNITS (24) units have a keep probability below 1, the layers do
        not chain, x does not have n_in features, or a keep probability is outside (0, 1].
    TypeError
        If layers is not a list of (W, b) pairs or an argument is not numeric.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import dropout
    >>> rng = np.random.default_rng(0)
    >>> layers = [(rng.normal(size=(3, 4)), np.zeros(4)), (rng.normal(size=(4, 2)), np.zeros(2))]
    >>> x = rng.normal(size=3)
    >>> p = dropout.mlp_geometric_mean_ensemble(layers, x, [0.5, 0.5])
    >>> p.shape, round(float(p.sum()), 12)
    ((2,), 1.0)
    """
    layers, keep, x2, single = _prepare(layers, x, keep_prob)
    geo, _ = _enumerate(layers, x2, keep, True, False)
    return _out(geo, single)


def mlp_arithmetic_mean_ensemble(layers, x, keep_prob):
    """Compute the exact arithmetic-mean ensemble sum_mu p(mu) p(y | x, mu) (7.53) over every mask.

    Parameters
    ----------
    layers : list of (W, b) pairs
        ReLU network with softmax output; W of shape (n_in, n_out), b of shape (n_out,).
    x : array-like of shape (n_in,) or (n_samples, n_in)
        One input or a batch of inputs.
    keep_prob : float or sequence of float
        Keep probability of each layer's INPUT units, in (0, 1]: one value for every layer, or one
        per layer. A value of 1 means that layer has no dropout.

    Returns
    -------
    ndarray of shape (n_classes,) or (n_samples, n_classes)
        Class probabilities (rows sum to 1), one row per input.

    Raises
    ------
    ValueError
        If more than MAX_ENUMERATED_UNITS (24) units have a keep probability below 1, the layers do
        not chain, x does not have n_in features, or a keep probability is outside (0, 1].
    TypeError
        If layers is not a list of (W, b) pairs or an argument is not numeric.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import dropout
    >>> rng = np.random.default_rng(0)
    >>> layers = [(rng.normal(size=(3, 4)), np.zeros(4)), (rng.normal(size=(4, 2)), np.zeros(2))]
    >>> x = rng.normal(size=3)
    >>> p = dropout.mlp_arithmetic_mean_ensemble(layers, x, 1.0)  # no dropout: the network itself
    >>> bool(np.allclose(p, dropout.mlp_weight_scaling_predict(layers, x, 1.0)))
    True
    """
    layers, keep, x2, single = _prepare(layers, x, keep_prob)
    _, arith = _enumerate(layers, x2, keep, False, True)
    return _out(arith, single)


def mlp_weight_scaling_predict(layers, x, keep_prob):
    """Predict with the weight scaling rule: every unit kept, each layer's input times its keep prob.

    Parameters
    ----------
    layers : list of (W, b) pairs
        ReLU network with softmax output; W of shape (n_in, n_out), b of shape (n_out,).
    x : array-like of shape (n_in,) or (n_samples, n_in)
        One input or a batch of inputs.
    keep_prob : float or sequence of float
        Keep probability of each layer's INPUT units, in (0, 1]: one value for every layer, or one
        per layer. A value of 1 means that layer has no dropout.

    Returns
    -------
    ndarray of shape (n_classes,) or (n_samples, n_classes)
        Class probabilities (rows sum to 1), one row per input.

    Raises
    ------
    ValueError
        If the layers do not chain (each W's rows must match the previous layer's outputs), x does not
        have n_in features, or a keep probability is outside (0, 1].
    TypeError
        If layers is not a list of (W, b) pairs or an argument is not numeric.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import dropout
    >>> rng = np.random.default_rng(0)
    >>> layers = [(rng.normal(size=(3, 4)), np.zeros(4)), (rng.normal(size=(4, 2)), np.zeros(2))]
    >>> x = rng.normal(size=3)
    >>> p = dropout.mlp_weight_scaling_predict(layers, np.stack([x, x]), [1.0, 0.5])
    >>> p.shape
    (2, 2)
    """
    layers, keep, x2, single = _prepare(layers, x, keep_prob)
    return _out(_weight_scaled(layers, x2, keep), single)


def mlp_mc_dropout_predict(layers, x, keep_prob, n_samples, rng):
    """Estimate (7.53) by Monte Carlo: the average softmax over ``n_samples`` sampled masks.

    Parameters
    ----------
    layers : list of (W, b) pairs
        ReLU network with softmax output; W of shape (n_in, n_out), b of shape (n_out,).
    x : array-like of shape (n_in,) or (n_samples, n_in)
        One input or a batch of inputs.
    keep_prob : float or sequence of float
        Keep probability of each layer's INPUT units, in (0, 1]: one value for every layer, or one
        per layer. A value of 1 means that layer has no dropout.
    n_samples : int
        Number of sampled masks, >= 1.
    rng : int or numpy.random.Generator
        Seed or generator of the masks.

    Returns
    -------
    ndarray of shape (n_classes,) or (n_samples, n_classes)
        Class probabilities (rows sum to 1), one row per input.

    Raises
    ------
    ValueError
        If the layers do not chain (each W's rows must match the previous layer's outputs), x does not
        have n_in features, or a keep probability is outside (0, 1].
    TypeError
        If layers is not a list of (W, b) pairs or an argument is not numeric.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import dropout
    >>> rng = np.random.default_rng(0)
    >>> layers = [(rng.normal(size=(3, 4)), np.zeros(4)), (rng.normal(size=(4, 2)), np.zeros(2))]
    >>> x = rng.normal(size=3)
    >>> mc = dropout.mlp_mc_dropout_predict(layers, x, 0.5, 20_000, rng=0)
    >>> exact = dropout.mlp_arithmetic_mean_ensemble(layers, x, 0.5)
    >>> bool(np.abs(mc - exact).max() < 0.02)
    True
    """
    layers, keep, x2, single = _prepare(layers, x, keep_prob)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    rng = as_rng(rng)
    return _out(_mc(layers, x2, keep, n_samples, rng), single)


# ------------------------------------------------------------------ softmax regression API


def geometric_mean_ensemble(W, b, v, keep_prob):
    """Compute the exact renormalized geometric mean over all 2^n input masks for softmax regression.

    Logits for mask d are (d * v) @ W + b; the p(d)-weighted geometric mean (7.54-7.55),
    renormalized over the classes, equals ``weight_scaling_predict(W, b, v, keep_prob)`` exactly
    (7.58-7.66).

    Parameters
    ----------
    W : array-like of shape (n_in, n_classes)
        Weights of the softmax regression.
    b : array-like of shape (n_classes,)
        Biases.
    v : array-like of shape (n_in,) or (n_samples, n_in)
        One input or a batch of inputs.
    keep_prob : float
        Keep probability of each input unit, in (0, 1].

    Returns
    -------
    ndarray of shape (n_classes,) or (n_samples, n_classes)
        Class probabilities (rows sum to 1), one row per input.

    Raises
    ------
    ValueError
        If n_in > MAX_ENUMERATED_UNITS (24) with keep_prob < 1, shapes do not match, or keep_prob is
        outside (0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import dropout
    >>> W, b, v = np.array([[1.0, -1.0], [0.5, 2.0]]), np.zeros(2), np.array([1.0, 1.0])
    >>> geo = dropout.geometric_mean_ensemble(W, b, v, 0.5)
    >>> bool(np.allclose(geo, dropout.weight_scaling_predict(W, b, v, 0.5)))
    True
    """
    layers, keep, x2, single = _prepare_softmax(W, b, v, keep_prob)
    return _out(_enumerate(layers, x2, keep, True, False)[0], single)


def arithmetic_mean_ensemble(W, b, v, keep_prob):
    """Compute the exact arithmetic mean sum_d p(d) softmax((d * v) @ W + b) over all 2^n masks (7.53).

    Parameters
    ----------
    W : array-like of shape (n_in, n_classes)
        Weights of the softmax regression.
    b : array-like of shape (n_classes,)
        Biases.
    v : array-like of shape (n_in,) or (n_samples, n_in)
        One input or a batch of inputs.
    keep_prob : float
        Keep probability of each input unit, in (0, 1].

    Returns
    -------
    ndarray of shape (n_classes,) or (n_samples, n_classes)
        Class probabilities (rows sum to 1), one row per input.

    Raises
    ------
    ValueError
        If n_in > MAX_ENUMERATED_UNITS (24) with keep_prob < 1, shapes do not match, or keep_prob is
        outside (0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import dropout
    >>> W, b, v = np.array([[1.0, -1.0], [0.5, 2.0]]), np.zeros(2), np.array([1.0, 1.0])
    >>> dropout.arithmetic_mean_ensemble(W, b, v, 0.5)
    array([0.5464, 0.4536])
    """
    layers, keep, x2, single = _prepare_softmax(W, b, v, keep_prob)
    return _out(_enumerate(layers, x2, keep, False, True)[1], single)


def weight_scaling_predict(W, b, v, keep_prob):
    """Predict with the weight scaling rule for softmax regression: softmax(keep_prob * v @ W + b).

    Parameters
    ----------
    W : array-like of shape (n_in, n_classes)
        Weights of the softmax regression.
    b : array-like of shape (n_classes,)
        Biases.
    v : array-like of shape (n_in,) or (n_samples, n_in)
        One input or a batch of inputs.
    keep_prob : float
        Keep probability of each input unit, in (0, 1].

    Returns
    -------
    ndarray of shape (n_classes,) or (n_samples, n_classes)
        Class probabilities (rows sum to 1), one row per input.

    Raises
    ------
    ValueError
        If shapes do not match or keep_prob is outside (0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import dropout
    >>> W, b, v = np.array([[1.0, -1.0], [0.5, 2.0]]), np.zeros(2), np.array([1.0, 1.0])
    >>> dropout.weight_scaling_predict(W, b, v, 0.5)
    array([0.5622, 0.4378])
    """
    layers, keep, x2, single = _prepare_softmax(W, b, v, keep_prob)
    return _out(_weight_scaled(layers, x2, keep), single)


def mc_dropout_predict(W, b, v, keep_prob, n_samples, rng):
    """Predict with Monte Carlo dropout: the mean of softmax((d * v) @ W + b) over sampled masks d.

    Parameters
    ----------
    W : array-like of shape (n_in, n_classes)
        Weights of the softmax regression.
    b : array-like of shape (n_classes,)
        Biases.
    v : array-like of shape (n_in,) or (n_samples, n_in)
        One input or a batch of inputs.
    keep_prob : float
        Keep probability of each input unit, in (0, 1].
    n_samples : int
        Number of sampled masks, >= 1.
    rng : int or numpy.random.Generator
        Seed or generator of the masks.

    Returns
    -------
    ndarray of shape (n_classes,) or (n_samples, n_classes)
        Class probabilities (rows sum to 1), one row per input.

    Raises
    ------
    ValueError
        If shapes do not match, keep_prob is outside (0, 1] or n_samples < 1.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import dropout
    >>> W, b, v = np.array([[1.0, -1.0], [0.5, 2.0]]), np.zeros(2), np.array([1.0, 1.0])
    >>> mc = dropout.mc_dropout_predict(W, b, v, 0.5, 50_000, rng=0)
    >>> bool(np.abs(mc - dropout.arithmetic_mean_ensemble(W, b, v, 0.5)).max() < 0.01)
    True
    """
    layers, keep, x2, single = _prepare_softmax(W, b, v, keep_prob)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    return _out(_mc(layers, x2, keep, n_samples, as_rng(rng)), single)


# ----------------------------------------------------------------------------- how many masks?


def mask_std(layers, x, keep_prob):
    """Compute, by exact enumeration, the standard deviation of p(y|x, mu) over the dropout masks mu.

    Monte Carlo dropout averages k draws of p(y|x, mu); its standard error is this standard deviation
    divided by sqrt(k). Softmax regression is the one-layer case ``[(W, b)]``.

    Parameters
    ----------
    layers : list of (W, b) pairs
        The network (ReLU hidden layers, softmax output).
    x : array-like of shape (n_inputs,) or (n_samples, n_inputs)
        One input or a batch.
    keep_prob : float or sequence of float
        Keep probability of each layer's input units, in (0, 1].

    Returns
    -------
    ndarray of shape (n_classes,) or (n_samples, n_classes)
        The standard deviation sqrt(E[p^2] - E[p]^2) per class, expectations over the p(mu)-weighted masks.

    Raises
    ------
    ValueError
        If more than :data:`MAX_ENUMERATED_UNITS` units can be dropped, or the shapes do not chain.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import dropout
    >>> W = np.array([[2.0, 0.0]])  # one input: kept, p = softmax(2, 0); dropped, p = (0.5, 0.5)
    >>> std = dropout.mask_std([(W, np.zeros(2))], [1.0], 0.5)
    >>> bool(np.isclose(std[0], (np.exp(2) / (1 + np.exp(2)) - 0.5) / 2))
    True
    """
    layers, keep, x2, single = _prepare(layers, x, keep_prob)
    _, mean, second = _enumerate(layers, x2, keep, False, True, want_second=True)
    return _out(np.sqrt(np.maximum(second - mean * mean, 0.0)), single)


def masks_needed(std, tol):
    """Number of Monte Carlo masks k whose standard error std / sqrt(k) is at most tol, for every entry.

    Parameters
    ----------
    std : array-like
        Per-mask standard deviations of the probabilities, e.g. from :func:`mask_std`.
    tol : float
        Wanted standard error of the estimated probabilities, > 0.

    Returns
    -------
    int
        The count ceil(max(std)^2 / tol^2), at least 1.

    Raises
    ------
    ValueError
        If tol <= 0 or a std is negative.

    Examples
    --------
    >>> from reglab import dropout
    >>> dropout.masks_needed([0.1, 0.2], tol=0.01)
    400
    """
    std = as_float_array(std, "std")
    tol = check_scalar(tol, "tol", low=0.0, include_low=False)
    if np.any(std < 0):
        raise ValueError("std must be >= 0 (standard deviations)")
    return max(1, int(np.ceil(float(np.max(std)) ** 2 / tol**2 - 1e-9)))


def mc_dropout_accuracy(layers, x, keep_prob, ks, trials, rng):
    """Measure Monte Carlo dropout against the exact arithmetic mean: probabilities vs decisions.

    For each number of masks k, ``trials`` independent Monte Carlo estimates are drawn; the error of
    the probabilities is max |MC - exact| over inputs and classes (averaged over trials), and the
    decision agreement is the fraction of inputs whose most probable class is the exact one's
    (averaged over trials). A decision is often right long before the probabilities are accurate.

    Parameters
    ----------
    layers : list of (W, b) pairs
        The network (softmax regression: one layer).
    x : array-like of shape (n_samples, n_inputs)
        Inputs.
    keep_prob : float or sequence of float
        Keep probability of each layer's input units, in (0, 1].
    ks : sequence of int
        Numbers of masks, each >= 1.
    trials : int
        Monte Carlo repetitions per k, >= 1.
    rng : int or numpy.random.Generator
        Seed or generator of the masks.

    Returns
    -------
    prob_error : ndarray of shape (len(ks),)
        Mean over trials of max |MC - exact arithmetic mean|.
    decision_agreement : ndarray of shape (len(ks),)
        Mean over trials of the fraction of inputs with argmax MC = argmax exact.

    Raises
    ------
    ValueError
        If a k or trials is < 1, or more than :data:`MAX_ENUMERATED_UNITS` units can be dropped.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import dropout
    >>> r = np.random.default_rng(0)
    >>> layers = [(r.normal(size=(6, 3)), r.normal(size=3))]
    >>> err, agree = dropout.mc_dropout_accuracy(layers, r.normal(size=(20, 6)), 0.5, [1, 100], trials=5, rng=1)
    >>> bool(err[1] < err[0]), bool(agree[1] >= agree[0])
    (True, True)
    """
    layers, keep, x2, _ = _prepare(layers, x, keep_prob)
    ks = [check_int(k, "k", minimum=1) for k in ks]
    trials = check_int(trials, "trials", minimum=1)
    rng = as_rng(rng)
    _, exact = _enumerate(layers, x2, keep, False, True)
    decision = np.argmax(exact, axis=-1)
    err, agree = np.zeros(len(ks)), np.zeros(len(ks))
    for i, k in enumerate(ks):
        for _ in range(trials):
            mc = _mc(layers, x2, keep, k, rng)
            err[i] += np.abs(mc - exact).max() / trials
            agree[i] += np.mean(np.argmax(mc, axis=-1) == decision) / trials
    return err, agree


# ----------------------------------------------------------------------------- noise beside dropout


def variance_shift(H, keep_prob):
    """Compute each unit's variance with inverted dropout (training) and without it (test time).

    For activations H (examples x units) and h~ = m h / p with m ~ Bernoulli(p): the mean is kept,
    E[h~] = E[h], but E[h~^2] = E[h^2] / p, so over examples and masks
    Var(h~_j) = mean_i H_ij^2 / p - (mean_i H_ij)^2, while at test time (no dropout)
    Var(h_j) = mean_i H_ij^2 - (mean_i H_ij)^2. A batch normalization after the dropout estimates the
    first in training and divides by its square root at test time, where the variance is the second:
    the "variance shift" (Li et al. 2019).

    Parameters
    ----------
    H : array-like of shape (n_samples, n_units)
        Activations of the units dropout masks.
    keep_prob : float
        Keep probability p, in (0, 1].

    Returns
    -------
    train_var : ndarray of shape (n_units,)
        Variance of each dropped-and-rescaled unit, over examples and masks.
    test_var : ndarray of shape (n_units,)
        Variance of each unit over the examples, without dropout.

    Raises
    ------
    ValueError
        If H is not 2-D and finite or keep_prob is outside (0, 1].

    Examples
    --------
    >>> from reglab import dropout
    >>> train, test = dropout.variance_shift([[1.0], [-1.0]], 0.5)  # mean 0, E[h^2] = 1
    >>> float(train[0]), float(test[0])
    (2.0, 1.0)
    """
    H = as_float_array(H, "H", ndim=2)
    p = check_keep_prob(keep_prob)
    mean, second = H.mean(axis=0), np.mean(H * H, axis=0)
    return second / p - mean * mean, np.maximum(second - mean * mean, 0.0)


def weight_noise_penalty(X, sigma):
    """Compute what Gaussian noise on the weights adds to a linear model's expected mean squared error.

    For y_hat = x^T (w + eta) with eta ~ N(0, sigma^2 I) drawn afresh, E_eta (y - x^T (w + eta))^2 =
    (y - x^T w)^2 + sigma^2 ||x||^2 (the cross term has mean 0), for every sigma: averaged over the
    examples, the penalty sigma^2 mean_i ||x_i||^2, which is sigma^2 E||grad_w y_hat||^2, the output's
    sensitivity to the weights (Goodfellow et al. 2016, section 7.5). For a nonlinear model that form
    is only the leading term for small sigma.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Inputs.
    sigma : float
        Standard deviation of the noise on each weight, >= 0.

    Returns
    -------
    float
        The penalty sigma^2 * mean_i ||x_i||^2.

    Raises
    ------
    ValueError
        If X is not 2-D and finite or sigma < 0.

    Examples
    --------
    >>> from reglab import dropout
    >>> dropout.weight_noise_penalty([[3.0, 4.0], [0.0, 1.0]], 0.5)  # 0.25 * (25 + 1) / 2
    3.25
    """
    X = as_float_array(X, "X", ndim=2)
    sigma = check_scalar(sigma, "sigma", low=0.0)
    return sigma**2 * float(np.mean(np.sum(X * X, axis=1)))
