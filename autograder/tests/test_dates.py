"""Dates that cannot be misread: the one accepted form of a due date, submission times, the dates file
(due dates, per-student extensions), the roster, and the late penalty with an extension (no grading run)."""

from __future__ import annotations

import datetime as dt

import pytest
from nbgrader.preprocessors import AssignLatePenalties
from reglab_autograder import dates, roster
from reglab_autograder.plugins.late import LatePenalty, parse_due_date, parse_time, read_timestamp
from reglab_autograder.plugins.zipcollect import ZonedFileNameCollector
from traitlets.config import Config

UTC = dt.UTC


def _utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


ACCEPTED = [
    ("2026-10-05 23:59:00 Europe/Paris", _utc(2026, 10, 5, 21, 59)),  # summer time, +02:00
    ("2026-12-05 23:59 Europe/Paris", _utc(2026, 12, 5, 22, 59)),  # winter time, +01:00
    ("2026-10-05T23:59:00+02:00", _utc(2026, 10, 5, 21, 59)),
    ("2026-10-05T23:59-05:30", _utc(2026, 10, 6, 5, 29)),
    ("2026-10-05 21:59Z", _utc(2026, 10, 5, 21, 59)),
    ("2026-10-05 21:59:00 UTC", _utc(2026, 10, 5, 21, 59)),
    ("  2026-10-05 17:59 America/New_York ", _utc(2026, 10, 5, 21, 59)),
    ("2026-10-25 01:59 Europe/Paris", _utc(2026, 10, 24, 23, 59)),  # just before the repeated hour
    ("2026-10-25T02:30+01:00", _utc(2026, 10, 25, 1, 30)),  # the repeated hour, said with its offset
]

REFUSED = [
    ("05/10/2026 23:59:00 Europe/Paris", "day and month in this order are ambiguous"),
    ("5.10.2026 23:59 UTC", "day and month in this order are ambiguous"),
    ("10-05-2026 23:59 UTC", "day and month in this order are ambiguous"),
    ("2026-10-05 23:59:00 Paris", "'Paris' is not an IANA time-zone name"),
    ("2026-10-05 23:59 CEST", "'CEST' is not an IANA time-zone name"),
    ("2026-10-05 23:59:00", "no time zone"),
    ("2026-10-05", "not of the form YYYY-MM-DD HH:MM"),
    ("Oct 5 2026 23:59 UTC", "not of the form"),
    ("the fifth of Octobre", "not of the form"),
    ("2026-02-30 10:00 UTC", "no such date or time"),
    ("2026-10-05 24:00 UTC", "no such date or time"),
    ("2026-10-05 23:59:00.5 UTC", "not of the form"),  # due dates are to the second
    ("2026-10-05 23:59+25:00", "+25:00 is not a UTC offset"),
    ("2026-10-05 23:59 ../../etc/passwd", "is not an IANA time-zone name"),
    ("2026-03-29 02:30 Europe/Paris", "does not exist in Europe/Paris (clocks go forward)"),
    ("2026-10-25 02:30 Europe/Paris", "happens twice in Europe/Paris (clocks go back)"),
    ("2026-11-01 01:30 America/New_York", "happens twice in America/New_York"),
]


@pytest.mark.parametrize(("text", "utc"), ACCEPTED)
def test_accepted_due_dates(text, utc):
    assert parse_time(text) == utc


@pytest.mark.parametrize(("text", "why"), REFUSED)
def test_refused_due_dates_say_what_is_wrong(text, why):
    with pytest.raises(ValueError) as exc:
        parse_time(text)
    assert why in str(exc.value)


def test_a_refused_due_date_names_assignment_value_and_fix():
    with pytest.raises(ValueError) as exc:
        parse_due_date("00_overfitting", "05/10/2026 23:59:00 Europe/Paris")
    msg = str(exc.value)
    assert msg.startswith("due date of 00_overfitting is not a date: '05/10/2026 23:59:00 Europe/Paris'")
    assert "write it like '2026-10-05 23:59 Europe/Paris'" in msg


def test_the_repeated_hour_offers_both_readings():
    with pytest.raises(ValueError) as exc:
        parse_time("2026-10-25 02:30 Europe/Paris")
    assert "2026-10-25T02:30+02:00 or 2026-10-25T02:30+01:00" in str(exc.value)


