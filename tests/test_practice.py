"""Practice that measures mastery: wrong answers and library delegation fail, and no answer shows early.

For each session with a data module in ``tests/practice/`` (format: ``tests/practice/__init__.py``), one
kernel executes the instructor's notebook top to bottom, then, cell by cell in that kernel:

* every part's classic wrong answer replaces the model answer; the part's visible check (exactly the
  test cell of the student version) must fail, naming the expected misconception when one is given, and
  the mastery gate must show that run as failed (the question fails, or its earlier pass is marked "a later run
  failed": a pass once shown is never erased); the model answer is then restored;
* every "implement" question is answered by delegating to the library; the visible and the hidden
  checks of each of its parts must fail;
* every answer that gets the values right but breaks a method rule the question states, or that only other inputs
  show wrong (``RULES``), scores zero under grading, and fails the visible check too where that check can see it;
* the same wrong and delegating answers fail under grading as in self-check: the part's whole test cell
  (visible and hidden) runs in the grader's checker (``reglab_autograder.verdicts``), asking that kernel only
  for the student's values, and fails with the very message of the visible check;
* for every numeric "compute" question (and any other question listed in ``VALUES``), no text above its answer
  cell in the student version (markdown, code, and the outputs of the executed cells) may show the expected value
  with 3 or more significant digits.

One kernel per session keeps this at a few seconds per session instead of one execution per answer.
"""

from __future__ import annotations

import ast
import importlib
import math
import pkgutil
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell
from reglab_autograder.verdicts import Checker

import practice
from reglab import checks, course, fingerprints

ROOT = Path(__file__).resolve().parents[1]
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MODULES = {m.name: importlib.import_module(f"practice.{m.name}") for m in pkgutil.iter_modules(practice.__path__)}
DATA = {mod.SESSION: mod for mod in MODULES.values()}


def nbg(cell):
    return cell.metadata.get("nbgrader", {})


def _cell(nb, grade_id):
    return next(c for c in nb.cells if nbg(c).get("grade_id") == grade_id)


def _visible(source):
    return source.split(HIDDEN_BEGIN)[0].rstrip()


def _hidden(source):
    return source.split(HIDDEN_BEGIN)[1].split(HIDDEN_END)[0].strip() if HIDDEN_BEGIN in source else ""


class Kernel:
    """A kernel that has run the solution notebook; ``run`` executes more code in it."""

    def __init__(self, client, nb):
        self.client, self.nb = client, nb
        self.checker = Checker(client, lambda *event: None)
        self.checker.hello()

    def grade(self, test_cell):
        """``(error text or None, printed text)`` of the test cell run as ``reglab grade`` runs it."""
        outputs = self.checker.run(self.nb, test_cell, 0, 120)
        err = next((f"{o.ename}: {o.evalue}" for o in outputs if o.output_type == "error"), None)
        return err, "".join(o.get("text", "") for o in outputs if o.output_type == "stream")

    def run(self, source):
        """``(error text or None, printed text)`` of running ``source`` as a new cell."""
        cells = self.client.nb.cells
        cell = new_code_cell(source)
        cells.append(cell)
        try:
            self.client.execute_cell(cell, len(cells) - 1)
        finally:
            cells.pop()
        err = next((f"{o.ename}: {o.evalue}" for o in cell.outputs if o.output_type == "error"), None)
        out = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        return err, out


def _wrongs(data):
    """``[(part, wrong answer)]``: a part's entry in ``WRONG`` is one wrong answer or a list of them."""
    return [(part, w) for part, ws in data.WRONG.items() for w in (ws if isinstance(ws, list) else [ws])]


def _question_status(kernel, qid):
    err, out = kernel.run(f"_rep = checks.gate_report()\nprint(dict((q.id, s) for q, s in _rep.rows)[{qid!r}], "
                          f"{qid!r} in _rep.later_failed)")
    assert err is None, err
    status, later_failed = out.rsplit(maxsplit=1)
    return status, later_failed == "True"


