"""A throwaway PostgreSQL server and Dask cluster on loopback, for the tests and the benchmark of cluster grading.

PostgreSQL is Debian's (``initdb``/``pg_ctl`` on PATH or under ``/usr/lib/postgresql/<version>/bin``), initialised
into a temporary folder, listening on a free loopback port (its socket in that folder), trusting local connections,
and stopped by :meth:`Postgres.stop`. ``initdb`` refuses to run as root: as root the server runs as the
``postgres`` system user the Debian package creates. The Dask cluster is a real ``dask scheduler`` and ``dask
worker`` processes (one thread each) of this environment.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PG_USER = "reglab"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin(name: str) -> str:
    """A PostgreSQL server program: on PATH, else the newest of Debian's ``/usr/lib/postgresql/*/bin``."""
    found = shutil.which(name)
    if found:
        return found
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True):
        if os.access(os.path.join(d, name), os.X_OK):
            return os.path.join(d, name)
    raise FileNotFoundError(f"PostgreSQL's {name} not found: install the server (Debian: apt-get install postgresql; "
                            "`make sysdeps` does)")


@dataclass
class Postgres:
    folder: Path
    port: int
    owner: str | None  # the system user the server runs as (None: this process's user)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def socket_dir(self) -> Path:
        return self.folder / "socket"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def _run(self, argv, **kw):
        pre = []
        if self.owner is not None:
            pre = ["setpriv", f"--reuid={self.owner}", f"--regid={self.owner}", "--init-groups", "--"]
        return subprocess.run(pre + argv, capture_output=True, text=True, cwd=self.folder, **kw)

    def start(self) -> None:
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.socket_dir} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        r = self._run([postgres_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"), "-w",
                       "-t", "60", "-o", opts, "start"], timeout=90)
        if r.returncode:
            log = (self.folder / "server.log").read_text()[-2000:] if (self.folder / "server.log").exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {r.stdout}{r.stderr}{log}")

    def stop(self, mode: str = "fast") -> None:
        self._run([postgres_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"], timeout=60)

    def create_database(self, name: str) -> str:
        """A new, empty database; returns its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres() -> Postgres:
    """A new PostgreSQL server in a temporary folder (readable by nobody else), started."""
    folder = Path(tempfile.mkdtemp(prefix="reglab-pg-"))
    owner = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError as exc:
            raise RuntimeError("initdb refuses to run as root and there is no `postgres` system user to run it "
                               "as: install Debian's postgresql package (`make sysdeps`)") from exc
        owner = "postgres"
        shutil.chown(folder, "postgres", "postgres")
    pg = Postgres(folder=folder, port=free_port(), owner=owner)
    pg._run(["mkdir", "-m", "0700", str(pg.socket_dir)], check=True)
    r = pg._run([postgres_bin("initdb"), "-D", str(pg.data), "-U", PG_USER, "--auth=trust", "-E", "UTF8",
                 "--no-sync", "--locale=C.UTF-8"], timeout=120)
    if r.returncode:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {r.stdout}{r.stderr}")
    pg.start()
    return pg


@dataclass
class DaskCluster:
    address: str
    folder: Path
    scheduler: subprocess.Popen
    workers: list = field(default_factory=list)

    def client(self):
        from distributed import Client

        return Client(self.address, timeout=30, set_as_default=False)

    def stop(self) -> None:
        for p in [*self.workers, self.scheduler]:  # each started in a session of its own: its group is ours
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in [*self.workers, self.scheduler]:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_dask(n_workers: int = 2, env: dict | None = None) -> DaskCluster:
    """``dask scheduler`` and ``n_workers`` ``dask worker`` processes (one thread each) on loopback, running."""
    dask = str(Path(sys.executable).with_name("dask"))
    folder = Path(tempfile.mkdtemp(prefix="reglab-dask-"))
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, **(env or {}))

    def spawn(name, argv):
        log = open(folder / f"{name}.log", "wb")  # noqa: SIM115 - the process owns it
        return subprocess.Popen([dask, *argv], stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)

    sched = spawn("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"])
    cluster = DaskCluster(address=address, folder=folder, scheduler=sched)
    for i in range(n_workers):
        (folder / f"w{i}").mkdir()
        cluster.workers.append(spawn(f"w{i}", ["worker", address, "--name", f"w{i}", "--nthreads", "1",
                                               "--host", "127.0.0.1", "--no-dashboard",
                                               "--local-directory", str(folder / f"w{i}")]))
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with cluster.client() as c:
                    c.wait_for_workers(n_workers, timeout=max(1, deadline - time.monotonic()))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    except BaseException:
        logs = "\n".join((folder / f).read_text(errors="replace")[-1000:] for f in os.listdir(folder)
                         if f.endswith(".log"))
        cluster.stop()
        raise RuntimeError(f"the Dask cluster did not start:\n{logs}") from None
    return cluster
