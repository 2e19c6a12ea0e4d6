"""The ``reglab`` command."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from . import SESSION_MODULES, __version__, course


def _cmd_sessions(args):
    print(f"{'session':<22}module")
    for sid, mod in SESSION_MODULES.items():
        print(f"{sid:<22}{mod}")
    return 0


def _cmd_release(args):
    from . import release

    if args.zip and args.bundle is None:
        print("reglab release: --zip goes with --bundle DIR (it zips the student copy)", file=sys.stderr)
        return 2
    root = release.find_course_root(args.course_dir)
    if args.bundle is not None:
        return _bundle(release, root, args)
    if args.check:
        problems = release.diff_release(root, args.sessions or None)
        for p in problems:
            print(p)
        if problems:
            print("notebooks/ is out of date: run `reglab release`.")
        leaks = release.test_cell_problems(root, args.sessions or None)
        for p in leaks:
            print(p)
        if leaks:
            print("a test cell would send an expected value to the student's kernel under grading: compare in the "
                  "test, call the student's code only with inputs.")
        if problems or leaks:
            return 1
        print("notebooks/ matches what `reglab release` produces; no test cell sends an expected value to the kernel.")
        return 0
    done = release.release(root, args.sessions or None)
    for sid in done:
        print(f"released {sid}: solutions/{sid}/ -> notebooks/{sid}/")
    return 0


def _bundle(release, root, args):
    try:
        target = release.bundle(args.bundle, root, archive=args.zip)
    except FileExistsError as exc:
        print(f"reglab release --bundle: {exc}", file=sys.stderr)
        return 2
    handout = f"{target}.zip" if args.zip else f"{target}/"
    print(f"student copy: {target}/ (the student notebooks, the course index, the library, README.md, Makefile; "
          f"no solutions, hidden tests or grader). Give students {handout}")
    return 0


def _cmd_selftest(args):
    from . import selftest

    return selftest.main(args.notebooks)


def _cmd_progress(args):
    from . import checks

    if args.session:
        progress = checks.load_progress().get(course.get_session(args.session).id, {})
        print(repr(checks.gate_report(args.session, progress)))
    else:
        print(checks.progress_table())
    return 0


def _cmd_variant(args):
    from . import variants

    try:
        session = course.get_session(args.session)
    except ValueError as exc:
        print(f"reglab variant: {exc}", file=sys.stderr)
        return 2
    questions = variants.questions_with_variants(session.id)
    if not questions:
        print(f"session {session.number} ({session.id}): every question has one fixed instance (no variants)")
        return 0
    who = f"student {args.student!r}" if args.student else "no student id (the course's instance)"
    print(f"session {session.number} ({session.id}), {who}, attempt {args.attempt}: the givens of the graded variant"
          if args.attempt == 0 else f"session {session.number} ({session.id}), {who}, attempt {args.attempt}:")
    for q in questions:
        print(f"  {variants.givens(session.id, q, args.student, args.attempt).describe()}")
    return 0


def _cmd_student(args):
    from . import checks

    if args.id is not None:
        checks.set_student(args.id)
    who, source = checks.whose_variants()
    print(f"student id: {who!r}" + (f" (from {source})" if who else " (none: the course's own instance of every "
                                                                       "question)")
          + f"; progress file {checks.progress_file()}")
    return 0


def _cmd_review(args):
    import datetime as dt

    from . import checks, review

    if not (args.notebooks / course.SESSIONS[0].notebook).is_file():
        print(f"reglab review: no course notebooks in {args.notebooks}/ (run it in the course folder, or pass "
              "--notebooks)", file=sys.stderr)
        return 2
    now = dt.datetime.now()
    out = args.out or Path(f"review-{now:%Y-%m-%d}.ipynb")
    items = review.write(checks.load_progress(), args.notebooks, out, now, args.max)
    if not items:
        print(f"Nothing is due for review (progress file: {checks.progress_file()}).")
        return 0
    print(f"{out}: {len(items)} question(s) to review, most overdue first, each a new variant:")
    for d in items:
        print(f"  session {course.get_session(d.session).number} {d.question} ({d.why}, due since {d.since:%Y-%m-%d})")
    return 0


INSTRUCTOR_COMMANDS = ("grade", "check", "formgrader", "feedback", "handback")
INSTALL_GRADER = ("the grader is an instructors' tool, installed apart from the course: run `make instructor` "
                  "in the course repository (or `pip install -e autograder` in this environment)")


def _grader_missing(args):
    print(f"reglab {args.command}: {INSTALL_GRADER}", file=sys.stderr)
    return 2


def _add_instructor_commands(sub):
    """``reglab grade`` and the rest of the instructors' loop come from the ``reglab_autograder`` package."""
    if importlib.util.find_spec("reglab_autograder") is None:
        for name in INSTRUCTOR_COMMANDS:
            p = sub.add_parser(name, help="(instructors; needs the grader: make instructor)", add_help=False)
            p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
            p.set_defaults(func=_grader_missing)
        return
    from reglab_autograder.cli import add_commands  # an installed but broken grader fails loudly here

    add_commands(sub)


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
    p.add_argument("--bundle", type=Path, default=None, metavar="DIR",
                   help="write what a student receives into the new folder DIR instead (no solutions, hidden tests "
                        "or grader)")
    p.add_argument("--zip", action="store_true", help="with --bundle: also write DIR.zip")
    p.set_defaults(func=_cmd_release)

    _add_instructor_commands(sub)

    p = sub.add_parser("progress", help="which practice questions passed, per session, and the mastery gates")
    p.add_argument("session", nargs="?", help="one session id or number (default: all)")
    p.set_defaults(func=_cmd_progress)

    p = sub.add_parser("variant", help="a student's givens, per question with variants (the graded variant is "
                                       "attempt 0 of their nbgrader student id)")
    p.add_argument("student", help="the student id (nbgrader's, as in the gradebook); '' for the course's instance")
    p.add_argument("session", help="session id or number")
    p.add_argument("--attempt", type=int, default=0, help="which attempt's variant (default: 0, the graded one)")
    p.set_defaults(func=_cmd_variant)

    p = sub.add_parser("student", help="practise on the variants of your student id (in a graded class, the id your "
                                       "instructor grades: its first variant is the graded one)")
    p.add_argument("id", nargs="?", default=None, help="the id to set (without it: print the current one)")
    p.set_defaults(func=_cmd_student)

    p = sub.add_parser("review", help="write a review notebook of the practised questions due again (spaced "
                                      "review), each a new variant")
    p.add_argument("--out", type=Path, default=None, help="the notebook to write (default: review-DATE.ipynb)")
    p.add_argument("--max", type=int, default=10, help="questions at most (default: 10)")
    p.add_argument("--notebooks", type=Path, default=Path("notebooks"),
                   help="the folder of the student notebooks (default: notebooks)")
    p.set_defaults(func=_cmd_review)

    p = sub.add_parser("selftest", help="check this copy: the library imports and every notebook runs up to its "
                                        "first exercise")
    p.add_argument("notebooks", nargs="?", type=Path, default=Path("notebooks"),
                   help="the folder of the student notebooks (default: notebooks)")
    p.set_defaults(func=_cmd_selftest)
    return parser


def main(argv=None):
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and args.func is not _grader_missing:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
