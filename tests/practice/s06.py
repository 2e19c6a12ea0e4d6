"""Session 6: classic wrong answers, library delegation, and the values that must not show early."""

from . import broken, delegate, wrong

SESSION = "06_capstone"

_SMOOTH = 'labels, k, eps = checks.givens("q3")\ndef smooth(y, k, eps):\n    y = np.asarray(y)\n'
_Q4 = ("loss = lambda net, X, y: mlp.cross_entropy(mlp.forward(net, X)[0], y)\n"
       "nets = [mlp.train_mlp(init, split.X_train, split.y_train, epochs=100, l2=lam, rng=1).layers "
       "for lam in lambdas]\n"
       "_tr = np.array([loss(net, split.X_train, split.y_train) for net in nets])\n"
       "_va = np.array([loss(net, split.X_val, split.y_val) for net in nets])\n"
       "_te = np.array([loss(net, split.X_test, split.y_test) for net in nets])\n"
       "members = [mlp.train_mlp(mlp.init_mlp([d, 64, 2], 10 + j), split.X_train[idx], split.y_train[idx], "
       "epochs=100,\n"
       "                         rng=1).layers for j, idx in enumerate(boot)]\n"
       "_p = [mlp.predict_proba(m, split.X_test) for m in members]\n")
_RIGHT = {"val_losses": "_va", "best_l2": "lambdas[int(np.argmin(_va))]", "test_loss": "_te[int(np.argmin(_va))]",
          "bagged_test_loss": "-np.mean(np.log(np.mean(_p, axis=0)[np.arange(len(split.y_test)), split.y_test]))"}


def _q4(**changed):
    """The q4 answer cell with some of its four answers replaced by wrong ones."""
    answers = {**_RIGHT, **changed}
    return _Q4 + "".join(f"{name} = {expr}\n" for name, expr in answers.items())


# the quiz's options come in each student's own order and one of two wordings: answers pick their letters by the
# options' first words (one start per wording)
_QUIZ_RIGHT = [("randomly drop neurons", "to keep hidden units"), ("prevent overfitting", "to lower the error on data"),
               ("L1", "the lasso penalty"), ("it randomly removes neurons", "at each training step"),
               ("stop when the validation", "keep the parameters"),
               ("the regularization strength", "how much the penalty"),
               ("it corrupts the memory", "neither published")]
_QUIZ = ('items = checks.givens("quiz")\n'
         'def pick(options, *starts):\n'
         '    return next("abcd"[i] for i, option in enumerate(options) if option.startswith(starts))\n'
         + "".join(f'quiz{n} = pick(items.item{n}, "{a}", "{b}")\n' for n, (a, b) in enumerate(_QUIZ_RIGHT, start=1)))
_QUIZ_WRONG = {"quiz1": (("speed up training", "to make training cheaper"), "for-speed"),
               "quiz2": (("increase training accuracy", "to lower the training error"), "raises-training-accuracy"),
               "quiz3": (("L2", "weight decay"), "l2-for-absolute"),
               "quiz4": (("it removes the weakest", "at test time"), "dropout-at-test-time"),
               "quiz5": (("stop when the training loss", "stop once the training error"), "stop-on-training-loss"),
               "quiz6": (("the learning rate", "the step size"), "lambda-is-learning-rate"),
               "quiz7": (("that is Semeniuta", "this is Semeniuta"), "update-mask-on-memory")}

_Q1 = ('train_a, val_a, train_b, val_b, good_error, options = checks.givens("q1")\n'
       'letter = {o.split(":")[0]: "abc"[i] for i, o in enumerate(options)}\n')
_Q2 = 'lambda_sum, n_examples = checks.givens("q2")\n'

WRONG = {
    "q1a": wrong("a_q1", _Q1 + 'diagnosis_a = diagnosis_b = letter["underfitting"]', "read-backwards"),
    "q1b": wrong("a_q1", _Q1 + 'diagnosis_a = diagnosis_b = letter["overfitting"]', "high-val-means-overfitting"),
    "q2a": wrong("a_q2", _Q2 + "lambda_mean = lambda_sum\nalpha_half = 2 * lambda_sum / n_examples",
                 "lambda-unchanged"),
    "q2b": wrong("a_q2", _Q2 + "lambda_mean = lambda_sum / n_examples\nalpha_half = lambda_mean", "forgot-factor-2"),
    "q3a": wrong("a_q3", _SMOOTH + "    T = np.full((len(y), k), eps / k)\n    T[np.arange(len(y)), y] = 1 - eps\n"
                                   "    return T", "eps-over-k"),
    "q3b": wrong("a_q3", _SMOOTH + "    T = np.full((len(y), k), eps / (k - 1))\n"
                                   "    T[np.arange(len(y)), y] = 1 - eps + eps / k\n    return T",
                 "eps-over-k-everywhere"),
    **{part: wrong("a_quiz", _QUIZ + f'{part} = pick(items.item{part[4:]}, "{a}", "{b}")', key)
       for part, ((a, b), key) in _QUIZ_WRONG.items()},
    "q4a": wrong("a_q4", _q4(val_losses="_te"), "test-loss"),
    "q4b": wrong("a_q4", _q4(best_l2="lambdas[int(np.argmin(_te))]"), "tuned-on-test"),
    "q4c": wrong("a_q4", _q4(test_loss="_te.min()"), "best-test-loss"),
    "q4d": wrong("a_q4", _q4(bagged_test_loss="np.mean([mlp.cross_entropy(mlp.forward(m, split.X_test)[0], "
                                              "split.y_test) for m in members])"), "averaged-losses"),
}

