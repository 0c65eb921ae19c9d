"""The Lambda handler fires a real schedule's Input at a real app built with the SDK.

moto cannot run Lambda code without Docker, so the handler is called in-process — with
the event exactly as EventBridge delivers it: the ``Input`` of a schedule ``cronix apply``
created in moto_server, read back with boto3 and decoded as JSON. Secrets come from moto's
SSM Parameter Store and Secrets Manager; the app is :mod:`cronix.sdk` behind a real WSGI
server, so the signature, headers and run id are checked by the real verifier.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cronix.trigger.aws_lambda import FireFailed, InvalidEvent, handler
from tests.aws.conftest import Moto
from tests.aws.lambda_app import SECRET, App, applied_events, lines
from tests.support.redis_server import RedisServer


def test_a_schedules_input_fires_the_app_with_an_ssm_secret(
    aws: Moto, app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.client("ssm").put_parameter(Name="/cronix/billing/secret", Value=SECRET, Type="SecureString")
    event = applied_events(aws, app, ["ssm:/cronix/billing/secret"])["settle"]
    outcome = handler(event, None)
    assert outcome["exit_code"] == 0 and outcome["status"] == 200 and outcome["attempts"] == 1
    (ctx,) = app.seen
    assert ctx.name == "settle" and ctx.run_id == outcome["run_id"]
    assert ctx.secret_index == 1  # signed with the operator's secret, the app's second
    logged = lines(capsys.readouterr().out)
    assert [line["msg"] for line in logged] == ["trigger: success"]
    assert logged[0]["app"] == "billing" and logged[0]["job"] == "settle"
    assert SECRET not in json.dumps(logged)


def test_a_secrets_manager_secret_signs_too(aws: Moto, app: App) -> None:
    aws.client("secretsmanager").create_secret(Name="cronix/billing", SecretString=SECRET)
    event = applied_events(aws, app, ["secretsmanager:cronix/billing"])["settle"]
    assert handler(event, None)["exit_code"] == 0
    assert len(app.seen) == 1


def test_a_failed_fire_is_an_error_for_lambda_to_retry(
    aws: Moto, app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.client("ssm").put_parameter(Name="/cronix/billing/secret", Value=SECRET, Type="SecureString")
    event = applied_events(aws, app, ["ssm:/cronix/billing/secret"])["settle"]
    app.fail = True
    with pytest.raises(FireFailed, match=r"billing\.settle run .*: retries_exhausted \(exit 2\)"):
        handler(event, None)
    assert len(app.seen) == 2  # the trigger's own attempts ran first
    msgs = [line["msg"] for line in lines(capsys.readouterr().out)]
    assert msgs == ["trigger: server error", "trigger: server error", "trigger: retries exhausted"]


def test_a_rejected_fire_is_an_error(aws: Moto, app: App) -> None:
    aws.client("ssm").put_parameter(Name="/cronix/wrong", Value="not-the-secret", Type="SecureString")
    events = applied_events(aws, app, ["ssm:/cronix/wrong"])
    with pytest.raises(FireFailed, match=r"app_rejected \(exit 1\): HTTP 401"):
        handler(events["settle"], None)
    assert app.seen == []


def test_a_secret_that_cannot_be_resolved_is_an_error_naming_the_ref(
    aws: Moto, app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    events = applied_events(aws, app, ["ssm:/cronix/absent"])
    with pytest.raises(FireFailed, match=r"exit 3.*secret ref ssm:/cronix/absent: ParameterNotFound"):
        handler(events["settle"], None)
    (line,) = lines(capsys.readouterr().out)
    assert line["msg"] == "trigger: resolve secrets"
    assert app.seen == []


def test_a_global_job_takes_the_redis_lock(
    aws: Moto, app: App, redis: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "cronix.yaml"
    config.write_text(
        json.dumps({"locks": {"redis": {"addr": f"127.0.0.1:{redis.port}", "key_prefix": "lambda-test:"}}})
    )
    monkeypatch.setenv("CRONIX_CONFIG", str(config))
    monkeypatch.setenv("CRON_SECRET", SECRET)
    event = applied_events(aws, app, ["env:CRON_SECRET"])["exclusive"]
    import redis as redis_client

    client = redis_client.Redis.from_url(redis.url, decode_responses=True)
    client.set("lambda-test:billing.exclusive", "another-fire", px=60_000)
    outcome = handler(event, None)
    assert outcome["outcome"] == "lock_contended" and outcome["exit_code"] == 4  # not an error: skipped
    assert app.seen == []
    client.delete("lambda-test:billing.exclusive")
    assert handler(event, None)["exit_code"] == 0
    assert client.get("lambda-test:billing.exclusive") is None  # released after the fire
    assert len(app.seen) == 1


def test_an_event_that_is_not_a_spec_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(InvalidEvent, match='missing "app"'):
        handler({"source": "aws.scheduler", "detail": {}}, None)
    with pytest.raises(InvalidEvent, match="not valid JSON"):
        handler("{nope", None)
    msgs = [line["msg"] for line in lines(capsys.readouterr().out)]
    assert msgs == ["trigger: invalid event", "trigger: parse event"]


def test_the_fire_id_is_the_occurrence_eventbridge_fills_in(aws: Moto, app: App) -> None:
    """Issue 15 item 4 (D-724): the Input carries ``<aws.scheduler.scheduled-time>``, which
    EventBridge replaces on every invocation, retries included (moto invokes no targets: the
    test replaces it as EventBridge does). Two invocations of one occurrence carry one fire id,
    and the SDK runs it once (the second is answered 200 ``AlreadyHandled``)."""
    aws.client("ssm").put_parameter(Name="/cronix/billing/secret", Value=SECRET, Type="SecureString")
    event = applied_events(aws, app, ["ssm:/cronix/billing/secret"])["settle"]
    assert event["scheduled_time"] == "<aws.scheduler.scheduled-time>"
    delivered = {**event, "scheduled_time": "2026-03-22T18:55:00Z"}
    for _ in range(2):  # EventBridge's retry, or Lambda's
        assert handler(json.loads(json.dumps(delivered)), None)["exit_code"] == 0
    assert [ctx.fire_id for ctx in app.seen] == ["billing.settle#0@2026-03-22T18:55:00Z"]
    assert [ctx.headers.get("x-cron-fire-time") for ctx in app.seen] == ["1774205700"]
