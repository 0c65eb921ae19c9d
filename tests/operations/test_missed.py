"""Missed occurrences (issue 15 item 2): expected fire times from the job's own schedule and zone,
answered by the run that carries the occurrence's scheduled time, else by a start within grace.

Pure functions over runs; the schedules are real cron expressions evaluated by
:mod:`cronix.protocol.firetimes` (weekdays only, a zone with DST, a declared pause, jitter).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cronix.operations.missed import (
    CLOCK_SKEW,
    expected_next,
    expected_occurrences,
    longest_run,
    missed_occurrences,
)
from cronix.protocol.fireid import parse_fire_id
from cronix.protocol.manifest import Job, Policy, Request, Retries
from cronix.runlog import HistoryRun

GRACE = timedelta(minutes=5)


def _job(*schedules: str, tz: str = "UTC", enabled: bool = True, jitter: int = 0) -> Job:
    policy = Policy(timeout_seconds=30, retries=Retries(max_attempts=1), jitter_seconds=jitter)
    return Job("report", schedules, Request("https://example.com/r"), tz, policy, enabled=enabled)


def _run(
    started: datetime, status: str = "ok", fire_time: datetime | None = None, run_id: str | None = None
) -> HistoryRun:
    return HistoryRun(
        "billing",
        "report",
        run_id or f"r-{started.timestamp()}-{status}",
        1,
        started,
        started + timedelta(seconds=2),
        status,
        "runlog",
        fire_time=fire_time,
    )


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_weekdays_only_in_the_jobs_zone_expects_no_weekend_and_finds_the_one_gap() -> None:
    job = _job("30 9 * * mon-fri", tz="Europe/Paris")
    since, now = _at("2026-03-23T00:00:00+00:00"), _at("2026-03-30T12:00:00+00:00")  # Mon .. next Mon
    expected = [t for t, _ in expected_occurrences(job, since, now)]
    # Paris is UTC+1 until the 29th (DST starts), so 09:30 local is 08:30Z that week; the next
    # Monday is 07:30Z. No Saturday or Sunday.
    assert [t.isoformat() for t in expected] == [
        "2026-03-23T08:30:00+00:00",
        "2026-03-24T08:30:00+00:00",
        "2026-03-25T08:30:00+00:00",
        "2026-03-26T08:30:00+00:00",
        "2026-03-27T08:30:00+00:00",
        "2026-03-30T07:30:00+00:00",
    ]
    runs = [_run(t + timedelta(seconds=1), fire_time=t) for t in expected if t.day != 25]
    missed = missed_occurrences("billing", job, runs, since=since, now=now, grace=GRACE)
    assert [(m.scheduled.isoformat(), m.last) for m in missed] == [("2026-03-25T08:30:00+00:00", "none")]
    fire = parse_fire_id(missed[0].fire_id)
    assert (fire.target, fire.index, fire.scheduled) == ("billing.report", 0, int(expected[2].timestamp()))


def test_the_scheduled_time_answers_its_occurrence_whenever_the_run_started() -> None:
    job = _job("0 * * * *")
    since, now = _at("2026-01-01T00:30:00Z"), _at("2026-01-01T04:00:00Z")
    one, two, three = _at("2026-01-01T01:00:00Z"), _at("2026-01-01T02:00:00Z"), _at("2026-01-01T03:00:00Z")
    runs = [
        _run(one + timedelta(hours=2), fire_time=one),  # a backfill of 01:00, run at 03:00
        _run(two, status="failed", fire_time=two),
        _run(three + timedelta(seconds=3), status="lock-contended", fire_time=three),
    ]
    missed = missed_occurrences("billing", job, runs, since=since, now=now, grace=GRACE)
    # The 03:00 run started within grace but says it is another occurrence's: no start-time guess.
    assert [(m.scheduled, m.last) for m in missed] == [(two, "failed"), (three, "lock-contended")]


def test_without_a_scheduled_time_a_start_within_grace_answers_one_occurrence() -> None:
    job = _job("* * * * *")
    since, now = _at("2026-01-01T00:00:30Z"), _at("2026-01-01T00:20:00Z")
    runs = [_run(_at("2026-01-01T00:01:10Z")), _run(_at("2026-01-01T00:04:00Z"), status="failed")]
    missed = missed_occurrences("billing", job, runs, since=since, now=now, grace=GRACE)
    cutoff = now - GRACE - longest_run(job)
    assert missed[-1].scheduled <= cutoff < missed[-1].scheduled + timedelta(minutes=1)
    # 00:01 is answered by the run that started 70 s late; no other occurrence takes that run.
    assert _at("2026-01-01T00:01:00Z") not in [m.scheduled for m in missed]
    assert [m.scheduled.minute for m in missed] == [2, 3, *range(4, cutoff.minute + 1)]
    # A failed run within an occurrence's window is what was recorded for it.
    assert {m.scheduled.minute: m.last for m in missed}[4] == "failed"
    late = [_run(_at("2026-01-01T00:07:01Z")), _run(_at("2026-01-01T00:58:59Z") - CLOCK_SKEW)]
    hourly = _job("0 * * * *")
    gone = missed_occurrences(
        "billing",
        hourly,
        late,
        since=_at("2025-12-31T23:30:00Z"),
        now=_at("2026-01-01T02:00:00Z"),
        grace=GRACE,
    )
    # 00:00 started 7 min late (too late); 01:00's run started 61 s early (beyond the clock skew).
    assert [m.scheduled for m in gone] == [_at("2026-01-01T00:00:00Z"), _at("2026-01-01T01:00:00Z")]


def test_jitter_widens_the_window_and_a_declared_pause_expects_nothing() -> None:
    since, now = _at("2025-12-31T23:30:00Z"), _at("2026-01-01T02:00:00Z")
    run = [_run(_at("2026-01-01T00:09:00Z"))]  # 9 minutes late
    assert len(missed_occurrences("billing", _job("@daily"), run, since=since, now=now, grace=GRACE)) == 1
    jittered = _job("@daily", jitter=300)
    assert missed_occurrences("billing", jittered, run, since=since, now=now, grace=GRACE) == []
    paused = _job("* * * * *", enabled=False)
    assert missed_occurrences("billing", paused, [], since=since, now=now, grace=GRACE) == []
    assert expected_next(jittered, now) == _at("2026-01-02T00:00:00Z")


def test_an_occurrence_whose_run_may_still_be_going_is_not_judged() -> None:
    job = _job("0 * * * *")
    now = _at("2026-01-01T01:05:00Z")  # 01:00 fired 5 minutes ago: grace + a 30 s run not over yet
    missed = missed_occurrences("billing", job, [], since=_at("2026-01-01T00:30:00Z"), now=now, grace=GRACE)
    assert missed == []
    later = now + longest_run(job) + timedelta(seconds=1)
    missed = missed_occurrences("billing", job, [], since=_at("2026-01-01T00:30:00Z"), now=later, grace=GRACE)
    assert [m.scheduled for m in missed] == [_at("2026-01-01T01:00:00Z")]


def test_two_schedules_at_one_instant_need_two_runs() -> None:
    job = _job("0 6 * * *", "0 */6 * * *")
    since, now = _at("2026-01-01T05:00:00Z"), _at("2026-01-01T07:00:00Z")
    six = _at("2026-01-01T06:00:00Z")
    one = missed_occurrences("billing", job, [_run(six, fire_time=six)], since=since, now=now, grace=GRACE)
    assert [(m.index, m.scheduled) for m in one] == [(1, six)]
    both = [_run(six, fire_time=six, run_id="a"), _run(six, fire_time=six, run_id="b")]
    assert missed_occurrences("billing", job, both, since=since, now=now, grace=GRACE) == []


@given(st.sets(st.integers(0, 47)))
def test_exactly_the_occurrences_without_a_successful_record_are_missed(ran: set[int]) -> None:
    job = _job("*/30 * * * *")
    since = _at("2026-01-01T00:00:00Z") - timedelta(seconds=1)
    slots = [since + timedelta(seconds=1, minutes=30 * i) for i in range(48)]
    now = slots[-1] + timedelta(minutes=20)  # the last slot is judged, the next one is not due
    runs = [_run(slots[i] + timedelta(seconds=5), fire_time=slots[i]) for i in sorted(ran)]
    missed = missed_occurrences("billing", job, runs, since=since, now=now, grace=GRACE)
    assert [m.scheduled for m in missed] == [slots[i] for i in range(48) if i not in ran]
