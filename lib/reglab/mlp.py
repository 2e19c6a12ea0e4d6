"""Session 6 - a small numpy MLP that the capstone trains with every regularizer of the course.

ReLU hidden layers, softmax output, mean cross-entropy loss, and:

* L2: (l2/2) sum_l ||W_l||_F^2 (weights only, biases are not penalized);
* L1: l1 sum_l |W_l|_1 (subgradient sign(W), 0 at 0);
* inverted dropout on each layer's input (keep probability per layer; 1 = off), so prediction
  needs no rescaling;
* early stopping on a validation set via :class:`reglab.early_stopping.EarlyStopping`;
* label smoothing (targets eps/(k-1) and 1 - eps).

The capstone's controlled comparison of the regularizers is :func:`reglab.capstone.run_capstone`.

Layers are a list of ``(W, b)`` pairs as in :mod:`reglab.dropout`.

This module is also the network engine of :mod:`reglab.capstone`, which trains with a loop of its own: the
input check :func:`check_network_input`, the forward pass :func:`forward_pass`, the backward pass
:func:`backprop`, the penalty :func:`weight_penalty`, and the every-unit-kept :func:`network_nll` and
:func:`network_proba`. They are public within the library but not part of the course's API (``__all__``):
they trust their inputs, which the public functions check first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._kernels import log_softmax as _log_softmax
from ._kernels import single_threaded_blas as _single_threaded_blas
from ._kernels import softmax as _softmax
from ._validation import (
    as_float_array,
    as_rng,
    check_int,
    check_keep_probs,
    check_labels,
    check_layers,
    check_nonneg_scalar,
    check_positive_scalar,
    check_same_length,
    check_scalar,
)
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
    "smooth_labels",
]


def init_mlp(sizes, rng):
    """Initialize a ReLU network with layer widths ``sizes`` (input first), He-scaled.

    Weights are N(0, 2 / n_in), biases 0.

    Parameters
    ----------
    sizes : sequence of int
        Widths from the input to the output, at least two, each >= 1.
    rng : int or numpy.random.Generator
        Seed or generator of the weights.

    Returns
    -------
    list of (ndarray, ndarray)
        One (W, b) pair per layer, W of shape (sizes[i], sizes[i + 1]).

    Raises
    ------
    ValueError
        If fewer than two sizes are given or a size is < 1.

    Examples
    --------
    >>> from reglab import mlp
    >>> [(W.shape, b.shape) for W, b in mlp.init_mlp([3, 5, 2], rng=0)]
    [((3, 5), (5,)), ((5, 2), (2,))]
    """
    sizes = [check_int(s, "layer size", minimum=1) for s in sizes]
    if len(sizes) < 2:
        raise ValueError("sizes needs at least an input and an output width")
    rng = as_rng(rng)
    return [
        (rng.standard_normal((a, b)) * np.sqrt(2.0 / a), np.zeros(b))
        for a, b in zip(sizes[:-1], sizes[1:])
    ]


def check_network_input(layers, X, y=None):
    """Check X (and y, unless None) against already checked ``layers``: the network's inputs per row, one label each.

    The input check of every public function of this module and of :mod:`reglab.capstone`.
    """
    X = as_float_array(X, "X", ndim=2)
    if X.shape[1] != layers[0][0].shape[0]:
        raise ValueError(
            f"X has {X.shape[1]} features (columns) but the network expects {layers[0][0].shape[0]} "
            "(rows of the first W)"
        )
    if y is None:
        return X, None
    y = check_labels(y, layers[-1][0].shape[1])
    check_same_length(X, y)
    return X, y


def _check_label_smoothing(eps):
    return check_scalar(eps, "label_smoothing", 0.0, 1.0, include_high=False, hint="eps = 0 is no smoothing")


def forward(layers, X, keep_prob=1.0, rng=None):
    """Run the forward pass; with keep_prob < 1 (and an rng) apply inverted dropout to layer inputs.

    Parameters
    ----------
    layers : list of (W, b) pairs
        The network, e.g. from :func:`init_mlp`: W of shape (n_in, n_out), b of shape (n_out,).
    X : array-like of shape (n_samples, n_features)
        Inputs, n_features = the rows of the first W.
    keep_prob : float or sequence of float, default=1.0
        Keep probability of each layer's input units, in (0, 1], one value or one per layer
        (1 = no dropout).
    rng : int or numpy.random.Generator, default=None
        Seed or generator of the dropout masks; required when some keep_prob < 1.

    Returns
    -------
    logits : ndarray of shape (n_samples, n_classes)
        Pre-softmax outputs.
    cache : list of tuple
        Per layer, the values the backward pass of :func:`loss_and_grads` uses: the pre-ReLU values (None for
        the first layer), the layer's input after dropout, and the dropout multiplier (None: no dropout).

    Raises
    ------
    ValueError
        If the layers do not chain, X does not have the network's number of inputs, or a label is
        outside [0, n_classes).
    TypeError
        If layers is not a list of (W, b) pairs or y is not an array of integers.
        Also if dropout is requested without an rng.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import mlp
    >>> layers = mlp.init_mlp([3, 5, 2], rng=0)
    >>> X, y = np.random.default_rng(1).normal(size=(4, 3)), np.array([0, 1, 1, 0])
    >>> logits, cache = mlp.forward(layers, X)
    >>> logits.shape, len(cache)
    ((4, 2), 2)
    """
    layers = check_layers(layers)
    keep = check_keep_probs(keep_prob, len(layers))
    X, _ = check_network_input(layers, X)
    drop, _ = _inverted_dropout(keep, _dropout_rng(keep, rng))
    return forward_pass(layers, X, drop)


def _dropout_rng(keep, rng):
    if any(p < 1 for p in keep) and rng is None:
        raise ValueError("dropout (keep_prob < 1) needs an rng to draw its masks, e.g. rng=0")
    return as_rng(rng) if rng is not None else None


def _inverted_dropout(keep, rng):
    """This module's dropout for :func:`forward_pass` and :func:`backprop`: each kept unit times 1 / keep_prob."""

    def drop(layer, h):
        if keep[layer] >= 1:
            return h, None
        scale = (rng.random(h.shape) < keep[layer]) / keep[layer]
        return h * scale, scale

    def undrop(layer, dh, scale):
        return dh * scale

    return drop, undrop


