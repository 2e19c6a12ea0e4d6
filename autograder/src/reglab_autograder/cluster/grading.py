"""``reglab grade --scheduler ADDRESS --db-url postgresql://...``: every (student, assignment) as a task on a Dask
distributed cluster, graded against a shared PostgreSQL gradebook.

Nothing assumes a shared file system. This process (the coordinator) sets up the grading course and takes the
submissions in exactly as for local grading (:mod:`..commands.grade`); then

* the course's grading files (its nbgrader configuration, the ``source/`` and ``release/`` notebooks of the
  assignments graded) go to every worker once, as a :class:`CourseFiles` worker plugin keyed by their digest
  (the scheduler hands it to workers that join later, e.g. a restarted one);
* each task (a :class:`Task`) carries one submission's files and its :class:`..jobs.Job` (assignment, intake
  findings); on the worker, :func:`grade_task` writes them into the worker's own scratch course folder (in its local
  directory) and calls the local path's job function, :func:`..worker.safe_job`: the same nbgrader autograde and
  feedback, in the same bubblewrap sandbox, with the gradebook on the shared server;
* the task returns the autograded notebook, the feedback and the job record; the coordinator writes them into
  ``--out``, the record last (the job's "done" marker, as locally), so that a rerun after any interruption grades
  only what is missing.

What the gradebook shares (the course, students, assignments, notebooks and cells) is created by the coordinator
before any task starts: nbgrader's get-or-create is a check-then-insert. Each submission's own rows are written by
one task at a time (:func:`..database.submission_lock`). A worker that dies mid-task (the kernel dies with it) has
its tasks run again on another worker by the scheduler; nbgrader's ``autograde --force`` rewrites that
submission's rows, so nothing is counted twice.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import tempfile
import threading
import traceback
import uuid
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path, PurePosixPath

from reglab.release import CONFIG_RELATIVE

from .. import config, database, intake, mathjax
from ..jobs import GRADER_ERROR, Job, JobRecord, events_path, write_record
from ..options import Run
from ..sandbox import layout, probe
from ..worker import init_worker, safe_job

CONNECT_SECONDS = 5  # an unreachable scheduler is reported after this
WORKERS_SECONDS = 60  # a scheduler without workers is reported after this
DISTRIBUTIONS = ("reglab", "reglab-autograder", "nbgrader")  # must be the same versions on every worker
COURSE, GRADING = "course", "grading"  # the scratch course folder on a worker: the course's config, the grading course


class ClusterUnavailable(ValueError):
    """The cluster cannot grade (unreachable, no workers, workers without the grader or a sandbox)."""


# ---------------------------------------------------------------------------- coordinator


def connect(address: str, isolate: bool = True):
    """A client of the scheduler at ``address`` (``tcp://host:port``, ``tls://...``, or ``gateway://CLUSTER`` for
    a Dask Gateway cluster), checked to have workers able to grade; :class:`ClusterUnavailable` otherwise."""
    from distributed import Client

    if address.startswith("gateway://"):
        client = _gateway_client(address.removeprefix("gateway://"))
    else:
        try:
            client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterUnavailable(f"cannot reach the Dask scheduler at {address} within {CONNECT_SECONDS} s "
                                     f"({type(exc).__name__}: {str(exc)[:200]}); is it running (`dask scheduler`) "
                                     "and is the address right?") from exc
    try:
        try:
            client.wait_for_workers(1, timeout=WORKERS_SECONDS)
        except TimeoutError as exc:
            raise ClusterUnavailable(f"the Dask scheduler at {address} has no workers after {WORKERS_SECONDS} s: "
                                     f"start some (`dask worker {address} --nthreads 1`)") from exc
        check_workers(client, isolate)
    except BaseException:
        client.close()
        raise
    return client


def _gateway_client(name: str):
    try:
        from dask_gateway import Gateway
    except ImportError as exc:
        raise ClusterUnavailable("gateway:// needs the dask-gateway client (pip install dask-gateway, the version "
                                 "of your Gateway server)") from exc
    try:
        return Gateway().connect(name).get_client(set_as_default=False)
    except Exception as exc:  # noqa: BLE001 - any failure of the Gateway is "cannot reach the cluster"
        raise ClusterUnavailable(f"cannot connect to the Dask Gateway cluster {name!r}: {exc}") from exc


def worker_facts() -> dict:
    """On a worker: the versions of what grades there, and whether kernels can be sandboxed."""
    status = probe.probe()
    return {"versions": versions(), "sandbox": status.ok, "reason": status.reason}


def versions() -> dict:
    out = {}
    for name in DISTRIBUTIONS:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def check_workers(client, isolate: bool) -> None:
    """Every worker runs the same grader and course library as this machine and, unless ``isolate`` is False,
    can sandbox kernels."""
    try:
        facts = client.run(worker_facts)
    except Exception as exc:  # noqa: BLE001 - e.g. the workers cannot import this package
        raise ClusterUnavailable(f"the workers cannot run the grader ({type(exc).__name__}: {str(exc)[:300]}): "
                                 "install reglab and reglab-autograder[cluster] in their environment") from exc
    mine = versions()
    for addr, f in sorted(facts.items()):
        if f["versions"] != mine:
            raise ClusterUnavailable(f"worker {addr} has {f['versions']}, this machine {mine}: install the same "
                                     "versions of the course and the grader on every worker")
        if isolate and not f["sandbox"]:
            raise ClusterUnavailable(f"worker {addr} cannot sandbox the students' code: {f['reason']}")


def course_files(run, assignments) -> dict[str, bytes]:
    """What every worker needs besides a submission: the course's nbgrader configuration and the grading course's
    ``source/`` and ``release/`` folders of ``assignments`` (relative path in the scratch folder -> content)."""
    files = {f"{COURSE}/{CONFIG_RELATIVE.as_posix()}": (run.root / CONFIG_RELATIVE).read_bytes()}
    for aid in sorted(assignments):
        for step in (config.SOURCE, config.RELEASE):
            files.update(_read_folder(run.out / step / aid, f"{GRADING}/{step}/{aid}"))
    return files


def _read_folder(folder: Path, prefix: str) -> dict[str, bytes]:
    """The regular files of ``folder`` (no link followed), keyed ``prefix/relative path``."""
    return {f"{prefix}/{PurePosixPath(*Path(rel).parts)}": (folder / rel).read_bytes()
            for rel in intake.walk_files(folder)[0]}


def files_digest(files: dict[str, bytes]) -> str:
    import hashlib

    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + len(files[name]).to_bytes(8, "big") + files[name])
    return h.hexdigest()


@dataclass(frozen=True)
class Task:
    """What a cluster task carries to a worker: one job, the run, its submission's files and the name of the worker
    plugin holding the course's files."""

    plugin: str
    run: Run  # the coordinator's; the worker points its folders at its scratch course
    job: Job
    files: dict[str, bytes]  # the submitted files, relative to the submission's folder


