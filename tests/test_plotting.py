"""Figures draw what the computing functions return (headless Agg backend)."""

import re

import matplotlib
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


def test_l2_geometry_marks_each_regularized_minimum_and_names_each_factor_by_its_direction():
    H = np.diag([4.0, 0.25])
    w_star = np.array([1.0, 2.0])
    ax = plotting.plot_l2_geometry(H, w_star, [0.25, 0.5, 2.0])
    labels = [line.get_label() for line in ax.get_lines()]
    for a in (0.25, 0.5, 2.0):
        wt = np.linalg.solve(H + a * np.eye(2), H @ w_star)
        # the factor named for an axis is what that coordinate of the dot is multiplied by
        lab = f"alpha={a:g}: factor {wt[0] / w_star[0]:.2f} along w1, {wt[1] / w_star[1]:.2f} along w2"
        assert lab in labels
        np.testing.assert_allclose(np.r_[_line(ax, lab).get_xydata()[0]], wt)
    # rotated by 30 degrees: each factor is named by its eigenvector, w~ . q = factor * (w* . q)
    t = np.deg2rad(30)
    q1, q2 = np.array([np.cos(t), np.sin(t)]), np.array([np.sin(t), -np.cos(t)])
    H = 4.0 * np.outer(q1, q1) + 0.25 * np.outer(q2, q2)
    ax = plotting.plot_l2_geometry(H, w_star, [1.0])
    wt = np.linalg.solve(H + np.eye(2), H @ w_star)
    f1, f2 = (wt @ q1) / (w_star @ q1), (wt @ q2) / (w_star @ q2)
    assert f"alpha=1: factor {f1:.2f} along (0.87, 0.50), {f2:.2f} along (0.50, -0.87)" in \
        [line.get_label() for line in ax.get_lines()]


def test_penalty_constraint_draws_projected_gradient_ending_at_the_matching_penalty():
    H, w_star = np.array([[2.0, 0.9], [0.9, 0.6]]), np.array([1.0, 1.5])
    ax = plotting.plot_penalty_constraint(H, w_star, 1.0, lr=0.4, steps=40)
    lines = {line.get_label().split(":")[0]: line for line in ax.get_lines()}
    path = lines["projected gradient from 0"].get_xydata()
    assert np.all(np.linalg.norm(path, axis=1) <= 1.0 + 1e-12) and path.shape == (41, 2)
    alpha = l2.alpha_for_radius(H, w_star, 1.0)
    marker = lines[f"penalty at alpha = {plotting.fmt(alpha)}"].get_xydata()[0]
    np.testing.assert_allclose(marker, np.linalg.solve(H + alpha * np.eye(2), H @ w_star), atol=1e-12)
    np.testing.assert_allclose(path[-1], marker, atol=1e-8)
    assert ax.patches[0].get_radius() == 1.0


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
    assert [t.get_text() for t in ax.texts] == ["1.500", "0.500"]


# ---------------------------------------------------------------------------- figures anyone can read

def _capstone_results():
    losses = {"none": 0.31, "L2": 0.192, "L1": 0.207, "dropout": 0.215, "early stopping": 0.24, "bagging": 0.228}
    return {n: {"test_loss": v, "test_acc": 0.97 - v / 4} for n, v in losses.items()}


def _paired_results():
    from reglab import capstone

    counts = {"L2": (14, 4), "L1": (12, 6), "dropout": (9, 7), "early stopping": (8, 9), "bagging": (11, 8)}
    return {n: capstone.PairedTest(g, lo, (g - lo) / 600, 0.03 + 0.1 * i) for i, (n, (g, lo)) in
            enumerate(counts.items())}


def _decision_boundary():
    from reglab import mlp

    split = data.classification_data(n_train=40, n_val=5, n_test=5, rng=0)
    layers = mlp.init_mlp([split.X_train.shape[1], 8, 2], 0)
    return plotting.plot_decision_boundary(lambda X: mlp.predict_proba(layers, X), split.X_train, split.y_train,
                                           resolution=40)