@pytest.mark.parametrize(("text", "utc"), [
    ("2026-10-05 22:00:00.123456 UTC", dt.datetime(2026, 10, 5, 22, 0, 0, 123456)),  # nbgrader submit's format
    ("2026-10-05 22:00:00", dt.datetime(2026, 10, 5, 22)),  # naive: UTC, as nbgrader reads it
    ("2026-10-06T00:00:00 Europe/Paris", dt.datetime(2026, 10, 5, 22)),
    ("2026-10-06 00:00:00+0200", dt.datetime(2026, 10, 5, 22)),
])
def test_timestamps_as_nbgrader_writes_them(text, utc):
    assert read_timestamp(text) == utc


@pytest.mark.parametrize("text", ["05/10/2026 22:00", "2026-10-05 22:00:00 Paris", "last Tuesday", ""])
def test_unreadable_timestamps(text):
    with pytest.raises(ValueError):
        read_timestamp(text)


# ---------------------------------------------------------------------------------------------- the dates file

DATES = """
[due]
00_overfitting = "2026-10-05 23:59 Europe/Paris"
01_l2_weight_decay = "2026-10-12T23:59:00+02:00"

[extensions.alice]
00_overfitting = "2026-10-08 23:59 Europe/Paris"

[extensions.bob]
00_overfitting = 1.5
"""


def test_dates_file_due_dates_and_extensions():
    d = dates.parse(DATES, "dates.toml")
    assert d.due["00_overfitting"] == _utc(2026, 10, 5, 21, 59)
    assert d.due["01_l2_weight_decay"] == _utc(2026, 10, 12, 21, 59)
    assert d.extended["00_overfitting"]["alice"] == _utc(2026, 10, 8, 21, 59)
    assert d.extended["00_overfitting"]["bob"] == _utc(2026, 10, 7, 9, 59)


@pytest.mark.parametrize(("text", "why"), [
    ("[due]\n00_overfitting = '05/10/2026 23:59 Europe/Paris'\n",
     "due date of 00_overfitting in dates.toml is not a date: '05/10/2026 23:59 Europe/Paris'"),
    ("[due]\n00_overfitting = 2026-10-05T23:59:00Z\n", "is not a date"),  # a TOML date-time, not text
    ("[due\n", "dates.toml is not valid TOML"),
    ("[deadlines]\na = 1\n", "unknown table(s) deadlines"),
    ("[due]\na = '2026-10-05 23:59 UTC'\n[extensions.alice]\nb = 2\n",
     "extension of alice for b in dates.toml: b has no due date"),
    ("[due]\na = '2026-10-05 23:59 UTC'\n[extensions.alice]\na = -1\n", "a positive number of days"),
    ("[due]\na = '2026-10-05 23:59 UTC'\n[extensions.alice]\na = '2026-10-01 23:59 UTC'\n",
     "is not after the due date"),
    ("[due]\na = '2026-10-05 23:59 UTC'\n[extensions.alice]\na = '05/10/2026 23:59 UTC'\n",
     "due date of a for alice in dates.toml is not a date"),
    ("[due]\na = '2026-10-05 23:59 UTC'\n[extensions.alice]\na = true\n", "neither a due date nor a number"),
    ("[due]\na = '2026-10-05 23:59 UTC'\n[extensions]\nalice = 2\n", "extensions.alice must be a table"),
    ("[due]\na = '2026-10-05 23:59 UTC'\n[extensions.john.smith]\na = 1\n",
     'a student id with a dot must be quoted, [extensions."john.smith"]'),
    ("[due]\na = '2026-10-05 23:59 UTC'\n[extensions.alice]\na = nan\n", "nan extra days"),
    ("[due]\na = '2026-10-05 23:59 UTC'\n[extensions.alice]\na = inf\n", "inf extra days"),
    ("[due]\na = '2026-10-05 23:59 UTC'\n[extensions.alice]\na = 1e300\n", "at most 3650"),
    ("[due]\na = '2026-10-05 23:59 Etc/GMT+2'\n", "'Etc/GMT+2' is an ambiguous time-zone name"),
    ("timestamp_timezone = 'CEST'\n", "timestamp_timezone: 'CEST' is not an IANA time-zone name"),
])
def test_dates_file_refusals(text, why):
    with pytest.raises(ValueError) as exc:
        dates.parse(text, "dates.toml")
    assert why in str(exc.value)


