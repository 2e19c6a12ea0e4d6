"""Session 3's variants (early stopping and its equivalence to L2): see :mod:`reglab.variants`."""

from __future__ import annotations

import numpy as np

from . import Spec, mistakes_apart

# q1: early_stop(val_losses, patience) -> (best, stop)


def _early_stop(losses, patience, ties_improve=False, late=False):
    """(best, stop) of the patience loop; ``ties_improve``: an equal loss counts as an improvement; ``late``: stop
    one evaluation after ``patience`` of them without improvement (the two named mistakes)."""
    best, best_loss, bad = 0, np.inf, 0
    for k, loss in enumerate(losses):
        if loss < best_loss or (ties_improve and loss == best_loss):
            best, best_loss, bad = k, loss, 0
        else:
            bad += 1
            if bad > patience if late else bad >= patience:
                return best, k
    return best, len(losses) - 1


def _q1_expected(g):
    best, stop = _early_stop(g["val_losses"], g["patience"])
    return {"q1a": float(best), "q1b": float(stop),
            "q1c": np.array(_early_stop(g["tie_losses"], g["tie_patience"]), dtype=float)}


def _q1_mistakes(g):
    losses, patience = g["val_losses"], g["patience"]
    return {"q1a": {"returned-last": float(_early_stop(losses, patience)[1])},
            "q1b": {"patience-off-by-one": float(_early_stop(losses, patience, late=True)[1])},
            "q1c": {"ties-improve": np.array(_early_stop(g["tie_losses"], g["tie_patience"], ties_improve=True),
                                             dtype=float)}}


def _falling(rng, start, n):
    """``n`` strictly falling losses below ``start``, in hundredths."""
    return list(start - np.cumsum(rng.integers(10, 60, n)) / 100)


def _q1_draw(rng):
    while True:
        patience = int(rng.integers(2, 6))
        losses = _falling(rng, rng.integers(400, 700) / 100, int(rng.integers(2, 5)))
        best = min(losses)
        # a false alarm: fewer than `patience` evaluations without improvement, then a new best
        losses += list(best + rng.integers(5, 40, int(rng.integers(1, patience))) / 100)
        losses += _falling(rng, best, int(rng.integers(1, 3)))
        best = min(losses)
        # overfitting: more than `patience` evaluations above the best, and sometimes a late dip below it
        losses += list(best + np.cumsum(rng.integers(3, 25, patience + int(rng.integers(1, 4)))) / 100)
        if rng.random() < 0.5:
            losses.append(best - rng.integers(10, 80) / 100)
        losses = [round(float(v), 2) for v in losses]
        tie_patience = int(rng.integers(2, 5))
        ties = _falling(rng, rng.integers(200, 500) / 100, int(rng.integers(1, 4)))
        ties += [ties[-1]] * tie_patience + [ties[-1] - rng.integers(10, 50) / 100]
        ties += list(ties[-1] + rng.integers(5, 30, int(rng.integers(0, 3))) / 100)
        ties = [round(float(v), 2) for v in ties]
        g = {"val_losses": losses, "patience": patience, "tie_losses": ties, "tie_patience": tie_patience}
        if len(set(losses)) == len(losses) and min(losses + ties) > 0 \
                and mistakes_apart(_q1_expected, _q1_mistakes, g, tol=1e-4):
            return g


# q2: gd(H, w_star, eps, tau): tau gradient steps from w = 0 (q2a), and tau = 0 (q2b)
DIAG = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
OFF = tuple(round(-0.8 + 0.1 * i, 1) for i in range(17))
EPS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4)


def _quadratic(rng, max_eps_lam=0.9):
    """A 2 x 2 Hessian, a w*, and a step size with eps * lambda_max <= ``max_eps_lam``."""
    while True:
        a, c = rng.choice(DIAG, 2)
        b = float(rng.choice(OFF))
        H = np.array([[a, b], [b, c]])
        lam = np.linalg.eigvalsh(H)
        eps = float(rng.choice(EPS))
        if lam[0] > 0.2 and eps * lam[-1] <= max_eps_lam:
            w = np.round(rng.uniform(0.5, 2.0, 2) * rng.choice([-1.0, 1.0], 2), 1)
            return H, w, eps


def _iterate(H, w_star, eps, tau):
    w = np.zeros_like(w_star)
    for _ in range(int(tau)):
        w = w - eps * H @ (w - w_star)
    return w


def _closed(H, w_star, eps, tau):
    lam, Q = np.linalg.eigh(H)
    return Q @ ((1 - (1 - eps * lam) ** tau) * (Q.T @ w_star))


def _q2_expected(g):
    return {"q2a": _iterate(g["H"], g["w_star"], g["eps"], g["tau"]), "q2b": np.zeros(len(g["w_star"]))}


def _q2_mistakes(g):
    H, w, eps, tau = g["H"], g["w_star"], g["eps"], g["tau"]
    return {"q2a": {"tau-plus-one": _iterate(H, w, eps, tau + 1), "started-at-w-star": w.copy()},
            "q2b": {"started-at-w-star": w.copy()}}


def _q2_draw(rng):
    while True:
        H, w, eps = _quadratic(rng)
        g = {"H": H, "w_star": w, "eps": eps, "tau": int(rng.integers(2, 11))}
        if mistakes_apart(_q2_expected, _q2_mistakes, g, tol=1e-9):
            return g


