"""The mastery gate and the progress table: what a student has passed, from the progress file.

Nothing here decides a grade. The gate cell at the end of each session's notebook calls :func:`mastery_gate`
(``checks.mastery_gate()``: :mod:`reglab.checks` re-exports it), ``reglab progress`` and :func:`progress` show
every session (:class:`ProgressReport`), and the grader shows the same gate, computed from a notebook's grades, on
its feedback page (:func:`gate_report`). A question passes when each of its parts passed at least once (and, with
variants, was mastered: :data:`reglab.progress.MASTERY_STREAK` variants in a row); the written answers are read from
the notebook file as last saved.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import os
from pathlib import Path

from . import course, review, variants
from .progress import (
    FAIL_MARK,
    MASTERY_STREAK,
    PASS_MARK,
    STATE,
    TODO_MARK,
    load_progress,
    progress_file,
    update_session,
)

__all__ = [
    "GateReport",
    "ProgressReport",
    "WRITTEN_WORDS",
    "gate_report",
    "mastery_gate",
    "progress",
    "progress_table",
    "written_answers",
]


def _status(results, parts, with_variants=False):
    """A question's status from its parts' entries: passed (each part passed at least once, and, for a question with
    variants, mastered: :data:`MASTERY_STREAK` variants in a row), practising (a question with variants whose parts
    all passed, not all mastered yet), failed (tried, not all passed), or not attempted (no part tried, or some
    passed and the others not tried yet)."""
    seen = [results.get(p) if isinstance(results.get(p), dict) else None for p in parts]
    if all(s is not None and s.get("passed") for s in seen):
        # a part passed before its question had variants (an entry without "variant") stays mastered
        if with_variants and not all(s.get("mastered", "variant" not in s) for s in seen):
            return "practising"
        return "passed"
    if any(s is not None and not s.get("passed") for s in seen):
        return "failed"
    return "not attempted"


def _later_failed(results, parts) -> bool:
    """Whether a part that passed once failed on a later run (the pass still counts)."""
    return any(isinstance(results.get(p), dict) and results[p].get("passed") and results[p].get("last_passed") is False
               for p in parts)


#: What a written answer's state reads like (the gate and ``reglab progress``)
WRITTEN_WORDS = {
    "answered": "answered, graded by your instructor",
    "not answered": "not answered",
    "graded": "graded by your instructor",
    "missing": "not in the notebook (was its cell deleted?)",
}
#: The answer cell's text as released (nbgrader's placeholder)
WRITTEN_PLACEHOLDER = "YOUR ANSWER HERE"
_COLORS = {"passed": "#1a7f37", "failed": "#cf222e", "not attempted": "#57606a", "practising": "#9a6700"}


def notebook_path():
    """The notebook this kernel runs, as JupyterLab tells the kernel (``__session__``, ``JPY_SESSION_NAME``), or
    None when it is not known (a plain Python shell, nbclient, an editor that does not say)."""
    names = [_user_namespace().get("__session__"), os.environ.get("JPY_SESSION_NAME")]
    for name in names:
        if isinstance(name, str) and name.endswith(".ipynb") and Path(name).is_file():
            return Path(name)
    return None


def _user_namespace() -> dict:
    """The namespace of the notebook's cells (empty outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of the course
        return {}
    return getattr(get_ipython(), "user_ns", {})


def written_answers(session, path) -> dict:
    """``{grade id: "answered" | "not answered" | "missing"}`` of the session's written answers in the notebook file
    ``path`` as last saved (a markdown answer cell still holding only the placeholder is not answered)."""
    try:
        cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        cells = []
    found = {}
    for cell in cells if isinstance(cells, list) else []:
        meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, dict) else {}
        gid = meta.get("grade_id") if isinstance(meta, dict) else None
        if gid in session.written:
            src = cell.get("source", "")
            text = "".join(src) if isinstance(src, list) else str(src)
            found[gid] = "not answered" if text.strip() in ("", WRITTEN_PLACEHOLDER) else "answered"
    return {gid: found.get(gid, "missing") for gid in session.written}


