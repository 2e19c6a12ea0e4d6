"""Session 5: inverted dropout, exact mask enumeration and the weight scaling rule."""

import itertools
import tracemalloc

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from reglab import dropout as dp


def _brute(layers, x, keep, kind):
    """Plain-loop enumeration over every mask of every layer input with keep < 1 (independent)."""
    widths = [W.shape[0] for W, _ in layers]
    C = layers[-1][0].shape[1]
    geo, arith = np.zeros(C), np.zeros(C)
    for masks in itertools.product(*[itertools.product((0, 1), repeat=w) if p < 1 else [(1,) * w]
                                     for w, p in zip(widths, keep)]):
        prob = 1.0
        h = np.asarray(x, float)
        for layer, ((W, b), m, p) in enumerate(zip(layers, masks, keep)):
            if layer > 0:
                h = np.maximum(h, 0)
            m = np.array(m, float)
            if p < 1:
                prob *= np.prod(np.where(m == 1, p, 1 - p))
            h = (h * m) @ W + b
        z = h - h.max()
        probs = np.exp(z) / np.exp(z).sum()
        geo += prob * np.log(probs)
        arith += prob * probs
    g = np.exp(geo - geo.max())
    return g / g.sum() if kind == "geo" else arith


def _layers(rng, sizes, scale=1.0):
    return [(scale * rng.standard_normal((a, b)), rng.standard_normal(b)) for a, b in zip(sizes[:-1], sizes[1:])]


@pytest.mark.equation("inverted-dropout")
def test_seed_practice_question_h3_p06():
    """h = 3, keep 0.6: h~ = 5 w.p. 0.6, 0 w.p. 0.4, mean 3."""
    values, probs = dp.inverted_dropout_distribution(3.0, 0.6)
    np.testing.assert_allclose(values, [5.0, 0.0])
    np.testing.assert_allclose(probs, [0.6, 0.4])
    assert values @ probs == pytest.approx(3.0)
    draws = dp.inverted_dropout(np.full(200_000, 3.0), 0.6, np.random.default_rng(0))
    assert set(np.unique(draws)) == {0.0, 5.0}
    assert abs(draws.mean() - 3.0) < 5 * np.sqrt(0.6 * 0.4 * 25 / 200_000)
    assert abs(np.mean(draws == 5.0) - 0.6) < 0.005


@pytest.mark.equation("inverted-dropout")
def test_inverted_dropout_matches_torch_semantics():
    """torch.nn.Dropout(p) drops with probability p and scales survivors by 1/(1-p)."""
    torch.manual_seed(0)
    p_drop = 0.3
    keep = dp.keep_prob_from_torch(p_drop)
    h = np.linspace(0.5, 2.0, 50_000)
    t_out = torch.nn.Dropout(p=p_drop).train()(torch.tensor(h)).numpy()
    ours, mask = dp.inverted_dropout(h, keep, np.random.default_rng(1), return_mask=True)
    # same support: each output is 0 or h / keep
    for out in (t_out, ours):
        kept = out != 0
        np.testing.assert_allclose(out[kept], h[kept] / keep, rtol=1e-12)
    # same keep rate (both estimate 0.7 within sampling noise)
    se = np.sqrt(keep * (1 - keep) / h.size)
    assert abs(np.mean(t_out != 0) - keep) < 5 * se and abs(mask.mean() - keep) < 5 * se
    # and torch in eval mode is the identity, like inverted dropout at test time
    np.testing.assert_array_equal(torch.nn.Dropout(p=p_drop).eval()(torch.tensor(h)).numpy(), h)


def test_all_masks_matches_itertools():
    m = dp.all_masks(4)
    assert m.shape == (16, 4)
    ref = sorted(itertools.product((0, 1), repeat=4))
    assert sorted(map(tuple, m.tolist())) == ref
    assert m[0].sum() == 0 and m[-1].sum() == 4
    assert dp.all_masks(0).shape == (1, 0)


@pytest.mark.equation("7.53", "7.54-7.55")
@pytest.mark.parametrize("keep", [0.5, 0.8, 0.3, 1.0])
def test_softmax_regression_enumeration_matches_brute_force(rng, keep):
    W, b = rng.standard_normal((5, 3)), rng.standard_normal(3)
    v = rng.standard_normal(5)
    np.testing.assert_allclose(
        dp.geometric_mean_ensemble(W, b, v, keep), _brute([(W, b)], v, [keep], "geo"), atol=1e-12
    )
    np.testing.assert_allclose(
        dp.arithmetic_mean_ensemble(W, b, v, keep), _brute([(W, b)], v, [keep], "arith"), atol=1e-12
    )


