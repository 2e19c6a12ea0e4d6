"""``reglab grade --scheduler ... --db-url postgresql://...``: a real PostgreSQL server and a real Dask cluster (a
``dask scheduler`` and two ``dask worker`` processes on loopback), both started here, once for the module.

A small class (solutions, blanks, partial answers, an edited test cell, a kernel probing the cluster) graded on
the cluster gets exactly the scores of the local path and, for its honest part, of serial ``nbgrader autograde``;
a worker killed mid-batch, the coordinator killed with ``kill -9`` and PostgreSQL going down mid-batch all end,
after reruns, in the uninterrupted run's gradebook; an unreachable scheduler is a clear error within seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from reglab_autograder import database, jobs
from reglab_autograder.cluster.grading import CONNECT_SECONDS, ClusterUnavailable
from reglab_autograder.commands.grade import grade
from reglab_autograder.gradebook import code_scores, submissions
from reglab_autograder.options import GradeOptions, db_url_for
from reglab_autograder.sandbox import probe
from reglab_autograder.testing import classroom, services
from reglab_autograder.testing.classroom import answered, cell_by_id, write

pytestmark = pytest.mark.xdist_group("cluster")  # one PostgreSQL and one cluster for the module (make test: loadgroup)

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
A0, A1 = "00_overfitting", "01_l2_weight_decay"
HONEST = ("alice", "bob", "carol")


@pytest.fixture(scope="module")
def pg():
    server = services.start_postgres()
    yield server
    server.remove()


@pytest.fixture(scope="module")
def dask_cluster():
    cluster = services.start_dask(n_workers=2)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def client(dask_cluster):
    with dask_cluster.client() as c:
        yield c


def _probe_code(pg, dask_cluster) -> str:
    """A kernel that tries to reach the scheduler, PostgreSQL (port and socket) and the workers' and server's files."""
    targets = {"scheduler": f"socket.create_connection(('127.0.0.1', {dask_cluster.address.rsplit(':', 1)[1]}), "
                            "timeout=3)",
               "postgres": f"socket.create_connection(('127.0.0.1', {pg.port}), timeout=3)",
               "postgres-socket": f"_unix({str(pg.socket_dir / f'.s.PGSQL.{pg.port}')!r})",
               "worker-files": f"os.listdir({str(dask_cluster.folder)!r})",
               "database-files": f"os.listdir({str(pg.data)!r})"}
    lines = ["import os, socket", "def _unix(p):", "    s = socket.socket(socket.AF_UNIX)", "    s.settimeout(3)",
             "    s.connect(p)"]
    for name, expr in targets.items():
        lines += ["try:", f"    {expr}", f"    print('REACH {name} OPEN')", "except Exception as e:",
                  f"    print('REACH {name}', type(e).__name__)"]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def klass(tmp_path_factory, pg, dask_cluster):
    """The class: 3 honest students x 2 sessions, a student whose edited test cell nbgrader must restore from the
    PostgreSQL gradebook, one whose kernel probes the cluster."""
    base = tmp_path_factory.mktemp("class")
    classroom.honest_class(base / "submitted")
    nb = answered(A0)
    cell_by_id(nb, "a_q1").source = cell_by_id(classroom.released(A0), "a_q1").source  # q1's answer left blank...
    cell_by_id(nb, "q1").source = "pass"  # ...and its test edited to pass
    write(base / "submitted", "edittest", A0, nb)
    nb = answered(A0)
    cell_by_id(nb, "a_q1").source = _probe_code(pg, dask_cluster)
    write(base / "submitted", "probe", A0, nb)
    return base


def _opts(base, out, **kw):
    return GradeOptions(submissions=base, out=out, course_root=ROOT, progress=False, timeout=60, notebook_timeout=300,
                        **kw)


@pytest.fixture(scope="module")
def cluster_run(klass, pg, dask_cluster, client, tmp_path_factory):
    out = tmp_path_factory.mktemp("cluster_out")
    url = pg.create_database("reference")
    t0 = time.monotonic()
    res = grade(_opts(klass, out, db_url=url, scheduler=dask_cluster.address))
    print(f"\ncluster: 8 notebooks in {time.monotonic() - t0:.1f} s")
    return out, res, database.normalize_url(url)


def test_cluster_grades_like_the_local_path(klass, cluster_run, tmp_path):
    """The cluster's gradebook equals the local path's on the same class; the local path equals serial nbgrader on
    these very honest students (classroom.honest_class, both sessions: test_grading_pipeline.py), so the
    cluster does too, without a third grading here."""
    out, res, url = cluster_run
    assert res.exit_code == 0
    assert len(res.records) == 8 and all(r.graded for r in res.records)
    assert {r.execution["sandbox"] for r in res.records} == {probe.probe().mode}  # sandboxed on the workers
    cluster = code_scores(url)
    local_out = tmp_path / "local"
    assert grade(_opts(klass, local_out, workers=2)).exit_code == 0
    assert cluster == code_scores(db_url_for(local_out))
    assert {s for s, *_ in cluster} == {*HONEST, "edittest", "probe"}
    assert len([k for k in cluster if k[0] in HONEST and k[1] == A0]) == 3 * len(classroom.graded_cells(A0, "auto"))
    rec = {(r.student, r.assignment): r for r in res.records}
    assert rec[("alice", A0)].auto_score == classroom.points(A0) and rec[("bob", A1)].auto_score == 0
    assert cluster[("edittest", A0, A0, "q1")] == 0  # the edited test was restored from the PostgreSQL gradebook
    # what the workers returned is in --out: autograded notebooks, feedback, events, records
    for (s, a) in rec:
        assert (out / "autograded" / s / a / f"{a}.ipynb").is_file()
        assert (out / "feedback" / s / a / f"{a}.html").is_file()
        assert (out / "jobs" / f"{s}__{a}.events.json").is_file()
    with open(out / "grades.csv") as fh:
        assert len(fh.read().strip().splitlines()) == 1 + 5 * 2  # nbgrader's export: every student x assignment


def test_kernels_on_workers_reach_neither_the_cluster_nor_the_database_nor_other_files(cluster_run):
    out, _, _ = cluster_run
    nb = nbformat.read(out / "autograded" / "probe" / A0 / f"{A0}.ipynb", as_version=4)
    text = "".join(o.get("text", "") for o in cell_by_id(nb, "a_q1").outputs)
    reach = [line.split() for line in text.splitlines() if line.startswith("REACH")]
    assert [r[1] for r in reach] == ["scheduler", "postgres", "postgres-socket", "worker-files", "database-files"]
    assert not [r for r in reach if r[2] == "OPEN"], text
    # the database's socket folder is among the folders hidden from kernels wherever it lies
    assert str(Path("/run/postgresql")) in database.socket_dirs("postgresql://u@/db")
    assert database.socket_dirs(f"postgresql://u@/db?host={out}") == [str(out)]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Session 0 of the honest students and dave, who answered only its first question."""
    base = tmp_path_factory.mktemp("small")
    classroom.honest_class(base / "submitted", assignments=(A0,))
    write(base / "submitted", "dave", A0, answered(A0, {"a_q1"}))
    return base


