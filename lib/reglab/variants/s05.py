"""Session 5's variants (dropout and the geometric mean): see :mod:`reglab.variants`."""

from __future__ import annotations

import numpy as np

from . import Spec


def _softmax(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _masks(n):
    """All 2^n binary masks of n units, one per row."""
    return ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1).astype(float)


def _mask_weights(masks, keep):
    kept = masks.sum(axis=1)
    return keep ** kept * (1 - keep) ** (masks.shape[1] - kept)


# q1: a unit h kept with probability p: the values of h~ (kept first), their probabilities, the mean. p = 1/2 is left
# out: there the kept and dropped probabilities coincide and so would several mistakes with the right answer.
Q1_HS = tuple(round(0.5 + i / 10, 1) for i in range(56))  # 0.5, 0.6, ..., 6.0
Q1_PS = tuple(round(0.05 * i, 2) for i in range(4, 19) if i != 10)  # 0.2, 0.25, ..., 0.9 without 0.5


def _q1_draw(rng):
    return {"h": float(rng.choice(Q1_HS)), "p": float(rng.choice(Q1_PS))}


def _q1_expected(g):
    h, p = g["h"], g["p"]
    return {"q1a": np.array([h / p, 0.0]), "q1b": np.array([p, 1 - p]), "q1c": h}


def _q1_mistakes(g):
    h, p = g["h"], g["p"]
    return {"q1a": {"scaled-by-p": np.array([h * p, 0.0]), "scaled-by-drop": np.array([h / (1 - p), 0.0]),
                    "not-rescaled": np.array([h, 0.0])},
            "q1b": {"keep-drop-swapped": np.array([1 - p, p])},
            "q1c": {"unweighted-mean": h / p / 2, "not-rescaled": h * p, "scaled-by-p": h * p * p,
                    "keep-drop-swapped": (1 - p) * h / p}}


# q2: my_inverted_dropout(h, keep_prob, rng) at the keep probability given, with generators seeded from seed: the
# distinct factors applied to the survivors (q2a), the fraction of 400,000 units that survive, to two decimals (q2b:
# its standard deviation is below 0.0008, so it rounds to keep_prob itself with overwhelming probability), the
# fraction of a batch of 200 x 300 units whose mask is the first example's (q2c: 0 for independent masks).
Q2_KEEPS = tuple(round(0.05 * i, 2) for i in range(1, 20) if i not in (9, 10, 11))  # 0.05, ..., 0.95 without 0.45-0.55


def _q2_draw(rng):
    return {"keep_prob": float(rng.choice(Q2_KEEPS)), "seed": int(rng.integers(0, 10_000))}


def _q2_expected(g):
    p = g["keep_prob"]
    return {"q2a": np.array([1 / p]), "q2b": p, "q2c": 0.0}


def _q2_mistakes(g):
    p = g["keep_prob"]
    return {"q2a": {"scaled-by-p": np.array([p]), "scaled-by-drop": np.array([1 / (1 - p)]),
                    "not-rescaled": np.array([1.0])},
            "q2b": {"keep-drop-swapped": round(1 - p, 2)},
            "q2c": {"one-mask-per-batch": 1.0}}


# q3: from_torch(p) for PyTorch's drop probability p (not near 1/2, where keep and drop coincide)
Q3_PS = tuple(round(i / 1000, 3) for i in [*range(50, 451), *range(550, 901)])


def _q3_draw(rng):
    return {"p": float(rng.choice(Q3_PS))}


def _q3_expected(g):
    return {"q3a": 1 - g["p"], "q3b": 1 / (1 - g["p"])}


def _q3_mistakes(g):
    p = g["p"]
    return {"q3a": {"keep-drop-swapped": p}, "q3b": {"scaled-by-drop": 1 / p, "scaled-by-p": 1 - p}}


# q4: geometric_ensemble(P, weights): on P and weights given (q4a: the probabilities' ratios to the first class's),
# and over all 2^n input masks of a softmax regression drawn from seed, kept with probability keep_prob (q4b)
def _composition(rng, parts, total=20):
    """``parts`` multiples of 1/total, each at least 1/total, summing to 1."""
    return (1 + rng.multinomial(total - parts, np.ones(parts) / parts)) / total


def _q4_draw(rng):
    m, classes = int(rng.integers(3, 6)), int(rng.integers(3, 5))
    return {"P": np.array([_composition(rng, classes) for _ in range(m)]), "weights": _composition(rng, m),
            "n": int(rng.integers(8, 11)), "keep_prob": float(rng.choice([0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9])),
            "seed": int(rng.integers(0, 10_000))}


