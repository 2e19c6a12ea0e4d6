"""Every exploration builds headlessly and redraws what it shows when a control moves."""

import io

import ipywidgets
import numpy as np
import pytest
from PIL import Image

from reglab import plotting, widgets
from reglab.widgets import exploration

EXPLORERS = {
    "polynomial_explorer": {"degree": [0, 3, 9, 12], "log10_alpha": [-8, -3, 0]},
    "l2_explorer": {"lam1": [0.1, 10.0], "lam2": [0.05, 3.0], "angle": [0, 45], "alpha": [0.01, 1.0, 50.0]},
    "l1_explorer": {"alpha": [0.0, 0.3, 1.2], "rho": [-0.5, 0.0, 0.8]},
    "early_stopping_explorer": {"eps": [0.05, 1.0, 1.9], "tau": [1, 7, 300]},
    "ensemble_explorer": {"k": [1, 10, 50], "rho": [0.0, 0.5, 1.0]},
    "dropout_explorer": {"n_masks": [1, 50, 500], "keep_prob": [0.2, 0.8, 1.0]},  # at keep 1 every rule agrees
    "learning_curves_explorer": {"log10_alpha": [-3, -1, 0], "keep_prob": [0.5, 1.0], "noise": [0.1, 0.8],
                                 "n_train": [8, 60]},
    "l1_zeros_explorer": {"log10_alpha": [-1, 0.5, 2]},
}


JPEG = b"\xff\xd8"


def test_every_exploration_is_exercised_here():
    tested = set(EXPLORERS) | {"capstone_sweep_explorer"}  # (built from a capstone run: a test of its own)
    assert tested == {name for name in widgets.__all__ if name.endswith("_explorer")}


def test_the_package_shows_each_sessions_explorations_under_one_name():
    """``widgets.l2_explorer`` is the session module's own function; every module's public names are re-exported."""
    import importlib
    import pkgutil

    modules = [importlib.import_module(f"reglab.widgets.{m.name}") for m in pkgutil.iter_modules(widgets.__path__)]
    exported = [(name, module) for module in modules for name in module.__all__]
    assert sorted(name for name, _ in exported) == sorted(widgets.__all__)
    assert all(getattr(widgets, name) is getattr(module, name) for name, module in exported)


def _pixels(picture):
    return np.asarray(Image.open(io.BytesIO(picture)).convert("RGB"), float)


def _full_render(exp):
    """The figure drawn in one pass, every artist included, on the layout of the cached axes."""
    animated = [a for ax in exp.figure.axes for a in ax.get_children() if a.get_animated()]
    for a in animated:
        a.set_animated(False)
    canvas, engine = exp.figure.canvas, exp.figure.get_layout_engine()
    exp.figure.set_layout_engine("none")  # the axes stay where the first full render put them
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())[..., :3].astype(float)
    exp.figure.set_layout_engine(engine)
    for a in animated:
        a.set_animated(True)
    exp._background = None  # the cached axes were drawn over: render them again next time
    return pixels


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_explorer_updates_change_the_figure(name):
    exp = getattr(widgets, name)()
    assert isinstance(exp.widget, ipywidgets.VBox)
    assert set(exp.controls) == set(EXPLORERS[name])
    assert exp.picture.startswith(JPEG) and exp.redraws == 1
    assert exp.image.value == exp.picture
    for control in exp.controls.values():  # read out as people read: "15", not "15.0"; "4", not "4.00"
        assert control.readout_format == ("d" if isinstance(control, ipywidgets.IntSlider) else ".3")
    seen = {exp.picture}
    summaries = {exp.summary.value}
    alts = {exp.image.alt}
    changes = 0
    for control, values in EXPLORERS[name].items():
        for v in values:
            before, changed = exp.redraws, exp.values[control] != pytest.approx(v)
            exp.update(**{control: v})
            assert exp.redraws == before + changed  # a value that did not change costs nothing
            assert exp.values[control] == pytest.approx(v)
            changes += changed
            seen.add(exp.picture)
            summaries.add(exp.summary.value)
            alts.add(exp.image.alt)
    assert len(seen) >= changes  # every change draws a different picture
    assert len(summaries) >= 3
    assert len(alts) >= 3 and all(alt.startswith("2 panels. Panel 1: ") for alt in alts)  # words follow the controls
    assert exp.image.alt.endswith(exploration._plain(exp.summary.value))
    # the artists updated in place and drawn over the cached axes show what drawing everything shows
    shown, full = _pixels(exp.picture), _full_render(exp)
    assert shown.shape == full.shape
    assert np.abs(shown - full).mean() < 1.5  # JPEG noise only (a missing or stale artist costs far more)
    assert np.mean(np.abs(shown - full).max(axis=2) > 60) < 0.002
    assert plotting.legibility_problems(exp.figure, keep_layout=True) == []  # at the last values (titles follow them)


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_moving_one_slider_redraws_once(name):
    exp = getattr(widgets, name)()
    control, values = next(iter(EXPLORERS[name].items()))
    before_picture, before = exp.picture, exp.redraws
    exp.controls[control].value = values[-1]  # what a slider drag does
    assert exp.redraws == before + 1 and exp.picture != before_picture


