"""The course map: sessions, their order, their practice questions and mastery gates.

One place for what every other part reads: the notebooks' test cells (grade ids), the mastery gate
at the end of each session, ``reglab progress``, the named misconceptions the checks recognize, and
the tests that keep them consistent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: What a question asks for. The points of a session follow the work: ``recall`` items (multiple
#: choice, definitions) are worth at most about a tenth of a session's points; ``modelling`` (build and
#: compare models on data) is the heaviest kind where it appears.
KINDS = ("implement", "compute", "recall", "modelling")

#: The grade id of the mastery gate cell, the last cell of every session notebook.
GATE_ID = "gate"

MISCONCEPTION_KEY = re.compile(r"[a-z0-9][a-z0-9_-]*")


@dataclass(frozen=True)
class Misconception:
    """A known wrong answer, named: what the student probably did, in words, and what to reread.

    ``key`` is short and local to its question (``"forgot-factor-2"``); the full id the checks print
    in their ``[misconception:<id>]`` marker is ``s<NN>.<question id>.<key>`` (see :meth:`Session.misconception_id`).
    ``explanation`` names the mistake without giving the right value; ``revisit`` defaults to the question's.
    """

    key: str
    explanation: str
    revisit: str | None = None

    def __post_init__(self):
        if not MISCONCEPTION_KEY.fullmatch(self.key):
            raise ValueError(f"misconception key {self.key!r} must match {MISCONCEPTION_KEY.pattern}")


@dataclass(frozen=True)
class Question:
    """A practice question; ``parts`` are the nbgrader grade ids of its autograded test cells."""

    id: str
    title: str
    parts: tuple[str, ...]
    revisit: str  # the section to reread when it fails
    required: bool = True  # must pass to clear the mastery gate
    kind: str = "compute"  # one of KINDS
    misconceptions: tuple[Misconception, ...] = field(default_factory=tuple)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"question {self.id}: kind {self.kind!r} is not one of {KINDS}")
        keys = [m.key for m in self.misconceptions]
        if len(set(keys)) != len(keys):
            raise ValueError(f"question {self.id}: duplicate misconception keys {keys}")

    def misconception(self, key: str) -> Misconception:
        for m in self.misconceptions:
            if m.key == key:
                return m
        known = ", ".join(m.key for m in self.misconceptions) or "none"
        raise KeyError(f"question {self.id} declares no misconception {key!r} (declared: {known})")


@dataclass(frozen=True)
class Session:
    id: str
    number: int
    title: str
    module: str
    questions: tuple[Question, ...] = field(default_factory=tuple)
    written: tuple[str, ...] = field(default_factory=tuple)  # manually graded answers' grade ids
    prerequisites: tuple[str, ...] = field(default_factory=tuple)  # session ids the notebook builds on
    minutes: int = 0  # estimated time to work through it: reading, the explorations, the questions

    @property
    def notebook(self) -> str:
        return f"{self.id}/{self.id}.ipynb"

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(p for q in self.questions for p in q.parts)

    def question(self, question_id: str) -> Question:
        """A question by its id (``"q1"``)."""
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(f"session {self.id} has no question {question_id!r} "
                       f"(its questions: {', '.join(q.id for q in self.questions)})")

    def question_of(self, part: str) -> Question:
        """The question an autograded part (grade id) belongs to."""
        for q in self.questions:
            if part in q.parts:
                return q
        raise KeyError(f"session {self.id} has no autograded part {part!r}")

    def misconception_id(self, question: Question, key: str) -> str:
        """The full, machine-readable id of a misconception, e.g. ``s01.q1.forgot-factor-2``."""
        question.misconception(key)
        return f"s{self.number:02d}.{question.id}.{key}"

    def misconception_ids(self) -> tuple[str, ...]:
        return tuple(self.misconception_id(q, m.key) for q in self.questions for m in q.misconceptions)


def M(key: str, explanation: str, revisit: str | None = None) -> Misconception:  # noqa: N802 - reads like a table row
    """Shorthand for the tables below."""
    return Misconception(key, explanation, revisit)


_CAPSTONE = "6. Capstone: the regularized parts of the network are yours"

SESSIONS: tuple[Session, ...] = (
    Session(
        "00_overfitting", 0, "Overfitting and the regularized objective", "reglab.overfitting",
        (
            Question("q1", "Pick the degree with the lowest validation error", ("q1",), "2. Overfitting, measured",
                     misconceptions=(
                         M("chose-by-training-error", "this is the degree with the lowest TRAINING error; training "
                           "error always favours the most flexible model"),
                     )),
            Question("q2", "Bias^2 and variance from repeated fits", ("q2a", "q2b"), "3. Bias and variance",
                     kind="implement",
                     misconceptions=(
                         M("squared-error-not-bias", "this is the mean squared error of the predictions (bias^2 plus "
                           "variance): average the predictions over refits first, then square the difference to f"),
                         M("sample-variance", "this divides by (number of refits - 1); the question asks for the "
                           "population variance"),
                         M("variance-across-points", "this is the variance across test points; take it across "
                           "refits (one value per test point), then average"),
                     )),
            Question("q3", "Penalized loss J + (alpha/2)||w||^2", ("q3a", "q3b"), "4. The regularized objective (7.1)",
                     kind="implement",
                     misconceptions=(
                         M("sum-not-mean", "the data term is summed over examples instead of averaged (divided by n)"),
                         M("alpha-not-half", "the penalty is alpha*||w||^2; the question's penalty has a factor "
                           "1/2"),
                         M("penalty-divided-by-n", "the penalty is divided by n as well; only the data term is a "
                           "mean over examples"),
                     )),
            Question("q4", "Penalize weights, not biases", ("q4a", "q4b"), "5. Weights, not biases", kind="implement",
                     misconceptions=(
                         M("forgot-half", "the factor 1/2 of (alpha/2) sum ||W||_F^2 is missing"),
                         M("penalized-bias", "the biases are penalized too; only the entries named W... are"),
                     )),
            Question("q5", "The per-example L1 penalty and its gradient", ("q5a", "q5b"),
                     "6. Conventions, and how to convert", kind="implement",
                     misconceptions=(
                         M("forgot-1-over-m", "lambda is not divided by the number of examples m: a per-example "
                           "penalty is averaged over the m examples, as the data term is"),
                         M("penalized-bias", "the biases are penalized too: the penalty sums the absolute values of "
                           "the entries named W... only, and the biases' gradient entries are 0"),
                         M("halved", "a factor 1/2 crept in: the 1/2 belongs to the L2 convention (lambda/2m)||W||^2, "
                           "where it cancels the 2 of the derivative; the L1 penalty has none"),
                         M("squared-not-absolute", "the squares of the weights are summed: the L1 penalty sums their "
                           "absolute values"),
                         M("l2-gradient", "this gradient is proportional to W, the gradient of the L2 penalty; the "
                           "derivative of |w| depends only on the sign of w"),
                     )),
        ),
        ("w1",),
        minutes=70,
    ),
    Session(
        "01_l2_weight_decay", 1, "L2 weight decay as eigen-rescaling", "reglab.l2",
        (
            Question("q1", "Decay factor of one SGD step", ("q1",), "1. The weight decay step (7.4-7.5)",
                     misconceptions=(
                         M("forgot-factor-2", "the gradient of lambda*||w||^2 is 2*lambda*w; the factor 2 seems to "
                           "be missing (that is the factor of the (alpha/2)||w||^2 convention)"),
                         M("sign-flipped", "a factor above 1 makes the weights grow: the step goes against the "
                           "gradient, so the penalty's term is subtracted"),
                     )),
            Question("q2", "Shrink factors lambda_i/(lambda_i + alpha)", ("q2a", "q2b"), "3. Eigen-rescaling (7.13)",
                     kind="implement",
                     misconceptions=(
                         M("alpha-over-sum", "these are alpha/(lambda_i + alpha), the part that is removed, not "
                           "the part that is kept"),
                         M("one-at-zero-eigenvalue", "a direction with lambda_i = 0 carries no information about w*: "
                           "its factor is 0, also when alpha = 0"),
                     )),
            Question("q3", "w~ by eigendecomposition (7.13)", ("q3",), "3. Eigen-rescaling (7.13)", kind="implement",
                     misconceptions=(
                         M("q-swapped", "Q and Q^T are swapped: rotate INTO the eigenbasis with Q^T, scale, and "
                           "rotate back with Q"),
                         M("alpha-over-sum", "the components are scaled by alpha/(lambda_i + alpha) instead of "
                           "lambda_i/(lambda_i + alpha)"),
                     )),
            Question("q4", "Which direction shrinks most", ("q4",), "4. Geometry",
                     misconceptions=(
                         M("alpha-over-sum", "each coordinate was scaled by alpha/(lambda_i + alpha): the flat "
                           "direction would then be kept and the steep one removed"),
                     )),
            Question("q5", "Ridge by the normal equations (7.17)", ("q5",), "5. Linear regression (7.16-7.17)",
                     kind="implement",
                     misconceptions=(
                         M("alpha-everywhere", "alpha was added to every entry of X^T X; it belongs on the diagonal "
                           "only (alpha times the identity of size n_features)"),
                         M("no-penalty", "this is plain least squares (7.16): the alpha I term is missing"),
                         M("identity-n-examples", "the identity has one row per example (n_examples), but X^T X has "
                           "one row and column per feature: alpha I must have the size of X^T X"),
                     )),
            Question("q6", "scikit-learn's alpha as a network's weight decay", ("q6",),
                     "5. Linear regression (7.16-7.17)",
                     misconceptions=(
                         M("sklearn-alpha-as-weight-decay", "this is scikit-learn's alpha itself: Ridge weighs "
                           "alpha||w||^2 against a SUMMED squared error without 1/2, weight decay adds its coefficient "
                           "times w to the gradient of a MEAN loss; write both objectives with the same data term"),
                         M("forgot-n", "the data terms differ by a factor n (Ridge sums the squared errors, the "
                           "network's loss averages them): the conversion must carry it"),
                         M("forgot-factor-2", "weight decay adds its coefficient times w to the gradient, so its "
                           "penalty has a 1/2 that Ridge's alpha||w||^2 does not: the factor 2 is missing"),
                     )),
            Question("q7", "Projection onto the L2 ball", ("q7a", "q7b"), "8. Penalties as constraints (7.25-7.27)",
                     kind="implement",
                     misconceptions=(
                         M("clipped-coordinates", "each coordinate was clipped to [-radius, radius]: that projects "
                           "onto a box (||w||_inf <= radius) and turns the vector; the L2 ball is round, so the "
                           "projection keeps the direction"),
                         M("pulled-inside", "a vector already inside the ball was moved: the projection leaves a "
                           "point of the ball where it is (a constraint, unlike a penalty, does not pull inside "
                           "weights toward 0)"),
                     )),
        ),
        ("w1", "w2"),
        ("00_overfitting",),
        minutes=100,
    ),
    Session(
        "02_l1_lasso", 2, "L1 regularization and the LASSO closed form", "reglab.l1",
        (
            Question("q1", "Soft-thresholding", ("q1a", "q1b"), "2. The closed form (7.23)", kind="implement",
                     misconceptions=(
                         M("no-max", "without max(., 0) values inside the dead zone |x| <= t cross zero instead "
                           "of stopping at exactly 0"),
                         M("no-sign", "without sign(x) negative inputs come out positive: keep the sign"),
                     )),
            Question("q2", "The LASSO closed form (7.23)", ("q2",), "2. The closed form (7.23)", kind="implement",
                     misconceptions=(
                         M("threshold-alpha", "the threshold is alpha/H_ii, not alpha: divide by the curvature"),
                         M("threshold-alpha-times-h", "the threshold is alpha/H_ii, not alpha*H_ii"),
                     )),
            Question("q3", "The smallest alpha that zeroes every weight", ("q3",), "2. The closed form (7.23)",
                     misconceptions=(
                         M("forgot-h", "coordinate i reaches 0 once alpha/H_ii >= |w*_i|: the curvature H_ii "
                           "matters, not |w*_i| alone"),
                         M("divided-by-h", "coordinate i reaches 0 once alpha >= H_ii |w*_i| (multiply by H_ii, "
                           "do not divide)"),
                         M("min-not-max", "this zeroes only the first coordinate to reach 0; every coordinate "
                           "must be 0"),
                     )),
            Question("q4", "How many weights are exactly zero", ("q4",), "3. Sparsity as feature selection",
                     misconceptions=(
                         M("counted-nonzeros", "this counts the coordinates that are NOT zero"),
                         M("threshold-alpha", "the threshold is alpha/H_ii (here alpha/s), not alpha"),
                     )),
        ),
        ("w1",),
        ("01_l2_weight_decay",),
        minutes=60,
    ),
    Session(
        "03_early_stopping", 3, "Early stopping and its equivalence to L2", "reglab.early_stopping",
        (
            Question("q1", "Early stopping with patience", ("q1a", "q1b", "q1c"), "1. The algorithm", kind="implement",
                     misconceptions=(
                         M("returned-last", "this returns the evaluation where training stopped (or the last one) "
                           "as the best; early stopping returns the stored BEST parameters"),
                         M("patience-off-by-one", "the stopping index is one evaluation off: training stops at the "
                           "evaluation that makes `patience` evaluations in a row without improvement"),
                         M("ties-improve", "an equal loss was counted as an improvement; only a strictly lower "
                           "loss is"),
                     )),
            Question("q2", "Gradient-descent iterates on a quadratic", ("q2a", "q2b"),
                     "2. Gradient descent on a quadratic (7.35-7.37)", kind="implement",
                     misconceptions=(
                         M("tau-plus-one", "this is the iterate one step later: tau steps from w(0) = 0 give "
                           "w(tau)"),
                         M("started-at-w-star", "gradient descent starts from w(0) = 0, not from w*"),
                     )),
            Question("q3", "The closed form (7.40)", ("q3a", "q3b"), "3. The closed form (7.40)", kind="implement",
                     misconceptions=(
                         M("tau-plus-one", "the power is tau, not tau + 1: after tau steps each direction has "
                           "covered 1 - (1 - eps lambda_i)^tau"),
                         M("tau-minus-one", "the power is tau, not tau - 1"),
                         M("loop-rounds-tau", "this loops over int(tau) whole steps: the question asks for the "
                           "closed form (7.40), defined between whole steps too (there it interpolates the iterates)"),
                     )),
            Question("q4", "alpha ~ 1/(eps tau)", ("q4",), "4. Matching L2 (7.42-7.45)",
                     misconceptions=(
                         M("eps-times-tau", "eps*tau is the effective capacity; the weight decay is its inverse "
                           "(more steps mean LESS regularization)"),
                     )),
            Question("q5", "The exact alpha per direction (7.43)", ("q5a", "q5b"), "4. Matching L2 (7.42-7.45)",
                     kind="implement",
                     misconceptions=(
                         M("approximation", "this is the single-alpha approximation 1/(eps tau), not the exact "
                           "alpha_i of each direction"),
                         M("tau-plus-one", "r_i is (1 - eps lambda_i)^tau, not ^(tau + 1)"),
                         M("zero-alpha", "alpha_i = 0 at lambda_i = 0: with neither curvature nor penalty, ridge "
                           "leaves that direction undetermined; the convention asked for is the limit of alpha_i as "
                           "lambda_i -> 0+"),
                     )),
        ),
        ("w1",),
        ("01_l2_weight_decay",),
        minutes=70,
    ),
    Session(
        "04_bagging", 4, "Bagging and the variance of an ensemble", "reglab.ensembles",
        (
            Question("q1", "Ensemble error v/k + (k-1)c/k (7.50)", ("q1a", "q1b"), "1. The error of an average (7.50)",
                     kind="implement",
                     misconceptions=(
                         M("not-squared", "the 1/k of the average was not squared: (1/k sum e_i)^2 divides the k "
                           "squared terms and the k(k-1) cross terms by k^2"),
                         M("no-correlation-term", "this is v/k, the error of UNCORRELATED members: the k(k-1) cross "
                           "terms with expectation c are missing"),
                         M("k-minus-1-c", "the correlation term is (k-1)c without its 1/k: the k(k-1) cross terms "
                           "are divided by k^2 like the rest"),
                     )),
            Question("q2", "How many members an ensemble needs", ("q2",), "1. The error of an average (7.50)",
                     misconceptions=(
                         M("no-correlation-term", "this size would do if the members were uncorrelated (v/k): with c "
                           "> 0 the error falls only toward c"),
                         M("rounded-down", "at this size the error is still above the target: the real solution of c "
                           "+ (v - c)/k = target must be rounded UP to the next integer"),
                     )),
            Question("q3", "Fraction of examples a bootstrap sample misses", ("q3",), "3. Bootstrap samples",
                     kind="implement",
                     misconceptions=(
                         M("covered-fraction", "this is the fraction of the examples the sample COVERS; the question "
                           "asks for the ones it misses"),
                         M("counted-duplicates", "repeated indices were counted as distinct examples: count each "
                           "example once, however often it was drawn"),
                     )),
            Question("q4", "Draw a bootstrap sample", ("q4a", "q4b", "q4c"), "3. Bootstrap samples", kind="implement",
                     misconceptions=(
                         M("last-index-missing", "the last index n - 1 never comes up: rng.integers(low, high) "
                           "excludes high"),
                         M("one-based", "the indices run from 1 to n; Python indexes from 0"),
                         M("without-replacement", "these samples miss no example: they were drawn WITHOUT "
                           "replacement (a permutation), so every member would see the same data"),
                     )),
            Question("q5", "Estimate v and c from real models' errors", ("q5a", "q5b"), "4. Bagging real models",
                     kind="implement",
                     misconceptions=(
                         M("centered", "this subtracts the members' mean error before squaring: v is the mean of the "
                           "squared errors themselves (they are already deviations from the target)"),
                         M("included-self-pairs", "the pairs i = j were included: c averages e_i e_j over DIFFERENT "
                           "members only"),
                         M("pairs-over-k-squared", "the sum over pairs i != j was divided by k^2 n; there are k(k-1) "
                           "ordered pairs"),
                     )),
        ),
        ("w1",),
        ("00_overfitting",),
        minutes=70,
    ),
    Session(
        "05_dropout", 5, "Dropout and the geometric mean", "reglab.dropout",
        (
            Question("q1", "Inverted dropout: values, probabilities, mean", ("q1a", "q1b", "q1c"),
                     "2. Inverted dropout",
                     misconceptions=(
                         M("scaled-by-p", "the survivors were multiplied by the keep probability p; inverted dropout "
                           "DIVIDES them by p"),
                         M("scaled-by-drop", "the survivors were divided by the DROP probability 1 - p; inverted "
                           "dropout divides by the probability of being kept"),
                         M("not-rescaled", "the survivors were not rescaled at all: that is plain (non-inverted) "
                           "dropout, which shrinks the expected output by the factor p"),
                         M("keep-drop-swapped", "the keep and drop probabilities are swapped: the kept value occurs "
                           "with the KEEP probability"),
                         M("unweighted-mean", "the two values were averaged with equal weights; an expectation "
                           "weights each value by its probability"),
                     )),
            Question("q2", "Implement inverted dropout", ("q2a", "q2b", "q2c"), "2. Inverted dropout",
                     kind="implement",
                     misconceptions=(
                         M("scaled-by-p", "the survivors are multiplied by keep_prob; inverted dropout divides them "
                           "by it"),
                         M("scaled-by-drop", "the survivors are divided by the drop probability 1 - keep_prob"),
                         M("not-rescaled", "the survivors keep their value: without the 1/keep_prob the expected "
                           "output shrinks to keep_prob * h"),
                         M("keep-drop-swapped", "about a fraction 1 - keep_prob survives: the mask keeps a unit with "
                           "the DROP probability (compare with < keep_prob, not >)"),
                         M("one-mask-per-batch", "every example of the batch got the same mask: draw one independent "
                           "entry per element of h (a mask of shape h.shape)"),
                     )),
            Question("q3", "PyTorch's p is the drop probability", ("q3a", "q3b"), "3. Conventions", kind="implement",
                     misconceptions=(
                         M("keep-drop-swapped", "PyTorch's p is the probability of ZEROING a unit, not of keeping it"),
                         M("scaled-by-drop", "the survivors are divided by the probability of surviving, not by "
                           "PyTorch's p"),
                         M("scaled-by-p", "the survivors are divided by the keep probability, not multiplied by it"),
                     )),
            Question("q4", "The renormalized geometric mean (7.54-7.55)", ("q4a", "q4b"),
                     "4. Inference: arithmetic and geometric means (7.53-7.55)", kind="implement",
                     misconceptions=(
                         M("arithmetic-mean", "this is the ARITHMETIC mean (7.53) of the masks' distributions; the "
                           "question asks for the geometric mean (7.54)"),
                         M("weights-as-factors", "the weights p(mu) multiply the probabilities; in a weighted "
                           "geometric mean they are EXPONENTS"),
                         M("not-renormalized", "the geometric means do not sum to 1: renormalize over the classes "
                           "(7.55)"),
                     )),
            Question("q5", "Weight scaling for softmax regression", ("q5a", "q5b"),
                     "6. Weight scaling is exact for softmax regression (7.56-7.66)", kind="implement",
                     misconceptions=(
                         M("scaled-bias", "the bias was scaled by the keep probability too: only the dropped inputs' "
                           "weights are scaled, the bias is never dropped"),
                         M("keep-drop-swapped", "the weights were scaled by the DROP probability 1 - p"),
                         M("no-scaling", "the weights were not scaled at all: that is the full network, not the "
                           "weight scaling rule"),
                         M("arithmetic-mean", "this is the arithmetic mean over masks (7.53), not weight scaling"),
                     )),
        ),
        ("w1",),
        ("04_bagging",),
        minutes=90,
    ),
    Session(
        "06_capstone", 6, "Putting it together: capstone and review", "reglab.capstone",
        (
            Question("q1", "Diagnose from training and validation error", ("q1a", "q1b"),
                     "1. Choosing a regularizer from symptoms",
                     misconceptions=(
                         M("read-backwards", "a LOW training error with a much higher validation error is not "
                           "underfitting: the model fits its training data and fails to generalize"),
                         M("high-val-means-overfitting", "a high validation error alone is not overfitting: look at "
                           "the training error and at the gap between the two"),
                     )),
            Question("q2", "lambda under a summed instead of a mean loss", ("q2a", "q2b"), "2. λ is not universal",
                     misconceptions=(
                         M("lambda-unchanged", "lambda was kept although the loss changed between a sum and a mean "
                           "over n examples: the equivalent lambda changes with n"),
                         M("multiplied-by-n", "dividing the summed objective by n divides its penalty by n too; "
                           "lambda was multiplied instead"),
                         M("forgot-factor-2", "lambda||w||^2 has gradient 2 lambda w, (alpha/2)||w||^2 has gradient "
                           "alpha w: the factor 2 between the conventions is missing"),
                         M("halved", "the factor 2 between lambda||w||^2 and (alpha/2)||w||^2 was applied the wrong "
                           "way round"),
                     )),
            Question("q3", "Label smoothing targets", ("q3a", "q3b"), "3. Other regularizers", kind="implement",
                     misconceptions=(
                         M("eps-over-k", "the other classes got eps/k each: eps is shared among the k - 1 classes "
                           "that are NOT the label"),
                         M("eps-over-k-everywhere", "eps/k was spread over all k classes, the label included "
                           "(PyTorch's label_smoothing convention); this course takes eps from the label and shares "
                           "it among the k - 1 others"),
                         M("one-hot-kept", "the label's target is still 1: it must give away eps"),
                     )),
            Question("quiz", "Review quiz (7 multiple-choice questions)",
                     ("quiz1", "quiz2", "quiz3", "quiz4", "quiz5", "quiz6", "quiz7"), "4. Review quiz", kind="recall",
                     misconceptions=(
                         M("for-speed", "dropout does not make training faster (it usually needs more epochs): it is "
                           "a regularizer"),
                         M("pruning", "dropout removes nothing permanently: every unit is used after training"),
                         M("raises-training-accuracy", "regularization usually LOWERS training accuracy a little: it "
                           "trades fit on the training set for generalization"),
                         M("l2-for-absolute", "L2 penalizes the SQUARES of the weights"),
                         M("dropout-at-test-time", "dropout acts during training only, on random units, not on "
                           "chosen ones at test time"),
                         M("stop-on-training-loss", "early stopping watches the VALIDATION loss; the training loss "
                           "keeps falling while the model overfits"),
                         M("lambda-is-learning-rate", "lambda multiplies the penalty; the learning rate is a "
                           "different hyperparameter"),
                         M("fresh-mask-per-step", "a new mask on the carried memory at every time step corrupts it "
                           "again at every step: the masks do not average out, the memory is lost"),
                         M("per-sequence-is-per-step", "Gal and Ghahramani draw ONE mask for the whole sequence, not a "
                           "new one at every step"),
                         M("update-mask-on-memory", "Semeniuta et al. draw a new mask at every step but apply it to "
                           "the cell's update only, never to the memory carried over"),
                     )),
            Question("q4", "Tune on validation, score once on test, bag", ("q4a", "q4b", "q4c", "q4d"),
                     "5. Tune on validation, score once on test",
                     kind="modelling",
                     misconceptions=(
                         M("training-loss", "these are TRAINING losses: they always favour the weakest "
                           "regularization"),
                         M("test-loss", "these are TEST losses: the test set must not be used to choose anything"),
                         M("tuned-on-test", "this lambda has the lowest TEST loss: a hyperparameter chosen on the "
                           "test set makes its test score an optimistic estimate"),
                         M("chose-by-training-loss", "this lambda has the lowest TRAINING loss, which always favours "
                           "the least regularization"),
                         M("best-test-loss", "this is the lowest test loss over all lambdas, not the test loss of "
                           "the network chosen on validation data"),
                         M("reported-validation-loss", "this is the chosen network's VALIDATION loss; the question "
                           "asks for its loss on the test set"),
                         M("averaged-losses", "this is the members' average loss; the ensemble's loss is the loss of "
                           "their averaged probabilities (lower, since the log is concave)"),
                     )),
            Question("q5", "The L2 penalty's gradient in the MLP", ("q5a", "q5b"), _CAPSTONE, kind="implement",
                     misconceptions=(
                         M("factor-2", "the gradient of (lam/2)||W||^2 is lam*W: this has an extra factor 2 (the "
                           "gradient of lam||W||^2)"),
                         M("lambda-missing", "the strength lam does not multiply the weights"),
                         M("biases-penalized", "the biases got a penalty gradient too: the penalty sums the squared "
                           "WEIGHTS only, the biases' entries are 0"),
                     )),
            Question("q6", "A proximal L1 step with exact zeros", ("q6a", "q6b"), _CAPSTONE, kind="implement",
                     misconceptions=(
                         M("subgradient-step", "this is the subgradient step W - step*l1*sign(W): it jumps over 0 "
                           "instead of stopping at it, so no weight becomes exactly 0"),
                         M("no-max", "small entries crossed 0 and changed sign: soft-thresholding stops at 0 (the "
                           "max(., 0))"),
                         M("no-sign", "every entry came out non-negative: the sign of W was lost"),
                         M("threshold-without-step", "the threshold is l1, not step * l1: the proximal step of a "
                           "gradient step of size step scales the penalty by step"),
                     )),
            Question("q7", "Inverted dropout, forward and backward", ("q7a", "q7b"), _CAPSTONE, kind="implement",
                     misconceptions=(
                         M("scaled-by-p", "the kept units were multiplied by keep_prob: inverted dropout DIVIDES "
                           "them by it, so that the expected output equals the input"),
                         M("not-rescaled", "the kept units were not rescaled: the expected output is then keep_prob "
                           "times the input"),
                         M("keep-drop-swapped", "about (1 - keep_prob) of the units are kept: keep_prob is the "
                           "probability of KEEPING a unit (PyTorch's p is the drop probability)"),
                         M("backward-unscaled", "the backward pass applies the mask but not the 1/keep_prob of the "
                           "forward pass"),
                         M("mask-not-reused", "the gradient is not 0 exactly where the forward pass's mask dropped "
                           "a unit, or it changes from call to call: the backward pass must use the mask it is given, "
                           "not draw a new one"),
                         M("backward-scaled-by-p", "the backward pass multiplies by keep_prob: the forward pass "
                           "divided by it, and so must its derivative"),
                     )),
            Question("q8", "Early stopping with patience and the best weights", ("q8a", "q8b"), _CAPSTONE,
                     kind="implement",
                     misconceptions=(
                         M("ties-as-improvements", "an epoch that only equals the best loss was counted as an "
                           "improvement: it must be strictly lower"),
                         M("patience-off-by-one", "training stops one epoch late: stop as soon as the count of epochs "
                           "without improvement reaches the patience"),
                         M("kept-last-weights", "these are the LAST epoch's weights: store a copy of the weights when "
                           "the validation loss improves (a reference changes with the training loop's in-place "
                           "updates)"),
                     )),
        ),
        ("w2", "w1"),
        ("01_l2_weight_decay", "02_l1_lasso", "03_early_stopping", "04_bagging", "05_dropout"),
        minutes=120,
    ),
)

BY_ID = {s.id: s for s in SESSIONS}


def get_session(session_id: str) -> Session:
    """Look a session up by id (e.g. ``"01_l2_weight_decay"``) or number (``"1"``)."""
    if session_id in BY_ID:
        return BY_ID[session_id]
    for s in SESSIONS:
        if str(s.number) == str(session_id):
            return s
    raise ValueError(f"unknown session {session_id!r}; sessions are: {', '.join(BY_ID)}")


def next_session(session: Session) -> Session | None:
    i = SESSIONS.index(session)
    return SESSIONS[i + 1] if i + 1 < len(SESSIONS) else None


#: Every equation and numerical fact of the course specification that ``tests/`` checks against an
#: independent computation; a test declares what it checks with ``@pytest.mark.equation(id)``.
SPEC_EQUATIONS: dict[str, str] = {
    "overfitting": "S0: a high-degree polynomial on few noisy points: training error falls, validation error rises",
    "bias-variance": "S0: expected error = bias^2 + variance + noise",
    "7.1": "S0: J~ = J + alpha Omega",
    "no-bias-penalty": "S0: penalizing the bias causes underfitting",
    "conventions": "S0: lambda||w||^2 vs (alpha/2)||w||^2 vs (lambda/2m)||W||_F^2 vs scikit-learn",
    "l2-basis": "S0: an L2 penalty depends on the basis: the same alpha on Legendre and on monomial coefficients "
                "(PolynomialFeatures + Ridge) gives two fits; without a penalty one",
    "per-example-l1": "S0: per-example L1 (lambda/m)||W||_1 over weights only, gradient (lambda/m) sign(W), "
                      "sign(0) in [-1, 1]",
    "7.5": "S1: SGD step w <- (1 - eps alpha) w - eps grad J; 1 - 2 eta lambda = 0.998",
    "7.6": "S1: quadratic approximation around w*",
    "7.10": "S1: w~ = (H + alpha I)^-1 H w*",
    "7.13": "S1: w~ = Q (Lambda + alpha I)^-1 Lambda Q^T w*, factors lambda_i/(lambda_i + alpha)",
    "7.16": "S1: normal equations w = (X^T X)^-1 X^T y",
    "7.17": "S1: ridge w = (X^T X + alpha I)^-1 X^T y",
    "map-gaussian": "S1: MAP with a Gaussian prior is ridge",
    "adamw": "S1: L2 inside Adam vs decoupled weight decay (AdamW)",
    "adamw-noisy": "S1, S6: AdamW's box needs exact gradients: with noise (sigma = 1) it shrinks coordinates inside "
                   "the box, w* = (1, -1, 1.5) -> about (0.99, -0.65, 0.03), near ridge with alpha sigma",
    "7.2-constraint": "S1: min J + (alpha/2)||w||^2 and min J s.t. ||w||_2 <= k meet when alpha is the KKT multiplier; "
                      "larger alpha <-> smaller k; alpha = 0 when the constraint is inactive",
    "7.2-reprojection": "S1: projected gradient (step, then project onto ||w||_2 <= k) reaches the constrained minimum "
                        "and does not pull weights inside the ball toward 0",
    "max-norm": "S1: max-norm keeps each unit's incoming weights at ||w||_2 <= c and bounds weights a too-large step "
                "blows up",
    "7.20": "S2: L1 subgradient alpha sign(w)",
    "7.22": "S2: the objective separates for a diagonal Hessian",
    "7.23": "S2: soft-thresholding closed form; proximal steps reach its exact zeros, subgradient steps none",
    "lasso-correlated": "S2: the closed form is not the minimizer with correlated features",
    "elastic-net-grouping": "S2: elastic net keeps a group of correlated features together",
    "group-lasso": "S2: the group penalty sum_g ||w_g||_2 (prox: group soft-threshold) zeroes whole groups; L1 "
    "scatters its zeros",
    "early-stopping": "S3: patience and best-parameter copy",
    "7.37": "S3: w(tau) - w* = (I - eps H)(w(tau-1) - w*)",
    "7.40": "S3: Q^T w(tau) = [I - (I - eps Lambda)^tau] Q^T w*",
    "7.42": "S3: Q^T w~ = [I - (Lambda + alpha I)^-1 alpha] Q^T w*",
    "7.43": "S3: (I - eps Lambda)^tau = (Lambda + alpha I)^-1 alpha, exact per direction",
    "7.45": "S3: alpha ~ 1/(eps tau), where it holds and where it breaks",
    "flat-direction-limit": "S3: alpha_i -> 1/(eps tau) as lambda_i -> 0+, the convention at lambda_i = 0 (where any "
    "alpha matches)",
    "gradient-flow-not-ridge": "S3: closeness to ridge at alpha = 1/(eps tau) is set by eps tau lambda_i; at fixed "
    "eps tau, eps -> 0 gives gradient flow 1 - exp(-lambda t), not ridge",
    "non-integer-tau": "S3: (7.40) at a non-integer tau interpolates the iterates (geometric mean of the errors), "
    "reached by no gradient step",
    "7.50": "S4: ensemble error v/k + (k-1)c/k",
    "bootstrap-1/e": "S4: a bootstrap sample misses about 1/e of the examples",
    "bagging": "S4: v and c estimated from real bagged models",
    "ensemble-gain": "S4: going from 5 to 50 members gains 0.18 (v - c): no threshold short of c = v",
    "inverted-dropout": "S5: E[(m*h)/p] = h; h = 3, p = 0.6 -> 5 w.p. 0.6; PyTorch's p",
    "7.53": "S5: arithmetic-mean ensemble over all masks",
    "7.54-7.55": "S5: renormalized geometric mean over all masks",
    "7.58-7.66": "S5: weight scaling is exact for softmax regression (p = 1/2 and general p)",
    "weight-scaling-relu": "S5: weight scaling is only approximate in a ReLU MLP",
    "dropout-gap": "S5: dropout reduces a measured overfitting gap",
    "learning-curves-keep-prob": "S5: the learning-curves exploration's keep probability is gradient descent on "
                                 "dropout's expected penalty (masks enumerated), what sampled-mask runs average to",
    "multiplicative-noise": "S5: Gaussian or Bernoulli multiplicative noise of mean 1, variance (1-p)/p on linear "
                            "features adds the same expected penalty",
    "variance-shift": "S5: inverted dropout keeps the mean, multiplies E[h^2] by 1/p: batch norm's training variance "
                      "is too large at test time",
    "weight-noise": "S5: weight noise N(0, sigma^2 I) on a linear model adds sigma^2 ||x||^2 for any sigma; "
                    "sigma^2 E||grad_w y_hat||^2 only for small sigma otherwise",
    "lambda-reduction": "S6: lambda under a mean vs a summed loss",
    "input-noise-ridge": "S6: Gaussian input noise on a linear model is ridge with alpha = n sigma^2",
    "label-smoothing": "S6: targets eps/(k-1) and 1 - eps",
    "capstone": "S6: digits, each strength chosen on validation, scored once on test: L2 and L1 beat none, early "
                "stopping and the bag do not (test loss); the bag loses to the single full-data network",
    "capstone-gradcheck": "S6: capstone backward pass (L2 term, dropout, fixed mask) matches finite differences",
    "proximal-l1-zeros": "S6: a proximal L1 step gives exact zeros in the MLP's first layer; the subgradient step none",
    "capstone-fair": "S6: one initialization and minibatch order for every method; strengths chosen on validation",
    "sgd-l2-minimizer": "S6: SGD on the mean loss + (lambda/2)||w||^2 ends at one minimizer for every batch size and "
                        "learning rate; a fixed budget of epochs ends elsewhere for each",
    "mcnemar-paired": "S6: two classifiers on one test set: exact McNemar test on the discordant images",
    "validation-overfit": "S3: the best of many candidates on one validation set has an optimistic validation error",
    "augmentation-labels": "S5: one-pixel shifts keep a digit's label; flips turn some digits into others",
    "alpha-approx-ratio": "S3: exact alpha_i vs 1/(eps tau): 0.92 at tau = 30, 0.58 at 200, 0.03 at 1000 (lambda 0.05)",
    "sign-flip": "S3: directions overshoot (alpha_i undefined) once eps > 1/lambda_max, before 2/lambda_max",
    "adamw-limit": "S1: AdamW settles at the minimizer inside ||w||_inf <= 1/lambda; Adam + L2 at the ridge minimum",
    "epoch-decay": "S6: halving the batch size squares the per-epoch decay factor",
    "bagging-vs-single": "S4: bagging vs one model on all the data: loses for low-variance, wins for high-variance",
    "mc-dropout-masks": "S5: Monte Carlo masks for accurate probabilities vs for the right decision",
    "elastic-net-convention": "S2: elastic net minimizes 1/2||y - Xw||^2 + l1||w||_1 + (l2/2)||w||^2",
    "min-norm-limit": "S0: alpha -> 0+ ridge limit = min-norm interpolant only with the bias penalized, in one basis",
    "l1-zero-frequency": "S2: L1 gives exact zeros, L2 none (many problems); L1's zeros match the truth best mid-alpha",
    "dropout-marginalized": "S6: dropout on linear features equals, in expectation, a per-feature ridge penalty",
    "weight-scaling-exact-models": "S5: weight scaling = renormalized geometric mean also for a deep linear network "
    "and for regression with a normal output (mean linear in the masks)",
}


def notebook_points(path) -> tuple[float, float]:
    """(autograded, manually graded) points of an nbgrader notebook."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    auto = manual = 0.0
    for c in nb.cells:
        m = c.metadata.get("nbgrader", {})
        if m.get("grade"):
            if c.cell_type == "code":
                auto += float(m.get("points", 0))
            else:
                manual += float(m.get("points", 0))
    return auto, manual