def forward_pass(layers, X, drop=None):
    """The forward pass on trusted inputs: (logits, cache), one cache entry per layer for :func:`backprop`.

    ``drop(layer, h)`` returns that layer's input after dropout and the record the backward pass needs (None:
    nothing dropped); without ``drop`` every unit is kept. A cache entry is (the pre-ReLU values, None for the
    first layer; the layer's input after dropout; dropout's record).
    """
    h, cache = X, []
    for layer, (W, b) in enumerate(layers):
        pre = None
        if layer > 0:
            pre, h = h, np.maximum(h, 0.0)
        record = None
        if drop is not None:
            h, record = drop(layer, h)
        cache.append((pre, h, record))
        h = h @ W + b
    return h, cache


def cross_entropy(logits, y):
    """Compute the mean cross-entropy of integer labels y under softmax(logits).

    Parameters
    ----------
    logits : array-like of shape (n_samples, n_classes)
        Pre-softmax outputs.
    y : array-like of shape (n_samples,)
        Integer class labels in [0, n_classes).

    Returns
    -------
    float
        Mean of -log softmax(logits)[i, y_i].

    Raises
    ------
    ValueError
        If a label is outside [0, n_classes) or logits and y have different numbers of rows.

    Examples
    --------
    >>> from reglab import mlp
    >>> round(mlp.cross_entropy([[0.0, 0.0], [0.0, 0.0]], [0, 1]), 4)
    0.6931
    """
    logits = as_float_array(logits, "logits", ndim=2, finite=False)
    y = check_labels(y, logits.shape[1])
    check_same_length(logits, y, "logits")
    return _cross_entropy(logits, y)


def _cross_entropy(logits, y):
    lp = _log_softmax(logits, axis=1)
    return float(-np.mean(lp[np.arange(len(y)), y]))


