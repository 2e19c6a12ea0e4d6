"""Session 2's variants (L1 regularization and the LASSO closed form): see :mod:`reglab.variants`."""

from __future__ import annotations

import numpy as np

from .._kernels import soft_threshold
from . import Spec, mistakes_apart, named_apart


def _signed(rng, magnitudes):
    return np.round(np.asarray(magnitudes, dtype=float) * rng.choice([-1.0, 1.0], len(magnitudes)), 2)


# q1: soft_threshold(x, t), checked on values inside the dead zone |x| <= t (q1a) and outside it (q1b)
Q1_TS = tuple(round(0.4 + 0.1 * i, 1) for i in range(17))  # 0.4, 0.5, ..., 2.0


def _q1_expected(g):
    return {"q1a": soft_threshold(g["x_in"], g["t"]), "q1b": soft_threshold(g["x_out"], g["t"])}


def _q1_mistakes(g):
    x_in, x_out, t = g["x_in"], g["x_out"], g["t"]
    return {"q1a": {"no-max": np.sign(x_in) * (np.abs(x_in) - t)},
            "q1b": {"no-sign": np.maximum(np.abs(x_out) - t, 0.0)}}


def _q1_draw(rng):
    t = float(rng.choice(Q1_TS))
    while True:
        # inside: |x| <= 0.9 t, never 0 alone (a 0 maps to 0 either way); outside: |x| >= t + 0.2, both signs
        x_in = _signed(rng, rng.uniform(0.1, 0.9, 4) * t)
        x_out = np.round(np.array([-1.0, 1.0, *rng.choice([-1.0, 1.0], 1)]) * (t + rng.uniform(0.2, 3.0, 3)), 2)
        x_out = x_out[rng.permutation(3)]
        g = {"x_in": x_in, "x_out": x_out, "t": t}
        if np.all(np.abs(x_in) < t) and np.all(np.abs(x_out) > t) \
                and mistakes_apart(_q1_expected, _q1_mistakes, g, tol=1e-9):
            return g


# q2: lasso_closed_form(w_star, h_diag, alpha): soft-thresholding at alpha / H_ii
Q2_ALPHAS = (0.4, 0.5, 0.6, 0.8, 1.0, 1.2, 1.5, 2.0)
Q2_HS = (0.25, 0.5, 2.0, 2.5, 4.0, 5.0)


def _q2_expected(g):
    return {"q2": soft_threshold(g["w_star"], g["alpha"] / g["h_diag"])}


def _q2_mistakes(g):
    w, h, a = g["w_star"], g["h_diag"], g["alpha"]
    return {"q2": {"threshold-alpha": soft_threshold(w, a), "threshold-alpha-times-h": soft_threshold(w, a * h)}}


def _q2_draw(rng):
    while True:
        alpha = float(rng.choice(Q2_ALPHAS))
        h = rng.choice(Q2_HS, 4).astype(float)
        w = _signed(rng, rng.uniform(0.2, 3.0, 4))
        g = {"w_star": w, "h_diag": h, "alpha": alpha}
        kept = _q2_expected(g)["q2"] != 0
        # some coordinates kept and some set to 0, none on the edge of the dead zone
        if kept.any() and not kept.all() and np.all(np.abs(np.abs(w) - alpha / h) > 0.05) \
                and mistakes_apart(_q2_expected, _q2_mistakes, g, tol=1e-9):
            return g


# q3: the smallest alpha that zeroes every coordinate: max_i H_ii |w*_i|
Q3_HS = (0.25, 0.5, 2.0, 3.0, 4.0, 5.0)


def _q3_expected(g):
    return {"q3": float(np.max(g["h3"] * np.abs(g["w_star3"])))}


def _q3_mistakes(g):
    w, h = np.abs(g["w_star3"]), g["h3"]
    return {"q3": {"forgot-h": float(np.max(w)), "divided-by-h": float(np.max(w / h)),
                   "min-not-max": float(np.min(h * w))}}


def _q3_draw(rng):
    while True:
        g = {"w_star3": _signed(rng, rng.integers(2, 31, 3) / 10), "h3": rng.choice(Q3_HS, 3).astype(float)}
        if mistakes_apart(_q3_expected, _q3_mistakes, g, tol=1e-9):
            return g


# q4: how many of the least-squares weights w4 (an orthogonal design, X^T X = s4 I) (7.23) sets to 0 at alpha4
Q4_SCALES = (2.0, 4.0, 5.0, 8.0, 10.0)
Q4_THRESHOLDS = tuple(round(0.1 + 0.05 * i, 2) for i in range(17))  # alpha / s: 0.1, 0.15, ..., 0.9
Q4_COURSE_W = (2.897, -1.862, 1.51, 1.026, -0.734, 0.117, -0.107, -0.213, -0.158, -0.034,
               0.043, -0.019, -0.067, 0.016, 0.25, -0.089, 0.179, -0.114, 0.277, -0.12)  # section 3's w_star


def _q4_expected(g):
    return {"q4": float(np.sum(np.abs(g["w4"]) <= g["alpha4"] / g["s4"]))}


def _q4_mistakes(g):
    zeros = _q4_expected(g)["q4"]
    return {"q4": {"counted-nonzeros": float(len(g["w4"])) - zeros,
                   "threshold-alpha": float(np.sum(np.abs(g["w4"]) <= g["alpha4"]))}}


def _q4_draw(rng):
    d = 20
    while True:
        s = float(rng.choice(Q4_SCALES))
        alpha = round(s * float(rng.choice(Q4_THRESHOLDS)), 3)
        w = rng.normal(0.0, 0.15, d)
        w[:5] += _signed(rng, rng.uniform(0.8, 3.0, 5))
        w = np.round(w, 3)
        g = {"w4": w, "s4": s, "alpha4": alpha}
        zeros = _q4_expected(g)["q4"]
        if 0 < zeros < d and np.all(np.abs(np.abs(w) - alpha / s) > 0.005) \
                and mistakes_apart(_q4_expected, _q4_mistakes, g, tol=1e-4):
            return g


SPECS = {
    "q1": Spec(draw=_q1_draw, course={"x_in": np.array([-0.5, 0.0, 0.3, 1.0]), "x_out": np.array([-3.0, 2.5]),
                                      "t": 1.0},
               expected=_q1_expected, mistakes=_q1_mistakes, tol=1e-9),
    "q2": Spec(draw=_q2_draw, course={"w_star": np.array([1.0, 1.0]), "h_diag": np.array([4.0, 0.5]), "alpha": 1.0},
               expected=_q2_expected, mistakes=_q2_mistakes, tol=1e-9),
    "q3": Spec(draw=named_apart(_q3_draw, _q3_expected, _q3_mistakes),
               course={"w_star3": np.array([0.6, -2.0, 1.5]), "h3": np.array([4.0, 0.5, 3.0])},
               expected=_q3_expected, mistakes=_q3_mistakes, tol=1e-9),
    "q4": Spec(draw=_q4_draw, course={"w4": np.array(Q4_COURSE_W), "s4": 4.0, "alpha4": 3.0},
               expected=_q4_expected, mistakes=_q4_mistakes, tol=1e-4),
}
