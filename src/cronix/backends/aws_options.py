"""Options of the aws-scheduler backend: ``backends.<name>`` with ``type: aws-scheduler`` in cronix.yaml.

Each field's ``metadata["doc"]`` is its documentation (``docs/config.md``, ``cronix init``
and the per-backend flags are generated from it). The reference's flags keep their
names: ``--aws-region``, ``--aws-schedule-group``, ``--aws-target-arn``, ``--aws-role-arn``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from cronix.config import documented as _doc

__all__ = ["AwsSchedulerOptions"]

_GROUP_NAME = "[0-9a-zA-Z-_.]+"


def _between(lo: int, hi: int) -> Any:
    def check(value: int) -> str | None:
        return None if lo <= value <= hi else f"must be between {lo} and {hi}, got {value}"

    return check


def _arn(kind: str) -> Any:
    def check(value: str) -> str | None:
        return (
            None
            if not value or value.startswith("arn:")
            else f"must be an ARN (arn:aws:{kind}…), got {value!r}"
        )

    return check


def _group(value: str) -> str | None:
    import re

    if re.fullmatch(_GROUP_NAME, value) and len(value) <= 64:
        return None
    return f"must be 1-64 letters, digits, '-', '_' or '.', got {value!r}"


@dataclass(frozen=True, slots=True)
class AwsSchedulerOptions:
    """Options of the aws-scheduler backend (``backends.<name>`` with ``type: aws-scheduler``)."""

    target_arn: str = field(
        default="",
        metadata=_doc(
            "ARN of what each schedule invokes: the cronix Lambda (docs/aws.md). Required to apply.",
            check=_arn("lambda"),
            flag="--aws-target-arn",
        ),
    )
    role_arn: str = field(
        default="",
        metadata=_doc(
            "ARN of the IAM role EventBridge Scheduler assumes to invoke the target. Required to apply.",
            check=_arn("iam"),
            flag="--aws-role-arn",
        ),
    )
    schedule_group: str = field(
        default="default",
        metadata=_doc(
            "Schedule group holding cronix's schedules.", check=_group, flag="--aws-schedule-group"
        ),
    )
    create_group: bool = field(
        default=False,
        metadata=_doc(
            "Create schedule_group on the first apply when it does not exist (otherwise an error)."
        ),
    )
    region: str = field(
        default="", metadata=_doc("AWS region (default: AWS_REGION / the profile's).", flag="--aws-region")
    )
    profile: str = field(
        default="", metadata=_doc("Named AWS profile (default: AWS_PROFILE / the default chain).")
    )
    endpoint_url: str = field(
        default="", metadata=_doc("API endpoint override, e.g. a local moto_server (default: AWS's).")
    )
    retry_attempts: int = field(
        default=2,
        metadata=_doc(
            "Target RetryPolicy.MaximumRetryAttempts: how often EventBridge retries delivering to the "
            "target (throttling, unavailable) before giving up or using the dead-letter queue.",
            check=_between(0, 185),
        ),
    )
    max_event_age_seconds: int = field(
        default=3600,
        metadata=_doc(
            "Target RetryPolicy.MaximumEventAgeInSeconds: how long a fire may stay undelivered.",
            check=_between(60, 86400),
        ),
    )
    dead_letter_arn: str = field(
        default="",
        metadata=_doc(
            "SQS queue ARN for fires EventBridge could not deliver (empty: none).", check=_arn("sqs")
        ),
    )
    log_group: str = field(
        default="",
        metadata=_doc(
            "CloudWatch Logs group the target logs to, read by cronix history "
            "(default: /aws/lambda/<function> of a Lambda target_arn)."
        ),
    )
    api_retry_mode: Literal["standard", "adaptive"] = field(
        default="standard",
        metadata=_doc("botocore retry mode for cronix's own API calls (adaptive also rate-limits itself)."),
    )
    api_max_attempts: int = field(
        default=5,
        metadata=_doc(
            "Attempts per API call, the first included, on throttling and 5xx.", check=_between(1, 20)
        ),
    )
    read_concurrency: int = field(
        default=8,
        metadata=_doc(
            "GetSchedule calls in flight at once when listing (the list lacks descriptions).",
            check=_between(1, 32),
        ),
    )
