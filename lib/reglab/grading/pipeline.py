"""``reglab grade``: grade a class's submissions with nbgrader, in parallel and sandboxed."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import re
import shutil
import sqlite3
import sys
import time
import traceback
import zipfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from traitlets.config import Config

from .. import course
from ..release import find_course_root, load_config
from . import intake, sandbox

JOBS = "jobs"


@dataclass
class Options:
    submissions: Path
    out: Path
    workers: int = max(1, os.cpu_count() or 1)
    timeout: int = 60  # seconds per cell
    notebook_timeout: int = 600  # seconds per notebook
    student: str | None = None
    db_url: str | None = None
    limits: dict = field(default_factory=lambda: dict(sandbox.DEFAULT_LIMITS))
    isolate: bool = True
    course_root: Path | None = None
    progress: bool = True
    uid_block: int = 0  # set per run: concurrent runs must not share sandbox uids


def job_id(student, assignment):
    return f"{student}__{assignment}"


# ------------------------------------------------------------------------------ discovery


def _known_assignments(root):
    return [s.id for s in course.SESSIONS if (root / "solutions" / s.notebook).is_file()]


def _collect_zips(opts, root, known, notes):
    """LMS downloads: zip files (per assignment) -> nbgrader zip_collect -> {out}/submitted."""
    from nbgrader.apps.zipcollectapp import ZipCollectApp

    zips = sorted(opts.submissions.rglob("*.zip"))
    by_assignment = {}
    for z in zips:
        rel = z.relative_to(opts.submissions).as_posix()
        aid = next((a for a in known if rel.startswith(a + "/") or z.name.startswith(a)), None)
        if aid is None:
            notes.append(("-", "-", "unknown archive", f"{rel}: name it after an assignment (e.g. {known[0]}.zip) "
                          f"or put it in a folder of that name; not graded"))
            continue
        by_assignment.setdefault(aid, []).append(z)
    prepare_course(opts, root, sorted(by_assignment))  # zip_collect checks names against the released notebooks
    for aid, files in by_assignment.items():
        archive = opts.out / "downloaded" / aid / "archive"
        shutil.rmtree(opts.out / "downloaded" / aid, ignore_errors=True)
        archive.mkdir(parents=True)
        for f in files:
            shutil.copy(f, archive / f.name)
        names = "|".join(re.escape(p.name) for p in (root / "solutions" / aid).glob("*.ipynb"))
        cfg = Config()
        cfg.CourseDirectory.root = str(opts.out)
        cfg.CourseDirectory.assignment_id = aid
        cfg.ZipCollectApp.force = True
        # LMS file names look like "<student>_<anything>_<notebook>.ipynb" (e.g. Canvas adds ids)
        # (matched against the extracted file's full path)
        cfg.FileNameCollectorPlugin.named_regexp = rf"^(?:.*/)?(?P<student_id>[^_/]+)_(?:[^/]*_)?(?P<file_id>(?:{names}))$"
        from nbgrader.coursedir import CourseDirectory

        app = ZipCollectApp(config=cfg)
        app.coursedir = CourseDirectory(parent=app)  # what NbGrader.initialize() does, without parsing argv
        app.log.setLevel("ERROR")
        app.start()
    return opts.out / "submitted"


def discover(opts, root, known, notes):
    """Find (student, assignment, folder) triples in nbgrader's submitted layout or in LMS zips."""
    src = opts.submissions
    if not src.exists():
        raise FileNotFoundError(f"submissions folder not found: {src}")
    if any(src.rglob("*.zip")):
        src = _collect_zips(opts, root, known, notes)
    elif (src / "submitted").is_dir():
        src = src / "submitted"
    jobs = []
    for student_dir in sorted(p for p in src.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for adir in sorted(p for p in student_dir.iterdir() if p.is_dir()):
            if adir.name in known:
                jobs.append((student_dir.name, adir.name, adir))
            else:
                notes.append((student_dir.name, adir.name, "unknown assignment",
                              f"{adir.name} is not an assignment of this course; not graded"))
    return jobs


# ------------------------------------------------------------------------------ the course


def db_url_for(opts):
    return opts.db_url or f"sqlite:///{(opts.out / 'gradebook.db').resolve()}?timeout=120"


def grading_config(opts, root, slot=0, events_file=""):
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearHiddenTests, GetGrades,
                                        IgnorePattern, LimitOutput, SaveAutoGrades)

    from .execute import SandboxedExecute
    from .preprocessors import RedactTracebacks

    cfg = load_config(root)  # the course's own nbgrader settings (stubs, timeouts), then ours
    cfg.CourseDirectory.root = str(opts.out.resolve())
    cfg.CourseDirectory.source_directory = "source"
    cfg.CourseDirectory.release_directory = "release"
    cfg.CourseDirectory.db_url = db_url_for(opts)
    cfg.GenerateAssignment.no_database = False
    cfg.SaveCells.enabled = True
    cfg.Autograde.autograde_preprocessors = [SandboxedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                             SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
    cfg.OverwriteCells.add_missing_cells = False  # a deleted test scores 0 (set after grading), not restored
    cfg.SandboxedExecute.timeout = int(opts.timeout)
    cfg.SandboxedExecute.notebook_timeout = int(opts.notebook_timeout)
    cfg.SandboxedExecute.limits = dict(opts.limits)
    cfg.SandboxedExecute.isolate = bool(opts.isolate)
    cfg.SandboxedExecute.uid = sandbox.UID_BASE + opts.uid_block * sandbox.MAX_WORKERS + slot
    cfg.SandboxedExecute.hide_paths = sorted({str(root), str(opts.out.resolve()), str(opts.submissions.resolve())})
    cfg.SandboxedExecute.keep_paths = [str(Path(course.__file__).resolve().parents[1])]  # lib/: the reglab package
    cfg.SandboxedExecute.events_file = events_file
    cfg.ClearHiddenTests.enforce_metadata = False
    cfg.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, RedactTracebacks, CSSHTMLHeaderPreprocessor]
    return cfg