@pytest.mark.equation("7.58-7.66")
@given(st.integers(1, 8), st.integers(2, 5), st.floats(0.05, 1.0), st.floats(0.1, 5.0), st.integers(0, 2**32 - 1))
def test_weight_scaling_is_exact_for_softmax_regression_7_58(n, C, keep, scale, seed):
    """Renormalized p-weighted geometric mean over all 2^n masks == softmax(p v W + b), any W, b, v, p."""
    rng = np.random.default_rng(seed)
    W, b = scale * rng.standard_normal((n, C)), rng.standard_normal(C)
    V = rng.standard_normal((3, n))
    np.testing.assert_allclose(
        dp.geometric_mean_ensemble(W, b, V, keep), dp.weight_scaling_predict(W, b, V, keep), atol=1e-10
    )


@pytest.mark.equation("7.58-7.66")
def test_weight_scaling_at_half_is_softmax_of_half_logits(rng):
    W, b, v = rng.standard_normal((6, 4)), rng.standard_normal(4), rng.standard_normal(6)
    z = 0.5 * v @ W + b
    expected = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    np.testing.assert_allclose(dp.geometric_mean_ensemble(W, b, v, 0.5), expected, atol=1e-12)


def test_arithmetic_mean_differs_from_geometric(rng):
    W, b, v = 3 * rng.standard_normal((6, 3)), rng.standard_normal(3), rng.standard_normal(6)
    a = dp.arithmetic_mean_ensemble(W, b, v, 0.5)
    g = dp.geometric_mean_ensemble(W, b, v, 0.5)
    assert np.max(np.abs(a - g)) > 1e-2
    assert a.sum() == pytest.approx(1.0) and g.sum() == pytest.approx(1.0)


@pytest.mark.equation("7.53")
def test_monte_carlo_converges_to_arithmetic_mean(rng):
    W, b, v = 2 * rng.standard_normal((8, 3)), rng.standard_normal(3), rng.standard_normal(8)
    exact = dp.arithmetic_mean_ensemble(W, b, v, 0.5)
    errs = []
    for k in [10, 100, 1000, 10000, 100000]:
        trials = [
            np.abs(dp.mc_dropout_predict(W, b, v, 0.5, k, np.random.default_rng(s)) - exact).max() for s in range(8)
        ]
        errs.append(np.mean(trials))
    assert errs[-1] < 0.01
    assert errs[-1] < errs[0] / 20  # ~1/sqrt(k): 100x more masks -> ~10x less error, over 4 decades


def test_keep_prob_one_means_no_dropout_for_every_inference_rule(rng):
    W, b, v = rng.standard_normal((6, 3)), rng.standard_normal(3), rng.standard_normal((4, 6))
    plain = dp.softmax(v @ W + b)
    for fn in (dp.arithmetic_mean_ensemble, dp.geometric_mean_ensemble, dp.weight_scaling_predict):
        np.testing.assert_allclose(fn(W, b, v, 1.0), plain, atol=1e-14)
    np.testing.assert_allclose(dp.mc_dropout_predict(W, b, v, 1.0, 7, 0), plain, atol=1e-14)
    layers = _layers(rng, [6, 5, 3])
    np.testing.assert_allclose(dp.mlp_mc_dropout_predict(layers, v, [1.0, 1.0], 9, 0),
                               dp.mlp_weight_scaling_predict(layers, v, 1.0), atol=1e-14)


def test_mlp_enumeration_matches_brute_force(rng):
    layers = _layers(rng, [3, 4, 3])
    x = rng.standard_normal(3)
    for keep in ([0.8, 0.5], [1.0, 0.5], [0.7, 1.0]):
        np.testing.assert_allclose(
            dp.mlp_geometric_mean_ensemble(layers, x, keep), _brute(layers, x, keep, "geo"), atol=1e-12
        )
        np.testing.assert_allclose(
            dp.mlp_arithmetic_mean_ensemble(layers, x, keep), _brute(layers, x, keep, "arith"), atol=1e-12
        )


