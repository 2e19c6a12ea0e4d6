"""Session 1's variants (L2 weight decay as eigen-rescaling): see :mod:`reglab.variants`."""

from __future__ import annotations

import numpy as np

from . import Spec, apart, named_apart

# q1: one SGD step on lambda ||w||^2 with a zero data gradient multiplies w by 1 - 2 eta lambda
ETAS = tuple(i / 100 for i in range(5, 51))  # 0.05, 0.06, ..., 0.5
LAMS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)


def _q1_draw(rng):
    return {"eta": float(rng.choice(ETAS)), "lam": float(rng.choice(LAMS))}


def _q1_expected(g):
    return {"q1": 1 - 2 * g["eta"] * g["lam"]}


def _q1_mistakes(g):
    return {"q1": {"forgot-factor-2": 1 - g["eta"] * g["lam"], "sign-flipped": 1 + 2 * g["eta"] * g["lam"]}}


def _arr(*values):
    return np.array(values, dtype=float)


# q2: shrink factors lambda_i / (lambda_i + alpha), 0 where lambda_i = 0
ALPHAS = (0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0)


def _q2_draw(rng):
    n = int(rng.integers(3, 6))
    eigvals = np.round(rng.uniform(0.1, 12.0, n), 1)
    eigvals[int(rng.integers(n))] = 0.0  # one direction without curvature: its factor is 0
    return {"eigvals": eigvals, "alpha": float(rng.choice(ALPHAS))}


def _shrink(lam, alpha):
    lam = np.asarray(lam, dtype=float)
    return np.where(lam > 0, lam / np.where(lam > 0, lam + alpha, 1.0), 0.0)


def _q2_expected(g):
    return {"q2a": _shrink(g["eigvals"], 0.0), "q2b": _shrink(g["eigvals"], g["alpha"])}


def _q2_mistakes(g):
    lam, alpha = np.asarray(g["eigvals"]), g["alpha"]
    return {"q2a": {"one-at-zero-eigenvalue": np.ones_like(lam)},
            "q2b": {"alpha-over-sum": np.where(lam > 0, alpha / (lam + alpha), 0.0)}}


# q3: w~ = Q diag(lambda_i / (lambda_i + alpha)) Q^T w* from H's eigendecomposition
def _q3_draw(rng):
    n = int(rng.integers(2, 5))
    A = rng.integers(-2, 3, size=(n, n)).astype(float)
    H = A @ A.T + float(rng.choice((0.5, 1.0, 2.0))) * np.eye(n)  # symmetric positive definite
    w_star = rng.integers(-4, 5, size=n).astype(float)
    if not w_star.any():
        w_star[0] = 1.0
    return {"H": H, "w_star": w_star, "alpha": float(rng.choice(ALPHAS))}


def _q3_parts(g):
    lam, Q = np.linalg.eigh(np.asarray(g["H"], dtype=float))
    return lam, Q, np.asarray(g["w_star"], dtype=float), g["alpha"]


def _q3_expected(g):
    lam, Q, w, alpha = _q3_parts(g)
    return {"q3": Q @ (_shrink(lam, alpha) * (Q.T @ w))}


def _q3_mistakes(g):
    lam, Q, w, alpha = _q3_parts(g)
    return {"q3": {"q-swapped": Q.T @ (_shrink(lam, alpha) * (Q @ w)),
                   "alpha-over-sum": Q @ (alpha / (lam + alpha) * (Q.T @ w))}}


# q4: w~ for a diagonal H with one steep and one flat direction (in either order)
STEEP = (4.0, 5.0, 8.0, 10.0, 12.0, 20.0, 25.0, 40.0)
FLAT = (0.02, 0.05, 0.1, 0.2, 0.25, 0.4)
W_STAR = (-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0, 3.0)
Q4_ALPHAS = (0.5, 1.0, 2.0, 3.0)


def _q4_draw(rng):
    diag = [float(rng.choice(STEEP)), float(rng.choice(FLAT))]
    if rng.random() < 0.5:
        diag.reverse()
    return {"H": np.diag(diag), "w_star": rng.choice(W_STAR, size=2), "alpha": float(rng.choice(Q4_ALPHAS))}


def _q4_expected(g):
    lam = np.diag(g["H"])
    return {"q4": lam / (lam + g["alpha"]) * g["w_star"]}


def _q4_mistakes(g):
    lam = np.diag(g["H"])
    return {"q4": {"alpha-over-sum": g["alpha"] / (lam + g["alpha"]) * g["w_star"]}}


# q5: ridge by the normal equations, (X^T X + alpha I) w = X^T y
def _q5_draw(rng):
    n, d = int(rng.integers(3, 7)), int(rng.integers(2, 4))
    while True:  # full column rank: plain least squares (the "no-penalty" mistake) has one answer
        X = rng.integers(-3, 4, size=(n, d)).astype(float)
        if n > d and np.linalg.matrix_rank(X) == d:
            break
        n = max(n, d + 1)
    y = rng.integers(-5, 6, size=n).astype(float)
    return {"X5": X, "y5": y, "alpha5": float(rng.choice(ALPHAS))}


