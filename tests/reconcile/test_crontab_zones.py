"""A job in any zone fires at exactly its own times on a cron without ``CRON_TZ`` (issue 14 item 3).

The proof, for every minute of two years (2026 and 2027): the crontab line the backend
installs (:func:`cronix.backends.crontab_zones.host_line`), matched by a cron daemon in
the host's zone, then filtered by the trigger's own guard
(:func:`cronix.trigger.guard.guarded_occurrence`, called as cron starts it: a second after
the minute), fires exactly the occurrences :func:`cronix.protocol.firetimes.fire_times`
computes in the job's zone — no more, none missing, each for its own minute.

The cron daemon is modelled by the same :func:`fire_times`, in the host's zone: it
implements Debian cron's rules, DST included (a fixed-time line runs once in a repeated
hour and catches up after a gap; a wildcard line runs at every real instant); the real
daemon fires one guarded line in ``test_cron_e2e.py``. Zones with whole-, half- and
45-minute offsets, northern and southern DST, a 30-minute DST shift (Lord Howe), and
hosts in UTC and in zones with DST of their own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import takewhile
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cronix.backends.crontab_zones import host_line
from cronix.protocol.firetimes import fire_times
from cronix.protocol.manifest import Job, Request
from cronix.protocol.schedule import canonical_cron, parse_schedule
from cronix.trigger.guard import guarded_occurrence

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2028, 1, 1, tzinfo=UTC)
ZONES = [
    "America/New_York",  # whole hours, northern DST
    "Australia/Sydney",  # whole hours, southern DST (fall-back in April, spring-forward in October)
    "Asia/Kolkata",  # +05:30, no DST
    "America/St_Johns",  # -03:30 / -02:30
    "Australia/Lord_Howe",  # +10:30 / +11:00: a 30-minute DST shift
    "Asia/Kathmandu",  # +05:45, no DST
    "Pacific/Chatham",  # +12:45 / +13:45
    "Europe/London",
]
HOSTS = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]
#: (job zone, host zone) pairs proven over two years: every zone on a UTC host (the usual
#: Debian server), and hosts whose own zone has DST or a half-hour offset.
PAIRS = [(zone, "UTC") for zone in ZONES] + [
    ("America/New_York", "Europe/Berlin"),
    ("Australia/Sydney", "America/New_York"),
    ("Pacific/Chatham", "Europe/Berlin"),
    ("UTC", "Europe/Berlin"),
    ("America/St_Johns", "Asia/Kolkata"),
]
SCHEDULES = [
    "30 2 * * *",  # in New York's spring-forward gap once a year
    "30 1 * * *",  # in New York's repeated hour once a year
    "0 0 * * *",
    "15 9 * * 1-5",
    "0 */6 * * *",
    "*/30 * * * *",
    "45 23 31 * *",
    "0 0 1 1 *",
    "5 0,12 1,15 * 1",  # both day fields restricted: either matches
    "0 2 29 2 *",
]


def _until(times: object, end: datetime) -> list[datetime]:
    return list(takewhile(lambda t: t < end, times))  # type: ignore[arg-type]


def _fired(
    schedule: str, zone: str, host: str, start: datetime, end: datetime
) -> tuple[list[int], list[int]]:
    """(what the guarded line fires, what the schedule says), as Unix seconds."""
    cron5 = canonical_cron(parse_schedule(schedule).cron.raw)  # type: ignore[union-attr]
    line = host_line(cron5, zone, host, start)
    job = Job("j", (schedule,), Request("https://app.example/j"), timezone=zone)
    fired = []
    for started in _until(fire_times(line.fields, ZoneInfo(host), start - timedelta(seconds=1)), end):
        at = started.timestamp()
        when = guarded_occurrence(job, 0, at + 1.2) if line.guarded else int(at)
        if when is not None:
            assert when == int(at), (line, started)
            fired.append(when)
    want = [
        int(t.timestamp())
        for t in _until(fire_times(schedule, ZoneInfo(zone), start - timedelta(seconds=1)), end)
    ]
    return fired, want


@pytest.mark.parametrize(("zone", "host"), PAIRS)
def test_every_occurrence_fires_once_and_nothing_else_over_two_years(zone: str, host: str) -> None:
    for schedule in SCHEDULES:
        fired, want = _fired(schedule, zone, host, START, END)
        assert fired == want, (schedule, zone, host, sorted(set(fired) ^ set(want))[:5])


def test_a_fall_back_repeated_hour_fires_once() -> None:
    """01:30 happens twice in New York on 2026-11-01; the job runs at the first one only."""
    day = datetime(2026, 11, 1, 4, tzinfo=UTC)
    fired, want = _fired("30 1 * * *", "America/New_York", "UTC", day, day + timedelta(hours=4))
    assert fired == want == [int(datetime(2026, 11, 1, 5, 30, tzinfo=UTC).timestamp())]


def test_a_spring_forward_gap_fires_at_its_end() -> None:
    """02:30 does not exist in New York on 2026-03-08; Debian cron's rule runs it at 03:00 EDT."""
    day = datetime(2026, 3, 8, 5, tzinfo=UTC)
    fired, want = _fired("30 2 * * *", "America/New_York", "UTC", day, day + timedelta(hours=4))
    assert fired == want == [int(datetime(2026, 3, 8, 7, 0, tzinfo=UTC).timestamp())]


