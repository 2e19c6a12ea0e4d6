"""Session 6's variants (capstone and review): see :mod:`reglab.variants`."""

from __future__ import annotations

import numpy as np

from . import Spec, letter, shuffled


class _Letter(str):
    """An option letter that also reads as its rank (a = 1, b = 2, ...): :func:`reglab.variants.separation` compares
    numbers, and two different letters are always told apart."""

    def __float__(self):
        return float(ord(self[0].lower()) - 96)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(float(self), dtype=dtype)


def _letter(options, option) -> _Letter:
    return _Letter(letter(options, option))


# q1: two networks' training and validation errors; the options in an order of the variant's own
UNDER = "underfitting: reduce regularization (or a bigger model, longer training)"
OVER = "overfitting: increase regularization or get more data"
FINE = "both errors are fine"
Q1_OPTIONS = (UNDER, OVER, FINE)


def _q1_draw(rng):
    train_a = float(rng.choice([0.01, 0.02, 0.03, 0.04, 0.05]))
    val_a = round(train_a + int(rng.integers(15, 41)) / 100, 2)  # a gap of 0.15 to 0.40
    train_b = int(rng.integers(22, 41)) / 100
    val_b = round(train_b + int(rng.integers(1, 5)) / 100, 2)  # a gap of 0.01 to 0.04
    good = float(rng.choice([0.03, 0.04, 0.05, 0.06, 0.08]))
    return {"train_a": train_a, "val_a": val_a, "train_b": train_b, "val_b": val_b, "good_error": good,
            "options": shuffled(rng, Q1_OPTIONS)}


def _q1_expected(g):
    return {"q1a": _letter(g["options"], OVER), "q1b": _letter(g["options"], UNDER)}


def _q1_mistakes(g):
    return {"q1a": {"read-backwards": _letter(g["options"], UNDER)},
            "q1b": {"high-val-means-overfitting": _letter(g["options"], OVER)}}


# q2: a lambda tuned for a summed objective over n examples, moved to a mean and to the (alpha/2) convention
# 25 x 30 pairs: in a class of a few hundred, two students rarely share their numbers
LAMBDA_SUMS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 12.0, 14.0, 15.0,
               16.0, 18.0, 20.0, 24.0, 25.0, 30.0)
N_EXAMPLES = tuple(range(200, 1000, 50)) + tuple(range(1000, 5001, 300))


def _q2_draw(rng):
    return {"lambda_sum": float(rng.choice(LAMBDA_SUMS)), "n_examples": int(rng.choice(N_EXAMPLES))}


def _q2_expected(g):
    lam, n = g["lambda_sum"], g["n_examples"]
    return {"q2a": lam / n, "q2b": 2 * lam / n}


def _q2_mistakes(g):
    lam, n = g["lambda_sum"], g["n_examples"]
    return {"q2a": {"lambda-unchanged": lam, "multiplied-by-n": lam * n},
            "q2b": {"forgot-factor-2": lam / n, "halved": lam / (2 * n), "lambda-unchanged": 2 * lam}}