def _same_as_reference(url, ref_url):
    """Session 0's scores of a gradebook of the small class are those of the uninterrupted run."""
    ours = code_scores(url)
    ref = {k: v for k, v in code_scores(ref_url).items() if k[0] in HONEST and k[1] == A0}
    assert {k: v for k, v in ours.items() if k[0] in HONEST} == ref
    assert ours[("dave", A0, A0, "q1")] == ref[("alice", A0, A0, "q1")]
    assert submissions(url) == sorted((s, A0) for s in (*HONEST, "dave"))  # none lost, none counted twice


def test_a_worker_killed_mid_batch_leaves_the_uninterrupted_gradebook(small, cluster_run, pg, dask_cluster, client,
                                                                     tmp_path):
    _, _, ref_url = cluster_run
    out = tmp_path / "out"
    url = pg.create_database("killed")
    result = {}
    run = threading.Thread(target=lambda: result.update(res=grade(_opts(small, out, db_url=url,
                                                                        scheduler=dask_cluster.address))))
    run.start()
    victim, deadline = None, time.monotonic() + 300
    while victim is None and time.monotonic() < deadline:
        busy = [addr for addr, keys in client.processing().items() if any("grade_task" in str(k) for k in keys)]
        done = list((out / "jobs").glob("*__*.json")) if (out / "jobs").is_dir() else []
        if busy and len([p for p in done if not p.name.endswith(".events.json")]) >= 1:
            victim = busy[0]
        else:
            time.sleep(0.2)
    assert victim, "no worker was grading"
    pids = client.run(os.getpid)
    os.kill(pids[victim], signal.SIGKILL)  # the worker process, mid-task (its nanny restarts it)
    finished = len([p for p in (out / "jobs").glob("*__*.json") if not p.name.endswith(".events.json")])
    run.join(600)
    assert finished < 4, "the kill must land mid-batch"
    res = result["res"]
    assert res.exit_code == 0 and all(r.graded for r in res.records) and len(res.records) == 4
    _same_as_reference(database.normalize_url(url), ref_url)
    client.wait_for_workers(2, timeout=60)  # the nanny's new worker joined