def test_without_rendering_the_summary_still_updates(monkeypatch):
    """REGLAB_RENDER_FIGURES=0 (grading): the computation runs, no picture is rendered."""
    monkeypatch.setenv("REGLAB_RENDER_FIGURES", "0")
    assert not widgets.render_figures()
    exp = widgets.l1_explorer()
    first = exp.summary.value
    exp.update(alpha=0.3, rho=0.8)
    assert exp.summary.value != first and "not the minimizer" in exp.summary.value
    assert exp.redraws == 2 and exp.picture == b"" and exp.image.value == b"" and exp.full_renders == 0
    monkeypatch.setenv("REGLAB_RENDER_FIGURES", "1")
    exp.update(alpha=0.5)
    assert exp.picture.startswith(JPEG) and exp.full_renders == 1


def test_blitted_updates_render_the_axes_once():
    exp = widgets.l2_explorer()
    for alpha in (0.1, 3.0, 20.0):
        exp.update(alpha=alpha)
    exp.update(lam1=0.5, angle=60)
    assert exp.full_renders == 1  # limits never change: only the moving artists are drawn again


def test_update_rejects_unknown_controls():
    with pytest.raises(ValueError, match="unknown control"):
        widgets.l1_explorer().update(beta=1.0)


def test_l1_explorer_reports_the_closed_form_failure_with_correlation():
    exp = widgets.l1_explorer()
    exp.update(alpha=0.3, rho=0.0)
    assert "not the minimizer" not in exp.summary.value
    exp.update(rho=0.8)
    assert "not the minimizer" in exp.summary.value


def test_early_stopping_explorer_explains_overshooting_directions():
    exp = widgets.early_stopping_explorer()
    exp.update(eps=1.9, tau=7)  # eps * lambda_max = 1.9: odd number of overshooting steps
    assert "overshoots" in exp.summary.value
    assert np.isfinite(float(exp.summary.value.split("single alpha 1/(eps tau) = ")[1]))


def test_dropout_explorer_shows_exact_and_approximate_weight_scaling():
    exp = widgets.dropout_explorer()
    exp.update(keep_prob=0.5, n_masks=10)
    text = exp.summary.value
    softmax_gap = float(text.split("softmax regression <b>")[1].split("</b>")[0])
    mlp_gap = float(text.split("ReLU MLP <b>")[1].split("</b>")[0])
    assert softmax_gap < 1e-12 and mlp_gap > 1e-3
    exp.update(keep_prob=1.0)  # no dropout: every rule agrees, Monte Carlo included
    assert text != exp.summary.value and "Monte Carlo - arithmetic| = 0.000" in exp.summary.value


def test_ensemble_explorer_formula_matches_simulation():
    exp = widgets.ensemble_explorer()
    exp.update(k=20, rho=0.25)
    formula = float(exp.summary.value.split("<b>")[1].split("</b>")[0])
    mc = float(exp.summary.value.split("<b>")[2].split("</b>")[0])
    assert formula == pytest.approx(1 / 20 + 19 * 0.25 / 20)
    assert abs(mc - formula) < 0.02


def test_learning_curves_explorer_reports_the_closed_form_curves():
    from reglab import data, playground

    exp = widgets.learning_curves_explorer()
    exp.update(log10_alpha=-2, keep_prob=0.8, noise=0.4, n_train=20)
    x, y = data.polynomial_data(20, 0.4, 1)
    xv, yv = data.polynomial_data(200, 0.4, 2)
    steps = np.unique(np.round(np.geomspace(1, 1e6, 50)).astype(int))
    c = playground.gd_learning_curves(playground.random_relu_features(x, 100, 0), y,
                                      playground.random_relu_features(xv, 100, 0), yv, steps, 1e-2, 0.8)
    shown = float(exp.summary.value.split("<b>")[1].split("</b>")[0])
    assert shown == pytest.approx(c["val"].min(), abs=5e-4)


def test_l1_zeros_explorer_counts_exact_zeros():
    from reglab import data, l1

    exp = widgets.l1_zeros_explorer(n_problems=10)
    exp.update(log10_alpha=1.0)
    X, y, _ = data.random_sparse_regressions(n_problems=10, rng=0)
    zeros = sum(int(np.sum(l1.lasso(X[p], y[p], 10.0) == 0)) for p in range(10))
    assert f"L1 <b>{zeros} of 100</b>" in exp.summary.value and "L2 <b>0 of 100</b>" in exp.summary.value


def test_capstone_sweep_explorer_shows_every_method_and_its_sweep():
    from reglab import capstone, data

    split = data.digits_split(n_train=150, n_val=100, n_test=100, rng=0)
    res = capstone.run_capstone(split, hidden=16, epochs=10, grids={"L2": (1e-3, 1e-2), "L1": (1e-3, 1e-2)}, n_bags=2)
    exp = widgets.capstone_sweep_explorer(res)
    pictures, shown = {exp.picture}, {}
    for method in ("L2", "L1", "early stopping", "bagging", "none"):
        exp.update(method=method)
        assert f"<b>{method}</b>" in exp.summary.value
        assert f"test accuracy {res.table[method]['test_acc']:.3f}" in exp.summary.value
        pictures.add(exp.picture)
        shown[method] = exp.picture
        assert "{" not in exp.summary.value  # settings in words, not dicts
    assert len(pictures) == 5
    renders, alt = exp.full_renders, exp.image.alt
    exp.update(method="L2")  # a view already seen comes from the cache, summary and alternative text included
    assert exp.picture == shown["L2"] and "<b>L2</b>" in exp.summary.value and exp.full_renders == renders
    assert exp.image.alt != alt and "L2 (" in exp.image.alt and "training loss" in exp.image.alt
    assert plotting.legibility_problems(exp.figure, keep_layout=True) == []