# The review quiz: a pool of items per topic, each its options (the first item: the course's own instance, in the
# course's order), the right one and the distractors' misconceptions. A variant draws one item of each pool and
# shuffles its options, so a student who practises meets each topic in other words, not the same letters reordered.
QUIZ = {
    "item1": ((("speed up training by skipping units",
                "randomly drop neurons during training to prevent overfitting",
                "remove unused weights permanently after training",
                "reduce the number of output classes"), 1, {"for-speed": 0, "pruning": 2}),
              (("to make training cheaper by computing only part of the network at each step",
                "to keep hidden units from co-adapting, so that the network generalizes better",
                "to find and delete, once and for all, the weights the network does not need",
                "to make the network's predictions the same from one run to the next"), 1,
               {"for-speed": 0, "pruning": 2})),
    "item2": ((("speed up convergence", "increase training accuracy", "prevent overfitting", "reduce inference time"),
               2, {"raises-training-accuracy": 1}),
              (("to lower the training error as far as it will go on the data at hand",
                "to make gradient descent reach the same minimum in fewer steps and less time",
                "to lower the error on data not seen in training, even if training error rises",
                "to make the trained model smaller, so that it takes less memory and time"), 2,
               {"raises-training-accuracy": 0})),
    "item3": ((("L2", "dropout", "early stopping", "L1"), 3, {"l2-for-absolute": 0}),
              (("weight decay, Ω(w) = ½‖w‖₂²",
                "the lasso penalty, Ω(w) = ‖w‖₁",
                "max-norm, ‖w‖₂ ≤ c for each unit's incoming w",
                "the number of non-zero weights"), 1, {"l2-for-absolute": 0})),
    "item4": ((("it randomly removes neurons, with their connections, during training",
                "it removes the weakest neurons at test time",
                "it adds Gaussian noise to every weight",
                "it lowers the learning rate of rarely used units"), 0, {"dropout-at-test-time": 1}),
              (("at test time, the units with the weakest activations are switched off",
                "one half of the units, drawn once before training, is switched off throughout",
                "at each training step, each input and hidden unit is kept with probability p",
                "once training ends, the weights below a threshold are set to zero for good"), 2,
               {"dropout-at-test-time": 0})),
    "item5": ((("stop when the training loss reaches zero",
                "stop after a fixed number of epochs",
                "stop when the learning rate becomes small",
                "stop when the validation performance plateaus or degrades"), 3, {"stop-on-training-loss": 0}),
              (("stop once the training error has not fallen for a few epochs in a row",
                "keep the parameters with the lowest validation error; stop once it stops improving",
                "stop as soon as the gradient of the training loss becomes exactly zero",
                "train for a fixed number of epochs, chosen before training starts"), 1, {"stop-on-training-loss": 0})),
    "item6": ((("the learning rate", "the regularization strength", "the keep probability", "the number of layers"),
               1, {"lambda-is-learning-rate": 0}),
              (("the step size of each gradient descent update",
                "the fraction of the units that dropout removes",
                "the number of training examples in the data term",
                "how much the penalty weighs against the data term"), 3, {"lambda-is-learning-rate": 0})),
    "item7": ((("that is Gal and Ghahramani's variant, one thinned network per sequence",
                "that is Semeniuta et al.'s variant, \"recurrent dropout without memory loss\"",
                "it corrupts the memory anew at every step, so the network struggles to keep information over many "
                "steps: neither published variant does it",
                "it is harmless, because the masks of many steps average out"), 2,
               {"per-sequence-is-per-step": 0, "update-mask-on-memory": 1, "fresh-mask-per-step": 3}),
              (("this is Gal and Ghahramani's variational dropout, one thinned network per time step",
                "the masks of many steps average out, so the memory loses nothing over a long sequence",
                "neither published variant does this: a new mask at every step corrupts the memory again and again",
                "this is Semeniuta et al.'s \"recurrent dropout without memory loss\", a new mask at every step"), 2,
               {"per-sequence-is-per-step": 0, "fresh-mask-per-step": 1, "update-mask-on-memory": 3})),
}


def _part(item):
    return "quiz" + item[len("item"):]


def _quiz_draw(rng):
    return {item: shuffled(rng, pool[int(rng.integers(len(pool)))][0]) for item, pool in QUIZ.items()}


def _quiz_item(item, options):
    """The pool's item whose options a variant shows (in any order)."""
    return next(entry for entry in QUIZ[item] if set(entry[0]) == set(options))


def _quiz_expected(g):
    out = {}
    for item in QUIZ:
        options, right, _ = _quiz_item(item, g[item])
        out[_part(item)] = _letter(g[item], options[right])
    return out


def _quiz_mistakes(g):
    out = {}
    for item in QUIZ:
        options, _, named = _quiz_item(item, g[item])
        out[_part(item)] = {key: _letter(g[item], options[i]) for key, i in named.items()}
    return out


# q3: label smoothing, checked on labels, a number of classes and an eps of the variant's own
EPSILONS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4)


def _q3_draw(rng):
    k = int(rng.integers(3, 9))
    labels = [int(y) for y in rng.integers(0, k, int(rng.integers(4, 9)))]  # a list: givens compare as data
    return {"labels": labels, "k": k, "eps": float(rng.choice(EPSILONS))}


def _q3_expected(g):
    n, k, eps = len(g["labels"]), g["k"], g["eps"]
    return {"q3a": np.full(n * (k - 1), eps / (k - 1)), "q3b": np.full(n, 1 - eps)}


def _q3_mistakes(g):
    n, k, eps = len(g["labels"]), g["k"], g["eps"]
    return {"q3a": {"eps-over-k": np.full(n * (k - 1), eps / k)},
            "q3b": {"eps-over-k-everywhere": np.full(n, 1 - eps + eps / k), "one-hot-kept": np.ones(n)}}


# q5: the L2 penalty's gradient, on a network built from sizes and a seed of the variant's own (biases made nonzero)
LAMS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4)  # not 0.5: 2 * lam * W would equal W (forgot lambda = forgot the 2)