def smooth_labels(y, n_classes, eps):
    """Smooth labels: one-hot targets with 1 - eps on the true class and eps/(k-1) on the others.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Integer class labels in [0, n_classes).
    n_classes : int
        Number of classes k, >= 2.
    eps : float
        Smoothing, in [0, 1) (0 = one-hot).

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        Targets; each row sums to 1.

    Raises
    ------
    ValueError
        If eps is outside [0, 1), n_classes < 2 or a label is out of range.

    Examples
    --------
    >>> from reglab import mlp
    >>> mlp.smooth_labels([0, 2], 3, 0.2)
    array([[0.8, 0.1, 0.1],
           [0.1, 0.1, 0.8]])
    """
    n_classes = check_int(n_classes, "n_classes", minimum=2)
    eps = check_scalar(eps, "eps", 0.0, 1.0, include_high=False, hint="eps = 0 is no smoothing")
    return _smooth_labels(check_labels(y, n_classes), n_classes, eps)


def _smooth_labels(y, n_classes, eps):
    T = np.full((y.size, n_classes), eps / (n_classes - 1))
    T[np.arange(y.size), y] = 1.0 - eps
    return T


def weight_penalty(layers, l2, l1=0.0):
    """(l2/2) sum ||W||_F^2 + l1 sum |W| over the weights (biases are not penalized), on trusted inputs."""
    return sum(0.5 * l2 * float(np.sum(W * W)) + l1 * float(np.sum(np.abs(W))) for W, _ in layers)


def loss_and_grads(layers, X, y, l2=0.0, l1=0.0, keep_prob=1.0, rng=None, label_smoothing=0.0):
    """Compute the regularized loss and its gradients by backpropagation.

    Loss = mean cross-entropy (against smoothed targets if ``label_smoothing`` > 0)
    + (l2/2) sum ||W||_F^2 + l1 sum |W| (biases unpenalized).

    Parameters
    ----------
    layers : list of (W, b) pairs
        The network, e.g. from :func:`init_mlp`: W of shape (n_in, n_out), b of shape (n_out,).
    X : array-like of shape (n_samples, n_features)
        Inputs, n_features = the rows of the first W.
    y : array-like of shape (n_samples,)
        Integer class labels in [0, n_classes).
    l2 : float, default=0.0
        L2 strength, >= 0.
    l1 : float, default=0.0
        L1 strength, >= 0 (subgradient sign(W), 0 at 0).
    keep_prob : float or sequence of float, default=1.0
        Keep probability of each layer's input units, in (0, 1], one value or one per layer
        (1 = no dropout).
    rng : int or numpy.random.Generator, default=None
        Seed or generator of the dropout masks; required when some keep_prob < 1.
    label_smoothing : float, default=0.0
        Label smoothing eps, in [0, 1).

    Returns
    -------
    loss : float
        The regularized loss.
    grads : list of (ndarray, ndarray)
        (dW, db) per layer, the structure of ``layers``.

    Raises
    ------
    ValueError
        If the layers do not chain, X does not have the network's number of inputs, or a label is
        outside [0, n_classes).
    TypeError
        If layers is not a list of (W, b) pairs or y is not an array of integers.
        Also if a strength is negative, label_smoothing is outside [0, 1), or dropout is requested
        without an rng.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import mlp
    >>> layers = mlp.init_mlp([3, 5, 2], rng=0)
    >>> X, y = np.random.default_rng(1).normal(size=(4, 3)), np.array([0, 1, 1, 0])
    >>> loss, grads = mlp.loss_and_grads(layers, X, y, l2=0.1)
    >>> [dW.shape for dW, db in grads]
    [(3, 5), (5, 2)]
    """
    layers = check_layers(layers)
    X, y = check_network_input(layers, X, y)
    l2 = check_nonneg_scalar(l2, "l2")
    l1 = check_nonneg_scalar(l1, "l1")
    keep = check_keep_probs(keep_prob, len(layers))
    label_smoothing = _check_label_smoothing(label_smoothing)
    return _loss_and_grads(layers, X, y, l2, l1, keep, _dropout_rng(keep, rng), label_smoothing)


def _loss_and_grads(layers, X, y, l2, l1, keep, rng, label_smoothing, with_loss=True):
    """The loss (None if not ``with_loss``: training needs only the gradients) and the gradients."""
    drop, undrop = _inverted_dropout(keep, rng)

    def penalize(layer, dW, db):  # (l2/2) ||W||^2 + l1 |W|: l2 W + l1 sign(W) on the weights, nothing on biases
        W = layers[layer][0]
        return dW + l2 * W + l1 * np.sign(W), db

    return backprop(layers, X, y, drop=drop, undrop=undrop, penalize=penalize, label_smoothing=label_smoothing,
                    penalty=weight_penalty(layers, l2, l1) if with_loss else None)


