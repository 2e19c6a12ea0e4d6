"""Session 6: the numpy MLP's gradients and training, checked against finite differences and torch."""

import numpy as np
import pytest
import scipy.optimize
import torch

from reglab import data, mlp


def _setup(seed=0):
    rng = np.random.default_rng(seed)
    # random biases: with zero biases a dead hidden layer puts pre-activations exactly on the
    # ReLU kink, where a one-sided finite difference and the (sub)gradient legitimately differ
    layers = [(W, 0.5 * rng.standard_normal(b.shape)) for W, b in mlp.init_mlp([4, 6, 5, 3], rng)]
    X = rng.standard_normal((7, 4))
    y = rng.integers(0, 3, 7)
    return layers, X, y


@pytest.mark.parametrize(
    "l2,l1,keep", [(0.0, 0.0, 1.0), (0.1, 0.0, 1.0), (0.0, 0.05, 1.0), (0.1, 0.02, [0.8, 0.5, 0.5])]
)
def test_gradients_match_finite_differences(l2, l1, keep):
    layers, X, y = _setup()

    def f(vec):  # the same dropout masks every call: re-seed the rng
        return mlp.loss_and_grads(mlp.unflatten(vec, layers), X, y, l2, l1, keep, np.random.default_rng(5))[0]

    _, grads = mlp.loss_and_grads(layers, X, y, l2, l1, keep, np.random.default_rng(5))
    num = scipy.optimize.approx_fprime(mlp.flatten(layers), f, 1e-6)
    np.testing.assert_allclose(mlp.flatten(grads), num, rtol=1e-4, atol=1e-6)


