"""A class of forgers: submissions that answer nothing (or a little) and try to write their own grades.

Each forger puts a few lines at the top of an answer cell of the blank student version: rebinding ``checks`` (a
walrus, a ``for`` or ``with`` target), patching the guarded module through ``types.ModuleType.__setattr__``,
swapping a check's ``__code__``, an IPython input or AST transformer reached without naming ``get_ipython``, a
custom exception handler, a replaced shell method, a profile hook, patched numpy, a no-op ``sys.setprofile`` with
library delegation, and a replaced grading agent. Under nbgrader's way (test cells in the student's kernel) these
earn the autograded maximum; under ``reglab grade`` the verdicts are the checker's. The class is graded once, on
two sessions; every forger must score exactly what it answered honestly (0, or the parts a partial forger really
answered) and get a report row naming what the kernel showed. The forgers of ``checks`` write into session 0 (the
cheapest notebook to run: what they forge is the same in every session); the two that delegate to the library write
into session 1, whose q2 has a library twin.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from reglab_autograder import jobs, report
from reglab_autograder.commands.grade import grade
from reglab_autograder.jobs import read_notes
from reglab_autograder.options import GradeOptions, db_url_for
from reglab_autograder.testing import classroom
from reglab_autograder.testing.classroom import answered, grade_id, released, write

ROOT = Path(__file__).resolve().parents[2]
A0, A1 = "00_overfitting", "01_l2_weight_decay"
pytestmark = pytest.mark.xdist_group("forgers")

MOCK = "__import__('unittest.mock').mock.MagicMock()"
PATCH_ALL = "for _n in ('check', 'check_true', 'check_choice'):\n    {}\n"
FORGERS = {  # name: (the lines put first in the first answer cell, what the report must name)
    "walrus": (f"[checks := {MOCK}]", "checks was rebound"),
    "forloop": (f"for checks in [{MOCK}]:\n    pass", "checks was rebound"),
    "withstmt": (f"with __import__('contextlib').nullcontext({MOCK}) as checks:\n    pass", "checks was rebound"),
    "modsetattr": ("import types\nfrom reglab import checks as _c\n" + PATCH_ALL.format(
        "types.ModuleType.__setattr__(_c, _n, lambda *a, **k: print('passed'))"), "checks module was patched"),
    "codeswap": (PATCH_ALL.format("getattr(checks, _n).__code__ = (lambda *a, **k: None).__code__"),
                 "checks module was patched"),
    "transformer": ("exit._ip.input_transformers_post.append(\n"
                    "    lambda lines: ['pass\\n'] if any('checks.' in l for l in lines) else lines)",
                    "input transformer"),
    "astpass": ("import ast\nclass _Pass(ast.NodeTransformer):\n    def visit_Module(self, node):\n"
                "        keep = 'checks' not in ast.dump(node)\n"
                "        return node if keep else ast.Module(body=[ast.Pass()], type_ignores=[])\n"
                "exit._ip.ast_transformers.append(_Pass())", "AST transformer"),
    "customexc": ("exit._ip.set_custom_exc((BaseException,), lambda *a, **k: None)", "custom exception handler"),
    "runcell": ("_real = exit._ip.run_cell\n"
                "exit._ip.run_cell = lambda raw_cell, *a, **k: _real('pass' if 'checks.' in raw_cell else raw_cell,"
                " *a, **k)", "method of the IPython shell"),
    "profiler": ("import sys, threading\nsys.setprofile(lambda *a: None)\nthreading.setprofile(lambda *a: None)",
                 "trace or profile hook"),
    "numpy": ("np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
              "np.array_equal = lambda *a, **k: True\nnp.all = lambda *a, **k: True", "numpy functions"),
    "variants": ("import reglab.variants as _v\n_v.seed = lambda *a, **k: 0",
                 "reglab.variants module was patched"),
    "agent": ("import reglab._oracle as _o\n_o.handle = lambda text: '{\"v\": 1, \"ok\": 1.0, \"watch\": {}}'",
              "protocol"),
}
# delegates to the library on a thread of its own, where the watch that threading passes on does not reach
THREAD_Q2 = ("import _thread\nfrom reglab import l2 as _l2\n"
             "def shrink(lam, alpha):\n    box, lock = [], _thread.allocate_lock()\n    lock.acquire()\n"
             "    def run():\n        box.append(_l2.shrink_factors(lam, alpha))\n        lock.release()\n"
             "    _thread.start_new_thread(run, ())\n    lock.acquire()\n    return box[0]\n")
# delegates to the library after switching the method rules' watch off: it must fail the rules, not score
DELEGATE_Q2 = ("import sys\nsys.setprofile = lambda f: None\nfrom reglab import l2 as _l2\n"
               "def shrink(lam, alpha):\n    return _l2.shrink_factors(lam, alpha)\n")
PARTIAL_HONEST = {"a_q1"}  # the partial forger answers q1 honestly and forges everything after it


def _first_answer(nb):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code")


def _forger(aid, lines):
    nb = released(aid)
    cell = _first_answer(nb)
    cell.source = lines + "\n" + cell.source
    return nb


def build(sub: Path) -> dict:
    """The class: {(student, assignment): (what the report must name, autograded points it may keep)}."""
    expect = {}
    for name, (lines, named) in FORGERS.items():
        write(sub, name, A0, _forger(A0, lines))
        expect[(name, A0)] = (named, 0.0)
    nb = released(A1)
    cell = next(c for c in nb.cells if grade_id(c) == "a_q2")
    cell.source = DELEGATE_Q2
    write(sub, "watchoff", A1, nb)
    expect[("watchoff", A1)] = ("sys functions were replaced", 0.0)
    nb = released(A1)
    next(c for c in nb.cells if grade_id(c) == "a_q2").source = THREAD_Q2
    write(sub, "threadoff", A1, nb)
    expect[("threadoff", A1)] = ("watch saw _thread.start_new_thread", 0.0)
    nb = answered(A0, PARTIAL_HONEST)  # q1 honest; the walrus in the next answer cell forges the rest
    cell = next(c for c in nb.cells if grade_id(c) == "a_q2")
    cell.source = f"[checks := {MOCK}]\n" + cell.source
    write(sub, "partial", A0, nb)
    expect[("partial", A0)] = ("checks was rebound", classroom.points(A0, answer_ids=PARTIAL_HONEST))
    return expect


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("forgers")
    expect = build(base / "submitted")
    out = base / "graded"
    result = grade(GradeOptions(submissions=base / "submitted", out=out, workers=2, timeout=30, course_root=ROOT,
                                progress=False))
    records = jobs.read_all(out / "jobs")
    rows = report.problem_rows(records, read_notes(out))
    return {"out": out, "expect": expect, "rows": rows, "exit": result.exit_code,
            "records": {(r.student, r.assignment): r for r in records}}


def _autograded(out, student, aid):
    with Gradebook(db_url_for(out)) as gb:
        sub = gb.find_submission_notebook(aid, aid, student)
        return sum(g.score or 0.0 for g in sub.grades if g.cell.cell_type == "code")


def test_the_class_is_graded_without_a_grader_error(graded):
    assert graded["exit"] == 0, graded["rows"]
    assert set(graded["records"]) == set(graded["expect"])
    assert len({s for s, _ in graded["expect"]}) >= 10 and len({a for _, a in graded["expect"]}) == 2


def test_no_forger_gets_a_point_it_did_not_earn(graded):
    wrong = {}
    for (student, aid), (_, honest) in graded["expect"].items():
        got = _autograded(graded["out"], student, aid)
        if got != honest:
            wrong[(student, aid)] = (got, honest)
    assert not wrong, f"(score, earned) of forgers scored wrongly: {wrong}"


def test_the_partial_forger_keeps_exactly_its_honest_points(graded):
    honest = graded["expect"][("partial", A0)][1]
    assert honest > 0 and _autograded(graded["out"], "partial", A0) == honest


def test_every_forger_has_a_row_naming_what_the_kernel_showed(graded):
    missing = {}
    for (student, aid), (named, _) in graded["expect"].items():
        rows = [detail for s, a, kind, detail in graded["rows"] if (s, a) == (student, aid)
                and kind in ("tampering", "unreadable answer")]
        if not any(named in r for r in rows):
            missing[(student, aid)] = rows
    assert not missing, json.dumps({f"{s}/{a}": r for (s, a), r in missing.items()}, indent=1)


def test_the_feedback_of_a_forger_shows_no_hidden_test(graded):
    page = (graded["out"] / "feedback" / "walrus" / A0 / f"{A0}.html").read_text()
    src = classroom.source(A0)
    hidden = [c.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0].strip().splitlines()[0]
              for c in src.cells if "### BEGIN HIDDEN TESTS" in c.source]
    assert hidden and not any(h.strip() and h.strip() in page for h in hidden)


def test_the_delegating_forger_fails_the_rule_with_the_rules_message(graded):
    for student in ("watchoff", "threadoff"):
        nb = nbformat.read(graded["out"] / "autograded" / student / A1 / f"{A1}.ipynb", as_version=4)
        cells = {grade_id(c): c for c in nb.cells}
        for gid in ("q2a", "q2b"):
            errors = [o.evalue for o in cells[gid].outputs if o.output_type == "error"]
            assert errors and "switched off or went around" in errors[0], (student, gid, errors)
