"""Prometheus alert rules derived from each job's own schedule: missed, failed, running too long.

Pure functions from a job to the rule group YAML objects ``cronix apply`` writes
(:mod:`cronix.reconcile.rules_file` stores them). The series are the trigger's
(:mod:`cronix.protocol.metrics`); why these expressions are right (``spec/DECISIONS.md``
D-702, ``docs/monitoring.md``):

**Missed.** After every fire the trigger exports the next occurrence the job's schedules
expect after the one it served (``next_fire``, computed by
:func:`cronix.protocol.firetimes.next_fire_after` in the job's timezone — the same code that
says when the job fires). So ``time() - next_fire > start_grace`` holds exactly when an
expected occurrence has passed by more than the grace without any fire serving it, for any
calendar: on a weekdays-only job the Friday fire exports Monday's occurrence, and nothing
is due over the weekend. The series carries the ``schedule_hash`` of what it was computed
from, and the rule selects only the hash of the job's current schedules. Until the first
fire under them there is no such series; then the rule compares the clock with the first
occurrence after the schedules were applied (``cronix_first_expected``, kept from apply to
apply while they do not change), so a job that never fires is missed too — and so is one
whose series has been gone for the grace (at most :data:`ABSENT_WINDOW_SECONDS`): its
exporter vanished, and nothing says that it ran.

**Failed.** ``last_failure > last_success``: the latest finished run failed (it clears with
the next success). **Running too long.** ``running == 1`` and the run began longer ago than
the longest a fire may take under its policy (:func:`~cronix.protocol.runbounds.longest_fire_seconds`)
plus ``run_grace``: the trigger bounds every attempt and backoff, so a run past that is
stuck or was killed without ending.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from cronix.protocol import metrics as m
from cronix.protocol.runbounds import longest_fire_seconds

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cronix.protocol.manifest import Job

__all__ = [
    "ABSENT_WINDOW_SECONDS",
    "FAILED",
    "FIRST_EXPECTED",
    "MANAGED",
    "MISSED",
    "RUNNING_TOO_LONG",
    "SCHEDULE_HASH",
    "Graces",
    "JobRules",
    "first_expected",
    "format_utc",
    "parse_utc",
    "rules_for",
]

MISSED: Final = "CronixJobMissed"
FAILED: Final = "CronixJobFailed"
RUNNING_TOO_LONG: Final = "CronixJobRunningTooLong"
#: Annotations cronix puts on every rule it writes: the ownership marker (``<app>.<job>``),
#: and on the missed rule what its occurrences were computed from.
MANAGED: Final = "cronix_managed"
SCHEDULE_HASH: Final = "cronix_schedule_hash"
FIRST_EXPECTED: Final = "cronix_first_expected"
#: How long the next-fire series must be gone before the missed rule falls back to the first
#: occurrence after apply: the start grace, at most an hour (a longer range costs the server).
ABSENT_WINDOW_SECONDS: Final = 3600


@dataclass(frozen=True, slots=True)
class Graces:
    """The job's graces: the manifest's ``monitoring`` where given, else cronix.yaml's ``monitor``."""

    start: int
    run: int

    @classmethod
    def of(cls, job: Job, default_start: int, default_run: int) -> Graces:
        mon = job.monitoring
        start = mon.start_grace_seconds if mon is not None and mon.start_grace_seconds is not None else None
        run = mon.run_grace_seconds if mon is not None and mon.run_grace_seconds is not None else None
        return cls(default_start if start is None else start, default_run if run is None else run)


@dataclass(frozen=True, slots=True)
class JobRules:
    """The rules of one job, and the first occurrence its missed rule counts from (``None``: never)."""

    app: str
    job: str
    rules: list[dict[str, Any]]
    first_expected: int | None


def format_utc(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: object) -> int | None:
    if not isinstance(text, str):
        return None
    try:
        return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())
    except ValueError:
        return None


def first_expected(job: Job, after: datetime) -> int | None:
    """The first occurrence of the job strictly after ``after`` (Unix seconds); ``None``: never."""
    from zoneinfo import ZoneInfo

    from cronix.protocol.firetimes import next_fire_after

    first = next_fire_after(job.schedules, ZoneInfo(job.timezone), after)
    return int(first.timestamp()) if first is not None else None


def _duration(seconds: int) -> str:
    """A Prometheus duration for text: ``5m``, ``1h30m``, ``45s``."""
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out or "0s"


def rules_for(
    app: str,
    job: Job,
    graces: Graces,
    first: int | None,
    labels: Mapping[str, str],
    *,
    paused: bool = False,
) -> JobRules:
    """The three rules of ``app.job``; ``first`` is the first occurrence the missed rule counts from.

    A paused job (or one whose schedules never fire) gets no missed rule: nothing is expected.
    """
    who = f"{app}.{job.name}"
    sel = f'{m.APP}="{app}",{m.JOB}="{job.name}"'
    key = m.schedule_hash(job.schedules, job.timezone)
    where = f"{'; '.join(job.schedules)} in {job.timezone}"
    alert_labels = {**labels, m.APP: app, m.JOB: job.name}
    marker = {MANAGED: who}
    rules: list[dict[str, Any]] = []
    if first is not None and not paused:
        nxt = f'{m.NEXT_FIRE}{{{sel},{m.SCHEDULE}="{key}"}}'
        # Without the series for a whole window (never fired, or its exporter is gone), the
        # first occurrence after apply is the one that is due.
        window = min(graces.start, ABSENT_WINDOW_SECONDS)
        # Any host's fire serves the occurrence (HA hosts behind a lock all export it), and a
        # host that stopped firing the job must not hold the alert: the newest value counts.
        latest = f"max by ({m.APP}, {m.JOB}, {m.SCHEDULE}) ({nxt})"
        expr = (
            f"(time() - {latest} > {graces.start})"
            f" or on() ((vector(time()) - {first} > {graces.start})"
            f" unless on() count(last_over_time({nxt}[{window}s])))"
        )
        rules.append(
            {
                "alert": MISSED,
                "expr": expr,
                "labels": alert_labels,
                "annotations": {
                    "summary": f"{who} missed a run",
                    "description": (
                        f"No fire of {who} ({where}) started within {_duration(graces.start)} of an "
                        "expected occurrence; the oldest one unserved is {{ $value | humanizeDuration }} old."
                    ),
                    **marker,
                    SCHEDULE_HASH: key,
                    FIRST_EXPECTED: format_utc(first),
                },
            }
        )
    rules.append(
        {
            "alert": FAILED,
            "expr": f"{m.LAST_FAILURE}{{{sel}}} > {m.LAST_SUCCESS}{{{sel}}}",
            "labels": alert_labels,
            "annotations": {
                "summary": f"{who} failed",
                "description": (
                    f"The latest run of {who} failed ({{{{ $value | humanizeTimestamp }}}}); see "
                    f"cronix history {who} --status failed."
                ),
                **marker,
            },
        }
    )
    bound = math.ceil(longest_fire_seconds(job.policy)) + graces.run
    rules.append(
        {
            "alert": RUNNING_TOO_LONG,
            "expr": f"(time() - {m.LAST_START}{{{sel}}} > {bound}) and {m.RUNNING}{{{sel}}} == 1",
            "labels": alert_labels,
            "annotations": {
                "summary": f"{who} is running too long",
                "description": (
                    f"A run of {who} has been going for {{{{ $value | humanizeDuration }}}}, longer than its "
                    f"policy allows ({_duration(bound)} with every attempt, backoff and grace): stuck, or "
                    "killed before it could finish."
                ),
                **marker,
            },
        }
    )
    return JobRules(app, job.name, rules, first)