def grade_all(client, run, todo: list[Job], progress) -> int:
    """Grade the ``todo`` jobs (after intake) on the cluster; each result is written into ``run.out`` as it arrives.
    Returns how many jobs got no result (the scheduler was lost)."""
    from distributed import as_completed

    plugin = send_course(client, run, {job.assignment for job in todo})
    pending = list(reversed(todo))
    running = {}
    done = as_completed(loop=client.loop)

    def refill():
        width = max(4, 2 * sum(client.nthreads().values()))  # a bounded queue: task data stays small on the scheduler
        while pending and len(running) < width:
            job = pending.pop()
            task = Task(plugin, run, job, _read_folder(run.out / "submitted" / job.student / job.assignment, "."))
            fut = client.submit(grade_task, task, pure=False)
            running[fut.key] = job
            done.add(fut)

    lost = 0
    try:
        refill()
        for fut in done:
            job = running.pop(fut.key)
            lost += collect(run, job, fut)
            fut.release()
            progress.step(job.label)
            refill()
    except (OSError, TimeoutError) as exc:  # the scheduler went away: what has no record is graded by a rerun
        raise ClusterUnavailable(f"lost the Dask scheduler mid-batch ({type(exc).__name__}: {str(exc)[:200]}); "
                                 "rerun the same command to grade what is missing") from exc
    finally:
        try:
            client.unregister_worker_plugin(plugin)
        except Exception:  # noqa: BLE001 - a lost scheduler has no plugin to remove
            pass
    return lost
def send_course(client, run, assignments) -> str:
    """Send the course's grading files of ``assignments`` to the cluster as a worker plugin (every worker writes them
    into its scratch course folder, also one that joins later); returns the plugin's name."""
    files = course_files(run, assignments)
    digest = files_digest(files)
    plugin = f"reglab-course-{digest[:16]}-{uuid.uuid4().hex[:8]}"
    client.register_plugin(CourseFiles(files, digest), name=plugin)
    return plugin


def collect(run, job: Job, fut) -> int:
    """Write the result of ``job``'s task into ``run.out`` (a task that failed: a grader-error record); returns 1
    for a task the cluster lost (no record: a rerun grades it), else 0."""
    if fut.status == "finished":
        store(run.out, job.student, job.assignment, fut.result())
    elif fut.status == "cancelled":
        return 1
    else:
        exc = fut.exception()
        write_record(run.jobs_dir, job.record(status=GRADER_ERROR, detail=f"the cluster could not grade this "
                                              f"submission: {type(exc).__name__}: {str(exc)[:1500]}"))
    return 0