def _q5_draw(rng):
    sizes = [int(n) for n in rng.integers(2, 6, int(rng.integers(3, 5)))]  # two or three layers
    return {"sizes": sizes, "lam": float(rng.choice(LAMS)), "seed": int(rng.integers(0, 10_000))}


def q5_layers(sizes, seed):
    """The network of q5's checks: ``mlp.init_mlp(sizes, rng=seed)`` with biases drawn from ``seed + 1``."""
    from .. import mlp

    return [(W, b + np.random.default_rng(seed + 1).normal(size=b.shape))  # each layer's from a fresh seed + 1
            for W, b in mlp.init_mlp(sizes, rng=seed)]


def _flat(arrays):
    return np.concatenate([np.ravel(a) for a in arrays])


def _q5_expected(g):
    layers, lam = q5_layers(g["sizes"], g["seed"]), g["lam"]
    return {"q5a": _flat([lam * W for W, _ in layers]), "q5b": _flat([np.zeros_like(b) for _, b in layers])}


def _q5_mistakes(g):
    layers, lam = q5_layers(g["sizes"], g["seed"]), g["lam"]
    return {"q5a": {"factor-2": _flat([2 * lam * W for W, _ in layers]),
                    "lambda-missing": _flat([W for W, _ in layers])},
            "q5b": {"biases-penalized": _flat([lam * b for _, b in layers])}}


# q6: the proximal L1 step on a matrix with entries on both sides of the threshold step * l1, of both signs
STEPS = (0.05, 0.1, 0.2, 0.25, 0.5)
STRENGTHS = (0.5, 1.0, 1.5, 2.0, 3.0)


def _q6_draw(rng):
    while True:
        step, strength = float(rng.choice(STEPS)), float(rng.choice(STRENGTHS))
        t = step * strength
        W = np.round(rng.uniform(-1.0, 1.0, size=(int(rng.integers(3, 5)), int(rng.integers(3, 6)))), 2)
        a = np.abs(W)
        if (0.05 <= t <= 0.6 and np.all(W != 0) and np.all(np.abs(a - t) > 0.005) and np.sum(a < t) >= 2
                and np.any((a > t) & (W > 0)) and np.any((a > t) & (W < 0))):
            return {"W": W.tolist(), "step": step, "l1_strength": strength}  # a list: givens compare as data


def _soft(W, t):
    return np.sign(W) * np.maximum(np.abs(W) - t, 0.0)


def _q6_expected(g):
    W, t = np.asarray(g["W"], dtype=float), g["step"] * g["l1_strength"]
    return {"q6a": _soft(W, t), "q6b": float(np.sum(_soft(W, t) == 0))}


def _q6_mistakes(g):
    W, strength = np.asarray(g["W"], dtype=float), g["l1_strength"]
    t = g["step"] * strength
    sub = W - t * np.sign(W)
    # ("no-max", sign(W)(|W| - t), is the subgradient step's very formula: one value, named as the step)
    return {"q6a": {"subgradient-step": sub,
                    "no-sign": np.maximum(np.abs(W) - t, 0.0), "threshold-without-step": _soft(W, strength)},
            "q6b": {"subgradient-step": float(np.sum(sub == 0))}}


# q7: inverted dropout; the forward pass's statistics at a value and keep probability of the variant's own, the
# backward pass through a small network drawn from its seed
KEEP_PROBS = (0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9)
H_VALUES = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0)


def _q7_draw(rng):
    return {"h_value": float(rng.choice(H_VALUES)), "keep_prob": float(rng.choice(KEEP_PROBS)),
            "seed": int(rng.integers(0, 10_000))}


def q7_network(keep_prob, seed):
    """The small network of q7's gradient check: ``X, y, W1, W2, mask`` drawn from ``seed``."""
    r = np.random.default_rng(seed)
    X, y = r.normal(size=(8, 4)), r.integers(0, 3, 8)
    W1, W2 = r.normal(size=(4, 6)), r.normal(size=(6, 3))
    mask = (r.random((8, 6)) < keep_prob).astype(float)
    return X, y, W1, W2, mask


def _q7_grad(keep_prob, seed, scale):
    """The gradient with respect to W1 when the backward pass multiplies by ``mask * scale``."""
    X, y, W1, W2, mask = q7_network(keep_prob, seed)
    pre = X @ W1
    z = (np.maximum(pre, 0.0) * mask / keep_prob) @ W2
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1.0
    return X.T @ ((p / len(y) @ W2.T) * mask * scale * (pre > 0))


