"""The self-check harness every test cell of the course calls.

The same code runs when a student checks an answer and when nbgrader grades it, so "passed for me,
failed in grading" cannot happen:

* answers are converted to float numpy arrays and compared with an explicit tolerance by this
  module's own arithmetic, never through the answer object's ``__eq__``;
* shape, conversion to numbers, finiteness and values are checked separately, each failure with a
  message that says what was expected in words and a hint tied to a common mistake, never the
  hidden expected value;
* the student's code can be passed as a callable, and then runs with warnings and stderr captured:
  nbgrader scores a test cell that wrote to stderr as failed, so noise must not cost a correct
  answer its points, while real errors still fail;
* each result is recorded in a small progress file read by the mastery gate at the end of every
  session and by ``reglab progress``.

Typical test cell::

    checks.check("q2a", lambda: shrink(np.array([1.0, 3.0]), 1.0), [0.5, 0.75],
                 hint="divide each eigenvalue by (eigenvalue + alpha)")
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import html
import io
import json
import math
import numbers
import os
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from . import course

__all__ = [
    "AnswerError",
    "start_session",
    "check",
    "check_true",
    "check_choice",
    "quiet",
    "mastery_gate",
    "progress_table",
    "progress_file",
    "load_progress",
]

PASS_MARK = "\u2714"  # check mark
FAIL_MARK = "\u2718"
TODO_MARK = "\u00b7"

_state = {"session": None}


class AnswerError(AssertionError):
    """A wrong answer: the test cell fails (and nbgrader gives it 0 points) with this message."""


# ----------------------------------------------------------------------------- progress file


def progress_file() -> Path:
    """Where results are recorded: ``$REGLAB_PROGRESS_FILE`` or ``~/.reglab/progress.json``."""
    env = os.environ.get("REGLAB_PROGRESS_FILE")
    return Path(env) if env else Path.home() / ".reglab" / "progress.json"


def _recording() -> bool:
    # Grading runs must not write outside the submission's working directory.
    return os.environ.get("NBGRADER_EXECUTION") != "autograde"


def load_progress(path: Path | None = None) -> dict:
    """The recorded results: ``{session_id: {part_id: {"passed": bool, "when": iso time}}}``."""
    path = path or progress_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _record(session_id, part, passed):
    if session_id is None or not _recording():
        return
    path = progress_file()
    try:
        data = load_progress(path)
        data.setdefault(session_id, {})[part] = {
            "passed": bool(passed),
            "when": _dt.datetime.now().isoformat(timespec="seconds"),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".progress-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except OSError:
        pass  # progress is a convenience: never let it break a check


def start_session(session_id: str) -> None:
    """Declare which session the following checks belong to (the setup cell calls this)."""
    _state["session"] = course.get_session(session_id).id


# ------------------------------------------------------------------------------ comparisons


@contextlib.contextmanager
def quiet():
    """Run student code with warnings and stderr captured; yields a list of what was caught."""
    caught: list[str] = []
    buf = io.StringIO()
    with warnings.catch_warnings(record=True) as w, contextlib.redirect_stderr(buf):
        warnings.simplefilter("always")
        try:
            yield caught
        finally:
            caught.extend(f"{x.category.__name__}: {x.message}" for x in w)
            if buf.getvalue().strip():
                caught.append(buf.getvalue().strip())


def _evaluate(part, actual):
    """Call ``actual`` if it is the student's code; turn its exceptions into a clear failure."""
    __tracebackhide__ = True  # IPython hides this frame from the student
    if not callable(actual):
        return actual
    with quiet() as noise:
        try:
            value = actual()
        except NotImplementedError:
            raise AnswerError(f"{part}: not answered yet - replace `raise NotImplementedError()` with your code.") from None
        except AnswerError:
            raise
        except NameError as exc:
            raise AnswerError(f"{part}: {exc} - run the cell where you answer it (and the cells above it) first.") from None
        except Exception as exc:  # the student's code raised: report it as the failure
            raise AnswerError(f"{part}: your code raised {type(exc).__name__}: {exc}") from None
    if noise:
        shown = "; ".join(n.splitlines()[0][:120] for n in noise[:3])
        print(f"note: your code emitted {len(noise)} warning(s) (not counted against you): {shown}")
    return value


def _evaluated(part, value):
    """The student's value (calling it if it is their code); a failure is recorded before it propagates."""
    __tracebackhide__ = True  # IPython hides this frame from the student
    try:
        return _evaluate(part, value)
    except AnswerError:
        _record(_state["session"], part, False)
        raise


