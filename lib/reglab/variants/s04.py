"""Session 4's variants (bagging and the variance of an ensemble): see :mod:`reglab.variants`."""

from __future__ import annotations

import math

import numpy as np

from . import Spec, named_apart


def _ensemble(v, c, k):
    """(7.50): the expected squared error of the average of k members."""
    return v / k + (k - 1) * c / k


# q1: ensemble_error(v, c, k), checked at (v, 0, k) (the uncorrelated case, q1a) and at (v, c, k) (q1b)
Q1_VS = tuple(round(0.5 + i / 10, 1) for i in range(36))  # 0.5, 0.6, ..., 4.0
Q1_RHOS = tuple(round(0.05 * i, 2) for i in range(1, 19))  # c / v: 0.05, 0.10, ..., 0.90
Q1_KS = tuple(range(2, 13))


def _q1_draw(rng):
    v = float(rng.choice(Q1_VS))
    return {"v": v, "c": round(v * float(rng.choice(Q1_RHOS)), 3), "k": int(rng.choice(Q1_KS))}


def _q1_expected(g):
    v, c, k = g["v"], g["c"], g["k"]
    return {"q1a": _ensemble(v, 0.0, k), "q1b": _ensemble(v, c, k)}


def _q1_mistakes(g):
    v, c, k = g["v"], g["c"], g["k"]
    return {"q1a": {"not-squared": v},
            "q1b": {"no-correlation-term": v / k, "k-minus-1-c": v / k + (k - 1) * c, "not-squared": v + (k - 1) * c}}


# q2: the smallest k whose (7.50) is at most a target. The target is drawn so that (v - c) / (target - c), where the
# error reaches it exactly, is far from an integer (no rounding of the arithmetic can move the answer), and so that
# ignoring the correlation term (v/k) gives another size.
Q2_VS = tuple(round(0.5 + i / 10, 1) for i in range(36))  # 0.5, ..., 4.0
Q2_RHOS = tuple(round(0.05 * i, 2) for i in range(1, 11))  # c / v: 0.05, ..., 0.5


def _smallest(ok):
    return next(k for k in range(1, 10_000) if ok(k))


def _far_from_integer(x, margin=0.05):
    return margin <= x - math.floor(x) <= 1 - margin


def _q2_draw(rng):
    while True:
        v = float(rng.choice(Q2_VS))
        c = round(v * float(rng.choice(Q2_RHOS)), 2)
        target = float(f"{c + (v - c) / rng.uniform(3.0, 30.0):.4g}")
        if target > c and _far_from_integer((v - c) / (target - c)) and _far_from_integer(v / target, 1e-6):
            g = {"v": v, "c": c, "target": target}
            if _q2_mistakes(g)["q2"]["no-correlation-term"] != _q2_expected(g)["q2"]:  # else v/k would pass
                return g


def _q2_expected(g):
    return {"q2": _smallest(lambda k: _ensemble(g["v"], g["c"], k) <= g["target"])}


def _q2_mistakes(g):
    right = _q2_expected(g)["q2"]
    return {"q2": {"no-correlation-term": _smallest(lambda k: g["v"] / k <= g["target"]), "rounded-down": right - 1}}


# q3: missed_fraction(sample, n), checked on a sample with repeated indices
def _q3_draw(rng):
    while True:
        n = int(rng.integers(6, 21))
        sample = rng.integers(0, n, int(rng.integers(4, 13)))
        missed = 1 - np.unique(sample).size / n
        # (distinct + len == n would make counting duplicates give the covered fraction: two mistakes one value)
        distinct = np.unique(sample).size
        if distinct < sample.size and 0 < missed and missed != 0.5 and distinct + sample.size != n:
            return {"sample": sample, "n": n}


def _q3_expected(g):
    return {"q3": 1 - np.unique(g["sample"]).size / g["n"]}


def _q3_mistakes(g):
    missed = _q3_expected(g)["q3"]
    return {"q3": {"covered-fraction": 1 - missed, "counted-duplicates": 1 - len(g["sample"]) / g["n"]}}


# q4: bootstrap_sample(n, rng): the values 30 samples of size n draw (q4a), the fraction 20 samples of size n_large
# miss on average, to one decimal (q4b: (1 - 1/n)^n rounds to 0.4 for every n_large >= 1000, and the average of 20
# samples lies within 0.35-0.45 with overwhelming probability), generators seeded from seed
def _q4_draw(rng):
    return {"n": int(rng.integers(8, 41)), "n_large": int(rng.integers(1000, 3001)),
            "seed": int(rng.integers(0, 10_000))}


def _q4_expected(g):
    return {"q4a": np.arange(g["n"]), "q4b": round((1 - 1 / g["n_large"]) ** g["n_large"], 1)}


def _q4_mistakes(g):
    return {"q4a": {"last-index-missing": np.arange(g["n"] - 1), "one-based": np.arange(1, g["n"] + 1)},
            "q4b": {"without-replacement": 0.0}}


# q5: estimate_v_c(errors) on k members' errors at n points, with a shared part per point (c > 0) and an offset
def _q5_draw(rng):
    while True:
        k, n = int(rng.integers(3, 7)), int(rng.integers(3, 7))
        errors = np.round(rng.normal(size=(k, n)) + rng.normal(size=n) + rng.choice([-0.5, 0.5]), 1)
        if abs(_v_c(errors)[1]) >= 0.05:
            return {"errors": errors}


def _v_c(e):
    e = np.asarray(e, dtype=float)
    k, n = e.shape
    s = e.sum(axis=0)
    return float(np.mean(e ** 2)), float(np.sum(s ** 2 - np.sum(e ** 2, axis=0)) / (k * (k - 1) * n))


def _q5_expected(g):
    v, c = _v_c(g["errors"])
    return {"q5a": v, "q5b": c}


def _q5_mistakes(g):
    e = np.asarray(g["errors"], dtype=float)
    k = e.shape[0]
    c = _v_c(e)[1]
    return {"q5a": {"centered": float(np.var(e, axis=0).mean())},
            "q5b": {"included-self-pairs": float(np.mean(e.mean(axis=0) ** 2)),
                    "pairs-over-k-squared": c * (k - 1) / k}}


SPECS = {
    "q1": Spec(draw=_q1_draw, course={"v": 2.0, "c": 0.5, "k": 4}, expected=_q1_expected, mistakes=_q1_mistakes,
               tol=1e-9),
    "q2": Spec(draw=named_apart(_q2_draw, _q2_expected, _q2_mistakes),
               course={"v": 1.0, "c": 0.25, "target": 0.32}, expected=_q2_expected,
               mistakes=_q2_mistakes, tol=1e-9),
    "q3": Spec(draw=_q3_draw, course={"sample": np.array([0, 0, 2, 2, 5, 5]), "n": 8}, expected=_q3_expected,
               mistakes=_q3_mistakes, tol=1e-9),
    "q4": Spec(draw=_q4_draw, course={"n": 10, "n_large": 1000, "seed": 0}, expected=_q4_expected,
               mistakes=_q4_mistakes, tol=1e-9),
    "q5": Spec(draw=_q5_draw, course={"errors": np.array([[1.0, -2.0, 0.5], [2.0, 0.0, 1.5], [-1.0, -1.0, 1.0]])},
               expected=_q5_expected, mistakes=_q5_mistakes, tol=1e-9),
}
