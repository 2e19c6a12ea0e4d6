"""The capstone reference: gradients checked by finite differences, exact zeros, a fair comparison."""

import re
import time

import numpy as np
import pytest

from reglab import capstone, data, early_stopping, mlp


def _numeric_grad(f, layers, h=1e-6):
    vec = mlp.flatten(layers)
    g = np.zeros_like(vec)
    for i in range(vec.size):
        e = np.zeros_like(vec)
        e[i] = h
        g[i] = (f(mlp.unflatten(vec + e, layers)) - f(mlp.unflatten(vec - e, layers))) / (2 * h)
    return g


@pytest.mark.equation("capstone-gradcheck")
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_backward_pass_matches_finite_differences_with_a_fixed_dropout_mask(l2):
    rng = np.random.default_rng(0)
    layers = mlp.init_mlp([5, 7, 6, 3], rng=1)
    X, y = rng.normal(size=(9, 5)), rng.integers(0, 3, 9)
    keep = [0.8, 0.5, 0.6]
    masks = [(rng.random((9, W.shape[0])) < p).astype(float) for (W, _), p in zip(layers, keep)]
    assert all(0 < m.mean() < 1 for m in masks)  # some units really are dropped

    def loss(ls):
        return capstone.loss_and_grads(ls, X, y, l2=l2, masks=masks, keep_prob=keep)[0]

    _, grads = capstone.loss_and_grads(layers, X, y, l2=l2, masks=masks, keep_prob=keep)
    analytic = mlp.flatten(grads)
    numeric = _numeric_grad(loss, layers)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.equation("capstone-gradcheck")
def test_l2_grad_is_the_gradient_of_the_half_squared_norm():
    W = np.random.default_rng(2).normal(size=(3, 4))
    lam, h = 0.7, 1e-6
    numeric = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        E = np.zeros_like(W)
        E[idx] = h
        numeric[idx] = (0.5 * lam * np.sum((W + E) ** 2) - 0.5 * lam * np.sum((W - E) ** 2)) / (2 * h)
    np.testing.assert_allclose(capstone.l2_grad(W, lam), numeric, rtol=1e-7)


def test_loss_and_grads_without_masks_is_mlp_loss_and_grads():
    rng = np.random.default_rng(3)
    layers = mlp.init_mlp([4, 6, 3], rng=0)
    X, y = rng.normal(size=(8, 4)), rng.integers(0, 3, 8)
    ours = capstone.loss_and_grads(layers, X, y, l2=0.1)
    theirs = mlp.loss_and_grads(layers, X, y, l2=0.1)
    assert ours[0] == pytest.approx(theirs[0], rel=1e-12)
    np.testing.assert_allclose(mlp.flatten(ours[1]), mlp.flatten(theirs[1]), rtol=1e-12)


def test_dropout_backward_is_the_derivative_of_dropout_forward_with_the_same_mask():
    rng = np.random.default_rng(4)
    h, g = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    out, mask = capstone.dropout_forward(h, 0.6, rng=5)
    np.testing.assert_allclose(out, h * mask / 0.6)

    def f(hh):  # <g, dropout(hh)> with the mask held fixed
        return float(np.sum(g * hh * mask / 0.6))

    numeric = np.zeros_like(h)
    for idx in np.ndindex(h.shape):
        E = np.zeros_like(h)
        E[idx] = 1e-6
        numeric[idx] = (f(h + E) - f(h - E)) / 2e-6
    np.testing.assert_allclose(capstone.dropout_backward(g, mask, 0.6), numeric, rtol=1e-6, atol=1e-9)
    with pytest.raises(ValueError, match="forward pass's mask"):
        capstone.dropout_backward(g, mask[:, :3], 0.6)


def test_dropout_forward_is_unbiased():
    out, mask = capstone.dropout_forward(np.full(200_000, 3.0), 0.6, rng=0)
    assert set(np.unique(out)) == {0.0, 5.0}
    assert out.mean() == pytest.approx(3.0, abs=0.03)


def test_prox_l1_is_the_argmin_of_the_proximal_problem():
    """argmin_v 1/2 (v - w)^2 + t |v| found by brute force on a fine grid."""
    grid = np.linspace(-3, 3, 600_001)
    for w in (-2.0, -0.25, 0.0, 0.1, 0.7, 2.5):
        brute = grid[np.argmin(0.5 * (grid - w) ** 2 + 0.5 * np.abs(grid))]
        assert capstone.prox_l1([w], step=0.25, l1=2.0)[0] == pytest.approx(brute, abs=1e-5)
    assert np.all(capstone.prox_l1([0.3, -0.5], step=0.25, l1=2.0) == 0.0)  # exact zeros, not small numbers