#: The numbered sections (``## N. ...`` headings) of each session's notebook, as written there: a failed check links
#: to the one its question (or misconception) names by number (a test keeps this table equal to the notebooks).
SECTIONS: dict[str, tuple[str, ...]] = {
    "00_overfitting": ("1. Setup", "2. Overfitting, measured", "3. Bias and variance",
                       "4. The regularized objective (7.1)", "5. Weights, not biases",
                       "6. Conventions, and how to convert", "7. Explore", "8. Common mistakes", "9. Mastery gate"),
    "01_l2_weight_decay": ("0. Setup", "1. The weight decay step (7.4–7.5)", "2. The quadratic approximation (7.6)",
                           "3. Eigen-rescaling (7.9–7.13)", "4. Geometry",
                           "5. Linear regression (7.16–7.17): ridge, or Tikhonov, regularization",
                           "6. L2 as a Gaussian prior (MAP)", "7. L2 inside Adam is not weight decay: AdamW",
                           "8. Penalties as constraints (7.25–7.27)", "9. Explore", "10. Common mistakes",
                           "11. Mastery gate"),
    "02_l1_lasso": ("0. Setup", "1. The L1 penalty and its subgradient (7.18–7.20)", "2. The closed form (7.21–7.23)",
                    "3. Sparsity as feature selection", "4. When the closed form breaks: correlated features",
                    "5. Geometry: the diamond and the circle", "6. Elastic net and the grouping effect",
                    "7. L1 as a Laplace prior (MAP)", "8. Explore", "9. Common mistakes", "10. Mastery gate"),
    "03_early_stopping": ("0. Setup", "1. The algorithm", "2. Gradient descent on a quadratic (7.33–7.37)",
                          "3. The closed form (7.38–7.40)", "4. Matching L2 (7.41–7.45)",
                          "5. Why early stopping is attractive, and what it costs", "6. Explore",
                          "7. Common mistakes", "8. Mastery gate"),
    "04_bagging": ("0. Setup", "1. The error of an average (7.50)", "2. Checking (7.50) by Monte Carlo",
                   "3. Bootstrap samples", "4. Bagging real models",
                   "5. Does bagging help? Against one model fit on all the data", "6. Other ensembles, and boosting",
                   "7. Explore", "8. Common mistakes", "9. Mastery gate"),
    "05_dropout": ("0. Setup", "1. Training with dropout", "2. Inverted dropout", "3. Conventions",
                   "4. Inference: arithmetic and geometric means (7.53–7.55)", "5. The weight scaling rule",
                   "6. Weight scaling is exact for softmax regression (7.56–7.66)",
                   "7. In a ReLU network it is only an approximation", "8. Dropout on real images: the 8×8 digits",
                   "9. Cost, and why it works", "10. Explore", "11. Common mistakes", "12. Mastery gate"),
    "06_capstone": ("0. Setup", "1. Choosing a regularizer from symptoms", "2. λ is not universal",
                    "3. Other regularizers", "4. Review quiz", "5. Tune on validation, score once on test",
                    "6. Capstone: the regularized parts of the network are yours",
                    "7. Written answer w2 (4 points, graded by your instructor): interpret the capstone",
                    "8. Written answer w1 (4 points, graded by your instructor)", "9. Common mistakes",
                    "10. Mastery gate"),
}


def section_heading(session_id: str, revisit: str) -> str:
    """The notebook's heading of the section ``revisit`` names by its number ("1. The weight decay step ..."), or
    ``revisit`` itself when the session has no section of that number."""
    number = revisit.split(" ", 1)[0]
    return next((h for h in SECTIONS.get(session_id, ()) if h.split(" ", 1)[0] == number), revisit)
