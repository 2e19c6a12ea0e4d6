"""Session 6 capstone, reference implementation: the regularized parts of a numpy MLP, and a fair comparison.

The pieces a student implements, each a small pure function:

* :func:`l2_grad` - the gradient l2 * W of the penalty (l2/2) ||W||_F^2 (weights only, not biases);
* :func:`prox_l1` - the proximal step of step * l1 * ||W||_1 after a gradient step: soft-thresholding
  (:func:`reglab.l1.soft_threshold`), which lands on exact zeros, unlike the subgradient l1 * sign(W);
* :func:`dropout_forward` / :func:`dropout_backward` - inverted dropout, the backward pass reusing
  the forward pass's mask;
* :func:`l2_grads` - the same term for a whole network: l2 * W for each weight matrix, 0 for each bias;
* early stopping with patience and a copy of the best weights (:class:`EarlyStopper`).

The training loop (:func:`train`, :func:`run_capstone`) calls these pieces through a :class:`Pieces`
argument, so a student's own functions run inside the same loop and sweep (:func:`pieces_from`). The
loop updates the weights IN PLACE, as real frameworks do: an early stopper that keeps a reference
instead of a copy ends up with the last weights.

The comparison (:func:`run_capstone`) is fair by construction: every method starts from the SAME
initial weights and visits the SAME minibatches in the same order (:func:`minibatch_order`, drawn
once; dropout masks come from a separate stream), each regularizer's strength is chosen by a
validation sweep that is returned so it can be shown, and the test set is used once, at the end.
The single unregularized model fit on all the training data is the baseline the bagged ensemble
is compared with. Two models scored on the same test set are compared image by image, with the
exact McNemar test (:func:`mcnemar`), not with the standard error of one accuracy.

Network: ReLU hidden layers, softmax output, mean cross-entropy; layers are ``(W, b)`` pairs as in
:mod:`reglab.mlp`, whose engine (input check, forward and backward pass, loss, probabilities) this module's
loop runs on. Dropout acts on the input of each layer with keep probability < 1.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ._kernels import single_threaded_blas as _single_threaded_blas
from ._kernels import soft_threshold as _soft_threshold
from ._validation import (
    as_float_array,
    as_rng,
    as_seed,
    check_int,
    check_keep_prob,
    check_keep_probs,
    check_layers,
    check_nonneg_scalar,
    check_positive_scalar,
    check_same_length,
    check_scalar,
    check_split,
)
from .dropout import inverted_dropout
from .early_stopping import EarlyStopping
from .ensembles import bootstrap_indices
from .mlp import (
    TrainResult,
    backprop,
    check_network_input,
    init_mlp,
    network_nll,
    network_proba,
    weight_penalty,
)

__all__ = [
    "l2_grad",
    "l2_grads",
    "prox_l1",
    "dropout_forward",
    "dropout_backward",
    "minibatch_order",
    "EarlyStopper",
    "Pieces",
    "pieces_from",
    "loss_and_grads",
    "train",
    "exact_zeros",
    "DEFAULT_GRIDS",
    "CapstoneResult",
    "run_capstone",
    "PairedTest",
    "mcnemar",
]

#: Candidate strengths of each regularizer for the validation sweep of :func:`run_capstone`
#: (``dropout`` lists the hidden layer's keep probability; the input's is 0.8 when the hidden one < 1).
DEFAULT_GRIDS = {
    "L2": (1e-4, 1e-3, 3e-3, 1e-2, 3e-2),
    "L1": (3e-4, 1e-3, 3e-3, 1e-2, 3e-2),
    "dropout": (0.9, 0.75, 0.5),
}


# ---------------------------------------------------------------------------- the student's pieces


def l2_grad(W, l2):
    """Compute the gradient of the L2 penalty (l2/2) ||W||_F^2: l2 * W.

    Added to the data gradient of each weight matrix (never of a bias); with plain SGD it makes the
    step the weight decay W <- (1 - lr * l2) W - lr * grad (7.5).

    Parameters
    ----------
    W : array-like
        A weight matrix.
    l2 : float
        Strength, >= 0.

    Returns
    -------
    ndarray
        The product l2 * W, the shape of W.

    Raises
    ------
    ValueError
        If l2 < 0 or W is not finite.

    Examples
    --------
    >>> from reglab import capstone
    >>> capstone.l2_grad([[1.0, -2.0]], 0.1)
    array([[ 0.1, -0.2]])
    """
    return check_nonneg_scalar(l2, "l2") * as_float_array(W, "W")


def l2_grads(layers, l2):
    """Compute the gradient of (l2/2) sum_l ||W_l||_F^2 with respect to every parameter of a network.

    Weights get l2 * W (:func:`l2_grad`); biases get 0: they are not penalized.

    Parameters
    ----------
    layers : list of (W, b) pairs
        The network.
    l2 : float
        Strength, >= 0.

    Returns
    -------
    list of (ndarray, ndarray)
        (dW, db) of the penalty per layer, the shapes of (W, b).

    Raises
    ------
    ValueError
        If layers is not a chained list of (W, b) pairs or l2 < 0.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import capstone
    >>> capstone.l2_grads([(np.array([[1.0, -2.0]]), np.array([5.0, 5.0]))], 0.1)
    [(array([[ 0.1, -0.2]]), array([0., 0.]))]
    """
    l2 = check_nonneg_scalar(l2, "l2")
    return [(l2_grad(W, l2), np.zeros_like(b)) for W, b in check_layers(layers)]


def prox_l1(W, step, l1):
    """Apply the proximal step of step * l1 * ||W||_1: soft-threshold W at step * l1.

    Used right after a gradient step on the data loss (proximal gradient, ISTA): entries with
    |W_ij| <= step * l1 become exactly 0, the others move toward 0 by step * l1. The subgradient
    step W - step * l1 * sign(W) instead jumps over 0 and almost never lands on it.

    Parameters
    ----------
    W : array-like
        A weight matrix after the gradient step.
    step : float
        Learning rate of that step, > 0.
    l1 : float
        L1 strength, >= 0.

    Returns
    -------
    ndarray
        The soft-thresholded sign(W) * max(|W| - step * l1, 0), the shape of W.

    Raises
    ------
    ValueError
        If step <= 0, l1 < 0 or W is not finite.

    Examples
    --------
    >>> from reglab import capstone
    >>> capstone.prox_l1([0.05, -0.3, 0.5], step=0.1, l1=1.0)
    array([ 0. , -0.2,  0.4])
    """
    W = as_float_array(W, "W")
    step = check_positive_scalar(step, "step")
    l1 = check_nonneg_scalar(l1, "l1")
    return _soft_threshold(W, step * l1)


def dropout_forward(h, keep_prob, rng):
    """Apply inverted dropout to activations h and return the mask for the backward pass.

    h~ = m * h / keep_prob with m_j ~ Bernoulli(keep_prob) (:func:`reglab.dropout.inverted_dropout`).

    Parameters
    ----------
    h : array-like
        Activations (a minibatch of a layer's inputs).
    keep_prob : float
        Probability of keeping a unit, in (0, 1].
    rng : int or numpy.random.Generator
        Seed or generator of the mask.

    Returns
    -------
    h_tilde : ndarray
        The dropped and rescaled activations.
    mask : ndarray
        The 0/1 mask, the shape of h; pass it to :func:`dropout_backward`.

    Raises
    ------
    ValueError
        If keep_prob is outside (0, 1] or h is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import capstone
    >>> h_tilde, mask = capstone.dropout_forward(np.full(4, 3.0), 0.5, rng=0)
    >>> bool(np.all(h_tilde == 6.0 * mask))
    True
    """
    return inverted_dropout(h, keep_prob, rng, return_mask=True)


def _dropout_apply(a, mask, keep_prob):
    return a * mask / keep_prob


def dropout_backward(grad_out, mask, keep_prob):
    """Backpropagate through inverted dropout: grad_in = grad_out * mask / keep_prob.

    The forward pass multiplied each unit by m_j / keep_prob, a constant once the mask is drawn, so
    the backward pass multiplies by the same constant: the SAME mask, not a new one.

    Parameters
    ----------
    grad_out : array-like
        Gradient of the loss with respect to the dropout output h~.
    mask : array-like
        The 0/1 mask the forward pass drew, the shape of grad_out.
    keep_prob : float
        The keep probability of the forward pass, in (0, 1].

    Returns
    -------
    ndarray
        Gradient with respect to the dropout input h.

    Raises
    ------
    ValueError
        If the shapes differ, the mask is not 0/1 or keep_prob is outside (0, 1].

    Examples
    --------
    >>> from reglab import capstone
    >>> capstone.dropout_backward([1.0, 1.0, 1.0], [1.0, 0.0, 1.0], 0.5)
    array([2., 0., 2.])
    """
    grad_out = as_float_array(grad_out, "grad_out")
    mask = as_float_array(mask, "mask")
    if mask.shape != grad_out.shape:
        raise ValueError(f"mask has shape {mask.shape} but grad_out has {grad_out.shape}: use the forward pass's mask")
    if not np.all((mask == 0) | (mask == 1)):
        raise ValueError("mask must contain only 0 and 1 (the forward pass's Bernoulli draws, before rescaling)")
    return _dropout_apply(grad_out, mask, check_keep_prob(keep_prob))


def minibatch_order(n, batch_size, epochs, rng):
    """Draw the minibatches of every epoch once, so that every method can visit the same ones.

    Parameters
    ----------
    n : int
        Number of training examples, >= 1.
    batch_size : int
        Examples per minibatch, >= 1 (the last of an epoch may be smaller).
    epochs : int
        Number of epochs, >= 1.
    rng : int or numpy.random.Generator
        Seed or generator of the shuffles.

    Returns
    -------
    list of list of ndarray
        Minibatches: ``order[e][j]`` holds the indices of minibatch j of epoch e; each epoch is a
        permutation of range(n).

    Raises
    ------
    ValueError
        If a count is below 1.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import capstone
    >>> order = capstone.minibatch_order(5, 2, epochs=3, rng=0)
    >>> len(order), [len(b) for b in order[0]], sorted(np.concatenate(order[1]).tolist())
    (3, [2, 2, 1], [0, 1, 2, 3, 4])
    """
    n = check_int(n, "n", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    epochs = check_int(epochs, "epochs", minimum=1)
    rng = as_rng(rng)
    out = []
    for _ in range(epochs):
        perm = rng.permutation(n)
        out.append([perm[s : s + batch_size] for s in range(0, n, batch_size)])
    return out


class EarlyStopper(EarlyStopping):
    """Early stopping as the capstone's loop calls it: patience, and a copy of the best epoch's weights.

    :class:`reglab.early_stopping.EarlyStopping` (which deep-copies the parameters when the validation
    loss improves strictly) with the capstone's signature: the patience only. The loop reads the same
    names as session 3: ``best_step`` (the best epoch) and ``best_params`` (a copy of its weights).

    Parameters
    ----------
    patience : int
        Epochs without a strictly lower validation loss before stopping, >= 1.

    Raises
    ------
    ValueError
        If patience < 1.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import capstone
    >>> es, W = capstone.EarlyStopper(patience=2), np.zeros(1)
    >>> stops = []
    >>> for epoch, loss in enumerate([3.0, 2.0, 2.0, 2.5], start=1):
    ...     W[0] = epoch  # the loop updates the weights in place
    ...     stops.append(es.update(epoch, loss, [(W, W)]))
    >>> stops, es.best_step, float(es.best_params[0][0][0])
    ([False, False, False, True], 2, 2.0)
    """

    def __init__(self, patience):
        super().__init__(patience=patience)


def _fast_l2_grads(layers, l2):
    return [(l2 * W, np.zeros_like(b)) for W, b in layers]


def _fast_prox_l1(W, step, l1):
    return _soft_threshold(W, step * l1)


def _fast_dropout_forward(h, keep_prob, rng):
    mask = (rng.random(h.shape) < keep_prob).astype(float)
    return _dropout_apply(h, mask, keep_prob), mask


@dataclass(frozen=True)
class Pieces:
    """The regularized parts the training loop calls; the defaults are the reference implementation.

    Parameters
    ----------
    l2_grads : callable, default=the reference
        ``l2_grads(layers, l2)`` -> list of (dW, db) of the penalty (:func:`l2_grads`); called when l2 > 0.
    prox_l1 : callable, default=the reference
        ``prox_l1(W, step, l1)`` -> W after the proximal step (:func:`prox_l1`); called when l1 > 0.
    dropout_forward : callable, default=the reference
        ``dropout_forward(h, keep_prob, rng)`` -> (h_tilde, mask) (:func:`dropout_forward`).
    dropout_backward : callable, default=the reference
        ``dropout_backward(grad_out, mask, keep_prob)`` -> grad_in (:func:`dropout_backward`).
    early_stopping : callable, default=EarlyStopper
        ``early_stopping(patience)`` -> an object with ``update(epoch, val_loss, layers)`` (True: stop),
        ``best_step`` (the best epoch) and ``best_params`` (a copy of its weights) (:class:`EarlyStopper`).
    reference : tuple of str, default=()
        Names of the pieces that are the reference's (for :func:`pieces_from`'s report).

    Raises
    ------
    ValueError
        If a piece is not callable.

    Examples
    --------
    >>> from reglab import capstone
    >>> capstone.Pieces().early_stopping is capstone.EarlyStopper
    True
    """

    l2_grads: object = field(default_factory=lambda: _fast_l2_grads)
    prox_l1: object = field(default_factory=lambda: _fast_prox_l1)
    dropout_forward: object = field(default_factory=lambda: _fast_dropout_forward)
    dropout_backward: object = field(default_factory=lambda: _dropout_apply)
    early_stopping: object = EarlyStopper
    reference: tuple = ()

    def __post_init__(self):
        for name in _PIECE_NAMES:
            if not callable(getattr(self, name)):
                raise ValueError(f"the piece {name} must be callable, got {type(getattr(self, name)).__name__}")


_PIECE_NAMES = ("l2_grads", "prox_l1", "dropout_forward", "dropout_backward", "early_stopping")
_REFERENCE = Pieces()


def _probe(name, fn):
    """Call a piece once on a tiny input; NotImplementedError means "not written yet"."""
    W, b = np.ones((2, 2)), np.zeros(2)
    calls = {
        "l2_grads": lambda: fn([(W.copy(), b.copy())], 0.1),
        "prox_l1": lambda: fn(W.copy(), 0.1, 0.1),
        "dropout_forward": lambda: fn(W.copy(), 0.5, np.random.default_rng(0)),
        "dropout_backward": lambda: fn(W.copy(), np.ones((2, 2)), 0.5),
        "early_stopping": lambda: fn(2).update(1, 1.0, [(W.copy(), b.copy())]),
    }
    try:
        calls[name]()
    except NotImplementedError:
        return False
    return True


def pieces_from(*, l2_grads=None, prox_l1=None, dropout_forward=None, dropout_backward=None,
                early_stopping=None, verbose=True):
    """Build the :class:`Pieces` of the training loop from your own functions.

    Each function given is called once on a tiny input: if it raises ``NotImplementedError`` (an
    exercise not answered yet), the reference implementation takes its place and the report says so;
    any other error is raised, so a bug shows here and not in the middle of a sweep.

    Parameters
    ----------
    l2_grads, prox_l1, dropout_forward, dropout_backward : callable, default=None
        Your functions, with the signatures of :class:`Pieces`; None uses the reference.
    early_stopping : callable, default=None
        Your early stopper's class (called with ``patience``); None uses :class:`EarlyStopper`.
    verbose : bool, default=True
        Print which pieces are yours and which are the reference's.

    Returns
    -------
    Pieces
        The pieces; ``reference`` names those that are not yours.

    Raises
    ------
    ValueError
        If a piece is not callable.

    Examples
    --------
    >>> from reglab import capstone
    >>> def l2_grads(layers, lam):
    ...     raise NotImplementedError()
    >>> capstone.pieces_from(l2_grads=l2_grads, verbose=False).reference
    ('l2_grads', 'prox_l1', 'dropout_forward', 'dropout_backward', 'early_stopping')
    """
    given = {"l2_grads": l2_grads, "prox_l1": prox_l1, "dropout_forward": dropout_forward,
             "dropout_backward": dropout_backward, "early_stopping": early_stopping}
    chosen, reference = {}, []
    for name, fn in given.items():
        if fn is not None and not callable(fn):
            raise ValueError(f"{name} must be a function (or a class for early_stopping), got {type(fn).__name__}")
        if fn is not None and _probe(name, fn):
            chosen[name] = fn
        else:
            reference.append(name)
    if verbose:
        yours = [n for n in _PIECE_NAMES if n in chosen]
        print("the training loop runs on your " + (", ".join(yours) if yours else "(none yet)")
              + ("; reference implementation for " + ", ".join(reference) + " (not implemented yet)"
                 if reference else ""))
    return Pieces(**chosen, reference=tuple(reference))


# ---------------------------------------------------------------------------- forward and backward


def _check_masks(masks, layers, X):
    if masks is None:
        return [None] * len(layers)
    if not isinstance(masks, (list, tuple)) or len(masks) != len(layers):
        raise ValueError(f"masks must be a list with one entry (a 0/1 array or None) per layer ({len(layers)})")
    out = []
    for i, m in enumerate(masks):
        if m is None:
            out.append(None)
            continue
        m = as_float_array(m, f"masks[{i}]", ndim=2)
        want = (X.shape[0], layers[i][0].shape[0])
        if m.shape != want or not np.all((m == 0) | (m == 1)):
            raise ValueError(f"masks[{i}] must be a 0/1 array of shape {want} (examples x inputs of layer {i})")
        out.append(m)
    return out


def _loss_and_grads(layers, X, y, l2, keep, drop, pieces=_REFERENCE, with_loss=True):
    """The loss (None if not ``with_loss``: training needs only the gradients) and the gradients.

    :func:`reglab.mlp.backprop` with the pieces: ``drop`` calls dropout_forward (or applies given masks), the
    backward pass dropout_backward with the forward pass's mask, and the L2 gradient is l2_grads'.
    """
    penalty = pieces.l2_grads(layers, l2) if l2 > 0 else None

    def undrop(layer, dh, mask):
        return pieces.dropout_backward(dh, mask, keep[layer])  # the forward pass's mask again

    def penalize(layer, dW, db):  # data gradient + the penalty's (l2_grads: l2 W for weights, 0 for biases)
        return dW + penalty[layer][0], db + penalty[layer][1]

    return backprop(layers, X, y, drop=drop, undrop=undrop, penalize=None if penalty is None else penalize,
                    penalty=weight_penalty(layers, l2) if with_loss else None)


def loss_and_grads(layers, X, y, l2=0.0, masks=None, keep_prob=1.0):
    """Compute the mean cross-entropy + (l2/2) sum ||W||_F^2 and its gradients, with given dropout masks.

    The masks are arguments, not drawn here, so the function is deterministic and its gradient can
    be checked by finite differences with the mask held fixed. The L1 penalty is not part of it: it
    is applied by :func:`prox_l1` after the step.

    Parameters
    ----------
    layers : list of (W, b) pairs
        The network, e.g. from :func:`reglab.mlp.init_mlp`.
    X : array-like of shape (n_samples, n_features)
        Inputs.
    y : array-like of shape (n_samples,)
        Integer class labels in [0, n_classes).
    l2 : float, default=0.0
        L2 strength, >= 0.
    masks : list of (ndarray or None), default=None
        Per layer, the 0/1 dropout mask of its input, of shape (n_samples, n_inputs of the layer), or
        None for no dropout there; None: no dropout anywhere.
    keep_prob : float or sequence of float, default=1.0
        Keep probability of each layer's input (one value or one per layer), used to rescale the kept
        units where a mask is given.

    Returns
    -------
    loss : float
        The regularized loss (with the masks applied).
    grads : list of (ndarray, ndarray)
        (dW, db) per layer.

    Raises
    ------
    ValueError
        If shapes do not match, a label is out of range, l2 < 0 or a mask is not 0/1.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import capstone, mlp
    >>> layers = mlp.init_mlp([3, 4, 2], rng=0)
    >>> X, y = np.random.default_rng(1).normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
    >>> masks = [None, np.ones((5, 4))]  # keep every hidden unit: the same as no dropout
    >>> a = capstone.loss_and_grads(layers, X, y, masks=masks, keep_prob=[1.0, 0.5])[0]
    >>> b = capstone.loss_and_grads(layers, X, y)[0]
    >>> a != b  # kept units are rescaled by 1/keep_prob
    True
    """
    layers = check_layers(layers)
    X, y = check_network_input(layers, X, y)
    l2 = check_nonneg_scalar(l2, "l2")
    keep = check_keep_probs(keep_prob, len(layers))
    masks = _check_masks(masks, layers, X)

    def drop(i, h):
        return (h, None) if masks[i] is None else (_dropout_apply(h, masks[i], keep[i]), masks[i])

    return _loss_and_grads(layers, X, y, l2, keep, drop)


def _check_pieces(pieces):
    if pieces is None:
        return _REFERENCE
    if not isinstance(pieces, Pieces):
        raise ValueError(f"pieces must be a capstone.Pieces (see capstone.pieces_from), got {type(pieces).__name__}")
    return pieces


# ---------------------------------------------------------------------------- training


def _train(layers, X, y, order, lr, momentum, l2, l1, keep, mask_rng, X_val, y_val, stopper, pieces=_REFERENCE):
    layers = [(W.copy(), b.copy()) for W, b in layers]  # updated in place below, as frameworks do
    vel = [(np.zeros_like(W), np.zeros_like(b)) for W, b in layers]
    hist = {"train_loss": [], "val_loss": []}

    def drop(i, h):
        return pieces.dropout_forward(h, keep[i], mask_rng) if keep[i] < 1 else (h, None)

    epoch = 0
    for epoch, batches in enumerate(order, start=1):
        for idx in batches:
            _, grads = _loss_and_grads(layers, X[idx], y[idx], l2, keep, drop, pieces, with_loss=False)
            for (W, b), (vW, vb), (dW, db) in zip(layers, vel, grads):
                vW *= momentum
                vW -= lr * dW
                vb *= momentum
                vb -= lr * db
                W += vW
                b += vb
                if l1 > 0:
                    W[...] = pieces.prox_l1(W, lr, l1)  # exact zeros; biases are not penalized
        hist["train_loss"].append(network_nll(layers, X, y))
        if X_val is not None:
            hist["val_loss"].append(network_nll(layers, X_val, y_val))
            if stopper is not None and stopper.update(epoch, hist["val_loss"][-1], layers):
                break
    if stopper is not None and stopper.best_params is not None:
        return TrainResult(stopper.best_params, stopper.best_step, hist)
    return TrainResult(layers, epoch, hist)


def train(layers, X, y, order, *, lr=0.1, momentum=0.9, l2=0.0, l1=0.0, keep_prob=1.0, mask_rng=0,
          X_val=None, y_val=None, patience=None, pieces=None):
    """Train by minibatch SGD with momentum over a given minibatch order, with any of the regularizers.

    Each step: draw dropout masks (from ``mask_rng``), take the gradient of the data loss + L2 term
    with those masks, take the momentum step, then the L1 proximal step on the weights. With
    ``patience``, stop after that many epochs without a lower validation loss and return the best
    epoch's weights (a copy taken when they were best), not the last.

    Parameters
    ----------
    layers : list of (W, b) pairs
        Initial network (copied, not modified).
    X : array-like of shape (n_samples, n_features)
        Training inputs.
    y : array-like of shape (n_samples,)
        Training labels in [0, n_classes).
    order : list of list of array-like
        Minibatch indices per epoch, from :func:`minibatch_order`; its length is the number of epochs.
    lr : float, default=0.1
        Learning rate, > 0.
    momentum : float, default=0.9
        Momentum in [0, 1).
    l2 : float, default=0.0
        L2 strength, >= 0.
    l1 : float, default=0.0
        L1 strength, >= 0 (proximal step).
    keep_prob : float or sequence of float, default=1.0
        Keep probability of each layer's input (1 = no dropout).
    mask_rng : int or numpy.random.Generator, default=0
        Seed or generator of the dropout masks (separate from the minibatch order).
    X_val : array-like of shape (n_val, n_features), default=None
        Validation inputs (needed for ``patience``).
    y_val : array-like of shape (n_val,), default=None
        Validation labels.
    patience : int, default=None
        Epochs without improvement before stopping; None trains every epoch of ``order``.
    pieces : Pieces, default=None
        The regularized parts the loop calls (e.g. yours, from :func:`pieces_from`); None: the reference.

    Returns
    -------
    reglab.mlp.TrainResult
        ``layers``, ``best_epoch`` and ``history`` with per-epoch ``train_loss`` and ``val_loss``
        (unregularized cross-entropy, every unit kept).

    Raises
    ------
    ValueError
        If shapes do not match, a setting is out of range, an index of ``order`` is out of range, or
        patience is given without validation data.

    Examples
    --------
    >>> from reglab import capstone, data, mlp
    >>> split = data.digits_split(n_train=100, n_val=50, n_test=50, rng=0)
    >>> init = mlp.init_mlp([64, 16, 10], rng=0)
    >>> order = capstone.minibatch_order(100, 25, epochs=10, rng=1)
    >>> res = capstone.train(init, split.X_train, split.y_train, order, l1=1e-3)
    >>> res.history["train_loss"][-1] < res.history["train_loss"][0], capstone.exact_zeros(res.layers)[0] > 0
    (True, True)
    """
    layers = check_layers(layers)
    X, y = check_network_input(layers, X, y)
    if not isinstance(order, (list, tuple)) or not order:
        raise ValueError("order must be a non-empty list of epochs, each a list of index arrays (minibatch_order)")
    order = [[np.asarray(idx, dtype=np.intp) for idx in epoch] for epoch in order]
    if any(idx.size and (idx.min() < 0 or idx.max() >= len(y)) for epoch in order for idx in epoch):
        raise ValueError(f"order has indices outside [0, {len(y)}): it was drawn for another training set size")
    lr = check_positive_scalar(lr, "lr")
    momentum = check_scalar(momentum, "momentum", 0.0, 1.0, include_high=False, hint="0 is plain SGD")
    l2 = check_nonneg_scalar(l2, "l2")
    l1 = check_nonneg_scalar(l1, "l1")
    keep = check_keep_probs(keep_prob, len(layers))
    mask_rng = as_rng(mask_rng, "mask_rng")
    has_val = X_val is not None and y_val is not None
    if patience is not None and not has_val:
        raise ValueError("early stopping (patience) needs validation data: pass X_val and y_val")
    if has_val:
        X_val, y_val = check_network_input(layers, X_val, y_val)
    pieces = _check_pieces(pieces)
    stopper = pieces.early_stopping(patience) if patience is not None else None
    return _train(layers, X, y, order, lr, momentum, l2, l1, keep, mask_rng,
                  X_val if has_val else None, y_val, stopper, pieces)


def exact_zeros(layers):
    """Count the weights that are exactly 0 (``== 0``, not "small"), per layer.

    Parameters
    ----------
    layers : list of (W, b) pairs
        A network.

    Returns
    -------
    list of int
        Exact zeros in each layer's W.

    Raises
    ------
    ValueError
        If layers is not a chained list of (W, b) pairs.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import capstone
    >>> capstone.exact_zeros([(np.array([[0.0, 1e-9], [2.0, 0.0]]), np.zeros(2))])
    [2]
    """
    return [int(np.sum(W == 0)) for W, _ in check_layers(layers)]


# ---------------------------------------------------------------------------- the comparison


@dataclass
class CapstoneResult:
    """What :func:`run_capstone` returns.

    Parameters
    ----------
    sweeps : dict
        Regularizer -> {"values": candidate strengths, "val_loss": validation loss of each,
        "chosen": the value with the lowest}; for early stopping, values are the epochs and
        val_loss the validation curve of one run.
    table : dict
        Method -> dict with ``setting``, ``train_loss``, ``val_loss``, ``test_loss``, ``test_acc``
        and ``zeros_first_layer`` (exact zeros in the first W; the bag's: its members' mean).
    models : dict
        Method -> list of trained networks (one, or the bag's members).
    histories : dict
        Method -> training history of the chosen setting (the bag: of its first member).
    seconds : float, default=0.0
        Wall time of the whole sweep and comparison.
    settings : dict, default={}
        Method -> the setting it was trained with (the chosen strength, early stopping's epoch).

    Examples
    --------
    >>> from reglab import capstone
    >>> capstone.CapstoneResult({}, {}, {}, {}).seconds
    0.0
    """

    sweeps: dict
    table: dict
    models: dict
    histories: dict
    seconds: float = 0.0
    settings: dict = field(default_factory=dict)

    def predict_proba(self, method, X):
        """Predict class probabilities with a method's model (the bag: its members' mean).

        Parameters
        ----------
        method : str
            A key of ``table``.
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities.

        Raises
        ------
        ValueError
            If method is not one of the compared methods.

        Examples
        --------
        >>> from reglab import capstone, data
        >>> split = data.digits_split(n_train=100, n_val=50, n_test=50, rng=0)
        >>> res = capstone.run_capstone(split, hidden=8, epochs=3, grids={"L2": (0.0, 0.01)}, n_bags=2)
        >>> res.predict_proba("L2", split.X_test[:2]).shape
        (2, 10)
        """
        if method not in self.models:
            raise ValueError(f"method must be one of {sorted(self.models)}, got {method!r}")
        X, _ = check_network_input(self.models[method][0], X)
        return np.mean([network_proba(m, X) for m in self.models[method]], axis=0)


def _evaluate(members, split):
    def nll(X, y):
        p = np.mean([network_proba(m, X) for m in members], axis=0)
        return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-300, None)))), p

    train_loss, _ = nll(split.X_train, split.y_train)
    val_loss, _ = nll(split.X_val, split.y_val)
    test_loss, p = nll(split.X_test, split.y_test)
    return {
        "train_loss": train_loss,
        "val_loss": val_loss,
        "test_loss": test_loss,
        "test_acc": float(np.mean(np.argmax(p, axis=1) == split.y_test)),
        "zeros_first_layer": float(np.mean([np.sum(m[0][0] == 0) for m in members])),
    }


def run_capstone(split, *, hidden=32, epochs=40, batch_size=50, lr=0.1, momentum=0.9, grids=None,
                 patience=8, n_bags=5, rng=0, pieces=None):
    """Choose each regularizer's strength on the validation set, then compare all on the test set once.

    One initialization, one minibatch order (and, for the bag, one bootstrap draw) are drawn from
    ``rng`` and shared by every method and every candidate strength. Steps:

    1. sweep: for each regularizer in ``grids``, train once per candidate value and keep the value
       with the lowest validation loss; early stopping's sweep is its own validation curve (one run
       with ``patience``, the best epoch kept);
    2. compare on the test set: no regularization (the single model fit on all the training data),
       each chosen setting, early stopping, and a bag of ``n_bags`` unregularized networks, each trained
       on a bootstrap sample (same initialization, same minibatch positions), probabilities averaged.

    Parameters
    ----------
    split : reglab.data.Split
        Train / validation / test data, e.g. :func:`reglab.data.digits_split`.
    hidden : int, default=32
        Hidden-layer width, >= 1.
    epochs : int, default=40
        Training epochs (the maximum for early stopping), >= 1.
    batch_size : int, default=50
        Minibatch size, >= 1.
    lr : float, default=0.1
        Learning rate, > 0.
    momentum : float, default=0.9
        Momentum in [0, 1).
    grids : dict, default=None
        Regularizer ("L2", "L1", "dropout") -> candidate values; None uses :data:`DEFAULT_GRIDS`. A
        regularizer left out is not compared.
    patience : int, default=8
        Early stopping's patience in epochs, >= 1.
    n_bags : int, default=5
        Members of the bagged ensemble, >= 2.
    rng : int or numpy.random.Generator, default=0
        Seed of the initialization (seed), the minibatch order (seed + 1), the dropout masks
        (seed + 2) and the bootstrap samples (seed + 3).
    pieces : Pieces, default=None
        The regularized parts every training run calls (e.g. yours, from :func:`pieces_from`); None:
        the reference implementation.

    Returns
    -------
    CapstoneResult
        The sweeps, the comparison table (keys "none", "L2", "L1", "dropout", "early stopping",
        "bagging"), the models, the histories and the wall time.

    Raises
    ------
    ValueError
        If ``split`` is not a train / validation / test data set (six arrays: the same columns in each X,
        one integer label per row of each), a setting is out of range or ``grids`` names an unknown regularizer.

    Examples
    --------
    >>> from reglab import capstone, data
    >>> split = data.digits_split(n_train=100, n_val=50, n_test=50, rng=0)
    >>> res = capstone.run_capstone(split, hidden=8, epochs=3, grids={"L2": (0.0, 0.01)}, n_bags=2)
    >>> list(res.table), res.sweeps["L2"]["chosen"] in (0.0, 0.01)
    (['none', 'L2', 'early stopping', 'bagging'], True)
    """
    t0 = time.perf_counter()
    split = check_split(split)
    grids = _check_grids(grids)
    hidden = check_int(hidden, "hidden", minimum=1)
    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    lr = check_positive_scalar(lr, "lr")
    momentum = check_scalar(momentum, "momentum", 0.0, 1.0, include_high=False, hint="0 is plain SGD")
    patience = check_int(patience, "patience", minimum=1)
    n_bags = check_int(n_bags, "n_bags", minimum=2)
    seed = as_seed(rng)
    pieces = _check_pieces(pieces)
    # Everything is validated: what follows calls only private functions that trust their inputs.
    with _single_threaded_blas():  # small matrices: one BLAS thread is fastest (see reglab._kernels)
        shared = _Shared.draw(split, hidden, epochs, batch_size, lr, momentum, seed, pieces)
        sweeps, models, histories, settings = _sweep(shared, grids)
        _early_stopping(shared, patience, sweeps, models, histories, settings)
        _bagging(shared, n_bags, seed, models, histories, settings)
        table = {name: {"setting": settings[name], **_evaluate(ms, split)} for name, ms in models.items()}
    return CapstoneResult(sweeps, table, models, histories, time.perf_counter() - t0, settings)


def _check_grids(grids):
    grids = DEFAULT_GRIDS if grids is None else dict(grids)
    unknown = set(grids) - set(DEFAULT_GRIDS)
    if unknown:
        raise ValueError(f"grids may only name {sorted(DEFAULT_GRIDS)}, got {sorted(unknown)}")
    for name, values in grids.items():
        for v in values:
            if name == "dropout":
                check_keep_prob(v, "dropout grid value")
            else:
                check_nonneg_scalar(v, f"{name} grid value")
    return grids


@dataclass(frozen=True)
class _Shared:
    """What every training run of the comparison shares: the data, one initialization, one minibatch order."""

    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    init: list
    order: list
    lr: float
    momentum: float
    mask_seed: int
    pieces: Pieces

    @classmethod
    def draw(cls, split, hidden, epochs, batch_size, lr, momentum, seed, pieces):
        n, d = split.X_train.shape
        init = init_mlp([d, hidden, split.n_classes], seed)
        order = minibatch_order(n, batch_size, epochs, seed + 1)
        return cls(split.X_train, split.y_train, split.X_val, split.y_val, init, order, lr, momentum, seed + 2, pieces)

    def fit(self, l2=0.0, l1=0.0, keep=(1.0, 1.0), stopper=None, rows=None):
        """Train from the shared start (on ``rows`` of the training set: a bootstrap sample) with one setting."""
        X, y = (self.X, self.y) if rows is None else (self.X[rows], self.y[rows])
        return _train(self.init, X, y, self.order, self.lr, self.momentum, l2, l1, list(keep),
                      np.random.default_rng(self.mask_seed), self.X_val, self.y_val, stopper, self.pieces)


def _keep_of(p):
    """The keep probabilities of the dropout sweep's value p: the input's 0.8 when the hidden layer's p < 1."""
    return [0.8 if p < 1 else 1.0, p]


