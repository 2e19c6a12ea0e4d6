"""CSV files a spreadsheet can open safely: every field quoted, and a field that a spreadsheet would read as a
formula (it begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) prefixed with ``'``."""

from __future__ import annotations

import csv

from nbgrader.plugins import CsvExportPlugin

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value) -> str:
    """A text field as a spreadsheet shows it, never as a formula; numbers are kept as they are."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


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
                           "email": student.email, "max_score": assignment.max_score}
                    try:
                        sub = gradebook.find_submission(assignment.name, student.id)
                    except MissingEntry:
                        row.update(timestamp="", raw_score=0.0, late_submission_penalty=0.0, score=0.0)
                    else:
                        penalty = sub.late_submission_penalty
                        row.update(timestamp=sub.timestamp, raw_score=sub.score, late_submission_penalty=penalty,
                                   score=max(0.0, sub.score - penalty))
                    w.writerow([neutralize(row[k]) for k in self.KEYS])
