"""Session 5: classic wrong answers, library delegation, and the values that must not show early."""

from . import broken, delegate, wrong

SESSION = "05_dropout"

_G1 = 'h, p = checks.givens("q1")  # your variant\n'
_Q1 = _G1 + "values = np.array([h / p, 0.0])\nprobs = np.array([p, 1 - p])\n"
_G2 = 'keep_prob, seed = checks.givens("q2")  # your variant\n'
_DROP = _G2 + "def my_inverted_dropout(h, keep_prob, rng):\n    h = np.asarray(h, dtype=float)\n"
_Q3 = 'p = checks.givens("q3")[0]  # your variant\n'
_Q4 = 'P, weights, n, keep_prob, seed = checks.givens("q4")  # your variant\n'
_GEO = (_Q4 + "def geometric_ensemble(P, weights):\n"
        "    P, weights = np.asarray(P, dtype=float), np.asarray(weights, dtype=float)\n")
_Q5 = 'W, b, v, keep_prob, offset = checks.givens("q5")  # your variant\n'
_WS = (_Q5 + "def weight_scaled_predict(W, b, v, keep_prob):\n"
       "    W, b, v = (np.asarray(a, dtype=float) for a in (W, b, v))\n")

WRONG = {
    "q1a": wrong("a_q1", _G1 + "values = np.array([h * p, 0.0])\nprobs = np.array([p, 1 - p])\n"
                         "mean = float(values @ probs)", "scaled-by-p"),
    "q1b": wrong("a_q1", _G1 + "values = np.array([h / p, 0.0])\nprobs = np.array([1 - p, p])\n"
                         "mean = float(values @ probs)", "keep-drop-swapped"),
    "q1c": wrong("a_q1", _Q1 + "mean = float(np.mean(values))", "unweighted-mean"),
    "q2a": wrong("a_q2", _DROP + "    return (rng.random(h.shape) < keep_prob) * h * keep_prob", "scaled-by-p"),
    "q2b": wrong("a_q2", _DROP + "    return (rng.random(h.shape) > keep_prob) * h / keep_prob", "keep-drop-swapped"),
    "q2c": wrong("a_q2", _DROP + "    return (rng.random(h.shape[-1]) < keep_prob) * h / keep_prob",
                 "one-mask-per-batch"),
    "q3a": wrong("a_q3", _Q3 + "def from_torch(p):\n    return p, 1 / (1 - p)", "keep-drop-swapped"),
    "q3b": wrong("a_q3", _Q3 + "def from_torch(p):\n    return 1 - p, 1 / p", "scaled-by-drop"),
    "q4a": wrong("a_q4", _GEO + "    return weights @ P", "arithmetic-mean"),
    "q4b": wrong("a_q4", _GEO + "    return np.exp(weights @ np.log(P))", "not-renormalized"),
    "q5a": wrong("a_q5", _WS + "    z = keep_prob * (v @ W + b)\n    e = np.exp(z - z.max())\n    return e / e.sum()",
                 "scaled-bias"),
    "q5b": wrong("a_q5", _WS + "    e = np.exp(keep_prob * (v @ W) + b)\n    return e / e.sum()"),
}

DELEGATE = {
    "q2": delegate("a_q2", _G2 + "def my_inverted_dropout(h, keep_prob, rng):\n"
                           "    return dropout.inverted_dropout(h, keep_prob, rng)"),
    "q3": delegate("a_q3", _Q3 + "def from_torch(p):\n"
                           "    keep = dropout.keep_prob_from_torch(p)\n    return keep, 1 / keep"),
    "q4": delegate("a_q4", _Q4 + "def geometric_ensemble(P, weights):\n"
                           "    return dropout.softmax(np.asarray(weights) @ np.log(np.asarray(P)))"),
    "q5": delegate("a_q5", _Q5 + "def weight_scaled_predict(W, b, v, keep_prob):\n"
                           "    return dropout.weight_scaling_predict(W, b, v, keep_prob)"),
}

VALUES = {"q1": [5.0, 0.6, 0.4, 3.0], "q3": [0.75, 4 / 3]}
# 5 and 3 are small integers: no output above q1 may print the distribution of h = 3 kept with probability 0.6.
PATTERNS = {"q1": [r"\[0\.\s+5\.\]", r"\[5\.\s+0\.\]", r"mean 3\.0"],
            "q3": [r"Dropout\(0?\.25\)", r"keeps 75", r"1/\(1 - p\)", r"keep probability \$1 - p\$"]}

# "compute both from p": the values for the course's p = 0.25 typed in pass its visible check, score zero under grading.
_TYPED_IN = broken("a_q3", _Q3 + "def from_torch(p):\n    return 0.75, 4 / 3", visible=False)
RULES = {"q3a": [_TYPED_IN], "q3b": [_TYPED_IN]}