def _q5_expected(g):
    X, y = g["X5"], g["y5"]
    return {"q5": np.linalg.solve(X.T @ X + g["alpha5"] * np.eye(X.shape[1]), X.T @ y)}


def _q5_mistakes(g):
    X, y = g["X5"], g["y5"]
    return {"q5": {"alpha-everywhere": np.linalg.solve(X.T @ X + g["alpha5"], X.T @ y),
                   "no-penalty": np.linalg.lstsq(X, y, rcond=None)[0]}}


# q6: scikit-learn's Ridge(alpha) on n examples is weight decay 2 alpha / n on the mean squared error
SK_ALPHAS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.8, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 8.0, 10.0, 15.0, 20.0, 25.0, 30.0, 50.0, 100.0)
NS = (100, 120, 150, 180, 200, 240, 250, 300, 320, 360, 400, 450, 480, 500, 600, 640, 750, 800, 900, 1000, 1200, 1500,
      2000, 2500, 3000, 4000, 5000)


def _q6_draw(rng):
    return {"alpha_sklearn": float(rng.choice(SK_ALPHAS)), "n": int(rng.choice(NS))}


def _q6_expected(g):
    return {"q6": 2 * g["alpha_sklearn"] / g["n"]}


def _q6_mistakes(g):
    a, n = g["alpha_sklearn"], g["n"]
    return {"q6": {"sklearn-alpha-as-weight-decay": a, "forgot-n": 2 * a, "forgot-factor-2": a / n}}


# q7: projection onto the ball ||v|| <= radius: w_out lies outside it, w_in inside
RADII = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0)


def _q7_draw(rng):
    radius = float(rng.choice(RADII))
    d = int(rng.integers(2, 5))
    while True:  # outside by a margin, with two or more non-zero coordinates (clipping then turns the vector)
        w_out = rng.integers(-6, 7, size=d) * (radius / 2)
        if np.count_nonzero(w_out) >= 2 and np.linalg.norm(w_out) >= 1.2 * radius:
            break
    while True:  # inside by a margin, not the origin
        w_in = rng.integers(-4, 5, size=d) * (radius / 10)
        if w_in.any() and np.linalg.norm(w_in) <= 0.8 * radius:
            break
    return {"w_outside": w_out.astype(float), "w_inside": w_in.astype(float), "radius": radius}


def _q7_expected(g):
    w, r = g["w_outside"], g["radius"]
    return {"q7a": w * (r / np.linalg.norm(w)), "q7b": np.array(g["w_inside"], dtype=float)}


def _q7_mistakes(g):
    r = g["radius"]
    return {"q7a": {"clipped-coordinates": np.clip(g["w_outside"], -r, r)},
            "q7b": {"pulled-inside": g["w_inside"] * (r / np.linalg.norm(g["w_inside"]))}}


SPECS = {
    "q1": Spec(draw=_q1_draw, course={"eta": 0.1, "lam": 0.01}, expected=_q1_expected, mistakes=_q1_mistakes,
               tol=1e-9),
    "q2": Spec(draw=apart(_q2_draw, _q2_expected, _q2_mistakes), course=dict(eigvals=_arr(0.0, 1.0, 3.0), alpha=1.0),
               expected=_q2_expected, mistakes=_q2_mistakes, tol=1e-9),
    "q3": Spec(draw=apart(_q3_draw, _q3_expected, _q3_mistakes),
               course=dict(H=np.array([[4.0, 1.0, 0.5], [1.0, 2.0, 0.0], [0.5, 0.0, 1.0]]), w_star=_arr(2.0, 1.0, 1.0),
                            alpha=1.0),
               expected=_q3_expected, mistakes=_q3_mistakes, tol=1e-6),
    "q4": Spec(draw=apart(_q4_draw, _q4_expected, _q4_mistakes),
               course=dict(H=np.diag([10.0, 0.1]), w_star=_arr(1.0, 1.0), alpha=1.0),
               expected=_q4_expected, mistakes=_q4_mistakes, tol=1e-6),
    "q5": Spec(draw=named_apart(apart(_q5_draw, _q5_expected, _q5_mistakes), _q5_expected,
                                   _q5_mistakes),
               course=dict(X5=np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), y5=_arr(1.0, 2.0, 3.0), alpha5=1.0),
               expected=_q5_expected, mistakes=_q5_mistakes, tol=1e-9),
    "q6": Spec(draw=apart(_q6_draw, _q6_expected, _q6_mistakes), course={"alpha_sklearn": 3.0, "n": 600},
               expected=_q6_expected, mistakes=_q6_mistakes, tol=1e-9),
    "q7": Spec(draw=apart(_q7_draw, _q7_expected, _q7_mistakes),
               course=dict(w_outside=_arr(3.0, 4.0), w_inside=_arr(0.3, -0.4), radius=2.0),
               expected=_q7_expected, mistakes=_q7_mistakes, tol=1e-9),
}
