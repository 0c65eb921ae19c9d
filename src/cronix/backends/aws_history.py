"""History of EventBridge-fired jobs: the cronix Lambda's JSON lines in CloudWatch Logs.

The Lambda (:mod:`cronix.trigger.aws_lambda`) writes the same JSON lines as ``cronix
trigger`` to stdout, which Lambda delivers to the function's log group
(``/aws/lambda/<function>``), one log event per line. History reads them with a
paginated ``FilterLogEvents`` narrowed server-side by a JSON filter pattern on ``app`` and
``job``, and folds them by run id with the same function every other source uses
(:func:`cronix.runlog.fold_shim_logs`), so the statuses and the attempt numbers mean the same
thing everywhere. Lambda's own ``START``/``END``/``REPORT`` lines are not JSON and are skipped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cronix.awsclients import error_code
from cronix.runlog import fold_shim_logs, merge_runs

if TYPE_CHECKING:
    from cronix.backends.base import HistoryEntry, HistoryQuery

__all__ = ["SOURCE", "log_group_for", "read_history"]

SOURCE = "cloudwatch"


def log_group_for(target_arn: str) -> str:
    """``/aws/lambda/<function>`` for a Lambda function ARN (with or without a qualifier), else ``""``."""
    parts = target_arn.split(":")
    if len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function":
        return f"/aws/lambda/{parts[6]}"
    return ""


def read_history(logs: Any, group: str, query: HistoryQuery) -> list[HistoryEntry]:
    """Runs of the job logged to ``group``, oldest first (none when the group does not exist yet)."""
    args: dict[str, Any] = {
        "logGroupName": group,
        "filterPattern": f'{{ ($.app = "{query.app}") && ($.job = "{query.job}") }}',
    }
    if query.since is not None:
        args["startTime"] = int(query.since.timestamp() * 1000)
    if query.until is not None:
        args["endTime"] = int(query.until.timestamp() * 1000)
    messages: list[str] = []
    try:
        for page in logs.get_paginator("filter_log_events").paginate(**args):
            messages += [str(e.get("message", "")) for e in page.get("events", ())]
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return []  # Lambda creates the group on the first invocation: nothing has run yet
        raise
    runs = fold_shim_logs(messages, query.app, query.job, SOURCE, query.status)
    return merge_runs(runs, limit=query.limit)
