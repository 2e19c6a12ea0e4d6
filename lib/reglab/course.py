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
    Session("04_bagging", 4, "Bagging and the variance of an ensemble", "reglab.ensembles"),
    Session("05_dropout", 5, "Dropout and the geometric mean", "reglab.dropout"),
    Session("06_capstone", 6, "Putting it together: capstone and review", "reglab.mlp"),
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
