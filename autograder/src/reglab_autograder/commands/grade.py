"""``reglab grade``: the orchestration. Discover the submissions, set up the grading course, check each
submission's files, grade the jobs in a pool of worker processes, write the report.

Where each step lives: :mod:`..discovery` (and :mod:`..plugins.zipcollect`), :mod:`..coursedir`,
:mod:`..intake`, :mod:`..worker` (one job, with :mod:`..config`, :mod:`..preprocessors.execute`, :mod:`..sandbox`,
:mod:`..preprocessors`), :mod:`..gradebook`, :mod:`..progress`, :mod:`..report`; the cluster path: :mod:`..cluster`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing as mp
import shutil
import sys
import threading
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed

from reglab.release import available_sessions, find_course_root

from .. import config, coursedir, gradebook, intake, report, survey, worker
from ..common import ensure_tools_on_path, quiet_nbgrader_internals
from ..discovery import Submission, discover
from ..jobs import GRADED, GRADER_ERROR, Job, JobRecord, Note, Problem, read_record, write_notes, write_record
from ..options import GradeOptions, Run
from ..progress import Progress
from ..rows import Kind
from ..sandbox import layout, probe, processes


def grade(opts: GradeOptions) -> report.GradingResult:
    """Grade every submission; returns the result (also written as report files)."""
    ensure_tools_on_path()
    quiet_nbgrader_internals()
    if not 1 <= opts.workers <= layout.MAX_WORKERS:
        raise ValueError(f"--workers must be between 1 and {layout.MAX_WORKERS}")
    if opts.dry_run:  # `reglab check`: what would happen, nothing written
        return survey.check(opts)
    if opts.scheduler:  # the cluster path: its errors (no scheduler, no database) come first, within seconds
        return grade_on_cluster(opts)
    return grade_here(opts)


def grade_on_cluster(opts: GradeOptions) -> report.GradingResult:
    """``--scheduler``: the jobs run as tasks on a Dask cluster (:mod:`..cluster.grading`), the gradebook is on a
    server."""
    from sqlalchemy.exc import OperationalError

    from .. import database
    from ..cluster import grading as cluster

    url = opts.db_url and database.normalize_url(opts.db_url)
    if not url or not database.is_postgres(url):
        raise ValueError("--scheduler needs --db-url postgresql://...: the workers share no file system with this "
                         "machine, so the gradebook must be on a database server")
    database.check(url)
    client = cluster.connect(opts.scheduler, isolate=opts.isolate)
    try:
        return grade_here(opts, client)
    except OperationalError as exc:  # the server went away mid-batch: the jobs it failed have their rows in jobs/
        raise database.DatabaseUnavailable(f"lost the gradebook's database {database.redacted(url)} "
                                           f"({str(exc.orig or exc).strip()[:200]}); rerun when it is back: what "
                                           "is graded is kept, the rest is graded") from exc
    finally:
        client.close()


def grade_here(opts: GradeOptions, client=None) -> report.GradingResult:
    """Grade with a local process pool, or with the cluster of ``client``."""
    if opts.isolate and client is None:
        require_sandbox()
    if layout.is_root():
        processes.reap_orphans()
    run = Run.start(opts, opts.course_root or find_course_root())
    plan = survey.validate(run)  # due dates, extensions, roster: refused before anything is written
    everyone, notes = find_submissions(run)
    notes += plan.notes(everyone)
    run = dataclasses.replace(run, course=tuple(
        (a, coursedir.course_digest(run.root, a)) for a in sorted({s.assignment for s in everyone})))
    pending = to_grade(run, everyone, notes)
    lost = grade_jobs(run, client, everyone, pending, plan)
    write_notes(run.out, notes)
    records = [r for s in everyone if (r := read_record(run.jobs_dir, s.student, s.assignment)) is not None]
    result = report.write_all(report.ReportContext.of_run(run), records, notes)
    if warn_stale(notes):
        result.exit_code = result.exit_code or STALE
    if lost:
        from ..cluster.grading import ClusterUnavailable

        raise ClusterUnavailable(f"the Dask scheduler was lost: {lost} submission(s) not graded; rerun the same "
                                 "command to grade them (what is graded is kept)")
    return result


def require_sandbox() -> None:
    """Secure by default: no grading without a sandbox unless asked for explicitly (``--no-sandbox``)."""
    status = probe.probe()
    if not status.ok:
        raise layout.SandboxUnavailable(f"cannot sandbox the students' code: {status.reason}")


def find_submissions(run: Run) -> tuple[list[Submission], list[Note]]:
    """Every submission in ``run.submissions`` (LMS archives extracted into ``--out``) and the notes about the
    input; an empty class is refused, leaving no output folder behind. The output folder exists afterwards."""
    new_out = not run.out.exists()
    everyone, notes = discover(run.submissions, run.out, available_sessions(run.root),
                               lambda aids: coursedir.prepare(run, aids),
                               run.options.lms_timezone)  # writes into --out only to extract LMS archives
    if not everyone and new_out and run.out.exists():  # LMS archives holding no submission: leave no output behind
        shutil.rmtree(run.out)
    survey.refuse_empty(run.submissions, everyone)
    run.out.mkdir(parents=True, exist_ok=True)
    run.jobs_dir.mkdir(exist_ok=True)
    return everyone, notes


def to_grade(run: Run, everyone: list[Submission], notes: list[Note]) -> list[tuple[Submission, str]]:
    """The submissions this run grades, each with its files' digest: those of ``--student`` (if given) not graded
    before with these very files, or to regrade. A graded submission kept although its tests or grader changed
    gets a stale note; one whose files cannot be read gets its grader-error record."""
    opts = run.options
    chosen = [s for s in everyone if opts.student is None or s.student == opts.student]
    if opts.student and not chosen:
        raise ValueError(f"no submissions of student {opts.student!r} in {opts.submissions}")
    pending = []  # (submission, its files' digest): not graded before with these very files, or to regrade
    for sub in everyone:
        prev = read_record(run.jobs_dir, sub.student, sub.assignment)
        why = prev.stale(run.course_digest(sub.assignment)) if prev is not None and prev.graded else ""
        if sub not in chosen:
            if why:
                notes.append(stale_note(sub, why))
            continue
        try:
            digest = intake.digest_dir(sub.folder)
        except Exception as exc:  # noqa: BLE001 - one submission's input never stops the class
            record_intake_failure(run, sub, exc)
            continue
        if already_graded(prev, opts, digest) and not (why and opts.regrade):
            if why:
                notes.append(stale_note(sub, why))
            continue
        pending.append((sub, digest))
    return pending


def grade_jobs(run: Run, client, everyone: list[Submission], pending, plan: survey.Plan) -> int:
    """Set the grading course up, take the ``pending`` submissions in and grade them: in a local pool of worker
    processes, started meanwhile, or on the cluster of ``client``. Returns how many the cluster lost."""
    with contextlib.ExitStack() as stack:
        # the workers start while the course is set up; no more of them than submissions to grade (each starts a
        # fork server of its own for its kernels)
        workers = min(run.options.workers, len(pending))
        pool = stack.enter_context(start_pool(run, workers)) if client is None and pending else None
        coursedir.prepare(run, sorted({s.assignment for s in everyone}))
        todo = take_in_all(run, pending, plan.due)
        gradebook.create_students(run.db_url, sorted({job.student for job in todo}), plan.roster)
        with Progress(len(todo), run.options.progress) as progress:
            if todo and client is not None:
                from ..cluster import grading as cluster

                return cluster.grade_all(client, run, todo, progress)
            if todo:
                grade_in_pool(pool, run, todo, progress)
    return 0


def take_in_all(run: Run, pending, due) -> list[Job]:
    """The jobs of the ``pending`` (submission, digest) pairs (:func:`take_in`); a submission that cannot be taken
    in gets its grader-error record instead."""
    todo = []
    for sub, digest in pending:
        try:
            todo.append(take_in(run, sub, digest, due))
        except Exception as exc:  # noqa: BLE001 - one submission's input never stops the class
            record_intake_failure(run, sub, exc)
    return todo


def grade_in_pool(pool, run: Run, todo: list[Job], progress) -> None:
    """Grade the jobs in the local pool; each worker writes its job's record."""
    futures = {pool.submit(worker.safe_job, run, job): job for job in todo}
    for fut in as_completed(futures):
        fut.result()
        progress.step(futures[fut].label)