def _probe(sid, tmp_path):
    """Run every wrong and delegating answer of a session; return the list of problems found."""
    session, data = course.get_session(sid), DATA[sid]
    source_nb = nbformat.read(ROOT / "solutions" / session.notebook, as_version=4)
    student_nb = nbformat.read(ROOT / "notebooks" / session.notebook, as_version=4)
    problems = []
    for part in session.parts:  # the visible check run here is exactly the student's test cell
        if _visible(_cell(source_nb, part).source).strip() != _cell(student_nb, part).source.strip():
            problems.append(f"{part}: the student's test cell differs from the visible part of the source")
    client = NotebookClient(source_nb, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    with client.setup_kernel():
        for i, c in enumerate(source_nb.cells):
            if c.cell_type == "code":
                client.execute_cell(c, i)
        kernel = Kernel(client, source_nb)

        graded_once = set()

        def restore(answer_cell, question):
            err, _ = kernel.run(_cell(source_nb, answer_cell).source)
            assert err is None, f"{answer_cell}: the model answer fails to run again: {err}"
            for p in question.parts:
                err, _ = kernel.run(_visible(_cell(source_nb, p).source))
                assert err is None, f"{p}: the model answer no longer passes after restoring it: {err}"
                if p not in graded_once:  # once per part: the checker's state does not depend on the restore
                    graded_once.add(p)
                    err, _ = kernel.grade(_cell(source_nb, p))
                    assert err is None, f"{p}: under grading, the model answer fails: {err}"

        for part, w in _wrongs(data):
            q = session.question_of(part)
            kernel.run(w["source"])
            err, _ = kernel.run(_visible(_cell(source_nb, part).source))
            graded, _ = kernel.grade(_cell(source_nb, part))
            if graded != err:
                problems.append(f"{part}: under grading the wrong answer gives {graded!r}, in self-check {err!r}")
            if err is None:
                problems.append(f"{part}: the classic wrong answer passes the visible check")
            elif w["misconception"]:
                want = session.misconception_id(q, w["misconception"])
                if want not in checks.find_misconceptions(err):
                    problems.append(f"{part}: the wrong answer is not named as {want}: {err[:300]}")
            status, later_failed = _question_status(kernel, q.id)
            if status == "passed" and not later_failed:
                problems.append(f"{part}: after the wrong answer the gate shows {q.id} {status}, with no later failure")
            restore(w["cell"], q)

        for qid, d in data.DELEGATE.items():
            q = next(x for x in session.questions if x.id == qid)
            kernel.run(d["source"])
            for part in q.parts:
                src = _cell(source_nb, part).source
                err, _ = kernel.run(_visible(src))
                if err is None or "your code called" not in err:
                    problems.append(f"{part}: delegating to the library is not refused by the visible check: {err}")
                err, _ = kernel.run(_hidden(src))
                if err is None:
                    problems.append(f"{part}: delegating to the library passes the hidden tests")
                graded, _ = kernel.grade(_cell(source_nb, part))
                if graded is None or "your code called" not in graded:
                    problems.append(f"{part}: under grading, delegating to the library is not refused: {graded}")
            restore(d["cell"], q)

        for part, answers in getattr(data, "RULES", {}).items():  # right values, a stated method rule broken
            for b in answers:
                kernel.run(b["source"])
                graded, _ = kernel.grade(_cell(source_nb, part))
                if graded is None:
                    problems.append(f"{part}: an answer that breaks its question's rule scores under grading")
                err, _ = kernel.run(_visible(_cell(source_nb, part).source))
                if b["visible"] and err is None:
                    problems.append(f"{part}: an answer that breaks its question's rule passes the visible check")
                restore(b["cell"], session.question_of(part))
    return problems, source_nb, student_nb


def _renderings(value):
    """How a cell could print a number, keeping those with 3+ significant digits that round close to it."""
    out = set()
    for d in range(1, 11):
        for spec in (f".{d}f", f".{d}g", f".{d}e"):
            out.add(format(value, spec))
    out.update({repr(float(value)), str(np.float64(value)), str(np.round(value, 4))})
    keep = set()
    for r in out:
        digits = re.sub(r"e[+-]?\d+$", "", r).replace("-", "").replace(".", "").lstrip("0")
        if len(digits) >= 3 and abs(float(r) - value) <= 5e-4 * max(abs(value), 1e-12):
            keep.add(r)
    return keep


def _text_above(source_nb, student_nb, answer_cell):
    """What a student sees above an answer cell: the sources, and the outputs of the cells that are not exercises."""
    stop = student_nb.cells.index(_cell(student_nb, answer_cell))
    texts = []
    for c_student, c_run in zip(student_nb.cells[:stop], source_nb.cells[:stop]):
        texts.append(c_student.source)
        if c_student.cell_type == "code" and not (nbg(c_student).get("solution") or nbg(c_student).get("grade")):
            for o in c_run.get("outputs", []):
                texts.append(o.get("text", "") + "".join(str(v) for k, v in o.get("data", {}).items()
                                                         if k.startswith("text/")))
    return "\n".join(texts)


def _leaks(value, text):
    found = []
    for v in np.atleast_1d(np.asarray(value, dtype=float)).ravel():
        if float(v).is_integer() and abs(v) < 1000:
            continue  # small integers are everywhere in prose; the data module's PATTERNS cover them
        for r in _renderings(float(v)):  # a plain substring test first: the text is long, most renderings absent
            if r in text and re.search(r"(?<![\d.])" + re.escape(r) + r"(?![\d])", text):
                found.append(r)
    return found


def test_every_session_that_names_misconceptions_has_a_data_module():
    named = [s.id for s in course.SESSIONS if any(q.misconceptions for q in s.questions)]
    assert [sid for sid in named if sid not in DATA] == []
    assert set(DATA) <= set(named), "a data module for a session whose questions name no misconception"


@pytest.mark.parametrize("sid", sorted(DATA))
def test_data_module_covers_every_part_and_every_implement_question(sid):
    session, data = course.get_session(sid), DATA[sid]
    assert set(data.WRONG) == set(session.parts), "one classic wrong answer per autograded part"
    assert set(data.DELEGATE) == {q.id for q in session.questions if q.kind == "implement"}
    computed = {q.id for q in session.questions if q.kind == "compute"}
    # every "compute" question, and "implement" questions whose visible check's value must not show early either
    assert computed <= set(data.VALUES) | set(getattr(data, "NOT_NUMERIC", {})) <= {q.id for q in session.questions}
    assert set(getattr(data, "RULES", {})) <= set(session.parts)
    for part, w in _wrongs(data):
        if w["misconception"]:
            session.question_of(part).misconception(w["misconception"])  # declared in the course map
    for q in session.questions:
        assert q.misconceptions, f"{q.id} names no misconception"


@pytest.mark.slow
@pytest.mark.parametrize("sid", sorted(DATA))
def test_wrong_and_delegating_answers_fail_and_no_answer_shows_early(sid, tmp_path, monkeypatch):
    monkeypatch.setenv("REGLAB_PROGRESS_FILE", str(tmp_path / "progress.json"))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    problems, source_nb, student_nb = _probe(sid, tmp_path)
    session, data = course.get_session(sid), DATA[sid]
    for qid, value in data.VALUES.items():
        q = next(x for x in session.questions if x.id == qid)
        cell = next(w["cell"] for part, w in _wrongs(data) if part == q.parts[0])
        text = _text_above(source_nb, student_nb, cell)
        shown = _leaks(value, text)
        shown += [p for p in getattr(data, "PATTERNS", {}).get(qid, []) if re.search(p, text)]
        if shown:
            problems.append(f"{qid}: the answer is shown above its answer cell {cell}: {shown}")
    assert not problems, "\n".join(problems)


def test_renderings_and_leak_search():
    assert {"0.998", "0.9980", "0.998000"} <= _renderings(0.998)
    assert "1.00" not in _renderings(0.998) and "1" not in _renderings(0.998)
    assert _leaks(0.998, "factor 0.998000 here") == ["0.998000"]
    assert _leaks(0.998, "factor 0.9985 and 10.998") == []
    assert _leaks(3, "3 of them") == [] and math.isclose(float(sorted(_renderings(2 / 3))[0]), 2 / 3, rel_tol=1e-3)


def _points(nb):
    return {nbg(c)["grade_id"]: float(nbg(c).get("points", 0)) for c in nb.cells if nbg(c).get("grade")}


@pytest.mark.parametrize("sid", sorted(DATA))
def test_questions_in_order_rules_declared_and_points_follow_the_work(sid):
    session, data = course.get_session(sid), DATA[sid]
    nb = nbformat.read(ROOT / "solutions" / session.notebook, as_version=4)
    pos = {nbg(c)["grade_id"]: i for i, c in enumerate(nb.cells) if nbg(c).get("grade_id")}
    first = [min(pos[p] for p in q.parts) for q in session.questions]
    assert first == sorted(first), "the course map (and so the gate) lists the questions in order of appearance"
    headers = [int(n) for c in nb.cells if c.cell_type == "markdown"
               for n in re.findall(r"### Practice q(\d+)", c.source)]
    numbered = [int(q.id[1:]) for q in session.questions if re.fullmatch(r"q\d+", q.id)]
    assert headers == numbered == list(range(1, len(numbered) + 1)), "questions are numbered in order of appearance"
    for q in session.questions:
        sources = [_cell(nb, p).source for p in q.parts]
        hashed = {key for name, (_, named) in fingerprints.FINGERPRINTS.get(sid, {}).items()
                  if name.split(":")[0] in q.parts for key in named}  # the visible checks' checks.mistakes(...)
        for m in q.misconceptions:
            assert m.key in hashed or any(f'"{m.key}"' in s for s in sources), \
                f"{q.id}: misconception {m.key} is never checked"
        if q.kind == "implement":
            for p, s in zip(q.parts, sources):
                rules = ["forbid="] + [f"**{name}" for name in re.findall(r"(_\w+) = dict\(forbid=", s)]
                calls = re.split(r"checks\.check\w*\(", s)[1:]
                assert calls and all(any(r in c for r in rules) for c in calls), \
                    f"{p}: every check of an implement question forbids the library function that answers it"
        if q.id in data.VALUES:
            for p, s in zip(q.parts, sources):
                assert not _leaks(data.VALUES[q.id], _visible(s)), f"{p}: the visible check shows the expected value"
    points = _points(nb)
    total = sum(points[p] for p in session.parts)
    by_question = {q.id: sum(points[p] for p in q.parts) for q in session.questions}
    recall = sum(by_question[q.id] for q in session.questions if q.kind == "recall")
    assert recall <= 0.12 * total, f"recall items are worth {recall} of {total} points (at most about a tenth)"
    for q in session.questions:
        if q.kind == "modelling":
            assert by_question[q.id] == max(by_question.values()), f"{q.id}: modelling is the heaviest question"


def _plain_misconception_values(source):
    """Misconception values written in plain form in a cell's visible checks (they hint at the right answer)."""
    tree = ast.parse(_visible(source))
    plain = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr.startswith("check"):
            for kw in node.keywords:
                if kw.arg == "misconceptions" and isinstance(kw.value, ast.Dict):
                    plain += [ast.unparse(v) for v in kw.value.values
                              if not (isinstance(v, ast.Call) and ast.unparse(v.func).endswith("Fingerprint"))]
    return plain


@pytest.mark.parametrize("sid", sorted(DATA))
def test_visible_checks_show_misconceptions_only_as_fingerprints(sid):
    nb = nbformat.read(ROOT / "notebooks" / course.get_session(sid).notebook, as_version=4)
    for c in nb.cells:
        if nbg(c).get("grade") and c.cell_type == "code":
            assert not _plain_misconception_values(c.source), (
                f"{nbg(c)['grade_id']}: a wrong value in plain form lets the student work back to the right one")