# q3: gd_closed(H, w_star, eps, tau) by (7.40), at a whole tau (q3a) and between whole steps (q3b)
FRACTIONS = (0.25, 0.5, 0.75)


def _q3_expected(g):
    H, w, eps = g["H"], g["w_star"], g["eps"]
    return {"q3a": _closed(H, w, eps, g["tau"]), "q3b": _closed(H, w, eps, g["tau_frac"])}


def _q3_mistakes(g):
    H, w, eps, tau, frac = g["H"], g["w_star"], g["eps"], g["tau"], g["tau_frac"]
    return {"q3a": {"tau-plus-one": _closed(H, w, eps, tau + 1), "tau-minus-one": _closed(H, w, eps, tau - 1)},
            "q3b": {"loop-rounds-tau": _iterate(H, w, eps, int(frac)), "tau-plus-one": _closed(H, w, eps, frac + 1)}}


def _q3_draw(rng):
    while True:
        H, w, eps = _quadratic(rng)
        g = {"H": H, "w_star": w, "eps": eps, "tau": int(rng.integers(2, 13)),
             "tau_frac": float(rng.integers(1, 11) + rng.choice(FRACTIONS))}
        if mistakes_apart(_q3_expected, _q3_mistakes, g, tol=1e-9):
            return g


# q4: the single alpha ~ 1/(eps tau) of (7.45)
Q4_EPS = (0.001, 0.002, 0.003, 0.005, 0.008, 0.01, 0.02, 0.025, 0.03, 0.04, 0.05, 0.1)
Q4_TAUS = (20, 40, 50, 80, 100, 120, 150, 200, 250, 300, 400, 500, 600, 800, 1000, 1200, 1500, 2000, 2500, 3000)


def _q4_expected(g):
    return {"q4": 1 / (g["eps"] * g["tau"])}


def _q4_mistakes(g):
    return {"q4": {"eps-times-tau": g["eps"] * g["tau"]}}


def _q4_draw(rng):
    while True:
        g = {"eps": float(rng.choice(Q4_EPS)), "tau": int(rng.choice(Q4_TAUS))}
        if not 0.5 <= g["eps"] * g["tau"] <= 2.0:  # 1/(eps tau) and eps tau far apart
            return g


# q5: exact_alpha(eigvals, eps, tau): alpha_i = lambda_i r_i / (1 - r_i) (q5a), and the limit 1/(eps tau) at
# lambda_i = 0 (q5b, checked on the eigenvalues with a 0 in front)
Q5_LAMS = tuple(round(0.05 * i, 2) for i in range(1, 31))  # 0.05, ..., 1.5
Q5_EPS = (0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5)


def _alpha(lam, eps, tau):
    r = (1 - eps * lam) ** tau
    return lam * r / (1 - r)


def _q5_expected(g):
    return {"q5a": _alpha(g["eigvals"], g["eps"], g["tau"]), "q5b": 1 / (g["eps"] * g["tau"])}


def _q5_mistakes(g):
    lam, eps, tau = g["eigvals"], g["eps"], g["tau"]
    return {"q5a": {"approximation": np.full(lam.shape, 1 / (eps * tau)), "tau-plus-one": _alpha(lam, eps, tau + 1)},
            "q5b": {"zero-alpha": 0.0}}


def _q5_draw(rng):
    while True:
        lam = np.sort(rng.choice(Q5_LAMS, 3, replace=False))[::-1].copy()
        g = {"eigvals": lam, "eps": float(rng.choice(Q5_EPS)), "tau": int(rng.integers(2, 31))}
        if g["eps"] * lam[0] <= 0.8 and np.min(_alpha(lam, g["eps"], g["tau"])) >= 1e-3 \
                and mistakes_apart(_q5_expected, _q5_mistakes, g, tol=1e-9):
            return g


_H = np.array([[2.0, 0.5], [0.5, 1.0]])

SPECS = {
    "q1": Spec(draw=_q1_draw, course={"val_losses": [5.0, 4.0, 3.0, 3.5, 2.5, 2.6, 2.7, 2.8, 1.0], "patience": 3,
                                      "tie_losses": [1.0, 1.0, 1.0, 0.5], "tie_patience": 2},
               expected=_q1_expected, mistakes=_q1_mistakes, tol=1e-4),
    "q2": Spec(draw=_q2_draw, course={"H": _H, "w_star": np.array([1.0, -1.0]), "eps": 0.3, "tau": 3},
               expected=_q2_expected, mistakes=_q2_mistakes, tol=1e-9),
    "q3": Spec(draw=_q3_draw, course={"H": _H, "w_star": np.array([1.0, -1.0]), "eps": 0.2, "tau": 5, "tau_frac": 2.5},
               expected=_q3_expected, mistakes=_q3_mistakes, tol=1e-9),
    "q4": Spec(draw=_q4_draw, course={"eps": 0.01, "tau": 500}, expected=_q4_expected, mistakes=_q4_mistakes,
               tol=1e-9),
    "q5": Spec(draw=_q5_draw, course={"eigvals": np.array([1.0, 0.5]), "eps": 0.5, "tau": 2},
               expected=_q5_expected, mistakes=_q5_mistakes, tol=1e-9),
}
