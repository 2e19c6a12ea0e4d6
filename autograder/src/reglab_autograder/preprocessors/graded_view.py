"""What a graded notebook tells the student, computed by the grader from the gradebook, never from what the
student's kernel printed.

* :class:`GradedGate` replaces the output of the mastery gate cell (the notebook's last cell) with the gate
  computed from this notebook's grades, with the course map's gate rules (``reglab.gate.gate_report``). Under
  grading the kernel records no progress, so the gate it prints says "not attempted" whatever the grades; a
  student's code could print anything there too. It runs after ``SaveAutoGrades`` in the autograde pass (what
  formgrader shows) and in the feedback pass (after manual grading).
* :class:`FeedbackSummary` puts a short box at the top of the feedback page saying what the instructor's report
  says about this notebook: deleted test cells (scored 0), locked cells put back, the late penalty with the due
  date, the submission time and the days late, and written answers still waiting for the instructor.
"""

from __future__ import annotations

import datetime as dt
import html
import math

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Dict, List

from ..common import grade_id
from ..jobs import changed_since_scored, unscored
from ..rows import Kind

GATE_NOTE = "Computed by the grader from the grades of this notebook (not from the notebook's own run)."


def _submitted_notebook(resources):
    """The gradebook's rows of the notebook being processed: (gradebook, notebook) or None."""
    info = resources["nbgrader"]
    gb = Gradebook(info["db_url"])
    try:
        return gb, gb.find_submission_notebook(info["notebook"], info["assignment"], info["student"])
    except MissingEntry:
        gb.close()
        return None


def graded_results(grades, present: set, misconceptions: dict) -> dict:
    """The gate's results ({part: {"passed": bool, "misconception": id}}) from the gradebook's grades of the
    autograded cells: a part passes with full points; a deleted test cell (not in ``present``) fails."""
    results = {}
    for gid, score, max_score in grades:
        passed = gid in present and score is not None and score >= max_score
        entry = {"passed": passed}
        if not passed and misconceptions.get(gid):
            entry["misconception"] = misconceptions[gid][0]
        results[gid] = entry
    return results


def written_state(grade) -> str:
    """A written answer's state for the gate (:data:`reglab.gate.WRITTEN_WORDS`) from its gradebook row: pending
    (changed from the released text, not scored yet), not answered (nbgrader scored the unchanged text 0), or
    graded."""
    if unscored(grade):
        return "answered"
    return "graded" if grade.manual_score is not None else "not answered"


class GradedGate(NbGraderPreprocessor):
    """The gate cell's output is the gate of this notebook's grades, said to be computed from them."""

    def preprocess(self, nb, resources):
        from reglab import checks, course

        from .. import misconceptions

        cells = [c for c in nb.cells if c.cell_type == "code" and grade_id(c) == course.GATE_ID]
        if not cells:
            return nb, resources
        for c in cells:
            c.outputs = []  # whatever the kernel printed there is not the gate
        try:
            session = course.get_session(resources["nbgrader"]["assignment"])
        except ValueError:
            return nb, resources  # not a course session: no gate rules to apply
        found = _submitted_notebook(resources)
        if found is None:
            return nb, resources
        gb, submitted = found
        with gb:
            grades = [(g.name, g.score, g.max_score) for g in submitted.grades if g.cell.cell_type == "code"]
            written = {g.name: written_state(g) for g in submitted.grades if g.cell.cell_type != "code"}
        present = {grade_id(c) for c in nb.cells}
        results = graded_results(grades, present, misconceptions.in_notebook(nb))
        written = {gid: written.get(gid, "missing") if gid in present else "missing" for gid in session.written}
        report = checks.gate_report(session.id, results, written=written, written_note="from the gradebook")
        for c in cells:
            c.outputs = [nbformat.v4.new_output(
                "display_data",
                data={"text/plain": f"{GATE_NOTE}\n{report!r}",
                      "text/html": f"<p class='reglab-gate-note'><em>{html.escape(GATE_NOTE)}</em></p>"
                                   f"{report._repr_html_()}"})]
        return nb, resources


