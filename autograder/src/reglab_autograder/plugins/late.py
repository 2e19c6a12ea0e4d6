"""Late submissions: due dates per assignment and the penalty, through nbgrader's own machinery.

nbgrader computes how late a submission is from the assignment's due date in the gradebook and the
submission's ``timestamp.txt``; its ``AssignLatePenalties`` preprocessor then asks a
``LateSubmissionPlugin`` for the penalty of each notebook. The course sets both in its autograder
configuration (``autograder/nbgrader_config.py``)::

    c.LatePolicy.due_dates = {"00_overfitting": "2026-10-05 23:59 Europe/Paris"}
    c.LateSubmissionPlugin.penalty_method = "per_day"   # or nbgrader's "none" / "zero"
    c.LatePenalty.fraction_per_day = 0.1

Due dates (and per-student extensions) can also live in a dates file next to the submissions
(:mod:`.dates`). A due date is read in one form only (:func:`parse_time`): ISO 8601
``YYYY-MM-DD[T ]HH:MM[:SS]`` followed by a UTC offset (``+02:00``, ``Z``) or an IANA zone name
(``Europe/Paris``, ``UTC``); anything else is refused, with the fix.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zoneinfo
from textwrap import dedent

from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.utils import parse_utc
from traitlets import Dict, Enum, Float, Unicode
from traitlets.config import LoggingConfigurable

DATE_FORM = "YYYY-MM-DD HH:MM[:SS] followed by a UTC offset or an IANA zone name"
EXAMPLES = "'2026-10-05 23:59 Europe/Paris' or '2026-10-05T23:59:00+02:00'"

_ISO = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?P<frac>\.\d+)?"
                  r"(?:\s?(?P<offset>Z|[+-]\d{2}:?\d{2})|\s+(?P<zone>\S+))?")
_DAY_MONTH = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}")


def parse_time(text: str, *, default_zone: str | None = None, fraction: bool = False) -> dt.datetime:
    """An instant written as ISO 8601 ``YYYY-MM-DD[T ]HH:MM[:SS]`` then ``Z``, ``+HH:MM`` or an IANA zone name
    (validated with :mod:`zoneinfo`); returned aware, in that zone.

    ValueError, saying what is wrong, for anything else: another order of day and month, an unknown zone, no
    zone (unless ``default_zone`` is given), a local time that does not exist or happens twice at a
    daylight-saving change. ``fraction`` accepts fractions of a second (nbgrader's ``timestamp.txt``)."""
    if not isinstance(text, str):
        raise ValueError(f"not a text but a {type(text).__name__}")
    text = text.strip().lstrip("\ufeff").strip()
    m = _ISO.fullmatch(text)
    if m is None or (m["frac"] and not fraction):
        if _DAY_MONTH.match(text):
            raise ValueError("day and month in this order are ambiguous (05/10 is 5 October or 10 May); "
                             "write the year first")
        raise ValueError(f"not of the form {DATE_FORM}")
    try:
        naive = dt.datetime.fromisoformat(f"{m['date']}T{m['time']}{(m['frac'] or '')[:7]}")
    except ValueError as exc:
        raise ValueError(f"no such date or time ({exc})") from None
    if m["offset"] == "Z":
        return naive.replace(tzinfo=dt.UTC)
    if m["offset"]:
        try:
            return naive.replace(tzinfo=dt.datetime.strptime(m["offset"].replace(":", ""), "%z").tzinfo)
        except ValueError:
            raise ValueError(f"{m['offset']} is not a UTC offset (-23:59 to +23:59)") from None
    name = m["zone"] or default_zone
    if name is None:
        raise ValueError("no time zone: add a UTC offset (+02:00, Z) or an IANA zone name (Europe/Paris, UTC)")
    zone = zone_named(name)
    return local_time(naive, zone)


_AREAS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian",
          "Pacific")


def zone_named(name: str) -> zoneinfo.ZoneInfo:
    """The IANA zone ``name``: ``UTC`` or an ``Area/Location`` name (Europe/Paris); ValueError for anything else,
    including the names that mislead (``localtime``, ``posixrules``, ``Factory``, abbreviations such as ``EST`` or
    ``CET``, ``Etc/GMT+2``, which is UTC-2)."""
    fix = "write UTC or an Area/Location name such as Europe/Paris, America/New_York, Asia/Tokyo"
    try:
        zone = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"{name!r} is not an IANA time-zone name; {fix}") from None
    if name != "UTC" and ("/" not in name or name.split("/")[0] not in _AREAS):
        raise ValueError(f"{name!r} is an ambiguous time-zone name (only UTC and IANA Area/Location names are "
                         f"accepted: not abbreviations, Etc/GMT±N, whose sign is inverted, or system aliases); {fix}")
    return zone


