"""The grading output as a record: what each grade was graded against (stale grades after the course's tests change,
``--regrade`` keeping formgrader's scores and comments), an output that can be moved, scores rounded for people,
pending written answers, and the LMS exports.

The course is a copy of the repository's configuration and solutions, so that a test can change a hidden test.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from reglab_autograder.commands import grade as pipeline
from reglab_autograder.commands.grade import grade
from reglab_autograder.jobs import read_all
from reglab_autograder.options import GradeOptions, db_url_for
from reglab_autograder.testing import classroom

from helpers import course_copy

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.xdist_group("records")

A0 = "00_overfitting"
AUTO0 = classroom.points(A0)
COMMENT = "Clear argument about variance."
# bob is 2 started days late at 30 % a day: a penalty whose float has rounding digits (9 * 0.3 * 2 is
# 5.3999999999999995), which the gradebook keeps and the exports for people round
RATE = 0.3
PENALTY = AUTO0 * RATE * 2
LATE_POLICY = f"""
c.LatePolicy.due_dates = {{{A0!r}: "2026-10-05T23:59:00+00:00"}}
c.LateSubmissionPlugin.penalty_method = "per_day"
c.LatePenalty.fraction_per_day = {RATE}
"""


def _course(base: Path, extra: str = "") -> Path:
    return course_copy(base, extra, copy_solutions=True)


def _class(base: Path) -> Path:
    sub = base / "submitted"
    for student in ("alice", "bob"):
        classroom.write(sub, student, A0, classroom.answered(A0))
    return sub


def _opts(base, out, course, **kw) -> GradeOptions:
    return GradeOptions(submissions=base / "submitted", out=out, workers=2, course_root=course, progress=False, **kw)


def _code(out, student, gid):
    with Gradebook(db_url_for(out)) as gb:
        return gb.find_grade(gid, A0, A0, student).score


def _break_hidden_test(course: Path, gid: str) -> None:
    """A wrong hidden test, as an instructor could write one: q4a's hidden check expects one more than right."""
    path = course / "solutions" / A0 / f"{A0}.ipynb"
    text = path.read_text()
    old = "weight_penalty(_w_only, _a), 0.5 * _a * _s,"
    assert text.count(old) == 1
    path.write_text(text.replace(old, "weight_penalty(_w_only, _a), 0.5 * _a * _s + 1,"))


def test_a_changed_hidden_test_is_reported_stale_and_regrade_keeps_formgrader_scores(tmp_path, capsys, monkeypatch):
    course, out = _course(tmp_path), tmp_path / "out"
    _class(tmp_path)
    first = grade(_opts(tmp_path, out, course))
    assert first.exit_code == 0 and [r.score for r in first.records] == [AUTO0, AUTO0]
    assert all(r.course_digest and r.grader for r in first.records)
    with Gradebook(db_url_for(out)) as gb:  # what formgrader does when the instructor types a score
        g = gb.find_grade("w1", A0, A0, "alice")
        g.manual_score, g.extra_credit, g.needs_manual_grade = 2.0, 0.5, False
        gb.find_comment("w1", A0, A0, "alice").manual_comment = COMMENT
        gb.db.commit()

    # the same course again: nothing is stale, nothing regraded
    capsys.readouterr()
    again = grade(_opts(tmp_path, out, course))
    assert again.exit_code == 0 and "STALE" not in capsys.readouterr().err

    _break_hidden_test(course, "q4a")
    stale = grade(_opts(tmp_path, out, course))
    err = capsys.readouterr().err
    assert stale.exit_code == pipeline.STALE
    assert f"STALE {A0}: the course's tests changed since 2 submission(s) were graded" in err and "--regrade" in err
    assert _code(out, "alice", "q4a") == _code(out, "bob", "q4a") == 1  # the old scores, kept, but said so
    assert sorted((p.student, p.kind) for p in stale.problems) == [("alice", "stale"), ("bob", "stale")]
    assert "stale" in (out / "report.html").read_text()

    only_bob = grade(_opts(tmp_path, out, course, regrade=True, student="bob"))
    assert only_bob.exit_code == pipeline.STALE  # alice is still stale
    assert _code(out, "bob", "q4a") == 0 and _code(out, "alice", "q4a") == 1
    assert f"STALE {A0}: the course's tests changed since 1 submission(s)" in capsys.readouterr().err

    regraded = grade(_opts(tmp_path, out, course, regrade=True))
    assert regraded.exit_code == 0 and "STALE" not in capsys.readouterr().err
    assert _code(out, "alice", "q4a") == 0
    with Gradebook(db_url_for(out)) as gb:
        g = gb.find_grade("w1", A0, A0, "alice")
        assert (g.manual_score, g.extra_credit, g.needs_manual_grade) == (2.0, 0.5, False)
        assert gb.find_comment("w1", A0, A0, "alice").manual_comment == COMMENT
        assert gb.find_grade("w1", A0, A0, "bob").manual_score is None
    rec = {r.student: r for r in regraded.records}
    assert rec["alice"].score == AUTO0 - 1 + 2 + 0.5 and rec["bob"].score == AUTO0 - 1
    with open(out / "grades.csv", newline="") as fh:
        assert {r["student_id"]: float(r["score"]) for r in csv.DictReader(fh)} == {
            "alice": AUTO0 - 1 + 2.5, "bob": AUTO0 - 1}

    # a new grader (its GRADING_LOGIC bumped) makes every grade stale again
    from reglab_autograder import jobs

    monkeypatch.setattr(jobs, "GRADING_LOGIC", jobs.GRADING_LOGIC + 1)
    assert grade(_opts(tmp_path, out, course)).exit_code == pipeline.STALE
    assert f"STALE {A0}: the grader changed" in capsys.readouterr().err
    monkeypatch.undo()

    # removing a graded cell is beyond what nbgrader can change under graded submissions: said so, nothing lost
    import nbformat
    from reglab_autograder.common import grade_id

    path = course / "solutions" / A0 / f"{A0}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if grade_id(c) != "q4b"]
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match="adds or removes graded cells.*new --out"):
        grade(_opts(tmp_path, out, course, regrade=True))
    assert _code(out, "alice", "q4b") == 1


