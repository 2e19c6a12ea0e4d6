"""Session 6 - a small numpy MLP that the capstone trains with every regularizer of the course.

ReLU hidden layers, softmax output, mean cross-entropy loss, and:

* L2: (l2/2) sum_l ||W_l||_F^2 (weights only, biases are not penalized);
* L1: l1 sum_l |W_l|_1 (subgradient sign(W), 0 at 0);
* inverted dropout on each layer's input (keep probability per layer; 1 = off), so prediction
  needs no rescaling;
* early stopping on a validation set via :class:`reglab.early_stopping.EarlyStopping`.

Layers are a list of ``(W, b)`` pairs as in :mod:`reglab.dropout`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validation import as_float_array, as_rng, check_int, check_nonneg_scalar, check_positive_scalar
from .dropout import _check_keep, _check_layers, log_softmax, softmax
from .early_stopping import EarlyStopping

__all__ = [
    "init_mlp",
    "forward",
    "cross_entropy",
    "loss_and_grads",
    "predict_proba",
    "accuracy",
    "train_mlp",
    "TrainResult",
    "flatten",
    "unflatten",
]


def init_mlp(sizes, rng):
    """He-initialized layers for a ReLU network with layer widths ``sizes`` (input first)."""
    sizes = [check_int(s, "layer size", minimum=1) for s in sizes]
    if len(sizes) < 2:
        raise ValueError("sizes needs at least an input and an output width")
    rng = as_rng(rng)
    return [
        (rng.standard_normal((a, b)) * np.sqrt(2.0 / a), np.zeros(b))
        for a, b in zip(sizes[:-1], sizes[1:])
    ]


def _check_xy(layers, X, y):
    X = as_float_array(X, "X", ndim=2)
    if X.shape[1] != layers[0][0].shape[0]:
        raise ValueError(f"X has {X.shape[1]} features but the network expects {layers[0][0].shape[0]}")
    if y is None:
        return X, None
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != X.shape[0] or not np.issubdtype(y.dtype, np.integer):
        raise ValueError("y must be a 1-D integer array of class labels, one per row of X")
    C = layers[-1][0].shape[1]
    if y.size and (y.min() < 0 or y.max() >= C):
        raise ValueError(f"labels must lie in [0, {C})")
    return X, y


def forward(layers, X, keep_prob=1.0, rng=None):
    """Forward pass; with keep_prob < 1 (and an rng) applies inverted dropout to layer inputs.

    Returns
    -------
    logits : ndarray (n, C)
    cache : list of per-layer dicts used by the backward pass
    """
    layers = _check_layers(layers)
    keep = _check_keep(keep_prob, len(layers))
    X, _ = _check_xy(layers, X, None)
    if any(p < 1 for p in keep) and rng is None:
        raise ValueError("dropout (keep_prob < 1) needs an rng")
    rng = as_rng(rng) if rng is not None else None
    h = X
    cache = []
    for l, (W, b) in enumerate(layers):
        pre = None
        if l > 0:
            pre = h
            h = np.maximum(h, 0.0)
        scale = None
        if keep[l] < 1:
            scale = (rng.random(h.shape) < keep[l]) / keep[l]
            h = h * scale
        cache.append({"pre_relu": pre, "input": h, "scale": scale})
        h = h @ W + b
    return h, cache


def cross_entropy(logits, y):
    """Mean cross-entropy of integer labels y under softmax(logits)."""
    lp = log_softmax(logits, axis=1)
    return float(-np.mean(lp[np.arange(len(y)), y]))


def _penalty(layers, l2, l1):
    return sum(0.5 * l2 * float(np.sum(W * W)) + l1 * float(np.sum(np.abs(W))) for W, _ in layers)


def loss_and_grads(layers, X, y, l2=0.0, l1=0.0, keep_prob=1.0, rng=None):
    """Regularized loss and its gradients by backpropagation.

    Loss = mean cross-entropy + (l2/2) sum ||W||_F^2 + l1 sum |W| (biases unpenalized).

    Returns
    -------
    loss : float
    grads : list of (dW, db), same structure as ``layers``
    """
    layers = _check_layers(layers)
    X, y = _check_xy(layers, X, y)
    l2 = check_nonneg_scalar(l2, "l2")
    l1 = check_nonneg_scalar(l1, "l1")
    logits, cache = forward(layers, X, keep_prob, rng)
    n = X.shape[0]
    loss = cross_entropy(logits, y) + _penalty(layers, l2, l1)
    dz = softmax(logits, axis=1)
    dz[np.arange(n), y] -= 1.0
    dz /= n
    grads = [None] * len(layers)
    for l in range(len(layers) - 1, -1, -1):
        W, _ = layers[l]
        c = cache[l]
        dW = c["input"].T @ dz + l2 * W + l1 * np.sign(W)
        grads[l] = (dW, dz.sum(axis=0))
        if l == 0:
            break
        dh = dz @ W.T
        if c["scale"] is not None:
            dh = dh * c["scale"]
        dz = dh * (c["pre_relu"] > 0)
    return loss, grads


def predict_proba(layers, X):
    """Class probabilities with every unit kept (inverted dropout needs no test-time scaling)."""
    logits, _ = forward(layers, X)
    return softmax(logits, axis=1)


def accuracy(layers, X, y):
    """Fraction of correctly classified rows."""
    return float(np.mean(np.argmax(predict_proba(layers, X), axis=1) == np.asarray(y)))


def flatten(layers):
    """All parameters as one vector (for gradient checks)."""
    return np.concatenate([np.concatenate([W.ravel(), b.ravel()]) for W, b in layers])


def unflatten(vec, like):
    """Inverse of :func:`flatten`, shaped like ``like``."""
    vec = np.asarray(vec, dtype=float)
    if vec.ndim != 1 or vec.size != sum(W.size + b.size for W, b in like):
        raise ValueError("vector length does not match the layers")
    out, i = [], 0
    for W, b in like:
        W2 = vec[i : i + W.size].reshape(W.shape)
        i += W.size
        b2 = vec[i : i + b.size].copy()
        i += b.size
        out.append((W2.copy(), b2))
    return out


@dataclass
class TrainResult:
    """What :func:`train_mlp` returns."""

    layers: list
    best_epoch: int
    history: dict = field(default_factory=dict)  # epoch -> lists of train_loss, val_loss, ...


def train_mlp(
    layers,
    X,
    y,
    *,
    epochs=200,
    lr=0.05,
    momentum=0.9,
    batch_size=32,
    l2=0.0,
    l1=0.0,
    keep_prob=1.0,
    rng=0,
    X_val=None,
    y_val=None,
    patience=None,
):
    """Minibatch SGD with momentum; optional L1/L2, dropout and early stopping.

    With ``patience`` (and validation data) training stops after ``patience`` epochs without a
    lower validation loss and the best epoch's parameters are returned, not the last.

    Returns
    -------
    TrainResult
        ``history`` has per-epoch ``train_loss`` (unregularized cross-entropy, no dropout),
        ``val_loss``, ``train_acc`` and ``val_acc`` (the last two only with validation data).
    """
    layers = [(W.copy(), b.copy()) for W, b in _check_layers(layers)]
    X, y = _check_xy(layers, X, y)
    epochs = check_int(epochs, "epochs", minimum=1)
    lr = check_positive_scalar(lr, "lr")
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    rng = as_rng(rng)
    has_val = X_val is not None and y_val is not None
    if patience is not None and not has_val:
        raise ValueError("early stopping (patience) needs X_val and y_val")
    if has_val:
        X_val, y_val = _check_xy(layers, X_val, y_val)
    stopper = EarlyStopping(patience=patience) if patience is not None else None
    vel = [(np.zeros_like(W), np.zeros_like(b)) for W, b in layers]
    hist = {"train_loss": [], "val_loss": [], "train_acc": [], "val_acc": []}
    n = X.shape[0]
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n)
        for s in range(0, n, batch_size):
            idx = order[s : s + batch_size]
            _, grads = loss_and_grads(layers, X[idx], y[idx], l2, l1, keep_prob, rng)
            new_layers, new_vel = [], []
            for (W, b), (vW, vb), (dW, db) in zip(layers, vel, grads):
                vW = momentum * vW - lr * dW
                vb = momentum * vb - lr * db
                new_layers.append((W + vW, b + vb))
                new_vel.append((vW, vb))
            layers, vel = new_layers, new_vel
        hist["train_loss"].append(cross_entropy(forward(layers, X)[0], y))
        hist["train_acc"].append(accuracy(layers, X, y))
        if has_val:
            val_loss = cross_entropy(forward(layers, X_val)[0], y_val)
            hist["val_loss"].append(val_loss)
            hist["val_acc"].append(accuracy(layers, X_val, y_val))
            if stopper is not None and stopper.update(epoch, val_loss, layers):
                break
    if stopper is not None and stopper.best_params is not None:
        return TrainResult(stopper.best_params, stopper.best_step, hist)
    return TrainResult(layers, epoch, hist)
