"""Run a notebook's test cells in the grader, with the student's names answered by the kernel.

The checker's namespace starts from the imports of the notebook's setup cell (the instructor's, restored by
nbgrader's ``OverwriteCells``) and ``checks.start_session(...)``, run here with the course's own modules. Test
cells run in order in that namespace, so what one test cell defines (a rule, a helper) the next can use. Before a
test cell runs, every name it reads that is neither defined by a test cell nor imported nor a builtin is the
student's: it is asked of the kernel in one question (with the kernel's signs of tampering), and bound to the
value, or to a stand-in that asks the kernel when called.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import time
import warnings

from nbclient.exceptions import DeadKernelError
from nbformat.notebooknode import NotebookNode

from reglab import checks, course, variants
from reglab.release import read_names

from ..rows import Kind
from .link import KernelLink, KernelSilent, UnreadableAnswer
from .remote import Session, kernel_text

MAX_PRINTED = 20_000  # characters of output a test cell keeps


def setup_source(source: str) -> str:
    """The imports and ``checks.start_session(...)`` calls of a setup cell (magics and everything else dropped)."""
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return ""
    keep = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            keep.append(node)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and \
                ast.unparse(node.value.func) == "checks.start_session":
            keep.append(node)
    return ast.unparse(ast.Module(body=keep, type_ignores=[]))


class Unreadable:
    """A student's value the kernel could not send as data: any use of it fails with the reason."""

    def __init__(self, name, why):
        self._why = f"the value of {name} could not be read: {why}"

    def __repr__(self):
        return f"<unreadable: {self._why}>"

    def __array__(self, dtype=None, copy=None):
        raise ValueError(self._why)

    def __float__(self):
        raise ValueError(self._why)

    def __call__(self, *args, **kwargs):
        raise ValueError(self._why)

    def __getattr__(self, name):
        raise ValueError(self._why)


def _failure_outputs(error: BaseException, grade_id: str) -> list:
    """The outputs of a failed test cell: the box and the one line a notebook shows for a wrong answer
    (checks.Failure), and the error nbgrader scores."""
    ename = type(error).__name__
    evalue = str(error)
    if isinstance(error, (KernelSilent, UnreadableAnswer)):
        evalue = f"{grade_id}: {evalue}"
    traceback = [f"{ename}: {evalue}"]
    outputs = []
    if isinstance(error, checks.AnswerError):
        failure = checks.failure_of(error)
        outputs.append(NotebookNode(output_type="display_data", metadata={},
                                    data={"text/plain": failure.text(), "text/html": failure._repr_html_()}))
        traceback = [failure.summary()]
    outputs.append(NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=traceback))
    return outputs