class GateReport:
    """What the mastery gate shows; renders as HTML in a notebook and as text elsewhere.

    ``written``: ``{grade id: state}`` of the written answers (see :data:`WRITTEN_WORDS`), or None when they could
    not be read (``written_note`` says why); ``written_note`` also says where the states come from."""

    def __init__(self, session, rows, ready, mistakes=None, later_failed=(), written=None, written_note="",
                 streaks=None, due_reviews=(), attempts=None):
        self.session, self.rows, self.ready = session, rows, ready
        self.attempts = attempts or {}  # part -> checks run on it (each variant's and each retry's)
        self.due_reviews = list(due_reviews)  # reglab.review.Due of earlier sessions
        self.streaks = streaks or {}  # part -> consecutive variants passed (parts with variants)
        self.mistakes = mistakes or {}  # question id -> misconception ids its failed parts last matched
        self.later_failed = set(later_failed)  # question ids that passed, then failed on a later run
        self.written, self.written_note = written, written_note

    def revisit(self, q):
        """What to reread for a question that has not passed, naming the known mistakes it last matched."""
        explained = [m.explanation for i in self.mistakes.get(q.id, []) for m in q.misconceptions
                     if i.endswith(f".{m.key}")]
        sections = [q.revisit] + [m.revisit for i in self.mistakes.get(q.id, []) for m in q.misconceptions
                                  if i.endswith(f".{m.key}") and m.revisit and m.revisit != q.revisit]
        text = "; ".join(course.section_heading(self.session.id, s) for s in dict.fromkeys(sections))
        return text + (f" (known mistake: {'; '.join(dict.fromkeys(explained))})" if explained else "")

    def status_text(self, q, status):
        """A question's status in words: mastery, attempts, and a pass that a later run failed."""
        if status == "practising":
            streak = min((self.streaks.get(p, 0) for p in q.parts), default=0)
            status = f"passed, not mastered yet ({streak} of {MASTERY_STREAK} variants in a row)"
        elif status == "passed" and any(p in self.streaks for p in q.parts):
            status = "passed, mastered"
        tried = sum(self.attempts.get(p, 0) for p in q.parts)
        status += f"; {tried} attempt{'s' if tried != 1 else ''}" if tried else ""
        return status + (" (a later run failed; your pass still counts)" if q.id in self.later_failed else "")

    def next_step(self, q, status):
        """What to do about a question that is not passed: a new variant to practise on, or what to reread."""
        return f'checks.new_variant("{q.id}")' if status == "practising" else self.revisit(q)

    def written_rows(self):
        """``[(grade id, words)]``; empty when there are no written answers."""
        if not self.session.written:
            return []
        if self.written is None:
            return [(gid, f"not known: {self.written_note}") for gid in self.session.written]
        return [(gid, WRITTEN_WORDS.get(self.written.get(gid), "not known")) for gid in self.session.written]

    def _missing(self):
        qs = [q.id for q, s in self.rows if q.required and s != "passed"]
        return qs + [gid for gid, st in (self.written or {}).items() if st in ("not answered", "missing")]

    def _next_text(self):
        nxt = course.next_session(self.session)
        if nxt is None:
            return "This is the last session."
        return f"Next: session {nxt.number}, {nxt.title} (../{nxt.notebook})"

    def _verdict_text(self):
        if self.ready:
            text = "All required questions pass"
            if self.session.written:
                text += (" and the written answers are in" if self.written is not None else
                         f"; check that you answered {', '.join(self.session.written)} (written)")
            return text + "."
        return f"Not yet: {', '.join(self._missing())} must be done before you move on."

    def text_rows(self, indent="  ", revisit="  -> revisit {}"):
        """One plain-text line per question, then per written answer (the gate's text; ``reglab progress``)."""
        lines = []
        for q, status in self.rows:
            mark = {"passed": PASS_MARK, "failed": FAIL_MARK}.get(status, TODO_MARK)
            extra = "" if status == "passed" else (f"  -> {self.next_step(q, status)}" if status == "practising"
                                                   else revisit.format(self.revisit(q)))
            lines.append(f"{indent}{mark} {q.id:<4} {q.title:<52} {self.status_text(q, status)}{extra}")
        for gid, words in self.written_rows():
            lines.append(f"{indent}{TODO_MARK} {gid:<4} {'Written answer':<52} {words}")
        return lines

    def review_text(self) -> str:
        """The questions of earlier sessions due for review, in one line ("" when none is)."""
        if not self.due_reviews:
            return ""
        items = ", ".join(f"session {course.get_session(d.session).number} {d.question}" for d in self.due_reviews)
        return f"Due for review from earlier sessions: {items}. `reglab review` writes a review notebook."

    def __repr__(self):
        lines = [f"Mastery gate - session {self.session.number}: {self.session.title}", *self.text_rows()]
        if self.due_reviews:
            lines.append(f"  {self.review_text()}")
        if self.written is not None and self.written_note:
            lines.append(f"  (written answers {self.written_note})")
        verdict = self._verdict_text()
        lines.append(f"{verdict} {self._next_text()}" if self.ready else verdict)
        return "\n".join(lines)

    def _repr_html_(self):
        rows = []
        for q, status in self.rows:
            mark = {"passed": PASS_MARK, "failed": FAIL_MARK}.get(status, TODO_MARK)
            revisit = "" if status == "passed" else html.escape(self.next_step(q, status))
            rows.append(
                f"<tr class='reglab-gate-{status.replace(' ', '-')}'><td style='color:{_COLORS[status]}'>{mark}</td>"
                f"<td>{q.id}</td><td>{html.escape(q.title)}</td>"
                f"<td style='color:{_COLORS[status]}'>{html.escape(self.status_text(q, status))}</td>"
                f"<td>{'yes' if q.required else 'no'}</td>"
                f"<td>{revisit}</td></tr>"
            )
        for gid, words in self.written_rows():
            rows.append(f"<tr class='reglab-gate-written'><td>{TODO_MARK}</td><td>{gid}</td><td>Written answer</td>"
                        f"<td>{html.escape(words)}</td><td>yes</td><td></td></tr>")
        note = (f"<p class='reglab-gate-written-note'><em>Written answers {html.escape(self.written_note)}.</em></p>"
                if self.written is not None and self.written_note else "")
        nxt = course.next_session(self.session)
        verdict = html.escape(self._verdict_text())
        if self.ready:
            link = "" if nxt is None else (f" <a href='../{nxt.notebook}'>Continue with session {nxt.number}: "
                                           f"{html.escape(nxt.title)}</a>.")
            verdict = f"<p class='reglab-gate-ready'><b>{PASS_MARK} {verdict}</b>{link}</p>"
        else:
            verdict = f"<p class='reglab-gate-blocked'><b>{verdict}</b></p>"
        due = (f"<p class='reglab-gate-review'>{html.escape(self.review_text())}</p>" if self.due_reviews else "")
        return (
            f"<div class='reglab-gate'><h4>Mastery gate: session {self.session.number}</h4>"
            "<style>.reglab-gate td,.reglab-gate th{text-align:left;padding:2px 10px}</style>"
            "<table><tr><th></th><th>question</th><th>what</th><th>status</th><th>required</th><th>revisit</th></tr>"
            + "".join(rows) + f"</table>{note}{due}{verdict}</div>"
        )


