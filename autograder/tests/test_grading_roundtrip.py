"""The instructor's loop after autograding: scores and comments entered through nbgrader's API (what
formgrader does), late penalties from the course's due dates, ``reglab feedback`` and ``reglab handback``,
and bad input at each step.

The course is a copy of the repository's configuration with due dates and a per-day penalty added, and
the real solutions (a symlink): the due dates live in the course's autograder configuration.
"""

from __future__ import annotations

import csv
import html
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from reglab_autograder.commands.grade import grade
from reglab_autograder.options import GradeOptions, db_url_for
from reglab_autograder.testing import classroom

from helpers import course_copy

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# the tests below share one graded class and build on each other (manual scores, then feedback, then hand-back):
# under xdist they must run in one worker, in file order (make test: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("roundtrip")

A0 = "00_overfitting"
DUE = "2026-10-05 23:59:00 UTC"
LATE_POLICY = f"""
c.LatePolicy.due_dates = {{{A0!r}: {DUE!r}}}
c.LateSubmissionPlugin.penalty_method = "per_day"
c.LatePenalty.fraction_per_day = 0.25
"""

AUTO0 = classroom.points(A0)  # autograded points of session 0, read from the instructor notebook
MANUAL0 = classroom.points(A0, "manual")


def _course(base: Path, extra: str) -> Path:
    return course_copy(base, extra)


def _reglab(*args, **kw):
    return subprocess.run([str(BIN / "reglab"), *map(str, args)], capture_output=True, text=True, timeout=600, **kw)


def _csv(out):
    with open(out / "grades.csv") as fh:
        return {r["student_id"]: r for r in csv.DictReader(fh)}


def _feedback(out, student):
    return html.unescape((out / "feedback" / student / A0 / f"{A0}.html").read_text())


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("roundtrip")
    course = _course(base, LATE_POLICY)
    sub = base / "submitted"
    stamps = {"alice": "2026-10-05 22:00:00 UTC",  # on time
              "bob": "2026-10-07 11:59:00 UTC",  # 36 h late: 2 started days, 2 x 25 %
              "carol": "last Tuesday after lunch"}  # unreadable: graded as on time, flagged
    for student, nb in (("alice", classroom.answered(A0)), ("bob", classroom.answered(A0)),
                        ("carol", classroom.released(A0))):
        classroom.write(sub, student, A0, nb)
        (sub / student / A0 / "timestamp.txt").write_text(stamps[student])
    out = base / "out"
    result = grade(GradeOptions(submissions=base, out=out, workers=2, course_root=course, progress=False))
    return {"base": base, "course": course, "out": out, "result": result,
            "records": {r.student: r for r in result.records}}


def test_late_penalty_and_unreadable_timestamp_after_grading(graded):
    rec, out = graded["records"], graded["out"]
    assert graded["result"].exit_code == 0 and all(r.graded for r in rec.values())
    assert rec["alice"].late_penalty == 0 and rec["alice"].score == AUTO0
    assert rec["bob"].seconds_late == 36 * 3600
    assert rec["bob"].late_penalty == AUTO0 / 2 and rec["bob"].score == AUTO0 / 2
    rows = [(s, k, d) for s, a, k, d in graded["result"].problems]
    assert any(s == "carol" and k == "bad timestamp" and "last Tuesday" in d for s, k, d in rows)
    assert any(s == "bob" and k == "late" and "1.5 days late" in d for s, k, d in rows)
    assert (out / "submitted" / "carol" / A0 / ".timestamp.txt.unreadable").read_text() == "last Tuesday after lunch"
    assert (graded["base"] / "submitted" / "carol" / A0 / "timestamp.txt").exists()  # the input is untouched
    grades = _csv(out)
    assert float(grades["bob"]["raw_score"]) == AUTO0 and float(grades["bob"]["late_submission_penalty"]) == AUTO0 / 2
    assert "Late submission penalty" in _feedback(out, "bob")


