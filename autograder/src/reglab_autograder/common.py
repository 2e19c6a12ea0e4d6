"""Helpers the grader's commands and layers share: this environment's tools on PATH, nbgrader's internals kept
quiet, nbgrader's own error out of a converter's log, and a cell's grade id.

It imports nothing of the grader: any module may use it, and no command reaches into another for these.
"""

from __future__ import annotations

import os
import sys
import warnings


def ensure_tools_on_path() -> None:
    """nbgrader's gradebook runs the ``alembic`` executable: make this environment's bin/ come first,
    also when ``reglab`` is called as .venv/bin/reglab without activating the venv."""
    bindir = os.path.dirname(sys.executable)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bindir:
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def quiet_nbgrader_internals() -> None:
    """nbgrader 0.9's gradebook emits SQLAlchemy session warnings on every autograde: not ours to fix."""
    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", category=SAWarning)


def log_tail(result: dict) -> str:
    """nbgrader's own error (the first [ERROR] block), not the generic wrapper around it."""
    log = (result.get("log") or "") + (result.get("error") or "")
    start = log.find("[ERROR]")
    end = log.find("There was an error processing", start)
    core = log[start:end] if start >= 0 else ""
    if len(core.strip()) < 60:  # no informative block: keep the end of the whole log
        core = log
    lines = [line for line in core.splitlines() if line.strip()]
    return "\n".join(lines[-40:])


def grade_id(cell) -> str | None:
    """The nbgrader grade id of a cell, or None (cells without nbgrader metadata have none)."""
    return cell.metadata.get("nbgrader", {}).get("grade_id") or None
