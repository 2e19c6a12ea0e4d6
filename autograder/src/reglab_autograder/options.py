"""What the instructor asks for (:class:`GradeOptions`) and what one grading run resolves it to (:class:`Run`).

The options are frozen: the pipeline never writes into them; everything derived (absolute paths, the
course root, the block of sandbox uids) lives in the :class:`Run` built from them.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from .sandbox import layout


@dataclass(frozen=True)
class GradeOptions:
    """The options of ``reglab grade``, each default defined here only: the CLI reads its defaults and its help
    text's from :func:`default`."""

    submissions: Path
    out: Path = Path("grading")
    workers: int = max(1, os.cpu_count() or 1)
    timeout: int = 60  # seconds per cell
    notebook_timeout: int = 600  # seconds per notebook
    student: str | None = None
    db_url: str | None = None
    limits: dict = field(default_factory=lambda: dict(layout.DEFAULT_LIMITS))
    isolate: bool = True
    course_root: Path | None = None
    progress: bool = True
    scheduler: str | None = None  # a Dask scheduler's address: grade on that cluster (needs a server db_url)
    dates: Path | None = None  # the dates file (due dates, extensions); default SUBMISSIONS/dates.toml if present
    roster: Path | None = None  # roster CSV: student_id,first_name,last_name,email
    lms_timezone: str | None = None  # IANA zone of times without zone in LMS file names (default UTC)
    dry_run: bool = False  # print what would happen (reglab check), write nothing
    regrade: bool = False  # grade again what was graded against other tests or another grader (nbgrader's --force)


def default(name: str):
    """The default of the option ``name`` of :class:`GradeOptions` (the limits: :data:`.sandbox.layout.DEFAULT_LIMITS`,
    a copy)."""
    (f,) = [f for f in dataclasses.fields(GradeOptions) if f.name == name]
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    if f.default is dataclasses.MISSING:
        raise ValueError(f"the option {name} has no default")
    return f.default


@dataclass(frozen=True)
class Run:
    """One grading run: the options with every path resolved, as the worker processes receive it."""

    options: GradeOptions
    root: Path  # the course repository (solutions/, autograder/nbgrader_config.py)
    out: Path
    submissions: Path
    uid_block: int = 0  # concurrent runs never share sandbox uids
    hidden: tuple[str, ...] = ()  # folders kernels never see, besides the grader's package (database sockets, ...)
    dates: object = None  # the dates file in use (a .dates.Dates, read once: cluster workers share no files)
    course: tuple[tuple[str, str], ...] = ()  # (assignment, coursedir.course_digest) of the assignments graded

    @classmethod
    def start(cls, opts: GradeOptions, root: Path) -> Run:
        from . import database, dates

        if opts.db_url:  # resolved once, here: workers run in other folders
            opts = dataclasses.replace(opts, db_url=database.absolute_sqlite(opts.db_url))
        return cls(options=opts, root=root.resolve(), out=Path(opts.out).resolve(),
                   submissions=Path(opts.submissions).resolve(), uid_block=os.getpid() % layout.UID_BLOCKS,
                   hidden=tuple(database.socket_dirs(db_url_for(opts.out, opts.db_url))),
                   dates=dates.read(opts.submissions, opts.dates))

    @property
    def db_url(self) -> str:
        return db_url_for(self.out, self.options.db_url)

    def course_digest(self, assignment: str) -> str:
        """The digest of ``solutions/<assignment>/`` this run grades against (``""`` for an assignment not graded)."""
        return dict(self.course).get(assignment, "")

    @property
    def jobs_dir(self) -> Path:
        return self.out / "jobs"


SQLITE_URL = "sqlite:///{}?timeout=120"  # the gradebook in a grading output, by its absolute path


def db_url_for(out: Path, db_url: str | None = None) -> str:
    """The gradebook of a grading output: ``db_url`` if given (PostgreSQL through psycopg 3), else SQLite in ``out``."""
    if db_url:
        from . import database  # here: the CLI reads this module's defaults without loading SQLAlchemy

        return database.normalize_url(db_url)
    return SQLITE_URL.format((Path(out) / "gradebook.db").resolve())
