"""The progress file: each check's attempts, the student's variants and the gate's reading of written answers.

A small JSON file (:func:`progress_file`) that nothing graded reads: the self-checks (:mod:`reglab.checks`) record
each attempt in it (:func:`attempt_entry`: the best result stays, a later failure is noted), the mastery gate and
``reglab progress`` (:mod:`reglab.gate`) and ``reglab review`` read it. Under grading nothing is written
(:func:`recording`).

:data:`STATE` is what this kernel's checks run under, shared by the harness and the gate: the session its notebook's
setup cell declared (``checks.start_session``), whether attempts are recorded (the grader's checker turns it off),
whose variants are checked (the grader's checker sets it) and whether a review notebook runs.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
from pathlib import Path

from . import review

#: How a result is marked: a check's line, the gate's and the progress table's rows
PASS_MARK = "\u2714"  # check mark
FAIL_MARK = "\u2718"
TODO_MARK = "\u00b7"

#: The session the checks belong to, whether attempts are recorded, whose variants (see the module's text)
STATE = {"session": None, "record": True, "student": None}
#: Consecutive correct variants that master a part with variants (a first-try pass counts as one); a part with one
#: fixed instance is mastered when it passes.
MASTERY_STREAK = 2


def progress_file() -> Path:
    """Where results are recorded: ``$REGLAB_PROGRESS_FILE`` or ``~/.reglab/progress.json``."""
    env = os.environ.get("REGLAB_PROGRESS_FILE")
    return Path(env) if env else Path.home() / ".reglab" / "progress.json"


def recording() -> bool:
    """Whether attempts are recorded: not under grading, which must not write outside the submission's working
    directory (and the grader's checker never does)."""
    return STATE["record"] and os.environ.get("NBGRADER_EXECUTION") != "autograde"


def load_progress(path: Path | None = None) -> dict:
    """The recorded results: ``{session_id: {part_id: entry}}``.

    An entry keeps the best result and the last: ``"passed"`` (passed at least once), ``"attempts"``,
    ``"last_passed"`` and ``"when"`` (the last attempt), and ``"misconception"`` when the last attempt matched a
    named mistake. Files written before attempts were kept (``{"passed", "when"}``) read as one attempt. A written
    answer's entry, recorded by the gate from the notebook file, is ``{"written": True, "answered": bool,
    "saved": iso time}``.
    """
    path = path or progress_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def attempt_entry(old, passed, when, misconception=None, variant=None, reviewed=False) -> dict:
    """A part's progress entry after one more attempt: a pass, once shown, stays (a later failure is noted).

    For a part with variants (``variant``: the attempt number of the givens it was checked on) the entry also
    keeps ``"variant"``, ``"streak"`` (consecutive variants passed at their first check: a failure resets it, a
    variant passed after a failure on it does not count, checking a passed variant again changes nothing) and
    ``"mastered"`` (the streak reached :data:`MASTERY_STREAK` once; it stays, with ``"mastered_when"``), and the
    review schedule (:mod:`reglab.review`): ``"failed_when"`` (the first failure), ``"reviews"`` and
    ``"reviewed_when"`` (passes in a review notebook, ``reviewed``, while the part was due). A part without
    variants is mastered when it passes."""
    old = old if isinstance(old, dict) and not old.get("written") else {}
    attempts = old.get("attempts", 1 if "passed" in old else 0)
    entry = {"passed": bool(old.get("passed")) or bool(passed), "attempts": int(attempts) + 1,
             "last_passed": bool(passed), "when": when}
    if misconception and not passed:
        entry["misconception"] = misconception
    if variant is None:
        entry["mastered"] = entry["passed"]
        if entry["mastered"]:
            entry["mastered_when"] = old.get("mastered_when") or when
        return entry
    streak, fresh = int(old.get("streak", 0)), old.get("variant") != variant
    if not passed:
        streak = 0
    elif fresh:
        streak += 1
    entry.update(variant=variant, streak=streak, mastered=bool(old.get("mastered")) or streak >= MASTERY_STREAK)
    if entry["mastered"]:
        entry["mastered_when"] = old.get("mastered_when") or when
    for key in ("failed_when", "reviews", "reviewed_when"):  # the review schedule (reglab.review)
        if key in old:
            entry[key] = old[key]
    if not passed and "failed_when" not in entry:
        entry["failed_when"] = when
    due = review.due_at(old)
    if passed and reviewed and due is not None and due <= _dt.datetime.fromisoformat(when):
        entry["reviews"], entry["reviewed_when"] = int(old.get("reviews", 0)) + 1, when
    return entry


def update_session(session_id, changes) -> None:
    """Apply ``changes(entries of the session) -> None`` to the progress file, written atomically."""
    if session_id is None:
        return

    def change(data):
        entries = data.get(session_id)
        if not isinstance(entries, dict):
            entries = data[session_id] = {}
        changes(entries)

    update_file(change)


def update_file(change) -> None:
    """Apply ``change(whole progress data) -> None`` to the progress file, written atomically."""
    if not recording():
        return
    path = progress_file()
    try:
        data = load_progress(path)
        change(data)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".progress-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except OSError:
        pass  # progress is a convenience: never let it break a check
