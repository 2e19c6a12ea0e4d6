"""Checking one submission's files before nbgrader sees them (file-level rules).

Every problem found here becomes a row of the report. The policy, in one place:

* unreadable notebooks (empty file, not UTF-8, malformed JSON, not a notebook) are graded as the blank
  student version: 0 points, the gradebook still has the submission;
* a notebook with a wrong name is graded as missing (nbgrader gives 0);
* files the assignment does not have are dropped before grading (a ``reglab.py`` or ``numpy.py``
  next to the notebook would otherwise shadow the real modules in the kernel);
* a ``timestamp.txt`` (nbgrader's submission time) that cannot be read is set aside: the submission is
  graded as on time and flagged.

Rules about the cells inside a readable notebook (foreign notebooks, edited or unknown test cells,
tampering, old formats) are nbgrader preprocessors: :mod:`.preprocessors`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings
from pathlib import Path

import nbformat

from .jobs import Problem
from .late import read_timestamp

TIMESTAMP = "timestamp.txt"  # nbgrader's submission time, next to the notebooks
SET_ASIDE = ".timestamp.txt.unreadable"


def digest_dir(path: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(path)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def check_submission(submitted_dir: Path, source_dir: Path, release_dir: Path) -> list[Problem]:
    """Validate and, where the policy says so, replace a submission's files in place; returns the problems."""
    problems: list[Problem] = []
    expected = sorted(p.name for p in release_dir.glob("*.ipynb"))
    allowed = {p.relative_to(source_dir).as_posix() for p in source_dir.rglob("*") if p.is_file()} | {TIMESTAMP}
    present = sorted(p.relative_to(submitted_dir).as_posix() for p in submitted_dir.rglob("*") if p.is_file())
    notebooks = [p for p in present if p.endswith(".ipynb")]

    extra = [p for p in present if p not in allowed and not p.startswith(".")]
    wrong_names = [p for p in notebooks if p not in expected]
    for name in expected:
        if name not in notebooks:
            hint = f" (found {', '.join(wrong_names)})" if wrong_names else ""
            problems.append(Problem("wrong name" if wrong_names else "missing",
                                    f"{name} was not submitted{hint}; graded as missing (0 points)", zero=True))
    if extra:
        problems.append(Problem("extra files", "dropped before grading: " + ", ".join(extra)))
    for p in extra:
        (submitted_dir / p).unlink()
    _check_timestamp(submitted_dir, problems)

    for name in expected:
        path = submitted_dir / name
        if not path.exists() or _unreadable(path, problems):
            shutil.copy(release_dir / name, path)  # the gradebook gets a blank (0-point) submission
    return problems


def _check_timestamp(submitted_dir: Path, problems: list[Problem]) -> None:
    path = submitted_dir / TIMESTAMP
    if not path.exists():
        return
    text = path.read_bytes().decode("utf-8", errors="replace")
    try:
        read_timestamp(text)
    except ValueError as exc:
        path.replace(submitted_dir / SET_ASIDE)  # kept with the submission, out of nbgrader's way
        problems.append(Problem("bad timestamp", f"{TIMESTAMP} holds {text.strip()[:60]!r}, not a time ({exc}); "
                                "graded as on time: check the submission time by hand"))


def _unreadable(path: Path, problems: list[Problem]) -> bool:
    """True (and a problem) when nbgrader could not read this notebook at all."""
    raw = path.read_bytes()
    name = path.name
    if not raw.strip():
        problems.append(Problem("empty", f"{name} is empty; graded as blank", zero=True))
        return True
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem("not utf-8", f"{name} is not UTF-8 text ({exc.reason} at byte {exc.start}); "
                                "graded as blank", zero=True))
        return True
    try:
        json.loads(text)
    except ValueError as exc:
        problems.append(Problem("malformed", f"{name} is not valid JSON ({exc}); graded as blank", zero=True))
        return True
    try:
        with warnings.catch_warnings():  # old formats and missing cell ids are repaired when grading
            warnings.simplefilter("ignore")
            nb = nbformat.reads(text, as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no cells")
    except Exception as exc:  # nbformat raises many kinds
        problems.append(Problem("not a notebook", f"{name} is JSON but not a notebook ({type(exc).__name__}: "
                                f"{str(exc)[:120]}); graded as blank", zero=True))
        return True
    return False