def _reglab(*args, **kw):
    return subprocess.run([str(BIN / "reglab"), *map(str, args)], capture_output=True, text=True, timeout=600, **kw)


def _rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _bytes(out):
    return {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_a_copied_output_uses_its_own_gradebook_and_the_exports_are_for_people(tmp_path):
    course, out = _course(tmp_path, LATE_POLICY), tmp_path / "out"
    sub = _class(tmp_path)
    (sub / "bob" / A0 / "timestamp.txt").write_text("2026-10-07T11:59:00+00:00")
    classroom.write(sub, "carol", A0, classroom.released(A0))  # a blank notebook: its written answer is not pending
    res = grade(_opts(tmp_path, out, course))
    assert res.exit_code == 0
    for name in ("grading.json", "nbgrader_config.py"):
        assert str(out) not in (out / name).read_text()
    by_q = {(r[0], r[3]): r for r in _rows(out / "grades_by_question.csv")[1:]}
    assert by_q[("alice", "w1")][5:8] == ["pending", "", ""]  # score, auto_score, manual_score
    assert by_q[("carol", "w1")][5:8] == ["0.0", "0.0", ""]  # no answer: 0, said as 0
    assert "<td>pending: w1</td>" in (out / "report.html").read_text()

    moved = tmp_path / "archive" / "moved"
    shutil.copytree(out, moved)
    before = _bytes(out)
    with Gradebook(db_url_for(moved)) as gb:  # formgrader in the copy
        g = gb.find_grade("w1", A0, A0, "alice")
        g.manual_score, g.extra_credit, g.needs_manual_grade = 1.1, 0.2, False
        gb.find_comment("w1", A0, A0, "alice").manual_comment = "Good."
        gb.db.commit()
    r = _reglab("feedback", moved)
    assert r.returncode == 0, r.stderr
    assert _bytes(out) == before  # the original output is untouched
    assert f"{A0}: 1 manual score(s) and 1 comment(s) picked up; still ungraded: bob: w1" in r.stdout
    assert "Good." in (moved / "feedback" / "alice" / A0 / f"{A0}.html").read_text()

    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(moved)).load_config()  # what formgrader reads
    assert cfg.CourseDirectory.root == str(moved) and cfg.CourseDirectory.db_url == db_url_for(moved)

    with Gradebook(db_url_for(moved)) as gb:
        penalty = gb.find_submission(A0, "bob").late_submission_penalty
    shown, after = repr(round(PENALTY, 4)), repr(round(AUTO0 - PENALTY, 4))  # as the exports write them
    assert repr(PENALTY) != shown  # (the case this test is about: a float with rounding digits)
    assert penalty == PENALTY and repr(penalty) == repr(PENALTY)  # kept so in the gradebook
    assert {(r[0], r[3]): r for r in _rows(moved / "grades_by_question.csv")[1:]}[("alice", "w1")][5:8] == [
        "1.3", "", "1.1"]
    alice = AUTO0 + 1.3
    grades = {r[3]: r for r in _rows(moved / "grades.csv")[1:]}
    assert grades["alice"][7:11] == [repr(alice), "0.0", repr(alice), repr(AUTO0 + 2)]
    assert grades["bob"][7:11] == [repr(AUTO0), shown, after, repr(AUTO0 + 2)]
    assert grades["carol"][7:11] == ["0.0", "0.0", "0.0", repr(AUTO0 + 2)]
    report = (moved / "report.html").read_text()
    assert f"<td class=num>{shown}</td><td class=num>{after} / {AUTO0 + 2:g} + pending</td>" in report

    a = repr(round(alice, 4))
    assert _rows(moved / "grades_wide.csv") == [
        ["student_id", "first_name", "last_name", "email", A0, "total", "pending"],
        ["alice", "", "", "", a, a, ""],
        ["bob", "", "", "", after, after, A0],
        ["carol", "", "", "", "0.0", "0.0", ""]]
    assert _rows(moved / "grades_canvas.csv") == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", A0],
        ["alice", "", "alice", "", "", a], ["bob", "", "bob", "", "", after],
        ["carol", "", "carol", "", "", "0.0"]]
    assert _rows(moved / "grades_moodle.csv") == [
        ["First name", "Last name", "ID number", "Email address", A0],
        ["", "", "alice", "", a], ["", "", "bob", "", after], ["", "", "carol", "", "0.0"]]


