"""The gradebook's database server (PostgreSQL) as several graders share it: its URL, reachability, socket
folders, and a per-submission lock.

nbgrader opens the gradebook through SQLAlchemy. A ``postgresql://`` URL means the psycopg2 driver to
SQLAlchemy; the grader ships psycopg 3, so such URLs are read as ``postgresql+psycopg://`` (SQLAlchemy 2's
dialect for psycopg 3), with a connection timeout, so that a server that does not answer fails a job instead
of hanging it.
"""

from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager, nullcontext

from sqlalchemy.engine import make_url

CONNECT_TIMEOUT = 10  # seconds, libpq's connect_timeout
DEFAULT_SOCKET_DIRS = ("/var/run/postgresql", "/run/postgresql", "/tmp")  # libpq's defaults (Debian, upstream)


class DatabaseUnavailable(ValueError):
    """The gradebook's database cannot be reached (the message says which and why)."""


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def normalize_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` as psycopg 3 URLs with a connect timeout; other URLs unchanged."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    u = make_url(url)
    if u.get_backend_name() != "postgresql":
        return url
    if u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")
    if "connect_timeout" not in u.query:
        u = u.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT)})
    return u.render_as_string(hide_password=False)


def absolute_sqlite(url: str) -> str:
    """``url`` with a relative SQLite path made absolute against the current folder (``sqlite:///rel.db`` is read
    from wherever a process happens to run: one gradebook would become several); other URLs unchanged."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:" or \
            u.database.startswith("file:") or os.path.isabs(u.database):
        return url
    return u.set(database=os.path.abspath(u.database)).render_as_string(hide_password=False)


def redacted(url: str) -> str:
    """The URL with its password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def socket_dirs(url: str) -> list[str]:
    """Folders holding the Unix socket a PostgreSQL URL may connect through (``host=/folder``, ``PGHOST``, libpq's
    defaults): kernels must never see them."""
    if not is_postgres(url):
        return []
    u = make_url(url)
    hosts = u.query.get("host", ())
    hosts = [hosts] if isinstance(hosts, str) else list(hosts)
    hosts += [u.host or "", os.environ.get("PGHOST", "")]
    found = [h for host in hosts for h in host.split(",") if h.startswith("/")]
    if not u.host and "host" not in u.query:
        found += DEFAULT_SOCKET_DIRS
    return sorted(set(found))


def _engine(url: str):
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(url, poolclass=NullPool)


def check(url: str) -> None:
    """Connect once to a server gradebook; :class:`DatabaseUnavailable` with the reason if it cannot."""
    if not is_postgres(url):
        return
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        engine = _engine(url)
        with engine.connect() as con:
            con.execute(text("SELECT 1"))
        engine.dispose()
    except (SQLAlchemyError, ImportError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise DatabaseUnavailable(f"cannot reach the gradebook's database {redacted(url)}: "
                                  f"{reason[0] if reason else type(exc).__name__}") from exc


def lock_key(student: str, assignment: str) -> int:
    """A signed 64-bit key of one (student, assignment), for PostgreSQL's advisory locks."""
    digest = hashlib.sha256(f"reglab-submission\0{student}\0{assignment}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def _advisory_lock(url: str, key: int):
    from sqlalchemy import text

    engine = _engine(url)
    con = engine.connect()
    try:
        con.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        con.commit()
        yield
    finally:
        try:
            con.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            con.commit()
        except Exception:  # noqa: BLE001 - the server is gone: so is the lock (it ends with the session)
            pass
        con.close()
        engine.dispose()


def submission_lock(url: str, student: str, assignment: str):
    """One grader at a time per submission, across machines: a PostgreSQL advisory lock held for the job (released
    by the server if the grader dies). A job still running for a killed coordinator and its rerun never write the
    same submission's rows at once. Nothing on other databases (one process pool writes them)."""
    return _advisory_lock(url, lock_key(student, assignment)) if is_postgres(url) else nullcontext()
