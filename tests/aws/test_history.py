"""History from CloudWatch Logs: the Lambda's own JSON lines, folded like every other source.

The lines are what :func:`cronix.trigger.aws_lambda.handler` printed for real fires (captured
stdout), written to moto_server's CloudWatch Logs the way Lambda delivers them: one event
per line, next to Lambda's START/END/REPORT lines, in ``/aws/lambda/<function>``.
"""

from __future__ import annotations

import contextlib
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cronix.backends.aws_history import log_group_for
from cronix.backends.base import HistoryQuery, HostContext
from cronix.backends.registry import backend_type
from cronix.trigger.aws_lambda import FireFailed, handler
from tests.aws.conftest import TARGET_ARN, Moto
from tests.aws.lambda_app import SECRET, App, applied_events
from tests.support.redis_server import RedisServer

GROUP = "/aws/lambda/cronix-trigger"


def deliver(aws: Moto, stdout: str, request_id: str) -> None:
    """Put one invocation's output into the function's log group, as Lambda does."""
    logs = aws.client("logs")
    stream = f"2026/01/01/[$LATEST]{request_id}"
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName=stream)
    now = int(time.time() * 1000)
    messages = [
        f"START RequestId: {request_id} Version: $LATEST",
        *stdout.splitlines(),
        f"END RequestId: {request_id}",
    ]
    messages.append(f"REPORT RequestId: {request_id}\tDuration: 12.3 ms")
    events = [{"timestamp": now + i, "message": m} for i, m in enumerate(messages)]
    logs.put_log_events(logGroupName=GROUP, logStreamName=stream, logEvents=events)


def test_runs_of_a_job_come_back_from_the_lambdas_log_group(
    aws: Moto,
    app: App,
    redis: RedisServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CRON_SECRET", SECRET)
    config = tmp_path / "cronix.yaml"
    config.write_text(json.dumps({"locks": {"redis": {"addr": f"127.0.0.1:{redis.port}"}}}))
    monkeypatch.setenv("CRONIX_CONFIG", str(config))
    events = applied_events(aws, app, ["env:CRON_SECRET"])
    ok = handler(events["settle"], None)
    deliver(aws, capsys.readouterr().out, "req-1")
    app.fail = True
    # Two fires of one job signed in the same second sign the same bytes, which the SDK
    # refuses as a replay (D-501): let the clock move on, as two real fires' would.
    signed = int(time.time())
    while int(time.time()) == signed:
        time.sleep(0.02)
    with pytest.raises(FireFailed):
        handler(events["settle"], None)
    deliver(aws, capsys.readouterr().out, "req-2")
    app.fail = False
    handler(events["exclusive"], None)  # another job's lines in the same group
    deliver(aws, capsys.readouterr().out, "req-3")

    kind = backend_type("aws-scheduler")
    assert kind is not None
    backend = kind.open(aws.options(), HostContext())
    runs = backend.history(HistoryQuery("billing", "settle"))
    assert [(r.status, r.attempt, r.source) for r in runs] == [
        ("ok", 1, "cloudwatch"),
        ("failed", 2, "cloudwatch"),
    ]
    assert runs[0].run_id == ok["run_id"]
    assert {r.job for r in runs} == {"settle"}
    assert [r.status for r in backend.history(HistoryQuery("billing", "settle", status="failed"))] == [
        "failed"
    ]
    assert len(backend.history(HistoryQuery("billing", "settle", limit=1))) == 1
    later = datetime.now(UTC) + timedelta(hours=1)
    assert backend.history(HistoryQuery("billing", "settle", since=later)) == []


def test_no_log_group_yet_means_no_runs(aws: Moto) -> None:
    kind = backend_type("aws-scheduler")
    assert kind is not None
    assert kind.open(aws.options(), HostContext()).history(HistoryQuery("billing", "settle")) == []


def test_the_log_group_follows_from_a_lambda_target() -> None:
    assert log_group_for(TARGET_ARN) == GROUP
    assert log_group_for(f"{TARGET_ARN}:live") == GROUP  # a qualified (alias) ARN
    assert log_group_for("arn:aws:sqs:us-east-1:123456789012:queue") == ""
