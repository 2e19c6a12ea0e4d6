"""The dates file: due dates and per-student extensions of one class, kept outside the course repository.

``reglab grade SUBMISSIONS --dates dates.toml`` reads it (``SUBMISSIONS/dates.toml`` is read when no
``--dates`` is given). TOML; every time in the one form :func:`.plugins.late.parse_time` accepts::

    [due]                                       # due date of each assignment
    00_overfitting = "2026-10-05 23:59 Europe/Paris"
    01_l2_weight_decay = "2026-10-12T23:59:00+02:00"

    [extensions.alice]                          # one table per student
    00_overfitting = "2026-10-08 23:59 Europe/Paris"   # a new due date for alice
    [extensions.bob]
    00_overfitting = 2                          # or extra days (a number, 1.5 = 36 hours)
    [extensions."john.smith"]                   # an id with a dot is quoted

Assignments must be the course's and, with a roster, extended students must be on it (both refused
otherwise); an extension for a student with no submission is a report row. Zones: ``UTC`` or IANA
``Area/Location`` names only. A top-level ``timestamp_timezone = "Europe/Paris"`` (written before the tables)
says which IANA zone nbgrader's exchange wrote ``timestamp.txt`` times in, so that their abbreviations
(``CEST``, ``CET``) can be read.

The course's ``c.LatePolicy.due_dates`` keeps working; an assignment given a due date in both places must be
given the same instant (a conflict is refused: fix one of them). Extensions act through nbgrader's
``AssignLatePenalties``: :class:`.plugins.late.LatePenalty` subtracts them from the seconds late it is given.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib  # Python 3.11 and later, the versions the README names
from dataclasses import dataclass, field
from pathlib import Path

from .plugins.late import LatePolicy, parse_due_date, zone_named

FILE_NAME = "dates.toml"  # read from the submissions folder when no --dates is given
MAX_DAYS = 3650  # the longest extension in days


@dataclass(frozen=True)
class Dates:
    """What a dates file says: due dates (aware) and extensions, as moved due dates (aware) per student."""

    source: str = ""  # where it was read from
    text: str = ""  # its contents, as read
    due: dict[str, dt.datetime] = field(default_factory=dict)
    extended: dict[str, dict[str, dt.datetime]] = field(default_factory=dict)  # {assignment: {student: due}}
    timestamp_timezone: str | None = None  # the IANA zone of abbreviations in timestamp.txt (CEST, PDT, ...)

    def check_known(self, assignments, students=None) -> None:
        """ValueError for an assignment that is not in ``assignments`` (the course's) and, when ``students`` (a
        roster) is given, for an extension of a student not in it."""
        for aid in sorted(set(self.due) | set(self.extended)):
            if aid not in assignments:
                raise ValueError(f"{self.source}: {aid!r} is not an assignment of this course (they are "
                                 f"{', '.join(sorted(assignments))}); fix the name or remove it")
        if students is not None:
            for aid, table in sorted(self.extended.items()):
                for student in sorted(set(table) - set(students)):
                    raise ValueError(f"{self.source}: extension for {student!r} ({aid}), who is not on the roster; "
                                     "fix the id (quote it exactly as the submission folders spell it) or remove it")


def find(submissions: Path, given: Path | None) -> Path | None:
    """The dates file of a run: ``given`` (must exist), else ``SUBMISSIONS/dates.toml`` if there is one."""
    if given is not None:
        if not Path(given).is_file():
            raise FileNotFoundError(f"dates file not found: {given}")
        return Path(given).resolve()
    default = Path(submissions) / FILE_NAME
    return default.resolve() if default.is_file() else None


def read(submissions: Path, given: Path | None) -> Dates | None:
    """The dates file of a run, read and checked (:func:`find`, :func:`parse`); None if there is none."""
    path = find(submissions, given)
    return None if path is None else parse(path.read_text(encoding="utf-8"), str(path))


def parse(text: str, source: str = FILE_NAME) -> Dates:
    """A dates file's contents; ValueError naming the file, the entry, what is wrong and the fix."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source} is not valid TOML ({exc}); see the example in `reglab grade --help`") from None
    unknown = sorted(set(data) - {"due", "extensions", "timestamp_timezone"})
    if unknown:
        raise ValueError(f"{source}: unknown table(s) {', '.join(unknown)}; a dates file has [due] and "
                         "[extensions.STUDENT] tables (and timestamp_timezone = \"Area/Location\" before them)")
    exchange_zone = data.get("timestamp_timezone")
    if exchange_zone is not None:
        try:
            zone_named(exchange_zone)
        except ValueError as exc:
            raise ValueError(f"{source}: timestamp_timezone: {exc}") from None
    due_table = data.get("due", {})
    if not isinstance(due_table, dict):
        raise ValueError(f"{source}: due must be a table: [due] then one line per assignment")
    due = {aid: parse_due_date(aid, text_, f" in {source}") for aid, text_ in sorted(due_table.items())}
    extended: dict[str, dict[str, dt.datetime]] = {}
    students = data.get("extensions", {})
    for student, table in sorted(students.items()):
        if not isinstance(table, dict):
            raise ValueError(f"{source}: extensions.{student} must be a table: [extensions.{student}] then "
                             "ASSIGNMENT = NEW DUE DATE or EXTRA DAYS")
        for aid, value in sorted(table.items()):
            where = f"extension of {student} for {aid} in {source}"
            if isinstance(value, dict):
                raise ValueError(f"{source}: [extensions.{student}.{aid}...] reads as a student {student!r} with a "
                                 f"table {aid!r}: a student id with a dot must be quoted, "
                                 f'[extensions."{student}.{aid}"]')
            if aid not in due:
                raise ValueError(f"{where}: {aid} has no due date in [due]; give it one, or remove the extension")
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise ValueError(f"{where}: {value!r} is neither a due date nor a number of days")
            if isinstance(value, str):
                when = parse_due_date(aid, value, f" for {student} in {source}")
            elif not math.isfinite(value) or not 0 < value <= MAX_DAYS:
                raise ValueError(f"{where}: {value!r} extra days; an extension is a positive number of days, "
                                 f"at most {MAX_DAYS}")
            else:
                when = due[aid] + dt.timedelta(days=value)
            if when <= due[aid]:
                raise ValueError(f"{where}: {value!r} is not after the due date {due[aid].isoformat()}; an "
                                 "extension moves the due date later")
            extended.setdefault(aid, {})[student] = when
    return Dates(source=source, text=text, due=due, extended=extended, timestamp_timezone=exchange_zone)


def merge(course_due: dict[str, dt.datetime], dates: Dates) -> dict[str, dt.datetime]:
    """The due dates of a run: the course's and the file's; ValueError when both date one assignment
    differently."""
    out = dict(course_due)
    for aid, when in dates.due.items():
        if aid in out and out[aid] != when:
            raise ValueError(f"due date of {aid} is given twice: {out[aid].isoformat()} in the course's "
                             f"autograder/nbgrader_config.py and {when.isoformat()} in {dates.source}; keep one")
        out[aid] = when
    return out


def apply(cfg, dates: Dates) -> None:
    """Put a dates file into an nbgrader configuration: its due dates into ``LatePolicy.due_dates`` (checked
    against the course's), its extensions into ``LatePenalty.extensions`` (seconds per assignment and student)."""
    due = merge(LatePolicy(config=cfg).parsed(), dates)
    cfg.LatePolicy.due_dates = {aid: when.isoformat() for aid, when in due.items()}
    cfg.LatePenalty.extensions = {aid: {s: (when - due[aid]).total_seconds() for s, when in students.items()}
                                  for aid, students in dates.extended.items()}