def _q7_expected(g):
    h, p, seed = g["h_value"], g["keep_prob"], g["seed"]
    return {"q7a": np.array([h / p, p]), "q7b": 1.0, "q7b:gradient": _q7_grad(p, seed, 1 / p)}


def _q7_mistakes(g):
    h, p, seed = g["h_value"], g["keep_prob"], g["seed"]
    return {"q7a": {"scaled-by-p": np.array([h * p, p]), "not-rescaled": np.array([h, p]),
                    "keep-drop-swapped": np.array([h / (1 - p), round(1 - p, 1)])},
            "q7b": {"mask-not-reused": 0.0},
            "q7b:gradient": {"backward-unscaled": _q7_grad(p, seed, 1.0), "backward-scaled-by-p": _q7_grad(p, seed, p)}}


# q8: early stopping on a validation curve whose best loss is tied once within the patience, so that counting the
# tie as an improvement or stopping one epoch late both change the answer
def _q8_draw(rng):
    patience = int(rng.integers(2, 5))
    losses = [round(float(rng.uniform(1.0, 2.0)), 2)]
    for _ in range(int(rng.integers(0, 4))):  # improving epochs
        losses.append(round(losses[-1] - float(rng.choice([0.05, 0.1, 0.15, 0.2, 0.3])), 2))
    best = losses[-1]
    tie = int(rng.integers(1, patience))  # the tie comes this many epochs after the best
    for j in range(1, tie + patience + 2):
        losses.append(best if j == tie else round(best + 0.05 * int(rng.integers(1, 7)), 2))
    losses.append(round(best - 0.05, 2))  # a later improvement, never reached
    return {"losses": losses, "patience": patience}


def _stopper(losses, patience, ties=False, late=False):
    """[the epoch training stops at, the best epoch] of early stopping with patience on ``losses``."""
    best, best_epoch, bad = np.inf, None, 0
    for epoch, loss in enumerate(losses, start=1):
        if loss < best or (ties and loss == best):
            best, best_epoch, bad = loss, epoch, 0
        else:
            bad += 1
        if bad > patience if late else bad >= patience:
            break
    return np.array([float(epoch), float(best_epoch)])


def _q8_expected(g):
    stop, best = _stopper(g["losses"], g["patience"])
    return {"q8a": np.array([stop, best]), "q8b": float(best)}


def _q8_mistakes(g):
    losses, patience = g["losses"], g["patience"]
    return {"q8a": {"ties-as-improvements": _stopper(losses, patience, ties=True),
                    "patience-off-by-one": _stopper(losses, patience, late=True)},
            "q8b": {"kept-last-weights": float(_stopper(losses, patience)[0])}}


SPECS = {
    "q1": Spec(draw=_q1_draw,
               course={"train_a": 0.02, "val_a": 0.35, "train_b": 0.31, "val_b": 0.33, "good_error": 0.05,
                       "options": Q1_OPTIONS},
               expected=_q1_expected, mistakes=_q1_mistakes, tol=1e-9),
    "q2": Spec(draw=_q2_draw, course={"lambda_sum": 4.0, "n_examples": 800}, expected=_q2_expected,
               mistakes=_q2_mistakes, tol=1e-9),
    "quiz": Spec(draw=_quiz_draw, course={item: pool[0][0] for item, pool in QUIZ.items()},
                 expected=_quiz_expected, mistakes=_quiz_mistakes, tol=1e-9),
    "q3": Spec(draw=_q3_draw, course={"labels": [0, 3, 1, 3, 2], "k": 4, "eps": 0.3}, expected=_q3_expected,
               mistakes=_q3_mistakes, tol=1e-9),
    "q5": Spec(draw=_q5_draw, course={"sizes": [3, 4, 2], "lam": 0.3, "seed": 50}, expected=_q5_expected,
               mistakes=_q5_mistakes, tol=1e-6),
    "q6": Spec(draw=_q6_draw, course={"W": [[0.5, -0.05, 0.3], [-0.25, 0.1, -0.9], [0.0, 0.2, -0.15]],
                                      "step": 0.1, "l1_strength": 2.0},
               expected=_q6_expected, mistakes=_q6_mistakes, tol=1e-9),
    "q7": Spec(draw=_q7_draw, course={"h_value": 3.0, "keep_prob": 0.6, "seed": 70}, expected=_q7_expected,
               mistakes=_q7_mistakes, tol=1e-7),
    "q8": Spec(draw=_q8_draw, course={"losses": [1.0, 0.8, 0.9, 0.95, 0.8, 0.85, 0.9, 0.7], "patience": 3},
               expected=_q8_expected, mistakes=_q8_mistakes, tol=1e-6),
}
