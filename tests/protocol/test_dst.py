"""DST transitions and the schedule times they skip or repeat (:mod:`cronix.protocol.dst`).

The expectations are the tz database's published transitions (Europe/Berlin: last Sunday
of March and October at 01:00 UTC; Australia/Lord_Howe: a 30-minute shift; America/Santiago:
the southern hemisphere's reversed seasons), and each event is cross-checked against the
fire times :mod:`cronix.protocol.firetimes` computes, so the two modules cannot disagree.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cronix.protocol.dst import dst_events, transitions
from cronix.protocol.firetimes import next_fire_times

START = datetime(2026, 12, 1, tzinfo=UTC)
END = START + timedelta(days=366)
BERLIN = ZoneInfo("Europe/Berlin")


def test_berlin_transitions_are_found_to_the_second() -> None:
    found = transitions(BERLIN, START, END)
    assert [(t.at, t.is_gap) for t in found] == [
        (datetime(2027, 3, 28, 1, 0, tzinfo=UTC), True),
        (datetime(2027, 10, 31, 1, 0, tzinfo=UTC), False),
    ]
    spring = found[0]
    assert (spring.local_from.hour, spring.local_to.hour) == (2, 3)


def test_fixed_time_job_in_the_gap_is_moved_and_in_the_repeat_runs_once() -> None:
    skipped, repeated = dst_events("30 2 * * *", BERLIN, START, END)
    assert (skipped.kind, skipped.day.isoformat(), skipped.fixed_time) == ("skipped", "2027-03-28", True)
    assert "02:30 does not exist on 2027-03-28" in skipped.describe("Europe/Berlin")
    assert "runs it at 03:00 instead" in skipped.describe("Europe/Berlin")
    assert (repeated.kind, repeated.day.isoformat()) == ("repeated", "2027-10-31")
    assert "runs it once" in repeated.describe("Europe/Berlin")
    # What firetimes does on those days agrees: 03:00 on the spring day, one 02:30 in autumn.
    spring = next_fire_times("30 2 * * *", BERLIN, datetime(2027, 3, 27, 12, tzinfo=UTC), 1)[0]
    assert (spring.hour, spring.minute) == (3, 0)
    autumn = next_fire_times("30 2 * * *", BERLIN, datetime(2027, 10, 30, 12, tzinfo=UTC), 2)
    assert [t.date().isoformat() for t in autumn] == ["2027-10-31", "2027-11-01"]


def test_hourly_job_loses_a_run_and_gains_one() -> None:
    skipped, repeated = dst_events("30 * * * *", BERLIN, START, END)
    assert [t.strftime("%H:%M") for t in skipped.times] == ["02:30"]
    assert "cron does not run it then" in skipped.describe("Europe/Berlin")
    assert "cron runs it twice" in repeated.describe("Europe/Berlin")
    day = next_fire_times("30 * * * *", BERLIN, datetime(2027, 10, 30, 23, tzinfo=UTC), 4)
    assert [t.strftime("%H:%M") for t in day] == ["01:30", "02:30", "02:30", "03:30"]


def test_several_times_in_one_gap_are_listed() -> None:
    (skipped, _) = dst_events("*/15 2 * * *", BERLIN, START, END)
    assert [t.strftime("%H:%M") for t in skipped.times] == ["02:00", "02:15", "02:30", "02:45"]
    assert "local times 02:00, 02:15, 02:30 and 1 more do not exist" in skipped.describe("Europe/Berlin")


@pytest.mark.parametrize("schedule", ["0 12 * * *", "@every 5m", "0 2 * * 1"])
def test_schedules_away_from_the_change_have_none(schedule: str) -> None:
    # 2027-03-28 and 2027-10-31 are Sundays: a Monday 02:00 job never meets them.
    assert dst_events(schedule, BERLIN, START, END) == []


def test_utc_has_no_transitions() -> None:
    assert transitions(UTC, START, END) == []
    assert dst_events("30 2 * * *", ZoneInfo("UTC"), START, END) == []


def test_half_hour_shift_of_lord_howe() -> None:
    tz = ZoneInfo("Australia/Lord_Howe")
    found = transitions(tz, START, END)
    assert {t.after - t.before for t in found} == {timedelta(minutes=30), timedelta(minutes=-30)}
    # Back from 02:00 to 01:30 in April (01:45 repeats), forward from 02:00 to 02:30 in October.
    (repeat,) = dst_events("45 1 * * *", tz, START, END)
    (gap,) = dst_events("15 2 * * *", tz, START, END)
    assert (repeat.kind, repeat.day.month, gap.kind, gap.day.month) == ("repeated", 4, "skipped", 10)
    assert "clocks go forward from 02:00 to 02:30" in gap.describe("Australia/Lord_Howe")


def test_southern_hemisphere_falls_back_in_april() -> None:
    events = dst_events("30 23 * * *", ZoneInfo("America/Santiago"), START, END)
    # Chile changes at 24:00 local: 23:30 repeats in April, and the September gap is 00:00-01:00.
    assert [(e.kind, e.day.month) for e in events] == [("repeated", 4)]