def _create_students(opts, students):
    """Create every student before the workers start: nbgrader's update_or_create_student is a
    check-then-insert, and two workers grading one student's two assignments raced on it
    (UNIQUE constraint failed: student.id)."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url_for(opts)) as gb:
        for s in students:
            gb.update_or_create_student(s)


def prepare_course(opts, root, assignments):
    """Source copies and released versions in the output folder, recorded in the gradebook."""
    from nbgrader.apps import NbGraderAPI

    for aid in assignments:
        dst = opts.out / "source" / aid
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(root / "solutions" / aid, dst)
    db = opts.out / "gradebook.db"
    if opts.db_url is None:
        with sqlite3.connect(db) as con:  # WAL: readers and one writer at a time, without lock errors
            con.execute("PRAGMA journal_mode=WAL")
    api = NbGraderAPI(config=grading_config(opts, root))
    api.log.setLevel("ERROR")
    for aid in assignments:
        r = api.generate_assignment(aid, force=True, create=True)
        if not r.get("success"):
            raise RuntimeError(f"could not set up assignment {aid}: {r.get('log', '')[-2000:]}")


# ------------------------------------------------------------------------------ one job (in a worker)

_SLOT = {"id": 0}


def _quiet_nbgrader_internals():
    """nbgrader 0.9's gradebook emits SQLAlchemy session warnings on every autograde: not ours to fix."""
    import warnings

    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", category=SAWarning)


def _slot_queue(manager, n):
    """Worker slots 0..n-1: each worker process takes one, and its kernels run as UID_BASE + slot."""
    q = manager.Queue()
    for i in range(n):
        q.put(i)
    return q


def _init_worker(slots):
    _quiet_nbgrader_internals()
    _SLOT["id"] = slots.get()
    os.environ["NBGRADER_EXECUTION"] = "autograde"


def _write_json(path: Path, data):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str))
    os.replace(tmp, path)