def _to_array(part, value, what):
    __tracebackhide__ = True  # IPython hides this frame from the student
    if isinstance(value, (str, bytes)) or callable(value) or value is None:
        _fail(part, f"{what} must be a number or an array of numbers, got {type(value).__name__}.", None)
    try:
        if isinstance(value, np.ndarray):
            arr = np.array(value, dtype=float, copy=True)
        elif isinstance(value, (numbers.Number, np.number)) and not isinstance(value, bool):
            arr = np.array(float(value))
        else:
            arr = np.array(value, dtype=float)
    except (TypeError, ValueError, OverflowError) as exc:
        _fail(part, f"{what} could not be read as numbers ({type(value).__name__}: {exc}).", None)
    return arr


def _fail(part, message, hint):
    __tracebackhide__ = True  # IPython hides this frame from the student
    text = f"{part}: {message}"
    if hint:
        text += f"\nHint: {hint}"
    _record(_state["session"], part, False)
    raise AnswerError(text)


def _succeed(part, message="passed"):
    _record(_state["session"], part, True)
    print(f"{PASS_MARK} {part} {message}")


def check(part, actual, expected, *, rtol=1e-7, atol=1e-10, hint=None, what="your answer"):  # noqa: C901
    """Compare a numeric answer with the expected value.

    Parameters
    ----------
    part : str
        The grade id of the test cell (e.g. ``"q2a"``).
    actual : number, array-like, or callable
        The student's answer, or a zero-argument callable that computes it (preferred: it runs with
        warnings captured and its errors reported clearly).
    expected : number or array-like
        Never printed.
    rtol, atol : float
        Tolerance: ``|actual - expected| <= atol + rtol * |expected|`` elementwise.
    hint : str, optional
        Shown on failure; tie it to the common mistake.
    what : str
        How to call the answer in messages (e.g. ``"shrink(...)"``).
    """
    __tracebackhide__ = True  # IPython hides this frame from the student
    value = _evaluated(part, actual)
    exp = np.asarray(expected, dtype=float)
    arr = _to_array(part, value, what)
    if arr.shape != exp.shape:
        if arr.size == exp.size and arr.squeeze().shape == exp.squeeze().shape:
            _fail(part, f"{what} has shape {arr.shape} but should have shape {exp.shape} (same numbers, "
                        "wrong arrangement: check for an extra axis, e.g. a column vector instead of a 1-D array).", hint)
        n = "a single number" if exp.ndim == 0 else f"an array of shape {exp.shape}"
        _fail(part, f"{what} should be {n}, got shape {arr.shape}.", hint)
    bad = ~np.isfinite(arr)
    if np.any(bad):
        where = np.argwhere(bad)[:3].tolist() if arr.ndim else []
        _fail(part, f"{what} contains NaN or infinity" + (f" (at index {where})" if where else "") +
              " - look for a division by zero or an overflow.", hint)
    diff = np.abs(arr - exp)
    tol = atol + rtol * np.abs(exp)
    wrong = diff > tol
    if np.any(wrong):
        if arr.ndim == 0:
            _fail(part, f"{what} is not the expected value (off by {float(diff):.3g}; tolerance {float(tol):.1g}).", hint)
        _fail(part, f"{int(wrong.sum())} of {arr.size} entries of {what} are wrong "
                    f"(largest error {float(diff.max()):.3g}; tolerance rtol={rtol:g}, atol={atol:g}).", hint)
    _succeed(part)


def check_true(part, condition, message, *, hint=None):
    """Pass when ``condition`` (a bool, or a callable returning one) is true; else fail with ``message``."""
    __tracebackhide__ = True  # IPython hides this frame from the student
    value = _evaluated(part, condition)
    if value is not True and not (isinstance(value, (bool, np.bool_)) and bool(value)):
        _fail(part, message, hint)
    _succeed(part)


def check_choice(part, answer, correct, *, hint=None):
    """Multiple choice: ``answer`` is a letter (``"b"``) or a set/str of letters (``{"a", "c"}``, ``"ac"``)."""
    __tracebackhide__ = True  # IPython hides this frame from the student
    def letters(x):
        if isinstance(x, str):
            return {c for c in x.lower() if c.isalpha()}
        if isinstance(x, (set, frozenset, list, tuple)) and all(isinstance(c, str) for c in x):
            return {c.strip().lower() for c in x}
        raise AnswerError(f"{part}: answer with a letter like 'b' or a set of letters like {{'a', 'c'}}, "
                          f"got {type(x).__name__}.")

    try:
        got = letters(_evaluated(part, answer))
    except AnswerError:
        _record(_state["session"], part, False)
        raise
    if not got:
        _fail(part, "no option chosen yet.", hint)
    if got != letters(correct):
        _fail(part, "not the right choice" + (" (more than one option may be right)" if len(letters(correct)) > 1 else "") + ".", hint)
    _succeed(part)


# ------------------------------------------------------------------------------ the gate


