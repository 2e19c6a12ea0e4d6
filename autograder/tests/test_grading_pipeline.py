"""reglab grade against plain nbgrader, under interruption, with LMS zips and one-student regrades."""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from reglab_autograder.commands.grade import grade
from reglab_autograder.gradebook import code_scores
from reglab_autograder.options import GradeOptions, db_url_for
from reglab_autograder.sandbox import layout
from reglab_autograder.testing import classroom

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
A0, A1 = "00_overfitting", "01_l2_weight_decay"

_scores_from_gradebook = code_scores


@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    base = tmp_path_factory.mktemp("honest")
    classroom.honest_class(base / "submitted")
    return base


# the tests that read the class graded once (reglab_run) run on one test worker, which grades it once
ONE_RUN = pytest.mark.xdist_group("pipeline-class")


@pytest.fixture(scope="module")
def reglab_run(honest, tmp_path_factory):
    out = tmp_path_factory.mktemp("reglab_out")
    res = grade(GradeOptions(submissions=honest, out=out, workers=2, timeout=60, course_root=ROOT, progress=False))
    return out, res


@ONE_RUN
def test_parallel_scores_equal_serial_nbgrader_autograde(honest, reglab_run, tmp_path):
    """The reference: nbgrader's own command line, serial, no sandbox, on a standard course folder."""
    out, res = reglab_run
    assert res.exit_code == 0
    reference = _scores_from_gradebook(classroom.nbgrader_autograde(honest / "submitted", (A0, A1),
                                                                    tmp_path / "course"))
    ours = _scores_from_gradebook(db_url_for(out))
    assert len(reference) == 3 * (len(classroom.graded_cells(A0, "auto")) + len(classroom.graded_cells(A1, "auto")))
    assert reference == ours


