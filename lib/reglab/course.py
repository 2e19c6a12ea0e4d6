"""The course map: sessions, their order, their practice questions and mastery gates.

One place for what every other part reads: the notebooks' test cells (grade ids), the mastery gate
at the end of each session, ``reglab progress``, and the tests that keep them consistent.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Question:
    """A practice question; ``parts`` are the nbgrader grade ids of its autograded test cells."""

    id: str
    title: str
    parts: tuple[str, ...]
    revisit: str  # the section to reread when it fails
    required: bool = True  # must pass to clear the mastery gate


@dataclass(frozen=True)
class Session:
    id: str
    number: int
    title: str
    module: str
    questions: tuple[Question, ...] = field(default_factory=tuple)
    written: tuple[str, ...] = field(default_factory=tuple)  # manually graded answers' grade ids
    prerequisites: tuple[str, ...] = field(default_factory=tuple)  # session ids the notebook builds on

    @property
    def notebook(self) -> str:
        return f"{self.id}/{self.id}.ipynb"

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(p for q in self.questions for p in q.parts)


SESSIONS: tuple[Session, ...] = (
    Session(
        "00_overfitting", 0, "Overfitting and the regularized objective", "reglab.overfitting",
        (
            Question("q1", "Pick the degree with the lowest validation error", ("q1",), "2. Overfitting, measured"),
            Question("q2", "Penalized loss J + (alpha/2)||w||^2", ("q2",), "4. The regularized objective (7.1)"),
            Question("q3", "Bias^2 and variance from repeated fits", ("q3a", "q3b"), "3. Bias and variance"),
            Question("q4", "Penalize weights, not biases", ("q4",), "5. Weights, not biases"),
        ),
        ("w1",),
    ),
    Session(
        "01_l2_weight_decay", 1, "L2 weight decay as eigen-rescaling", "reglab.l2",
        (
            Question("q1", "Decay factor of one SGD step", ("q1",), "1. The weight decay step (7.4-7.5)"),
            Question("q2", "Shrink factors lambda_i/(lambda_i + alpha)", ("q2a", "q2b"), "3. Eigen-rescaling (7.13)"),
            Question("q3", "w~ by eigendecomposition (7.13)", ("q3",), "3. Eigen-rescaling (7.13)"),
            Question("q4", "Ridge by the normal equations (7.17)", ("q4",), "5. Linear regression (7.16-7.17)"),
            Question("q5", "Which direction shrinks most", ("q5",), "4. Geometry"),
        ),
        ("w1",),
        ("00_overfitting",),
    ),
    Session(
        "02_l1_lasso", 2, "L1 regularization and the LASSO closed form", "reglab.l1",
        (
            Question("q1", "Soft-thresholding", ("q1a", "q1b"), "2. The closed form (7.23)"),
            Question("q2", "The LASSO closed form (7.23)", ("q2",), "2. The closed form (7.23)"),
            Question("q3", "How many weights are exactly zero", ("q3",), "3. Sparsity as feature selection"),
            Question("q4", "The smallest alpha that zeroes every weight", ("q4",), "2. The closed form (7.23)"),
        ),
        ("w1",),
        ("01_l2_weight_decay",),
    ),
    Session(
        "03_early_stopping", 3, "Early stopping and its equivalence to L2", "reglab.early_stopping",
        (
            Question("q1", "Gradient-descent iterates on a quadratic", ("q1",), "2. Gradient descent on a quadratic (7.35-7.37)"),
            Question("q2", "The closed form (7.40)", ("q2",), "3. The closed form (7.40)"),
            Question("q3", "alpha ~ 1/(eps tau)", ("q3",), "4. Matching L2 (7.42-7.45)"),
            Question("q4", "The exact alpha per direction (7.43)", ("q4a", "q4b"), "4. Matching L2 (7.42-7.45)"),
            Question("q5", "Early stopping with patience", ("q5",), "1. The algorithm"),
        ),
        ("w1",),
        ("01_l2_weight_decay",),
    ),
    Session(
        "04_bagging", 4, "Bagging and the variance of an ensemble", "reglab.ensembles",
        (
            Question("q1", "Ensemble error v/k + (k-1)c/k (7.50)", ("q1",), "1. The error of an average (7.50)"),
            Question("q2", "Fraction of examples a bootstrap sample misses", ("q2",), "3. Bootstrap samples"),
            Question("q3", "Draw a bootstrap sample", ("q3",), "3. Bootstrap samples"),
            Question("q4", "Estimate v and c from real models' errors", ("q4a", "q4b"), "4. Bagging real models"),
            Question("q5", "How many members an ensemble needs", ("q5",), "1. The error of an average (7.50)"),
        ),
        ("w1",),
        ("00_overfitting",),
    ),
    Session(
        "05_dropout", 5, "Dropout and the geometric mean", "reglab.dropout",
        (
            Question("q1", "Inverted dropout: values, probabilities, mean", ("q1a", "q1b"), "2. Inverted dropout"),
            Question("q2", "Implement inverted dropout", ("q2",), "2. Inverted dropout"),
            Question("q3", "PyTorch's p is the drop probability", ("q3",), "3. Conventions"),
            Question("q4", "Weight scaling for softmax regression", ("q4",), "6. Weight scaling is exact for softmax regression (7.56-7.66)"),
            Question("q5", "The renormalized geometric mean (7.54-7.55)", ("q5",), "5. Inference: arithmetic and geometric means (7.53-7.55)"),
        ),
        ("w1",),
        ("04_bagging",),
    ),
    Session(
        "06_capstone", 6, "Putting it together: capstone and review", "reglab.mlp",
        (
            Question("q1", "Diagnose from training and validation error", ("q1",), "1. Choosing a regularizer from symptoms"),
            Question("q2", "lambda under a summed instead of a mean loss", ("q2",), "2. lambda is not universal"),
            Question("q3", "Label smoothing targets", ("q3",), "3. Other regularizers"),
            Question("quiz", "Review quiz (7 multiple-choice questions)",
                     ("quiz1", "quiz2", "quiz3", "quiz4", "quiz5", "quiz6", "quiz7"), "4. Review quiz"),
            Question("q4", "Average a bagged ensemble's probabilities", ("q4",), "6. Capstone"),
        ),
        ("w1",),
        ("01_l2_weight_decay", "02_l1_lasso", "03_early_stopping", "04_bagging", "05_dropout"),
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


def previous_session(session: Session) -> Session | None:
    i = SESSIONS.index(session)
    return SESSIONS[i - 1] if i > 0 else None


#: Every equation and numerical fact of the course specification that ``tests/`` checks against an
#: independent computation; a test declares what it checks with ``@pytest.mark.equation(id)``.
SPEC_EQUATIONS: dict[str, str] = {
    "overfitting": "S0: a high-degree polynomial on few noisy points: training error falls, validation error rises",
    "bias-variance": "S0: expected error = bias^2 + variance + noise",
    "7.1": "S0: J~ = J + alpha Omega",
    "no-bias-penalty": "S0: penalizing the bias causes underfitting",
    "conventions": "S0: lambda||w||^2 vs (alpha/2)||w||^2 vs (lambda/2m)||W||_F^2 vs scikit-learn",
    "7.5": "S1: SGD step w <- (1 - eps alpha) w - eps grad J; 1 - 2 eta lambda = 0.998",
    "7.6": "S1: quadratic approximation around w*",
    "7.10": "S1: w~ = (H + alpha I)^-1 H w*",
    "7.13": "S1: w~ = Q (Lambda + alpha I)^-1 Lambda Q^T w*, factors lambda_i/(lambda_i + alpha)",
    "7.16": "S1: normal equations w = (X^T X)^-1 X^T y",
    "7.17": "S1: ridge w = (X^T X + alpha I)^-1 X^T y",
    "map-gaussian": "S1: MAP with a Gaussian prior is ridge",
    "adamw": "S1: L2 inside Adam vs decoupled weight decay (AdamW)",
    "7.20": "S2: L1 subgradient alpha sign(w)",
    "7.22": "S2: the objective separates for a diagonal Hessian",
    "7.23": "S2: soft-thresholding closed form",
    "lasso-correlated": "S2: the closed form is not the minimizer with correlated features",
    "elastic-net-grouping": "S2: elastic net keeps a group of correlated features together",
    "early-stopping": "S3: patience and best-parameter copy",
    "7.37": "S3: w(tau) - w* = (I - eps H)(w(tau-1) - w*)",
    "7.40": "S3: Q^T w(tau) = [I - (I - eps Lambda)^tau] Q^T w*",
    "7.42": "S3: Q^T w~ = [I - (Lambda + alpha I)^-1 alpha] Q^T w*",
    "7.43": "S3: (I - eps Lambda)^tau = (Lambda + alpha I)^-1 alpha, exact per direction",
    "7.45": "S3: alpha ~ 1/(eps tau), where it holds and where it breaks",
    "7.50": "S4: ensemble error v/k + (k-1)c/k",
    "bootstrap-1/e": "S4: a bootstrap sample misses about 1/e of the examples",
    "bagging": "S4: v and c estimated from real bagged models",
    "inverted-dropout": "S5: E[(m*h)/p] = h; h = 3, p = 0.6 -> 5 w.p. 0.6; PyTorch's p",
    "7.53": "S5: arithmetic-mean ensemble over all masks",
    "7.54-7.55": "S5: renormalized geometric mean over all masks",
    "7.58-7.66": "S5: weight scaling is exact for softmax regression (p = 1/2 and general p)",
    "weight-scaling-relu": "S5: weight scaling is only approximate in a ReLU MLP",
    "dropout-gap": "S5: dropout reduces a measured overfitting gap",
    "lambda-reduction": "S6: lambda under a mean vs a summed loss",
    "input-noise-ridge": "S6: Gaussian input noise on a linear model is ridge with alpha = n sigma^2",
    "label-smoothing": "S6: targets eps/(k-1) and 1 - eps",
    "capstone": "S6: every regularizer beats no regularization on one held-out test set",
    "capstone-gradcheck": "S6: capstone backward pass (L2 term, dropout, fixed mask) matches finite differences",
    "proximal-l1-zeros": "S6: a proximal L1 step gives exact zeros in the MLP's first layer; the subgradient step none",
    "capstone-fair": "S6: one initialization and minibatch order for every method; strengths chosen on validation",
    "validation-overfit": "S3: the best of many candidates on one validation set has an optimistic validation error",
    "augmentation-labels": "S6: one-pixel shifts keep a digit's label; flips turn some digits into others",
    "alpha-approx-ratio": "S3: exact alpha_i vs 1/(eps tau): 0.92 at tau = 30, 0.58 at 200, 0.03 at 1000 (lambda 0.05)",
    "sign-flip": "S3: directions overshoot (alpha_i undefined) once eps > 1/lambda_max, before 2/lambda_max",
    "adamw-limit": "S1: AdamW settles at the minimizer inside ||w||_inf <= 1/lambda; Adam + L2 at the ridge minimum",
    "epoch-decay": "S6: halving the batch size squares the per-epoch decay factor",
    "bagging-vs-single": "S4: bagging vs one model on all the data: loses for low-variance, wins for high-variance",
    "mc-dropout-masks": "S5: Monte Carlo masks for accurate probabilities vs for the right decision",
    "elastic-net-convention": "S2: elastic net minimizes 1/2||y - Xw||^2 + l1||w||_1 + (l2/2)||w||^2",
    "min-norm-limit": "S0: the alpha -> 0+ ridge limit is the min-norm interpolant only with the bias penalized",
    "l1-zero-frequency": "S2: over many random problems L1 gives exact zeros, L2 never",
    "dropout-marginalized": "S6: dropout on linear features equals, in expectation, a per-feature ridge penalty",
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
