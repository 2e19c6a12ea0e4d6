"""Late submissions: due dates per assignment and the penalty, through nbgrader's own machinery.

nbgrader computes how late a submission is from the assignment's due date in the gradebook and the
submission's ``timestamp.txt``; its ``AssignLatePenalties`` preprocessor then asks a
``LateSubmissionPlugin`` for the penalty of each notebook. The course sets both in its autograder
configuration (``autograder/nbgrader_config.py``)::

    c.LatePolicy.due_dates = {"00_overfitting": "2026-10-05 23:59:00 Europe/Paris"}
    c.LateSubmissionPlugin.penalty_method = "per_day"   # or nbgrader's "none" / "zero"
    c.LatePenalty.fraction_per_day = 0.1
"""

from __future__ import annotations

import datetime as dt
import math
from textwrap import dedent

from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.utils import parse_utc
from traitlets import Dict, Enum, Float, Unicode
from traitlets.config import LoggingConfigurable


class LatePolicy(LoggingConfigurable):
    """The course's due dates."""

    due_dates = Dict(
        value_trait=Unicode(),
        help=dedent("""
            Due date of each assignment: {assignment id: time}. A time is read by nbgrader's parse_utc:
            "2026-10-05 23:59:00 Europe/Paris", "2026-10-05T23:59:00+02:00" or "2026-10-05 21:59:00 UTC".
            Assignments not listed have no due date (never late).
            """),
    ).tag(config=True)

    def parsed(self, assignments=None) -> dict[str, dt.datetime]:
        """{assignment: due date in UTC} for ``assignments`` (default: all); a value nbgrader cannot read
        raises ValueError naming the assignment and the value."""
        out = {}
        for aid, text in sorted(self.due_dates.items()):
            if assignments is not None and aid not in assignments:
                continue
            out[aid] = parse_due_date(aid, text)
        return out


def parse_due_date(assignment: str, text: str) -> dt.datetime:
    try:
        value = parse_utc(text)
    except (ValueError, OverflowError, TypeError) as exc:
        raise ValueError(f"due date of {assignment} is not a date: {text!r} ({exc}); write it like "
                         f"'2026-10-05 23:59:00 Europe/Paris' or '2026-10-05T23:59:00+02:00'") from None
    if not isinstance(text, str) or not any(ch.isdigit() for ch in text):
        raise ValueError(f"due date of {assignment} is not a date: {text!r}")
    return value


def read_timestamp(text: str) -> dt.datetime:
    """A submission time as nbgrader reads ``timestamp.txt`` (UTC, naive); ValueError if unreadable."""
    text = text.strip()
    if not text:
        raise ValueError("empty")
    try:
        return parse_utc(text)
    except (ValueError, OverflowError) as exc:
        raise ValueError(str(exc)) from None


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

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        if total_seconds_late <= self.grace_minutes * 60:
            return None
        if self.penalty_method == "per_day":
            days = math.ceil(total_seconds_late / 86400)
            return min(score, score * self.fraction_per_day * days)
        return super().late_submission_penalty(student_id, score, total_seconds_late)