def test_manual_scores_and_comments_reach_feedback_and_totals_without_running_notebooks(graded):
    out = graded["out"]
    autograded = {p: p.stat().st_mtime_ns for p in (out / "autograded").rglob("*.ipynb")}
    events = {p: p.stat().st_mtime_ns for p in (out / "jobs").glob("*.events.json")}
    with Gradebook(db_url_for(out)) as gb:  # what formgrader does when the instructor types a score
        grades = gb.find_submission_notebook(A0, A0, "alice").grades
        assert [g.name for g in grades if g.cell.cell_type == "markdown"] == ["w1"]
        for student, score, comment in (("alice", 2.0, "Clear argument about variance."),
                                        ("bob", 1.0, "Half right: say why the test error rises.")):
            grade_ = gb.find_grade("w1", A0, A0, student)
            grade_.manual_score = score
            grade_.needs_manual_grade = False  # what formgrader's API handler does with a score
            gb.find_comment("w1", A0, A0, student).manual_comment = comment
        gb.db.commit()
    r = _reglab("feedback", out)
    assert r.returncode == 0, r.stderr
    assert {p: p.stat().st_mtime_ns for p in (out / "autograded").rglob("*.ipynb")} == autograded
    assert {p: p.stat().st_mtime_ns for p in (out / "jobs").glob("*.events.json")} == events  # no kernel started
    alice, bob = _feedback(out, "alice"), _feedback(out, "bob")
    assert "Clear argument about variance." in alice and f"Score: {AUTO0 + 2:.1f} / {AUTO0 + MANUAL0:.1f}" in alice
    assert "Half right: say why the test error rises." in bob and "Clear argument" not in bob
    grades = _csv(out)
    assert float(grades["alice"]["score"]) == AUTO0 + 2
    # bob: all autograded points + 1 manual, 2 started days late at 25 % a day: the penalty follows the new score
    raw = AUTO0 + 1
    assert float(grades["bob"]["raw_score"]) == raw and float(grades["bob"]["late_submission_penalty"]) == raw / 2
    assert float(grades["bob"]["score"]) == raw / 2
    with open(out / "grades_by_question.csv") as fh:
        w1 = {r["student"]: r for r in csv.DictReader(fh) if r["grade_id"] == "w1"}
    assert float(w1["alice"]["manual_score"]) == 2.0 and w1["alice"]["needs_manual_grade"] == "False"
    report = (out / "report.html").read_text()
    assert (f"<td>bob</td><td>00_overfitting</td><td>graded</td><td class=num>{AUTO0:g} / {AUTO0:g}</td>"
            f"<td class=num>{raw / 2:g}</td>") in report
    assert "bad timestamp" in report  # the rows of the grading run are kept


def test_hand_back_one_folder_per_student_with_only_their_feedback(graded):
    out = graded["out"]
    r = _reglab("handback", out, "--zip")
    assert r.returncode == 0, r.stderr
    hb = out / "handback"
    assert sorted(p.name for p in hb.iterdir() if p.is_dir()) == ["alice", "bob", "carol"]
    for student in ("alice", "bob", "carol"):
        files = sorted(p.relative_to(hb / student).as_posix() for p in (hb / student).rglob("*") if p.is_file())
        expected = [f"{A0}/{A0}.html"] + ([f"{A0}/timestamp.txt"] if student != "carol" else [])
        assert [f for f in files if not f.startswith("mathjax/")] == expected, files
        assert "mathjax/MathJax.js" in files and "mathjax/reglab-config.js" in files  # what the pages load
        with zipfile.ZipFile(hb / f"{student}.zip") as z:
            assert sorted(z.namelist()) == files
    assert "Clear argument" in (hb / "alice" / A0 / f"{A0}.html").read_text()
    assert "Clear argument" not in (hb / "bob" / A0 / f"{A0}.html").read_text()


def test_feedback_on_a_folder_that_is_not_a_grading_output(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "todo.txt").write_text("grade the class")
    r = _reglab("feedback", folder)
    assert r.returncode == 2 and "is not a grading output of `reglab grade`" in r.stderr
    assert [p.name for p in folder.iterdir()] == ["todo.txt"]  # nothing written


def test_formgrader_on_a_missing_folder(tmp_path):
    r = _reglab("formgrader", tmp_path / "nowhere", "--no-browser")
    assert r.returncode == 2 and "no such folder" in r.stderr
    assert not (tmp_path / "nowhere").exists()


def test_a_due_date_in_a_wrong_format_stops_before_anything_changes(graded, tmp_path):
    # grading: refused before any submission is taken in
    course = _course(tmp_path, f"\nc.LatePolicy.due_dates = {{{A0!r}: 'the fifth of Octobre'}}\n")
    out = tmp_path / "out"
    r = _reglab("grade", graded["base"] / "submitted", "--out", out, "--course-dir", course, "--workers", "1",
                "--quiet")
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"due date of {A0} is not a date: 'the fifth of Octobre'" in r.stderr
    assert not out.exists()  # not even an empty jobs/ folder
    # feedback: the course's due date broken after grading; the grading output is left as it was
    config = graded["course"] / "autograder" / "nbgrader_config.py"
    good = config.read_text()
    before = (graded["out"] / "grades.csv").read_bytes()
    config.write_text(good + f"\nc.LatePolicy.due_dates = {{{A0!r}: '2026-31-31 25:00'}}\n")
    try:
        r = _reglab("feedback", graded["out"])
    finally:
        config.write_text(good)
    assert r.returncode == 2 and f"due date of {A0} is not a date: '2026-31-31 25:00'" in r.stderr
    assert (graded["out"] / "grades.csv").read_bytes() == before


def test_handback_before_feedback_and_a_course_that_moved(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "grading.json").write_text(f'{{"course_root": "{ROOT}", "db_url": "sqlite:///{out}/gradebook.db"}}')
    r = _reglab("handback", out)
    assert r.returncode == 2 and "no feedback in" in r.stderr and not (out / "handback").exists()
    (out / "grading.json").write_text(f'{{"course_root": "{tmp_path / "gone"}", "db_url": "sqlite://"}}')
    r = _reglab("feedback", out)
    assert r.returncode == 2 and "has no autograder/nbgrader_config.py any more" in r.stderr