def backprop(layers, X, y, *, drop=None, undrop=None, penalize=None, label_smoothing=0.0, penalty=None):
    """One forward and backward pass on trusted inputs: (loss, gradients) of the mean cross-entropy.

    ``drop`` is :func:`forward_pass`'s; ``undrop(layer, dh, record)`` backpropagates through a layer's dropout
    with the record its forward pass kept; ``penalize(layer, dW, db)`` adds a penalty's gradient to a layer's.
    The loss is the cross-entropy against the (smoothed) targets plus ``penalty``; None if ``penalty`` is None
    (training needs only the gradients).
    """
    logits, cache = forward_pass(layers, X, drop)
    T = _smooth_labels(y, logits.shape[1], label_smoothing)
    loss = None
    if penalty is not None:
        loss = float(-np.mean(np.sum(T * _log_softmax(logits, axis=1), axis=1))) + penalty
    dz = (_softmax(logits, axis=1) - T) / X.shape[0]
    grads = [None] * len(layers)
    for layer in range(len(layers) - 1, -1, -1):
        W, _ = layers[layer]
        pre, inputs, record = cache[layer]
        dW, db = inputs.T @ dz, dz.sum(axis=0)
        grads[layer] = (dW, db) if penalize is None else penalize(layer, dW, db)
        if layer == 0:
            break
        dh = dz @ W.T
        if record is not None:
            dh = undrop(layer, dh, record)
        dz = dh * (pre > 0)
    return loss, grads


def predict_proba(layers, X):
    """Predict class probabilities with every unit kept (inverted dropout needs no test-time scaling).

    Parameters
    ----------
    layers : list of (W, b) pairs
        The network, e.g. from :func:`init_mlp`: W of shape (n_in, n_out), b of shape (n_out,).
    X : array-like of shape (n_samples, n_features)
        Inputs, n_features = the rows of the first W.

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        Probabilities; each row sums to 1.

    Raises
    ------
    ValueError
        If the layers do not chain, X does not have the network's number of inputs, or a label is
        outside [0, n_classes).
    TypeError
        If layers is not a list of (W, b) pairs or y is not an array of integers.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import mlp
    >>> layers = mlp.init_mlp([3, 5, 2], rng=0)
    >>> X, y = np.random.default_rng(1).normal(size=(4, 3)), np.array([0, 1, 1, 0])
    >>> mlp.predict_proba(layers, X).sum(axis=1)
    array([1., 1., 1., 1.])
    """
    layers = check_layers(layers)
    X, _ = check_network_input(layers, X)
    return network_proba(layers, X)


def network_proba(layers, X):
    """Class probabilities with every unit kept, on trusted inputs."""
    return _softmax(_logits(layers, X), axis=1)


def network_nll(layers, X, y):
    """The mean cross-entropy (negative log-likelihood) with every unit kept, on trusted inputs."""
    return _cross_entropy(_logits(layers, X), y)


def _logits(layers, X):
    """Logits with every unit kept."""
    return forward_pass(layers, X)[0]


def accuracy(layers, X, y):
    """Compute the fraction of correctly classified rows.

    Parameters
    ----------
    layers : list of (W, b) pairs
        The network, e.g. from :func:`init_mlp`: W of shape (n_in, n_out), b of shape (n_out,).
    X : array-like of shape (n_samples, n_features)
        Inputs, n_features = the rows of the first W.
    y : array-like of shape (n_samples,)
        Integer class labels in [0, n_classes).

    Returns
    -------
    float
        Accuracy in [0, 1].

    Raises
    ------
    ValueError
        If the layers do not chain, X does not have the network's number of inputs, or a label is
        outside [0, n_classes).
    TypeError
        If layers is not a list of (W, b) pairs or y is not an array of integers.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import mlp
    >>> layers = mlp.init_mlp([3, 5, 2], rng=0)
    >>> X, y = np.random.default_rng(1).normal(size=(4, 3)), np.array([0, 1, 1, 0])
    >>> 0.0 <= mlp.accuracy(layers, X, y) <= 1.0
    True
    """
    layers = check_layers(layers)
    X, y = check_network_input(layers, X, y)
    return _accuracy(layers, X, y)