def _softmax_regression(n, keep_prob, seed):
    """q4b's data: ``(P, weights)``, the class probabilities of a softmax regression with 4 classes under each of the
    2^n masks of its n inputs, and each mask's probability (the same as the notebook's test cell builds)."""
    r = np.random.default_rng(seed)
    W, b, v = r.normal(size=(n, 4)) * 2, r.normal(size=4), r.normal(size=n)
    masks = _masks(n)
    return _softmax((masks * v) @ W + b), _mask_weights(masks, keep_prob)


def _ratios(g):
    return g / g[0]


def _q4_expected(g):
    geo_a = np.exp(g["weights"] @ np.log(g["P"]))
    P, w = _softmax_regression(g["n"], g["keep_prob"], g["seed"])
    geo_b = np.exp(w @ np.log(P))
    return {"q4a": _ratios(geo_a), "q4b": geo_b / geo_b.sum()}


def _q4_mistakes(g):
    P_a, w_a = g["P"], g["weights"]
    P, w = _softmax_regression(g["n"], g["keep_prob"], g["seed"])
    return {"q4a": {"arithmetic-mean": _ratios(w_a @ P_a), "weights-as-factors": _ratios(np.prod(P_a, axis=0))},
            "q4b": {"not-renormalized": np.exp(w @ np.log(P)), "arithmetic-mean": w @ P}}


# q5: weight_scaled_predict(W, b, v, keep_prob) on W, b, v given (q5a), and on 2 W, b + offset, v (q5b): logits of
# magnitude 800 or more, where exp() overflows (offset > 0) or underflows to 0 for every class (offset < 0)
Q5_KEEPS = tuple(round(0.05 * i, 2) for i in range(4, 19) if i != 10)  # 0.2, ..., 0.9 without 0.5
Q5_OFFSETS = (-1000.0, -900.0, -850.0, -800.0, 800.0, 850.0, 900.0, 1000.0)


def _q5_draw(rng):
    while True:
        n_in, classes = int(rng.integers(2, 5)), int(rng.integers(3, 5))
        W = np.round(rng.normal(size=(n_in, classes)), 1)
        b, v = np.round(rng.normal(size=classes), 1), np.round(1.5 * rng.normal(size=n_in), 1)
        keep = float(rng.choice(Q5_KEEPS))
        if np.ptp(b) >= 0.3 and np.abs(keep * (v @ (2 * W)) + b).max() < 40:
            return {"W": W, "b": b, "v": v, "keep_prob": keep, "offset": float(rng.choice(Q5_OFFSETS))}


def _q5_inputs(g):
    """``[(check name, W, b)]``: the inputs of q5a and of q5b."""
    return [("q5a", g["W"], g["b"]), ("q5b", 2 * g["W"], g["b"] + g["offset"])]


def _q5_expected(g):
    p, v = g["keep_prob"], g["v"]
    return {name: _softmax(p * (v @ W) + b) for name, W, b in _q5_inputs(g)}


def _q5_mistakes(g):
    p, v = g["keep_prob"], g["v"]
    masks = _masks(len(v))
    out = {}
    for name, W, b in _q5_inputs(g):
        out[name] = {"scaled-bias": _softmax(p * (v @ W + b))}
        if name == "q5a":
            out[name].update({"keep-drop-swapped": _softmax((1 - p) * (v @ W) + b), "no-scaling": _softmax(v @ W + b),
                              "arithmetic-mean": _mask_weights(masks, p) @ _softmax((masks * v) @ W + b)})
    return out


_Q4_COURSE_P = np.array([[0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.1, 0.8, 0.1]])
_Q5_COURSE_W = np.array([[1.0, -0.5, 0.2], [0.3, 0.8, -1.0]])

SPECS = {
    "q1": Spec(draw=_q1_draw, course={"h": 3.0, "p": 0.6}, expected=_q1_expected, mistakes=_q1_mistakes, tol=1e-9),
    "q2": Spec(draw=_q2_draw, course={"keep_prob": 0.8, "seed": 3}, expected=_q2_expected, mistakes=_q2_mistakes,
               tol=1e-9),
    "q3": Spec(draw=_q3_draw, course={"p": 0.25}, expected=_q3_expected, mistakes=_q3_mistakes, tol=1e-9),
    "q4": Spec(draw=_q4_draw,
               course={"P": _Q4_COURSE_P, "weights": np.array([0.5, 0.3, 0.2]), "n": 10, "keep_prob": 0.8, "seed": 57},
               expected=_q4_expected, mistakes=_q4_mistakes, tol=1e-9),
    "q5": Spec(draw=_q5_draw,
               course={"W": _Q5_COURSE_W, "b": np.array([0.1, -0.2, 0.4]), "v": np.array([2.0, -1.0]),
                       "keep_prob": 0.8, "offset": 750.0},
               expected=_q5_expected, mistakes=_q5_mistakes, tol=1e-9),
}