@pytest.fixture(scope="module")
def digits():
    return data.digits_split(n_train=300, n_val=300, n_test=600, rng=0)


@pytest.mark.equation("proximal-l1-zeros")
def test_proximal_l1_gives_exact_zeros_where_the_subgradient_gives_none(digits):
    """Erratum 16: the subgradient step jumps over 0; soft-thresholding lands on it."""
    init = mlp.init_mlp([64, 32, 10], rng=0)
    order = capstone.minibatch_order(300, 50, 30, rng=1)
    prox = capstone.train(init, digits.X_train, digits.y_train, order, l1=0.01)
    sub = mlp.train_mlp(init, digits.X_train, digits.y_train, epochs=30, lr=0.1, batch_size=50, l1=0.01, rng=1)
    zeros_prox = capstone.exact_zeros(prox.layers)[0]
    zeros_sub = capstone.exact_zeros(sub.layers)[0]
    small_sub = int(np.sum(np.abs(sub.layers[0][0]) < 1e-3))
    assert zeros_sub == 0 and small_sub > 0  # small, but never exactly 0
    assert zeros_prox > 0.3 * init[0][0].size
    # pixels that are 0 in every training image get no data gradient: only the proximal steps move their rows,
    # so after S steps those weights are the initial ones soft-thresholded once at S * lr * l1
    dead = np.flatnonzero(digits.X_train.max(axis=0) == 0)
    n_steps = sum(len(epoch) for epoch in order)
    expected = np.sign(init[0][0][dead]) * np.maximum(np.abs(init[0][0][dead]) - n_steps * 0.1 * 0.01, 0.0)
    assert dead.size and np.array_equal(prox.layers[0][0][dead] == 0, expected == 0)
    np.testing.assert_allclose(prox.layers[0][0][dead], expected, atol=1e-12)


def test_train_returns_the_best_epoch_with_early_stopping(digits):
    init = mlp.init_mlp([64, 32, 10], rng=0)
    order = capstone.minibatch_order(300, 50, 60, rng=1)
    res = capstone.train(init, digits.X_train, digits.y_train, order, X_val=digits.X_val, y_val=digits.y_val,
                         patience=5)
    val = res.history["val_loss"]
    assert res.best_epoch == int(np.argmin(val)) + 1
    assert len(val) == res.best_epoch + 5  # stopped after `patience` epochs without improvement
    last_epoch_loss = val[-1]
    best = capstone.loss_and_grads(res.layers, digits.X_val, digits.y_val)[0]
    assert best == pytest.approx(min(val), rel=1e-12) and best < last_epoch_loss


def test_train_checks_its_inputs(digits):
    init = mlp.init_mlp([64, 8, 10], rng=0)
    with pytest.raises(ValueError, match="another training set size"):
        capstone.train(init, digits.X_train[:10], digits.y_train[:10], capstone.minibatch_order(300, 50, 1, rng=0))
    with pytest.raises(ValueError, match="validation data"):
        capstone.train(init, digits.X_train, digits.y_train, capstone.minibatch_order(300, 50, 1, rng=0), patience=3)


@pytest.fixture(scope="module")
def result(digits):
    return capstone.run_capstone(digits, rng=0)


@pytest.mark.equation("capstone-fair")
def test_every_method_uses_the_same_initialization_and_minibatch_order(digits, result):
    """Rebuilding a method by hand from the documented seeds reproduces it bit for bit."""
    init = mlp.init_mlp([64, 32, 10], rng=0)
    order = capstone.minibatch_order(300, 50, 40, rng=1)
    for method, kw in (("none", {}), ("L2", {"l2": result.sweeps["L2"]["chosen"]}),
                       ("L1", {"l1": result.sweeps["L1"]["chosen"]}),
                       ("dropout", {"keep_prob": [0.8, result.sweeps["dropout"]["chosen"]], "mask_rng": 2})):
        again = capstone.train(init, digits.X_train, digits.y_train, order, **kw).layers
        for (W1, b1), (W2, b2) in zip(again, result.models[method][0]):
            assert np.array_equal(W1, W2) and np.array_equal(b1, b2), method


