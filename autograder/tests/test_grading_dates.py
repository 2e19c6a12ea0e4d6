"""Due dates, extensions and the roster from outside the course repository, end to end: ``reglab grade`` with a
dates file next to the submissions and ``--roster``, ``reglab feedback`` with the same file, ``reglab check``
(and ``grade --dry-run``), and every refusal writing nothing.

One small graded class of session 0 (a per-day penalty course): alice late but within her extension, bob late,
eve with no submission time and not on the roster, carol on the roster without a submission; frank late with a
time as nbgrader's exchange writes it in summer time (a BOM, 7 fraction digits, CEST), gina with a time out of
range, hank with a time in the future, and a student id with a tab nbgrader cannot grade.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from reglab_autograder.commands.grade import grade
from reglab_autograder.options import GradeOptions
from reglab_autograder.testing import classroom

from helpers import course_copy

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.xdist_group("dates")  # the feedback test edits the graded class's dates file

A0 = "00_overfitting"
AUTO0 = classroom.points(A0)
PENALTY = '\nc.LateSubmissionPlugin.penalty_method = "per_day"\nc.LatePenalty.fraction_per_day = 0.25\n'
DATES = f"""
timestamp_timezone = "Europe/Paris"   # the exchange's zone: CEST/CET in timestamp.txt

[due]
{A0} = "2026-10-05 23:59 Europe/Paris"     # 21:59 UTC

