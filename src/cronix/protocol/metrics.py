"""The metrics contract: what ``cronix trigger`` exports, and what the alert rules of ``cronix apply`` read.

Both sides import this module — the writer (:mod:`cronix.trigger.metrics`) and the rules
(:mod:`cronix.reconcile.alert_rules`) — so a series name or a label changed here changes both at
once. Per job (labels ``app`` and ``job_name``; never ``job``, which Prometheus sets to the
scrape job), in the Prometheus text format (``docs/monitoring.md``):

=============================================  =======  ===========================================
series                                         type     value
=============================================  =======  ===========================================
``cronix_job_last_start_timestamp_seconds``    gauge    when the latest run passed its lock and began
``cronix_job_last_success_timestamp_seconds``  gauge    when the latest successful run ended (0: never)
``cronix_job_last_failure_timestamp_seconds``  gauge    when the latest failed run ended (0: never)
``cronix_job_duration_seconds``                gauge    how long the latest finished run took
``cronix_job_runs_total{outcome}``             counter  finished fires by outcome
``cronix_job_running``                         gauge    1 while a run that passed its lock is going
``cronix_job_last_fire_timestamp_seconds``     gauge    the occurrence the latest fire served
``cronix_job_next_fire_timestamp_seconds``     gauge    the next expected occurrence after it
=============================================  =======  ===========================================

The next expected occurrence carries ``schedule_hash`` (:func:`schedule_hash` of the
schedules and timezone it was computed from), so a rule written for one schedule never
reads a value computed from another.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "APP",
    "DURATION",
    "FAILURE_OUTCOMES",
    "HELP",
    "JOB",
    "LAST_FAILURE",
    "LAST_FIRE",
    "LAST_START",
    "LAST_SUCCESS",
    "NEXT_FIRE",
    "OUTCOME",
    "OUTCOMES",
    "RUNNING",
    "RUNS",
    "SCHEDULE",
    "schedule_hash",
]

LAST_START: Final = "cronix_job_last_start_timestamp_seconds"
LAST_SUCCESS: Final = "cronix_job_last_success_timestamp_seconds"
LAST_FAILURE: Final = "cronix_job_last_failure_timestamp_seconds"
DURATION: Final = "cronix_job_duration_seconds"
RUNS: Final = "cronix_job_runs_total"
RUNNING: Final = "cronix_job_running"
LAST_FIRE: Final = "cronix_job_last_fire_timestamp_seconds"
NEXT_FIRE: Final = "cronix_job_next_fire_timestamp_seconds"

APP: Final = "app"
JOB: Final = "job_name"
OUTCOME: Final = "outcome"
SCHEDULE: Final = "schedule_hash"

#: Every outcome a fire ends with (the trigger's vocabulary, ``FireResult.outcome``); each
#: has a ``runs_total`` series from the first fire on, so ``increase()`` sees the first one.
OUTCOMES: Final = (
    "success",
    "app_rejected",
    "retries_exhausted",
    "internal_error",
    "lock_contended",
    "lock_lost",
    "terminated",
)
#: The outcomes that set ``last_failure``: all but success and a lock held by another fire
#: (that fire is the run; the contended one only says the scheduler fired).
FAILURE_OUTCOMES: Final = frozenset(OUTCOMES) - {"success", "lock_contended"}

#: name → (type, help), in the order the trigger writes them.
HELP: Final[dict[str, tuple[str, str]]] = {
    LAST_START: ("gauge", "When the latest run of the job passed its lock and began (Unix seconds)."),
    LAST_SUCCESS: ("gauge", "When the latest successful run of the job ended (Unix seconds, 0: never)."),
    LAST_FAILURE: ("gauge", "When the latest failed run of the job ended (Unix seconds, 0: never)."),
    DURATION: ("gauge", "How long the latest finished run of the job took, in seconds."),
    RUNS: ("counter", "Finished fires of the job by outcome."),
    RUNNING: ("gauge", "1 while a run of the job that passed its lock is in progress, else 0."),
    LAST_FIRE: ("gauge", "The scheduled time of the occurrence the latest fire served (Unix seconds)."),
    NEXT_FIRE: ("gauge", "The next occurrence the job's schedules expect after that one (Unix seconds)."),
}


def schedule_hash(schedules: Sequence[str], timezone: str) -> str:
    """16 hex digits naming what an expected occurrence was computed from."""
    text = json.dumps([timezone, list(schedules)], separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