@contextlib.contextmanager
def start_pool(run, workers: int):
    """The local pool of worker processes, started now: each worker takes its slot and starts its kernels'
    fork server as it starts (one quick task per worker makes the pool start them all)."""
    ctx = mp.get_context("forkserver")  # workers forked from a server that imported the grader once
    ctx.set_forkserver_preload(["reglab_autograder.worker", "reglab_autograder.preprocessors.execute"])
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=worker.init_worker,
                             initargs=(worker.slot_queue(ctx, workers), run)) as pool:
        # each submit forks a worker and waits until the fork server has imported the grader (seconds): on a
        # thread of its own, so that the caller sets the course up meanwhile
        starter = threading.Thread(target=lambda: [pool.submit(worker.started) for _ in range(workers)],
                                   name="reglab-pool-start", daemon=True)
        starter.start()
        try:
            yield pool
        finally:
            starter.join()


def already_graded(prev: JobRecord | None, opts, digest: str) -> bool:
    """An earlier (possibly interrupted) run graded these very files (``digest``) into the record ``prev``, and
    this run does not ask to regrade this student."""
    return prev is not None and not opts.student and prev.status == GRADED and prev.digest == digest


STALE = 3  # reglab grade's exit code when graded records were kept although their tests or grader changed
STALE_KIND = Kind.STALE