@pytest.mark.equation("capstone-fair")
def test_strengths_are_chosen_on_validation_and_the_test_set_plays_no_part(digits, result):
    for name in ("L2", "L1", "dropout"):
        sw = result.sweeps[name]
        assert sw["chosen"] == sw["values"][int(np.argmin(sw["val_loss"]))]
        assert len(set(np.round(sw["val_loss"], 6))) == len(sw["values"])  # every candidate was really trained
    es = result.sweeps["early stopping"]
    assert es["chosen"] == int(np.argmin(es["val_loss"])) + 1
    other_test = data.Split(digits.X_train, digits.y_train, digits.X_val, digits.y_val,
                            digits.X_test[::-1][:100], digits.y_test[::-1][:100])
    again = capstone.run_capstone(other_test, rng=0)
    assert {k: v["chosen"] for k, v in again.sweeps.items()} == {k: v["chosen"] for k, v in result.sweeps.items()}


@pytest.mark.equation("capstone-fair")
def test_the_comparison_table_has_every_method_and_the_full_data_baseline(result, digits):
    assert list(result.table) == ["none", "L2", "L1", "dropout", "early stopping", "bagging"]
    assert len(result.models["bagging"]) == 5 and len(result.models["none"]) == 1
    for name, row in result.table.items():
        assert 0.5 < row["test_acc"] <= 1.0, name
        p = result.predict_proba(name, digits.X_test)
        assert row["test_acc"] == pytest.approx(np.mean(p.argmax(axis=1) == digits.y_test))
    # regularization raises the training loss of the unregularized fit (which nearly interpolates)
    assert all(result.table[m]["train_loss"] > result.table["none"]["train_loss"] for m in ("L2", "L1", "dropout"))
    assert result.table["L1"]["zeros_first_layer"] > 0 and result.table["L2"]["zeros_first_layer"] == 0


def test_sweep_and_comparison_fit_the_notebook_time_budget(digits):
    t0 = time.perf_counter()
    capstone.run_capstone(digits, rng=0)
    assert time.perf_counter() - t0 < 15.0  # 2 s idle, 6 s on a loaded 2-core machine; the notebook budget is 20 s


def test_run_capstone_rejects_unknown_regularizers(digits):
    with pytest.raises(ValueError, match="grids may only name"):
        capstone.run_capstone(digits, grids={"L3": (1.0,)})