def gate_report(session_id=None, results=None, written=None, written_note=None):
    """Compute the gate for a session from the progress file (or given results).

    ``written`` (``{grade id: state}``) gives the written answers' states; without it they come from what the gate
    last read of the notebook file (recorded in the progress file), or are "not known"."""
    session = course.get_session(session_id or STATE["session"])
    due_reviews = []
    if results is None:
        everything = load_progress()
        results = everything.get(session.id, {})
        due_reviews = review.due(everything, before_session=session.id)
    if written is None and session.written:
        seen = {gid: results.get(gid) for gid in session.written}
        if all(isinstance(e, dict) and e.get("written") for e in seen.values()):
            written = {gid: e.get("state", "answered" if e.get("answered") else "not answered")
                       for gid, e in seen.items()}
            saved = str(next(iter(seen.values())).get("saved", ""))[:16].replace("T", " ")
            written_note = written_note or f"as the notebook was last saved ({saved}), read by its gate cell"
        else:
            written_note = written_note or ("not read yet: run the gate cell at the end of the session's notebook "
                                            "(in JupyterLab) to see them")
    rows = [(q, _status(results, q.parts, variants.spec(session.id, q.id) is not None)) for q in session.questions]
    ready = all(s == "passed" for q, s in rows if q.required) and \
        not any(st in ("not answered", "missing") for st in (written or {}).values())
    mistakes = {}
    for q in session.questions:
        ids = [results[p]["misconception"] for p in q.parts
               if isinstance(results.get(p), dict) and not results[p].get("passed") and results[p].get("misconception")]
        if ids:
            mistakes[q.id] = list(dict.fromkeys(ids))
    later = [q.id for q in session.questions if _later_failed(results, q.parts)]
    streaks = {p: _count(e.get("streak")) for p, e in results.items() if isinstance(e, dict) and "streak" in e}
    # only the progress file counts attempts (a graded notebook's results, in the feedback, have none to show)
    attempts = {p: _count(e.get("attempts")) for p, e in results.items()
                if isinstance(e, dict) and not e.get("written")}
    return GateReport(session, rows, ready, mistakes, later, written, written_note or "", streaks, due_reviews,
                      attempts)


