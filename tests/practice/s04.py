"""Session 4: classic wrong answers, library delegation, and the values that must not show early."""

from . import delegate, wrong

SESSION = "04_bagging"

_Q1 = 'v, c, k = checks.givens("q1")  # your variant\n'
_Q3 = 'sample, n = checks.givens("q3")  # your variant\n'
_Q4 = 'n, n_large, seed = checks.givens("q4")  # your variant\n'
_Q5 = 'errors = checks.givens("q5")[0]  # your variant\n'
_VC = _Q5 + "def estimate_v_c(errors):\n    e = np.asarray(errors, dtype=float)\n    k, n = e.shape\n"
_PAIRS = "    s = e.sum(axis=0)\n    c = np.sum(s ** 2 - np.sum(e ** 2, axis=0)) / (k * (k - 1) * n)\n"

WRONG = {
    "q1a": wrong("a_q1", _Q1 + "def ensemble_error(v, c, k):\n    return v + (k - 1) * c", "not-squared"),
    "q1b": wrong("a_q1", _Q1 + "def ensemble_error(v, c, k):\n    return v / k", "no-correlation-term"),
    "q2": wrong("a_q2", 'v, c, target = checks.givens("q2")  # your variant\n'
                        "k_needed = next(k for k in range(1, 10_000) if v / k <= target)", "no-correlation-term"),
    "q3": wrong("a_q3", _Q3 + "def missed_fraction(sample, n):\n    return len(np.unique(sample)) / n",
                "covered-fraction"),
    "q4a": wrong("a_q4", _Q4 + "def bootstrap_sample(n, rng):\n    return rng.integers(0, n - 1, size=n)",
                 "last-index-missing"),
    "q4b": wrong("a_q4", _Q4 + "def bootstrap_sample(n, rng):\n    return rng.permutation(n)", "without-replacement"),
    "q4c": wrong("a_q4", _Q4 + "def bootstrap_sample(n, rng):\n    return np.random.randint(0, n, size=n)"),
    "q5a": wrong("a_q5", _VC + _PAIRS + "    return np.mean(e.var(axis=0)), c", "centered"),
    "q5b": wrong("a_q5", _VC + "    return np.mean(e ** 2), np.mean(e.mean(axis=0) ** 2)", "included-self-pairs"),
}

DELEGATE = {
    "q1": delegate("a_q1", _Q1 + "def ensemble_error(v, c, k):\n    return ensembles.ensemble_mse(v, c, k)"),
    "q3": delegate("a_q3", _Q3 + "def missed_fraction(sample, n):\n"
                           "    return ensembles.out_of_bag_fraction(np.asarray(sample)[None, :], n)[0]"),
    "q4": delegate("a_q4", _Q4 + "def bootstrap_sample(n, rng):\n    return ensembles.bootstrap_indices(n, 1, rng)[0]"),
    "q5": delegate("a_q5", _Q5 + "def estimate_v_c(errors):\n    return ensembles.estimate_v_c(errors)"),
}

VALUES = {"q2": 11}
# k_needed is a small integer: no line above its answer may state the size of the course's instance (c = 0.25, 0.32).
PATTERNS = {"q2": [r"\b11 members", r"\bk\s*=\s*11\b"]}