def test_course_and_file_agree_or_are_refused():
    cfg = Config()
    cfg.LatePolicy.due_dates = {"00_overfitting": "2026-10-05T21:59:00Z"}  # the same instant: fine
    dates.apply(cfg, dates.parse(DATES))
    assert parse_time(cfg.LatePolicy.due_dates["01_l2_weight_decay"]) == _utc(2026, 10, 12, 21, 59)
    assert cfg.LatePenalty.extensions == {"00_overfitting": {"alice": 3 * 86400.0, "bob": 1.5 * 86400}}
    cfg = Config()
    cfg.LatePolicy.due_dates = {"00_overfitting": "2026-10-06 23:59 Europe/Paris"}
    with pytest.raises(ValueError, match="due date of 00_overfitting is given twice"):
        dates.apply(cfg, dates.parse(DATES))


def test_dates_file_found_next_to_the_submissions(tmp_path):
    assert dates.read(tmp_path, None) is None
    (tmp_path / "dates.toml").write_text(DATES)
    assert dates.read(tmp_path, None).due["00_overfitting"] == _utc(2026, 10, 5, 21, 59)
    with pytest.raises(FileNotFoundError, match="dates file not found"):
        dates.read(tmp_path, tmp_path / "nope.toml")


def _penalty(cfg, student, seconds_late):
    """The penalty as nbgrader's AssignLatePenalties asks for it: the plugin is created with it as parent, while it
    handles a notebook of 00_overfitting."""
    cfg.AssignLatePenalties.plugin_class = LatePenalty
    pp = AssignLatePenalties(config=cfg)
    pp.assignment_id = "00_overfitting"
    pp.init_plugin()
    return pp.plugin_inst.late_submission_penalty(student, 10.0, seconds_late)


def test_an_extension_moves_the_due_date_of_one_student_only():
    cfg = Config()
    cfg.LateSubmissionPlugin.penalty_method = "per_day"
    cfg.LatePenalty.fraction_per_day = 0.25
    cfg.LatePenalty.extensions = {"00_overfitting": {"bob": 2 * 86400.0}}
    assert _penalty(cfg, "carol", 36 * 3600) == 5.0  # 2 started days
    assert _penalty(cfg, "bob", 36 * 3600) is None  # within his extension
    assert _penalty(cfg, "bob", 3 * 86400) == 2.5  # a day after his extension


def test_lms_file_name_times_read_in_the_given_zone(tmp_path):
    cfg = Config()
    cfg.FileNameCollectorPlugin.named_regexp = r".*/(?P<student_id>[^_/]+)_(?P<timestamp>[^_]+)_(?P<file_id>a\.ipynb)"
    cfg.ZonedFileNameCollector.timezone = "Europe/Paris"
    collector = ZonedFileNameCollector(config=cfg)
    assert collector.collect(str(tmp_path / "alice_2026-10-06 10:15:00_a.ipynb"))["timestamp"] == \
        "2026-10-06T10:15:00+02:00"
    assert collector.collect(str(tmp_path / "alice_2026-10-06T10:15:00Z_a.ipynb"))["timestamp"] == \
        "2026-10-06T10:15:00+00:00"
    # the repeated hour: its first occurrence, never dropped
    assert collector.collect(str(tmp_path / "alice_2026-10-25 02:30:00_a.ipynb"))["timestamp"] == \
        "2026-10-25T02:30:00+02:00"
    assert ZonedFileNameCollector(config=Config({"FileNameCollectorPlugin": cfg.FileNameCollectorPlugin})).collect(
        str(tmp_path / "alice_2026-10-06 10:15:00_a.ipynb"))["timestamp"] == "2026-10-06T10:15:00+00:00"


# -------------------------------------------------------------------------------------------------- the roster


def test_roster_with_and_without_header():
    text = "student_id,first_name,last_name,email\nalice,Alice,Martin,alice@example.org\nbob,,,\n"
    assert roster.parse(text) == [roster.Student("alice", "Alice", "Martin", "alice@example.org"),
                                  roster.Student("bob")]
    assert roster.parse('carol,"Carol, Jr",Durand,carol@example.org\n')[0].first_name == "Carol, Jr"


