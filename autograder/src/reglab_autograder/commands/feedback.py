"""``reglab feedback OUT``: after scoring written answers in formgrader, regenerate every student's feedback
and refresh grades.csv, the per-question breakdown and the report, without running any notebook.

Late penalties are recomputed by nbgrader's own ``AssignLatePenalties`` (with the course's due dates and
penalty plugin, which may have changed since grading) on the current scores, manual ones included.
"""

from __future__ import annotations

import glob

import nbformat
from nbgrader.preprocessors import AssignLatePenalties

from .. import converters, gradebook, mathjax, report
from ..common import ensure_tools_on_path, log_tail, quiet_nbgrader_internals
from ..coursedir import GradingOutput, due_dates
from ..jobs import JobRecord, read_notes, read_record, write_record
from ..preprocessors import graded_view


def reassign_late_penalties(cfg, db_url: str, autograded, student: str, assignment: str) -> None:
    """Run nbgrader's ``AssignLatePenalties`` on each autograded notebook of one submission (no execution)."""
    pp = AssignLatePenalties(config=cfg)
    for path in sorted((autograded / student / assignment).glob("*.ipynb")):
        resources = {"nbgrader": {"student": student, "assignment": assignment, "notebook": path.stem,
                                  "db_url": db_url}}
        pp.preprocess(nbformat.read(path, as_version=4), resources)


def refresh(out, echo: bool = True) -> report.GradingResult:
    """Regenerate feedback and reports of the grading output ``out`` from its gradebook."""
    from nbgrader.apps import NbGraderAPI

    ensure_tools_on_path()
    quiet_nbgrader_internals()
    go = GradingOutput.open(out)
    subs = gradebook.submissions(go.db_url)
    if not subs:
        raise ValueError(f"the gradebook of {go.out} holds no submission: nothing to give feedback on")
    cfg = go.config()
    due = due_dates(cfg, {a for _, a in subs})  # a wrong due date stops here, before anything is rewritten
    gradebook.set_due_dates(go.db_url, due)
    api = NbGraderAPI(config=cfg)
    api.log.setLevel("ERROR")
    records = []
    for student, assignment in subs:
        record = read_record(go.out / "jobs", student, assignment) or JobRecord(student, assignment)
        reassign_late_penalties(cfg, go.db_url, go.out / "autograded", student, assignment)
        fb = converters.generate_feedback(api, assignment, glob.escape(student), force=True,  # ids are data
                                         config=graded_view.feedback_config(record.problems))
        if not fb.get("success"):
            record.detail = "feedback: " + log_tail(fb)
            record.status = "grader error"
        else:
            mathjax.install(go.out / "feedback" / student)
        gradebook.fill_scores(go.db_url, record)
        write_record(go.out / "jobs", record)
        records.append(record)
    ctx = report.ReportContext(out=go.out, db_url=go.db_url, settings=("feedback regenerated with manual scores",))
    result = report.write_all(ctx, records, read_notes(go.out), echo=echo)
    if echo:
        print("\n".join(picked_up(gradebook.manual_counts(go.db_url), records)))
    return result


SHOWN = 20  # submissions with ungraded answers named on the terminal, per assignment


def _pending_words(record) -> list[str]:
    changed = {p.grade_id for p in record.changed_since_scored}
    return [f"{gid} (changed since it was scored)" if gid in changed else gid for gid in record.pending]


def picked_up(counts: dict, records) -> list[str]:
    """Per assignment: the manual scores and comments found in the gradebook, and the written answers still
    ungraded (student: grade ids)."""
    lines = []
    for aid, (scores, comments) in sorted(counts.items()):
        pending = [f"{r.student}: {', '.join(_pending_words(r))}" for r in records if r.assignment == aid and r.pending]
        more = f"; and {len(pending) - SHOWN} more (grades_by_question.csv)" if len(pending) > SHOWN else ""
        left = f"still ungraded: {'; '.join(pending[:SHOWN])}{more}" if pending else "no written answer left ungraded"
        lines.append(f"{aid}: {scores} manual score(s) and {comments} comment(s) picked up; {left}")
    return lines