def _count(value) -> int:
    """A count read from the progress file (0 for anything a hand edit left that is not a count)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _read_written(session):
    """The written answers' states read from this notebook's file (recorded for ``reglab progress``), or
    ``(None, why)`` when the file is not known."""
    if not session.written:
        return None, ""
    path = notebook_path()
    if path is None:
        return None, ("this notebook's file is not known to the kernel (open the notebook in JupyterLab), so the "
                      "gate cannot read them")
    states = written_answers(session, path)
    saved = _dt.datetime.fromtimestamp(path.stat().st_mtime).isoformat(timespec="seconds")

    def change(entries):
        for gid, st in states.items():
            entries[gid] = {"written": True, "answered": st == "answered", "state": st, "saved": saved}

    update_session(session.id, change)
    return states, f"as {path.name} was last saved ({saved[:16].replace('T', ' ')}): save it to update them"


def mastery_gate(session_id=None):
    """Show the mastery gate: what passed, what is missing, what to revisit, and whether to move on."""
    session = course.get_session(session_id or STATE["session"])
    written, note = _read_written(session)
    report = gate_report(session.id, written=written, written_note=note or None)
    _show(report)
    return None


def _show(obj):
    try:
        from IPython.display import display

        display(obj)
    except ImportError:  # pragma: no cover - IPython is a dependency of the course
        print(repr(obj))


class ProgressReport:
    """Every session's questions and written answers, as ``reglab progress`` prints them (HTML in a notebook)."""

    def __init__(self, results):
        self.reports = [gate_report(s.id, results[s.id] if isinstance(results.get(s.id), dict) else {})
                        for s in course.SESSIONS]

    def __repr__(self):
        out = [f"Progress file: {progress_file()}"]
        for rep in self.reports:
            session = rep.session
            if not session.questions:
                out.append(f"Session {session.number}  {session.title}: no autograded questions recorded yet")
                continue
            n_pass = sum(s == "passed" for _, s in rep.rows)
            state = "gate cleared" if rep.ready else "gate not cleared"
            out.append(f"Session {session.number}  {session.title}: {n_pass}/{len(rep.rows)} questions passed, "
                       f"{state}")
            out.extend(rep.text_rows(indent="    ", revisit="  (revisit {})"))
        return "\n".join(out)

    def _repr_html_(self):
        rows = []
        for rep in self.reports:
            n_pass = sum(s == "passed" for _, s in rep.rows)
            state = "gate cleared" if rep.ready else "gate not cleared"
            rows.append(f"<tr><th colspan='4'>Session {rep.session.number}: {html.escape(rep.session.title)} - "
                        f"{n_pass}/{len(rep.rows)} questions passed, {state}</th></tr>")
            for q, status in rep.rows:
                rows.append(f"<tr class='reglab-gate-{status.replace(' ', '-')}'><td>{q.id}</td>"
                            f"<td>{html.escape(q.title)}</td><td style='color:{_COLORS[status]}'>"
                            f"{html.escape(rep.status_text(q, status))}</td>"
                            f"<td>{'' if status == 'passed' else html.escape(rep.revisit(q))}</td></tr>")
            for gid, words in rep.written_rows():
                rows.append(f"<tr class='reglab-gate-written'><td>{gid}</td><td>Written answer</td>"
                            f"<td>{html.escape(words)}</td><td></td></tr>")
        return ("<div class='reglab-progress'><style>.reglab-progress td,.reglab-progress th{text-align:left;"
                "padding:2px 10px}</style><table>" + "".join(rows) + "</table></div>")


def progress_table(results=None) -> str:
    """Text table of every session's questions, as ``reglab progress`` prints it."""
    return repr(ProgressReport(load_progress() if results is None else results))


def progress():
    """Show every session's progress, as ``reglab progress`` does in a terminal (run it in any notebook cell)."""
    _show(ProgressReport(load_progress()))