class Checker:
    """One notebook's test cells, run here; ``client`` is the nbclient running the notebook's kernel.

    ``event(kind, cell_index, detail)`` receives report rows (a :class:`~reglab_autograder.rows.Kind`: tampering
    evidence, timeouts).
    """

    def __init__(self, client, event):
        self.link = KernelLink(client)
        self.session = Session(self.link)
        self.event = event
        self.namespace: dict | None = None
        self.remote_names: set = set()
        self.seen: set = set()
        self.ready = False
        self.start_error = ""
        self.givens_shown: set = set()  # questions whose graded givens this notebook's feedback shows already

    # ------------------------------------------------------------------ the kernel

    def hello(self, cell_index=0):
        """Before any code of the notebook runs: the kernel's agent takes its baseline."""
        self.link.deadline = time.monotonic() + 60
        try:
            self.session.hello()
            self.ready, self.start_error = True, ""
        except DeadKernelError:
            raise
        except Exception as exc:  # noqa: BLE001 - the test cells will fail with this reason
            self.ready, self.start_error = False, f"{type(exc).__name__}: {exc}"
            self.event(Kind.GRADER, cell_index, f"the kernel's grading agent did not start ({self.start_error[:200]})")

    def restarted(self, cell_index):
        """After a kernel restart: nothing of the old kernel's stand-ins or mirrors is valid."""
        self.link.reset()
        self.session = Session(self.link)
        self.remote_names = set()
        self.hello(cell_index)

    # ------------------------------------------------------------------ the checker's namespace

    def _namespace(self, nb):
        if self.namespace is None:
            ns = {"__name__": "reglab_checker", "__builtins__": builtins}
            setup = next((c for c in nb.cells if c.cell_type == "code" and
                          c.get("metadata", {}).get("nbgrader", {}).get("locked")), None)
            if setup is not None:
                exec(compile(setup_source(setup.source), "<setup>", "exec"), ns)  # noqa: S102 - instructor's
            self.namespace = ns
        return self.namespace

    # ------------------------------------------------------------------ one test cell

    def run(self, nb, cell, index, timeout) -> list:
        """Run the test cell's source here; its outputs (a stream, and an error if it failed)."""
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", f"cell {index}")
        self.link.deadline = time.monotonic() + timeout
        self.session.printed = []
        out = io.StringIO()
        error = None
        recording, checks._state["record"] = checks._state["record"], False  # the checker writes no progress file
        try:
            if not self.ready:
                raise RuntimeError(f"the grader could not ask the kernel for your answers ({self.start_error})")
            ns = self._namespace(nb)
            code = compile(cell.source, f"<test {grade_id}>", "exec")
            self._bind(ns, cell.source, grade_id, index)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()), \
                    warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(code, ns)  # noqa: S102 - the instructor's test cell, in the checker
        except BaseException as exc:  # noqa: BLE001 - the cell's failure is its verdict
            error = exc
        finally:
            checks._state["record"] = recording
            self.link.end()  # the kernel's main thread is free for the next cell
        if self.link.dead:
            raise DeadKernelError("the kernel died while the grader asked it for an answer")
        self._report_kernel_trouble(index, grade_id, error)
        text = "".join(self.session.printed) + out.getvalue()
        outputs = self._graded_givens(grade_id)
        if text:
            outputs.append(NotebookNode(output_type="stream", name="stdout", text=text[:MAX_PRINTED]))
        if error is not None:
            outputs += _failure_outputs(error, grade_id)
        return outputs

    def _report_kernel_trouble(self, index, grade_id, error) -> None:
        """Report rows for what the kernel did while this test cell asked it: tampering seen, no answer in time,
        answers that do not follow the protocol."""
        if self.session.missing_watch:
            self._evidence(index, grade_id, ["the kernel did not report the method rules' watch"])
            self.session.missing_watch = False
        self._evidence(index, grade_id, self.session.watch_saw)
        self.session.watch_saw = []
        if isinstance(error, KernelSilent) or self.link.timed_out:
            self.event(Kind.TIMEOUT, index, f"{grade_id}: {self.link.timed_out or error}")
            self.link.timed_out = ""
        elif isinstance(error, UnreadableAnswer) or self.session.unreadable:
            self.event(Kind.UNREADABLE_ANSWER, index, f"{grade_id}: {error or self.session.unreadable[0]} (the "
                                                      "kernel's answers do not follow the grading protocol)")
        self.session.unreadable = []

    def _graded_givens(self, grade_id) -> list:
        """The givens this part was graded on, derived here from the student id (never the kernel's copy): an
        output of the first test cell of each question with variants, so the feedback shows them even when the
        answer cell printed none, or printed others."""
        session_id = checks._state.get("session")
        if session_id is None:
            return []
        try:
            q = course.get_session(session_id).question_of(grade_id)
        except (KeyError, ValueError):  # not a course session, or not one of its parts
            return []
        if q.id in self.givens_shown or variants.spec(session_id, q.id) is None:
            return []
        self.givens_shown.add(q.id)
        g = checks.givens(q.id, quiet=True)
        return [NotebookNode(output_type="display_data", metadata={"reglab": {"graded_givens": q.id}},
                             data={"text/plain": f"Graded on your givens for {g.describe()}"})]

    def _bind(self, ns, source, grade_id, index):
        reads, binds = read_names(source)
        wanted = {n for n in reads - binds if n not in ns and not hasattr(builtins, n)} | self.remote_names
        for name in self.remote_names:
            ns.pop(name, None)
        if not wanted:
            return
        values, unreadable, evidence = self.session.resolve(wanted)
        self._evidence(index, grade_id, evidence)
        for name, value in values.items():
            ns[name] = value
        for name, why in unreadable.items():
            ns[name] = Unreadable(name, kernel_text(why))
        self.remote_names = set(values) | set(unreadable)

    def _evidence(self, index, grade_id, signs):
        for sign in signs:
            if sign not in self.seen:
                self.seen.add(sign)
                self.event(Kind.TAMPERING, index, f"{grade_id}: {sign} (seen before this part was checked; the "
                                                  "grade comes from the checker, not from the kernel)")
