"""Finding the submissions: (student, assignment, folder) in nbgrader's ``submitted`` layout or in LMS archives."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .jobs import Note
from .plugins.zipcollect import collect_zips
from .rows import Kind


@dataclass(frozen=True)
class Submission:
    student: str
    assignment: str
    folder: Path


def unusable_id(student: str) -> str:
    """Why nbgrader cannot grade a submission filed under ``student`` (``""`` if it can): control characters (tab,
    newline, other C0/C1), which its file lookups and regular expressions do not match. Glob characters are fine:
    the converters escape the id (see :mod:`.converters`)."""
    bad = sorted({c for c in student if unicodedata.category(c) == "Cc"})
    if bad:
        return "it contains " + ", ".join(repr(c) for c in bad)
    return ""


def discover(submissions: Path, out: Path, known: list[str], prepare,
             lms_timezone: str | None = None) -> tuple[list[Submission], list[Note]]:
    """Every submission of a known assignment under ``submissions``, and a note for everything else.

    ``prepare(assignments)`` sets up the grading course for the given assignments; zip collection
    needs it (nbgrader's ``zip_collect`` checks file names against the released notebooks), and writes into
    ``out``; ``lms_timezone`` is the zone of file-name times without one. Other layouts are read, not written.
    """
    if not submissions.exists():
        raise FileNotFoundError(f"submissions folder not found: {submissions}")
    notes: list[Note] = []
    src = submissions
    if any(p.is_file() and not p.is_symlink() for p in src.rglob("*.zip")):
        src = collect_zips(submissions, out, known, notes, prepare, lms_timezone)
    elif (src / "submitted").is_dir():
        src = src / "submitted"
    found = []
    if not src.is_dir():
        return found, notes
    for student_dir in sorted(p for p in src.iterdir() if not p.name.startswith(".")):
        if student_dir.is_symlink():
            notes.append(Note(student_dir.name, "-", Kind.LINK, f"{student_dir.name} is a symbolic link; not followed, "
                              "not graded"))
            continue
        if not student_dir.is_dir():
            continue
        why = unusable_id(student_dir.name)
        if why:
            notes.append(Note(student_dir.name, "-", Kind.BAD_STUDENT_ID, f"student id {student_dir.name!r} cannot be "
                              f"graded ({why}): rename the folder (or the file in the LMS archive) and grade again; "
                              "not graded, not in the grade files"))
            continue
        for adir in sorted(student_dir.iterdir()):
            if adir.is_symlink():
                notes.append(Note(student_dir.name, adir.name, Kind.LINK,
                                  f"{student_dir.name}/{adir.name} is a symbolic link; not followed, not graded"))
                continue
            if not adir.is_dir():
                continue
            if adir.name in known:
                found.append(Submission(student_dir.name, adir.name, adir))
            else:
                notes.append(Note(student_dir.name, adir.name, Kind.UNKNOWN_ASSIGNMENT,
                                  f"{adir.name} is not an assignment of this course; not graded"))
    return found, notes