_SETTING_OF = {"L2": lambda v: {"l2": v}, "L1": lambda v: {"l1": v}, "dropout": lambda v: {"keep": _keep_of(v)}}


def _sweep(shared, grids):
    """The unregularized model, then each regularizer's strength with the lowest validation loss."""
    res = shared.fit()
    sweeps, models, histories, settings = {}, {"none": [res.layers]}, {"none": res.history}, {"none": {}}
    for name, values in grids.items():
        runs = [shared.fit(**_SETTING_OF[name](v)) for v in values]
        val = [r.history["val_loss"][-1] for r in runs]
        best = int(np.argmin(val))
        sweeps[name] = {"values": list(values), "val_loss": val, "chosen": values[best]}
        models[name], histories[name] = [runs[best].layers], runs[best].history
        settings[name] = _SETTING_OF[name](values[best])
    return sweeps, models, histories, settings


def _early_stopping(shared, patience, sweeps, models, histories, settings):
    """One run with the early stopper: its validation curve is the sweep, its best epoch the setting."""
    es = shared.fit(stopper=shared.pieces.early_stopping(patience))
    curve = es.history["val_loss"]
    sweeps["early stopping"] = {"values": list(range(1, len(curve) + 1)), "val_loss": curve, "chosen": es.best_epoch}
    models["early stopping"], histories["early stopping"] = [es.layers], es.history
    settings["early stopping"] = {"epoch": es.best_epoch, "patience": patience}


