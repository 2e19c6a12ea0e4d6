"""Session 3: classic wrong answers, library delegation, and the values that must not show early."""

from . import delegate, wrong

SESSION = "03_early_stopping"


_G1 = 'val_losses, patience, tie_losses, tie_patience = checks.givens("q1")\n'


def _early_stop(body):
    return (_G1 + "def early_stop(val_losses, patience):\n    best, best_loss, bad = 0, np.inf, 0\n"
            "    for k, loss in enumerate(val_losses):\n" + body)


_G2 = 'H, w_star, eps, tau = checks.givens("q2")\n'
_GD = _G2 + ("def gd(H, w_star, eps, tau):\n"
             "    H, w_star = np.asarray(H, dtype=float), np.asarray(w_star, dtype=float)\n")
_G3 = 'H, w_star, eps, tau, tau_frac = checks.givens("q3")\n'
_GDC = _G3 + "def gd_closed(H, w_star, eps, tau):\n    lam, Q = np.linalg.eigh(np.asarray(H, dtype=float))\n"
_G5 = 'eigvals, eps, tau = checks.givens("q5")\n'
_EA = _G5 + "def exact_alpha(eigvals, eps, tau):\n    lam = np.asarray(eigvals, dtype=float)\n"

WRONG = {
    "q1a": wrong("a_q1", _early_stop("        if loss < best_loss:\n            best, best_loss, bad = k, loss, 0\n"
                                     "        else:\n            bad += 1\n"
                                     "            if bad >= patience:\n                return k, k\n"
                                     "    return len(val_losses) - 1, len(val_losses) - 1"), "returned-last"),
    "q1b": wrong("a_q1", _early_stop("        if loss < best_loss:\n            best, best_loss, bad = k, loss, 0\n"
                                     "        else:\n            bad += 1\n"
                                     "            if bad > patience:\n                return best, k\n"
                                     "    return best, len(val_losses) - 1"), "patience-off-by-one"),
    "q1c": wrong("a_q1", _early_stop("        if loss <= best_loss:\n            best, best_loss, bad = k, loss, 0\n"
                                     "        else:\n            bad += 1\n"
                                     "            if bad >= patience:\n                return best, k\n"
                                     "    return best, len(val_losses) - 1"), "ties-improve"),
    "q2a": wrong("a_q2", _GD + "    w = np.zeros_like(w_star)\n    for _ in range(int(tau) + 1):\n"
                               "        w = w - eps * H @ (w - w_star)\n    return w", "tau-plus-one"),
    "q2b": wrong("a_q2", _GD + "    w = w_star.copy()\n    for _ in range(int(tau)):\n"
                               "        w = w - eps * H @ (w - w_star)\n    return w", "started-at-w-star"),
    "q3a": wrong("a_q3", _GDC + "    w_star = np.asarray(w_star, dtype=float)\n"
                                "    return Q @ ((1 - (1 - eps * lam) ** (tau + 1)) * (Q.T @ w_star))",
                 "tau-plus-one"),
    # the loop of q2 written out (q2's answer cell may not have run), over int(tau) whole steps
    "q3b": wrong("a_q3", _G3 + "def gd_closed(H, w_star, eps, tau):\n"
                               "    H, w_star = np.asarray(H, dtype=float), np.asarray(w_star, dtype=float)\n"
                               "    w = np.zeros_like(w_star)\n    for _ in range(int(tau)):\n"
                               "        w = w - eps * H @ (w - w_star)\n    return w", "loop-rounds-tau"),
    "q4": wrong("a_q4", 'eps, tau = checks.givens("q4")\nalpha_approx = eps * tau', "eps-times-tau"),
    "q5a": wrong("a_q5", _EA + "    return np.where(lam > 0, 1 / (eps * tau), np.inf)", "approximation"),
    # the old convention, argued as "an infinitely strong penalty": any alpha matches at lambda_i = 0, the question asks
    # for the limit lambda_i -> 0+
    "q5b": wrong("a_q5", _EA + "    r = (1 - eps * lam) ** tau\n    out = np.full(lam.shape, np.inf)\n"
                               "    pos = lam > 0\n    out[pos] = lam[pos] * r[pos] / (1 - r[pos])\n    return out"),
}

DELEGATE = {
    "q1": delegate("a_q1", _G1 + "def early_stop(val_losses, patience):\n"
                           "    es = early_stopping.EarlyStopping(patience=patience)\n"
                           "    for k, loss in enumerate(val_losses):\n"
                           "        if es.update(k, loss, None):\n            return es.best_step, k\n"
                           "    return es.best_step, len(val_losses) - 1"),
    "q2": delegate("a_q2", _G2 + "def gd(H, w_star, eps, tau):\n"
                           "    return early_stopping.gd_iterates(H, w_star, eps, int(tau))[-1]"),
    "q3": delegate("a_q3", _G3 + "def gd_closed(H, w_star, eps, tau):\n"
                           "    return early_stopping.gd_closed_form(H, w_star, eps, tau)"),
    "q5": delegate("a_q5", _G5 + "def exact_alpha(eigvals, eps, tau):\n"
                           "    return early_stopping.equivalent_alpha(eigvals, eps, tau)"),
}

VALUES = {"q4": 0.2}  # the course's own instance (tests/test_variants.py covers the variants)
# 0.2 has one significant digit: searched as the exact number next to the words that would give it away
PATTERNS = {"q4": [r"alpha\D{0,20}0\.20*(?!\d)"]}