def _zero_deleted_tests(opts, student, aid):
    """nbgrader leaves a deleted test cell ungraded ('needs manual grade'); score it 0 instead."""
    import nbformat
    from nbgrader.api import Gradebook

    deleted = []
    with Gradebook(db_url_for(opts)) as gb:
        sub = gb.find_submission(aid, student)
        for nb in sub.notebooks:
            path = opts.out / "autograded" / student / aid / f"{nb.name}.ipynb"
            present = set()
            if path.exists():
                for c in nbformat.read(path, as_version=4).cells:
                    gid = c.metadata.get("nbgrader", {}).get("grade_id")
                    if gid:
                        present.add(gid)
            for g in nb.grades:
                if g.cell.cell_type == "code" and g.name not in present and g.auto_score is None:
                    g.auto_score = 0
                    g.needs_manual_grade = False
                    deleted.append(f"{nb.name}:{g.name}")
        gb.db.commit()
    return deleted


def code_scores(db_url):
    """{(student, assignment, notebook, grade_id): score} of every autograded cell in a gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(db_url) as gb:
        for a in gb.assignments:
            for sub in a.submissions:
                for nb in sub.notebooks:
                    for g in nb.grades:
                        if g.cell.cell_type == "code":
                            out[(sub.student.id, a.name, nb.name, g.name)] = g.score
    return out


def _scores(opts, student, aid):
    from nbgrader.api import Gradebook

    with Gradebook(db_url_for(opts)) as gb:
        sub = gb.find_submission(aid, student)
        parts = []
        for nb in sub.notebooks:
            for g in nb.grades:
                parts.append({"notebook": nb.name, "grade_id": g.name, "type": g.cell.cell_type,
                              "score": g.score, "auto_score": g.auto_score, "max_score": g.max_score,
                              "needs_manual_grade": g.needs_manual_grade})
        auto = [p for p in parts if p["type"] == "code"]
        return {
            "score": sub.score, "max_score": sub.max_score,
            "auto_score": sum(p["score"] or 0 for p in auto), "auto_max": sum(p["max_score"] for p in auto),
            "needs_manual_grade": sub.needs_manual_grade, "parts": parts,
        }


def run_job(opts, root, student, aid, intake_dict):
    """Autograde one submission with nbgrader, then feedback; returns the job record."""
    from nbgrader.apps import NbGraderAPI

    jobs = opts.out / JOBS
    jid = job_id(student, aid)
    events_file = jobs / f"{jid}.events.json"
    t0 = time.monotonic()
    record = {"student": student, "assignment": aid, "intake": intake_dict, "status": "graded"}
    api = NbGraderAPI(config=grading_config(opts, root, _SLOT["id"], str(events_file)))
    api.log.setLevel("ERROR")
    result = None
    for attempt in range(5):
        result = api.autograde(aid, student, force=True, create=True)
        log = result.get("log") or ""
        if result.get("success") or not ("database is locked" in log or "UNIQUE constraint failed" in log):
            break  # retry only what a concurrent writer can cause
        time.sleep(0.5 * (attempt + 1))
    if not result.get("success"):
        record.update(status="grader error", detail=_log_tail(result))
    else:
        record["deleted_tests"] = _zero_deleted_tests(opts, student, aid)
        fb = api.generate_feedback(aid, student, force=True)
        if not fb.get("success"):
            record.update(status="grader error", detail="feedback: " + _log_tail(fb))
        record.update(_scores(opts, student, aid))
    if events_file.exists():
        record["execution"] = json.loads(events_file.read_text())
    record["seconds"] = round(time.monotonic() - t0, 2)
    _write_json(jobs / f"{jid}.json", record)  # the job's "done" marker, written last
    return record


def _log_tail(result):
    """nbgrader's own error (the first [ERROR] block), not the generic wrapper around it."""
    log = (result.get("log") or "") + (result.get("error") or "")
    start = log.find("[ERROR]")
    end = log.find("There was an error processing", start)
    core = log[start:end] if start >= 0 else ""
    if len(core.strip()) < 60:  # no informative block: keep the end of the whole log
        core = log
    lines = [l for l in core.splitlines() if l.strip()]
    return "\n".join(lines[-40:])