_TAUS = np.unique(np.round(np.geomspace(1, 2000, 60)))
_W = np.random.default_rng(0).normal(size=(2, 100)) * np.r_[0, 1][:, None]  # L1 weights all exact zeros
# every function of plotting that draws a figure, on its own default figure, with data like the course's
FIGURES = {
    "plot_polynomial_fits": lambda: plotting.plot_polynomial_fits(
        *data.polynomial_data(10, rng=0), [1, 3, 9], f_true=data.true_function),
    "plot_train_val": lambda: plotting.plot_train_val(np.arange(13), np.geomspace(1, 1e-9, 13),
                                                      np.r_[np.geomspace(1, 0.05, 4), np.geomspace(0.07, 300, 9)],
                                                      xlabel="degree"),
    "plot_l2_geometry": lambda: plotting.plot_l2_geometry(np.diag([4.0, 0.25]), [1.0, 1.0], [0.25, 1.0, 4.0]),
    "plot_shrink_factors": lambda: plotting.plot_shrink_factors([4.0, 0.25], 10 ** -0.1),
    "plot_penalty_constraint": lambda: plotting.plot_penalty_constraint(np.array([[2.0, 0.9], [0.9, 0.6]]), [1.0, 1.5],
                                                                        1.0, lr=0.4, steps=25),
    "plot_soft_threshold": lambda: plotting.plot_soft_threshold(1.0),
    "plot_l1_l2_geometry": lambda: plotting.plot_l1_l2_geometry(np.array([[1.0, 0.3], [0.3, 2.0]]), [0.3, 1.2], 0.5),
    "plot_gd_vs_ridge": lambda: plotting.plot_gd_vs_ridge(np.diag([1.0, 0.05]), [1.0, 1.0], 0.1, 20),
    "plot_alpha_approximation": lambda: plotting.plot_alpha_approximation([1.0, 0.05], 0.1, _TAUS),
    "plot_ensemble_mse": lambda: plotting.plot_ensemble_mse(1.0, 0.3, [1, 2, 3, 5, 8, 12, 20, 30, 50],
                                                            simulated=[1.0, 0.65, 0.53, 0.44, 0.39, 0.36, 0.34,
                                                                       0.32, 0.31]),
    "plot_error_histograms": lambda: plotting.plot_error_histograms(ensembles.correlated_errors(1.0, 0.3, 5, 400, 0)),
    "plot_dropout_predictions": lambda: plotting.plot_dropout_predictions(
        {"arithmetic (exact)": [0.2, 0.5, 0.3], "geometric (exact)": [0.18, 0.52, 0.3],
         "weight scaling": [0.18, 0.52, 0.3], "Monte Carlo, 10 masks": [0.25, 0.45, 0.3]}),
    "plot_history": lambda: plotting.plot_history({"train_loss": list(np.geomspace(2, 0.01, 60)),
                                                   "val_loss": list(np.geomspace(2, 0.3, 60))},
                                                  title="keep 0.8 / 0.5: gap 0.29"),
    "plot_decision_boundary": _decision_boundary,
    "plot_capstone": lambda: plotting.plot_capstone(_capstone_results(), highlight="L2"),
    "plot_learning_curves": lambda: plotting.plot_learning_curves(np.geomspace(1, 1e6, 50), np.geomspace(1, 1e-3, 50),
                                                                  np.r_[np.geomspace(1, 0.1, 20),
                                                                        np.geomspace(0.1, 2, 30)]),
    "plot_zero_fractions": lambda: plotting.plot_zero_fractions(np.geomspace(0.1, 100, 25), np.linspace(0, 1, 25),
                                                                np.zeros(25), alpha=3.16, true_zeros=0.7),
    "plot_weight_magnitudes": lambda: plotting.plot_weight_magnitudes(_W[0], _W[1] + 1e-3),
    "plot_sweep": lambda: plotting.plot_sweep([1e-4, 1e-3, 1e-2, 1e-1], [0.3, 0.25, 0.2, 0.4], 1e-2, xlabel="lambda"),
    "plot_paired_accuracy": lambda: plotting.plot_paired_accuracy(_paired_results()),
}


