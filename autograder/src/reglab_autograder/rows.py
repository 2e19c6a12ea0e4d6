"""The kinds of the report's problem rows, each defined once with the label the report shows for it.

Every row of report.html's "Problem submissions" table has a kind: something intake found in the submitted files
(:mod:`.intake`), an intake rule's finding about a notebook (:mod:`.preprocessors.intake_rules`), an event of a
notebook's execution (:mod:`.preprocessors.execute`, and the trusted checker's, :mod:`.verdicts.checker`), or a fact
the report itself derives from a job record (:mod:`.report`). A kind is a :class:`Kind`: a string (its value is
what the job records, the findings file and the events file store), whose :attr:`~Kind.label` is what the report
shows; most kinds are their own label, an execution event may share one with its kin ("killed", "timeout").

This module imports nothing of the grader: the sandbox's and the checker's parts may use it.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """One kind of report row: the stored value, and its report label (the value itself unless given)."""

    label: str

    def __new__(cls, value: str, label: str = ""):
        kind = str.__new__(cls, value)
        kind._value_ = value
        kind.label = label or value
        return kind

    # ------------------------------------------------------------------ the submitted files (intake)
    TOO_LARGE = "too large"
    LINK = "link"
    SPECIAL_FILE = "special file"
    WRONG_NAME = "wrong name"
    MISSING = "missing"  # a notebook of the assignment, or (roster) a whole submission
    EXTRA_FILES = "extra files"
    BAD_TIMESTAMP = "bad timestamp"
    FUTURE_TIMESTAMP = "submission time in the future"
    NO_TIMESTAMP = "no submission time"
    EMPTY = "empty"
    NOT_UTF8 = "not utf-8"
    MALFORMED = "malformed"
    NOT_A_NOTEBOOK = "not a notebook"
    NOTEBOOK_REPAIRED = "notebook repaired"  # what nbformat warned about while reading the notebooks

    # ------------------------------------------------------------------ the input beside the submissions
    BAD_STUDENT_ID = "bad student id"
    UNKNOWN_ASSIGNMENT = "unknown assignment"
    NOT_ON_ROSTER = "not on the roster"
    EXTENSION = "extension"
    EXTENSION_WITHOUT_SUBMISSION = "extension for no submission"
    UNKNOWN_ARCHIVE = "unknown archive"
    ARCHIVE_NOT_COLLECTED = "archive not collected"
    DUPLICATE_SUBMISSION = "duplicate submission"
    ARCHIVE = "archive"
    STALE = "stale"

    # ------------------------------------------------------------------ the intake rules (a notebook's cells)
    NORMALIZED = "normalized"
    OTHER_ASSIGNMENT = "other assignment"
    EDITED_TEST = "edited test"
    UPDATED_TEST = "updated test"
    RETYPED_TEST = "retyped test"
    CHANGED_POINTS = "changed points"
    CHANGED_CHECKSUM = "changed checksum"
    REORDERED = "reordered"
    UNKNOWN_GRADE_IDS = "unknown grade ids"
    CHANGED_CELL_FLAGS = "changed cell flags"
    DUPLICATE_GRADE_IDS = "duplicate grade ids"
    REVIEW = "review"

    # ------------------------------------------------------------------ the execution (events of one notebook)
    TIMEOUT = "timeout"
    NOTEBOOK_TIME_CAP = "notebook time cap", "timeout"
    KERNEL_DIED = "kernel died", "killed"
    REPLAY_STOPPED = "replay stopped", "killed"
    MEMORY_LIMIT = "memory limit"
    DISK_LIMIT = "disk limit"
    EXIT = "exit"
    NETWORK_BLOCKED = "network blocked"
    FILE_ACCESS_BLOCKED = "file access blocked"
    PROCESSES_KILLED = "processes killed"
    OUTPUT_TRUNCATED = "output truncated", "output flood"
    GRADER = "grader"  # the kernel's grading agent did not start
    UNREADABLE_ANSWER = "unreadable answer"
    TAMPERING = "tampering"

    # ------------------------------------------------------------------ what the report derives from a job record
    GRADER_ERROR = "grader error"
    DELETED_TEST = "deleted test"
    CHANGED_SINCE_SCORED = "changed since scored"
    MANUAL_OVERRIDE = "manual override"
    NOT_SANDBOXED = "not sandboxed"
    LATE = "late"


def label(kind: str) -> str:
    """The report's label of a stored kind (a kind this grader no longer knows, from an older record: itself)."""
    member = Kind._value2member_map_.get(kind)
    return member.label if member is not None else kind