def _worker(opts, root, student, aid, intake_dict):
    try:
        return run_job(opts, Path(root), student, aid, intake_dict)
    except Exception:  # a grader failure for this job: record it, keep the batch going
        record = {"student": student, "assignment": aid, "intake": intake_dict, "status": "grader error",
                  "detail": traceback.format_exc()[-3000:]}
        _write_json(opts.out / JOBS / f"{job_id(student, aid)}.json", record)
        return record


# ------------------------------------------------------------------------------ the batch


class Progress:
    def __init__(self, total, enabled):
        self.total, self.done, self.t0, self.enabled = total, 0, time.monotonic(), enabled and total > 0

    def step(self, label=""):
        self.done += 1
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.t0
        eta = elapsed / self.done * (self.total - self.done)
        width = 30
        filled = int(width * self.done / self.total)
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(f"\r[{bar}] {self.done}/{self.total}  elapsed {elapsed:5.0f}s  ETA {eta:5.0f}s  {label[:40]:40s}")
        if self.done == self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _ensure_tools_on_path():
    """nbgrader's gradebook runs the ``alembic`` executable: make this environment's bin/ come first,
    also when ``reglab`` is called as .venv/bin/reglab without activating the venv."""
    bindir = os.path.dirname(sys.executable)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bindir:
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def grade(opts: Options):
    """Grade every submission; returns the summary dict (also written as report files)."""
    from . import report

    _ensure_tools_on_path()
    _quiet_nbgrader_internals()
    if not 1 <= opts.workers <= sandbox.MAX_WORKERS:
        raise ValueError(f"--workers must be between 1 and {sandbox.MAX_WORKERS}")
    # kernels of this run get uids no other concurrent run uses: a block chosen from this process id
    opts.uid_block = os.getpid() % sandbox.UID_BLOCKS
    if sandbox.is_root():
        sandbox.reap_orphans()
    root = (opts.course_root or find_course_root()).resolve()
    opts.out = opts.out.resolve()
    opts.submissions = opts.submissions.resolve()
    opts.out.mkdir(parents=True, exist_ok=True)
    (opts.out / JOBS).mkdir(exist_ok=True)
    known = _known_assignments(root)
    notes = []
    everyone = discover(opts, root, known, notes)
    jobs = [j for j in everyone if opts.student is None or j[0] == opts.student]
    if opts.student and not jobs:
        raise ValueError(f"no submissions of student {opts.student!r} in {opts.submissions}")
    assignments = sorted({aid for _, aid, _ in everyone})
    prepare_course(opts, root, assignments)

    todo, intakes = [], {}
    for student, aid, folder in jobs:
        jid = job_id(student, aid)
        digest = intake.digest_dir(folder)
        done = opts.out / JOBS / f"{jid}.json"
        if done.exists() and not opts.student:
            prev = json.loads(done.read_text())
            if prev.get("intake", {}).get("digest") == digest and prev.get("status") == "graded":
                continue  # already graded in an earlier (possibly interrupted) run
        dst = opts.out / "submitted" / student / aid
        if dst.resolve() != folder.resolve():
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(folder, dst)
        res = intake.check_submission(student, aid, dst, opts.out / "source" / aid, opts.out / "release" / aid)
        res.digest = digest
        intakes[jid] = {"digest": digest, "problems": [p.__dict__ for p in res.problems]}
        todo.append((student, aid))

    _create_students(opts, sorted({s for s, _ in todo}))
    progress = Progress(len(todo), opts.progress)
    if todo:
        ctx = mp.get_context("spawn")
        opts.course_root = root
        with ctx.Manager() as manager, ProcessPoolExecutor(
            max_workers=opts.workers, mp_context=ctx, initializer=_init_worker,
            initargs=(_slot_queue(manager, opts.workers),),
        ) as pool:
            futures = {pool.submit(_worker, opts, str(root), s, a, intakes[job_id(s, a)]): (s, a) for s, a in todo}
            for fut in as_completed(futures):
                s, a = futures[fut]
                fut.result()
                progress.step(f"{s}/{a}")

    records = []
    for student, aid, _ in everyone:
        path = opts.out / JOBS / f"{job_id(student, aid)}.json"
        if path.exists():
            records.append(json.loads(path.read_text()))
    return report.write_all(opts, root, records, notes)
