"""Missed occurrences: expected fire times of a job with no successful run recorded for them.

The expectation comes from the schedule that drives execution (:mod:`cronix.protocol.firetimes`
in the job's own zone, so weekdays-only, DST gaps and repeated hours are right), not from a
second copy of it in a monitoring tool. A run answers an occurrence when

* its record carries the scheduled time (the run log's ``fire_time``, the instant in the
  occurrence's fire id ``<app>.<job>#<index>@<time>``): exactly that occurrence; or
* it does not (journald lines, a backend's native history): it *started* within
  ``[scheduled - CLOCK_SKEW, scheduled + jitter + grace]``, earliest run first, each run
  answering one occurrence.

An occurrence is only judged once its run must have finished and been recorded: the run log
is written when a run ends, so the cut-off is ``now - (jitter + grace + longest run)``.
Declared pauses expect nothing (D-753). Pure functions over runs: no I/O here.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from cronix.protocol.fireid import format_fire_id
from cronix.protocol.firetimes import fire_times, next_fire_times

if TYPE_CHECKING:
    from collections.abc import Iterable

    from cronix.protocol.manifest import Job
    from cronix.runlog import HistoryRun

__all__ = [
    "CLOCK_SKEW",
    "Missed",
    "expected_next",
    "expected_occurrences",
    "longest_run",
    "missed_occurrences",
]

#: A run recorded as starting a little *before* its occurrence (clocks of two hosts) still counts.
CLOCK_SKEW = timedelta(seconds=60)
#: The status history gives a successful run (``cronix.runlog``).
SUCCESS = "ok"


@dataclass(frozen=True, slots=True)
class Missed:
    """One expected occurrence without a successful run; ``last`` is what was recorded instead."""

    app: str
    job: str
    index: int
    schedule: str
    scheduled: datetime
    #: ``"none"``: no run recorded at all; else the status of the run that answered it (``failed``…).
    last: str = "none"

    @property
    def fire_id(self) -> str:
        return format_fire_id(self.app, self.job, self.index, int(self.scheduled.timestamp()))

    def as_json(self) -> dict[str, Any]:
        from cronix.runlog import format_time

        return {
            "app": self.app,
            "job": self.job,
            "index": self.index,
            "schedule": self.schedule,
            "scheduled": format_time(self.scheduled),
            "fire_id": self.fire_id,
            "last": self.last,
        }


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def expected_next(job: Job, after: datetime) -> datetime | None:
    """The job's next occurrence strictly after ``after`` over all its schedules (UTC)."""
    zone = _zone(job.timezone)
    times = [t for s in job.schedules for t in next_fire_times(s, zone, after, 1)]
    return min(times).astimezone(UTC) if times else None


def longest_run(job: Job) -> timedelta:
    """How long one fire can take before its record is written: every attempt timing out, with
    the longest back-off between attempts."""
    p = job.policy
    attempts = max(1, p.retries.max_attempts)
    return timedelta(seconds=p.timeout_seconds * attempts + p.retries.max_seconds * (attempts - 1))


def expected_occurrences(job: Job, since: datetime, until: datetime) -> list[tuple[datetime, int]]:
    """``(scheduled UTC instant, schedule index)`` of every occurrence in ``(since, until]``, in order."""
    zone = _zone(job.timezone)
    out: list[tuple[datetime, int]] = []
    for index, schedule in enumerate(job.schedules):
        for when in fire_times(schedule, zone, since):
            if when > until:
                break
            out.append((when.astimezone(UTC), index))
    out.sort()
    return out


def missed_occurrences(
    app: str,
    job: Job,
    runs: Iterable[HistoryRun],
    *,
    since: datetime,
    now: datetime,
    grace: timedelta,
) -> list[Missed]:
    """The occurrences of ``job`` in ``(since, cut-off]`` that no successful run answers."""
    if not job.enabled:
        return []
    window = timedelta(seconds=job.policy.jitter_seconds) + grace
    until = now - window - longest_run(job)
    if until <= since:
        return []
    timed: dict[int, list[str]] = {}  # scheduled second -> statuses recorded for it
    untimed_ok: list[datetime] = []
    untimed_other: list[tuple[datetime, str]] = []
    for run in runs:
        if run.fire_time is not None:
            timed.setdefault(int(run.fire_time.timestamp()), []).append(run.status)
        elif run.started_at is not None:
            if run.status == SUCCESS:
                untimed_ok.append(run.started_at)
            else:
                untimed_other.append((run.started_at, run.status))
    untimed_ok.sort()
    untimed_other.sort()
    other_starts = [t for t, _ in untimed_other]
    missed: list[Missed] = []
    next_ok = 0
    for when, index in expected_occurrences(job, since, until):
        statuses = timed.get(int(when.timestamp()))
        if statuses and SUCCESS in statuses:
            statuses.remove(SUCCESS)  # one run answers one occurrence (two schedules, same instant)
            continue
        earliest, latest = when - CLOCK_SKEW, when + window
        while next_ok < len(untimed_ok) and untimed_ok[next_ok] < earliest:
            next_ok += 1
        if next_ok < len(untimed_ok) and untimed_ok[next_ok] <= latest:
            next_ok += 1
            continue
        last = statuses[-1] if statuses else "none"
        if last == "none":
            i = bisect.bisect_left(other_starts, earliest)
            if i < len(other_starts) and other_starts[i] <= latest:
                last = untimed_other[i][1]
        missed.append(Missed(app, job.name, index, job.schedules[index], when, last))
    return missed