def stale_note(sub, why: str) -> Note:
    """The report row of a graded submission kept although ``why`` (its tests or grader changed)."""
    return Note(sub.student, sub.assignment, STALE_KIND, f"{why} since this submission was graded: its scores are "
                "the old ones; rerun with --regrade to grade it again")


def warn_stale(notes) -> int:
    """Say on stderr, per assignment and reason, how many graded submissions are stale; returns how many."""
    counts = Counter((n.assignment, n.detail.split(" since ")[0]) for n in notes if n.kind == STALE_KIND)
    for (aid, why), n in sorted(counts.items()):
        print(f"STALE {aid}: {why} since {n} submission(s) were graded; their old scores are kept: rerun with "
              "--regrade to grade them again", file=sys.stderr)
    return sum(counts.values())


def record_intake_failure(run, sub, exc: Exception) -> None:
    """The report row of a submission whose files could not be read or taken in; the class goes on."""
    write_record(run.jobs_dir, JobRecord(
        student=sub.student, assignment=sub.assignment, status=GRADER_ERROR,
        detail=f"could not take in this submission: {type(exc).__name__}: {str(exc)[:500]}"))


def take_in(run: Run, sub, digest: str, due=()) -> Job:
    """Copy one submission (its files' ``digest``) into the grading course (no link followed) and check its files:
    the job to run. ``due``: the assignments with a due date (a submission without a time gets a row)."""
    dst = run.out / "submitted" / sub.student / sub.assignment
    problems = []
    if dst.resolve() != sub.folder.resolve():
        problems += intake.copy_submission(sub.folder, dst)
    else:  # graded in place: links and special files go before nbgrader copies anything
        problems += intake.walk_files(dst)[1]
        intake.remove_links(dst)
    problems += intake.check_submission(dst, run.out / config.SOURCE / sub.assignment,
                                        run.out / config.RELEASE / sub.assignment,
                                        run.dates.timestamp_timezone if run.dates else None)
    if sub.assignment in due and not (dst / intake.TIMESTAMP).exists() and not (dst / intake.SET_ASIDE).exists():
        problems.append(Problem(Kind.NO_TIMESTAMP, f"no {intake.TIMESTAMP}: graded as on time (due "
                                       f"{due[sub.assignment].isoformat(sep=' ', timespec='minutes')})"))
    return Job(sub.student, sub.assignment, digest, tuple(problems))