def _accuracy(layers, X, y):
    return _accuracy_of_logits(_logits(layers, X), y)


def _accuracy_of_logits(logits, y):
    return float(np.mean(np.argmax(_softmax(logits, axis=1), axis=1) == y))


def _loss_and_accuracy(layers, X, y):
    """(:func:`cross_entropy`, :func:`accuracy`) from one forward pass: the same numbers as the two calls."""
    logits = _logits(layers, X)
    return _cross_entropy(logits, y), _accuracy_of_logits(logits, y)


def flatten(layers):
    """Concatenate all parameters into one vector (for gradient checks).

    Parameters
    ----------
    layers : list of (W, b) pairs
        The network, e.g. from :func:`init_mlp`: W of shape (n_in, n_out), b of shape (n_out,).

    Returns
    -------
    ndarray of shape (n_parameters,)
        W then b of each layer, in order, raveled.

    Raises
    ------
    ValueError
        If the layers do not chain.
    TypeError
        If layers is not a list of (W, b) pairs.

    Examples
    --------
    >>> from reglab import mlp
    >>> mlp.flatten(mlp.init_mlp([3, 5, 2], rng=0)).shape
    (32,)
    """
    return np.concatenate([np.concatenate([W.ravel(), b.ravel()]) for W, b in check_layers(layers)])


def unflatten(vec, like):
    """Invert :func:`flatten`: split a vector into layers shaped like ``like``.

    Parameters
    ----------
    vec : array-like of shape (n_parameters,)
        All parameters, as from :func:`flatten`.
    like : list of (W, b) pairs
        Layers giving the shapes.

    Returns
    -------
    list of (ndarray, ndarray)
        New (W, b) pairs (copies).

    Raises
    ------
    ValueError
        If vec's length does not match the layers.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import mlp
    >>> layers = mlp.init_mlp([3, 5, 2], rng=0)
    >>> back = mlp.unflatten(mlp.flatten(layers), layers)
    >>> all(np.array_equal(W, V) for (W, _), (V, _) in zip(layers, back))
    True
    """
    like = check_layers(like)
    vec = as_float_array(vec, "vec", ndim=1)
    n_params = sum(W.size + b.size for W, b in like)
    if vec.size != n_params:
        raise ValueError(f"vec has length {vec.size} but the layers have {n_params} parameters (W and b of each)")
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
    """What :func:`train_mlp` returns.

    Parameters
    ----------
    layers : list of (ndarray, ndarray)
        The trained network (the best epoch's with early stopping).
    best_epoch : int
        Epoch of the returned parameters.
    history : dict, default={}
        Per-epoch lists ``train_loss``, ``val_loss``, ``train_acc`` and ``val_acc``.

    Examples
    --------
    >>> from reglab import mlp
    >>> mlp.TrainResult([], 3).history
    {}
    """

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
    label_smoothing=0.0,
):
    """Train by minibatch SGD with momentum; optional L1/L2, dropout, label smoothing, early stopping.

    Inputs are validated once here; the training loop then runs on private functions that trust
    them. With ``patience`` (and validation data) training stops after ``patience`` epochs without a
    lower validation loss and the best epoch's parameters are returned, not the last.

    Parameters
    ----------
    layers : list of (W, b) pairs
        The network, e.g. from :func:`init_mlp`: W of shape (n_in, n_out), b of shape (n_out,).
        They are copied, not modified.
    X : array-like of shape (n_samples, n_features)
        Inputs, n_features = the rows of the first W.
    y : array-like of shape (n_samples,)
        Integer class labels in [0, n_classes).
    epochs : int, default=200
        Maximum number of passes over the training set, >= 1.
    lr : float, default=0.05
        Learning rate, > 0.
    momentum : float, default=0.9
        Momentum, in [0, 1) (0 = plain SGD).
    batch_size : int, default=32
        Examples per minibatch, >= 1.
    l2 : float, default=0.0
        L2 strength, >= 0.
    l1 : float, default=0.0
        L1 strength, >= 0.
    keep_prob : float or sequence of float, default=1.0
        Keep probability of each layer's input units, in (0, 1], one value or one per layer
        (1 = no dropout).
    rng : int or numpy.random.Generator, default=0
        Seed or generator of the minibatch order and the dropout masks.
    X_val : array-like of shape (n_val, n_features), default=None
        Validation inputs (needed for ``patience``).
    y_val : array-like of shape (n_val,), default=None
        Validation labels.
    patience : int, default=None
        Early stopping: epochs without a lower validation loss before stopping; None trains for
        ``epochs`` epochs.
    label_smoothing : float, default=0.0
        Label smoothing eps, in [0, 1).

    Returns
    -------
    TrainResult
        ``history`` has per-epoch ``train_loss`` (unregularized cross-entropy, no dropout),
        ``val_loss``, ``train_acc`` and ``val_acc`` (the last two only with validation data).

    Raises
    ------
    ValueError
        If the layers do not chain, X does not have the network's number of inputs, or a label is
        outside [0, n_classes).
    TypeError
        If layers is not a list of (W, b) pairs or y is not an array of integers.
        Also if a setting is out of range, or patience is given without validation data.

    Examples
    --------
    >>> from reglab import data, mlp
    >>> split = data.classification_data(n_train=40, rng=0)
    >>> layers = mlp.init_mlp([split.X_train.shape[1], 16, 2], rng=0)
    >>> res = mlp.train_mlp(layers, split.X_train, split.y_train, epochs=20, rng=1)
    >>> len(res.history["train_loss"]), res.best_epoch
    (20, 20)
    >>> res.history["train_loss"][-1] < res.history["train_loss"][0]
    True
    """
    layers = [(W.copy(), b.copy()) for W, b in check_layers(layers)]
    X, y = check_network_input(layers, X, y)
    epochs = check_int(epochs, "epochs", minimum=1)
    lr = check_positive_scalar(lr, "lr")
    momentum = check_scalar(momentum, "momentum", 0.0, 1.0, include_high=False, hint="0 is plain SGD")
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    l2 = check_nonneg_scalar(l2, "l2")
    l1 = check_nonneg_scalar(l1, "l1")
    keep = check_keep_probs(keep_prob, len(layers))
    label_smoothing = _check_label_smoothing(label_smoothing)
    rng = as_rng(rng)
    has_val = X_val is not None and y_val is not None
    if patience is not None and not has_val:
        raise ValueError("early stopping (patience) needs validation data: pass X_val and y_val")
    if has_val:
        X_val, y_val = check_network_input(layers, X_val, y_val)
    stopper = EarlyStopping(patience=patience) if patience is not None else None
    # Everything is validated: the loop below calls only private functions that trust their inputs.
    with _single_threaded_blas():  # small matrices: one BLAS thread is fastest (see reglab._kernels)
        return _train(layers, X, y, epochs, lr, momentum, batch_size, l2, l1, keep, rng,
                      X_val if has_val else None, y_val, stopper, label_smoothing)