@pytest.mark.parametrize(("text", "why"), [
    ("alice,A,M,a@x.org\nbob,B,N\n", "row 2: 3 column(s)"),
    ("alice,A,M,a@x.org\n\nalice,A,M,a@x.org\n", "row 3: student 'alice' is already on row 1"),
    ("alice,A,M,not-an-address\n", "row 1: 'not-an-address' is not an e-mail address"),
    ("../alice,A,M,\n", "row 1: student id '../alice' is not an id"),
    (" alice,A,M,\n", "row 1: student id ' alice'"),
    ("student_id,first_name,last_name,email\n", "lists no student"),
])
def test_roster_refusals_name_the_row(text, why):
    with pytest.raises(ValueError) as exc:
        roster.parse(text, "roster.csv")
    assert why in str(exc.value)


def test_roster_rows_missing_and_not_on_the_roster():
    students = [roster.Student("alice"), roster.Student("bob")]
    notes = roster.notes(students, {("alice", "a0"), ("eve", "a0")}, {"a0"})
    assert [(n.student, n.assignment, n.kind) for n in notes] == [("bob", "a0", "missing"),
                                                                  ("eve", "-", "not on the roster")]


def test_timestamp_files_nbgrader_would_misread_are_rewritten_or_set_aside(tmp_path):
    from nbgrader.utils import parse_utc
    from reglab_autograder.intake import _check_timestamp

    for text, kept in (("2026-10-05 22:00:00.000000 UTC", True), ("2026-10-06T00:00:00 Europe/Paris", False)):
        (tmp_path / "timestamp.txt").write_text(text)
        problems = []
        _check_timestamp(tmp_path, problems)
        assert not problems
        now = (tmp_path / "timestamp.txt").read_text()
        assert (now == text) is kept and parse_utc(now) == dt.datetime(2026, 10, 5, 22)
    (tmp_path / "timestamp.txt").write_text("05/10/2026 22:00")  # nbgrader would read 10 May
    problems = []
    _check_timestamp(tmp_path, problems)
    assert [p.kind for p in problems] == ["bad timestamp"] and "ambiguous" in problems[0].detail
    assert not (tmp_path / "timestamp.txt").exists()
    assert (tmp_path / ".timestamp.txt.unreadable").read_text() == "05/10/2026 22:00"


# ------------------------------------------------------- times as nbgrader's exchange writes them, impossible times

@pytest.mark.parametrize(("text", "zone", "utc"), [
    ("2026-10-07 23:30:00.000000 CEST", "Europe/Paris", dt.datetime(2026, 10, 7, 21, 30)),
    ("2026-12-07 23:30:00.000000 CET", "Europe/Paris", dt.datetime(2026, 12, 7, 22, 30)),
    ("2026-10-05 14:30:00.000000 PDT", "America/Los_Angeles", dt.datetime(2026, 10, 5, 21, 30)),
    ("\ufeff2026-10-07 12:00:00.000000 UTC\n", None, dt.datetime(2026, 10, 7, 12)),
    ("2026-10-07 12:00:00.0000001 UTC", None, dt.datetime(2026, 10, 7, 12)),
    ("2026-10-07 12:00:00.1234569 GMT", None, dt.datetime(2026, 10, 7, 12, 0, 0, 123456)),
])
def test_timestamps_of_nbgraders_exchange(text, zone, utc):
    assert read_timestamp(text, zone) == utc


@pytest.mark.parametrize(("text", "zone", "why"), [
    ("2026-10-07 23:30:00.000000 CEST", None, 'the zone abbreviation CEST is ambiguous; say which IANA zone the '
     'exchange used with timestamp_timezone = "Europe/Paris"'),
    ("2026-10-07 23:30:00.000000 CET", "Europe/Paris", "CET is not the abbreviation Europe/Paris (the dates file's "
     "timestamp_timezone) uses at that date (CEST)"),
    ("2026-10-07 23:30:00.000000 EST", "Europe/Paris", "EST is not the abbreviation"),
    ("0001-01-01 00:00:00 +01:00", None, "out of the range of dates"),
    ("9999-12-31 23:59:00 -01:00", None, "out of the range of dates"),
])
def test_timestamps_refused_with_the_fix(text, zone, why):
    with pytest.raises(ValueError) as exc:
        read_timestamp(text, zone)
    assert why in str(exc.value)