def _with(split, **changes):
    parts = {name: getattr(split, name) for name in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test")}
    return data.Split(**{**parts, **changes})


@pytest.mark.parametrize("make, match", [
    (lambda s: None, r"^split must be a train / validation / test data set with X_train, .* got None"),
    (lambda s: (s.X_train, s.y_train), r"got tuple, which has no X_train, y_train, X_val, y_val, X_test, y_test$"),
    (lambda s: _with(s, X_val=s.X_val[:, :63]),
     r"^split.X_val has 63 features \(columns\) but split.X_train has 64: the three sets must describe the same"),
    (lambda s: _with(s, X_test=s.X_test[:0], y_test=s.y_test[:0]), r"^split.X_test has no rows"),
    (lambda s: _with(s, y_val=s.y_val[:-1]), r"^split.X_val has 300 rows but split.y_val has 299"),
    (lambda s: _with(s, y_train=s.y_train.astype(float)), r"^split.y_train must be a 1-D array of integer class"),
    (lambda s: _with(s, X_train=np.where(s.X_train == s.X_train.max(), np.nan, s.X_train)),
     r"^split.X_train contains NaN"),
])
def test_run_capstone_checks_its_split_at_its_entry(digits, make, match, monkeypatch):
    """A wrong split is named in the message, before any training (not an AttributeError from inside the loop)."""
    monkeypatch.setattr(capstone, "_train", _no_training)
    with pytest.raises(ValueError, match=match):
        capstone.run_capstone(make(digits))


@pytest.mark.parametrize("setting, match", [
    ({"hidden": 0}, "hidden must be >= 1"), ({"epochs": 0}, "epochs must be >= 1"),
    ({"batch_size": 0}, "batch_size must be >= 1"), ({"lr": 0.0}, "lr must be > 0"),
    ({"momentum": 1.0}, r"momentum must be in \[0, 1\)"), ({"patience": 0}, "patience must be >= 1"),
    ({"n_bags": 1}, "n_bags must be >= 2"), ({"grids": {"dropout": (0.0,)}}, "dropout grid value must be in"),
    ({"grids": {"L2": (-1.0,)}}, "L2 grid value must be >= 0"), ({"rng": "zero"}, "rng must be a numpy"),
    ({"pieces": {}}, "pieces must be a capstone.Pieces"),
])
def test_run_capstone_checks_every_setting_before_training(digits, setting, match, monkeypatch):
    monkeypatch.setattr(capstone, "_train", _no_training)
    with pytest.raises(ValueError, match=match):
        capstone.run_capstone(digits, **setting)


def _no_training(*args, **kwargs):
    raise AssertionError("run_capstone trained before it had checked its arguments")


def test_the_capstone_and_the_mlp_word_a_wrong_input_width_alike():
    net = mlp.init_mlp([3, 4, 2], rng=0)
    X, y = np.ones((2, 5)), np.array([0, 1])
    message = re.escape("X has 5 features (columns) but the network expects 3 (rows of the first W)")
    for call in (lambda: mlp.loss_and_grads(net, X, y), lambda: capstone.loss_and_grads(net, X, y),
                 lambda: capstone.train(net, X, y, [[np.array([0, 1])]]),
                 lambda: capstone.train(net, X[:, :3], y, [[np.array([0, 1])]], X_val=X, y_val=y)):
        with pytest.raises(ValueError, match=message):
            call()


def test_the_early_stopper_speaks_session_3s_names():
    """One vocabulary for one object: the capstone's stopper is session 3's EarlyStopping with best_step and
    best_params, and the loop reads those names from any stopper it is given."""
    es = capstone.EarlyStopper(patience=1)
    assert isinstance(es, early_stopping.EarlyStopping)
    assert not hasattr(es, "best_epoch") and not hasattr(es, "best_layers")

    class Mine:  # a student's stopper: only update, best_step and best_params
        def __init__(self, patience):
            self.inner = early_stopping.EarlyStopping(patience=patience)

        def update(self, epoch, val_loss, layers):
            stop = self.inner.update(epoch, val_loss, layers)
            self.best_step, self.best_params = self.inner.best_step, self.inner.best_params
            return stop

    init = mlp.init_mlp([4, 5, 3], rng=0)
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(30, 4)), rng.integers(0, 3, 30)
    X_val, y_val = rng.normal(size=(20, 4)), rng.integers(0, 3, 20)
    order = capstone.minibatch_order(30, 10, 30, rng=2)
    kw = dict(lr=0.5, X_val=X_val, y_val=y_val, patience=2)
    ref = capstone.train(init, X, y, order, **kw)
    mine = capstone.train(init, X, y, order, pieces=capstone.Pieces(early_stopping=Mine), **kw)
    assert ref.best_epoch == mine.best_epoch < len(ref.history["val_loss"])
    assert np.array_equal(mlp.flatten(ref.layers), mlp.flatten(mine.layers))


@pytest.mark.equation("weight-scaling-relu")
def test_weight_scaling_beats_monte_carlo_with_1000_masks_on_the_digits(digits, result):
    """Seed concept (session 5): weight scaling can beat Monte Carlo averaging even with 1,000 masks."""
    from reglab import dropout

    keep = [0.8, result.sweeps["dropout"]["chosen"]]
    # inverted dropout trained W; the dropout module's networks keep units unscaled: W / p is the same network
    scaled = [(W / p, b) for (W, b), p in zip(result.models["dropout"][0], keep)]
    ws = dropout.mlp_weight_scaling_predict(scaled, digits.X_test, keep)
    np.testing.assert_allclose(ws, result.predict_proba("dropout", digits.X_test), atol=1e-12)
    mc = dropout.mlp_mc_dropout_predict(scaled, digits.X_test, keep, 1000, np.random.default_rng(0))
    y = digits.y_test

    def nll(p):
        return -np.mean(np.log(p[np.arange(len(y)), y]))

    assert nll(ws) < 0.7 * nll(mc)  # 0.19 vs 0.36: the averaged probabilities are far less sharp
    assert abs(np.mean(ws.argmax(1) == y) - np.mean(mc.argmax(1) == y)) < 0.02  # decisions: about a tie


