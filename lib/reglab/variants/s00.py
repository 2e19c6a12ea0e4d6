"""Session 0's variants (overfitting and the regularized objective): see :mod:`reglab.variants`."""

from __future__ import annotations

import numpy as np

from .. import data, overfitting
from . import Spec, apart, named_apart

# q1: the degree with the lowest validation error on a second draw of session 0's data
DEGREES = np.arange(0, 13)  # the notebook's `degrees`
N2 = tuple(range(14, 26))
NOISES2 = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)


def _q1_draw(rng):
    return {"n2": int(rng.choice(N2)), "noise2": float(rng.choice(NOISES2)), "seed2": int(rng.integers(2, 1000))}


def _q1_sweep(g):
    x, y = data.polynomial_data(g["n2"], noise=g["noise2"], rng=g["seed2"])
    x_val, y_val = data.polynomial_data(200, noise=g["noise2"], rng=g["seed2"] + 100)
    return overfitting.degree_sweep(x, y, x_val, y_val, DEGREES)


def _q1_expected(g):
    return {"q1": int(DEGREES[np.argmin(_q1_sweep(g)[1])])}


def _q1_mistakes(g):
    return {"q1": {"chose-by-training-error": int(DEGREES[np.argmin(_q1_sweep(g)[0])])}}


# q2: bias^2 and variance from a table of predictions (one row per refit, one column per test point)
def _q2_draw(rng):
    refits, points = int(rng.integers(3, 7)), int(rng.integers(2, 5))
    return {"preds": rng.integers(-8, 9, size=(refits, points)) / 2.0,
            "f_values": rng.integers(-6, 7, size=points) / 2.0}


def _q2_expected(g):
    p, f = g["preds"], g["f_values"]
    return {"q2a": float(np.mean((p.mean(axis=0) - f) ** 2)), "q2b": float(np.mean(p.var(axis=0)))}


def _q2_mistakes(g):
    p, f = g["preds"], g["f_values"]
    return {"q2a": {"squared-error-not-bias": float(np.mean((p - f) ** 2))},
            "q2b": {"sample-variance": float(np.mean(p.var(axis=0, ddof=1))),
                    "variance-across-points": float(np.mean(p.var(axis=1)))}}


# q3: the penalized loss mean((y - y_hat)^2) + (alpha/2)||w||^2
ALPHAS3 = (0.1, 0.2, 0.3, 0.5, 0.8, 1.0, 1.5, 2.0)


def _q3_draw(rng):
    n, d = int(rng.integers(3, 7)), int(rng.integers(2, 5))
    return {"y3": rng.integers(-6, 7, size=n) / 2.0, "y_hat3": rng.integers(-6, 7, size=n) / 2.0,
            "w3": rng.integers(-6, 7, size=d) / 2.0, "alpha3": float(rng.choice(ALPHAS3))}


def _q3_expected(g):
    pen = 0.5 * g["alpha3"] * float(np.sum(g["w3"] ** 2))
    return {"q3a": float(np.mean((g["y3"] - g["y_hat3"]) ** 2)), "q3b": pen}


def _q3_mistakes(g):
    pen = 0.5 * g["alpha3"] * float(np.sum(g["w3"] ** 2))
    return {"q3a": {"sum-not-mean": float(np.sum((g["y3"] - g["y_hat3"]) ** 2))},
            "q3b": {"alpha-not-half": 2 * pen, "penalty-divided-by-n": pen / len(g["y3"])}}


# q4: (alpha/2) sum ||W||_F^2 over the weights only
ALPHAS4 = (0.1, 0.2, 0.3, 0.5, 1.0, 1.5, 2.0)


def _layers(rng, sizes):
    params = {}
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{i}"] = rng.integers(-4, 5, size=(a, b)) / 2.0
        params[f"b{i}"] = rng.integers(-4, 5, size=b) / 2.0
    return params


def _sizes(rng):
    return [int(rng.integers(1, 4)) for _ in range(int(rng.integers(3, 5)))]


def _q4_draw(rng):
    return {"params4": _layers(rng, _sizes(rng)), "alpha4": float(rng.choice(ALPHAS4))}


def _sum_sq(params, first):
    return float(sum(np.sum(np.asarray(v) ** 2) for k, v in params.items() if k[0] in first))


