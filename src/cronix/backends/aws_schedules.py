"""EventBridge schedules as cronix writes and reads them: names, the marker, the request, the live copy.

Pure functions over values (no boto3), shared by the backend, its seeder and the tests.

Per ``(app, job, index)`` one schedule (reference reconciler §3.4.1, plus what the
reference leaves out)::

    Name                        cronix-<app>-<job>-<index>          (≤ 64 characters)
    GroupName                   the configured schedule group
    Description                 cronix-managed app=<app> job=<job> idx=<index> hash=<hash16>
    ScheduleExpression          cron(…) / rate(…)  (cronix.backends.aws_expressions)
    ScheduleExpressionTimezone  the job's zone (UTC for @every)
    FlexibleTimeWindow          {"Mode": "OFF"}, or FLEXIBLE over policy.jitter_seconds (D-723)
    State                       ENABLED, or DISABLED for a paused job (enabled: false, D-721)
    Target.Arn / RoleArn        the configured target (the cronix Lambda) and role
    Target.Input                the compact trigger spec (FireSpec.spec_json(index)) with
                                "scheduled_time":"<aws.scheduler.scheduled-time>", which
                                EventBridge replaces by the occurrence (D-724)
    Target.RetryPolicy          {MaximumRetryAttempts, MaximumEventAgeInSeconds}
    Target.DeadLetterConfig     {"Arn": <SQS queue>} when configured

The ``Description`` marker is the reference's, byte for byte, so either implementation
recognises the other's schedules. Schedules cannot carry tags in EventBridge Scheduler
(only groups can): the marker is the ownership record, and a group cronix creates is
tagged ``managed-by=cronix``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cronix.protocol.identifiers import is_valid_id
from cronix.protocol.ownership import RESOURCE_PREFIX, resource_name

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cronix.backends.aws_expressions import AwsExpression
    from cronix.backends.aws_options import AwsSchedulerOptions

__all__ = [
    "GROUP_TAGS",
    "MARKER_PREFIX",
    "MAX_NAME_LENGTH",
    "LiveSchedule",
    "Marker",
    "flexible_window",
    "name_prefix",
    "parse_marker",
    "render_marker",
    "render_request",
    "schedule_input",
    "schedule_name",
]

MARKER_PREFIX = "cronix-managed"
MAX_NAME_LENGTH = 64
GROUP_TAGS = ({"Key": "managed-by", "Value": "cronix"},)
_HASH = re.compile(r"[0-9a-f]{1,64}")
schedule_name = resource_name


@dataclass(frozen=True, slots=True)
class Marker:
    app: str
    job: str
    index: int
    hash: str

    @property
    def name(self) -> str:
        return schedule_name(self.app, self.job, self.index)


def render_marker(app: str, job: str, index: int, hash_: str) -> str:
    return f"{MARKER_PREFIX} app={app} job={job} idx={index} hash={hash_}"


def parse_marker(description: str) -> Marker | str | None:
    """The marker in a ``Description``: a :class:`Marker`, a problem (str), or ``None`` (not cronix's).

    Like the reference, ``key=value`` tokens in any order after the prefix, unknown keys
    ignored; unlike it, a marker whose app, job, index or hash is not valid is reported
    rather than read as index 0.
    """
    if not description.startswith(MARKER_PREFIX):
        return None
    fields = dict(t.split("=", 1) for t in description[len(MARKER_PREFIX) :].split() if "=" in t)
    app, job, idx, digest = (fields.get(k, "") for k in ("app", "job", "idx", "hash"))
    if not (is_valid_id(app) and is_valid_id(job)):
        return f"app/job missing or invalid in {description!r}"
    if not (idx.isascii() and idx.isdigit()):
        return f"idx missing or not a number in {description!r}"
    if not _HASH.fullmatch(digest):
        return f"hash missing or not hex in {description!r}"
    return Marker(app, job, int(idx), digest)


#: The key of the Input that carries the occurrence; EventBridge fills in the context attribute.
SCHEDULED_TIME_KEY = "scheduled_time"
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"


def schedule_input(spec_json: str) -> str:
    """The schedule's ``Input``: the compact spec with the occurrence's placeholder last (D-724).

    EventBridge replaces ``<aws.scheduler.scheduled-time>`` with the time the schedule was
    due (``2026-03-22T18:59:00Z``) on every invocation, retries included, so the Lambda's
    fire id names the occurrence, not the moment it happened to run.
    """
    body = spec_json.rstrip()
    if not body.endswith("}"):
        raise ValueError("a trigger spec is a JSON object")
    return f'{body[:-1]},"{SCHEDULED_TIME_KEY}":"{SCHEDULED_TIME}"}}'


def flexible_window(jitter_seconds: int) -> dict[str, Any]:
    """EventBridge's own jitter for ``policy.jitter_seconds`` (D-723): a flexible window of
    whole minutes (at least one). The Lambda then does not wait again; the occurrence and
    fire id still come from ``<aws.scheduler.scheduled-time>``."""
    if jitter_seconds <= 0:
        return {"Mode": "OFF"}
    return {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": max(1, -(-jitter_seconds // 60))}


def render_request(
    app: str,
    job: str,
    index: int,
    hash_: str,
    expression: AwsExpression,
    spec_json: str,
    options: AwsSchedulerOptions,
    *,
    enabled: bool = True,
    jitter_seconds: int = 0,
) -> dict[str, Any]:
    """The full ``CreateSchedule``/``UpdateSchedule`` arguments (Update resets what it omits)."""
    target: dict[str, Any] = {
        "Arn": options.target_arn,
        "RoleArn": options.role_arn,
        "Input": schedule_input(spec_json),
        "RetryPolicy": {
            "MaximumRetryAttempts": options.retry_attempts,
            "MaximumEventAgeInSeconds": options.max_event_age_seconds,
        },
    }
    if options.dead_letter_arn:
        target["DeadLetterConfig"] = {"Arn": options.dead_letter_arn}
    return {
        "Name": schedule_name(app, job, index),
        "GroupName": options.schedule_group,
        "Description": render_marker(app, job, index, hash_),
        "ScheduleExpression": expression.expression,
        "ScheduleExpressionTimezone": expression.timezone,
        "FlexibleTimeWindow": flexible_window(jitter_seconds),
        "State": "ENABLED" if enabled else "DISABLED",
        "Target": target,
    }


@dataclass(frozen=True, slots=True)
class LiveSchedule:
    """One schedule as ``GetSchedule`` returns it (or as cronix just wrote it)."""

    name: str
    arn: str
    description: str
    expression: str
    timezone: str
    state: str
    flexible_mode: str
    target_arn: str
    role_arn: str
    input: str
    retry_attempts: int | None
    max_event_age_seconds: int | None
    dead_letter_arn: str

    @classmethod
    def from_api(cls, doc: Mapping[str, Any], arn: str = "") -> LiveSchedule:
        target = doc.get("Target") or {}
        retry = target.get("RetryPolicy") or {}
        return cls(
            name=str(doc.get("Name", "")),
            arn=str(doc.get("Arn") or doc.get("ScheduleArn") or arn),
            description=str(doc.get("Description") or ""),
            expression=str(doc.get("ScheduleExpression", "")),
            # EventBridge evaluates an expression without a zone in UTC.
            timezone=str(doc.get("ScheduleExpressionTimezone") or "UTC"),
            state=str(doc.get("State") or "ENABLED"),
            flexible_mode=str((doc.get("FlexibleTimeWindow") or {}).get("Mode", "")),
            target_arn=str(target.get("Arn", "")),
            role_arn=str(target.get("RoleArn", "")),
            input=str(target.get("Input") or ""),
            retry_attempts=retry.get("MaximumRetryAttempts"),
            max_event_age_seconds=retry.get("MaximumEventAgeInSeconds"),
            dead_letter_arn=str((target.get("DeadLetterConfig") or {}).get("Arn", "")),
        )

    @property
    def marker(self) -> Marker | str | None:
        return parse_marker(self.description)

    def owned_marker(self) -> Marker | None:
        """The marker when it is valid *and* names this schedule (a copied marker does not count)."""
        marker = self.marker
        return marker if isinstance(marker, Marker) and marker.name == self.name else None

    def content(self) -> tuple[Any, ...]:
        """Everything but identity: equal content means the schedule is what cronix would write."""
        return (
            self.description,
            self.expression,
            self.timezone,
            self.state,
            self.flexible_mode,
            self.target_arn,
            self.role_arn,
            self.input,
            self.retry_attempts,
            self.max_event_age_seconds,
            self.dead_letter_arn,
        )

    def raw(self) -> dict[str, str]:
        """What ``cronix list``/``show`` display (``ManagedEntry.raw``)."""
        return {"name": self.name, "arn": self.arn, "expression": self.expression, "timezone": self.timezone}


def name_prefix(app: str = "", job: str = "") -> str:
    """``ListSchedules`` ``NamePrefix`` for everything cronix may own, an app's, or a job's."""
    if not app:
        return RESOURCE_PREFIX
    return f"{RESOURCE_PREFIX}{app}-{job}-" if job else f"{RESOURCE_PREFIX}{app}-"
