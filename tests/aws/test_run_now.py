"""``cronix run`` on aws-scheduler: a real ``cronix`` process invokes the target Lambda in moto_server.

moto cannot run Lambda code without Docker (``/work/shared/environment.md``), so the test
proves the two halves apart: moto_server's own request recorder shows that the ``Invoke``
reached it — asynchronous, at the schedule's target, with the schedule's ``Input`` plus the
backfilled fire time — and that very payload, given to the real handler in-process, fires
the occurrence at a real SDK app, its log lines marked manual.
"""

from __future__ import annotations

import base64
import io
import json
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest

from cronix.protocol.fireid import parse_utc
from cronix.trigger.aws_lambda import handler
from tests.aws.conftest import ROLE_ARN, TARGET_ARN, Moto
from tests.aws.lambda_app import SECRET, App, lines
from tests.support.cli import assert_one_line_error, run_cronix

AT = "2026-11-30T06:25:00Z"  # an occurrence of the app's "*/5 * * * *"


def _moto(aws: Moto, path: str) -> bytes:
    method = "GET" if path.endswith("download-recording") else "POST"
    request = urllib.request.Request(f"{aws.url}/moto-api/recorder/{path}", method=method, data=None)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return bytes(answer.read())


def _invocations(aws: Moto) -> list[tuple[dict[str, Any], Any]]:
    """(headers, decoded JSON payload) of every Invoke moto_server recorded."""
    out = []
    for line in _moto(aws, "download-recording").decode().splitlines():
        doc = json.loads(line)
        if doc.get("url", "").endswith("/invocations"):
            body = doc.get("body") or ""
            out.append((doc, json.loads(base64.b64decode(body)) if body else None))
    return out


@pytest.fixture
def lambda_function(aws: Moto) -> str:
    """The cronix Lambda as moto knows it (its code cannot run there: see the module docstring)."""
    aws.client("iam").create_role(RoleName="cronix-scheduler", AssumeRolePolicyDocument="{}")
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("cronix_lambda.py", "def handler(event, context):\n    return event\n")
    created = aws.client("lambda").create_function(
        FunctionName="cronix-trigger",
        Runtime="python3.12",
        Role=ROLE_ARN,
        Handler="cronix_lambda.handler",
        Code={"ZipFile": package.getvalue()},
    )
    assert created["FunctionArn"] == TARGET_ARN
    return TARGET_ARN


def test_run_invokes_the_lambda_with_the_schedules_input_and_the_fire_time(
    aws: Moto, app: App, lambda_function: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k.startswith("AWS_")} | {"HOME": str(tmp_path)}
    config = aws.config_file(tmp_path / "cronix.yaml")
    manifest = tmp_path / "m.json"
    manifest.write_bytes(app.cron.manifest_json())
    aws.client("ssm").put_parameter(Name="/cronix/billing/secret", Value=SECRET, Type="SecureString")
    ref = "ssm:/cronix/billing/secret"
    applied = run_cronix(
        "apply", "--manifest", str(manifest), "--secret-ref", ref, "--config", str(config), env=env
    )
    assert applied.returncode == 0, applied.stderr
    _moto(aws, "start-recording")
    try:
        proc = run_cronix("run", "billing.settle", "--at", AT, "-o", "json", "--config", str(config), env=env)
    finally:
        _moto(aws, "stop-recording")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert (result["via"], result["outcome"], result["fire_id"]) == (
        "backend",
        "started",
        f"billing.settle#0@{AT}",
    )
    assert result["reference"]  # the invocation's request id
    ((request, payload),) = _invocations(aws)
    assert urllib.parse.unquote(request["url"]).endswith(f"/functions/{TARGET_ARN}/invocations")
    assert request["headers"]["X-Amz-Invocation-Type"] == "Event"  # asynchronous, as the scheduler invokes
    schedule = aws.client("scheduler").get_schedule(Name="cronix-billing-settle-0")
    assert payload == {**json.loads(schedule["Target"]["Input"]), "manual_run": {"fire_time": parse_utc(AT)}}
    # What the function does with that payload: fire that occurrence, recorded as manual.
    capsys.readouterr()
    outcome = handler(payload, None)
    assert (outcome["exit_code"], outcome["status"]) == (0, 200)
    (ctx,) = app.seen
    assert ctx.fire_id == f"billing.settle#0@{AT}"
    (line,) = lines(capsys.readouterr().out)
    assert (line["msg"], line["trigger"]) == ("trigger: success", "manual")


def test_run_of_a_job_that_is_not_installed_names_it(aws: Moto, tmp_path: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k.startswith("AWS_")} | {"HOME": str(tmp_path)}
    config = aws.config_file(tmp_path / "cronix.yaml")
    proc = run_cronix("run", "billing.settle", "--config", str(config), env=env)
    assert_one_line_error(proc, 1, "billing.settle is not installed on aws-scheduler")