@pytest.mark.parametrize(
    ("schedule", "zone", "host", "line", "guarded"),
    [
        ("30 7 * * *", "America/New_York", "UTC", "30 11,12 * * *", True),  # widened only where needed
        ("*/15 * * * *", "Asia/Kolkata", "UTC", "*/15 * * * *", True),  # a wildcard keeps its text
        ("0 9 * * 1-5", "Asia/Kathmandu", "UTC", "15 3 * * 1-5", True),  # one offset: one time
        ("0 23 * * 5", "America/New_York", "UTC", "0 3,4 * * 6", True),  # over midnight: the next weekday
        ("0 0 1 * *", "Pacific/Chatham", "UTC", "15 10,11 28-31 * *", True),  # the day before: a month end
        ("30 1 * * *", "UTC", "Europe/Berlin", "30 * * * *", True),  # 01:30 UTC is in Berlin's second 02:xx
        ("0 2 * * *", "Europe/Berlin", "Europe/Paris", "0 2 * * *", False),  # the same offsets: no guard
    ],
)
def test_the_installed_line(schedule: str, zone: str, host: str, line: str, guarded: bool) -> None:
    assert host_line(schedule, zone, host, START) == (line, guarded)


_field = st.sampled_from(["*", "0", "5", "30", "45", "0,30", "*/15", "1-5", "*/20"])
_hour = st.sampled_from(["*", "0", "1", "2", "3", "12", "23", "1-3", "*/6", "0,12"])
_dom = st.sampled_from(["*", "1", "15", "28", "31", "1,15", "29"])
_month = st.sampled_from(["*", "1", "2", "3", "10", "11", "12", "3,10"])
_dow = st.sampled_from(["*", "0", "1", "5", "6", "1-5", "0,6"])


@settings(max_examples=60, deadline=None)
@given(
    minute=_field,
    hour=_hour,
    dom=_dom,
    month=_month,
    dow=_dow,
    zone=st.sampled_from(ZONES),
    host=st.sampled_from(HOSTS),
)
def test_random_schedules_over_a_year(
    minute: str, hour: str, dom: str, month: str, dow: str, zone: str, host: str
) -> None:
    schedule = f"{minute} {hour} {dom} {month} {dow}"
    if minute.startswith("*") and hour.startswith("*") and minute != "*/20":
        return  # dense: the table above covers the shape; keep the property fast
    fired, want = _fired(schedule, zone, host, START, START + timedelta(days=366))
    assert fired == want, (schedule, zone, host, sorted(set(fired) ^ set(want))[:5])
