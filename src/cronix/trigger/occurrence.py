"""The occurrence a remote scheduler says a fire is for (D-724), so its fire id names it.

``cronix trigger`` otherwise derives the occurrence from its own clock (the latest
scheduled instant in the last minute, :mod:`cronix.trigger.firetime`) — right for cron,
whose start is the minute, but not for a scheduler that may start a fire late or again:

* Kubernetes names every Job of a CronJob ``<cronjob>-<scheduled time in Unix minutes>``
  (the CronJob controller's naming; its ``batch.kubernetes.io/cronjob-scheduled-timestamp``
  annotation is on the Job only and never reaches the pod). The pod spec cronix writes
  passes the Job's name through the downward API (label ``batch.kubernetes.io/job-name``)
  as :data:`KUBERNETES_JOB_ENV`; a Job made by hand (``kubectl create job --from``) has
  another name and falls back to the clock.
* EventBridge Scheduler replaces ``<aws.scheduler.scheduled-time>`` in the schedule's
  ``Input`` by the time it was due, on every attempt (:func:`event_occurrence`).

Either way a retry, a second replica or a redeploy that re-runs the occurrence sends the
same ``X-Cron-Fire-Id``, and the SDK's claim store runs it once. Pure functions; no
imports beyond the trigger's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["KUBERNETES_JOB_ENV", "SCHEDULED_TIME_KEY", "event_occurrence", "kubernetes_occurrence"]

#: The Job's name in the pod (downward API of the pod label ``batch.kubernetes.io/job-name``).
KUBERNETES_JOB_ENV = "CRONIX_KUBERNETES_JOB"
#: The key of an EventBridge ``Input`` that carries ``<aws.scheduler.scheduled-time>``.
SCHEDULED_TIME_KEY = "scheduled_time"


def kubernetes_occurrence(app: str, job: str, environ: Mapping[str, str]) -> int | None:
    """Unix seconds of the occurrence a CronJob's Job ``cronix-<app>-<job>-<i>-<minutes>`` is for."""
    name = environ.get(KUBERNETES_JOB_ENV, "")
    prefix = f"cronix-{app}-{job}-"
    if not name.startswith(prefix):
        return None
    index, dash, minutes = name[len(prefix) :].partition("-")
    if not (dash and index.isascii() and index.isdigit() and minutes.isascii() and minutes.isdigit()):
        return None
    if len(index) > 2 or len(minutes) > 10:
        return None
    return int(minutes) * 60


def event_occurrence(event: Any) -> int | None:
    """Unix seconds of ``event["scheduled_time"]`` when EventBridge filled it in, else ``None``."""
    if isinstance(event, (str, bytes)):
        import json

        try:
            event = json.loads(event)
        except ValueError:
            return None
    text = event.get(SCHEDULED_TIME_KEY) if isinstance(event, dict) else None
    if not isinstance(text, str) or text.startswith("<"):  # not substituted (a test invoke)
        return None
    from cronix.trigger.firetime import parse_fire_time

    try:
        return parse_fire_time(text)
    except ValueError:
        return None
