"""End-to-end grading of a synthetic class built from the real course notebooks.

One batch, graded once by ``reglab grade`` with 2 workers, holds honest students (full, blank,
partial answers) and one student per attack. For every attack the assertions are the issue's:
no points gained, the batch completes, the gradebook stays consistent, and a clear report row.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import threading
import uuid
from pathlib import Path

import nbformat
import pytest
from reglab_autograder import sandbox
from reglab_autograder.options import GradeOptions, db_url_for
from reglab_autograder.pipeline import grade
from reglab_autograder.testing import classroom
from reglab_autograder.testing.classroom import answered, cell_by_id, grade_id, released, write

ROOT = Path(__file__).resolve().parents[1]
A0, A1 = "00_overfitting", "01_l2_weight_decay"
MAX0 = 7.0  # autograded points of session 0
TOKEN = uuid.uuid4().hex[:8]


def _with_answer(grade_id, code, base=None):
    nb = copy.deepcopy(base or released(A0))
    cell_by_id(nb, grade_id).source = code
    return nb


def _changed(change):
    """The blank student version, changed by ``change(nb)``."""
    nb = released(A0)
    change(nb)
    return nb


def _to_markdown(cell):
    cell.cell_type = "markdown"
    cell.pop("outputs")
    cell.pop("execution_count")


def _listener():
    """A TCP server on loopback that records whether anything connected."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    srv.settimeout(0.5)
    hits = []

    def run():
        while not getattr(srv, "closed", False):
            try:
                conn, _ = srv.accept()
                hits.append(1)
                conn.close()
            except OSError:
                if getattr(srv, "_closed", False):
                    return

    threading.Thread(target=run, daemon=True).start()
    return srv, hits