def _status(results, parts):
    seen = [results.get(p) for p in parts]
    if all(s is not None and s.get("passed") for s in seen):
        return "passed"
    if any(s is not None and not s.get("passed") for s in seen):
        return "failed"
    return "not attempted"


class GateReport:
    """What the mastery gate shows; renders as HTML in a notebook and as text elsewhere."""

    def __init__(self, session, rows, ready):
        self.session, self.rows, self.ready = session, rows, ready

    def _next_text(self):
        nxt = course.next_session(self.session)
        if nxt is None:
            return "This is the last session."
        return f"Next: session {nxt.number}, {nxt.title} (../{nxt.notebook})"

    def __repr__(self):
        lines = [f"Mastery gate - session {self.session.number}: {self.session.title}"]
        for q, status in self.rows:
            mark = {"passed": PASS_MARK, "failed": FAIL_MARK}.get(status, TODO_MARK)
            extra = "" if status == "passed" else f"  -> revisit {q.revisit}"
            lines.append(f"  {mark} {q.id:<4} {q.title:<52} {status}{extra}")
        if self.ready:
            lines.append(f"All required questions pass. {self._next_text()}")
        else:
            missing = [q.id for q, s in self.rows if q.required and s != "passed"]
            lines.append(f"Not yet: {', '.join(missing)} must pass before you move on.")
        return "\n".join(lines)

    def _repr_html_(self):
        colors = {"passed": "#1a7f37", "failed": "#cf222e", "not attempted": "#57606a"}
        rows = []
        for q, status in self.rows:
            mark = {"passed": PASS_MARK, "failed": FAIL_MARK}.get(status, TODO_MARK)
            revisit = "" if status == "passed" else html.escape(q.revisit)
            rows.append(
                f"<tr><td style='color:{colors[status]}'>{mark}</td><td>{q.id}</td><td>{html.escape(q.title)}</td>"
                f"<td style='color:{colors[status]}'>{status}</td><td>{'yes' if q.required else 'no'}</td><td>{revisit}</td></tr>"
            )
        nxt = course.next_session(self.session)
        if self.ready:
            link = "" if nxt is None else f" <a href='../{nxt.notebook}'>Continue with session {nxt.number}: {html.escape(nxt.title)}</a>."
            verdict = f"<p class='reglab-gate-ready'><b>{PASS_MARK} All required questions pass.</b>{link}</p>"
        else:
            missing = ", ".join(q.id for q, s in self.rows if q.required and s != "passed")
            verdict = f"<p class='reglab-gate-blocked'><b>Not yet:</b> {missing} must pass before you move on.</p>"
        return (
            f"<div class='reglab-gate'><h4>Mastery gate: session {self.session.number}</h4>"
            "<style>.reglab-gate td,.reglab-gate th{text-align:left;padding:2px 10px}</style>"
            "<table><tr><th></th><th>question</th><th>what</th><th>status</th><th>required</th><th>revisit</th></tr>"
            + "".join(rows) + f"</table>{verdict}</div>"
        )


def gate_report(session_id=None, results=None):
    """Compute the gate for a session from the progress file (or given results)."""
    session = course.get_session(session_id or _state["session"])
    if results is None:
        results = load_progress().get(session.id, {})
    rows = [(q, _status(results, q.parts)) for q in session.questions]
    ready = all(s == "passed" for q, s in rows if q.required)
    return GateReport(session, rows, ready)


def mastery_gate(session_id=None):
    """Show the mastery gate: what passed, what is missing, what to revisit, and whether to move on."""
    report = gate_report(session_id)
    try:
        from IPython.display import display

        display(report)
    except ImportError:  # pragma: no cover - IPython is a dependency of the course
        print(repr(report))
    return None


def progress_table(results=None) -> str:
    """Text table of every session's questions, as ``reglab progress`` prints it."""
    data = load_progress() if results is None else results
    out = [f"Progress file: {progress_file()}"]
    for session in course.SESSIONS:
        if not session.questions:
            out.append(f"Session {session.number}  {session.title}: no autograded questions recorded yet")
            continue
        rep = gate_report(session.id, data.get(session.id, {}))
        n_pass = sum(s == "passed" for _, s in rep.rows)
        state = "gate cleared" if rep.ready else "gate not cleared"
        out.append(f"Session {session.number}  {session.title}: {n_pass}/{len(rep.rows)} questions passed, {state}")
        for q, status in rep.rows:
            mark = {"passed": PASS_MARK, "failed": FAIL_MARK}.get(status, TODO_MARK)
            extra = "" if status == "passed" else f"  (revisit {q.revisit})"
            out.append(f"    {mark} {q.id:<4} {q.title:<52} {status}{extra}")
    return "\n".join(out)