def test_every_figure_function_is_checked_for_legibility():
    assert set(FIGURES) == {name for name in plotting.__all__ if name.startswith("plot_")}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_every_figure_is_legible_and_described(name):
    """No text under 10 px on screen, no two texts overlapping, none cut off; alternative text says what it shows."""
    ax = FIGURES[name]()
    assert plotting.legibility_problems(ax.figure) == []
    what, facts = plotting._DESCRIPTIONS[ax]  # described by the function itself, data facts included
    assert what and (facts or name == "plot_decision_boundary")
    alt = plotting.alt_text(ax.figure)
    assert what.lower() in alt.lower() and facts in alt and not re.search(r"\d\.\d{5}|-0\b(?!\.)", alt), alt


def test_legibility_problems_finds_small_overlapping_and_cut_off_text():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.text(0.1, 0.5, "first label")
    ax.text(0.15, 0.5, "second label")  # on top of the first
    ax.text(0.5, 0.2, "tiny", fontsize=5)
    ax.text(0.95, 0.9, "runs off the figure on the right")
    problems = plotting.legibility_problems(fig)
    assert '"first label" overlaps "second label"' in problems
    assert '"tiny" is 6.9 px high on screen (at least 10 px)' in problems
    assert '"runs off the figure on the right" is cut off at the edge of the figure' in problems
    assert len(problems) == 3  # the ticks and the rest are fine
    wide, _ = plt.subplots(figsize=(16, 3))  # 1600 px shown in 820: 10 pt ticks become 7.1 px
    assert any("7.1 px high" in p for p in plotting.legibility_problems(wide))


def test_numbers_are_rounded_for_people():
    assert [plotting.fmt(v) for v in (10 ** -0.1, 15.0, -0.0, 2.5e-5, 0.30000000000000004)] == \
        ["0.794", "15", "0", "2.5e-5", "0.3"]
    assert plotting.fmt_setting({"l2": 0.001}) == "l2 = 0.001"
    ax = plotting.plot_shrink_factors([4.0, 0.25], 10 ** -0.1)
    assert ax.get_title() == "alpha = 0.794"


def test_one_colour_blind_safe_palette_for_every_method():
    assert [c.lower() for c in plt.rcParams["axes.prop_cycle"].by_key()["color"]] == \
        [c.lower() for c in plotting.PALETTE]
    ax = FIGURES["plot_dropout_predictions"]()  # four rules side by side: no red beside green
    colors = [matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches[::3]]
    assert colors == [c.lower() for c in plotting.PALETTE[:4]]


def test_capstone_plot_shows_close_losses_apart():
    ax = FIGURES["plot_capstone"]()
    lo, hi = ax.get_xlim()
    assert 0.15 < lo < 0.192 and hi > 0.31  # not from 0: 0.192 and 0.207 are far apart on screen
    assert "0.192" in [t.get_text() for t in ax.texts]
    assert "lowest: L2" in plotting.alt_text(ax.figure)


def test_paired_accuracy_plot_draws_the_gained_and_lost_counts():
    ax = FIGURES["plot_paired_accuracy"]()
    widths = [p.get_width() for p in ax.patches]
    assert widths == [14, 12, 9, 8, 11, -4, -6, -7, -9, -8]  # gained to the right, lost to the left, in row order
    assert [t.get_text() for t in ax.texts][:2] == ["p = 0.03", "p = 0.13"]
    assert "L2 14 gained, 4 lost, p = 0.03" in plotting.alt_text(ax.figure)


def test_figures_display_as_an_image_with_alternative_text():
    ax = FIGURES["plot_train_val"]()
    out = plotting._figure_html(ax.figure)
    assert out.startswith('<img src="data:image/png;base64,')
    assert 'alt="Training and validation error against degree: validation error is lowest, 0.05, at degree 3."' \
        in out
