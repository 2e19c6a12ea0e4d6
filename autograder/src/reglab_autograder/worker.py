"""One grading job, in a worker process: nbgrader's autograde and feedback for one (student, assignment).

Each worker process takes a slot number when it starts (its kernels run as sandbox uid
``UID_BASE + block * MAX_WORKERS + slot``); :func:`run_job` is the job function.
"""

from __future__ import annotations

import glob
import os
import time
import traceback
import warnings
from dataclasses import dataclass

from . import converters, gradebook, mathjax, misconceptions
from .common import log_tail, quiet_nbgrader_internals
from .config import grading_config
from .execution import ExecutionRecord
from .jobs import (
    GRADER_ERROR,
    Job,
    JobRecord,
    Problem,
    events_path,
    findings_path,
    grader_version,
    read_findings,
    read_record,
    write_record,
)
from .preprocessors import graded_view
from .rows import Kind

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


def run_job(run, job: Job) -> JobRecord:
    """Autograde one submission with nbgrader, then its feedback; returns (and writes) the job record. What
    nbformat warns about the submission's notebooks (duplicate cell ids, ...) becomes this job's report rows,
    never a line on the terminal."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet_nbgrader_internals()
        record = _grade(run, job)
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
    return [Problem(Kind.NOTEBOOK_REPAIRED, text) for text in seen]


def _grade(run, job: Job) -> JobRecord:
    """Grade ``job``: nbgrader's autograde, formgrader's verdicts kept, the feedback, the scores and how long each
    phase took; returns the record (:func:`run_job` writes it)."""
    from nbgrader.apps import NbGraderAPI

    record = job.record(course_digest=run.course_digest(job.assignment), grader=grader_version())
    events_file = events_path(run.jobs_dir, record.id)
    findings_file = findings_path(run.jobs_dir, record.id)
    findings_file.unlink(missing_ok=True)
    t0 = time.monotonic()
    phases = {}
    api = NbGraderAPI(config=grading_config(run, _SLOT["id"], str(events_file), str(findings_file)))
    api.log.setLevel("ERROR")
    verdicts = GradersVerdicts.read(run, job)
    phases["setup"] = time.monotonic() - t0
    result = _autograde(api, job, findings_file)
    phases["autograde"] = time.monotonic() - t0 - phases["setup"]
    record.problems += read_findings(findings_file)
    if not result.get("success"):
        record.status, record.detail = GRADER_ERROR, log_tail(result)
    else:
        phases.update(_feedback_and_scores(run, api, record, verdicts))
    if events_file.exists():
        record.execution = ExecutionRecord.read(events_file).to_dict()
        record.execution["phases"] = {k: round(v, 3) for k, v in phases.items()}  # the job's anatomy
    record.seconds = round(time.monotonic() - t0, 2)
    return record


def _autograde(api, job: Job, findings_file) -> dict:
    """nbgrader's autograde of one submission, tried again when a concurrent gradebook writer got in the way;
    nbgrader's result (``success``, ``log``)."""
    result = {}
    for attempt in range(5):
        findings_file.unlink(missing_ok=True)
        # nbgrader takes the student id as a glob pattern: escaped, an id like "a*" grades only itself
        result = converters.autograde(api, job.assignment, glob.escape(job.student), force=True, create=True)
        log = result.get("log") or ""
        if result.get("success") or not any(r in log for r in RETRIED):
            break
        time.sleep(0.5 * (attempt + 1))
    return result


@dataclass(frozen=True)
class GradersVerdicts:
    """formgrader's verdicts on a submission's written answers, read before autograde rewrites its rows: they stay
    on the written answers the student has not changed since (on all of them when the very same files are graded
    again)."""

    job: Job
    verdicts: dict
    answers: dict  # the written answers the verdicts were given on
    same_files: bool

    @classmethod
    def read(cls, run, job: Job) -> GradersVerdicts:
        prev = read_record(run.jobs_dir, job.student, job.assignment)
        return cls(job=job, verdicts=gradebook.graders_verdicts(run.db_url, job.student, job.assignment),
                   answers=gradebook.written_answers(run.out / "autograded" / job.student / job.assignment),
                   same_files=prev is not None and prev.digest == job.digest)  # a regrade: the verdicts stay

    def restore(self, run) -> None:
        """Put the verdicts back on the answers unchanged since (after autograde)."""
        if not self.verdicts:
            return
        student, assignment = self.job.student, self.job.assignment
        now = gradebook.written_answers(run.out / "autograded" / student / assignment)
        gradebook.restore_verdicts(run.db_url, student, assignment, self.verdicts, lambda key: (
            self.same_files or (key in self.answers and self.answers[key] == now.get(key))))


def _feedback_and_scores(run, api, record: JobRecord, verdicts: GradersVerdicts) -> dict[str, float]:
    """After a successful autograde: formgrader's verdicts restored, deleted tests scored 0, the feedback pages,
    the record's scores; returns the seconds its phases took."""
    student, assignment = record.student, record.assignment
    autograded = run.out / "autograded"
    t1 = time.monotonic()
    verdicts.restore(run)
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
    return {"feedback": t3 - t2, "gradebook": (t2 - t1) + (time.monotonic() - t3)}


def safe_job(run, job: Job) -> JobRecord:
    """:func:`run_job`, with a grader failure recorded as this job's row: the batch goes on."""
    try:
        return run_job(run, job)
    except Exception:
        record = job.record(status=GRADER_ERROR, detail=traceback.format_exc()[-3000:])
        write_record(run.jobs_dir, record)
        return record
