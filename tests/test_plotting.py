"""Figures draw what the computing functions return (headless Agg backend)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from reglab import data, early_stopping, ensembles, l1, l2, plotting


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _line(ax, label):
    for line in ax.get_lines():
        if line.get_label() == label:
            return line
    raise AssertionError(f"no line labelled {label!r}: {[line.get_label() for line in ax.get_lines()]}")


def test_soft_threshold_plot_draws_the_function():
    ax = plotting.plot_soft_threshold(0.7)
    line = _line(ax, "soft threshold, t = 0.7")
    np.testing.assert_allclose(line.get_ydata(), l1.soft_threshold(line.get_xdata(), 0.7))


def test_l2_geometry_marks_each_regularized_minimum():
    H = np.diag([4.0, 0.25])
    w_star = np.array([1.0, 1.0])
    ax = plotting.plot_l2_geometry(H, w_star, [0.5, 2.0])
    labels = [line.get_label() for line in ax.get_lines()]
    for a in (0.5, 2.0):
        f = l2.shrink_factors([0.25, 4.0], a)
        lab = f"alpha={a:g}: factors {f[0]:.2f}, {f[1]:.2f}"
        assert lab in labels
        np.testing.assert_allclose(np.r_[_line(ax, lab).get_xydata()[0]], l2.eigen_rescale(H, w_star, a))


def test_shrink_factor_bars():
    ax = plotting.plot_shrink_factors([0.1, 1.0, 10.0], 1.0)
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, l2.shrink_factors([0.1, 1.0, 10.0], 1.0))


def test_l1_l2_geometry_points():
    H = np.array([[1.0, 0.3], [0.3, 2.0]])
    w_star = np.array([0.3, 1.2])
    ax = plotting.plot_l1_l2_geometry(H, w_star, 0.5)
    w1 = l1.lasso_quadratic(H, w_star, 0.5)
    np.testing.assert_allclose(_line(ax, f"L1 solution ({w1[0]:.2f}, {w1[1]:.2f})").get_xydata()[0], w1)
    assert w1[0] == 0.0  # the L1 corner solution on the axis


def test_gd_vs_ridge_plot():
    H = np.diag([1.0, 0.1])
    w_star = np.array([1.0, 1.0])
    ax = plotting.plot_gd_vs_ridge(H, w_star, 0.1, 30)
    gd = _line(ax, "gradient descent").get_xydata()
    np.testing.assert_allclose(gd, early_stopping.gd_iterates(H, w_star, 0.1, 30))


def test_alpha_approximation_plot():
    ax = plotting.plot_alpha_approximation([0.01, 1.0], 0.1, np.array([10.0, 100.0]))
    np.testing.assert_allclose(_line(ax, "1/(eps tau)").get_ydata(), [1.0, 0.1])


def test_ensemble_and_polynomial_and_dropout_plots():
    ax = plotting.plot_ensemble_mse(1.0, 0.3, [1, 2, 5], simulated=[1.0, 0.65, 0.44])
    np.testing.assert_allclose(
        _line(ax, "v/k + (k-1)c/k").get_ydata(), [ensembles.ensemble_mse(1.0, 0.3, k) for k in (1, 2, 5)]
    )
    x, y = data.polynomial_data(10, rng=0)
    ax = plotting.plot_polynomial_fits(x, y, [1, 3], f_true=data.true_function)
    assert {"degree 1", "degree 3", "true function"} <= {line.get_label() for line in ax.get_lines()}
    ax = plotting.plot_dropout_predictions({"a": [0.2, 0.8], "b": [0.5, 0.5]})
    np.testing.assert_allclose([p.get_height() for p in ax.patches], [0.2, 0.8, 0.5, 0.5])
    ax = plotting.plot_train_val([1, 2], [1.0, 0.5], [1.0, 2.0])
    assert len(ax.get_lines()) == 2


def test_error_histograms_show_one_member_and_the_average():
    errors = ensembles.correlated_errors(1.0, 0.2, 8, 2000, 0)
    ax = plotting.plot_error_histograms(errors, bins=20)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["one member's error", "average of 8"]
    assert len(ax.patches) == 40
    heights = np.array([p.get_height() for p in ax.patches])
    edges = np.histogram_bin_edges(errors.mean(axis=1), bins=20)
    np.testing.assert_allclose(heights[20:], np.histogram(errors.mean(axis=1), bins=edges, density=True)[0])


def test_l2_geometry_requires_2d():
    with pytest.raises(ValueError, match="2x2"):
        plotting.plot_l2_geometry(np.eye(3), np.ones(3), [1.0])


def test_history_boundary_and_capstone_plots():
    from reglab import mlp

    hist = {"train_loss": [1.0, 0.5, 0.2], "val_loss": [1.1, 0.9, 1.0]}
    ax = plotting.plot_history(hist, title="t")
    np.testing.assert_allclose(_line(ax, "validation loss").get_ydata(), hist["val_loss"])
    split = data.classification_data(n_train=20, n_val=5, n_test=5, rng=0)
    layers = mlp.init_mlp([split.X_train.shape[1], 4, 2], 0)
    ax = plotting.plot_decision_boundary(
        lambda X: mlp.predict_proba(layers, X), split.X_train, split.y_train, resolution=20
    )
    assert len(ax.collections) >= 2  # filled probability map, boundary line and the points
    results = {"none": {"test_loss": 1.5, "test_acc": 0.7}, "L2": {"test_loss": 0.5, "test_acc": 0.8}}
    ax = plotting.plot_capstone(results)
    np.testing.assert_allclose([p.get_width() for p in ax.patches], [1.5, 0.5])