def local_time(naive: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """``naive`` read as a wall-clock time in ``zone``; ValueError when that time does not exist or happens twice
    (daylight-saving changes)."""
    early, late = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if early.utcoffset() == late.utcoffset():
        return early
    back = early.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
    if back == naive:
        raise ValueError(f"{naive:%Y-%m-%d %H:%M} happens twice in {zone.key} (clocks go back): write it with "
                         f"its offset, {early.isoformat(timespec='minutes')} or {late.isoformat(timespec='minutes')}")
    raise ValueError(f"{naive:%Y-%m-%d %H:%M} does not exist in {zone.key} (clocks go forward): pick another "
                     "time")


def utc_naive(when: dt.datetime) -> dt.datetime:
    """An aware time as nbgrader stores times: UTC, naive; ValueError for one out of range in UTC."""
    try:
        return when.astimezone(dt.UTC).replace(tzinfo=None)
    except OverflowError:
        raise ValueError(f"{when.isoformat()} is out of the range of dates") from None


class LatePolicy(LoggingConfigurable):
    """The course's due dates."""

    due_dates = Dict(
        value_trait=Unicode(),
        help=dedent(f"""
            Due date of each assignment: {{assignment id: time}}. A time is ISO 8601 with a UTC offset or an IANA
            zone name: {EXAMPLES}; anything else is refused. Assignments not listed have no due date (never late).
            """),
    ).tag(config=True)

    def parsed(self, assignments=None) -> dict[str, dt.datetime]:
        """{assignment: due date (aware)} for ``assignments`` (default: all); a value that is not of the one
        accepted form raises ValueError naming the assignment, the value and the fix."""
        out = {}
        for aid, text in sorted(self.due_dates.items()):
            if assignments is not None and aid not in assignments:
                continue
            out[aid] = parse_due_date(aid, text)
        return out


def parse_due_date(assignment: str, text, where: str = "") -> dt.datetime:
    """The due date of ``assignment`` (aware); ValueError with the value, what is wrong and the fix."""
    try:
        return parse_time(text)
    except ValueError as exc:
        raise ValueError(f"due date of {assignment}{where} is not a date: {text!r}: {exc}; write it like "
                         f"{EXAMPLES}") from None


_ABBREVIATION = re.compile(r"(?P<time>.*\d)\s+(?P<abbr>[A-Z]{2,6})")


def read_timestamp(text: str, exchange_zone: str | None = None) -> dt.datetime:
    """A submission time as nbgrader writes ``timestamp.txt`` (``2026-10-05 21:59:00.123456 UTC``), returned
    as nbgrader stores it (UTC, naive). A time without zone is UTC (nbgrader's reading); an offset or an IANA
    zone name is honoured; so are ``UTC``, ``GMT`` and ``Z``. Another zone abbreviation (nbgrader's exchange
    writes ``CEST``, ``PDT``, ... from ``Exchange.timezone``) is read only in ``exchange_zone`` (the IANA zone the
    exchange used, ``timestamp_timezone`` in the dates file) and only if that zone uses it at that date. A UTF-8
    BOM and surrounding spaces are ignored; fractions of a second past microseconds are cut. Anything else (day/
    month order, an unknown zone, a time out of range) raises ValueError."""
    text = text.strip().lstrip("\ufeff").strip()
    m = _ABBREVIATION.fullmatch(text)
    try:
        if m is None or m["abbr"] in ("UTC", "GMT", "Z"):
            return utc_naive(parse_time(m["time"] if m else text, default_zone="UTC", fraction=True))
        if exchange_zone is None:
            raise ValueError(f"the zone abbreviation {m['abbr']} is ambiguous; say which IANA zone the exchange "
                             "used with timestamp_timezone = \"Europe/Paris\" (for example) in the dates file")
        when = parse_time(m["time"], default_zone=exchange_zone, fraction=True)
        if when.tzname() != m["abbr"]:
            raise ValueError(f"{m['abbr']} is not the abbreviation {exchange_zone} (the dates file's "
                             f"timestamp_timezone) uses at that date ({when.tzname()}); fix timestamp_timezone")
        return utc_naive(when)
    except OverflowError:
        raise ValueError("out of the range of dates") from None


def nbgrader_reads(text: str) -> dt.datetime | None:
    """What nbgrader's own ``parse_utc`` makes of a timestamp (None if it cannot read it)."""
    try:
        return parse_utc(text.strip())
    except (ValueError, OverflowError, TypeError):
        return None


class LatePenalty(LateSubmissionPlugin):
    """nbgrader's late-submission plugin with one more method: a fraction of the score per started day."""

    penalty_method = Enum(
        ("none", "zero", "per_day"),
        default_value="none",
        help=dedent("""
            The method for assigning late submission penalties:
                'none': do nothing (no penalty assigned)
                'zero': assign an overall score of zero (penalty = score)
                'per_day': fraction_per_day of the notebook's score per started day late, at most the score
            """),
    ).tag(config=True)

    fraction_per_day = Float(
        0.1, min=0.0, max=1.0,
        help="With penalty_method 'per_day': the fraction of the score lost per started day late.",
    ).tag(config=True)

    grace_minutes = Float(
        0.0, min=0.0,
        help="Submissions at most this many minutes late get no penalty (upload delays).",
    ).tag(config=True)

    extensions = Dict(
        value_trait=Dict(value_trait=Float()),
        help=dedent("""
            Per-student extensions: {assignment id: {student id: seconds}}, the time a student's due date is moved
            by (from a dates file, :mod:`reglab_autograder.dates`). nbgrader measures lateness from the
            assignment's due date; an extension is subtracted from it here.
            """),
    ).tag(config=True)

    def extension(self, assignment, student_id) -> float:
        """How far (seconds) ``student_id``'s due date of ``assignment`` is moved: 0 without an extension."""
        return self.extensions.get(assignment, {}).get(student_id, 0.0)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        assignment = getattr(self.parent, "assignment_id", None)  # AssignLatePenalties, which creates this plugin
        total_seconds_late -= self.extension(assignment, student_id)
        if total_seconds_late <= 0 or total_seconds_late <= self.grace_minutes * 60:
            return None
        if self.penalty_method == "per_day":
            days = math.ceil(total_seconds_late / 86400)
            return min(score, score * self.fraction_per_day * days)
        return super().late_submission_penalty(student_id, score, total_seconds_late)