def test_unreachable_scheduler_is_a_clear_error_within_seconds(klass, pg, tmp_path):
    address = f"tcp://127.0.0.1:{services.free_port()}"
    t0 = time.monotonic()
    with pytest.raises(ClusterUnavailable, match=f"cannot reach the Dask scheduler at {address} within"):
        grade(_opts(klass, tmp_path / "o", db_url=pg.url(), scheduler=address))
    assert time.monotonic() - t0 < CONNECT_SECONDS + 5
    assert not (tmp_path / "o").exists()  # nothing done before the check
    with pytest.raises(ValueError, match="--scheduler needs --db-url postgresql"):
        grade(_opts(klass, tmp_path / "o", scheduler="tcp://127.0.0.1:1"))
    with pytest.raises(database.DatabaseUnavailable, match="cannot reach the gradebook's database"):
        grade(_opts(klass, tmp_path / "o", scheduler="tcp://127.0.0.1:1",
                    db_url=f"postgresql://x@127.0.0.1:{services.free_port()}/none"))
    assert issubclass(ClusterUnavailable, ValueError)  # `reglab grade` exits with 2 and the message


def _records(out):
    return {p.name: p.stat().st_mtime_ns for p in (out / "jobs").glob("*__*.json")
            if not p.name.endswith(".events.json")} if (out / "jobs").is_dir() else {}


def _wait_records(out, n, proc=None, timeout=300):
    deadline = time.monotonic() + timeout
    while len(_records(out)) < n and time.monotonic() < deadline and (proc is None or proc.poll() is None):
        time.sleep(0.1)
    return _records(out)


def test_coordinator_killed_then_database_down_then_reruns_complete(small, tmp_path, pg, dask_cluster, cluster_run):
    _, _, ref_url = cluster_run
    base = small
    url = database.normalize_url(pg.create_database("interrupted"))
    out = tmp_path / "out"
    cmd = [str(BIN / "reglab"), "grade", str(base), "--out", str(out), "--db-url", url, "--scheduler",
           dask_cluster.address, "--course-dir", str(ROOT), "--quiet"]
    # 1. the coordinator killed with kill -9 after its first result
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = _wait_records(out, 1, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 1 <= len(first) < 4, "the kill must land mid-batch"
    first = _records(out)
    # 2. a rerun grades only what is missing; PostgreSQL goes down after its first result
    result = {}

    def rerun():
        try:
            result["res"] = grade(_opts(base, out, db_url=url, scheduler=dask_cluster.address))
        except Exception as exc:  # noqa: BLE001 - the outcome is asserted below
            result["exc"] = exc

    t = threading.Thread(target=rerun)
    t.start()
    _wait_records(out, len(first) + 1)
    pg.stop()
    t.join(600)
    pg.start()
    second = _records(out)
    assert all(second[name] == stamp for name, stamp in first.items())  # not graded again
    failed = [r for r in jobs.read_all(out / "jobs") if not r.graded]
    graded = [r for r in jobs.read_all(out / "jobs") if r.graded]
    assert failed and all(r.detail for r in failed), "the outage hit no job"  # rows saying why
    assert len(graded) + len(failed) == 4
    assert isinstance(result.get("exc"), database.DatabaseUnavailable), result  # the report needs the database
    # 3. the last rerun completes, regrading only what the outage hit
    assert grade(_opts(base, out, db_url=url, scheduler=dask_cluster.address)).exit_code == 0
    final = _records(out)
    assert all(final[n] == second[n] for n in second if n not in {f"{x.student}__{x.assignment}.json" for x in failed})
    recs = jobs.read_all(out / "jobs")
    assert len(recs) == 4 and all(x.graded for x in recs)
    _same_as_reference(url, ref_url)
