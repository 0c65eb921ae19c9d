"""Schedule grammar: the Go reference's accept/reject set and its exact error messages.

Expected messages are transcribed from the reference (reconciler.md §1.4: Go
``validateSchedule`` and robfig/cron v3.0.1's parser), not produced by our code.
"""

from __future__ import annotations

import pytest

from cronix.protocol.errors import ScheduleError
from cronix.protocol.schedule import parse_schedule, schedule_error

VALID = [
    "*/15 * * * *",
    "0 2 * * *",
    "*/5 9-17 * * 1-5",
    "0 * * * 0,6",
    "30 4 1 * *",
    "0 0 * * MON",
    "0 0 * * mon-fri",
    "0 0 1 JAN,jul *",
    "0 0 * jan-dec/2 *",
    "1,,2 * * * *",  # empty list elements are skipped (strings.FieldsFunc)
    ",5 * * * *",
    "*-5 * * * *",  # low side * ignores the rest
    "+5 * * * *",  # strconv.Atoi accepts a sign
    "? ? ? ? ?",
    "5/10 * * * *",  # N/step = N-max/step
    "0-59/60 * * * *",
    "00 00 01 01 00",
    "@hourly",
    "@daily",
    "@midnight",
    "@weekly",
    "@monthly",
    "@yearly",
    "@annually",
    "  @hourly\t",
    "@every 5m",
    "@every 60s",
    "@every 120s",
    "@every 2H",
    "@every +5m",
    "@every 05m",
    "@every5m",
    "@every 1h",
    "\u00a0*/15 * * * *\u3000",  # Go whitespace includes U+00A0 and U+3000
]

INVALID = [
    ("", "schedule must be a non-empty string"),
    ("not a cron", "schedule must be 5 cron fields or a documented shortcut, got 3 field(s)"),
    ("@reboot", "schedule must be 5 cron fields or a documented shortcut, got 1 field(s)"),
    ("@HOURLY", "schedule must be 5 cron fields or a documented shortcut, got 1 field(s)"),
    ("* * * * * *", "schedule must be 5 cron fields or a documented shortcut, got 6 field(s)"),
    ("   ", "schedule must be 5 cron fields or a documented shortcut, got 0 field(s)"),
    ("@every", "@every duration must be a positive integer with unit s|m|h"),
    ("@every 5", "@every duration must be a positive integer with unit s|m|h"),
    ("@every 0m", "@every duration must be a positive integer"),
    ("@every -5m", "@every duration must be a positive integer"),
    ("@every 1h30m", "@every duration must be a positive integer"),
    ("@every 1.5h", "@every duration must be a positive integer"),
    ("@every 5d", "@every duration unit must be s, m, or h"),
    ("@every 59s", "@every duration must be at least 60 seconds (v1 resolution floor)"),
    ("@foo 1 2 3 4", "invalid cron expression: parser does not accept descriptors: @foo 1 2 3 4"),
    ("60 * * * *", "invalid cron expression: end of range (60) above maximum (59): 60"),
    ("* 24 * * *", "invalid cron expression: end of range (24) above maximum (23): 24"),
    ("* * 0 * *", "invalid cron expression: beginning of range (0) below minimum (1): 0"),
    ("* * 32 * *", "invalid cron expression: end of range (32) above maximum (31): 32"),
    ("* * * 13 *", "invalid cron expression: end of range (13) above maximum (12): 13"),
    ("* * * * 7", "invalid cron expression: end of range (7) above maximum (6): 7"),
    ("5-1 * * * *", "invalid cron expression: beginning of range (5) beyond end of range (1): 5-1"),
    ("1-2-3 * * * *", "invalid cron expression: too many hyphens: 1-2-3"),
    ("*/2/3 * * * *", "invalid cron expression: too many slashes: */2/3"),
    ("*/0 * * * *", "invalid cron expression: step of range should be a positive number: */0"),
    (
        "-1 * * * *",
        'invalid cron expression: failed to parse int from : strconv.Atoi: parsing "": invalid syntax',
    ),
    (
        "x * * * *",
        'invalid cron expression: failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax',
    ),
    (
        "* * * * monday",
        'invalid cron expression: failed to parse int from monday: strconv.Atoi: parsing "monday": invalid syntax',
    ),
    (
        "mon * * * *",
        'invalid cron expression: failed to parse int from mon: strconv.Atoi: parsing "mon": invalid syntax',
    ),
    (
        "1- * * * *",
        'invalid cron expression: failed to parse int from : strconv.Atoi: parsing "": invalid syntax',
    ),
    ("*/-1 * * * *", "invalid cron expression: negative number (-1) not allowed: -1"),
    (
        "L * * * *",
        'invalid cron expression: failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax',
    ),
    (
        "* * * * 1#2",
        'invalid cron expression: failed to parse int from 1#2: strconv.Atoi: parsing "1#2": invalid syntax',
    ),
    ("TZ=UTC * * * *", "invalid cron expression: expected exactly 5 fields, found 4: [* * * *]"),
    ("CRON_TZ=UTC * * * *", "invalid cron expression: expected exactly 5 fields, found 4: [* * * *]"),
    (
        "99999999999999999999 * * * *",
        'invalid cron expression: failed to parse int from 99999999999999999999: strconv.Atoi: parsing "99999999999999999999": value out of range',
    ),
]


@pytest.mark.parametrize("expr", VALID)
def test_valid_schedules_are_accepted(expr: str) -> None:
    assert schedule_error(expr) is None


@pytest.mark.parametrize(("expr", "message"), INVALID)
def test_invalid_schedules_get_the_reference_message(expr: str, message: str) -> None:
    with pytest.raises(ScheduleError) as exc_info:
        parse_schedule(expr)
    assert exc_info.value.message == message


def test_python_only_whitespace_is_not_a_separator() -> None:
    # \x1c is whitespace for str.split() but not for Go's strings.Fields: one field.
    assert schedule_error("*\x1c* * * *") is not None


@pytest.mark.parametrize(
    ("expr", "kind", "five", "every"),
    [
        ("  */15 * * * * ", "cron", "*/15 * * * *", None),
        ("@hourly", "shortcut", "0 * * * *", None),
        ("@weekly", "shortcut", "0 0 * * 0", None),
        ("@every 2H", "every", None, 7200),
        ("@every5m", "every", None, 300),
        ("@every +5m", "every", None, 300),
    ],
)
def test_parsed_schedule_exposes_what_backends_translate(
    expr: str, kind: str, five: str | None, every: int | None
) -> None:
    sched = parse_schedule(expr)
    assert sched.kind == kind
    assert sched.five_fields == five
    assert sched.every_seconds == every


def test_field_values_follow_ranges_steps_and_names() -> None:
    c = parse_schedule("5/20 1-10/3 */10 feb-apr mon,WED,5").cron
    assert c is not None
    assert sorted(c.minutes) == [5, 25, 45]
    assert sorted(c.hours) == [1, 4, 7, 10]
    assert sorted(c.days) == [1, 11, 21, 31]
    assert sorted(c.months) == [2, 3, 4]
    assert sorted(c.weekdays) == [1, 3, 5]
    assert c.dom_any and not c.dow_any and c.fixed_time


def test_empty_list_field_matches_nothing() -> None:
    c = parse_schedule(", * * * *").cron
    assert c is not None
    assert c.minutes == frozenset()
