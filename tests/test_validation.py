"""Input validation: run once at the public entry, TypeError for wrong types, messages that teach."""

import numpy as np
import pytest

from reglab import _validation, data, dropout, early_stopping, ensembles, l1, l2, mlp, overfitting
from reglab._validation import InvalidTypeError


def test_invalid_type_error_is_both_a_type_error_and_a_value_error():
    assert issubclass(InvalidTypeError, TypeError) and issubclass(InvalidTypeError, ValueError)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: l2.ridge("abc", [1], 1.0), "X must be numeric array-like"),
        (lambda: l2.ridge(np.ones((3, 2)), np.ones(3), "big"), "alpha must be a real number, got 'big'"),
        (lambda: l2.shrink_factors([1.0], [0.1, 0.2]), "alpha must be a real number"),
        (lambda: ensembles.ensemble_mse(1.0, "0.3", 3), "c must be a real number"),
        (lambda: ensembles.ensemble_mse(1.0, 0.3, 2.5), "k must be an integer"),
        (lambda: ensembles.simulate_ensemble_mse(1.0, 0.0, 3, 10, "seed"), "rng must be a numpy.random.Generator"),
        (
            lambda: ensembles.bagged_predictions("fit", lambda m, X: X, [1, 2], [1, 2], [1], 2, 0),
            "fit must be a function",
        ),
        (lambda: ensembles.out_of_bag_fraction([[0.5, 1.0]], 3), "integer row indices"),
        (lambda: dropout.keep_prob_from_torch("0.5"), "must be a real number"),
        (lambda: dropout.inverted_dropout([1.0], 0.5, rng=None), "rng must be"),
        (lambda: dropout.mlp_weight_scaling_predict([(np.eye(2), np.zeros(2))], [1, 1], "high"), "keep_prob"),
        (lambda: l2.adam(lambda w: w, [1.0], 0.1, 3, betas=0.9), r"betas must be a pair \(beta1, beta2\)"),
        (lambda: l2.adam("grad", [1.0], 0.1, 3), "grad_fn must be a function"),
        (lambda: data.classification_data(label_noise="some"), "label_noise must be a real number"),
        (lambda: data.polynomial_data(rng=None), "rng must be"),
        (lambda: mlp.forward(np.eye(2), np.ones((1, 2))), "layers must be a list of"),
        (lambda: mlp.forward([np.eye(2)], np.ones((1, 2))), r"layer 0 must be a \(W, b\) pair"),
        (lambda: mlp.loss_and_grads(mlp.init_mlp([3, 2], 0), np.ones((2, 3)), np.array([0.0, 1.0])), "integer"),
        (
            lambda: mlp.train_mlp(mlp.init_mlp([3, 2], 0), np.ones((2, 3)), [0, 1], epochs=2.5),
            "epochs must be an integer",
        ),
        (lambda: early_stopping.run_early_stopping(None, lambda p: 0.0, 0, 3), "step_fn must be a function"),
        (lambda: early_stopping.EarlyStopping().update(1, "low", None), "val_loss must be a real number"),
        (lambda: overfitting.bias_variance(None, np.sin, [0.0], 5, 0.1, 2, 0), "fit_predict must be a function"),
        (lambda: overfitting.regularized_objective("1.0", 0.0, 0.1), "loss must be a real number"),
    ],
)
def test_wrong_types_raise_type_error(call, match):
    with pytest.raises(TypeError, match=match) as info:
        call()
    assert isinstance(info.value, ValueError)  # code that caught the old ValueError still works


@pytest.mark.parametrize(
    "call,match",
    [
        # the ad hoc checks that now go through the shared helpers
        (lambda: ensembles.ensemble_mse(1.0, np.inf, 3), "c must be finite"),
        (lambda: dropout.keep_prob_from_torch(1.0), r"drop probability of torch.nn.Dropout\) must be in \[0, 1\)"),
        (lambda: dropout.keep_prob_from_torch(-0.1), "keep_prob = 1 - p"),
        (lambda: l2.adam(lambda w: w, [1.0], 0.1, 3, betas=(0.9, 1.0)), r"betas\[1\] must be in \[0, 1\), got 1"),
        (lambda: l2.adam(lambda w: w, [1.0], 0.1, 3, eps=0.0), "eps must be > 0"),
        (lambda: data.classification_data(label_noise=0.5), r"label_noise must be in \[0, 0.5\), got 0.5. It is"),
        (lambda: data.correlated_regression(d=3, rho=-0.6), r"rho must be in \(-0.5, 1\)"),
        (lambda: data.correlated_regression(d=3, w_true=[1.0, 2.0]), "w_true has length 2 but there are d = 3"),
        (lambda: data.grouped_features(noise=-1.0), "noise must be >= 0"),
        (lambda: l1.l1_subgradient([0.0], 1.0, at_zero=2.0), r"at_zero must be in \[-1, 1\]"),
        (lambda: mlp.train_mlp(mlp.init_mlp([3, 2], 0), np.ones((2, 3)), [0, 1], momentum=1.0), "momentum"),
        (lambda: mlp.loss_and_grads(mlp.init_mlp([3, 2], 0), np.ones((2, 3)), [0, 1], label_smoothing=1.0),
         r"label_smoothing must be in \[0, 1\)"),
        (lambda: mlp.forward(mlp.init_mlp([3, 2, 2], 0), np.ones((1, 3)), keep_prob=[0.5]), "one value per layer"),
        (lambda: overfitting.to_half_alpha(1.0, "double"), r"'per_example' \(\(lambda / 2m\)"),
        (lambda: l2.decay_factor(0.1, 0.01, "quarter"), r"'full' \(penalty lambda\|\|w\|\|\^2\); got 'quarter'"),
    ],
)
def test_wrong_values_raise_value_errors_that_explain(call, match):
    with pytest.raises(ValueError, match=match) as info:
        call()
    assert not isinstance(info.value, TypeError)


