"""The instructors' ``reglab`` subcommands: grade, check, formgrader, feedback, handback.

The students' ``reglab`` command (:mod:`reglab.cli`) adds these when this package is installed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .options import GradeOptions, default

COMMANDS = ("grade", "check", "formgrader", "feedback", "handback")


def _fail(command: str, exc: Exception) -> int:
    print(f"reglab {command}: {exc}", file=sys.stderr)
    return 2


def grade_options(args) -> GradeOptions:
    """What ``reglab grade ARGS`` asks for."""
    limits = dict(default("limits"), memory_mb=args.memory_mb, cpu_seconds=args.cpu_seconds)
    return GradeOptions(
        submissions=args.submissions, out=args.out, workers=args.workers, timeout=args.timeout,
        notebook_timeout=args.notebook_timeout, student=args.student, db_url=args.db_url,
        limits=limits, isolate=not args.no_sandbox, course_root=args.course_dir, progress=not args.quiet,
        scheduler=args.scheduler, dates=args.dates, roster=args.roster, lms_timezone=args.lms_timezone,
        dry_run=args.dry_run, regrade=args.regrade,
    )


def check_options(args) -> GradeOptions:
    """What ``reglab check ARGS`` asks for: ``reglab grade --dry-run`` of the same input, the rest as by default."""
    return GradeOptions(submissions=args.submissions, workers=1, isolate=False, course_root=args.course_dir,
                        progress=False, dates=args.dates, roster=args.roster, lms_timezone=args.lms_timezone,
                        dry_run=True)


def _grade(command: str, opts: GradeOptions) -> int:
    from .commands.grade import grade

    try:
        return grade(opts).exit_code
    except (FileNotFoundError, ValueError) as exc:
        return _fail(command, exc)


def _cmd_grade(args) -> int:
    return _grade("grade", grade_options(args))


def _cmd_check(args) -> int:
    return _grade("check", check_options(args))


DATES_HELP = ("due dates and per-student extensions (TOML; default SUBMISSIONS/dates.toml if there is one): "
              "[due] ASSIGNMENT = \"2026-10-05 23:59 Europe/Paris\"; [extensions.STUDENT] ASSIGNMENT = "
              "\"NEW DUE DATE\" or EXTRA DAYS. Times: YYYY-MM-DD HH:MM[:SS] then an offset (+02:00, Z) or an "
              "IANA zone name; anything else is refused")
ROSTER_HELP = ("roster CSV, columns student_id,first_name,last_name,email (header allowed): names and e-mails in "
               "grades.csv, a 'missing' row (and 0) for each student without a submission")
LMS_TZ_HELP = "IANA zone of submission times without zone in LMS file names (default UTC)"


def _add_input_options(p) -> None:
    """The options ``reglab grade`` and ``reglab check`` share: what is graded, against which dates."""
    p.add_argument("--dates", type=Path, default=None, metavar="DATES.toml", help=DATES_HELP)
    p.add_argument("--roster", type=Path, default=None, metavar="ROSTER.csv", help=ROSTER_HELP)
    p.add_argument("--lms-timezone", default=None, metavar="ZONE", help=LMS_TZ_HELP)
    p.add_argument("--course-dir", type=Path, default=None, help="repository root (default: found from cwd)")


def _cmd_formgrader(args) -> int:
    from .commands.formgrader import launch

    try:
        return launch(args.out, port=args.port, open_browser=not args.no_browser, ip=args.ip)
    except (FileNotFoundError, ValueError) as exc:
        return _fail("formgrader", exc)


def _cmd_feedback(args) -> int:
    from .commands.feedback import refresh

    try:
        return refresh(args.out).exit_code
    except (FileNotFoundError, ValueError) as exc:
        return _fail("feedback", exc)


def _cmd_handback(args) -> int:
    from .commands.handback import hand_back

    try:
        folders = hand_back(args.out, zip_files=args.zip)
    except (FileNotFoundError, ValueError) as exc:
        return _fail("handback", exc)
    print(f"{len(folders)} student folder(s) in {Path(args.out).resolve() / 'handback'}")
    return 0


def add_commands(sub) -> None:
    """Add the instructors' subcommands to the ``reglab`` parser's subparsers."""
    _add_grade(sub)
    p = sub.add_parser("check", help="what `reglab grade` would do, writing nothing: submissions per assignment, "
                                     "due dates (UTC and local), extensions, late policy, roster students without "
                                     "a submission; refuses an empty class")
    p.add_argument("submissions", type=Path, help="as for `reglab grade`")
    _add_input_options(p)
    p.set_defaults(func=_cmd_check)
    _add_output_commands(sub)


def _add_grade(sub) -> None:
    """``reglab grade``: its defaults and the defaults its help text names are :class:`.options.GradeOptions`'."""
    p = sub.add_parser("grade", help="autograde a class's submissions with nbgrader (parallel, sandboxed)")
    p.add_argument("submissions", type=Path,
                   help="nbgrader's submitted/<student>/<assignment>/ folder (or a course folder holding it), "
                        "or a folder of LMS zip downloads")
    p.add_argument("--workers", type=int, default=default("workers"),
                   help="parallel grading processes (default: cores)")
    p.add_argument("--timeout", type=int, default=default("timeout"), help="seconds per cell (default %(default)s)")
    p.add_argument("--notebook-timeout", type=int, default=default("notebook_timeout"),
                   help="seconds per notebook (default %(default)s)")
    p.add_argument("--out", type=Path, default=default("out"),
                   help="output folder (default ./%(default)s); it can be moved or copied later: its gradebook is the "
                        "one inside it unless --db-url is given")
    p.add_argument("--student", default=None, help="regrade only this student")
    p.add_argument("--regrade", action="store_true",
                   help="grade again the submissions graded against other tests (solutions/ changed) or another "
                        "grader version (stale: reported, exit 3, without this flag); scores and comments typed in "
                        "formgrader are kept; with --student, that student only")
    p.add_argument("--db-url", default=None, help="SQLAlchemy URL of the gradebook (default: SQLite in --out); "
                                                  "postgresql://USER@HOST/DB uses psycopg 3")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="grade on a Dask cluster: its scheduler (tcp://HOST:PORT, or gateway://CLUSTER for Dask "
                        "Gateway); needs --db-url postgresql://..., ignores --workers")
    p.add_argument("--memory-mb", type=int, default=default("limits")["memory_mb"],
                   help="memory limit of all of a kernel's processes together (default %(default)s): as root a "
                        "cgroup; as an ordinary user a watchdog that kills the kernel over it (checked every 0.1 s); "
                        "also the address-space limit (RLIMIT_AS) of each process")
    p.add_argument("--cpu-seconds", type=int, default=default("limits")["cpu_seconds"],
                   help="CPU-time limit per kernel (default %(default)s)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="grade WITHOUT isolation when no sandbox can be set up (bubblewrap missing, user namespaces "
                        "disabled): student code then runs as you, with your files and network; only per-process "
                        "limits apply, and every report row says so")
    _add_input_options(p)
    p.add_argument("--dry-run", action="store_true", help="what `reglab check` does: print what would happen, "
                                                         "write nothing")
    p.add_argument("--quiet", action="store_true", help="no progress bar (stale grades are still reported)")
    p.set_defaults(func=_cmd_grade)


def _add_output_commands(sub) -> None:
    """The commands that read a grading output: ``reglab formgrader``, ``feedback``, ``handback``."""
    out_help = "the output folder of `reglab grade` (default ./%(default)s)"
    p = sub.add_parser("formgrader", help="open a grading output in nbgrader's formgrader (JupyterLab) "
                                          "to score written answers and comment")
    p.add_argument("out", type=Path, nargs="?", default=default("out"), help=out_help)
    p.add_argument("--port", type=int, default=None, help="JupyterLab's port (default: JupyterLab's own choice)")
    p.add_argument("--ip", default=None, help="address JupyterLab listens on (default: JupyterLab's, localhost)")
    p.add_argument("--no-browser", action="store_true", help="print the URL instead of opening a browser")
    p.set_defaults(func=_cmd_formgrader)

    p = sub.add_parser("feedback", help="after formgrader: regenerate every student's feedback with the manual "
                                        "scores and comments, refresh grades.csv, the LMS exports and the report "
                                        "(no notebook runs); says how many manual scores and comments it picked up "
                                        "and which written answers are still ungraded")
    p.add_argument("out", type=Path, nargs="?", default=default("out"), help=out_help)
    p.set_defaults(func=_cmd_feedback)

    p = sub.add_parser("handback", help="one folder per student holding only that student's feedback "
                                        "(nbgrader's feedback/<student>/<assignment>/ layout)")
    p.add_argument("out", type=Path, nargs="?", default=default("out"), help=out_help)
    p.add_argument("--zip", action="store_true", help="also write <student>.zip next to each folder")
    p.set_defaults(func=_cmd_handback)
