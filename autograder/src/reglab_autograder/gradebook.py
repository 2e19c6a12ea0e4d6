"""What the pipeline reads from and edits in nbgrader's gradebook (through ``nbgrader.api.Gradebook``)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from .common import grade_id
from .jobs import JobRecord, Part, changed_since_scored, overridden


def alembic_head() -> str:
    """The schema revision nbgrader stamps a new gradebook with, read from its migration scripts in this process
    (nbgrader asks the ``alembic`` command for it: a second Python process, about 2.5 s of every grading run)."""
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    return ScriptDirectory(ALEMBIC_DIR).get_current_head()


def create(db_url: str) -> None:
    """Create the gradebook's tables and stamp their revision, as nbgrader's ``Gradebook`` does for a new
    database; an existing gradebook is left as it is."""
    from nbgrader.api import Base
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(db_url, future=True)
    try:
        with engine.begin() as con:
            if inspect(con).get_table_names():
                return
            Base.metadata.create_all(bind=con)
            con.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            con.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": alembic_head()})
    finally:
        engine.dispose()


def create_students(db_url: str, students, roster=()) -> None:
    """Create every student before the workers start: nbgrader's update_or_create_student is a
    check-then-insert, and two workers grading one student's two assignments raced on it
    (UNIQUE constraint failed: student.id). The ``roster``'s students (:class:`.roster.Student`) are created
    too, with their names and e-mails."""
    with Gradebook(db_url) as gb:
        for s in students:
            gb.update_or_create_student(s)
        for s in roster:
            gb.update_or_create_student(s.student_id, first_name=s.first_name or None,
                                        last_name=s.last_name or None, email=s.email or None)


def set_due_dates(db_url: str, due: dict) -> None:
    """Record each assignment's due date in the gradebook (as nbgrader stores times: UTC, naive); nbgrader
    computes lateness from it."""
    from .plugins.late import utc_naive

    with Gradebook(db_url) as gb:
        for aid, when in due.items():
            gb.update_or_create_assignment(aid, duedate=utc_naive(when))


def zero_deleted_tests(db_url: str, autograded_dir: Path, student: str, assignment: str) -> list[str]:
    """nbgrader leaves a deleted test cell ungraded ('needs manual grade'); score it 0 instead.
    Returns ``notebook:grade_id`` of each such cell."""
    deleted = []
    with Gradebook(db_url) as gb:
        sub = gb.find_submission(assignment, student)
        for nb in sub.notebooks:
            path = autograded_dir / student / assignment / f"{nb.name}.ipynb"
            present = {grade_id(c) for c in nbformat.read(path, as_version=4).cells} if path.exists() else set()
            for g in nb.grades:
                if g.cell.cell_type == "code" and g.name not in present and g.auto_score is None:
                    g.auto_score = 0
                    g.needs_manual_grade = False
                    deleted.append(f"{nb.name}:{g.name}")
        gb.db.commit()
    return deleted


def graders_verdicts(db_url: str, student: str, assignment: str) -> dict:
    """{(notebook, grade_id): needs_manual_grade} of the cells of one submission a grader has scored in formgrader."""
    from nbgrader.api import MissingEntry

    with Gradebook(db_url) as gb:
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return {}
        return {(nb.name, g.name): g.needs_manual_grade for nb in sub.notebooks for g in nb.grades
                if g.manual_score is not None}


def written_answers(folder: Path) -> dict:
    """{(notebook, grade_id): source} of the graded markdown cells (written answers) of the notebooks in ``folder``
    (a submission's autograded copy; empty when there is none)."""
    out = {}
    for path in sorted(folder.glob("*.ipynb")) if folder.is_dir() else ():
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 - an unreadable old copy: its answers count as changed
            continue
        for c in nb.cells:
            if c.cell_type == "markdown" and grade_id(c) and c.get("metadata", {}).get("nbgrader", {}).get("grade"):
                out[(path.stem, grade_id(c))] = c.source
    return out


def restore_verdicts(db_url: str, student: str, assignment: str, verdicts: dict, unchanged) -> None:
    """After grading a submission again: nbgrader's autograde keeps the manual scores, extra credit and comments of
    a submission it grades again (it finds the submission and its grades and only sets their automatic part), but
    marks every manually scored cell "needs manual grade" again; a written answer the grader has scored
    (:func:`graders_verdicts` before the regrade) and the student has not changed (``unchanged((notebook,
    grade_id))``) keeps the grader's verdict. A changed one stays "needs manual grade" with its old score and
    comment: :func:`.jobs.changed_since_scored`, pending."""
    with Gradebook(db_url) as gb:
        sub = gb.find_submission(assignment, student)
        for nb in sub.notebooks:
            for g in nb.grades:
                key = (nb.name, g.name)
                if g.cell.cell_type == "markdown" and key in verdicts and g.manual_score is not None and unchanged(key):
                    g.needs_manual_grade = verdicts[key]
        gb.db.commit()


def fill_scores(db_url: str, record: JobRecord, misconceptions: dict | None = None) -> JobRecord:
    """Copy the submission's scores (autograded, manual, late penalty) from the gradebook into ``record``.

    ``misconceptions`` maps (notebook, grade_id) to the misconception ids a failed test reported.
    """
    misconceptions = misconceptions or {}
    old = {(p.notebook, p.grade_id): p.misconceptions for p in record.parts}
    with Gradebook(db_url) as gb:
        sub = gb.find_submission(record.assignment, record.student)
        parts = []
        for nb in sub.notebooks:
            for g in nb.grades:
                key = (nb.name, g.name)
                parts.append(Part(notebook=nb.name, grade_id=g.name, type=g.cell.cell_type, score=g.score,
                                  auto_score=g.auto_score, manual_score=g.manual_score, max_score=g.max_score,
                                  needs_manual_grade=g.needs_manual_grade,
                                  misconceptions=misconceptions.get(key, old.get(key, []))))
        auto = [p for p in parts if p.type == "code" and not overridden(p)]  # an override is a manual score
        record.parts = parts
        record.late_penalty = float(sub.late_submission_penalty or 0)
        record.score = float(submission_score(sub)) - record.late_penalty
        record.max_score = float(sub.max_score)
        record.auto_score = float(sum(p.score or 0 for p in auto))
        record.auto_max = float(sum(p.max_score for p in auto))
        record.needs_manual_grade = bool(sub.needs_manual_grade)
        record.seconds_late = float(sub.total_seconds_late or 0)
        record.submitted_at = sub.timestamp.isoformat(sep=" ", timespec="seconds") if sub.timestamp else None
    return record


def submission_score(sub) -> float:
    """nbgrader's score of a submission (before its late penalty) without the old manual scores of written answers
    changed since they were scored (:func:`.jobs.changed_since_scored`: pending)."""
    stale = sum(float(g.manual_score) for nb in sub.notebooks for g in nb.grades if changed_since_scored(g))
    return float(sub.score) - stale


def manual_counts(db_url: str) -> dict:
    """{assignment: (manual scores, comments)}: how many cells graders scored and commented in formgrader."""
    out = {}
    with Gradebook(db_url) as gb:
        for a in gb.assignments:
            nbs = [nb for sub in a.submissions for nb in sub.notebooks]
            out[a.name] = (sum(g.manual_score is not None for nb in nbs for g in nb.grades),
                           sum(bool(c.manual_comment) for nb in nbs for c in nb.comments))
    return out


def code_scores(db_url: str) -> dict:
    """{(student, assignment, notebook, grade_id): score} of every autograded cell in a gradebook."""
    out = {}
    with Gradebook(db_url) as gb:
        for a in gb.assignments:
            for sub in a.submissions:
                for nb in sub.notebooks:
                    for g in nb.grades:
                        if g.cell.cell_type == "code":
                            out[(sub.student.id, a.name, nb.name, g.name)] = g.score
    return out


def submissions(db_url: str) -> list[tuple[str, str]]:
    """(student, assignment) of every submission in the gradebook."""
    with Gradebook(db_url) as gb:
        return sorted((s.student.id, a.name) for a in gb.assignments for s in a.submissions)
