"""One grading job, in a worker process: nbgrader's autograde and feedback for one (student, assignment).

Each worker process takes a slot number when it starts (its kernels run as sandbox uid
``UID_BASE + block * MAX_WORKERS + slot``); :func:`run_job` is the job function.
"""

from __future__ import annotations

import glob
import json
import os
import time
import traceback
import warnings

from . import converters, gradebook, mathjax, misconceptions
from .common import log_tail, quiet_nbgrader_internals
from .config import grading_config
from .execution import ExecutionRecord
from .jobs import GRADER_ERROR, JobRecord, Problem, grader_version, read_record, write_record
from .preprocessors import graded_view

_SLOT = {"id": 0}
RETRIED = ("database is locked", "UNIQUE constraint failed")  # what a concurrent gradebook writer can cause


def slot_queue(ctx, n: int):
    """Worker slots 0..n-1 (each worker process takes one), in a queue of the pool's multiprocessing context
    ``ctx``, handed to the workers as they start."""
    q = ctx.Queue()
    for i in range(n):
        q.put(i)
    return q


def init_worker(slots, run=None) -> None:
    """A worker process starts: its slot, and (given the run) its kernels' fork server, started while the
    coordinator still sets up the course."""
    quiet_nbgrader_internals()
    _SLOT["id"] = slots.get()
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    if run is not None:
        from .preprocessors.execute import SandboxedExecute

        try:
            SandboxedExecute(config=grading_config(run, _SLOT["id"])).start_fork_server()
        except Exception:  # noqa: BLE001 - an initializer that raises breaks the pool: the first job reports it
            pass


def started() -> int:
    """A task that returns at once: submitted once per worker, it makes the pool start its workers."""
    return _SLOT["id"]


def _read_findings(path) -> list[Problem]:
    if not path.exists():
        return []
    return [Problem(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]


def run_job(run, student: str, assignment: str, digest: str, problems: list[Problem]) -> JobRecord:
    """Autograde one submission with nbgrader, then its feedback; returns (and writes) the job record. What
    nbformat warns about the submission's notebooks (duplicate cell ids, ...) becomes this job's report rows,
    never a line on the terminal."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet_nbgrader_internals()
        record = _grade(run, student, assignment, digest, problems)
    record.problems += warning_problems(caught)
    others = sorted({f"{w.category.__name__}: {w.message}" for w in caught} - {p.detail for p in record.problems})
    if others:  # the libraries' own warnings: in the job's record, not on the terminal
        record.execution["warnings"] = others
    write_record(run.jobs_dir, record)  # the job's "done" marker, written last
    return record


def warning_problems(caught) -> list[Problem]:
    """One report row per distinct warning nbformat gave while reading and repairing the submission's notebooks."""
    seen = dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught
                         if w.category.__module__.split(".")[0] == "nbformat")
    return [Problem("notebook repaired", text) for text in seen]


def _grade(run, student: str, assignment: str, digest: str, problems: list[Problem]) -> JobRecord:
    from nbgrader.apps import NbGraderAPI

    record = JobRecord(student=student, assignment=assignment, digest=digest, problems=list(problems),
                       course_digest=run.course_digest(assignment), grader=grader_version())
    events_file = run.jobs_dir / f"{record.id}.events.json"
    findings_file = run.jobs_dir / f"{record.id}.findings.jsonl"
    findings_file.unlink(missing_ok=True)
    t0 = time.monotonic()
    phases = {}
    api = NbGraderAPI(config=grading_config(run, _SLOT["id"], str(events_file), str(findings_file)))
    api.log.setLevel("ERROR")
    result = {}
    prev = read_record(run.jobs_dir, student, assignment)
    same_files = prev is not None and prev.digest == digest  # a regrade: formgrader's verdicts stay
    # formgrader's verdicts stay on the written answers the student has not changed since
    verdicts = gradebook.graders_verdicts(run.db_url, student, assignment)
    answers_before = gradebook.written_answers(run.out / "autograded" / student / assignment)
    phases["setup"] = time.monotonic() - t0
    for attempt in range(5):
        findings_file.unlink(missing_ok=True)
        # nbgrader takes the student id as a glob pattern: escaped, an id like "a*" grades only itself
        result = converters.autograde(api, assignment, glob.escape(student), force=True, create=True)
        log = result.get("log") or ""
        if result.get("success") or not any(r in log for r in RETRIED):
            break
        time.sleep(0.5 * (attempt + 1))
    phases["autograde"] = time.monotonic() - t0 - phases["setup"]
    record.problems += _read_findings(findings_file)
    if not result.get("success"):
        record.status, record.detail = GRADER_ERROR, log_tail(result)
    else:
        autograded = run.out / "autograded"
        t1 = time.monotonic()
        if verdicts:
            answers_now = gradebook.written_answers(autograded / student / assignment)
            gradebook.restore_verdicts(run.db_url, student, assignment, verdicts, lambda key: same_files or (
                key in answers_before and answers_before[key] == answers_now.get(key)))
        record.deleted_tests = gradebook.zero_deleted_tests(run.db_url, autograded, student, assignment)
        t2 = time.monotonic()
        fb = converters.generate_feedback(api, assignment, glob.escape(student), force=True,
                                         config=graded_view.feedback_config(record.problems))
        t3 = time.monotonic()
        if not fb.get("success"):
            record.status, record.detail = GRADER_ERROR, "feedback: " + log_tail(fb)
        else:
            mathjax.install(run.out / "feedback" / student)
        gradebook.fill_scores(run.db_url, record, misconceptions.in_submission(autograded / student / assignment))
        phases["feedback"] = t3 - t2
        phases["gradebook"] = (t2 - t1) + (time.monotonic() - t3)
    if events_file.exists():
        record.execution = ExecutionRecord.read(events_file).to_dict()
        record.execution["phases"] = {k: round(v, 3) for k, v in phases.items()}  # the job's anatomy
    record.seconds = round(time.monotonic() - t0, 2)
    return record


def safe_job(run, student: str, assignment: str, digest: str, problems: list[Problem]) -> JobRecord:
    """:func:`run_job`, with a grader failure recorded as this job's row: the batch goes on."""
    try:
        return run_job(run, student, assignment, digest, problems)
    except Exception:
        record = JobRecord(student=student, assignment=assignment, digest=digest, problems=list(problems),
                           status=GRADER_ERROR, detail=traceback.format_exc()[-3000:])
        write_record(run.jobs_dir, record)
        return record