def test_timestamp_in_the_future_is_a_row_and_graded_on_time(tmp_path):
    from reglab_autograder.intake import _check_timestamp, timestamp_problem

    (tmp_path / "timestamp.txt").write_text("2099-01-01 00:00:00 UTC")
    when, problem = timestamp_problem(tmp_path)
    assert when is None and problem.kind == "submission time in the future"
    assert timestamp_problem(tmp_path, now=dt.datetime(2099, 1, 2))[1] is None
    problems = []
    _check_timestamp(tmp_path, problems)
    assert [p.kind for p in problems] == ["submission time in the future"]
    assert not (tmp_path / "timestamp.txt").exists()  # set aside: no penalty from it


@pytest.mark.parametrize("name", ["localtime", "posixrules", "Factory", "EST", "CET", "MST", "PST8PDT", "Etc/GMT+2",
                                  "Etc/GMT-1", "US/Eastern"])
def test_ambiguous_zone_names_are_refused(name):
    with pytest.raises(ValueError) as exc:
        parse_time(f"2026-10-05 23:59 {name}")
    assert "Europe/Paris" in str(exc.value)
    assert "ambiguous" in str(exc.value) or "not an IANA time-zone name" in str(exc.value)


def test_dates_file_names_only_the_courses_assignments_and_roster_students():
    d = dates.parse(DATES.replace("[extensions.bob]", '[extensions."alice "]'), "dates.toml")
    d.check_known(["00_overfitting", "01_l2_weight_decay"])  # no roster: the students are not known here
    with pytest.raises(ValueError, match="'01_l2_weight_decay' is not an assignment of this course"):
        d.check_known(["00_overfitting"])
    with pytest.raises(ValueError, match="extension for 'alice ' .00_overfitting., who is not on the roster"):
        d.check_known(["00_overfitting", "01_l2_weight_decay"], {"alice", "bob"})
    assert dates.parse("timestamp_timezone = 'Europe/Paris'\n").timestamp_timezone == "Europe/Paris"


def test_an_extension_for_a_student_without_submission_is_a_row():
    from reglab_autograder.discovery import Submission
    from reglab_autograder.survey import Plan

    d = dates.parse(DATES.replace("[extensions.bob]", "[extensions.alcie]"), "dates.toml")
    plan = Plan(due=d.due, extended=d.extended)
    notes = plan.notes([Submission("alice", "00_overfitting", None)])
    assert [(n.student, n.kind) for n in notes] == [("alice", "extension"), ("alcie", "extension for no submission")]


def test_lms_names_with_underscores_in_the_id(tmp_path):
    import re

    from reglab_autograder.plugins.zipcollect import NAMED_REGEXP

    rx = re.compile(NAMED_REGEXP.format(names=re.escape("00_overfitting.ipynb")))
    m = rx.match("x/mary_ann_2026-10-09T12:00:00_00_overfitting.ipynb")
    assert (m["student_id"], m["timestamp"]) == ("mary_ann", "2026-10-09T12:00:00")
    m = rx.match("x/bob_12345_00_overfitting.ipynb")  # no time: the id ends at the first underscore
    assert (m["student_id"], m["timestamp"]) == ("bob", None)


@pytest.mark.parametrize(("student", "bad"), [("ivy\tx", True), ("a\nb", True), ("a\x85b", True), ("a[1]", False),
                                              ("ali*", False), ("mary_ann", False), ("élodie", False),
                                              ("john.smith", False)])
def test_ids_nbgrader_cannot_grade(student, bad):
    from reglab_autograder.discovery import unusable_id

    assert bool(unusable_id(student)) is bad


def test_a_relative_sqlite_url_is_made_absolute_once(tmp_path, monkeypatch):
    from reglab_autograder.database import absolute_sqlite

    monkeypatch.chdir(tmp_path)
    assert absolute_sqlite("sqlite:///rel.db") == f"sqlite:///{tmp_path}/rel.db"
    assert absolute_sqlite("sqlite:////abs/g.db?timeout=5") == "sqlite:////abs/g.db?timeout=5"
    assert absolute_sqlite("postgresql://u@h/db") == "postgresql://u@h/db"
