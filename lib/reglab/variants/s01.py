"""Session 1's variants (L2 weight decay as eigen-rescaling): see :mod:`reglab.variants`."""

from __future__ import annotations

from . import Spec

# q1: one SGD step on lambda ||w||^2 with a zero data gradient multiplies w by 1 - 2 eta lambda
ETAS = tuple(i / 100 for i in range(5, 51))  # 0.05, 0.06, ..., 0.5
LAMS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)


def _q1_draw(rng):
    return {"eta": float(rng.choice(ETAS)), "lam": float(rng.choice(LAMS))}


def _q1_expected(g):
    return {"q1": 1 - 2 * g["eta"] * g["lam"]}


def _q1_mistakes(g):
    return {"q1": {"forgot-factor-2": 1 - g["eta"] * g["lam"], "sign-flipped": 1 + 2 * g["eta"] * g["lam"]}}


SPECS = {
    "q1": Spec(draw=_q1_draw, course={"eta": 0.1, "lam": 0.01}, expected=_q1_expected, mistakes=_q1_mistakes,
               tol=1e-9),
}