def test_the_loop_runs_on_given_pieces_and_the_public_reference_reproduces_it_bit_for_bit(digits, result):
    """The notebook's sweep runs on the student's functions through Pieces: the public reference functions
    plugged in give exactly the default run, and a wrong piece changes the outcome."""
    public = capstone.Pieces(l2_grads=capstone.l2_grads, prox_l1=capstone.prox_l1,
                             dropout_forward=capstone.dropout_forward, dropout_backward=capstone.dropout_backward,
                             early_stopping=capstone.EarlyStopper)
    again = capstone.run_capstone(digits, rng=0, pieces=public)
    for method, members in result.models.items():
        for m1, m2 in zip(members, again.models[method]):
            assert all(np.array_equal(W1, W2) and np.array_equal(b1, b2) for (W1, b1), (W2, b2) in zip(m1, m2)), method
    init = mlp.init_mlp([64, 16, 10], rng=0)
    order = capstone.minibatch_order(300, 50, 10, rng=1)

    def subgradient(W, step, l1):
        return W - step * l1 * np.sign(W)

    res = capstone.train(init, digits.X_train, digits.y_train, order, l1=0.01,
                         pieces=capstone.Pieces(prox_l1=subgradient))
    assert capstone.exact_zeros(res.layers) == [0, 0]
    assert capstone.exact_zeros(capstone.train(init, digits.X_train, digits.y_train, order, l1=0.01).layers)[0] > 0


def test_a_stopper_that_keeps_a_reference_returns_the_last_weights(digits):
    """The loop updates the weights in place: early stopping without a copy returns the last epoch's weights."""

    class NoCopy(capstone.EarlyStopper):
        def update(self, epoch, val_loss, layers):
            stop = super().update(epoch, val_loss, layers)
            if self.best_step == epoch:
                self.best_params = layers  # a reference, not a copy
            return stop

    init = mlp.init_mlp([64, 16, 10], rng=0)
    order = capstone.minibatch_order(300, 50, 40, rng=1)
    kw = dict(lr=0.3, X_val=digits.X_val, y_val=digits.y_val, patience=3)
    good = capstone.train(init, digits.X_train, digits.y_train, order, **kw)
    bad = capstone.train(init, digits.X_train, digits.y_train, order, pieces=capstone.Pieces(early_stopping=NoCopy),
                         **kw)
    val = good.history["val_loss"]
    assert good.best_epoch == bad.best_epoch < len(val)  # it stopped after the best epoch
    best_loss = capstone.loss_and_grads(good.layers, digits.X_val, digits.y_val)[0]
    last_loss = capstone.loss_and_grads(bad.layers, digits.X_val, digits.y_val)[0]
    assert best_loss == pytest.approx(min(val), rel=1e-12) and last_loss == pytest.approx(val[-1], rel=1e-12)
    assert last_loss > best_loss


def test_pieces_from_uses_the_reference_only_for_exercises_not_answered_yet(capsys):
    def not_yet(*args):
        raise NotImplementedError()

    def buggy(layers, lam):
        raise ValueError("my bug")

    def mine(W, step, l1):
        return W

    p = capstone.pieces_from(l2_grads=not_yet, prox_l1=mine)
    assert p.prox_l1 is mine and p.l2_grads is capstone.Pieces().l2_grads
    assert p.reference == ("l2_grads", "dropout_forward", "dropout_backward", "early_stopping")
    assert "your prox_l1; reference implementation for l2_grads" in capsys.readouterr().out
    with pytest.raises(ValueError, match="my bug"):
        capstone.pieces_from(l2_grads=buggy)
    with pytest.raises(ValueError, match="must be a function"):
        capstone.pieces_from(prox_l1=3.0)
    with pytest.raises(ValueError, match="capstone.Pieces"):
        capstone.train(mlp.init_mlp([64, 4, 10], rng=0), np.zeros((2, 64)), [0, 1], [[[0, 1]]], pieces={})


def test_l2_grads_penalizes_weights_only():
    layers = [(np.ones((2, 3)), np.full(3, 5.0)), (np.full((3, 1), -2.0), np.ones(1))]
    grads = capstone.l2_grads(layers, 0.5)
    np.testing.assert_array_equal(grads[1][0], np.full((3, 1), -1.0))
    assert all(np.array_equal(db, np.zeros_like(b)) for (_, db), (_, b) in zip(grads, layers))
