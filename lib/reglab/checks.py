"""The self-check harness every test cell of the course calls.

The same code runs when a student checks an answer and when ``reglab grade`` grades it, so "passed for me,
failed in grading" cannot happen. In JupyterLab a test cell runs in the student's kernel. Under ``reglab grade``
it never does: the grader's checker (``reglab_autograder.verdicts``) runs the whole test cell, hidden tests
included, with this module in a process of its own, and asks the kernel (:mod:`reglab._oracle`) only for the
student's values, so nothing the student's code does can change a verdict (``NBGRADER_EXECUTION=autograde``
turns off the progress file). In both places:

* answers are converted to float numpy arrays and compared with an explicit tolerance by this module's
  own arithmetic, never through the answer object's ``__eq__``;
* shape, conversion to numbers, finiteness and values are checked separately, each failure with a
  message that says what was expected in words, never the expected value;
* a wrong value that matches a known mistake is named: the message explains the mistake and links the section
  to reread, still without the right value; the error's text (``evalue``) ends with a machine-readable marker
  ``[misconception:<id>]`` (parsed by :func:`find_misconceptions`) that no student reads;
* what a student sees: a passed part prints one green line; a failed part shows one box (:class:`Failure`: the
  part, what is wrong, the named mistake, the section to reread as a link to the notebook's heading, the hint,
  and, when their code raised, their own failing lines and error) above one short red line - the error output
  that makes nbgrader score the cell 0 (IPython's ``_render_traceback_``: no harness source, no fingerprint);
  a ``NameError`` of the answer's own name ("not answered yet") is told apart from one inside the student's code;
* method rules: while the student's code runs, calls to forbidden functions (the library function that
  answers the question, or a stated restriction such as ``numpy.linalg.solve``) are detected with
  ``sys.setprofile`` and fail the check with the rule's text; code that switches the detection off fails;
* what the harness relies on is captured when it is imported, before any student code runs: its own
  functions (and their code), and the numpy functions and builtins it calls. The module refuses to have
  its names reassigned, and every check first verifies that nothing was swapped (through the module's
  ``__dict__``, a function's ``__code__``, numpy or builtins): otherwise it fails with "tampering detected";
* the student's code runs with warnings and stderr captured: nbgrader scores a test cell that wrote to
  stderr as failed, so noise must not cost a correct answer its points, while real errors still fail;
* each attempt is recorded in a small progress file (:mod:`reglab.progress`) read by the mastery gate,
  ``reglab progress`` and :func:`progress` (:mod:`reglab.gate`, which decides no grade; re-exported here for the
  notebooks' cells): the best result stays (a later failure is noted), an answer not written yet is no attempt,
  and the gate reads the written answers from the notebook file as last saved.

How to write a question
-----------------------
1. **Course map.** Declare the question in :mod:`reglab.course` in order of appearance: id ``q<N>``
   (numbered as they appear in the notebook), ``parts`` (one grade id per independently checkable
   property, each its own test cell with its own points), ``revisit`` (section title; a failed check links
   the notebook's ``## N.`` heading of that number, listed in ``course.SECTIONS``), ``kind``
   (``"implement"`` for "write this function", ``"compute"`` for a value, ``"recall"`` for quiz items,
   ``"modelling"``) and at least one ``Misconception``: ``M("forgot-factor-2", "the gradient of
   lambda*||w||^2 is 2*lambda*w; the 2 seems to be missing")``. The explanation names the mistake and
   never the right value. Its full id is ``s<NN>.<qid>.<key>``.
2. **Answer cell** (nbgrader solution cell, tag ``raises-exception``): the model answer between
   ``### BEGIN SOLUTION`` / ``### END SOLUTION``. For an "implement" question the answer is a function.
3. **Test cell** (nbgrader grade cell, locked, tag ``raises-exception``), one per part, reporting under
   its own grade id. The visible part above ``### BEGIN HIDDEN TESTS`` must decide correctness by itself
   (the gate reads it) and must not show the expected value:

   * an "implement" question checks the function on inputs of its own (the hidden tests use others) and
     passes ``forbid=`` the library function(s) that answer it plus any stated restriction, with a
     ``rule=`` text that names the question: ``rule="q3 asks for the eigendecomposition"``;
   * a question with one numeric answer compares with a fingerprint, never the number, and the fingerprint
     stays out of the cell: ``checks.check("q1", lambda: decay, checks.expected("q1"))``. Make the string once
     with ``checks.fingerprint(value, tol=...)`` in a Python shell and add it to :mod:`reglab.fingerprints`
     under the session and the grade id (``"q1:<label>"`` for a further check in the same cell); values within
     ``tol`` pass, values more than ``4 * tol`` away fail (use ``tol=0.1`` for integers);
   * a visible check names misconceptions with ``misconceptions=checks.mistakes("q1")``: the fingerprints of
     the values the question's declared mistakes produce on the same inputs, kept beside the expected value in
     :mod:`reglab.fingerprints`. A hidden test writes ``misconceptions={"forgot-factor-2": wrong_value}`` in
     plain form (a number, an array, or letters for :func:`check_choice`), computed outside the lambda; it is
     stripped from the student's copy. A mistake that shows as an error rather than a value (an identity of the
     wrong size: a shape error) is named with ``raised={key: pattern}``, a regular expression on the error's text;
   * the question's text states every rule the check enforces (what is off limits), and the check enforces
     every method rule the text states: a ``forbid=`` for "with ``np.linalg.solve``" (forbid the inverses),
     and for "computed from p, not typed in" a function of the inputs that the hidden tests call with others.
     Where a rule cannot be checked, the text does not state it.

   Always pass the student's code as a zero-argument callable (``lambda: shrink(x, 1.0)``): only then do
   the method rules, the stderr capture and the clear error messages apply. Compute expected values
   *outside* the lambda, so the forbidden library function can serve as the reference there.
4. **No answer before its question**: no output or prose above the answer cell may show the value asked, nor the
   formula the question asks the student to find (a figure title counts as output).
5. **Tests**: add ``tests/practice/sNN.py`` (see ``tests/practice/__init__.py``) with, per autograded part,
   the classic wrong answer, per "implement" question, an answer that delegates to the library, and per method
   rule of a question's text, an answer that breaks it.
6. **Under grading** the test cell runs in the grader's checker. Every name it reads that neither it nor an
   earlier test cell defines, nor the setup cell imports, is the student's: a value arrives as data (numbers,
   strings, numeric arrays, lists, tuples, dicts), a function, class or object as a stand-in whose calls and
   attributes are questions to the kernel. So: define the test's helpers *in the test cell* (they run in the
   checker, beside the library); pass the student's code only data, numpy arrays, numpy random generators and
   the student's own objects (arrays and generators are mirrored: an in-place change on either side is seen on
   the other, as in one process); never pass an expected value or a misconception value to the student's code
   (``reglab release --check`` rejects a test cell that does); keep the number of calls into the student's code
   modest (each is a round trip of a few milliseconds: a loop of thousands of calls costs seconds).

7. **Variants** (:mod:`reglab.variants`): a question whose answer is computed draws its givens per student and
   attempt. Declare a ``Spec`` in ``reglab/variants/sNN.py`` (``draw(rng)``, the course's own instance, what each
   check expects and each named mistake gives). The answer cell's first line reads them, ``eta, lam =
   checks.givens("q1")``, and the text says "your values" instead of numbers; a visible check compares with
   ``checks.expected("q1")`` / ``checks.mistakes("q1")`` (computed from the givens, shown as fingerprints); a
   hidden test reads ``checks.givens("q1", quiet=True)`` and computes in plain form. An "implement" question's
   visible check calls the student's function on ``checks.givens("q2")`` and its hidden tests also on
   ``checks.givens("q2", hidden=True, quiet=True)``, a variant the student never saw. A quiz item's options are
   a given (``variants.shuffled(rng, OPTIONS)``), printed lettered by the answer cell's first line; what it expects
   is ``variants.letter(options, right_option)``. Under grading the givens are the grader's, from nbgrader's student
   id (attempt 0). ``tests/test_variants.py`` covers a new ``Spec`` over many students without editing the test.

Typical test cell::

    checks.check("q2b", lambda: shrink(np.array([1.0, 3.0]), 1.0), [0.5, 0.75],
                 forbid=[l2.shrink_factors], rule="q2 asks you to compute the factors yourself",
                 misconceptions={"alpha-over-sum": [0.5, 0.25]},
                 hint="divide each eigenvalue by (eigenvalue + alpha)")
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as _dt
import hashlib
import html
import importlib
import importlib.util
import inspect
import io
import math
import numbers
import os
import re
import secrets
import sys
import threading
import types
import warnings

import numpy as np

from . import course, fingerprints, variants
from .gate import gate_report, mastery_gate, progress, progress_table  # (what notebooks and the grader call here)
from .progress import (
    FAIL_MARK,
    MASTERY_STREAK,
    PASS_MARK,
    attempt_entry,
    load_progress,
    progress_file,
    recording,
    update_file,
    update_session,
)
from .progress import STATE as _state  # (the grader's checker turns recording off through checks._state)

__all__ = [
    "AnswerError",
    "Fingerprint",
    "LINEAR_SOLVERS",
    "start_session",
    "check",
    "check_true",
    "check_choice",
    "fingerprint",
    "expected",
    "mistakes",
    "givens",
    "new_variant",
    "find_misconceptions",
    "quiet",
    "mastery_gate",
    "gate_report",
    "progress",
    "progress_table",
    "progress_file",
    "load_progress",
]


#: Functions that solve a linear system or invert a matrix, for rules like "do not call np.linalg.solve".
#: Names of modules that are not installed are skipped.
LINEAR_SOLVERS = (
    "numpy.linalg.solve", "numpy.linalg.inv", "numpy.linalg.pinv", "numpy.linalg.lstsq",
    "numpy.linalg.tensorsolve", "numpy.linalg.tensorinv",
    "scipy.linalg.solve", "scipy.linalg.inv", "scipy.linalg.pinv", "scipy.linalg.lstsq",
    "scipy.linalg.lu_solve", "scipy.linalg.cho_solve", "scipy.linalg.solve_triangular",
)
#: Every course library function that soft-thresholds (or contains a soft threshold: the lasso's closed form and
#: solvers, the proximal L1 step, the group version): a question that asks for one forbids them all, so that an
#: answer cannot take it from another.
SOFT_THRESHOLDS = (
    "reglab.l1.soft_threshold", "reglab.l1.group_soft_threshold", "reglab.l1.lasso_diagonal",
    "reglab.l1.lasso_quadratic", "reglab.l1.lasso", "reglab.l1.elastic_net", "reglab.capstone.prox_l1",
)
#: Every course library function that solves ridge regression (the elastic net with no L1 term is ridge).
RIDGE_SOLVERS = ("reglab.l2.ridge", "reglab.l2.ridge_path", "reglab.l2.eigen_rescale", "reglab.l1.elastic_net")

MISCONCEPTION_MARKER = re.compile(r"\[misconception:([a-z0-9][a-z0-9_.-]*)\]")

_WATCHING: list = []  # the watches of the checks running now, innermost last


class AnswerError(AssertionError):
    """A wrong answer: the test cell fails (and nbgrader gives it 0 points) with this message.

    ``str(error)`` is the whole message in plain text, with the misconception's machine-readable marker at the end
    (read by the grader and the progress file, never shown in a notebook). In IPython the error shows as
    :attr:`failure`'s box (HTML with a link to the section to reread) and one short red line instead of a
    traceback: nbgrader still scores the cell 0, since its output holds an error.
    """

    def __init__(self, message, failure=None):
        super().__init__(message)
        self.failure = failure

    def _render_traceback_(self):
        """What IPython shows instead of the traceback: the box (displayed here, once: IPython also calls this to
        store the error in its history), then one short line."""
        failure = failure_of(self)
        if not getattr(self, "_shown", False):
            try:
                from IPython.display import display
            except ImportError:  # pragma: no cover - IPython is a dependency of the course
                return [failure.text()]
            self._shown = True
            display(failure)
            if failure.question:
                _show_variant_button(failure.question, failure.next_step)
        return [failure.summary()]


class Failure:
    """What a failed part shows: the part, what is wrong, the named mistake with the section to reread (a link to
    the notebook's heading), the hint, and the student's own failing line(s) - nothing else."""

    def __init__(self, part, problem, *, hint=None, mistake=None, revisit=None, code=(), error=None, next_step=None,
                 question=None):
        self.part, self.problem, self.hint = part, problem, hint
        self.mistake, self.revisit = mistake, revisit
        self.code, self.error = list(code), error  # [(where, line)] of the student's frames; "NameError: ..."
        self.next_step, self.question = next_step, question  # a new variant to practise on (question with variants)

    def summary(self) -> str:
        """The one red line under the box (the error output's whole traceback)."""
        return f"\x1b[31m{FAIL_MARK} {self.part or 'this check'} did not pass (see the box above)\x1b[0m"

    def _lines(self):
        """``[(label, text)]`` of the box, in order."""
        rows = []
        if self.mistake:
            rows.append(("Known mistake", self.mistake))
        if self.revisit:
            rows.append(("Reread", self.revisit))
        if self.hint:
            rows.append(("Hint", self.hint))
        return rows

    def _code_text(self):
        out = []
        for where, line in self.code:
            out += [where, f"    {line}"] if line else [where]
        return out + ([self.error] if self.error else [])

    def text(self, mark=True) -> str:
        """The box as text (with the red cross, or without it for the error's own message)."""
        head = f"{self.part}: {self.problem}" if self.part else self.problem
        lines = [f"{FAIL_MARK} {head}" if mark else head] + [f"  {label}: {text}" for label, text in self._lines()]
        code = self._code_text()
        if code:
            lines += ["  Your code:"] + [f"    {c}" for c in code]
        return "\n".join(lines)

    def __repr__(self):
        return self.text()

    def _repr_html_(self):
        esc = html.escape
        rows = []
        for label, text in self._lines():
            shown = (f"<a href='#{esc(heading_anchor(text), quote=True)}'>{esc(text)}</a>" if label == "Reread"
                     else esc(text))
            rows.append(f"<div><b>{label}:</b> {shown}</div>")
        code = self._code_text()
        if code:
            rows.append("<div><b>Your code:</b></div><pre style='margin:2px 0 0 0'>" + esc("\n".join(code)) +
                        "</pre>")
        head = f"{esc(self.part)}: " if self.part else ""
        return (f"<div class='reglab-check reglab-check-failed' style='border-left:4px solid #cf222e;"
                f"background:rgba(207,34,46,0.08);padding:4px 10px;margin:2px 0'>"
                f"<div><b style='color:#cf222e'>{FAIL_MARK}</b> {head}{esc(self.problem)}</div>{''.join(rows)}</div>")


def failure_of(error: AnswerError) -> Failure:
    """The box of a failed check (a message of its own for the few failures raised without one)."""
    return error.failure or Failure(None, MISCONCEPTION_MARKER.sub("", str(error)).strip())


def heading_anchor(title: str) -> str:
    """The anchor JupyterLab and nbconvert give a markdown heading (its text, spaces as hyphens)."""
    return title.strip().replace(" ", "-")


def find_misconceptions(text: str) -> list[str]:
    """The misconception ids named in a failure message or a cell's error output, in order."""
    return MISCONCEPTION_MARKER.findall(text or "")


# ----------------------------------------------------------------------------- recording attempts (reglab.progress)


def _record(session_id, part, passed, misconception=None):
    when = _dt.datetime.now().isoformat(timespec="seconds")
    variant = None
    if session_id is not None and recording():
        question = _question_of(session_id, part)
        if question is not None and variants.spec(session_id, question) is not None:
            variant = _attempt(session_id, question)

    def change(entries):
        entries[part] = attempt_entry(entries.get(part), passed, when, misconception, variant,
                                      reviewed=_state.get("reviewing", False))

    update_session(session_id, change)


def start_session(session_id: str) -> None:
    """Declare which session the following checks belong to (the setup cell calls this)."""
    _state["session"] = course.get_session(session_id).id


# ------------------------------------------------------------------------------ fingerprints


class Fingerprint:
    """A tolerance-aware hash of an expected value: it checks an answer without showing the value.

    Each entry is quantized on two grids of cells of width ``4 * tol``, offset by half a cell, and each
    (entry, grid) cell index is hashed with a salt. The expected value lies at least ``tol`` inside its
    cell on one of the two grids, so an answer whose every entry is within ``tol`` of the expected one
    matches on that grid; an entry more than ``4 * tol`` away matches on neither. Nothing in the string
    tells which grid is the safe one (that would leak a bit of the value). Letters (multiple choice) are
    hashed as a sorted set. Make one with :func:`fingerprint`; a test cell reads it from :mod:`reglab.fingerprints`
    with :func:`expected` or :func:`mistakes`.
    """

    def __init__(self, text: str):
        parts = str(text).split(":")
        sizes = {("fp2", "n"): 6, ("fp1", "n"): 7, ("fp1", "c"): 4, ("fp2", "c"): 4}
        if len(parts) < 4 or sizes.get(tuple(parts[:2])) != len(parts):
            raise ValueError(f"not a reglab fingerprint: {text!r}")
        self.text = str(text)
        self.version, self.kind, self.salt = parts[0], parts[1], parts[2]
        if self.kind == "n":
            self.tol = float(parts[3])
            self.shape = () if parts[4] == "s" else tuple(int(n) for n in parts[4].split("x"))
            if self.version == "fp1":  # first format: one grid chosen per entry, one hash (still accepted)
                self.grids, self.digest = parts[5], parts[6]
            else:
                self.cells = [tuple(pair.split(".")) for pair in parts[5].split(",")]
        else:
            self.digest = parts[3]

    def __repr__(self):
        return f"Fingerprint({self.text!r})"

    def matches(self, value) -> bool:
        """Whether a float array (numeric kind) or a set of letters (choice kind) has this fingerprint."""
        if self.kind == "c":
            return _choice_digest(self.salt, value) == self.digest
        arr = np.asarray(value, dtype=float)
        if arr.shape != self.shape or not np.all(np.isfinite(arr)):
            return False
        if self.version == "fp1":
            offsets = [0.5 if b == "1" else 0.0 for b in self.grids]
            cells = [math.floor(v / (4.0 * self.tol) + o) for v, o in zip(arr.ravel().tolist(), offsets)]
            text = f"{self.salt}|{arr.shape}|" + ",".join(str(c) for c in cells)
            return hashlib.sha256(text.encode()).hexdigest()[:24] == self.digest
        return all(any(got == want for got, want in zip(pair, expected))
                   for pair, expected in zip(_cell_digests(self.salt, self.tol, arr), self.cells))


def _cell_digests(salt, tol, arr):
    """Per entry, the salted hashes of its cell index on the grid at offset 0 and at offset 1/2."""
    width = 4.0 * tol
    out = []
    for i, v in enumerate(arr.ravel().tolist()):
        pair = []
        for grid, offset in enumerate((0.0, 0.5)):
            text = f"{salt}|{i}|{grid}|{math.floor(v / width + offset)}"
            pair.append(hashlib.sha256(text.encode()).hexdigest()[:12])
        out.append(tuple(pair))
    return out


def _choice_digest(salt, letters):
    return hashlib.sha256(f"{salt}|{''.join(sorted(letters))}".encode()).hexdigest()[:24]


def fingerprint(value, tol: float = 1e-9, *, salt: str | None = None) -> str:
    """The fingerprint string of an expected value (numbers, arrays, or choice letters like ``"b"``)."""
    salt = salt or secrets.token_hex(4)
    if isinstance(value, (str, set, frozenset)):
        return f"fp2:c:{salt}:{_choice_digest(salt, _letters(value))}"
    if not tol > 0:
        raise ValueError("tol must be > 0")
    arr = np.asarray(value, dtype=float)
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError("a fingerprint needs at least one value, all finite")
    shape = "x".join(str(n) for n in arr.shape) if arr.shape else "s"
    cells = ",".join(".".join(pair) for pair in _cell_digests(salt, tol, arr))
    return f"fp2:n:{salt}:{float(tol)!r}:{shape}:{cells}"


# ------------------------------------------------------------------------------ variants


def _question_of(session_id, part):
    """The id of the question an autograded part (``"q2a"``, ``"q2a:label"``) belongs to, or None."""
    try:
        return course.get_session(session_id).question_of(part.split(":", 1)[0]).id
    except KeyError:
        return None


def _session_id() -> str:
    if _state["session"] is None:
        raise RuntimeError("checks.start_session(...) must run first (the notebook's setup cell does)")
    return _state["session"]


def use_student(student: str | None) -> None:
    """Whose variants the following checks use (attempt 0): set by the grader's checker to the nbgrader student id
    it grades, never read from the student's kernel; None goes back to this process's own (``$REGLAB_STUDENT``)."""
    _state["student"] = None if student is None else variants.normal_id(student)


def _grading() -> bool:
    return _state["student"] is not None or os.environ.get("NBGRADER_EXECUTION") == "autograde"


def whose_variants() -> tuple[str, str]:
    """``(student id, where it comes from)``: the grader's (its checker), else ``$REGLAB_STUDENT`` (the grader sets
    it in a graded kernel), else the id the student gave with ``reglab student ID`` (kept in the progress file), else
    ``$JUPYTERHUB_USER`` (on a JupyterHub, nbgrader's student id is the hub user name), else none: the course's
    instance."""
    if _state["student"] is not None:
        return _state["student"], "the grader"
    if variants.student_id():
        return variants.student_id(), f"${variants.STUDENT_ENV}"
    given = variants.normal_id(load_progress().get("_student"))
    if given:
        return given, "reglab student"
    hub = variants.normal_id(os.environ.get(variants.HUB_ENV))
    return (hub, f"${variants.HUB_ENV}") if hub else ("", "")


def _student() -> str:
    """Whose variants (see :func:`whose_variants`)."""
    return whose_variants()[0]


def set_student(student: str) -> None:
    """Practise on the variants of ``student`` from now on (``reglab student ID``): in a graded class, the
    nbgrader student id, whose attempt 0 is the graded variant."""
    student = str(student).strip()

    def change(data):
        data["_student"] = student

    update_file(change)


def _attempt(session_id, question) -> int:
    """The attempt number of the student's current variant of a question (0 under grading)."""
    if _grading():
        return 0
    attempt = load_progress().get("_variants", {}).get(session_id, {}).get(question, 0)
    return attempt if isinstance(attempt, int) and attempt >= 0 else 0


def _current(session_id, question, hidden=False) -> variants.Givens:
    attempt = variants.HIDDEN if hidden else _attempt(session_id, question)
    return variants.givens(session_id, question, _student(), attempt)


def givens(question: str, *, hidden: bool = False, quiet: bool = False) -> variants.Givens:
    """The givens of the student's current variant of ``question``, printed (unless ``quiet``): the first line of
    its answer cell, ``eta, lam = checks.givens("q1")``. ``hidden=True``: a variant the student never saw (the
    hidden tests of an "implement" question)."""
    session = _session_id()
    g = _current(session, question, hidden)
    if not quiet:
        print(f"Your givens for {g.describe()}")
        if not g.student and not _grading():
            print("(No student id is set. In a graded class your numbers are your student id's: run `reglab student "
                  "YOUR-ID` in a terminal, restart the kernel and run this cell again.)")
    return g


def new_variant(question: str) -> None:
    """Move to a fresh variant of ``question``: new givens for its answer cell. After a check that named a
    misconception, the variant is chosen so that this mistake's value lies far from the right one."""
    session = _session_id()
    try:
        q = course.get_session(session).question(question)
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None
    if variants.spec(session, q.id) is None:
        print(f"{q.id} has one instance: its check is the same each time (no variants).")
        return
    if _grading():
        raise RuntimeError("no new variants while grading: a graded notebook uses the student's variant 0")
    g, key = move_to_new_variant(session, q.id)
    lines = [f"New variant for {g.describe()}",
             f"Run {q.id}'s answer cell again (its first line reads these givens), then its test cell(s)."]
    if key:
        lines.append(f"This variant is chosen to tell the mistake \"{key}\" apart: with these givens its value is "
                     "far from the right one.")
    print("\n".join(lines))


def move_to_new_variant(session_id: str, question: str):
    """Record the student's next variant of a question (aimed at the misconception its last failed check named);
    ``(its givens, that misconception's key or None)``."""
    entries = load_progress().get(session_id, {})
    parts = course.get_session(session_id).question(question).parts
    named = [entries[p].get("misconception") for p in parts
             if isinstance(entries.get(p), dict) and not entries[p].get("last_passed")
             and entries[p].get("misconception")]
    key = named[0].rsplit(".", 1)[-1] if named else None
    nxt = variants.aim(session_id, question, _student(), _attempt(session_id, question), key)

    def change(data):
        data.setdefault("_variants", {}).setdefault(session_id, {})[question] = nxt

    update_file(change)
    return variants.givens(session_id, question, _student(), nxt), key


def reviewing() -> None:
    """The first cell of a review notebook (``reglab review``): a pass of a part due for review counts as a
    successful review from now on in this kernel."""
    _state["reviewing"] = True


def expected(name: str) -> Fingerprint:
    """The fingerprint of check ``name``'s expected value: computed from the student's givens for a question with
    variants (:mod:`reglab.variants`), else from :mod:`reglab.fingerprints` for the current session.

    ``name`` is the check's grade id (``"q1"``), or ``"<grade id>:<label>"`` for a further check in the same cell.
    """
    session = _session_id()
    question = _question_of(session, name)
    spec = variants.spec(session, question) if question else None
    if spec is not None:
        return Fingerprint(fingerprint(variants.expected(session, name, _current(session, question)), tol=spec.tol))
    text = _fingerprint_entry(name)[0]
    if text is None:
        raise LookupError(f"reglab.fingerprints holds no expected value for {name!r} in session {_state['session']}: "
                          "add one made with checks.fingerprint(value, tol=...)")
    return Fingerprint(text)


def mistakes(name: str) -> dict:
    """``{misconception key: Fingerprint}`` of check ``name``'s named wrong values (its ``misconceptions=``)."""
    session = _session_id()
    question = _question_of(session, name)
    spec = variants.spec(session, question) if question else None
    if spec is not None:
        values = variants.mistakes(session, name, _current(session, question))
        return {key: Fingerprint(fingerprint(v, tol=spec.tol)) for key, v in values.items()}
    return {key: Fingerprint(text) for key, text in _fingerprint_entry(name)[1].items()}


def _fingerprint_entry(name):
    if _state["session"] is None:
        raise RuntimeError("checks.start_session(...) must run before checks.expected(...) or checks.mistakes(...)")
    try:
        return fingerprints.FINGERPRINTS[_state["session"]][name]
    except KeyError:
        raise LookupError(f"reglab.fingerprints has no entry {name!r} for session {_state['session']}") from None


def _choice_letters(value):
    """The option letters of a quiz answer (``"b"``, ``"a, c"``, ``{"a", "c"}``), or None when it is not in that
    form (a number, a word, a digit in a string): options are single letters a to h."""
    if isinstance(value, str):
        if not re.fullmatch(r"[\sa-hA-H,;]*", value):
            return None
        return _letters(value) or None
    if isinstance(value, (set, frozenset, list, tuple)) and value and \
            all(isinstance(c, str) and re.fullmatch(r"\s*[a-hA-H]\s*", c) for c in value):
        return _letters(value)
    return None


def _letters(x):
    if isinstance(x, str):
        return {c for c in x.lower() if c.isalpha()}
    if isinstance(x, (set, frozenset, list, tuple)) and all(isinstance(c, str) for c in x):
        return {c.strip().lower() for c in x}
    raise TypeError(type(x).__name__)


# ------------------------------------------------------------------------------ method rules


class _Rule:
    """Forbidden functions, resolved to what the profiler sees: code objects and C functions."""

    def __init__(self, forbid):
        self.codes: dict = {}  # code object -> shown name
        self.cfuncs: dict = {}  # id(C function) -> (function, shown name)
        self.names: list = []  # the dotted names, as the grader's checker sends them to the kernel
        self.clones: dict = {}  # the shape of a forbidden function's code -> shown name (a copy under another name)
        # a library that answers the questions wholesale: forbidden wherever anything is (its files' folder -> name)
        self.packages: dict = _answering_packages() if forbid else {}
        for item in forbid:
            self._add(item)

    def package_of(self, code) -> str | None:
        """The shown name of a call into a forbidden package (``scikit-learn's `Ridge.fit```), or None."""
        for folder, shown in self.packages.items():
            if code.co_filename.startswith(folder) and code.co_name != "<module>":  # (importing it is no answer)
                return f"{shown}'s {getattr(code, 'co_qualname', code.co_name)}"
        return None

    def _add(self, item):
        if isinstance(item, str):
            obj = _resolve(item)
            if obj is None:  # its module is not installed here, so it cannot be called either
                return
            name = item
        else:
            obj = item
            name = f"{getattr(obj, '__module__', None) or '?'}.{getattr(obj, '__qualname__', repr(obj))}"
            name = name.replace("numpy.linalg._linalg.", "numpy.linalg.")
        self.names.append(name)
        target = inspect.unwrap(obj.__func__ if isinstance(obj, types.MethodType) else obj)
        if isinstance(target, types.FunctionType):
            self.codes[target.__code__] = name
            self.clones[_code_shape(target.__code__)] = name
        elif isinstance(target, types.BuiltinFunctionType):
            self.cfuncs[id(target)] = (target, name)
        else:
            raise TypeError(f"cannot forbid {name} ({type(target).__name__}): only Python functions and builtin "
                            "functions are visible to the method check (ufuncs and array methods are not)")


#: Packages whose functions answer the course's "implement" questions outright (scikit-learn's ``Ridge``,
#: ``resample``, ...): forbidden wherever a check forbids anything. ``{import name: shown name}``.
ANSWERING_PACKAGES = {"sklearn": "scikit-learn"}


def _answering_packages() -> dict:
    """``{folder of the package's files: shown name}`` for the :data:`ANSWERING_PACKAGES` installed here (found
    without importing them)."""
    found = {}
    for module, shown in ANSWERING_PACKAGES.items():
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            spec = None
        for folder in (spec.submodule_search_locations or []) if spec else []:
            found[os.path.join(os.path.realpath(folder), "")] = shown
            found[os.path.join(folder, "")] = shown
    return found


#: The course library's folder, and its modules whose private functions hold answers (``l2._project_ball``, the
#: body of ``l2.project_l2_ball``; every function of the private ``_kernels``): a student's code that calls one while a
#: check with rules runs it is refused. Other modules' private functions (a figure's display hook in ``plotting``, the
#: harness's own) are not answers and stay out of the watch.
_LIBRARY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "")
_ANSWER_MODULES = ("overfitting", "l2", "l1", "early_stopping", "ensembles", "dropout", "capstone", "mlp",
                   "augmentation", "_kernels")


def _library_private(code) -> str | None:
    """``"reglab.l2._project_ball"`` when ``code`` is a private function of one of the course library's
    :data:`_ANSWER_MODULES` (any function of a private module), else None."""
    if not code.co_filename.startswith(_LIBRARY):
        return None
    module = os.path.relpath(code.co_filename, _LIBRARY)[:-3].replace(os.sep, ".")
    name = getattr(code, "co_qualname", code.co_name)
    if module not in _ANSWER_MODULES or code.co_name.startswith("__") or code.co_name.startswith("<"):
        return None
    if not (module.startswith("_") or any(part.startswith("_") for part in name.split("."))):
        return None
    return f"reglab.{module}.{name}"


def _code_shape(code):
    """What a copy of a function's code keeps whatever its name, file or line: bytecode, names and constants."""
    return (code.co_code, code.co_names,
            tuple(_code_shape(c) if isinstance(c, types.CodeType) else repr(c) for c in code.co_consts))


def _resolve(dotted):
    """The object a dotted name names: a module's attribute, or a class's (``reglab.capstone.EarlyStopper.__init__``);
    None when its module is not installed."""
    parts = dotted.split(".")
    if parts[0] not in sys.modules and importlib.util.find_spec(parts[0]) is None:
        return None
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def _tamper_targets():
    """Functions that switch the profiler off, look at it, or start a process it cannot see: tampering in a check."""
    funcs = [sys.setprofile, sys.settrace, sys.getprofile, sys.gettrace]
    names = ("fork", "forkpty", "posix_spawn", "posix_spawnp", "system", "execv", "execve")
    funcs += [getattr(os, name) for name in names if hasattr(os, name)]
    spawn = sys.modules.get("_posixsubprocess") or _import_quietly("_posixsubprocess")
    if spawn is not None:
        funcs.append(spawn.fork_exec)
    funcs += _thread_starters()
    cfuncs = {id(f): f for f in funcs if isinstance(f, types.BuiltinFunctionType)}
    codes = {}
    for name in ("setprofile", "settrace", "getprofile", "gettrace", "setprofile_all_threads", "settrace_all_threads"):
        f = getattr(threading, name, None)
        if isinstance(f, types.FunctionType):
            codes[f.__code__] = f"threading.{name}"
    return cfuncs, codes


def _thread_starters():
    """``_thread``'s ways to start a thread: called from anywhere but ``threading`` (which passes the watch on to
    the threads it starts), they start a thread the watch does not see."""
    import _thread

    return [getattr(_thread, n) for n in ("start_new_thread", "start_new", "start_joinable_thread")
            if hasattr(_thread, n)]


def _import_quietly(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


class _Watch:
    """State of one profiled run: the first forbidden call and the first tampering call seen."""

    def __init__(self, rule):
        self.rule, self.active = rule, True
        self.called = self.tampered = None
        self.intact, self.switched_off = True, False
        self.remote_intact = True  # under grading: False when the kernel's own watch was removed or did not report
        self.tamper_c, self.tamper_codes = _tamper_targets()
        self.starters = {id(f) for f in _thread_starters()}
        self.shapes: dict = {}  # code object -> the forbidden name its shape copies, or None (seen, innocent)

        def for_threads(frame, event, arg):  # what threading gives new threads: not the watch object itself
            return self(frame, event, arg)

        self.for_threads = for_threads

    def __call__(self, frame, event, arg):
        if not self.active:
            return
        if event == "call":
            code = frame.f_code
            if code in self.rule.codes:
                self.called = self.called or self.rule.codes[code]
            elif code in self.tamper_codes:
                self.tampered = self.tampered or self.tamper_codes[code]
            elif self.rule.clones or self.rule.packages:
                if code not in self.shapes:
                    clone = self.rule.clones.get(_code_shape(code))
                    self.shapes[code] = (f"a copy of {clone}" if clone else self.rule.package_of(code)
                                         or _library_private(code))
                shown = self.shapes[code]
                if shown and (shown.startswith("a copy of ") or frame.f_back is None
                              or not frame.f_back.f_code.co_filename.startswith(_LIBRARY)):
                    self.called = self.called or shown  # (the course library's own calls into them are fine)
        elif event == "c_call":
            key = id(arg)
            if key in self.rule.cfuncs and self.rule.cfuncs[key][0] is arg:
                self.called = self.called or self.rule.cfuncs[key][1]
            elif key in self.tamper_c and self.tamper_c[key] is arg and not (
                    key in self.starters and frame.f_code.co_filename == threading.__file__):
                self.tampered = self.tampered or f"{arg.__module__ or 'sys'}.{arg.__name__}"


@contextlib.contextmanager
def _profiled(rule):
    """Run the block under a :class:`_Watch` of ``rule`` (this thread, and the threads ``threading`` starts); yields
    the watch, whose ``intact`` and ``switched_off`` say afterwards whether it stayed in place and on."""
    watch = _Watch(rule)
    old, old_thread = sys.getprofile(), threading.getprofile()
    threading.setprofile(watch.for_threads)
    sys.setprofile(watch)
    try:
        yield watch
    finally:
        watch.switched_off = not watch.active
        watch.active = False
        watch.intact = sys.getprofile() is watch
        sys.setprofile(old)
        threading.setprofile(old_thread)


def watching(forbid):
    """The method rules' watch around a block, as the kernel runs the student's code for the grader's checker
    (:mod:`reglab._oracle`): ``with checks.watching(forbid) as watch:``; afterwards the watch's ``called``,
    ``tampered``, ``intact`` and ``switched_off`` say what it saw."""
    return _profiled(_Rule(list(forbid)))


def _answer_key(session_id) -> list:
    """The functions of every session's variants module (what each check expects, what each mistake gives, and their
    helpers): forbidden wherever a check forbids anything, so an "implement" answer cannot hand its inputs to them."""
    if not session_id:
        return []
    found = []
    for s in course.SESSIONS:
        if variants.questions_with_variants(s.id):  # (imports the module)
            module = sys.modules[f"{variants.__name__}.s{s.id.split('_', 1)[0]}"]
            found += [f for _, f in inspect.getmembers(module, inspect.isfunction) if f.__module__ == module.__name__]
    return found + [variants.expected, variants.mistakes]


@contextlib.contextmanager
def _method_rules(part, forbid, rule):
    """Run the block with the profiler watching for forbidden calls; fail the check if one happened."""
    __tracebackhide__ = True  # IPython hides this frame from the student
    if not forbid:
        yield
        return
    forbid = [*forbid, *_answer_key(_state["session"])]
    with _profiled(_Rule(forbid)) as watch:
        _WATCHING.append(watch)  # under grading, the checker's calls into the kernel report what they saw here
        try:
            yield
        finally:
            _WATCHING.remove(watch)
    if watch.tampered or watch.switched_off or not (watch.intact and watch.remote_intact):
        how = (f"it called {watch.tampered}" if watch.tampered else
               "the watch was switched off" if watch.switched_off else "the profiler was removed")
        _fail(part, f"your code switched off or went around the check that enforces the question's rules ({how}). "
                    "Remove that code; a check cannot be passed this way.", None)
    if watch.called and watch.called.startswith(f"{variants.__name__}."):
        _fail(part, f"your code called {watch.called.rsplit('.', 1)[0]} (the questions' givens and answer key) while "
                    "the check ran it: an answer computes from the inputs it is given. Remove that call.", None)
    if watch.called:
        asks = rule or f"{part} asks you to write this computation yourself"
        _fail(part, f"your code called {_plain_name(watch.called)}, which this question does not allow ({asks}). "
                    "Remove that call and write that step yourself, as the question describes.", None)


def _plain_name(dotted: str) -> str:
    """A forbidden function's name as a student writes it (``np.linalg.solve``, ``l2.shrink_factors``), saying
    when it is the course library's own answer."""
    copy, _, name = dotted.rpartition("a copy of ")
    note = ""
    if name.startswith("numpy."):
        name = "np." + name[len("numpy."):]
    elif name.startswith("reglab."):
        name, note = name[len("reglab."):], " (the course library's own version)"
    return f"{copy}`{name}`{note}"


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


def inert_markers(text) -> str:
    """``text`` with any misconception marker in it made inert: what a student writes never reads as a verdict."""
    return MISCONCEPTION_MARKER.sub(lambda m: f"(the text 'misconception {m.group(1)}')", str(text))


# What may not reach a failure's box from the student's text: C0 and C1 control characters (colours, carriage
# returns, new lines), Unicode's line and paragraph separators and the bidirectional controls (a student's message
# could otherwise draw a line of its own, such as a fake "passed", or reorder the box's text).
_UNSHOWN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _defused(text) -> str:
    """The student's own text shown in a failure's box (an error message, a line of their code) on one line: control,
    line-separating and bidirectional characters become spaces and markers are made inert. An object whose ``str``
    fails is named by its type."""
    try:
        text = str(text)
    except Exception:  # noqa: BLE001 - the student's __str__ may raise anything
        text = f"<a {type(text).__name__} whose text could not be read>"
    return inert_markers(_UNSHOWN.sub(" ", text))


def student_frames(tb, skip_file=None, limit=4) -> list:
    """``[[where, line]]`` of the frames of traceback ``tb`` that run the notebook's own code (a cell's: its module
    is ``__main__``), outermost first, at most the last ``limit``; frames of ``skip_file`` (the test cell) are
    left out, and so are the library's and numpy's: an error raised inside them shows the student's last line
    that led there. ``where`` reads like IPython's ``Cell In[5], line 3, in shrink``."""
    import linecache
    import traceback

    shell = sys.modules.get("IPython") and _shell()
    numbers = getattr(getattr(shell, "compile", None), "_filename_map", {}) or {}
    out = []
    for frame, lineno in traceback.walk_tb(tb):
        code = frame.f_code
        if frame.f_globals.get("__name__") != "__main__" or code.co_filename == skip_file:
            continue
        cell = numbers.get(code.co_filename)
        place = f"Cell In[{cell}]" if cell is not None else os.path.basename(code.co_filename)
        where = f"{place}, line {lineno}" + ("" if code.co_name == "<module>" else f", in {code.co_name}")
        line = linecache.getline(code.co_filename, lineno, frame.f_globals).strip()
        out.append([_defused(where)[:200], _defused(line)[:200]])
    return out[-limit:]


def _shell():
    try:
        from IPython import get_ipython

        return get_ipython()
    except ImportError:  # pragma: no cover - IPython is a dependency of the course
        return None


def _missing_name(exc) -> str:
    name = getattr(exc, "name", None)
    if not name:
        found = re.search(r"name '([^']+)' is not defined", str(exc))
        name = found.group(1) if found else "a name"
    return name


def _evaluate(part, actual, errors=()):
    """Call ``actual`` if it is the student's code; turn its exceptions into a clear failure.

    A ``NotImplementedError``, or a ``NameError`` raised by the check's own call (the answer's name is not defined
    yet), is not an attempt and is not recorded; any other error of the student's code is, and shows the student's
    own line(s): their frames, from the traceback here or, under grading, as the kernel sent them
    (``student_frames`` on the exception). ``errors`` (``[(full id, Misconception, pattern)]``) name a known mistake
    whose error text (``"<type>: <message>"``) matches its pattern."""
    __tracebackhide__ = True  # IPython hides this frame from the student
    if not callable(actual):
        return actual
    failed = None
    with quiet() as noise:
        try:
            value = actual()
        except NotImplementedError:
            raise _unattempted(part, "not answered yet - replace `raise NotImplementedError()` with your code and run "
                                     "that cell.") from None
        except AnswerError:
            raise
        except Exception as exc:  # the student's code raised: report it as the failure
            code = getattr(exc, "student_frames", None)
            if code is None:
                code = student_frames(exc.__traceback__, getattr(getattr(actual, "__code__", None), "co_filename",
                                                                 None))
            error = f"{type(exc).__name__}: {_defused(exc)[:500]}"
            if isinstance(exc, NameError) and not code:
                name = _missing_name(exc)
                raise _unattempted(part, f"`{name}` is not defined yet: run the cell where you answer it (and the "
                                         "cells above it), then this check again.") from None
            if isinstance(exc, NameError):
                problem = (f"your code uses the name `{_missing_name(exc)}`, which is not defined: check its spelling "
                           "(or run the cell that defines it first).")
            else:
                problem = f"your code raised {type(exc).__name__}: {_defused(exc)[:300]}"
            failed = (problem, code, error)
    if failed:
        for full_id, m, pattern in errors:
            if re.search(pattern, failed[2]):
                _fail(part, failed[0], None, misconception=full_id, mistake=m.explanation,
                      revisit=m.revisit or course.get_session(_state["session"]).question_of(part).revisit,
                      code=failed[1], error=failed[2])
        _fail(part, failed[0], None, code=failed[1], error=failed[2])
    if noise:
        shown = "; ".join(n.splitlines()[0][:120] for n in noise[:3])
        print(f"note: your code emitted {len(noise)} warning(s) (not counted against you): {shown}")
    return value


def _unattempted(part, problem):
    """The failure of a check whose answer is not there yet: it fails, and counts as no attempt."""
    failure = Failure(part, problem)
    return AnswerError(failure.text(mark=False), failure)


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


def _fail(part, message, hint, misconception=None, *, mistake=None, revisit=None, code=(), error=None):
    """Record a failed attempt and raise its :class:`AnswerError`: ``message`` says what is wrong; ``mistake`` (the
    named misconception's explanation, its full id in ``misconception``) and ``revisit`` (a section title) name a
    known mistake; ``code`` and ``error`` are the student's own failing lines and error."""
    __tracebackhide__ = True  # IPython hides this frame from the student
    session = _state["session"]
    if revisit and session is not None:
        revisit = course.section_heading(session, revisit)
    question, next_step = _practice_question(session, part), None
    if question:
        key = misconception.rsplit(".", 1)[-1] if misconception else None
        next_step = (f'checks.new_variant("{question}") gives you new givens'
                     + (f', chosen so that the mistake "{key}" lands far from the right answer: the check will tell '
                        "them apart" if key else "") + "; then run the answer cell and this cell again")
    failure = Failure(part, message, hint=hint, mistake=mistake, revisit=revisit, code=code, error=error,
                      next_step=next_step, question=question)
    text = failure.text(mark=False)
    if misconception:
        text += f"\n[misconception:{misconception}]"
    _record(session, part, False, misconception)
    raise AnswerError(text, failure)


def _succeed(part, message="passed"):
    """A passed part: one green line, as the grader's checker prints it; while practising a question with variants,
    the streak and the button for a new variant under it (not part of the check's own output)."""
    session = _state["session"]
    _record(session, part, True)
    print(f"\x1b[32m{PASS_MARK} {part} {message}\x1b[0m")
    question = _practice_question(session, part)
    if question:
        entry = load_progress().get(session, {}).get(part, {})
        if entry.get("mastered"):
            _show_practice_note(f"{part}: mastered")
        else:
            _show_variant_button(question, f"{part}: {entry.get('streak', 0)} of {MASTERY_STREAK} variants in a row; "
                                           f'checks.new_variant("{question}") for the next')


def _practice_question(session, part):
    """The question of ``part`` when a student practising (not the grader) can ask for a new variant of it."""
    if session is None or _grading():
        return None
    question = _question_of(session, part)
    return question if question and variants.spec(session, question) is not None else None


def _show_practice_note(text):
    """A line of practice (streak, mastery, what to do next) under a check, in JupyterLab (display, not stdout)."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - a dependency of the course
        return
    if get_ipython() is not None:
        display({"text/plain": text, "text/html": f"<div class='reglab-practice'>{html.escape(text)}</div>"},
                raw=True)


def _show_variant_button(question, text=None):
    """In JupyterLab, ``text`` and a button under the check that calls :func:`new_variant` (nothing where widgets
    cannot show)."""
    try:
        import ipywidgets
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - both are dependencies of the course
        return None
    if get_ipython() is None:
        return None
    if text:
        _show_practice_note(text)
    button = ipywidgets.Button(description=f"New variant of {question}", icon="refresh",
                               tooltip=f'checks.new_variant("{question}")')
    out = ipywidgets.Output()
    button.on_click(lambda _b: _variant_clicked(out, question))
    box = ipywidgets.VBox([button, out])
    display(box)
    return box


def _variant_clicked(out, question):
    with out:
        out.clear_output()
        new_variant(question)


def _named_mistakes(part, misconceptions):
    """``[(full id, Misconception, wrong value)]`` for a check's ``misconceptions={key: value}``."""
    if not misconceptions:
        return []
    if _state["session"] is None:
        raise RuntimeError("checks.start_session(...) must run before a check names misconceptions")
    session = course.get_session(_state["session"])
    question = session.question_of(part)
    return [(session.misconception_id(question, key), question.misconception(key), value)
            for key, value in misconceptions.items()]


def _fail_as_mistake(part, full_id, m, question_revisit):
    __tracebackhide__ = True  # IPython hides this frame from the student
    _fail(part, "your answer matches a known mistake.", None, misconception=full_id, mistake=m.explanation,
          revisit=m.revisit or question_revisit)


def _close(arr, expected, rtol, atol):
    """``(matches, diff, tol)`` for a float array against an expected array or Fingerprint."""
    if isinstance(expected, Fingerprint):
        return expected.matches(arr), None, None
    exp = np.asarray(expected, dtype=float)
    if arr.shape != exp.shape or not np.all(np.isfinite(arr)):
        return False, None, None
    diff, tol = np.abs(arr - exp), atol + rtol * np.abs(exp)
    return bool(np.all(diff <= tol)), diff, tol


def _expected_shape(expected):
    return expected.shape if isinstance(expected, Fingerprint) else np.shape(np.asarray(expected, dtype=float))


def check(part, actual, expected, *, rtol=1e-7, atol=1e-10, hint=None, what="your answer",
          forbid=(), rule=None, misconceptions=None, raised=None):
    """Compare a numeric answer with the expected value.

    Parameters
    ----------
    part : str
        The grade id of the test cell (e.g. ``"q2a"``).
    actual : number, array-like, or callable
        The student's answer, or a zero-argument callable that computes it (preferred: it runs with
        warnings captured, its errors reported clearly and the method rules enforced).
    expected : number, array-like or Fingerprint
        Never printed. A :class:`Fingerprint` carries its own tolerance (``rtol``/``atol`` are then unused).
    rtol, atol : float
        Tolerance: ``|actual - expected| <= atol + rtol * |expected|`` elementwise.
    hint : str, optional
        Shown on a failure that matches no named misconception.
    what : str
        How to call the answer in messages (e.g. ``"shrink(...)"``).
    forbid : sequence of functions or dotted names
        Functions the student's code must not call while ``actual`` runs (e.g. ``[l2.shrink_factors,
        *checks.LINEAR_SOLVERS]``).
    rule : str, optional
        The rule's text, naming the question (``"q3 asks for the eigendecomposition"``).
    misconceptions : dict, optional
        ``{key: wrong value}`` for misconceptions the course map declares for this question; a value
        (number, array or Fingerprint) matching one fails with the misconception named.
    raised : dict, optional
        ``{key: pattern}`` for misconceptions the course map declares that show as an error, not as a value: when
        the student's code raises and ``"<error type>: <message>"`` matches the regular expression ``pattern``
        (``re.search``), the failure names the misconception beside the student's error (e.g. an identity of the
        wrong size: ``{"identity-n-examples": r"shapes \\(2,2\\) \\(3,3\\)"}``).
    """
    __tracebackhide__ = True  # IPython hides this frame from the student
    _verify_intact(part)
    mistakes = _named_mistakes(part, misconceptions)
    errors = _named_mistakes(part, raised)
    with _method_rules(part, forbid, rule):
        value = _evaluate(part, actual, errors)
        arr = _to_array(part, value, what)
    exp_shape = _expected_shape(expected)
    ok, diff, tol = _close(arr, expected, rtol, atol)
    if ok:
        _succeed(part)
        return
    for full_id, m, wrong in mistakes:
        if _close(arr, wrong, rtol, atol)[0]:
            _fail_as_mistake(part, full_id, m, course.get_session(_state["session"]).question_of(part).revisit)
    if arr.shape != exp_shape:
        if arr.size == math.prod(exp_shape) and arr.squeeze().shape == tuple(n for n in exp_shape if n != 1):
            _fail(part, f"{what} has shape {arr.shape} but should have shape {exp_shape} (same numbers, wrong "
                        "arrangement: check for an extra axis, e.g. a column vector instead of a 1-D array).", hint)
        n = "a single number" if not exp_shape else f"an array of shape {exp_shape}"
        _fail(part, f"{what} should be {n}, got shape {arr.shape}.", hint)
    bad = ~np.isfinite(arr)
    if np.any(bad):
        where = np.argwhere(bad)[:3].tolist() if arr.ndim else []
        _fail(part, f"{what} contains NaN or infinity" + (f" (at index {where})" if where else "") +
              " - look for a division by zero or an overflow.", hint)
    if diff is None:  # a fingerprint tells only that the value is wrong, not by how much
        _fail(part, f"{what} is not the expected value (tolerance {expected.tol:g}).", hint)
    wrong = diff > tol
    if arr.ndim == 0:
        _fail(part, f"{what} is not the expected value (off by {float(diff):.3g}; tolerance {float(tol):.1g}).", hint)
    _fail(part, f"{int(wrong.sum())} of {arr.size} entries of {what} are wrong "
                f"(largest error {float(diff.max()):.3g}; tolerance rtol={rtol:g}, atol={atol:g}).", hint)


def check_true(part, condition, message, *, hint=None, forbid=(), rule=None):
    """Pass when ``condition`` (a bool, or a callable returning one) is true; else fail with ``message``."""
    __tracebackhide__ = True  # IPython hides this frame from the student
    _verify_intact(part)
    with _method_rules(part, forbid, rule):
        value = _evaluate(part, condition)
    if value is not True and not (isinstance(value, (bool, np.bool_)) and bool(value)):
        _fail(part, message, hint)
    _succeed(part)


def check_choice(part, answer, correct, *, hint=None, misconceptions=None):
    """Multiple choice: ``answer`` is a letter (``"b"``) or a set/str of letters (``{"a", "c"}``, ``"ac"``).

    ``correct`` is letters or a choice :class:`Fingerprint`; ``misconceptions`` maps declared keys to
    the wrong letters that reveal them.
    """
    __tracebackhide__ = True  # IPython hides this frame from the student
    _verify_intact(part)
    mistakes = _named_mistakes(part, misconceptions)
    value = _evaluate(part, answer)
    if isinstance(value, (str, set, frozenset, list, tuple)) and not (value.strip() if isinstance(value, str)
                                                                        else value):
        raise _unattempted(part, "no option chosen yet - set it to the letter of your choice, like \"b\".")
    got = _choice_letters(value)
    if got is None:
        plain = isinstance(value, (str, int, float, list, tuple, set, frozenset))
        shown = _defused(repr(value)[:40]) if plain else "that"
        _fail(part, f"answer with the letter of an option as a string, like \"b\" (or several letters, like \"ac\", "
                    f"when more than one option may be right); got {shown} ({type(value).__name__}).", None)
    if isinstance(correct, Fingerprint):
        if correct.matches(got):
            _succeed(part)
            return
        several = ""
    else:
        if got == _letters(correct):
            _succeed(part)
            return
        several = " (more than one option may be right)" if len(_letters(correct)) > 1 else ""
    for full_id, m, wrong in mistakes:
        if (wrong.matches(got) if isinstance(wrong, Fingerprint) else got == _letters(wrong)):
            _fail_as_mistake(part, full_id, m, course.get_session(_state["session"]).question_of(part).revisit)
    _fail(part, f"not the right choice{several}.", hint)


# ------------------------------------------------------------------------------ integrity

#: The numpy functions and builtins the harness calls (a test keeps these lists complete).
_NUMPY_USED = ("abs", "all", "any", "argwhere", "array", "asarray", "isfinite", "shape")
_BUILTINS_USED = (
    "abs", "all", "any", "bool", "callable", "float", "frozenset", "getattr", "hasattr", "id", "int", "isinstance",
    "iter", "len", "list", "max", "min", "next", "print", "repr", "round", "set", "sorted", "str", "sum", "tuple",
    "type", "zip",
)


def _capture():
    """``[(label, read the current object, the original)]`` for everything the harness relies on."""
    module = sys.modules[__name__]
    names = vars(module)
    found = []
    for name, obj in list(names.items()):
        if getattr(obj, "__module__", None) != __name__:
            continue
        if isinstance(obj, types.FunctionType):
            found.append((f"reglab.checks.{name}", lambda n=name: names.get(n), obj))
            found.append((f"reglab.checks.{name}.__code__", lambda f=obj: f.__code__, obj.__code__))
            inner = getattr(obj, "__wrapped__", None)  # a context manager's own function, under contextlib's wrapper
            if isinstance(inner, types.FunctionType):
                found.append((f"reglab.checks.{name}.__wrapped__.__code__", lambda f=inner: f.__code__,
                              inner.__code__))
        elif isinstance(obj, type):
            found.append((f"reglab.checks.{name}", lambda n=name: names.get(n), obj))
            for attr, member in list(vars(obj).items()):
                if isinstance(member, types.FunctionType):
                    found.append((f"reglab.checks.{name}.{attr}", lambda c=obj, a=attr: vars(c).get(a), member))
                    found.append((f"reglab.checks.{name}.{attr}.__code__", lambda f=member: f.__code__,
                                  member.__code__))
    found += [(f"numpy.{n}", lambda n=n: getattr(np, n, None), getattr(np, n)) for n in _NUMPY_USED]
    found += [(f"builtins.{n}", lambda n=n: getattr(builtins, n, None), getattr(builtins, n)) for n in _BUILTINS_USED]
    return found


def _swapped():
    """Labels of what was replaced since the harness was imported (empty when all is intact)."""
    return [label for label, current, original in _INTACT if current() is not original]


def _verify_intact(part):
    """Fail the check when anything the harness relies on was replaced."""
    __tracebackhide__ = True  # IPython hides this frame from the student
    swapped = _swapped()
    if swapped:
        shown = ", ".join(swapped[:3]) + (f" and {len(swapped) - 3} more" if len(swapped) > 3 else "")
        raise AnswerError(f"{part}: tampering detected - {shown} no longer is what the course installed. "
                          "Restart the kernel and run the notebook without that code; a check cannot be passed "
                          "this way.")


class _GuardedModule(types.ModuleType):
    """``reglab.checks`` refuses to have the names it was imported with reassigned or deleted."""

    def __setattr__(self, name, value):
        if name in _PROTECTED:
            raise AttributeError(f"reglab.checks.{name} cannot be replaced: the checks must stay the course's own")
        super().__setattr__(name, value)

    def __delattr__(self, name):
        if name in _PROTECTED:
            raise AttributeError(f"reglab.checks.{name} cannot be deleted: the checks must stay the course's own")
        super().__delattr__(name)


_INTACT = _capture()
_PROTECTED = frozenset(name for name in vars(sys.modules[__name__]) if not name.startswith("__"))
sys.modules[__name__].__class__ = _GuardedModule