def test_lms_exports_carry_names_and_emails_safely(tmp_path):
    """Names and e-mails as a roster gives them, one that starts like a formula, a missing submission."""
    from nbgrader.api import Gradebook as GB
    from reglab_autograder import gradebook
    from reglab_autograder.plugins import export

    url = f"sqlite:///{tmp_path / 'gb.db'}"
    gradebook.create(url)
    with GB(url) as gb:
        gb.add_assignment("a1")
        gb.add_assignment("a2")
        gb.add_student("s1", first_name="Ada", last_name="Lovelace", email="ada@example.org")
        gb.add_student("s2", first_name="=cmd()", last_name="O'Neil, Jr", email="")
        export.write_lms_exports(gb, tmp_path)
    assert _rows(tmp_path / "grades_wide.csv")[1:] == [
        ["s1", "Ada", "Lovelace", "ada@example.org", "0.0", "0.0", "0.0", ""],
        ["s2", "'=cmd()", "O'Neil, Jr", "", "0.0", "0.0", "0.0", ""]]
    assert _rows(tmp_path / "grades_canvas.csv")[1:] == [
        ["Lovelace, Ada", "", "s1", "", "", "0.0", "0.0"], ["O'Neil, Jr, =cmd()", "", "s2", "", "", "0.0", "0.0"]]


def test_notebook_warnings_are_report_rows_of_their_student_and_quiet(tmp_path):
    """nbformat's warning about a notebook (here: two cells with one id) names the student in the report and
    prints nothing under --quiet."""
    import json

    course, out = _course(tmp_path), tmp_path / "out"
    sub = tmp_path / "submitted"
    classroom.write(sub, "alice", A0, classroom.released(A0))
    classroom.write(sub, "bob", A0, classroom.released(A0))
    path = sub / "bob" / A0 / f"{A0}.ipynb"
    raw = json.loads(path.read_text())
    raw["cells"][2]["id"] = raw["cells"][1]["id"]
    path.write_text(json.dumps(raw))
    r = _reglab("grade", sub, "--out", out, "--course-dir", course, "--quiet", "--workers", "1")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    rows = [(p.kind, p.detail) for rec in read_all(out / "jobs") if rec.student == "bob" for p in rec.problems]
    assert rows and all(k == "notebook repaired" and d.startswith("DuplicateCellId: Non-unique cell id")
                        for k, d in rows)
    assert not [p for rec in read_all(out / "jobs") if rec.student == "alice" for p in rec.problems]
    assert "<td>bob</td><td>00_overfitting</td><td>notebook repaired</td>" in (out / "report.html").read_text()