def build_class(base: Path, out: Path, port: int):
    sub = base / "submitted"
    classroom.honest_class(sub)
    ans = answered(A0)
    attacks = {}

    def add(student, nb=None, **kw):
        attacks[student] = write(sub, student, A0, nb, **kw)

    # runaway code
    add("loop", _with_answer("a_q1", "while True:\n    pass"))
    add("membomb", _with_answer("a_q1", "hog = [bytearray(10**8) for _ in range(200)]"))
    add("forkbomb", _with_answer("a_q1", "import os\nfor _ in range(10000):\n    try:\n        os.fork()\n"
                                         "    except OSError:\n        break"))
    add("osexit", _with_answer("a_q1", "import os\nos._exit(1)"))
    add("sysexit", _with_answer("a_q1", "import sys\nsys.exit(3)"))
    add("segfault", _with_answer("a_q1", "import faulthandler\nfaulthandler._sigsegv()"))
    add("flood", _with_answer("a_q1", "for _ in range(300_000):\n    print('x' * 1000)"))  # ~300 MB printed
    # reaching outside the sandbox (paths built at run time, so intake's static check does not catch them)
    repo, graded = str(ROOT), str(out)
    read = "\nbest_degree = len(open(p).read())"
    nb_path = "/00_overfitting/00_overfitting.ip' + 'ynb'"
    add("readsol", _with_answer("a_q1", f"p = {repo!r} + '/sol' + 'utions{nb_path}{read}"))
    add("readhidden", _with_answer("a_q1", f"p = {graded!r} + '/sou' + 'rce{nb_path}{read}"))
    grader = str(Path(sandbox.__file__).parent)  # the grader's own code, wherever it is installed
    add("readgrader", _with_answer("a_q1", f"p = {grader!r} + '/sand' + 'box.py'{read}"))
    add("writegb", _with_answer("a_q1", f"open({graded!r} + '/grade' + 'book.db', 'w').write('pwned')"))
    add("writeother", _with_answer(
        "a_q1", f"open({graded!r} + '/subm' + 'itted/alice/00_overfitting/x.txt', 'w').write('pwned')"))
    add("writeout", _with_answer(
        "a_q1", f"open('/tmp/pwned_{TOKEN}', 'w').write('pwned')\nopen('../pwned_{TOKEN}', 'w').write('pwned')"))
    add("network", _with_answer("a_q1", f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=3)"))
    # test-cell and metadata tampering, all on the blank version
    add("edittest", _changed(lambda nb: setattr(cell_by_id(nb, "q1"), "source", "pass")))
    add("deltest", _changed(lambda nb: setattr(nb, "cells", [c for c in nb.cells if grade_id(c) not in ("q1", "q2a")])))
    add("retype", _changed(lambda nb: _to_markdown(cell_by_id(nb, "q2a"))))
    add("reorder", _changed(lambda nb: nb.cells.insert(2, nb.cells.pop(nb.cells.index(cell_by_id(nb, "q4a"))))))
    add("points", _changed(lambda nb: cell_by_id(nb, "q1").metadata["nbgrader"].update(points=100)))
    add("gradeid", _changed(lambda nb: cell_by_id(nb, "q1").metadata["nbgrader"].update(grade_id="q1x")))
    add("checksum", _changed(lambda nb: cell_by_id(nb, "q4a").metadata["nbgrader"].update(checksum="0" * 32)))
    add("dupids", _changed(lambda nb: nb.cells.insert(nb.cells.index(cell_by_id(nb, "q1")),
                                                      copy.deepcopy(cell_by_id(nb, "q1")))))
    nb = _changed(lambda nb: _to_markdown(cell_by_id(nb, "q3a")))
    nb.cells = [x for x in nb.cells if grade_id(x) != "q4a"]
    d = json.loads(nbformat.writes(nb))
    d["nbformat_minor"] = 0
    for cell in d["cells"]:
        cell.pop("id", None)
    add("nb40", raw=json.dumps(d).encode())
    # broken files
    add("malformed", raw=nbformat.writes(ans).encode()[:500])
    add("empty", raw=b"")
    add("binary", raw=b"\xff\xfe\x00garbage\x80\x81" * 50)
    add("wrongname", ans, name="my_homework.ipynb")
    add("extra", released(A0))
    (sub / "extra" / A0 / "reglab.py").write_text("raise SystemExit('shadowed')\n")
    (sub / "extra" / A0 / "notes.txt").write_text("hello")
    add("otherassign", raw=nbformat.writes(answered(A1)).encode())
    # cheating inside the answers
    add("eqtrue", _with_answer("a_q3", "class Liar(float):\n    def __eq__(self, o): return True\n"
                                       "    def __ne__(self, o): return False\n"
                                       "def penalized_mse(y, y_hat, w, alpha):\n    return Liar(0.0)"))
    add("mpnumpy", _with_answer("a_q1", "np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True"))
    add("mpbuiltins", _with_answer("a_q1", "import builtins\nbuiltins.isinstance = lambda *a: True"))
    add("mpchecks", _with_answer("a_q1", "checks.check = lambda *a, **k: print('\\u2714 passed')\n"
                                         "checks.check_true = checks.check"))
    add("mpexec", _with_answer("a_q1", "exec('checks.check = lambda *a, **k: None')"))
    # a correct answer that warns on stderr keeps its points
    nb = answered(A0)
    cell_by_id(nb, "a_q3").source = ("import warnings\ndef penalized_mse(y, y_hat, w, alpha):\n"
                                   "    warnings.warn('this is fine', RuntimeWarning)\n"
                                   "    import sys; print('debug', file=sys.stderr)\n"
                                   "    y, y_hat, w = (np.asarray(a, dtype=float) for a in (y, y_hat, w))\n"
                                   "    return np.mean((y - y_hat) ** 2) + 0.5 * alpha * np.sum(w ** 2)")
    add("stderrok", nb)
    return attacks


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    out = tmp_path_factory.mktemp("graded")
    srv, hits = _listener()
    build_class(base, out, srv.getsockname()[1])
    opts = GradeOptions(submissions=base, out=out, workers=2, timeout=10, notebook_timeout=60,
                        course_root=ROOT, progress=False, limits=dict(sandbox.DEFAULT_LIMITS, memory_mb=1536))
    result = grade(opts)
    srv._closed = True
    srv.close()
    records = {(r.student, r.assignment): r for r in result.records}
    return {"result": result, "records": records, "out": out, "base": base, "hits": hits, "opts": opts}


def rows_for(batch, student):
    return [(kind, detail) for s, a, kind, detail in batch["result"].problems if s == student]


def test_batch_completes_and_grader_reports_no_error(batch):
    assert batch["result"].exit_code == 0
    assert all(r.graded for r in batch["records"].values()), \
        [(k, r.detail) for k, r in batch["records"].items() if not r.graded]


def test_honest_students_full_blank_and_partial(batch):
    rec = batch["records"]
    assert rec[("alice", A0)].auto_score == MAX0 and rec[("alice", A1)].auto_score == rec[("alice", A1)].auto_max
    assert rec[("bob", A0)].auto_score == 0 and rec[("bob", A1)].auto_score == 0
    # carol answered q1 and q2 of each: 1 + 2 points in session 0, 1 + (1 + 1) in session 1
    assert rec[("carol", A0)].auto_score == 3 and rec[("carol", A1)].auto_score == 3
    assert not rows_for(batch, "alice") and not rows_for(batch, "bob") and not rows_for(batch, "carol")


ATTACKS = {
    "loop": "timeout", "membomb": "memory limit", "forkbomb": "processes killed", "osexit": "killed",
    "sysexit": "exit", "segfault": "killed", "flood": "output flood",
    "readsol": "file access blocked", "readhidden": "file access blocked", "readgrader": "file access blocked",
    "writegb": "file access blocked",
    "writeother": "file access blocked", "writeout": "file access blocked", "network": "network blocked",
    "edittest": "edited test", "deltest": "deleted test", "retype": "retyped test", "reorder": "reordered",
    "points": "changed points", "gradeid": "unknown grade ids", "checksum": "changed checksum",
    "dupids": "duplicate grade ids", "nb40": "normalized",
    "malformed": "malformed", "empty": "empty", "binary": "not utf-8", "wrongname": "wrong name",
    "extra": "extra files", "otherassign": "other assignment",
    "eqtrue": None, "mpnumpy": "flagged", "mpbuiltins": "flagged", "mpchecks": "flagged", "mpexec": "flagged",
}


@pytest.mark.parametrize("student", sorted(ATTACKS))
def test_attack_gains_nothing_and_is_reported(batch, student):
    rec = batch["records"][(student, A0)]
    assert rec.status == "graded"
    assert rec.auto_score == 0, f"{student} gained {rec['auto_score']} points"
    assert rec.auto_max == MAX0, "the maximum must come from the gradebook, whatever the metadata says"
    assert not any(p.needs_manual_grade for p in rec.parts if p.type == "code"), "code cells never need manual grading"
    kinds = [k for k, _ in rows_for(batch, student)]
    if ATTACKS[student] is not None:
        expected = ATTACKS[student]
        assert expected in kinds, f"{student}: expected a '{expected}' row, got {rows_for(batch, student)}"


def test_deleted_and_renamed_tests_score_zero_not_manual(batch):
    for student in ("deltest", "gradeid", "nb40"):
        rec = batch["records"][(student, A0)]
        assert rec.deleted_tests, student
        assert "deleted test" in [k for k, _ in rows_for(batch, student)]


def test_correct_answer_with_stderr_noise_keeps_its_points(batch):
    rec = batch["records"][("stderrok", A0)]
    assert rec.auto_score == MAX0
    for gid in ("q3a", "q3b"):  # penalized_mse, whose data term and penalty are graded separately
        part = next(p for p in rec.parts if p.grade_id == gid)
        assert part.score == part.max_score == 1


def test_sandbox_left_no_trace_and_blocked_the_network(batch):
    out = batch["out"]
    assert batch["hits"] == [], "a submission reached the test's loopback server"
    assert not Path(f"/tmp/pwned_{TOKEN}").exists()
    assert not (out / "submitted" / "alice" / A0 / "x.txt").exists()
    assert (out / "gradebook.db").read_bytes()[:15] == b"SQLite format 3"
    if os.geteuid() == 0:
        assert all(r.execution.get("sandboxed") for r in batch["records"].values() if r.execution)


def test_gradebook_is_consistent_with_the_records_and_csv(batch):
    import csv

    from nbgrader.api import Gradebook

    with Gradebook(db_url_for(batch["out"])) as gb:
        subs = {(s.student.id, s.assignment.name): s for a in gb.assignments for s in a.submissions}
        assert set(subs) == set(batch["records"])
        for key, sub in subs.items():
            code = [g for nb in sub.notebooks for g in nb.grades if g.cell.cell_type == "code"]
            assert sum(g.score for g in code) == batch["records"][key].auto_score
            assert len({(g.notebook.name, g.name) for g in code}) == len(code)  # one grade per cell
    with open(batch["out"] / "grades.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert {(r["student_id"], r["assignment"]) for r in rows} >= set(batch["records"])


def test_feedback_never_shows_hidden_tests(batch):
    src = nbformat.read(ROOT / "solutions" / A0 / f"{A0}.ipynb", as_version=4)
    hidden_lines = set()
    for c in src.cells:
        if "### BEGIN HIDDEN TESTS" in c.source:
            block = c.source.split("### BEGIN HIDDEN TESTS", 1)[1].split("### END HIDDEN TESTS", 1)[0]
            hidden_lines |= {line.strip() for line in block.splitlines() if len(line.strip()) > 25}
    assert hidden_lines
    files = list((batch["out"] / "feedback").rglob("*.html"))
    assert len(files) >= len(batch["records"]) - 3  # wrongname/empty-style submissions still get feedback
    import html as _html

    for f in files:
        text = _html.unescape(f.read_text())
        assert "BEGIN HIDDEN TESTS" not in text
        leaked = [line for line in hidden_lines if line in text]
        assert not leaked, f"{f}: hidden test source leaked: {leaked[:2]}"
    bob = _html.unescape((batch["out"] / "feedback" / "bob" / A0 / f"{A0}.html").read_text())
    assert "q3a: not answered yet" in bob  # pass/fail and the message do appear


def test_report_html_has_plots_and_problem_rows(batch):
    text = (batch["out"] / "report.html").read_text()
    assert text.count("data:image/png;base64,") >= 2
    assert "id='problems'" in text
    for student in ("loop", "malformed", "mpchecks"):
        assert f"<td>{student}</td>" in text
    assert (batch["out"] / "grades_by_question.csv").read_text().count("\n") > 50