def _bagging(shared, n_bags, seed, models, histories, settings):
    """n_bags unregularized networks, each on a bootstrap sample (seed + 3), from the shared start."""
    members = []
    for j, idx in enumerate(bootstrap_indices(len(shared.y), n_bags, seed + 3)):
        r = shared.fit(rows=idx)
        members.append(r.layers)
        if j == 0:
            histories["bagging"] = r.history
    models["bagging"], settings["bagging"] = members, {"members": n_bags}


# ---------------------------------------------------------------------------- two models on one test set


class PairedTest(NamedTuple):
    """What :func:`mcnemar` returns: the discordant counts, the accuracy difference and the p-value.

    Parameters
    ----------
    gained : int
        Test examples the new model gets right and the base model wrong.
    lost : int
        Test examples the base model gets right and the new model wrong.
    difference : float
        The new model's accuracy minus the base's, (gained - lost) / n.
    p_value : float
        Two-sided p-value of the hypothesis that the two models are equally accurate.

    Examples
    --------
    >>> from reglab import capstone
    >>> capstone.PairedTest(14, 4, 10 / 600, 0.031).lost
    4
    """

    gained: int
    lost: int
    difference: float
    p_value: float


def _as_correct(x, name):
    arr = np.asarray(x)
    if arr.dtype != bool:
        arr = as_float_array(x, name, ndim=1)
        if not np.all((arr == 0) | (arr == 1)):
            raise ValueError(f"{name} must say for each test example whether the model got it right (True/False "
                             "or 1/0), not a probability or a label")
        arr = arr == 1
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, one entry per test example, got shape {arr.shape}")
    return arr