def _train(layers, X, y, epochs, lr, momentum, batch_size, l2, l1, keep, rng, X_val, y_val, stopper, label_smoothing):
    vel = [(np.zeros_like(W), np.zeros_like(b)) for W, b in layers]
    hist = {"train_loss": [], "val_loss": [], "train_acc": [], "val_acc": []}
    n = X.shape[0]
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n)
        for s in range(0, n, batch_size):
            idx = order[s : s + batch_size]
            _, grads = _loss_and_grads(layers, X[idx], y[idx], l2, l1, keep, rng, label_smoothing, with_loss=False)
            new_layers, new_vel = [], []
            for (W, b), (vW, vb), (dW, db) in zip(layers, vel, grads):
                vW = momentum * vW - lr * dW
                vb = momentum * vb - lr * db
                new_layers.append((W + vW, b + vb))
                new_vel.append((vW, vb))
            layers, vel = new_layers, new_vel
        train_loss, train_acc = _loss_and_accuracy(layers, X, y)
        hist["train_loss"].append(train_loss)
        hist["train_acc"].append(train_acc)
        if X_val is not None:
            val_loss, val_acc = _loss_and_accuracy(layers, X_val, y_val)
            hist["val_loss"].append(val_loss)
            hist["val_acc"].append(val_acc)
            if stopper is not None and stopper.update(epoch, val_loss, layers):
                break
    if stopper is not None and stopper.best_params is not None:
        return TrainResult(stopper.best_params, stopper.best_step, hist)
    return TrainResult(layers, epoch, hist)
