"""Spaced review: which practised parts are due again, and a short notebook to review them on fresh variants.

A part with variants (:mod:`reglab.variants`) is due for review

* at once when it failed at some point and has had no successful review since (a pass in the session itself does
  not count: only a pass in a review notebook, see :func:`reglab.checks.reviewing`), and
* :data:`FIRST_DAYS` days after it was mastered, then after each successful review an interval
  :data:`GROWTH` times longer than the last (3, 9, 27, 81 days by default).

``reglab review`` writes a notebook of at most :data:`MAX_PARTS` due questions, most overdue first, each as a new
variant with the session's own answer cell and checks; each session's mastery gate lists what is due from earlier
sessions.
"""

from __future__ import annotations

import copy
import datetime as _dt
from dataclasses import dataclass
from pathlib import Path

from . import course, variants

#: Days from mastering a part to its first review.
FIRST_DAYS = 3
#: Each successful review multiplies the interval to the next by this.
GROWTH = 3
#: Questions in one review notebook at most.
MAX_PARTS = 10


def _when(text):
    try:
        return _dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None


def due_at(entry) -> _dt.datetime | None:
    """When a part's progress entry is due for review (None: not due, e.g. never mastered nor failed)."""
    if not isinstance(entry, dict) or entry.get("written") or "variant" not in entry:
        return None
    reviews = int(entry.get("reviews", 0))
    if entry.get("failed_when") and reviews == 0:
        return _when(entry["failed_when"])
    base = _when(entry.get("reviewed_when") or entry.get("mastered_when"))
    if base is None:
        return None
    return base + _dt.timedelta(days=FIRST_DAYS * GROWTH ** reviews)


@dataclass(frozen=True)
class Due:
    session: str
    question: str
    parts: tuple[str, ...]
    since: _dt.datetime  # due since then
    why: str

    def overdue_days(self, now) -> float:
        return (now - self.since).total_seconds() / 86400


def due(progress: dict, now: _dt.datetime | None = None, before_session: str | None = None) -> list[Due]:
    """The questions due for review, most overdue first (only sessions before ``before_session``, if given)."""
    now = now or _dt.datetime.now()
    out = []
    for session in course.SESSIONS:
        if before_session is not None and session.number >= course.get_session(before_session).number:
            break
        entries = progress.get(session.id)
        if not isinstance(entries, dict):
            continue
        for qid in variants.questions_with_variants(session.id):
            q = session.question(qid)
            dates = {p: due_at(entries.get(p)) for p in q.parts}
            ready = [d for d in dates.values() if d is not None and d <= now]
            if not ready:
                continue
            failed = any(isinstance(entries.get(p), dict) and entries[p].get("failed_when")
                         and not entries[p].get("reviews") for p in q.parts)
            why = "failed at some point" if failed else "mastered a while ago"
            out.append(Due(session.id, qid, tuple(p for p, d in dates.items() if d is not None and d <= now),
                           min(ready), why))
    return sorted(out, key=lambda d: d.since)


def _nbg(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def question_cells(nb, question: str):
    """The cells of a question in a session notebook: its text (the markdown cell above its answer cell), the answer
    cell and its test cells."""
    cells = nb.cells
    i = next(i for i, c in enumerate(cells) if _nbg(c).get("grade_id") == f"a_{question}")
    j = i + 1
    while j < len(cells) and _nbg(cells[j]).get("grade") and cells[j].cell_type == "code":
        j += 1
    text = next((c for c in reversed(cells[:i]) if c.cell_type == "markdown"), None)
    return ([text] if text is not None else []) + cells[i:j]


def build(items: list[Due], notebooks: Path, now: _dt.datetime):
    """The review notebook (nbformat) for ``items``, from the student notebooks in ``notebooks``."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    listing = "\n".join(f"- session {course.get_session(d.session).number}, {d.question} ({d.why})" for d in items)
    nb.cells.append(new_markdown_cell(
        f"# Review, {now:%Y-%m-%d}\n\nEach question below is a new variant of one you practised, with the session's "
        f"own checks. A pass here counts as a successful review: the next one comes after a longer interval.\n\n"
        f"{listing}"))
    nb.cells.append(new_code_cell("import numpy as np\n\nfrom reglab import checks\n\nchecks.reviewing()",
                                  metadata={"deletable": False, "editable": False}))
    sources = {}
    for d in items:
        session = course.get_session(d.session)
        if session.id not in sources:
            sources[session.id] = nbformat.read(notebooks / session.notebook, as_version=4)
        src = sources[session.id]
        setup = next(c for c in src.cells if c.cell_type == "code" and _nbg(c).get("locked"))
        nb.cells.append(new_markdown_cell(f"## Session {session.number}: {session.title}, {d.question}"))
        start = copy.deepcopy(setup)
        start.source = "\n".join(line for line in setup.source.splitlines() if not line.startswith("%"))
        nb.cells.append(start)
        for c in question_cells(src, d.question):
            nb.cells.append(copy.deepcopy(c))
    return nb


def write(progress: dict, notebooks: Path, out: Path, now: _dt.datetime | None = None,
          limit: int = MAX_PARTS) -> list[Due]:
    """Write the review notebook ``out`` of the most overdue questions (at most ``limit``), each moved to a new
    variant first; the questions it holds (none: nothing written)."""
    from . import checks

    now = now or _dt.datetime.now()
    items = due(progress, now)[:limit]
    if not items:
        return []
    for d in items:
        checks.move_to_new_variant(d.session, d.question)
    nb = build(items, notebooks, now)
    import nbformat

    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(out))
    return items
