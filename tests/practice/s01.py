"""Session 1: classic wrong answers, library delegation, and the values that must not show early."""

from . import broken, delegate, wrong

SESSION = "01_l2_weight_decay"

_SHRINK = ('eigvals, alpha = checks.givens("q2")\n'
           "def shrink(eigvals, alpha):\n    lam = np.asarray(eigvals, dtype=float)\n")
_WT = ('H, w_star, alpha = checks.givens("q3")\n'
       "def w_tilde(H, w_star, alpha):\n    lam, Q = np.linalg.eigh(np.asarray(H, dtype=float))\n")
_RIDGE = ('X5, y5, alpha5 = checks.givens("q5")\n'
          "def ridge_normal(X, y, alpha):\n    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)\n")
_PROJ = ('w_outside, w_inside, radius = checks.givens("q7")\n'
         "def project_ball(w, radius):\n    w = np.asarray(w, dtype=float)\n")

WRONG = {
    "q1": wrong("a_q1", 'eta, lam = checks.givens("q1")\ndecay = 1 - eta * lam', "forgot-factor-2"),
    "q2a": wrong("a_q2", _SHRINK + "    safe = np.where(lam + alpha > 0, lam + alpha, 1.0)\n"
                                   "    return np.where(lam > 0, lam / safe, 1.0)",
                 "one-at-zero-eigenvalue"),
    "q2b": wrong("a_q2", _SHRINK + "    out = np.zeros_like(lam)\n    pos = lam > 0\n"
                                   "    out[pos] = alpha / (lam[pos] + alpha)\n    return out", "alpha-over-sum"),
    "q3": wrong("a_q3", _WT + "    return Q.T @ (lam / (lam + alpha) * (Q @ np.asarray(w_star, dtype=float)))",
                "q-swapped"),
    "q4": wrong("a_q4", 'H, w_star, alpha = checks.givens("q4")\n'
                       "w_tilde_example = alpha / (np.diag(H) + alpha) * w_star", "alpha-over-sum"),
    "q5": [wrong("a_q5", _RIDGE + "    return np.linalg.solve(X.T @ X + alpha, X.T @ y)", "alpha-everywhere"),
           wrong("a_q5", _RIDGE + "    return np.linalg.solve(X.T @ X + alpha * np.eye(len(y)), X.T @ y)",
                 "identity-n-examples")],
    "q6": wrong("a_q6", 'alpha_sklearn, n = checks.givens("q6")\nweight_decay = alpha_sklearn',
                "sklearn-alpha-as-weight-decay"),
    "q7a": wrong("a_q7", _PROJ + "    return np.clip(w, -radius, radius)", "clipped-coordinates"),
    "q7b": wrong("a_q7", _PROJ + "    return w * (radius / np.linalg.norm(w))", "pulled-inside"),
}

DELEGATE = {
    "q2": delegate("a_q2", 'eigvals, alpha = checks.givens("q2")\n'
                           "def shrink(eigvals, alpha):\n    return l2.shrink_factors(eigvals, alpha)"),
    "q3": delegate("a_q3", 'H, w_star, alpha = checks.givens("q3")\n'
                           "def w_tilde(H, w_star, alpha):\n"
                           "    H = np.asarray(H, dtype=float)\n"
                           "    w_star = np.asarray(w_star, dtype=float)\n"
                           "    return np.linalg.solve(H + alpha * np.eye(len(H)), H @ w_star)"),
    "q5": delegate("a_q5", 'X5, y5, alpha5 = checks.givens("q5")\n'
                           "def ridge_normal(X, y, alpha):\n    return l2.ridge(X, y, alpha)"),
    "q7": delegate("a_q7", 'w_outside, w_inside, radius = checks.givens("q7")\n'
                           "def project_ball(w, radius):\n    return l2.project_l2_ball(w, radius)"),
}

VALUES = {"q1": 0.998, "q4": [10 / 11, 1 / 11], "q6": 2 * 3.0 / 600}
# q1 asks for the factor of the penalty lambda||w||^2: neither its formula nor the library's factor for that convention
# ("full") may be shown above it.
PATTERNS = {"q1": [r"1 - 2\\eta\\lambda", r"convention='full'", r"\"full\""],
            # q6 asks for the conversion from scikit-learn's alpha: its formula may not be shown above it
            "q6": [r"2\s*\\alpha\s*/\s*n", r"2\s*\*\s*alpha\w*\s*/\s*n"]}

# "by solving the linear system with np.linalg.solve": an explicit inverse, a pseudo-inverse or lstsq is refused.
_AUGMENTED = ("    d = X.shape[1]\n"
              "    A, b = np.vstack([X, np.sqrt(alpha) * np.eye(d)]), np.concatenate([y, np.zeros(d)])\n")
RULES = {"q5": [broken("a_q5", _RIDGE + "    return np.linalg.inv(X.T @ X + alpha * np.eye(X.shape[1])) @ X.T @ y"),
                broken("a_q5", _RIDGE + "    return np.linalg.pinv(X.T @ X + alpha * np.eye(X.shape[1])) @ (X.T @ y)"),
                broken("a_q5", _RIDGE + _AUGMENTED + "    return np.linalg.lstsq(A, b, rcond=None)[0]")],
         # a slip the visible checks cannot see (their points lie on the same side of r for ||w|| and ||w||^2)
         **{part: [broken("a_q7", _PROJ + "    n2 = w @ w\n    return w if n2 <= radius else w * radius / np.sqrt(n2)",
                          visible=False)] for part in ("q7a", "q7b")}}
