"""Scores set in formgrader, then a resubmission: a written answer changed since the instructor scored it is pending
again everywhere (its old score and comment stay the instructor's to see), an unchanged one keeps its score, and a
manual score on a test cell is named in the report as an override, not counted as autograded."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from nbgrader.api import Gradebook
from reglab_autograder.commands.grade import grade
from reglab_autograder.options import GradeOptions, db_url_for
from reglab_autograder.testing import classroom
from reglab_autograder.testing.classroom import cell_by_id

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
A1 = "01_l2_weight_decay"
OLD_COMMENT = "Good point about the bias terms."
pytestmark = pytest.mark.xdist_group("rescore")


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def rescored(tmp_path_factory):
    base = tmp_path_factory.mktemp("rescore")
    sub, out = base / "submitted", base / "out"
    for s in ("s1", "s2"):
        classroom.write(sub, s, A1, classroom.answered(A1))
    first = grade(GradeOptions(submissions=sub, out=out, workers=2, course_root=ROOT, progress=False))
    assert first.exit_code == 0 and all(r.graded for r in first.records), first.records
    with Gradebook(db_url_for(out)) as gb:  # what formgrader does with a score and a comment
        for s in ("s1", "s2"):
            g = gb.find_grade("w1", A1, A1, s)
            g.manual_score, g.needs_manual_grade = 2.0, False
            gb.find_comment("w1", A1, A1, s).manual_comment = OLD_COMMENT
            w2 = gb.find_grade("w2", A1, A1, s)  # session 1's other written answer, scored and left unchanged
            w2.manual_score, w2.needs_manual_grade = 2.0, False
        q1 = gb.find_grade("q1", A1, A1, "s1")  # an override on a test cell
        q1.manual_score = 0.5
        gb.db.commit()
    # resubmissions: s1 changes a code answer only (q1 now fails), s2 rewrites its written answer
    s1 = classroom.answered(A1)
    cell_by_id(s1, "a_q1").source = "eta, lam = 0.1, 0.01\ndecay = 1 - eta * lam"
    classroom.write(sub, "s1", A1, s1)
    s2 = classroom.answered(A1)
    cell_by_id(s2, "w1").source = "I don't know."
    classroom.write(sub, "s2", A1, s2)
    second = grade(GradeOptions(submissions=sub, out=out, workers=2, course_root=ROOT, progress=False))
    assert second.exit_code == 0 and all(r.graded for r in second.records), second.records
    fb = subprocess.run([str(BIN / "reglab"), "feedback", str(out)], capture_output=True, text=True, timeout=600)
    assert fb.returncode == 0, fb.stderr
    return {"out": out, "second": second, "feedback": fb.stdout,
            "records": {r.student: r for r in second.records}}


def _w1(out: Path, student: str):
    soup = BeautifulSoup((out / "feedback" / student / A1 / f"{A1}.html").read_text(), "html.parser")
    return soup, soup.find("a", attrs={"name": "w1"}).find_parent("div", class_="nbgrader_cell")


def test_a_changed_written_answer_is_pending_everywhere_and_the_instructor_is_told(rescored):
    out = rescored["out"]
    assert "still ungraded: s2: w1 (changed since it was scored)" in rescored["feedback"]
    by_q = {(r["student"], r["grade_id"]): r for r in _rows(out / "grades_by_question.csv")}
    assert by_q[("s2", "w1")]["score"] == "pending" and by_q[("s1", "w1")]["score"] == "2.0"
    assert rescored["records"]["s2"].pending == ["w1"] and rescored["records"]["s1"].pending == []
    grades = {r["student_id"]: float(r["score"]) for r in _rows(out / "grades.csv")}
    # s2's total: the autograded parts and w2's score (unchanged, still counted); w1, pending, counts 0
    assert grades["s2"] == rescored["records"]["s2"].score == rescored["records"]["s2"].auto_score + 2.0
    report = (out / "report.html").read_text()
    assert "w1 changed since it was scored 2: score it again in formgrader" in report
    assert report.count("changed since scored") == 1  # s2 only: s1's written answer did not change
    soup, answer = _w1(out, "s2")
    heading = " ".join(answer.select_one(".panel-heading").get_text().split())
    assert "pending, graded by your instructor" in heading and "Score: 2" not in heading
    assert OLD_COMMENT not in soup.get_text()  # the comment was about the old answer
    box = soup.select_one("div.reglab-feedback-summary").get_text()
    assert "written answer w1" in box and "pending" in box
    assert "written answers pending" in soup.select_one(".panel-heading h4").get_text()
    with Gradebook(db_url_for(out)) as gb:  # the instructor's old score and comment are kept
        g = gb.find_grade("w1", A1, A1, "s2")
        assert g.manual_score == 2.0 and g.needs_manual_grade
        assert gb.find_comment("w1", A1, A1, "s2").manual_comment == OLD_COMMENT


def test_an_unchanged_written_answer_keeps_its_score_and_comment(rescored):
    soup, answer = _w1(rescored["out"], "s1")
    assert "Score: 2.0 / 2.0" in " ".join(answer.select_one(".panel-heading").get_text().split())
    assert OLD_COMMENT in soup.get_text()


def test_a_manual_score_on_a_test_cell_is_a_report_row_and_not_autograded(rescored):
    out, s1 = rescored["out"], rescored["records"]["s1"]
    (q1,) = [p for p in s1.parts if p.grade_id == "q1"]
    assert q1.auto_score == 0 and q1.manual_score == 0.5
    report = (out / "report.html").read_text()
    assert "q1: your manual score 0.5 overrides the test&#x27;s 0" in report
    code = [p for p in s1.parts if p.type == "code" and p.grade_id != "q1"]
    assert s1.auto_score == sum(p.score for p in code) and s1.auto_max == sum(p.max_score for p in code)
    assert "q1 0.5 / " in report