DELEGATE = {
    "q3": delegate("a_q3", 'labels, k, eps = checks.givens("q3")\n'
                           "def smooth(y, k, eps):\n    return mlp.smooth_labels(np.asarray(y), k, eps)"),
}

VALUES = {"q2": [4.0 / 800, 2 * 4.0 / 800]}
NOT_NUMERIC = {"q1": "two multiple-choice letters (computed from the givens)"}
# no code above q2 may compute the conversion for these numbers (the worked example uses lam_sum = 5 and n = 500).
# nor may the prose or a worked example above it give the conversion itself (it follows the question).
PATTERNS = {"q2": [r"lam_sum\s*/\s*800", r"4(\.0)?\s*/\s*800", r"lambda_sum\s*/\s*n", r"\\lambda_\{\\text\{sum\}\}/n",
                   r"lam_sum\s*/\s*500", r"it would be \$2\\lambda\$"],
            # the forward pass's code and the backward pass's answer, both once written above q7
            "q7": [r"rng\.random\(h\.shape\)\s*<\s*keep_prob", r"m \\odot h\s*/\s*p", r"same\*\* \$m\s*/\s*p\$",
                   r"by the \*\*same\*\*"]}

_L2 = 'sizes, lam, seed = checks.givens("q5")\ndef l2_grads(layers, lam):\n'
_PROX = ('W, step, l1_strength = checks.givens("q6")\n'
         "def prox_l1(W, step, l1):\n    W = np.asarray(W, dtype=float)\n")
_Q7 = 'h_value, keep_prob, seed = checks.givens("q7")\n'
_DROP_FWD = (_Q7 + "def dropout_forward(h, keep_prob, rng):\n    h = np.asarray(h, dtype=float)\n"
             "    mask = (rng.random(h.shape) < keep_prob).astype(float)\n")
_DROP_BWD = "def dropout_backward(grad_out, mask, keep_prob):\n"
_STOP = ('losses, patience = checks.givens("q8")\n'
         "class EarlyStopper:\n    def __init__(self, patience):\n        self.patience = patience\n"
         "        self.best_loss = np.inf\n        self.best_step = None\n        self.best_params = None\n"
         "        self.bad_epochs = 0\n\n    def update(self, epoch, val_loss, layers):\n")


def _stopper(better="val_loss < self.best_loss", best="[(W.copy(), b.copy()) for W, b in layers]",
             stop="self.bad_epochs >= self.patience"):
    return _STOP + (f"        if {better}:\n            self.best_loss, self.best_step = val_loss, epoch\n"
                    f"            self.best_params = {best}\n            self.bad_epochs = 0\n"
                    f"        else:\n            self.bad_epochs += 1\n        return {stop}\n")


WRONG.update({
    "q5a": wrong("a_q5", _L2 + "    return [(2 * lam * W, np.zeros_like(b)) for W, b in layers]", "factor-2"),
    "q5b": wrong("a_q5", _L2 + "    return [(lam * W, lam * b) for W, b in layers]", "biases-penalized"),
    "q6a": wrong("a_q6", _PROX + "    return W - step * l1 * np.sign(W)", "subgradient-step"),
    "q6b": wrong("a_q6", _PROX + "    return W - step * l1 * np.sign(W)", "subgradient-step"),
    "q7a": wrong("a_q7", _DROP_FWD + "    return h * mask * keep_prob, mask\n" + _DROP_BWD
                 + "    return grad_out * mask / keep_prob", "scaled-by-p"),
    "q7b": wrong("a_q7", _DROP_FWD + "    return h * mask / keep_prob, mask\n" + _DROP_BWD
                 + "    fresh = np.random.default_rng().random(np.shape(grad_out)) < keep_prob  # a new mask\n"
                 + "    return grad_out * fresh / keep_prob", "mask-not-reused"),
    "q8a": wrong("a_q8", _stopper(better="val_loss <= self.best_loss"), "ties-as-improvements"),
    "q8b": wrong("a_q8", _stopper(best="layers"), "kept-last-weights"),
})

DELEGATE.update({
    "q5": delegate("a_q5", _L2 + "    return capstone.l2_grads(layers, lam)"),
    "q6": delegate("a_q6", 'W, step, l1_strength = checks.givens("q6")\n'
                           "from reglab import l1 as l1_lib\n"
                           "def prox_l1(W, step, l1):\n    return l1_lib.soft_threshold(W, step * l1)\n"),
    "q7": delegate("a_q7", _Q7 + "def dropout_forward(h, keep_prob, rng):\n"
                           "    return capstone.dropout_forward(h, keep_prob, rng)\n"
                           "def dropout_backward(grad_out, mask, keep_prob):\n"
                           "    return capstone.dropout_backward(grad_out, mask, keep_prob)"),
    "q8": delegate("a_q8", 'losses, patience = checks.givens("q8")\n'
                           "class EarlyStopper(capstone.EarlyStopper):\n    pass"),
})

# "draw the mask with the generator rng": a mask from numpy's global generator has the right statistics (the visible
# check passes) and scores zero under grading.
RULES = {"q7a": [broken("a_q7", _Q7 + "def dropout_forward(h, keep_prob, rng):\n    h = np.asarray(h, dtype=float)\n"
                                "    mask = (np.random.random(h.shape) < keep_prob).astype(float)\n"
                                "    return h * mask / keep_prob, mask\n" + _DROP_BWD
                                + "    return grad_out * mask / keep_prob", visible=False)]}