#: What each kind of report row means for the student, in their words (kinds not listed are for the instructor only:
#: "review" flags code worth a look and costs nothing; "normalized" is an old notebook format, upgraded)
STUDENT_WORDS = {
    Kind.MISSING: "This notebook was not in your submission: it scores 0.",
    Kind.WRONG_NAME: "No notebook of this name was in your submission (a notebook under another name is not graded): "
                     "it scores 0.",
    Kind.EMPTY: "The notebook you submitted was empty: it was graded as blank.",
    Kind.NOT_UTF8: "The file you submitted could not be read as a notebook: it was graded as blank.",
    Kind.MALFORMED: "The file you submitted could not be read as a notebook: it was graded as blank.",
    Kind.NOT_A_NOTEBOOK: "The file you submitted could not be read as a notebook: it was graded as blank.",
    Kind.OTHER_ASSIGNMENT: "The notebook you submitted is not this assignment's (its setup and test cells are not "
                           "there): it was graded as blank.",
    Kind.EDITED_TEST: "You changed a locked test cell: the original test was put back and graded.",
    Kind.UPDATED_TEST: "A test of this notebook was updated after you received it: the current version was graded.",
    Kind.RETYPED_TEST: "You changed the type of a locked cell: the original code cell was put back and graded.",
    Kind.CHANGED_POINTS: "The grading settings of a cell had been edited: the assignment's own settings count.",
    Kind.CHANGED_CELL_FLAGS: "The grading settings of a cell had been edited: the assignment's own settings count.",
    Kind.CHANGED_CHECKSUM: "The grading settings of a cell had been edited: the assignment's own settings count.",
    Kind.REORDERED: "Locked cells had been moved: the tests ran where you put them.",
    Kind.DUPLICATE_GRADE_IDS: "Some graded cells appear more than once: the last copy was graded, the others ran as "
                              "ordinary cells.",
    Kind.UNKNOWN_GRADE_IDS: "Some cells carry grading settings that are not in this assignment: they ran as ordinary "
                            "cells, without points.",
    Kind.BAD_TIMESTAMP: "The time of your submission could not be read: it was graded as on time, and your instructor "
                        "checks the time by hand.",
    Kind.EXTRA_FILES: "Files that are not part of the assignment were left out of grading.",
    Kind.LINK: "Links in your submission were not followed.",
    Kind.SPECIAL_FILE: "Some files of your submission are not ordinary files and were not read.",
    Kind.TOO_LARGE: "Your submission has more or larger files than grading reads: the rest was not read.",
}


def _points(x: float) -> str:
    return f"{round(x, 2):g}"


def _when(t) -> str:
    return t.strftime("%Y-%m-%d %H:%M UTC")


def _duration(seconds: float) -> str:
    days, rest = divmod(int(round(seconds)), 86400)
    hours, rest = divmod(rest, 3600)
    parts = [f"{days} day{'s' * (days != 1)}"] if days else []
    if hours or not days:
        parts.append(f"{hours} hour{'s' * (hours != 1)}" if hours else f"{max(1, rest // 60)} min")
    return " ".join(parts)


def penalty_rule(plugin) -> str:
    """The late policy of ``plugin`` (:class:`..plugins.late.LatePenalty` or nbgrader's), in a student's words."""
    method = getattr(plugin, "penalty_method", "none")
    grace = getattr(plugin, "grace_minutes", 0.0)
    rule = {"zero": "a late notebook scores 0",
            "per_day": f"{_points(100 * getattr(plugin, 'fraction_per_day', 0))} % of the notebook's score "
                       "per started day late",
            }.get(method, "no penalty")
    return rule + (f", after {_points(grace)} minutes of grace" if grace and method != "none" else "")


def late_sentence(due, submitted, seconds_late: float, penalty: float, rule: str, extended: bool = False) -> str | None:
    """The late penalty explained, or None when the notebook was on time (or has no due date or time); ``due`` and
    ``seconds_late`` are the student's own (``extended``: an extension moved the due date)."""
    if due is None or submitted is None or seconds_late <= 0:
        return None
    days = math.ceil(seconds_late / 86400)
    text = (f"Submitted {_when(submitted)}, due {_when(due)}{' (with your extension)' * extended}: "
            f"{_duration(seconds_late)} late "
            f"({days} started day{'s' * (days != 1)}). Late policy: {rule}. ")
    if penalty > 0:
        return text + f"Late penalty on this notebook: {_points(penalty)} points, taken from its total."
    return text + "No points were taken."


