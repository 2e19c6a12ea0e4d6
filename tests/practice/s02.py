"""Session 2: classic wrong answers, library delegation, and the values that must not show early."""

from . import delegate, wrong

SESSION = "02_l1_lasso"

_G1 = 'x_in, x_out, t = checks.givens("q1")\n'
_ST = _G1 + "def soft_threshold(x, t):\n    x = np.asarray(x, dtype=float)\n"
_G2 = 'w_star, h_diag, alpha = checks.givens("q2")\n'
_LC = _G2 + "def lasso_closed_form(w_star, h_diag, alpha):\n    h = np.asarray(h_diag, dtype=float)\n"

WRONG = {
    "q1a": wrong("a_q1", _ST + "    return np.sign(x) * (np.abs(x) - t)", "no-max"),
    "q1b": wrong("a_q1", _ST + "    return np.maximum(np.abs(x) - t, 0.0)", "no-sign"),
    # self-contained (the q1 answer cell may not have run): the threshold alpha for every coordinate
    "q2": wrong("a_q2", _LC + "    w = np.asarray(w_star, dtype=float)\n"
                              "    return np.sign(w) * np.maximum(np.abs(w) - alpha, 0.0)", "threshold-alpha"),
    "q3": wrong("a_q3", 'w_star3, h3 = checks.givens("q3")\nalpha_all_zero = float(np.max(np.abs(w_star3)))',
                "forgot-h"),
    "q4": wrong("a_q4", 'w4, s4, alpha4 = checks.givens("q4")\nn_zeros = int(np.sum(np.abs(w4) > alpha4 / s4))',
                "counted-nonzeros"),
}

DELEGATE = {
    "q1": delegate("a_q1", _G1 + "def soft_threshold(x, t):\n    return l1.soft_threshold(x, t)"),
    "q2": delegate("a_q2", _G2 + "def lasso_closed_form(w_star, h_diag, alpha):\n"
                           "    return l1.lasso_diagonal(w_star, h_diag, alpha)"),
}

VALUES = {"q3": 4.5, "q4": 16}  # the course's own instances (tests/test_variants.py covers the variants)
# 4.5 has two significant digits and 16 is a small integer: searched as exact numbers, and no line may
# report the zeros at the asked alpha
PATTERNS = {"q3": [r"(?<![\d.])4\.5(?![\d])"], "q4": [r"alpha=3(\.0)?:"]}
