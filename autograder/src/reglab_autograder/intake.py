"""Checking one submission's files before nbgrader sees them (file-level rules).

Every problem found here becomes a row of the report. The policy, in one place:

* unreadable notebooks (empty file, not UTF-8, malformed JSON, not a notebook) and notebooks of more than
  :data:`MAX_CELLS` cells are graded as the blank student version: 0 points, the gradebook still has the
  submission;
* a notebook with a wrong name is graded as missing (nbgrader gives 0);
* files the assignment does not have are dropped before grading (a ``reglab.py`` or ``numpy.py``
  next to the notebook would otherwise shadow the real modules in the kernel);
* a ``timestamp.txt`` (nbgrader's submission time) that cannot be read is set aside: the submission is
  graded as on time and flagged. Read as :func:`.plugins.late.read_timestamp` reads it: ISO 8601 date and time,
  then an offset or an IANA zone name, or no zone at all, which is UTC (nbgrader's own reading and the zone
  nbgrader's ``submit`` writes by default); a day/month order or an unknown zone is unreadable. One that
  nbgrader's ``parse_utc`` would read otherwise is rewritten as UTC first;
* links are never followed (:func:`walk_files`): a notebook that is a link to a classmate's is graded as
  missing, a linked folder is not copied, a link loop is a row like any other.

Rules about the cells inside a readable notebook (foreign notebooks, edited or unknown test cells,
tampering, old formats) are nbgrader preprocessors: :mod:`.preprocessors.intake_rules`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import stat
import warnings
from pathlib import Path

import nbformat

from .jobs import Problem
from .plugins.late import nbgrader_reads, read_timestamp
from .rows import Kind

TIMESTAMP = "timestamp.txt"  # nbgrader's submission time, next to the notebooks
SET_ASIDE = ".timestamp.txt.unreadable"
MAX_FILES = 200  # files taken from one submission
MAX_BYTES = 50 * 1024 * 1024  # bytes taken from one submission
# cells one notebook may hold (the course's largest holds 65, 42 of them code): every code cell costs a round trip
# to the kernel, and 50,000 empty ones held a grading worker for minutes
MAX_CELLS = 1000


def walk_files(folder: Path) -> tuple[list[str], list[Problem]]:
    """The submission's regular files (relative paths, sorted), found without following any link.

    A link (to a classmate's notebook, a folder, a loop) is a problem row and is never read; so are
    special files (fifos, devices) and what goes beyond :data:`MAX_FILES` files or :data:`MAX_BYTES`."""
    files, problems, total = [], [], 0
    links, special = [], []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        rel_dir = os.path.relpath(dirpath, folder)
        for d in list(dirnames):
            if os.path.islink(os.path.join(dirpath, d)):
                links.append(os.path.normpath(os.path.join(rel_dir, d)))
                dirnames.remove(d)
        dirnames.sort()
        for name in sorted(filenames):
            p = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                links.append(rel)
            elif not stat.S_ISREG(st.st_mode):
                special.append(rel)
            elif len(files) >= MAX_FILES or total + st.st_size > MAX_BYTES:
                problems.append(Problem(Kind.TOO_LARGE, f"{rel}: beyond the {MAX_FILES} files / "
                                        f"{MAX_BYTES // 2**20} MB taken from one submission; not read"))
            else:
                files.append(rel)
                total += st.st_size
    if links:
        problems.append(Problem(Kind.LINK, "symbolic links are not followed (their targets are never read or "
                                "copied): " + ", ".join(sorted(links)[:10])))
    if special:
        problems.append(Problem(Kind.SPECIAL_FILE, "not regular files, not read: " + ", ".join(sorted(special)[:10])))
    return sorted(files), problems


def digest_dir(path: Path) -> str:
    h = hashlib.sha256()
    for rel in walk_files(path)[0]:
        h.update(rel.encode())
        with open(path / rel, "rb", opener=_nofollow) as fh:
            h.update(fh.read())
    return h.hexdigest()[:16]


def _nofollow(path, flags):
    return os.open(path, flags | os.O_NOFOLLOW)


def remove_links(folder: Path) -> None:
    """Delete every link and special file under ``folder`` (a submission graded in place)."""
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode) or not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
                os.unlink(p)


def copy_submission(src: Path, dst: Path) -> list[Problem]:
    """Copy a submission's regular files into ``dst`` (replaced), never following a link; returns the problems."""
    files, problems = walk_files(src)
    if dst.is_symlink() or dst.exists():
        shutil.rmtree(dst) if dst.is_dir() and not dst.is_symlink() else dst.unlink()
    dst.mkdir(parents=True)
    for rel in files:
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(src / rel, "rb", opener=_nofollow) as fin, open(target, "wb") as fout:
            shutil.copyfileobj(fin, fout)
    return problems


def check_submission(submitted_dir: Path, source_dir: Path, release_dir: Path,
                     exchange_zone: str | None = None) -> list[Problem]:
    """Validate and, where the policy says so, replace a submission's files in place; returns the problems."""
    problems: list[Problem] = []
    expected = sorted(p.name for p in release_dir.glob("*.ipynb"))
    allowed = {p.relative_to(source_dir).as_posix() for p in source_dir.rglob("*") if p.is_file()} | {TIMESTAMP}
    present = walk_files(submitted_dir)[0]
    notebooks = [p for p in present if p.endswith(".ipynb")]

    extra = [p for p in present if p not in allowed and not p.startswith(".")]
    wrong_names = [p for p in notebooks if p not in expected]
    for name in expected:
        if name not in notebooks:
            hint = f" (found {', '.join(wrong_names)})" if wrong_names else ""
            problems.append(Problem(Kind.WRONG_NAME if wrong_names else Kind.MISSING,
                                    f"{name} was not submitted{hint}; graded as missing (0 points)", zero=True))
    if extra:
        problems.append(Problem(Kind.EXTRA_FILES, "dropped before grading: " + ", ".join(extra)))
    for p in extra:
        (submitted_dir / p).unlink()
    _check_timestamp(submitted_dir, problems, exchange_zone)

    for name in expected:
        path = submitted_dir / name
        if path.is_symlink():
            path.unlink()  # never written through
        if not path.exists() or _unreadable(path, problems):
            shutil.copy(release_dir / name, path)  # the gradebook gets a blank (0-point) submission
    return problems


FUTURE_SLACK = dt.timedelta(minutes=5)  # clocks that differ a little are not "in the future"


def timestamp_problem(folder: Path, exchange_zone: str | None = None,
                      now: dt.datetime | None = None) -> tuple[dt.datetime | None, Problem | None]:
    """The submission time in ``folder``'s ``timestamp.txt`` (UTC, naive; None without a usable one) and the
    problem with it, if any: unreadable ("bad timestamp") or later than ``now`` ("submission time in the
    future"). Both are graded as on time. ``reglab check`` and grading call this one function."""
    path = folder / TIMESTAMP
    if not path.is_file() or path.is_symlink():
        return None, None
    text = path.read_bytes().decode("utf-8", errors="replace")
    try:
        when = read_timestamp(text, exchange_zone)
    except ValueError as exc:
        return None, Problem(Kind.BAD_TIMESTAMP, f"{TIMESTAMP} holds {text.strip()[:60]!r}, not a time ({exc}); "
                             "graded as on time: check the submission time by hand")
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if when > now + FUTURE_SLACK:
        return None, Problem(Kind.FUTURE_TIMESTAMP, f"{TIMESTAMP} says {when:%Y-%m-%d %H:%M} UTC, after "
                             "now: a wrong clock or an edited file; graded as on time: check it by hand")
    return when, None


def _check_timestamp(submitted_dir: Path, problems: list[Problem], exchange_zone: str | None = None) -> None:
    path = submitted_dir / TIMESTAMP
    if not path.exists():
        return
    text = path.read_bytes().decode("utf-8", errors="replace")
    when, problem = timestamp_problem(submitted_dir, exchange_zone)
    if problem is not None:
        path.replace(submitted_dir / SET_ASIDE)  # kept with the submission, out of nbgrader's way
        problems.append(problem)
        return
    if nbgrader_reads(text) != when:  # nbgrader reads the copy: in a form it reads as this very instant
        path.write_text(f"{when:%Y-%m-%d %H:%M:%S.%f} UTC")


def _unreadable(path: Path, problems: list[Problem]) -> bool:
    """True (and a problem) when nbgrader could not read this notebook at all."""
    raw = path.read_bytes()
    name = path.name
    if not raw.strip():
        problems.append(Problem(Kind.EMPTY, f"{name} is empty; graded as blank", zero=True))
        return True
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(Kind.NOT_UTF8, f"{name} is not UTF-8 text ({exc.reason} at byte {exc.start}); "
                                "graded as blank", zero=True))
        return True
    try:
        raw_nb = json.loads(text)
    except RecursionError:
        problems.append(Problem(Kind.MALFORMED, f"{name} nests its JSON too deeply to read; graded as blank",
                                zero=True))
        return True
    except ValueError as exc:
        problems.append(Problem(Kind.MALFORMED, f"{name} is not valid JSON ({exc}); graded as blank", zero=True))
        return True
    cells = raw_nb.get("cells") if isinstance(raw_nb, dict) else None
    if isinstance(cells, list) and len(cells) > MAX_CELLS:
        problems.append(Problem(Kind.TOO_LARGE, f"{name} holds {len(cells):,} cells, more than the {MAX_CELLS:,} a "
                                "notebook may hold (the course's notebooks hold under 100); not run, graded as blank: "
                                "delete the extra cells and submit again", zero=True))
        return True
    try:
        with warnings.catch_warnings():  # old formats and missing cell ids are repaired when grading
            warnings.simplefilter("ignore")
            nb = nbformat.reads(text, as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no cells")
    except Exception as exc:  # nbformat raises many kinds
        problems.append(Problem(Kind.NOT_A_NOTEBOOK, f"{name} is JSON but not a notebook ({type(exc).__name__}: "
                                f"{str(exc)[:120]}); graded as blank", zero=True))
        return True
    return False