@pytest.mark.equation("weight-scaling-relu")
def test_weight_scaling_is_only_approximate_in_a_relu_mlp(rng):
    layers = _layers(rng, [4, 6, 3], scale=1.5)
    X = rng.standard_normal((20, 4))
    keep = [0.8, 0.5]
    geo = dp.mlp_geometric_mean_ensemble(layers, X, keep)
    ws = dp.mlp_weight_scaling_predict(layers, X, keep)
    assert np.max(np.abs(geo - ws)) > 1e-3
    # ...but exact again when only the last layer's input (the hidden units) is dropped: that
    # is softmax regression on fixed features h(x)
    keep_last = [1.0, 0.5]
    np.testing.assert_allclose(dp.mlp_geometric_mean_ensemble(layers, X, keep_last),
                               dp.mlp_weight_scaling_predict(layers, X, keep_last), atol=1e-10)


def test_mlp_monte_carlo_estimates_arithmetic_mean(rng):
    layers = _layers(rng, [3, 5, 2])
    x = rng.standard_normal(3)
    exact = dp.mlp_arithmetic_mean_ensemble(layers, x, [0.8, 0.5])
    mc = dp.mlp_mc_dropout_predict(layers, x, [0.8, 0.5], 200_000, np.random.default_rng(3))
    np.testing.assert_allclose(mc, exact, atol=5e-3)


def test_enumeration_of_2_pow_18_masks_is_chunked_and_memory_bounded(rng):
    n = 18
    W, b, v = rng.standard_normal((n, 3)) / np.sqrt(n), rng.standard_normal(3), rng.standard_normal(n)
    tracemalloc.start()
    geo = dp.geometric_mean_ensemble(W, b, v, 0.5)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    full = (1 << n) * n * 8  # what materializing all masks x inputs as float64 would take
    assert peak < 0.5 * full + 150e6
    np.testing.assert_allclose(geo, dp.weight_scaling_predict(W, b, v, 0.5), atol=1e-10)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: dp.inverted_dropout([1.0], 0.0, 0), r"\(0, 1\]"),
        (lambda: dp.inverted_dropout([1.0], 1.5, 0), "KEEPING"),
        (lambda: dp.inverted_dropout([1.0], 0.5, "x"), "Generator"),
        (lambda: dp.keep_prob_from_torch(1.0), "drop probability"),
        (lambda: dp.all_masks(30), "<= 24"),
        (lambda: dp.geometric_mean_ensemble(np.ones((3, 2)), np.ones(2), np.ones(4), 0.5), "features"),
        (lambda: dp.geometric_mean_ensemble(np.ones((3, 2)), np.ones(3), np.ones(3), 0.5), "length"),
        (lambda: dp.geometric_mean_ensemble(np.ones((25, 2)), np.ones(2), np.ones(25), 0.5), "at most 24"),
        (
            lambda: dp.mlp_weight_scaling_predict(
                [(np.ones((2, 3)), np.ones(3)), (np.ones((4, 2)), np.ones(2))], [1, 1], 0.5
            ),
            "expects 4",
        ),
        (
            lambda: dp.mlp_weight_scaling_predict([(np.ones((2, 3)), np.ones(3))], [1, 1], [0.5, 0.5]),
            "one value per layer",
        ),
        (lambda: dp.mlp_weight_scaling_predict([], [1, 1], 0.5), "non-empty"),
        (lambda: dp.mc_dropout_predict(np.ones((2, 2)), np.ones(2), np.ones(2), 0.5, 0, 0), "n_samples"),
    ],
)
def test_bad_inputs_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_the_mlp_functions_name_their_input_x_and_the_softmax_ones_v():
    layers = [(np.ones((3, 4)), np.zeros(4)), (np.ones((4, 2)), np.zeros(2))]
    cube = np.ones((2, 2, 3))
    rng = np.random.default_rng(0)
    for call in (lambda: dp.mlp_geometric_mean_ensemble(layers, cube, 0.5),
                 lambda: dp.mlp_arithmetic_mean_ensemble(layers, cube, 0.5),
                 lambda: dp.mlp_weight_scaling_predict(layers, cube, 0.5),
                 lambda: dp.mlp_mc_dropout_predict(layers, cube, 0.5, 10, rng),
                 lambda: dp.mask_std(layers, cube, 0.5),
                 lambda: dp.mc_dropout_accuracy(layers, cube, 0.5, [1, 2], 2, rng)):
        with pytest.raises(ValueError, match=r"^x must be 1-D or 2-D, got shape \(2, 2, 3\)$"):
            call()
    with pytest.raises(ValueError, match=r"^v must be 1-D or 2-D, got shape \(2, 2, 3\)$"):
        dp.weight_scaling_predict(np.ones((3, 2)), np.zeros(2), cube, 0.5)
