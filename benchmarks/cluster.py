"""Cluster grading: the same class graded locally (`--workers 2`, SQLite) and on a 2-worker Dask cluster with a
PostgreSQL gradebook, in one run, on this machine.

    .venv/bin/python benchmarks/cluster.py [--students 3]

Starts its own PostgreSQL server and Dask cluster on loopback (reglab_autograder.testing.services), checks that both
paths give the same scores, prints the per-notebook overhead of the cluster path, what the coordinator and the
database spend per notebook, and projects the time for 2,000 notebooks on N workers.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from statistics import mean

from reglab_autograder import coursedir, database
from reglab_autograder.cluster import grading as cluster
from reglab_autograder.commands import grade as pipeline
from reglab_autograder.gradebook import code_scores
from reglab_autograder.options import GradeOptions, db_url_for
from reglab_autograder.testing import services

from grading import build

ROOT = Path(__file__).resolve().parents[1]
PROJECTED = 2000
MAX_CONNECTIONS = 100  # PostgreSQL's default


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


class Timed:
    """Adds up the time spent in one function of a module while it is patched in."""

    def __init__(self, module, name):
        self.module, self.name, self.seconds, self.calls = module, name, 0.0, 0
        self.original = getattr(module, name)

        def timed(*a, **kw):
            t0 = time.perf_counter()
            try:
                return self.original(*a, **kw)
            finally:
                self.seconds += time.perf_counter() - t0
                self.calls += 1

        setattr(module, name, timed)


def pg_stats(url: str) -> tuple[int, int]:
    """(sessions, committed transactions) of a database so far."""
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    with psycopg.connect(host=u.host, port=u.port, user=u.username, dbname="postgres") as con:
        row = con.execute("SELECT sessions, xact_commit FROM pg_stat_database WHERE datname = %s",
                          (u.database,)).fetchone()
    return int(row[0]), int(row[1])


def peak_connections(url: str, stop: threading.Event, found: list) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    with psycopg.connect(host=u.host, port=u.port, user=u.username, dbname="postgres", autocommit=True) as con:
        while not stop.is_set():
            n = con.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (u.database,)).fetchone()[0]
            found.append(int(n))
            time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=3)
    args = ap.parse_args()
    print(f"before: {uptime()}")
    tmp = Path(tempfile.mkdtemp(prefix="reglab-bench-cluster-"))
    pg = services.start_postgres()
    dask = services.start_dask(n_workers=2)
    try:
        sessions = build(tmp / "class", args.students)
        n = args.students * len(sessions)

        def opts(out, **kw):
            return GradeOptions(submissions=tmp / "class", out=out, course_root=ROOT, progress=False, **kw)

        t0 = time.perf_counter()
        local = pipeline.grade(opts(tmp / "local", workers=2))
        t_local = time.perf_counter() - t0

        url = database.normalize_url(pg.create_database("bench"))
        store, send = Timed(cluster, "store"), Timed(cluster, "_read_folder")
        intake, setup = Timed(pipeline, "take_in"), Timed(coursedir, "prepare")
        s0, x0 = pg_stats(url)
        stop, conns = threading.Event(), []
        watcher = threading.Thread(target=peak_connections, args=(url, stop, conns), daemon=True)
        watcher.start()
        t0 = time.perf_counter()
        remote = pipeline.grade(opts(tmp / "cluster", db_url=url, scheduler=dask.address))
        t_cluster = time.perf_counter() - t0
        stop.set()
        watcher.join()
        s1, x1 = pg_stats(url)
        same = code_scores(db_url_for(tmp / "local")) == code_scores(url)

        job_local = mean(r.seconds for r in local.records)
        job_cluster = mean(r.seconds for r in remote.records)
        coord = (store.seconds + send.seconds + intake.seconds) / n
        sessions_per, xacts_per = (s1 - s0) / n, (x1 - x0) / n
        per_worker = max(conns or [0]) / 2
        print(f"after:  {uptime()}")
        print(f"\n{n} notebooks ({args.students} students x {len(sessions)} sessions), 2 grading processes each way")
        print(f"{'':44s}{'wall':>9s}{'per notebook':>14s}{'job on a worker':>17s}")
        print(f"{'local (--workers 2, SQLite)':44s}{t_local:8.1f}s{t_local / n:13.2f}s{job_local:16.2f}s")
        print(f"{'cluster (2 dask workers, PostgreSQL)':44s}{t_cluster:8.1f}s{t_cluster / n:13.2f}s"
              f"{job_cluster:16.2f}s")
        print(f"cluster overhead per notebook (wall): {(t_cluster - t_local) / n:+.2f} s "
              f"({(t_cluster / t_local - 1) * 100:+.0f} %); per job on a worker: {job_cluster - job_local:+.2f} s")
        print(f"coordinator's serial work per notebook: {coord * 1000:.1f} ms (taking the submission in: "
              f"{intake.seconds / n * 1000:.1f} ms, sending it: {send.seconds / n * 1000:.1f} ms, writing the results: "
              f"{store.seconds / n * 1000:.1f} ms)")
        print(f"setting up the grading course ({len(sessions)} assignments, generate_assignment into PostgreSQL): "
              f"{setup.seconds:.1f} s")
        print(f"PostgreSQL per notebook: {sessions_per:.1f} sessions (connections), {xacts_per:.0f} transactions; "
              f"peak {max(conns or [0])} connections for 2 workers")
        print(f"identical scores locally and on the cluster: {same}")
        # projection: the jobs spread over N workers; the coordinator's work and the connections do not
        print(f"\nprojected for {PROJECTED} notebooks (per-notebook job time measured here, {job_cluster:.2f} s):")
        print(f"{'workers':>8s}{'grading':>12s}{'coordinator':>14s}{'connections':>14s}")
        for w in (2, 8, 32, 64, 128):
            print(f"{w:8d}{PROJECTED * job_cluster / w / 60:10.1f} min{PROJECTED * coord / 60:11.1f} min"
                  f"{per_worker * w:14.0f}")
        n_db = int(MAX_CONNECTIONS // max(per_worker, 1e-9))
        n_coord = int(job_cluster / coord) if coord else 0
        print(f"first limit: PostgreSQL's default max_connections ({MAX_CONNECTIONS}) at about {n_db} workers "
              f"({per_worker:.1f} connections per grading worker); the coordinator's serial writes would match "
              f"the workers' throughput only at about {n_coord} workers")
        if not same:
            raise SystemExit("the scores differ")
    finally:
        dask.stop()
        pg.remove()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
