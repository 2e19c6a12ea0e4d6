"""CSV files a spreadsheet can open safely: every field quoted, and a field that a spreadsheet would read as a
formula (it begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) prefixed with ``'``."""

from __future__ import annotations

import csv

from nbgrader.plugins import CsvExportPlugin

from ..gradebook import submission_score
from ..jobs import unscored

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value) -> str:
    """A text field as a spreadsheet shows it, never as a formula; numbers are kept as they are."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


SCORE_DECIMALS = 4  # nbgrader's points can be fractional (0.125): enough to keep them, none of the float noise


def for_people(score):
    """A score as people read it: rounded to :data:`SCORE_DECIMALS` decimals, so 2.4000000000000004 is 2.4 and 0.125
    stays 0.125; None (no score) stays None. What the gradebook stores is never rounded."""
    return None if score is None else round(float(score), SCORE_DECIMALS) + 0.0  # + 0.0: no "-0.0"


def writer(fh):
    return csv.writer(fh, quoting=csv.QUOTE_ALL)


class SafeCsvExportPlugin(CsvExportPlugin):
    """nbgrader's ``grades.csv`` (same columns, same rows), written with the csv module: quoted, and student
    ids, names and e-mails that begin like a formula neutralized (nbgrader 0.9 joins raw strings with commas)."""

    KEYS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email", "raw_score",
            "late_submission_penalty", "score", "max_score"]

    def export(self, gradebook) -> None:
        from nbgrader.api import MissingEntry

        dest = self.to or "grades.csv"
        students = {str(s) for s in self.student}
        assignments = {str(a) for a in self.assignment}
        with open(dest, "w", newline="", encoding="utf-8") as fh:
            w = writer(fh)
            w.writerow(self.KEYS)
            for assignment in gradebook.assignments:
                if assignments and assignment.name not in assignments:
                    continue
                for student in gradebook.students:
                    if students and student.id not in students:
                        continue
                    row = {"assignment": assignment.name, "duedate": assignment.duedate, "student_id": student.id,
                           "last_name": student.last_name, "first_name": student.first_name,
                           "email": student.email, "max_score": for_people(assignment.max_score)}
                    try:
                        sub = gradebook.find_submission(assignment.name, student.id)
                    except MissingEntry:
                        row.update(timestamp="", raw_score=0.0, late_submission_penalty=0.0, score=0.0)
                    else:
                        row.update(timestamp=sub.timestamp, raw_score=for_people(submission_score(sub)),
                                   late_submission_penalty=for_people(sub.late_submission_penalty),
                                   score=for_people(final_score(sub)))
                    w.writerow([neutralize(row[k]) for k in self.KEYS])


def final_score(sub) -> float:
    """A submission's score after its late penalty, never below 0 (the ``score`` of ``grades.csv``); a written
    answer changed since it was scored counts nothing (:func:`.gradebook.submission_score`)."""
    return max(0.0, submission_score(sub) - (sub.late_submission_penalty or 0))


WIDE = "grades_wide.csv"
CANVAS = "grades_canvas.csv"
MOODLE = "grades_moodle.csv"
CANVAS_KEYS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_KEYS = ["First name", "Last name", "ID number", "Email address"]


def class_table(gradebook) -> tuple[list[str], list[dict]]:
    """The assignments, and one row per student of the gradebook: id, names, e-mail, each assignment's final score
    (0 when nothing was submitted), total, and the assignments whose written answers are still pending."""
    assignments = sorted(a.name for a in gradebook.assignments)
    rows = []
    for student in sorted(gradebook.students, key=lambda s: s.id):
        subs = {s.assignment.name: s for s in student.submissions}
        scores = {a: for_people(final_score(subs[a])) if a in subs else 0.0 for a in assignments}
        pending = [a for a in assignments if a in subs
                   and any(unscored(g) for nb in subs[a].notebooks for g in nb.grades)]
        rows.append({"student_id": student.id, "first_name": student.first_name or "",
                     "last_name": student.last_name or "", "email": student.email or "", "scores": scores,
                     "total": for_people(sum(scores.values())), "pending": pending})
    return assignments, rows


def write_lms_exports(gradebook, out) -> None:
    """``grades_wide.csv`` (one row per student, one column per assignment, total) and the same scores in the
    layouts of Canvas's and Moodle's gradebook CSV import (docs/instructors.md says how to import them)."""
    assignments, rows = class_table(gradebook)
    tables = {
        WIDE: (["student_id", "first_name", "last_name", "email", *assignments, "total", "pending"],
               lambda r: [r["student_id"], r["first_name"], r["last_name"], r["email"],
                          *r["scores"].values(), r["total"], " ".join(r["pending"])]),
        CANVAS: ([*CANVAS_KEYS, *assignments],
                 lambda r: [", ".join(n for n in (r["last_name"], r["first_name"]) if n) or r["student_id"], "",
                            r["student_id"], "", "", *r["scores"].values()]),
        MOODLE: ([*MOODLE_KEYS, *assignments],
                 lambda r: [r["first_name"], r["last_name"], r["student_id"], r["email"], *r["scores"].values()]),
    }
    for name, (header, cells) in tables.items():
        with open(out / name, "w", newline="", encoding="utf-8") as fh:
            w = writer(fh)
            w.writerow([neutralize(h) for h in header])
            for r in rows:
                w.writerow([neutralize(v) for v in cells(r)])