def test_gradients_match_torch_autograd():
    layers, X, y = _setup(1)
    l2, l1 = 0.05, 0.01
    loss, grads = mlp.loss_and_grads(layers, X, y, l2, l1)
    params = [(torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)) for W, b in layers]
    h = torch.tensor(X)
    for i, (W, b) in enumerate(params):
        if i > 0:
            h = torch.relu(h)
        h = h @ W + b
    t_loss = torch.nn.functional.cross_entropy(h, torch.tensor(y))
    t_loss = t_loss + sum(0.5 * l2 * (W**2).sum() + l1 * W.abs().sum() for W, _ in params)
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), rel=1e-12)
    for (dW, db), (W, b) in zip(grads, params):
        np.testing.assert_allclose(dW, W.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(db, b.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_training_overfits_and_l2_shrinks_weights():
    split = data.classification_data(rng=0)
    layers = mlp.init_mlp([split.X_train.shape[1], 64, 2], 0)
    plain = mlp.train_mlp(layers, split.X_train, split.y_train, epochs=150, X_val=split.X_val, y_val=split.y_val, rng=1)
    reg = mlp.train_mlp(
        layers, split.X_train, split.y_train, epochs=150, l2=0.05, X_val=split.X_val, y_val=split.y_val, rng=1
    )
    h = plain.history
    assert h["train_loss"][-1] < 0.1 * h["train_loss"][0]  # it learns the training set
    assert h["val_loss"][-1] > 1.5 * min(h["val_loss"])  # ...and overfits: validation loss comes back up
    def norm(ls):
        return sum(np.sum(W**2) for W, _ in ls)
    assert norm(reg.layers) < 0.5 * norm(plain.layers)


def test_history_is_the_public_loss_and_accuracy_of_each_epochs_network():
    """train_mlp records each epoch's loss and accuracy from one forward pass: the public functions'
    numbers exactly, on the training and the validation set (epoch by epoch: retrain for e epochs)."""
    split = data.classification_data(n_train=60, rng=0)
    layers = mlp.init_mlp([split.X_train.shape[1], 16, 2], 0)
    full = mlp.train_mlp(layers, split.X_train, split.y_train, epochs=4, keep_prob=[1.0, 0.5], rng=1,
                         X_val=split.X_val, y_val=split.y_val).history
    for e in (1, 4):
        net = mlp.train_mlp(layers, split.X_train, split.y_train, epochs=e, keep_prob=[1.0, 0.5], rng=1).layers
        for X, y, part in ((split.X_train, split.y_train, "train"), (split.X_val, split.y_val, "val")):
            assert full[f"{part}_loss"][e - 1] == mlp.cross_entropy(mlp.forward(net, X)[0], y)
            assert full[f"{part}_acc"][e - 1] == mlp.accuracy(net, X, y)


def test_early_stopping_returns_best_epoch():
    split = data.classification_data(rng=0)
    layers = mlp.init_mlp([split.X_train.shape[1], 64, 2], 0)
    res = mlp.train_mlp(
        layers, split.X_train, split.y_train, epochs=300, X_val=split.X_val, y_val=split.y_val, patience=10, rng=1
    )
    vl = res.history["val_loss"]
    assert len(vl) < 300
    assert res.best_epoch == int(np.argmin(vl)) + 1
    best = mlp.cross_entropy(mlp.forward(res.layers, split.X_val)[0], split.y_val)
    assert best == pytest.approx(min(vl))


def test_dropout_training_runs_and_prediction_is_deterministic():
    split = data.classification_data(rng=0)
    layers = mlp.init_mlp([split.X_train.shape[1], 32, 2], 0)
    res = mlp.train_mlp(layers, split.X_train, split.y_train, epochs=20, keep_prob=[0.8, 0.5], rng=2)
    p1 = mlp.predict_proba(res.layers, split.X_test)
    np.testing.assert_array_equal(p1, mlp.predict_proba(res.layers, split.X_test))
    np.testing.assert_allclose(p1.sum(axis=1), 1.0)
    assert 0.5 < mlp.accuracy(res.layers, split.X_test, split.y_test) <= 1.0


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: mlp.init_mlp([3], 0), "at least"),
        (lambda: mlp.forward(mlp.init_mlp([3, 2], 0), np.ones((2, 4))), "features"),
        (lambda: mlp.forward(mlp.init_mlp([3, 2], 0), np.ones((2, 3)), keep_prob=0.5), "needs an rng"),
        (lambda: mlp.loss_and_grads(mlp.init_mlp([3, 2], 0), np.ones((2, 3)), np.array([0, 5])), "labels"),
        (lambda: mlp.loss_and_grads(mlp.init_mlp([3, 2], 0), np.ones((2, 3)), np.array([0.0, 1.0])), "integer"),
        (lambda: mlp.train_mlp(mlp.init_mlp([3, 2], 0), np.ones((2, 3)), np.array([0, 1]), patience=3), "X_val"),
        (lambda: mlp.unflatten(np.ones(3), mlp.init_mlp([3, 2], 0)), "length"),
    ],
)
def test_bad_inputs_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.equation("label-smoothing")
def test_smooth_labels_and_loss_match_torch_label_smoothing():
    """torch spreads eps_t/k over ALL classes; ours puts eps/(k-1) on the others: eps_t = eps k/(k-1)."""
    rng = np.random.default_rng(3)
    y = rng.integers(0, 4, 9)
    T = mlp.smooth_labels(y, 4, 0.2)
    np.testing.assert_allclose(T.sum(axis=1), 1.0)
    np.testing.assert_allclose(T[np.arange(9), y], 0.8)
    assert np.isclose(T[0][T[0] != 0.8], 0.2 / 3).all()
    layers = mlp.init_mlp([5, 6, 4], 0)
    X = rng.standard_normal((9, 5))
    loss, grads = mlp.loss_and_grads(layers, X, y, label_smoothing=0.2)
    logits = torch.tensor(mlp.forward(layers, X)[0])
    ref = torch.nn.functional.cross_entropy(logits, torch.tensor(y), label_smoothing=0.2 * 4 / 3).item()
    assert loss == pytest.approx(ref, rel=1e-12)
    num = scipy.optimize.approx_fprime(
        mlp.flatten(layers), lambda v: mlp.loss_and_grads(mlp.unflatten(v, layers), X, y, label_smoothing=0.2)[0], 1e-6
    )
    np.testing.assert_allclose(mlp.flatten(grads), num, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match=r"eps must be in \[0, 1\)"):
        mlp.smooth_labels(y, 4, 1.0)
    with pytest.raises(ValueError, match=r"labels in y must lie in \[0, 4\)"):
        mlp.smooth_labels(np.array([0, 7]), 4, 0.1)


@pytest.mark.equation("dropout-gap")
def test_dropout_reduces_the_measured_overfitting_gap():
    split = data.classification_data(rng=0)
    init = mlp.init_mlp([split.X_train.shape[1], 128, 2], 0)
    gaps = []
    for keep in (1.0, [0.8, 0.5]):
        r = mlp.train_mlp(init, split.X_train, split.y_train, epochs=150, keep_prob=keep, rng=1)
        tr = mlp.cross_entropy(mlp.forward(r.layers, split.X_train)[0], split.y_train)
        va = mlp.cross_entropy(mlp.forward(r.layers, split.X_val)[0], split.y_val)
        gaps.append(va - tr)
    assert gaps[1] < 0.6 * gaps[0]
