"""The job record: what grading one (student, assignment) produced, stored as ``jobs/<student>__<assignment>.json``.

A job is done when its record is written (last, after its grades are committed); a rerun skips done
jobs whose submitted files have not changed. Each record also says what it was graded against: the digest of the
assignment's instructor source (``solutions/<assignment>/``: tests, hidden tests, points) and the grader's version
(:func:`grader_version`). A record whose course or grader has changed since is *stale*: ``reglab grade`` reports it
and regrades it with ``--regrade``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

GRADED = "graded"
GRADER_ERROR = "grader error"

# Bump when a change of this package changes how a submission is scored (what counts, what is zeroed, partial
# credit, ...): every record graded before becomes stale, and ``reglab grade --regrade`` grades it again.
GRADING_LOGIC = 2  # 2: verdicts decided in the checker, outside the student's kernel


def grader_version() -> str:
    """The grader's version as far as scores depend on it: the package's version and :data:`GRADING_LOGIC`."""
    from importlib.metadata import version

    return f"reglab-autograder {version('reglab-autograder')}, grading logic {GRADING_LOGIC}"


def unscored(grade) -> bool:
    """A graded cell (a :class:`Part` or an nbgrader ``Grade``) nobody has scored yet (a written answer before
    formgrader, or one changed since it was scored): its score is pending, not 0."""
    return (grade.manual_score is None and grade.auto_score is None) or changed_since_scored(grade)


def changed_since_scored(grade) -> bool:
    """A written answer the student changed after the instructor scored it: nbgrader keeps the old manual score and
    marks the cell "needs manual grade" again (an unchanged answer gets its verdict back,
    :func:`.gradebook.restore_verdicts`). The old score is not the new answer's: it is pending until scored again."""
    return grade.auto_score is None and grade.manual_score is not None and bool(grade.needs_manual_grade)


def overridden(grade) -> bool:
    """An autograded cell whose score the instructor set by hand in formgrader (it counts instead of the test's)."""
    return grade.auto_score is not None and grade.manual_score is not None


def job_id(student: str, assignment: str) -> str:
    return f"{student}__{assignment}"


@dataclass
class Problem:
    """Something intake found in a submission; one report row. The intake rules write one per line of a job's
    findings file (:func:`findings_path`) in its JSON form, and the job reads them back with :func:`read_findings`."""

    kind: str
    detail: str
    zero: bool = False  # does this problem cost the notebook its points?

    def to_json(self) -> str:
        """One line of a findings file."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, line: str) -> Problem:
        return cls(**json.loads(line))


@dataclass(frozen=True)
class Job:
    """One submission to grade, as intake leaves it: whose, which assignment, the digest of its files (a rerun
    skips files graded before) and what intake found in them (report rows; some cost a notebook its points)."""

    student: str
    assignment: str
    digest: str
    problems: tuple[Problem, ...] = ()

    @property
    def id(self) -> str:
        return job_id(self.student, self.assignment)

    @property
    def label(self) -> str:
        """How the progress bar and messages name it: ``student/assignment``."""
        return f"{self.student}/{self.assignment}"

    def record(self, **fields) -> JobRecord:
        """A job record of this job (its intake problems copied), with ``fields`` (status, detail, ...)."""
        return JobRecord(student=self.student, assignment=self.assignment, digest=self.digest,
                         problems=list(self.problems), **fields)


@dataclass(frozen=True)
class Note:
    """A report row about the input that belongs to no graded submission (an unknown archive or assignment)."""

    student: str
    assignment: str
    kind: str
    detail: str


@dataclass
class Part:
    """One graded cell of a submission, as the gradebook holds it."""

    notebook: str
    grade_id: str
    type: str  # "code" (autograded) or "markdown" (written answer)
    score: float | None
    auto_score: float | None
    manual_score: float | None
    max_score: float
    needs_manual_grade: bool
    misconceptions: list[str] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        """Nobody has scored this cell yet (a written answer before formgrader): its score is pending, not 0."""
        return unscored(self)


@dataclass
class JobRecord:
    student: str
    assignment: str
    status: str = GRADED
    digest: str = ""  # hash of the submitted files, to notice resubmissions on resume
    course_digest: str = ""  # hash of solutions/<assignment>/ it was graded against (tests, hidden tests, points)
    grader: str = ""  # grader_version() it was graded with
    problems: list[Problem] = field(default_factory=list)
    detail: str = ""  # the grader's error, when status is GRADER_ERROR
    deleted_tests: list[str] = field(default_factory=list)
    score: float = 0.0  # after late penalty, written answers included
    max_score: float = 0.0
    auto_score: float = 0.0
    auto_max: float = 0.0
    late_penalty: float = 0.0
    seconds_late: float = 0.0
    submitted_at: str | None = None  # UTC, from timestamp.txt
    needs_manual_grade: bool = False
    parts: list[Part] = field(default_factory=list)
    execution: dict = field(default_factory=dict)  # what SandboxedExecute reported (events, sandbox mode, times)
    seconds: float = 0.0

    @property
    def id(self) -> str:
        return job_id(self.student, self.assignment)

    @property
    def graded(self) -> bool:
        return self.status == GRADED

    @property
    def pending(self) -> list[str]:
        """Grade ids of the cells nobody has scored yet (written answers awaiting formgrader)."""
        return [p.grade_id for p in self.parts if p.pending]

    @property
    def changed_since_scored(self) -> list[Part]:
        """The written answers changed since the instructor scored them (pending again)."""
        return [p for p in self.parts if changed_since_scored(p)]

    def stale(self, course_digest: str) -> str:
        """Why this graded record no longer says what grading now would (``""``: it does), given the digest of the
        assignment's current instructor source."""
        if not self.course_digest:
            return "the course's tests may have changed (not recorded then)"
        if self.course_digest != course_digest:
            return "the course's tests changed"
        if self.grader != grader_version():
            return f"the grader changed ({self.grader} then, {grader_version()} now)"
        return ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, default=str)

    @classmethod
    def from_dict(cls, d: dict) -> JobRecord:
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        d["problems"] = [Problem(**p) for p in d.get("problems", [])]
        d["parts"] = [Part(**p) for p in d.get("parts", [])]
        return cls(**d)