def summary_lines(notebook: str, present: set, grades, problems, late: str | None) -> list[str]:
    """The sentences of the feedback box. ``grades``: (grade id, cell type, score, max score, manual score,
    needs manual grade) of the notebook's graded cells; ``present``: the grade ids of its cells; ``problems``:
    the report's rows of the submission ({"kind", "detail"})."""
    lines = []
    for gid, kind, _score, max_score, _manual, _needs in grades:
        if kind == "code" and gid not in present:
            lines.append(f"The test cell {gid} was deleted from your notebook: it could not run and scores 0 "
                         f"(of {_points(max_score)} points).")
    own = f"{notebook}.ipynb"
    for p in problems:
        words = STUDENT_WORDS.get(p.get("kind"))
        detail = p.get("detail", "")
        if words and (own in detail or ".ipynb" not in detail) and words not in lines:
            lines.append(words)
    if late:
        lines.append(late)
    for gid, kind, _score, max_score, manual, needs in grades:
        if kind != "code" and manual is None and needs:
            lines.append(f"Your written answer {gid} ({_points(max_score)} points) is pending: graded by your "
                         "instructor. Until then the total counts it as 0.")
    return lines


class FeedbackSummary(NbGraderPreprocessor):
    """A box at the top of the feedback: what the instructor's report says about this notebook, for the student."""

    problems = List(
        Dict(), help="The report's rows of this submission ({'kind', 'detail'}), set for each feedback run.",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        from ..plugins.late import LatePenalty

        found = _submitted_notebook(resources)
        if found is None:
            return nb, resources
        gb, submitted = found
        with gb:
            stale = {g.name: float(g.manual_score) for g in submitted.grades if changed_since_scored(g)}
            pending = {g.name for g in submitted.grades if unscored(g)}
            grades = [(g.name, g.cell.cell_type, None if g.name in stale else g.score, g.max_score,
                       None if g.name in stale else g.manual_score, g.needs_manual_grade) for g in submitted.grades]
            sub = submitted.assignment  # the submitted assignment
            policy = LatePenalty(config=self.config)
            info = resources["nbgrader"]
            moved = policy.extension(info["assignment"], info["student"])  # this student's extension, in seconds
            due = sub.duedate + dt.timedelta(seconds=moved) if sub.duedate is not None else None
            late = late_sentence(due, sub.timestamp, float(sub.total_seconds_late or 0) - moved,
                                 float(submitted.late_submission_penalty or 0), penalty_rule(policy),
                                 extended=moved > 0)
        hide_old_scores(nb, resources, pending, stale)
        present = {grade_id(c) for c in nb.cells}
        lines = summary_lines(resources["nbgrader"]["notebook"], present, grades, self.problems, late)
        if lines:
            items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
            box = (f"<div class='reglab-feedback-summary'><h2>About your grade</h2><ul>{items}</ul></div>")
            nb.cells.insert(0, nbformat.v4.new_markdown_cell(box))
        return nb, resources


def hide_old_scores(nb, resources, pending: set, stale: dict) -> None:
    """The ``pending`` written answers read pending, without a score (nbgrader's gradebook gives an unscored cell
    the score 0); those changed since they were scored (``stale``: grade id -> old manual score) have no comment
    either (score and comment were about the old answer; the instructor still sees them in formgrader), and the
    notebook's total (nbgrader's ``resources``) does not count their old scores."""
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if grade_id(cell) in pending or grade_id(cell) in stale:
            meta["score"] = None
            meta["pending"] = True  # the page's template (templates/reglab_feedback) says "pending" for these
        if grade_id(cell) in stale:
            meta.pop("comment", None)
    resources["nbgrader"]["score"] = resources["nbgrader"].get("score", 0) - sum(stale.values())


def feedback_config(problems):
    """The configuration of one submission's feedback run: the report's rows of that submission."""
    from traitlets.config import Config

    cfg = Config()
    cfg.FeedbackSummary.problems = [{"kind": p.kind, "detail": p.detail} for p in problems]
    return cfg
