"""reglab grade against plain nbgrader, under interruption, with LMS zips and one-student regrades."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from reglab_autograder import sandbox
from reglab_autograder.gradebook import code_scores
from reglab_autograder.options import GradeOptions, db_url_for
from reglab_autograder.pipeline import grade
from reglab_autograder.testing import classroom

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
A0, A1 = "00_overfitting", "01_l2_weight_decay"

_scores_from_gradebook = code_scores


@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    base = tmp_path_factory.mktemp("honest")
    classroom.honest_class(base / "submitted")
    return base


@pytest.fixture(scope="module")
def reglab_run(honest, tmp_path_factory):
    out = tmp_path_factory.mktemp("reglab_out")
    res = grade(GradeOptions(submissions=honest, out=out, workers=2, timeout=60, course_root=ROOT, progress=False))
    return out, res


def test_parallel_scores_equal_serial_nbgrader_autograde(honest, reglab_run, tmp_path):
    """The reference: nbgrader's own command line, serial, no sandbox, on a standard course folder."""
    out, res = reglab_run
    assert res.exit_code == 0
    reference = _scores_from_gradebook(classroom.nbgrader_autograde(honest / "submitted", (A0, A1),
                                                                    tmp_path / "course"))
    ours = _scores_from_gradebook(db_url_for(out))
    assert len(reference) == 3 * (len(classroom.graded_cells(A0, "auto")) + len(classroom.graded_cells(A1, "auto")))
    assert reference == ours


def test_kill_minus_9_then_rerun_gives_the_uninterrupted_gradebook(honest, reglab_run, tmp_path):
    out_ref, _ = reglab_run
    out = tmp_path / "out"
    cmd = [str(BIN / "reglab"), "grade", str(honest), "--out", str(out), "--workers", "1", "--quiet",
           "--course-dir", str(ROOT)]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline:
        done = [p for p in (out / "jobs").glob("*__*.json") if not p.name.endswith(".events.json")]
        if len(done) >= 2:
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the grader, its workers and their kernels, mid-batch
    proc.wait()
    assert 2 <= len(done) < 6, "the kill must land mid-batch"
    time.sleep(2)  # ipykernel's parent poller notices its grader is gone within about a second
    if os.geteuid() == 0:
        ps = subprocess.run(["ps", "-eo", "uid,ppid,cmd"], capture_output=True, text=True).stdout.splitlines()[1:]
        orphans = [line for line in ps
                   if int(line.split()[0]) >= sandbox.UID_BASE and "ipykernel" in line and line.split()[1] == "1"]
        assert not orphans, f"kernels outlived the killed grader: {orphans}"
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert _scores_from_gradebook(db_url_for(out)) == _scores_from_gradebook(db_url_for(out_ref))
    with open(out / "grades.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 6  # 3 students x 2 assignments, nothing counted twice
    # the jobs finished before the kill were not graded again
    assert sum(1 for p in (out / "jobs").glob("*.events.json")) == 6


def test_rerun_with_student_regrades_only_that_student(honest, tmp_path):
    out = tmp_path / "out"
    def opts(**kw):
        return GradeOptions(submissions=honest, out=out, workers=2, course_root=ROOT, progress=False, **kw)

    grade(opts())
    stamp = {p.name: p.stat().st_mtime for p in (out / "jobs").glob("*__*.json")}
    time.sleep(0.05)
    res = grade(opts(student="carol"))
    changed = {p.name for p in (out / "jobs").glob("*__*.json") if p.stat().st_mtime != stamp[p.name]}
    assert changed and all(n.startswith("carol__") for n in changed)
    assert len(res.records) == 6  # the report still covers the whole class
    with pytest.raises(ValueError, match="no submissions of student"):
        grade(opts(student="nobody"))


def test_lms_zip_downloads_through_zip_collect(tmp_path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with zipfile.ZipFile(downloads / f"{A0}.zip", "w") as z:  # Canvas-style names: student_ids_notebook
        # an LMS that puts the submission time in the name: nbgrader's zip_collect writes it to timestamp.txt
        z.writestr(f"alice_2026-10-06T10:15:00+02:00_1234_5678_{A0}.ipynb", nbformat.writes(classroom.answered(A0)))
        z.writestr(f"bob_{A0}.ipynb", nbformat.writes(classroom.released(A0)))
        z.writestr(f"../../mallory_{A0}.ipynb", nbformat.writes(classroom.answered(A0)))  # unsafe path
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w") as zi:  # one upload that would create another student's submission
            zi.writestr(f"eve_{A0}.ipynb", nbformat.writes(classroom.answered(A0)))
        z.writestr("bob_upload.zip", inner.getvalue())
    (downloads / "misc.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    out = tmp_path / "out"
    res = grade(GradeOptions(submissions=downloads, out=out, workers=2, course_root=ROOT, progress=False))
    rec = {(r.student, r.assignment): r for r in res.records}
    assert rec[("alice", A0)].auto_score == classroom.points(A0) and rec[("bob", A0)].auto_score == 0
    assert rec[("alice", A0)].submitted_at == "2026-10-06 08:15:00" and rec[("bob", A0)].submitted_at is None
    assert any(kind == "unknown archive" for _, _, kind, _ in res.problems)
    assert {s for s, _ in rec} == {"alice", "bob"}  # neither mallory nor eve
    refused = " ".join(d for _, _, kind, d in res.problems if kind == "archive")
    assert "unsafe path" in refused and "an archive inside the archive" in refused


def test_without_the_sandbox_the_report_says_so(tmp_path):
    base = tmp_path / "one"
    classroom.write(base / "submitted", "alice", A0, classroom.answered(A0))
    out = tmp_path / "out"
    res = grade(GradeOptions(submissions=base, out=out, workers=1, isolate=False, course_root=ROOT, progress=False))
    assert res.records[0].auto_score == classroom.points(A0)
    assert any(kind == "not sandboxed" for _, _, kind, _ in res.problems)
    assert "Not sandboxed" in (out / "report.html").read_text()


def test_cli_exit_codes_and_summary(tmp_path):
    base = tmp_path / "one"
    classroom.write(base / "submitted", "bob", A0, classroom.released(A0))
    out = tmp_path / "out"
    r = subprocess.run([str(BIN / "reglab"), "grade", str(base), "--out", str(out), "--workers", "1",
                        "--course-dir", str(ROOT)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr  # a student scoring 0 is not a grader failure
    assert "00_overfitting" in r.stdout and "report:" in r.stdout
    assert "ETA" in r.stderr  # the progress bar
    r = subprocess.run([str(BIN / "reglab"), "grade", str(tmp_path / "nowhere"), "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "submissions folder not found" in r.stderr