def _q4_expected(g):
    return {"q4a": 0.5 * g["alpha4"] * _sum_sq(g["params4"], "W"), "q4b": 0.0}


def _q4_mistakes(g):
    half = 0.5 * g["alpha4"]
    return {"q4a": {"forgot-half": 2 * half * _sum_sq(g["params4"], "W")},
            "q4b": {"penalized-bias": half * _sum_sq(g["params4"], "b")}}


# q5: the per-example L1 penalty (lam/m) sum ||W||_1 and its gradient
LAMS5 = (0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0, 1.2)
MS5 = (4, 5, 8, 10, 12, 16, 20, 25, 40, 50)


def _q5_draw(rng):
    params = _layers(rng, _sizes(rng))
    params.pop(f"b{len(params) // 2}")  # the last layer without a bias, as in the course's instance
    return {"params5": params, "lam5": float(rng.choice(LAMS5)), "m5": int(rng.choice(MS5))}


def _abs_sum(params, first):
    return float(sum(np.sum(np.abs(np.asarray(v))) for k, v in params.items() if k[0] in first))


def _flat(params, grad):
    return np.concatenate([np.ravel(grad(k, np.asarray(v, dtype=float))) for k, v in params.items()])


def _q5_expected(g):
    p, c = g["params5"], g["lam5"] / g["m5"]
    return {"q5a": c * _abs_sum(p, "W"), "q5b": _flat(p, lambda k, v: c * np.sign(v) * (k[0] == "W"))}


def _q5_mistakes(g):
    p, lam, c = g["params5"], g["lam5"], g["lam5"] / g["m5"]
    return {"q5a": {"forgot-1-over-m": lam * _abs_sum(p, "W"), "penalized-bias": c * _abs_sum(p, "Wb"),
                    "halved": c / 2 * _abs_sum(p, "W"), "squared-not-absolute": c * _sum_sq(p, "W")},
            "q5b": {"forgot-1-over-m": _flat(p, lambda k, v: lam * np.sign(v) * (k[0] == "W")),
                    "penalized-bias": _flat(p, lambda k, v: c * np.sign(v)),
                    "l2-gradient": _flat(p, lambda k, v: c * v * (k[0] == "W"))}}


_PARAMS5 = {"W1": np.array([[1.0, -2.0], [0.0, 3.0]]), "b1": np.array([4.0, -4.0]), "W2": np.array([[-1.5], [0.5]])}

SPECS = {
    "q1": Spec(draw=apart(_q1_draw, _q1_expected, _q1_mistakes), course={"n2": 15, "noise2": 0.3, "seed2": 2},
               expected=_q1_expected, mistakes=_q1_mistakes, tol=1e-4),
    "q2": Spec(draw=named_apart(apart(_q2_draw, _q2_expected, _q2_mistakes), _q2_expected,
                                   _q2_mistakes),
               course=dict(preds=np.array([[1.0, 2.0], [3.0, 4.0]]), f_values=np.array([0.0, 2.0])),
               expected=_q2_expected, mistakes=_q2_mistakes, tol=1e-9),
    "q3": Spec(draw=apart(_q3_draw, _q3_expected, _q3_mistakes),
               course=dict(y3=np.array([1.0, 2.0, 4.0]), y_hat3=np.array([1.0, 0.0, 1.0]), w3=np.array([3.0, 4.0]),
                            alpha3=0.1),
               expected=_q3_expected, mistakes=_q3_mistakes, tol=1e-9),
    "q4": Spec(draw=apart(_q4_draw, _q4_expected, _q4_mistakes),
               course=dict(params4={"W1": np.ones((2, 3)), "b1": np.full(3, 10.0),
                                     "W2": np.array([[2.0], [0.0], [0.0]]), "b2": np.array([5.0])}, alpha4=0.5),
               expected=_q4_expected, mistakes=_q4_mistakes, tol=1e-9),
    "q5": Spec(draw=named_apart(apart(_q5_draw, _q5_expected, _q5_mistakes), _q5_expected,
                                   _q5_mistakes), course=dict(params5=_PARAMS5, lam5=0.6, m5=12),
               expected=_q5_expected, mistakes=_q5_mistakes, tol=1e-9),
}
