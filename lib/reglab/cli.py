"""The ``reglab`` command."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import SESSIONS, __version__, course


def _cmd_sessions(args):
    print(f"{'session':<22}module")
    for sid, mod in SESSIONS.items():
        print(f"{sid:<22}{mod}")
    return 0


def _cmd_release(args):
    from . import release

    root = release.find_course_root(args.course_dir)
    if args.check:
        problems = release.diff_release(root, args.sessions or None)
        for p in problems:
            print(p)
        if problems:
            print("notebooks/ is out of date: run `reglab release`.")
            return 1
        print("notebooks/ matches what `reglab release` produces.")
        return 0
    done = release.release(root, args.sessions or None)
    for sid in done:
        print(f"released {sid}: solutions/{sid}/ -> notebooks/{sid}/")
    return 0


def _cmd_progress(args):
    from . import checks

    if args.session:
        print(repr(checks.gate_report(args.session, checks.load_progress().get(course.get_session(args.session).id, {}))))
    else:
        print(checks.progress_table())
    return 0


def _cmd_grade(args):
    from .grading import pipeline, sandbox

    limits = dict(sandbox.DEFAULT_LIMITS, memory_mb=args.memory_mb, cpu_seconds=args.cpu_seconds)
    opts = pipeline.Options(
        submissions=args.submissions, out=args.out, workers=args.workers, timeout=args.timeout,
        notebook_timeout=args.notebook_timeout, student=args.student, db_url=args.db_url,
        limits=limits, isolate=not args.no_sandbox, course_root=args.course_dir, progress=not args.quiet,
    )
    try:
        result = pipeline.grade(opts)
    except (FileNotFoundError, ValueError) as exc:
        print(f"reglab grade: {exc}", file=sys.stderr)
        return 2
    return result["exit_code"]


def build_parser():
    parser = argparse.ArgumentParser(prog="reglab", description="Regularization for deep learning: course tools.")
    parser.add_argument("--version", action="version", version=f"reglab {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("sessions", help="list the sessions and the module holding each one's mathematics")
    p.set_defaults(func=_cmd_sessions)

    p = sub.add_parser("release", help="regenerate the student notebooks from solutions/ with nbgrader")
    p.add_argument("sessions", nargs="*", help="session ids (default: every session with a source)")
    p.add_argument("--check", action="store_true", help="only report differences from the committed notebooks/")
    p.add_argument("--course-dir", type=Path, default=None, help="repository root (default: found from cwd)")
    p.set_defaults(func=_cmd_release)

    p = sub.add_parser("grade", help="autograde a class's submissions with nbgrader (parallel, sandboxed)")
    p.add_argument("submissions", type=Path,
                   help="nbgrader's submitted/<student>/<assignment>/ folder (or a course folder holding it), "
                        "or a folder of LMS zip downloads")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel grading processes (default: cores)")
    p.add_argument("--timeout", type=int, default=60, help="seconds per cell (default 60)")
    p.add_argument("--notebook-timeout", type=int, default=600, help="seconds per notebook (default 600)")
    p.add_argument("--out", type=Path, default=Path("grading"), help="output folder (default ./grading)")
    p.add_argument("--student", default=None, help="regrade only this student")
    p.add_argument("--db-url", default=None, help="SQLAlchemy URL of the gradebook (default: SQLite in --out)")
    p.add_argument("--memory-mb", type=int, default=2048, help="memory limit per kernel (default 2048)")
    p.add_argument("--cpu-seconds", type=int, default=600, help="CPU-time limit per kernel (default 600)")
    p.add_argument("--no-sandbox", action="store_true", help="run kernels without namespaces/uid switch (limits stay)")
    p.add_argument("--course-dir", type=Path, default=None, help="repository root (default: found from cwd)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_grade)

    p = sub.add_parser("progress", help="which practice questions passed, per session, and the mastery gates")
    p.add_argument("session", nargs="?", help="one session id or number (default: all)")
    p.set_defaults(func=_cmd_progress)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