@ONE_RUN
def test_kill_minus_9_then_rerun_gives_the_uninterrupted_gradebook(honest, reglab_run, tmp_path):
    """The honest class's session 0 (3 submissions), one worker, killed with -9 once the first is graded; the rerun
    grades the rest and gives the gradebook of the uninterrupted run (reglab_run)."""
    out_ref, _ = reglab_run
    klass = tmp_path / "class"
    shutil.copytree(honest / "submitted", klass / "submitted", ignore=shutil.ignore_patterns(A1))
    out = tmp_path / "out"
    cmd = [str(BIN / "reglab"), "grade", str(klass), "--out", str(out), "--workers", "1", "--quiet",
           "--course-dir", str(ROOT)]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline:
        done = [p for p in (out / "jobs").glob("*__*.json") if not p.name.endswith(".events.json")]
        if len(done) >= 1:
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the grader, its workers and their kernels, mid-batch
    proc.wait()
    assert 1 <= len(done) < 3, "the kill must land mid-batch"
    time.sleep(2)  # ipykernel's parent poller notices its grader is gone within about a second
    if os.geteuid() == 0:
        ps = subprocess.run(["ps", "-eo", "uid,ppid,cmd"], capture_output=True, text=True).stdout.splitlines()[1:]
        orphans = [line for line in ps
                   if int(line.split()[0]) >= layout.UID_BASE and "ipykernel" in line and line.split()[1] == "1"]
        assert not orphans, f"kernels outlived the killed grader: {orphans}"
    rerun = subprocess.run([x if i != cmd.index("--workers") + 1 else "2" for i, x in enumerate(cmd)],
                           capture_output=True, text=True, timeout=600)  # the rest, with 2 workers
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    reference = {k: v for k, v in _scores_from_gradebook(db_url_for(out_ref)).items() if A0 in k}
    assert reference and _scores_from_gradebook(db_url_for(out)) == reference
    with open(out / "grades.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3  # 3 students x 1 assignment, nothing counted twice
    # the job finished before the kill was not graded again
    assert sum(1 for p in (out / "jobs").glob("*.events.json")) == 3


@ONE_RUN
def test_rerun_with_student_regrades_only_that_student(honest, reglab_run, tmp_path):
    out = tmp_path / "out"
    def opts(**kw):
        return GradeOptions(submissions=honest, out=out, workers=2, course_root=ROOT, progress=False, **kw)

    shutil.copytree(reglab_run[0], out, symlinks=True)  # the class graded once (a copied output is self-contained)
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


def test_a_submission_whose_files_cannot_be_read_gets_its_row_and_the_class_goes_on(tmp_path, monkeypatch):
    """Reading a submission's files (for its digest) fails for bob, as for a file the grader may not read: bob's
    report row says so, alice is graded."""
    from reglab_autograder import intake

    base = tmp_path / "two"
    for student in ("alice", "bob"):
        classroom.write(base / "submitted", student, A0, classroom.answered(A0))
    digest_dir = intake.digest_dir

    def unreadable_for_bob(path):
        if Path(path).parent.name == "bob":
            raise PermissionError(13, "Permission denied", str(path / "secret.txt"))
        return digest_dir(path)

    monkeypatch.setattr(intake, "digest_dir", unreadable_for_bob)
    res = grade(GradeOptions(submissions=base, out=tmp_path / "out", workers=1, isolate=False, course_root=ROOT,
                             progress=False))
    rec = {r.student: r for r in res.records}
    assert rec["alice"].auto_score == classroom.points(A0)
    assert rec["bob"].status == "grader error"
    assert rec["bob"].detail.startswith("could not take in this submission: PermissionError")


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


# ---------------------------------------------------------------- what the speed levers keep the same


def _feedback_with(out: Path, exporter_class, folder: str) -> dict[str, str]:
    """Every submission's feedback page, generated by nbgrader's GenerateFeedback with ``exporter_class``."""
    from nbgrader.apps import NbGraderAPI
    from reglab_autograder.coursedir import GradingOutput

    cfg = GradingOutput.open(out).config()
    cfg.GenerateFeedback.exporter_class = exporter_class
    cfg.CourseDirectory.feedback_directory = folder
    api = NbGraderAPI(config=cfg)
    for student in sorted(p.name for p in (out / "autograded").iterdir()):
        for assignment in sorted(p.name for p in (out / "autograded" / student).iterdir()):
            assert api.generate_feedback(assignment, student, force=True)["success"]
    return {str(p.relative_to(out / folder)): p.read_text() for p in sorted((out / folder).rglob("*.html"))}


@ONE_RUN
def test_feedback_pages_are_nbconverts_with_templates_compiled_once(reglab_run, tmp_path, monkeypatch):
    """FeedbackExporter writes the page nbconvert's HTMLExporter writes (the same tree; only BeautifulSoup's
    re-serialization is skipped), with an image byte for byte nbconvert's, and compiles each template once."""
    import jinja2
    from bs4 import BeautifulSoup
    from nbconvert.exporters import HTMLExporter
    from reglab_autograder.exporters import TEMPLATES, FeedbackExporter

    out = tmp_path / "out"
    shutil.copytree(reglab_run[0], out)
    TEMPLATES.clear()
    compiled = []
    real_compile = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile",
                        lambda self, *a, **k: compiled.append(a[1] if len(a) > 1 else k.get("name")) or
                        real_compile(self, *a, **k))
    ours = _feedback_with(out, FeedbackExporter, "feedback_ours")
    per_template = {name: compiled.count(name) for name in set(compiled)}
    assert per_template and set(per_template.values()) == {1}, per_template  # once each, for many pages
    ref = _feedback_with(out, HTMLExporter, "feedback_nbconvert")
    assert ours.keys() == ref.keys() and len(ours) >= 4
    for name in ours:
        assert "<img" not in ours[name]  # grading rasterizes nothing: the pass had nothing to do
        assert str(BeautifulSoup(ours[name], "html.parser")) == str(BeautifulSoup(ref[name], "html.parser")), name
        assert "Content-Security-Policy" in ours[name] and "### BEGIN HIDDEN TESTS" not in ours[name]

    # a page with an image: nbconvert's accessibility pass runs, whole (alt text added)
    path = next((out / "autograded").rglob("*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    code.outputs.append(nbformat.v4.new_output("display_data", data={"image/png": png}))
    path.chmod(0o644)  # nbgrader leaves autograded notebooks read-only (root writes them anyway; a user cannot)
    nbformat.write(nb, path)
    ours, ref = (_feedback_with(out, cls, f"img_{cls.__name__}") for cls in (FeedbackExporter, HTMLExporter))
    page = str(path.relative_to(out / "autograded")).replace(".ipynb", ".html")
    assert ours[page] == ref[page] and "No description has been provided for this image" in ours[page]


def test_new_gradebook_is_nbgraders_without_the_alembic_command(tmp_path, monkeypatch):
    """gradebook.create makes the database nbgrader's Gradebook makes, stamped with the revision nbgrader's own
    `alembic heads` gives, without running that command (not on PATH here)."""
    from nbgrader.api import Gradebook, get_alembic_version
    from reglab_autograder import gradebook
    from sqlalchemy import create_engine, inspect, text

    assert gradebook.alembic_head() == get_alembic_version()  # nbgrader asks the alembic command (on PATH)
    ours, theirs = f"sqlite:///{tmp_path / 'ours.db'}", f"sqlite:///{tmp_path / 'theirs.db'}"
    with Gradebook(theirs):
        pass
    monkeypatch.setenv("PATH", str(tmp_path))  # no alembic: nbgrader would fail on a new database
    gradebook.create(ours)
    gradebook.create(ours)  # an existing gradebook is left as it is
    with Gradebook(ours) as gb:
        gb.update_or_create_student("s1")

    def schema(url):
        engine = create_engine(url)
        with engine.connect() as con:
            insp = inspect(con)
            tables = {t: sorted(c["name"] for c in insp.get_columns(t)) for t in insp.get_table_names()}
            version = con.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        engine.dispose()
        return tables, version

    assert schema(ours) == schema(theirs)


def test_a_glob_like_student_id_never_touches_a_classmates_submission(tmp_path):
    """nbgrader globs the notebooks inside a student's folder without escaping its name: grading "ali*" also
    graded alice (the same files rewritten by two jobs). Regrading "ali*" leaves alice's files and grades as
    they were."""
    subs = tmp_path / "class" / "submitted"
    classroom.write(subs, "alice", A0, classroom.answered(A0))
    classroom.write(subs, "ali*", A0, classroom.released(A0))
    out = tmp_path / "out"

    def opts(**kw):
        return GradeOptions(submissions=tmp_path / "class", out=out, workers=1, course_root=ROOT, progress=False,
                            **kw)

    grade(opts())
    alice = [out / "autograded" / "alice" / A0 / f"{A0}.ipynb", out / "feedback" / "alice" / A0 / f"{A0}.html"]
    before = [p.stat().st_mtime_ns for p in alice]
    scores = code_scores(db_url_for(out))
    time.sleep(0.05)
    res = grade(opts(student="ali*"))
    assert [p.stat().st_mtime_ns for p in alice] == before
    assert code_scores(db_url_for(out)) == scores
    assert {r.student: r.status for r in res.records} == {"alice": "graded", "ali*": "graded"}