def _inside(base: Path, rel: str) -> Path:
    """``base / rel`` for a relative path that stays inside ``base``; ValueError otherwise."""
    p = PurePosixPath(rel)
    if p.is_absolute() or ".." in p.parts or not p.parts:
        raise ValueError(f"refusing the path {rel!r}")
    return base.joinpath(*p.parts)


def store(out: Path, student: str, assignment: str, result: dict) -> None:
    """Write one task's result into the grading output: autograded notebook and files, feedback, events, then the
    job record."""
    allowed = [("autograded", student, assignment), ("feedback", student, assignment), ("jobs",)]
    for step in ("autograded", "feedback"):
        shutil.rmtree(out / step / student / assignment, ignore_errors=True)
    for rel, data in result["files"].items():
        path = _inside(out, rel)
        parts = path.relative_to(out).parts
        if not any(parts[:len(a)] == a and len(parts) > len(a) for a in allowed):
            raise ValueError(f"a result for {student}/{assignment} holds {rel!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if (out / "feedback" / student / assignment).is_dir():
        mathjax.install(out / "feedback" / student)  # the pages' MathJax: written here, never sent by a worker
    write_record(out / "jobs", JobRecord.from_dict(json.loads(result["record"])))


# ---------------------------------------------------------------------------- worker


def _write_files(base: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = _inside(base, rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


_SLOT: dict = {}


def claim_slot() -> int:
    """This worker process's grading slot on its machine (a distinct sandbox uid per concurrent job), held by a file
    lock for the process's lifetime."""
    import fcntl

    if "slot" in _SLOT:
        return _SLOT["slot"]
    folder = Path(tempfile.gettempdir()) / f"reglab-grading-slots-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    for n in range(layout.MAX_WORKERS):
        fd = os.open(folder / str(n), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        _SLOT.update(slot=n, fd=fd)
        return n
    raise RuntimeError(f"more than {layout.MAX_WORKERS} grading worker processes on this machine")


try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # the cluster extra is not installed: local grading only
    WorkerPlugin = object


class CourseFiles(WorkerPlugin):
    """The course's grading files, sent once to every worker (the scheduler keeps them for workers that join
    later) and written into the worker's scratch course folder."""

    def __init__(self, files: dict[str, bytes], digest: str):
        self.files, self.digest = files, digest

    def setup(self, worker=None):
        local = Path(getattr(worker, "local_directory", None) or tempfile.mkdtemp(prefix="reglab-worker-"))
        self.scratch = local / f"reglab-{self.digest[:16]}"
        shutil.rmtree(self.scratch, ignore_errors=True)
        _write_files(self.scratch, self.files)
        self.files = {}  # the copy on disk is what jobs read
        self.lock = threading.Lock()  # one job at a time in this process, whatever its number of threads
        slots = queue.SimpleQueue()
        slots.put(claim_slot())
        init_worker(slots)  # the local pool's per-process setup: this slot, nbgrader's environment

    def teardown(self, worker=None):
        shutil.rmtree(getattr(self, "scratch", ""), ignore_errors=True)


def grade_task(task: Task) -> dict:
    """On a worker: grade one submission in this worker's scratch course folder; returns the job record (as JSON)
    and the files the coordinator writes into ``--out``."""
    from distributed import get_worker

    course = get_worker().plugins[task.plugin]
    job = task.job
    out = course.scratch / GRADING
    run = replace(task.run, root=course.scratch / COURSE, out=out, submissions=out / "submitted",
                  hidden=tuple(task.run.hidden) + (str(course.scratch.parent),))
    with course.lock, database.submission_lock(run.db_url, job.student, job.assignment):
        for step in ("submitted", "autograded", "feedback", "jobs"):
            shutil.rmtree(out / step, ignore_errors=True)
        run.jobs_dir.mkdir(parents=True)
        _write_files(out / "submitted" / job.student / job.assignment, task.files)
        try:
            record = safe_job(run, job)
        except Exception:  # safe_job records grader failures itself; this is anything else
            record = job.record(status=GRADER_ERROR, detail=traceback.format_exc()[-3000:])
        files = {}
        for step in ("autograded", "feedback"):
            files.update(_read_folder(out / step / job.student / job.assignment,
                                      f"{step}/{job.student}/{job.assignment}"))
        events = events_path(run.jobs_dir, record.id)
        if events.is_file():
            files[f"jobs/{events.name}"] = events.read_bytes()
        for step in ("submitted", "autograded", "feedback", "jobs"):
            shutil.rmtree(out / step, ignore_errors=True)
    return {"record": record.to_json(), "files": files}