def record_path(jobs_dir: Path, student: str, assignment: str) -> Path:
    return Path(jobs_dir) / f"{job_id(student, assignment)}.json"


def write_record(jobs_dir: Path, record: JobRecord) -> None:
    path = record_path(jobs_dir, record.student, record.assignment)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(record.to_json())
    os.replace(tmp, path)


def read_record(jobs_dir: Path, student: str, assignment: str) -> JobRecord | None:
    path = record_path(jobs_dir, student, assignment)
    if not path.exists():
        return None
    return JobRecord.from_dict(json.loads(path.read_text()))


EVENTS = ".events.json"  # what the sandboxed execution of a job reported, beside its record
FINDINGS = ".findings.jsonl"  # what the intake rules found in a job's notebooks, one Problem per line


def events_path(jobs_dir: Path, job: str) -> Path:
    """The events file of the job ``job`` (a :func:`job_id`)."""
    return Path(jobs_dir) / f"{job}{EVENTS}"


def findings_path(jobs_dir: Path, job: str) -> Path:
    """The findings file of the job ``job`` (a :func:`job_id`): the intake rules append to it."""
    return Path(jobs_dir) / f"{job}{FINDINGS}"


def read_findings(path: Path) -> list[Problem]:
    """The problems of a findings file, in the order found (none if it was not written)."""
    if not path.exists():
        return []
    return [Problem.from_json(line) for line in path.read_text().splitlines() if line.strip()]


def read_all(jobs_dir: Path) -> list[JobRecord]:
    """Every record in a jobs folder (not the sandbox's ``*.events.json``), sorted by assignment, student."""
    out = []
    for p in sorted(Path(jobs_dir).glob("*__*.json")):
        if not p.name.endswith(EVENTS):
            out.append(JobRecord.from_dict(json.loads(p.read_text())))
    return sorted(out, key=lambda r: (r.assignment, r.student))


NOTES = "notes.json"  # report rows about the input that belong to no submission (unknown archives, ...)


def write_notes(out, notes) -> None:
    (out / NOTES).write_text(json.dumps([n.__dict__ for n in notes], indent=1))


def read_notes(out) -> list[Note]:
    path = out / NOTES
    return [Note(**n) for n in json.loads(path.read_text())] if path.exists() else []