[extensions.alice]
{A0} = 2
"""
ROSTER = ("student_id,first_name,last_name,email\nalice,Alice,Martin,alice@example.org\n"
          "bob,Bob,Durand,bob@example.org\ncarol,Carol,Petit,carol@example.org\n")


def _course(base: Path, extra: str = PENALTY) -> Path:
    return course_copy(base, extra)


def _reglab(*args):
    return subprocess.run([str(BIN / "reglab"), *map(str, args)], capture_output=True, text=True, timeout=600)


def _reglab_here(capsys, *args):
    """``reglab ARGS`` in this process (no notebook runs, no start-up cost): (exit code, stdout, stderr)."""
    from reglab.cli import main

    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _csv(out):
    with open(out / "grades.csv") as fh:
        return {r["student_id"]: r for r in csv.DictReader(fh)}


def _tree(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() if p.is_file() else None
            for p in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    base = tmp_path_factory.mktemp("dates")
    course = _course(base)
    sub = base / "class"
    for student, nb, stamp in (("alice", classroom.answered(A0), "2026-10-06 10:00:00 UTC"),  # 12 h late, 2 d ext.
                               ("bob", classroom.answered(A0), "2026-10-07 10:00:00.000000 UTC"),  # 2 started days
                               ("eve", classroom.released(A0), None),
                               ("frank", classroom.answered(A0), "\ufeff 2026-10-07 23:30:00.0000001 CEST\n"),
                               ("gina", classroom.released(A0), "0001-01-01 00:00:00 +01:00"),
                               ("hank", classroom.released(A0), "2099-01-01 00:00:00.000000 UTC"),
                               ("ivy\tx", classroom.released(A0), None)):
        classroom.write(sub / "submitted", student, A0, nb)
        if stamp:
            (sub / "submitted" / student / A0 / "timestamp.txt").write_text(stamp)
    (sub / "dates.toml").write_text(DATES)
    (base / "roster.csv").write_text(ROSTER)
    return {"base": base, "course": course, "class": sub, "roster": base / "roster.csv"}


@pytest.fixture(scope="module")
def graded(klass):
    out = klass["base"] / "out"
    result = grade(GradeOptions(submissions=klass["class"], out=out, workers=2, course_root=klass["course"],
                                roster=klass["roster"], progress=False))
    return {"out": out, "result": result, "records": {r.student: r for r in result.records}}


def _rows(result):
    return {(s, a, k): d for s, a, k, d in result.problems}


def test_dates_file_next_to_the_submissions_and_an_extension(graded):
    rec, rows = graded["records"], _rows(graded["result"])
    assert graded["result"].exit_code == 0
    assert rec["alice"].seconds_late == 12 * 3600 + 60 and rec["alice"].late_penalty == 0  # within her extension
    assert rec["alice"].score == AUTO0
    assert rec["bob"].late_penalty == AUTO0 / 2  # 2 started days at 25 %: no extension for bob
    assert ("bob", A0, "late") in rows and ("alice", A0, "late") not in rows
    assert rows[("alice", A0, "extension")].startswith("due 2026-10-07 21:59 UTC (2026-10-07 23:59 Europe/Paris) "
                                                       "instead of 2026-10-05 21:59 UTC")
    assert "no timestamp.txt: graded as on time (due 2026-10-05 23:59+02:00)" in rows[("eve", A0, "no submission time")]
    assert not any(k == "no submission time" for s, _, k in rows if s != "eve")
    # the students' pages measure lateness from their own due date: alice, within her extension, reads nothing late
    box = {s: _feedback_box(graded["out"], s) for s in ("alice", "bob")}
    assert not any("late" in line.lower() for line in box["alice"]), box["alice"]
    assert any(line.startswith("Submitted") and "due 2026-10-05 21:59 UTC:" in line for line in box["bob"]), box["bob"]


def test_exchange_times_out_of_range_future_and_unusable_ids(graded):
    rec, rows, grades = graded["records"], _rows(graded["result"]), _csv(graded["out"])
    assert rec["frank"].submitted_at == "2026-10-07 21:30:00"  # 23:30 CEST, its 7th fraction digit cut
    assert rec["frank"].late_penalty == AUTO0 / 2 and ("frank", A0, "bad timestamp") not in rows
    assert "out of the range of dates" in rows[("gina", A0, "bad timestamp")]
    assert "2099-01-01 00:00 UTC, after now" in rows[("hank", A0, "submission time in the future")]
    for s in ("gina", "hank"):  # graded as on time, in every grade file
        assert rec[s].graded and rec[s].late_penalty == 0 and s in grades
        for export in ("grades_wide.csv", "grades_canvas.csv"):
            assert s in (graded["out"] / export).read_text()
    assert "rename the folder" in rows[("ivy\tx", "-", "bad student id")]
    assert "ivy" not in "".join((graded["out"] / f).read_text() for f in ("grades.csv", "grades_wide.csv"))
    assert all(r.status != "grader error" for r in graded["result"].records)


def test_check_reports_the_rows_grading_reports_for_times_and_ids(graded, klass, capsys):
    code, stdout, err = _reglab_here(capsys, "check", klass["class"], "--course-dir", klass["course"],
                                     "--roster", klass["roster"])
    assert code == 0, err
    kinds = ("bad timestamp", "submission time in the future", "bad student id", "no submission time")
    expected = [(s, a, k) for s, a, k in _rows(graded["result"]) if k in kinds]
    assert len(expected) == 4
    for s, a, k in expected:
        assert f"{s} / {a}: {k}" in stdout, (s, k, stdout)


def _feedback_box(out: Path, student: str) -> list[str]:
    from bs4 import BeautifulSoup

    page = BeautifulSoup((out / "feedback" / student / A0 / f"{A0}.html").read_text(), "html.parser")
    box = page.select_one("div.reglab-feedback-summary")
    return [" ".join(li.get_text().split()) for li in box.find_all("li")] if box else []


def test_roster_names_missing_students_and_strangers(graded):
    grades, rows = _csv(graded["out"]), _rows(graded["result"])
    assert (grades["alice"]["first_name"], grades["alice"]["last_name"], grades["alice"]["email"]) == \
        ("Alice", "Martin", "alice@example.org")
    assert float(grades["carol"]["score"]) == 0 and grades["carol"]["email"] == "carol@example.org"
    assert ("carol", A0, "missing") in rows
    assert ("eve", "-", "not on the roster") in rows and graded["records"]["eve"].graded  # still graded
    assert set(grades) == {"alice", "bob", "carol", "eve", "frank", "gina", "hank"}


def test_feedback_recomputes_penalties_with_the_same_dates_file(graded, klass, capsys):
    out, dates_file = graded["out"], klass["class"] / "dates.toml"
    assert "[extensions.alice]" in (out / "grading.json").read_text()  # recorded with the grading output
    dates_file.write_text(DATES.replace("[extensions.alice]", "[extensions.nobody]"))  # the extension withdrawn
    try:
        assert _reglab_here(capsys, "feedback", out)[0] == 0
        assert float(_csv(out)["alice"]["late_submission_penalty"]) == AUTO0 * 0.25  # 1 started day
    finally:
        dates_file.write_text(DATES)
    assert _reglab_here(capsys, "feedback", out)[0] == 0
    assert float(_csv(out)["alice"]["late_submission_penalty"]) == 0
    dates_file.rename(dates_file.with_suffix(".moved"))  # the file gone: its recorded contents are used
    try:
        assert _reglab_here(capsys, "feedback", out)[0] == 0
        assert float(_csv(out)["alice"]["late_submission_penalty"]) == 0
        assert float(_csv(out)["bob"]["late_submission_penalty"]) == AUTO0 / 2
    finally:
        dates_file.with_suffix(".moved").rename(dates_file)


def test_check_prints_the_plan_and_writes_nothing(klass, tmp_path, capsys):
    before = _tree(klass["base"])
    code, stdout, err = _reglab_here(capsys, "check", klass["class"], "--course-dir", klass["course"],
                                     "--roster", klass["roster"])
    assert code == 0, err
    assert f"{A0}: 6 submission(s), due 2026-10-05 21:59 UTC (2026-10-05 23:59 Europe/Paris)" in stdout
    assert "extension: alice due 2026-10-07 21:59 UTC (2026-10-07 23:59 Europe/Paris)" in stdout
    assert "per_day: 25% of the score per started day late" in stdout
    assert f"carol / {A0}: missing" in stdout and "eve / -: not on the roster" in stdout
    assert f"eve / {A0}: no submission time" in stdout and f"alice / {A0}: extension" in stdout
    out = tmp_path / "out"
    code, stdout, err = _reglab_here(capsys, "grade", klass["class"], "--dry-run", "--out", out,
                                     "--course-dir", klass["course"])
    assert code == 0 and f"{A0}: 6 submission(s)" in stdout, err
    assert not out.exists() and _tree(klass["base"]) == before


def test_check_of_lms_downloads_counts_what_grading_would_collect(tmp_path, capsys):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with zipfile.ZipFile(downloads / f"{A0}.zip", "w") as z:
        z.writestr(f"alice_2026-10-06 00:30:00_{A0}.ipynb", nbformat.writes(classroom.answered(A0)))
        z.writestr(f"bob_{A0}.ipynb", nbformat.writes(classroom.released(A0)))
    (downloads / "misc.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    out = tmp_path / "out"
    code, stdout, err = _reglab_here(capsys, "grade", downloads, "--dry-run", "--out", out, "--course-dir", ROOT,
                                     "--lms-timezone", "Europe/Paris")
    assert code == 0, err
    assert f"{A0}: 2 submission(s), no due date" in stdout and "unknown archive" in stdout
    assert not out.exists() and sorted(p.name for p in downloads.iterdir()) == [f"{A0}.zip", "misc.zip"]
    code, _, err = _reglab_here(capsys, "check", downloads, "--course-dir", ROOT, "--lms-timezone", "Paris")
    assert code == 2 and "--lms-timezone: 'Paris' is not an IANA time-zone name" in err


def test_lms_file_name_times_in_the_given_zone(tmp_path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with zipfile.ZipFile(downloads / f"{A0}.zip", "w") as z:
        z.writestr(f"alice_2026-10-06 00:30:00_{A0}.ipynb", nbformat.writes(classroom.released(A0)))
    res = grade(GradeOptions(submissions=downloads, out=tmp_path / "out", workers=1, course_root=ROOT, progress=False,
                             lms_timezone="Europe/Paris"))
    assert res.records[0].submitted_at == "2026-10-05 22:30:00"  # 00:30 in Paris (+02:00), not 00:30 UTC


REFUSALS = [
    ("dates.toml", f'[due]\n{A0} = "05/10/2026 23:59:00 Europe/Paris"\n',
     f"due date of {A0} in ", "day and month in this order are ambiguous"),
    ("dates.toml", f'[due]\n{A0} = "2026-10-05 23:59:00 Paris"\n', "'Paris' is not an IANA time-zone name",
     "write it like '2026-10-05 23:59 Europe/Paris'"),
    ("dates.toml", f'[due]\n{A0} = "2026-10-05 23:59:00"\n', "no time zone", "Europe/Paris"),
    ("dates.toml", f'[due]\n{A0} = "2026-10-25 02:30 Europe/Paris"\n', "happens twice in Europe/Paris", "+01:00"),
    ("course", f'\nc.LatePolicy.due_dates = {{"{A0}": "2026-10-06 23:59 Europe/Paris"}}\n',
     f"due date of {A0} is given twice", "keep one"),
    ("dates.toml", '[due]\n00_overfiting = "2026-10-05 23:59 UTC"\n', "'00_overfiting' is not an assignment of "
     "this course", "fix the name"),
    ("dates.toml", f'[due]\n{A0} = "2026-10-05 23:59 UTC"\n[extensions.john.smith]\n{A0} = 1\n',
     "a student id with a dot must be quoted", '[extensions."john.smith"]'),
    ("dates.toml", f'[due]\n{A0} = "2026-10-05 23:59 Etc/GMT+2"\n', "'Etc/GMT+2' is an ambiguous time-zone",
     "Europe/Paris"),
    ("dates.toml", f'[due]\n{A0} = "2026-10-05 23:59 UTC"\n[extensions.alice]\n{A0} = nan\n', "nan extra days",
     "a positive number of days, at most 3650"),
    ("roster.csv", "bob,B,D,\n", "extension for 'alice' (00_overfitting), who is not on the roster", "fix the id"),
    ("roster.csv", "alice,A,M,a@example.org\nalice,A,M,a@example.org\n", "row 2: student 'alice' is already on row 1",
     "one row per student"),
]


@pytest.mark.parametrize(("where", "text", "what", "fix"), REFUSALS)
@pytest.mark.parametrize("command", ["grade", "check"])
def test_refusals_write_nothing(tmp_path, capsys, command, where, text, what, fix):
    cls = tmp_path / "class"
    classroom.write(cls / "submitted", "alice", A0, classroom.answered(A0))
    (cls / "dates.toml").write_text(DATES)
    course = _course(tmp_path, PENALTY + (text if where == "course" else ""))
    args = ["--course-dir", course]
    if where == "dates.toml":
        (cls / "dates.toml").write_text(text)
    elif where == "roster.csv":
        (tmp_path / "roster.csv").write_text(text)
        args += ["--roster", tmp_path / "roster.csv"]
    out = tmp_path / "out"
    before = _tree(tmp_path)
    code, _, err = _reglab_here(capsys, command, cls, *args, *(["--out", out, "--quiet"] if command == "grade" else []))
    assert code == 2 and what in err and fix in err, err
    assert not out.exists() and _tree(tmp_path) == before


def test_an_empty_class_or_a_missing_folder_is_refused_and_nothing_written(tmp_path, capsys):
    empty = tmp_path / "empty"
    (empty / "submitted" / "alice").mkdir(parents=True)  # a student folder, no assignment in it
    out = tmp_path / "out"
    r = _reglab("grade", empty, "--course-dir", ROOT, "--out", out)  # the command itself: its exit code
    assert r.returncode == 2 and "no submission of any assignment of this course" in r.stderr, r.stderr
    for command, *where in (("grade", "--out", out), ("check",)):
        code, _, err = _reglab_here(capsys, command, empty, "--course-dir", ROOT, *where)
        assert code == 2 and "no submission of any assignment of this course" in err, err
        code, _, err = _reglab_here(capsys, command, tmp_path / "nowhere", "--course-dir", ROOT, *where)
        assert code == 2 and "submissions folder not found" in err
    downloads = tmp_path / "downloads"  # an LMS download holding no notebook of the course
    downloads.mkdir()
    with zipfile.ZipFile(downloads / f"{A0}.zip", "w") as z:
        z.writestr("alice_notes.txt", "no notebook here")
    code, _, err = _reglab_here(capsys, "grade", downloads, "--course-dir", ROOT, "--out", out)
    assert code == 2 and "no submission of any assignment of this course" in err, err
    assert not out.exists()
    out.mkdir()
    (out / "keep.txt").write_text("earlier work")
    code, _, err = _reglab_here(capsys, "grade", empty, "--course-dir", ROOT, "--out", out,
                             "--dates", tmp_path / "no.toml")
    assert code == 2 and "dates file not found" in err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]  # an existing output is left as it was


def test_lms_ids_with_underscores_a_duplicate_and_a_relative_database(tmp_path, monkeypatch):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with zipfile.ZipFile(downloads / f"{A0}.zip", "w") as z:
        for name in (f"mary_ann_2026-10-09T12:00:00_{A0}.ipynb", f"mary_lou_2026-10-09T13:00:00Z_{A0}.ipynb",
                     f"bob_{A0}.ipynb", f"bob_copy_{A0}.ipynb", f"carl_{A0}.ipynb"):
            z.writestr(name, nbformat.writes(classroom.released(A0)))
    monkeypatch.chdir(tmp_path)
    res = grade(GradeOptions(submissions=downloads, out=tmp_path / "out", workers=2, course_root=ROOT,
                             progress=False, db_url="sqlite:///rel.db"))
    rec, rows = {r.student: r for r in res.records}, _rows(res)
    assert res.exit_code == 0 and all(r.graded for r in res.records), res.records
    assert rec["mary_ann"].submitted_at == "2026-10-09 12:00:00"
    assert rec["mary_lou"].submitted_at == "2026-10-09 13:00:00"
    assert "bob" not in rec and f"bob_{A0}.ipynb, bob_copy_{A0}.ipynb" in rows[("bob", A0, "duplicate submission")]
    assert set(_csv(tmp_path / "out")) == {"mary_ann", "mary_lou", "carl"}
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.db")) == ["rel.db"]
