"""The ``reglab`` command."""

from __future__ import annotations

import argparse
import sys

from . import SESSIONS, __version__


def _cmd_sessions(args):
    print(f"{'session':<22}module")
    for sid, mod in SESSIONS.items():
        print(f"{sid:<22}{mod}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="reglab", description="Regularization for deep learning: course tools.")
    parser.add_argument("--version", action="version", version=f"reglab {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("sessions", help="list the sessions and the module holding each one's mathematics")
    p.set_defaults(func=_cmd_sessions)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
