"""The class roster: ``reglab grade SUBMISSIONS --roster roster.csv``.

A CSV file, UTF-8, one student a row with the columns ``student_id,first_name,last_name,email`` (a header
row with these names is allowed; names and e-mail may be empty). The student ids are the ones the
submissions are filed under. The roster fills nbgrader's gradebook students, so ``grades.csv`` has names
and e-mails; a student on the roster without a submission gets 0 in ``grades.csv`` and a "missing" report
row; a student who submitted but is not on the roster is graded and gets a "not on the roster" row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from .jobs import Note
from .rows import Kind

COLUMNS = ("student_id", "first_name", "last_name", "email")


@dataclass(frozen=True)
class Student:
    student_id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""


def load(path: Path) -> list[Student]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"roster not found: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"roster {path} is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8 "
                         "CSV") from None
    return parse(text, str(path))


def parse(text: str, source: str = "roster") -> list[Student]:
    """The students of a roster's contents; ValueError naming the row, what is wrong and the fix."""
    rows = list(csv.reader(io.StringIO(text)))
    out: list[Student] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if number == 1 and tuple(c.lower() for c in cells) == COLUMNS:
            continue  # the header
        if len(cells) != len(COLUMNS):
            raise ValueError(f"{source}, row {number}: {len(cells)} column(s) {row!r}; each row is "
                             f"{','.join(COLUMNS)} (names and e-mail may be empty, commas inside a field quoted)")
        sid = cells[0]
        if not sid or sid.startswith(".") or "/" in sid or sid != row[0]:
            raise ValueError(f"{source}, row {number}: student id {row[0]!r} is not an id submissions can be filed "
                             "under (empty, a path, or surrounding spaces); use the id of the submission folders")
        if sid in seen:
            raise ValueError(f"{source}, row {number}: student {sid!r} is already on row {seen[sid]}; keep one row "
                             "per student")
        if cells[3] and "@" not in cells[3]:
            raise ValueError(f"{source}, row {number}: {cells[3]!r} is not an e-mail address; leave it empty or "
                             "fix it")
        seen[sid] = number
        out.append(Student(*cells))
    if not out:
        raise ValueError(f"{source} lists no student; one row per student: {','.join(COLUMNS)}")
    return out


def notes(students: list[Student], submitted: set[tuple[str, str]], assignments) -> list[Note]:
    """The report rows a roster adds: each roster student without a submission of a graded assignment
    ("missing"), each submitting student not on the roster."""
    on_roster = {s.student_id for s in students}
    out = [Note(s.student_id, a, Kind.MISSING, f"on the roster, no submission of {a}: 0 in grades.csv")
           for a in sorted(assignments) for s in students if (s.student_id, a) not in submitted]
    for student in sorted({s for s, _ in submitted} - on_roster):
        out.append(Note(student, "-", Kind.NOT_ON_ROSTER, f"{student} submitted but is not on the roster; graded "
                        "(add the student to the roster for a name and e-mail in grades.csv)"))
    return out
