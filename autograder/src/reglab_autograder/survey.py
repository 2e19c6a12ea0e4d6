"""What a grading run will do, checked before anything is written: due dates (the course's and the dates
file's), extensions, the late-penalty policy and the roster (:func:`validate`), the class not empty
(:func:`refuse_empty`); and ``reglab check SUBMISSIONS`` (``reglab grade --dry-run``), which prints it all
and writes nothing (:func:`check`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from reglab.release import available_sessions, find_course_root

from . import config, coursedir, dates, roster
from .discovery import discover
from .intake import SET_ASIDE, TIMESTAMP, timestamp_problem
from .jobs import Note
from .options import Run
from .plugins.late import LatePenalty, LatePolicy
from .rows import Kind


@dataclass(frozen=True)
class Plan:
    """What :func:`validate` found: the due dates (aware, in the zone they were written in), the extensions,
    the penalty policy (in words) and the roster's students."""

    due: dict[str, dt.datetime] = field(default_factory=dict)
    extended: dict[str, dict[str, dt.datetime]] = field(default_factory=dict)
    penalty: str = ""
    roster: tuple[roster.Student, ...] = ()

    def notes(self, everyone) -> list:
        """The report rows of the roster and the extensions for the submissions found."""
        found = {(s.student, s.assignment) for s in everyone}
        out = [Note(student, aid, Kind.EXTENSION, f"due {when(t)} instead of {when(self.due[aid])}: a late penalty "
                    "counts from then") for aid, students in sorted(self.extended.items())
               for student, t in sorted(students.items()) if (student, aid) in found]
        out += [Note(student, aid, Kind.EXTENSION_WITHOUT_SUBMISSION, f"the dates file extends {student!r}'s {aid}, "
                     "but there is no such submission: check the id (exactly as the submission folder spells it)")
                for aid, students in sorted(self.extended.items()) for student in sorted(students)
                if (student, aid) not in found]
        if self.roster:
            out += roster.notes(list(self.roster), found, {s.assignment for s in everyone})
        return out


def validate(run: Run) -> Plan:
    """Read and check everything the run depends on besides the submissions; ValueError / FileNotFoundError
    with the fix, before anything is written."""
    opts = run.options
    cfg = config.course_config(run.root, run.out, run.db_url)
    due = LatePolicy(config=cfg).parsed()
    if run.dates is not None:
        due = dates.merge(due, run.dates)  # as dates.apply will for the workers: a conflict is refused here
    if opts.lms_timezone:
        from .plugins.late import zone_named

        try:
            zone_named(opts.lms_timezone)
        except ValueError as exc:
            raise ValueError(f"--lms-timezone: {exc}") from None
    students = tuple(roster.load(opts.roster)) if opts.roster else ()
    if run.dates is not None:
        run.dates.check_known(available_sessions(run.root),
                              {s.student_id for s in students} if opts.roster else None)
    return Plan(due=due, extended=run.dates.extended if run.dates else {}, penalty=penalty_policy(cfg),
                roster=students)


def penalty_policy(cfg) -> str:
    p = LatePenalty(config=cfg)
    grace = f", {p.grace_minutes:g} minute(s) of grace" if p.grace_minutes else ""
    if p.penalty_method == "per_day":
        return f"per_day: {p.fraction_per_day:.0%} of the score per started day late{grace}"
    if p.penalty_method == "zero":
        return f"zero: a late submission scores 0{grace}"
    return "none: no penalty for late submissions"


def refuse_empty(submissions: Path, everyone) -> None:
    if not everyone:
        raise ValueError(f"no submission of any assignment of this course in {submissions}: nothing to grade; "
                         "give the folder holding submitted/STUDENT/ASSIGNMENT/ (or the LMS zip downloads)")


def when(t: dt.datetime) -> str:
    """A due date in UTC and as written (its zone)."""
    utc = t.astimezone(dt.UTC)
    zone = getattr(t.tzinfo, "key", None) or t.strftime("UTC%z")
    local = "" if zone in ("UTC", "UTC+0000") else f" ({t:%Y-%m-%d %H:%M} {zone})"
    return f"{utc:%Y-%m-%d %H:%M} UTC{local}"


def check(opts):
    """``reglab check``: print what ``reglab grade`` would do with ``opts``, write nothing; refuses an empty
    class. LMS archives are extracted into a temporary folder, exactly as grading would."""
    from .report import GradingResult, ProblemRow

    run = Run.start(opts, opts.course_root or find_course_root())
    plan = validate(run)
    known = available_sessions(run.root)
    with tempfile.TemporaryDirectory(prefix="reglab-check-") as tmp:
        scratch = Run.start(dataclasses.replace(opts, out=Path(tmp) / "out", db_url=None), run.root)
        everyone, notes = discover(run.submissions, scratch.out, known,
                                   lambda aids: coursedir.prepare(scratch, aids), opts.lms_timezone)
        refuse_empty(run.submissions, everyone)
        untimed = [s for s in everyone if s.assignment in plan.due
                   and not (s.folder / TIMESTAMP).exists() and not (s.folder / SET_ASIDE).exists()]
        zone = run.dates.timestamp_timezone if run.dates else None
        timed = [(s, timestamp_problem(s.folder, zone)[1]) for s in everyone]
    rows = [ProblemRow(n.student, n.assignment, n.kind, n.detail) for n in notes + plan.notes(everyone)]
    rows += [ProblemRow(s.student, s.assignment, p.kind, p.detail) for s, p in timed if p is not None]
    rows += [ProblemRow(s.student, s.assignment, Kind.NO_TIMESTAMP, f"no {TIMESTAMP}: would be graded as on time")
             for s in untimed]
    print(f"course:      {run.root}")
    print(f"submissions: {run.submissions}")
    print(f"dates file:  {run.dates.source if run.dates else 'none (due dates from the course configuration only)'}")
    print(f"late policy: {plan.penalty}")
    for aid in sorted({s.assignment for s in everyone} | set(plan.due)):
        subs = [s for s in everyone if s.assignment == aid]
        due = f"due {when(plan.due[aid])}" if aid in plan.due else "no due date"
        print(f"\n{aid}: {len(subs)} submission(s), {due}")
        for student, t in sorted(plan.extended.get(aid, {}).items()):
            print(f"  extension: {student} due {when(t)}")
    if plan.roster:
        print(f"\nroster: {len(plan.roster)} student(s)")
    print(f"\n{len(rows)} report row(s) before grading" + (":" if rows else ""))
    for r in rows:
        print(f"  {r.student} / {r.assignment}: {r.kind}: {r.detail}")
    print("\nnothing written (a dry run)")
    return GradingResult(summary=[], problems=rows, records=[], exit_code=0)