def test_one_message_for_rows_of_x_and_y():
    messages = set()
    for call in (lambda: l2.ridge(np.ones((3, 2)), np.ones(4), 1.0),
                 lambda: l2.ridge_path(np.ones((3, 2)), np.ones(4), [1.0]),
                 lambda: l1.elastic_net(np.ones((3, 2)), np.ones(4), 1.0),
                 lambda: mlp.loss_and_grads(mlp.init_mlp([2, 2], 0), np.ones((3, 2)), np.zeros(4, int))):
        with pytest.raises(ValueError) as info:
            call()
        messages.add(str(info.value))
    assert messages == {"X has 3 rows but y has 4: they must describe the same examples, one row each"}


def test_one_message_for_w_star_and_h():
    messages = set()
    for call in (lambda: l2.eigen_rescale(np.eye(2), [1, 1, 1], 1.0),
                 lambda: l1.lasso_quadratic(np.eye(2), [1, 1, 1], 1.0),
                 lambda: early_stopping.gd_iterates(np.eye(2), [1, 1, 1], 0.1, 3),
                 lambda: early_stopping.gd_closed_form(np.eye(2), [1, 1, 1], 0.1, 3)):
        with pytest.raises(ValueError) as info:
            call()
        messages.add(str(info.value))
    assert messages == {"w_star has length 3 but H is 2x2: H needs one row and column per entry of w_star"}


@pytest.mark.parametrize(
    "layers", [[(np.ones((2, 3)), np.ones(2))], [(np.ones((2, 3)), np.ones(3)), (np.ones((2, 2)), np.ones(2))]]
)
def test_dropout_and_mlp_check_layers_alike(layers):
    with pytest.raises(ValueError) as a:
        dropout.mlp_weight_scaling_predict(layers, np.ones(2), 1.0)
    with pytest.raises(ValueError) as b:
        mlp.predict_proba(layers, np.ones((1, 2)))
    assert str(a.value) == str(b.value)


def _count_calls(monkeypatch, module, name):
    calls = []
    original = getattr(module, name)

    def counting(*args, **kwargs):
        calls.append(name)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return calls


@pytest.mark.parametrize("kwargs", [{}, {"keep_prob": [1.0, 0.5], "l2": 0.01, "label_smoothing": 0.1}])
def test_train_mlp_validates_once_not_per_minibatch(monkeypatch, kwargs):
    """The checks run at the entry: their count does not grow with epochs or mini-batches."""
    split = data.classification_data(n_train=40, n_val=10, n_test=5, rng=0)
    layers = mlp.init_mlp([split.X_train.shape[1], 8, 2], 0)
    counts = []
    for epochs in (1, 4):
        calls = []
        for module in (mlp, _validation):
            for name in ("check_layers", "check_keep_probs", "as_float_array", "check_labels", "check_scalar"):
                if hasattr(module, name):
                    calls += [_count_calls(monkeypatch, module, name)]
        mlp.train_mlp(layers, split.X_train, split.y_train, epochs=epochs, batch_size=8, rng=1,
                      X_val=split.X_val, y_val=split.y_val, **kwargs)
        counts.append(sum(len(c) for c in calls))
        monkeypatch.undo()
    assert counts[0] == counts[1]  # 1 epoch of 5 mini-batches or 4 epochs of 5: the same checks
    assert 0 < counts[0] < 40


def test_rng_is_an_int_seed_or_a_generator_everywhere():
    a = data.polynomial_data(5, rng=3)
    b = data.polynomial_data(5, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a[1], b[1])
    assert _validation.as_seed(7) == 7
    seeds = [_validation.as_seed(np.random.default_rng(0)) for _ in range(2)]
    assert seeds[0] == seeds[1] and isinstance(seeds[0], int)  # a seeded Generator gives a reproducible seed
    with pytest.raises(TypeError, match="rng must be"):
        _validation.as_seed(1.5)
