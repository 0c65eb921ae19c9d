"""``cronix trigger --guard N``: fire only at an occurrence of schedule ``N`` (D-725).

A crontab entry of a job whose timezone is not the cron daemon's is installed at every
host time that *can* be an occurrence (:mod:`cronix.backends.crontab_zones`); most of
those starts are not one. The guard answers, from the trigger's own clock, whether this
start is the occurrence of schedule ``N`` in the job's zone within the last minute (cron
starts a job a second or two after the minute): yes — that instant is the fire's
intended time and its fire id; no — the fire ends at once with exit 0, nothing on
stdout (no cron mail), one ``skipped`` record in the run log. It runs right after the
spec file is read, before secrets, locks or the network, so a skip costs the
interpreter's start and one look at the schedule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cronix.trigger.firetime import scheduled_in_window

if TYPE_CHECKING:
    from cronix.protocol.manifest import Job

__all__ = ["guarded_occurrence", "skip_reason"]


def guarded_occurrence(job: Job, index: int, now: float) -> int | None:
    """The occurrence of ``job.schedules[index]`` this start is for, or ``None`` (skip it)."""
    if not 0 <= index < len(job.schedules):
        return None
    return scheduled_in_window([job.schedules[index]], job.timezone, now)


def skip_reason(job: Job, index: int, now: float) -> str:
    """The run log's ``detail`` for a skipped start (the minute, the schedule, the zone)."""
    import time

    minute = time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(now))
    if not 0 <= index < len(job.schedules):
        return f"--guard {index}: the job has {len(job.schedules)} schedule(s)"
    return f"{minute} is not an occurrence of {job.schedules[index]!r} in {job.timezone}"
