"""Session 0: classic wrong answers, library delegation, and the values that must not show early."""

from . import delegate, wrong

SESSION = "00_overfitting"

_BV = ('preds, f_values = checks.givens("q2")\n'
       "def bias_variance_from_predictions(preds, f_values):\n    preds = np.asarray(preds, dtype=float)\n")
_PM = ('y3, y_hat3, w3, alpha3 = checks.givens("q3")\n'
       "def penalized_mse(y, y_hat, w, alpha):\n"
       "    y, y_hat, w = (np.asarray(a, dtype=float) for a in (y, y_hat, w))\n")
_L1 = ('params5, lam5, m5 = checks.givens("q5")\n'
       "def l1_penalty_and_grad(params, lam, m):\n"
       "    W = {k: np.asarray(v, dtype=float) for k, v in params.items() if k.startswith('W')}\n")
_L1_GRADS = "    grads = {k: lam / m * np.sign(W[k]) if k in W else np.zeros(np.shape(v)) for k, v in params.items()}\n"
_Q4G = 'params4, alpha4 = checks.givens("q4")\n'

WRONG = {
    "q1": wrong("a_q1", 'n2, noise2, seed2 = checks.givens("q1")\n'
                        "x2, y2 = data.polynomial_data(n2, noise=noise2, rng=seed2)\n"
                        "x2_val, y2_val = data.polynomial_data(200, noise=noise2, rng=seed2 + 100)\n"
                        "degrees = np.arange(0, 13)\n"
                        "train2, val2 = overfitting.degree_sweep(x2, y2, x2_val, y2_val, degrees)\n"
                        "best_degree = int(degrees[np.argmin(train2)])", "chose-by-training-error"),
    "q2a": wrong("a_q2", _BV + "    return np.mean((preds - f_values) ** 2), np.mean(preds.var(axis=0))",
                 "squared-error-not-bias"),
    "q2b": wrong("a_q2", _BV + "    bias2 = np.mean((preds.mean(axis=0) - f_values) ** 2)\n"
                             "    return bias2, np.mean(preds.var(axis=0, ddof=1))", "sample-variance"),
    "q3a": wrong("a_q3", _PM + "    return np.sum((y - y_hat) ** 2) + 0.5 * alpha * np.sum(w ** 2)",
                 "sum-not-mean"),
    "q3b": wrong("a_q3", _PM + "    return np.mean((y - y_hat) ** 2) + alpha * np.sum(w ** 2)", "alpha-not-half"),
    "q4a": wrong("a_q4", _Q4G + "def weight_penalty(params, alpha):\n"
                         "    return alpha * sum(np.sum(v ** 2) for k, v in params.items() if k.startswith('W'))",
                 "forgot-half"),
    "q4b": wrong("a_q4", _Q4G + "def weight_penalty(params, alpha):\n"
                         "    return 0.5 * alpha * sum(np.sum(np.asarray(v) ** 2) for v in params.values())",
                 "penalized-bias"),
    "q5a": wrong("a_q5", _L1 + _L1_GRADS + "    return lam * sum(np.abs(w).sum() for w in W.values()), grads",
                 "forgot-1-over-m"),
    "q5b": wrong("a_q5", _L1 + "    grads = {k: lam / m * W[k] if k in W else np.zeros(np.shape(v))\n"
                             "             for k, v in params.items()}\n"
                             "    return lam / m * sum(np.abs(w).sum() for w in W.values()), grads", "l2-gradient"),
}

DELEGATE = {
    "q2": delegate("a_q2", _BV + "    rows = iter(preds)\n"
                   "    r = overfitting.bias_variance(lambda xs, ys, xt: next(rows), lambda x: np.asarray(f_values),\n"
                   "                                  np.arange(preds.shape[1], dtype=float), n_train=2,\n"
                   "                                  noise_std=0.0,\n"
                   "                                  n_repeats=len(preds), rng=0)\n"
                   "    return r['bias2'], r['variance']"),
    "q3": delegate("a_q3", 'y3, y_hat3, w3, alpha3 = checks.givens("q3")\n'
                   "def penalized_mse(y, y_hat, w, alpha):\n"
                   "    return overfitting.mse(y, y_hat) + overfitting.l2_penalty(np.asarray(w, dtype=float), alpha)"),
    "q4": delegate("a_q4", _Q4G + "def weight_penalty(params, alpha):\n"
                   "    return overfitting.l2_penalty([v for k, v in params.items() if k.startswith('W')], alpha)"),
    "q5": delegate("a_q5", 'params5, lam5, m5 = checks.givens("q5")\n'
                   "def l1_penalty_and_grad(params, lam, m):\n"
                   "    names = [k for k in params if k.startswith('W')]\n"
                   "    Ws = [params[k] for k in names]\n"
                   "    grads = dict(zip(names, overfitting.l1_penalty_grad(Ws, lam, m)))\n"
                   "    return overfitting.l1_penalty(Ws, lam, m), "
                   "{k: grads.get(k, np.zeros(np.shape(v))) for k, v in params.items()}"),
}

VALUES = {"q1": 5}
# best_degree is a small integer: the first draw's table must not be the second draw's, checked by the
# degree it shows as best (3) differing from this one; no printed line may name the second draw's errors.
PATTERNS = {"q1": [r"val2|x2_val"]}