def mcnemar(correct_base, correct_new, mid_p=False):
    """Compare two classifiers scored on the SAME test examples: the exact (or mid-p) McNemar test.

    Both models see the same images, so their accuracies are not independent samples: the examples both get right
    or both get wrong say nothing about which is better. Only the discordant ones count: ``gained`` (right for the
    new model, wrong for the base) and ``lost`` (the reverse). If the two models were equally accurate, each
    discordant example would be a gain or a loss with probability 1/2: the two-sided exact p-value is
    min(1, 2 P(X <= min(gained, lost))) with X ~ Binomial(gained + lost, 1/2). The mid-p version counts the observed
    value's own probability once instead of twice (less conservative). The test treats the two trained models as
    fixed: it says nothing about how they would change with another training seed.

    Parameters
    ----------
    correct_base : array-like of shape (n_examples,)
        Whether the base model got each test example right (bool, or 1/0).
    correct_new : array-like of shape (n_examples,)
        The same for the model compared with it, on the same examples in the same order.
    mid_p : bool, default=False
        Return the mid-p value instead of the exact one.

    Returns
    -------
    PairedTest
        ``gained``, ``lost``, ``difference`` (the new model's accuracy minus the base's, (gained - lost) / n) and
        ``p_value``.

    Raises
    ------
    ValueError
        If an array is empty, not 1-D, holds values other than 0/1, or the two differ in length.

    Examples
    --------
    >>> import numpy as np
    >>> from reglab import capstone
    >>> base = np.r_[np.ones(80), np.zeros(14), np.ones(4), np.zeros(2)].astype(bool)
    >>> new = np.r_[np.ones(80), np.ones(14), np.zeros(4), np.zeros(2)].astype(bool)
    >>> t = capstone.mcnemar(base, new)
    >>> t.gained, t.lost, round(t.difference, 2), round(t.p_value, 4)
    (14, 4, 0.1, 0.0309)
    """
    a = _as_correct(correct_base, "correct_base")
    b = _as_correct(correct_new, "correct_new")
    check_same_length(a, b, "correct_base", "correct_new", unit="examples")
    gained, lost = int(np.sum(b & ~a)), int(np.sum(a & ~b))
    n, k = gained + lost, min(gained, lost)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n  # P(X <= k), exact integers
    p = 2 * tail - (math.comb(n, k) / 2**n if mid_p else 0.0)
    return PairedTest(gained, lost, (gained - lost) / a.size, min(1.0, p))
