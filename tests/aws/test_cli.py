"""The operator's commands on aws-scheduler: the real ``cronix`` executable against moto_server.

apply, plan, drift, list, show, global-status, verify-ownership, adopt, history, prune and
``conformance backend`` — each reads the backend's options from a cronix.yaml pointing at
the moto server, as an operator's would point at AWS.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.aws.conftest import ROLE_ARN, TARGET_ARN, Moto
from tests.support.cli import assert_one_line_error, run_cronix


@pytest.fixture
def env(aws: Moto, tmp_path: Path) -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k.startswith("AWS_")} | {"HOME": str(tmp_path)}


def write_manifest(path: Path, **jobs: dict[str, Any]) -> str:
    docs = [
        {"name": n, "request": {"url": f"https://billing.example.com/cron/{n}"}, **j} for n, j in jobs.items()
    ]
    path.write_text(json.dumps({"version": 1, "app": "billing", "jobs": docs}))
    return str(path)


def cronix(env: dict[str, str], config: Path, *args: str) -> Any:
    if args[0] in ("plan", "apply", "drift", "adopt") and "--secret-ref" not in args:
        args = (*args, "--secret-ref", "ssm:/cronix/billing")  # local-shim jobs need one (D-153)
    return run_cronix(*args, "--config", str(config), env=env)


def as_json(proc: Any) -> Any:
    assert proc.returncode in (0, 5), proc.stderr
    return json.loads(proc.stdout)


def test_the_operators_commands_on_eventbridge(aws: Moto, env: dict[str, str], tmp_path: Path) -> None:
    config = aws.config_file(tmp_path / "cronix.yaml")
    manifest = write_manifest(
        tmp_path / "m.json",
        nightly={"schedule": "0 2 * * *", "timezone": "Europe/Berlin"},
        hourly={"schedules": ["0 * * * *", "30 * * * *"]},
    )
    apply = cronix(env, config, "apply", "--manifest", manifest, "--secret-ref", "ssm:/cronix/billing")
    assert apply.returncode == 0, apply.stderr
    assert (
        as_json(
            cronix(
                env,
                config,
                "plan",
                "--manifest",
                manifest,
                "--secret-ref",
                "ssm:/cronix/billing",
                "-o",
                "json",
            )
        )["noop"]
        is True
    )

    listed = as_json(cronix(env, config, "list", "-o", "json"))
    names = sorted(e["raw"]["name"] for e in listed["entries"])
    assert names == ["cronix-billing-hourly-0", "cronix-billing-hourly-1", "cronix-billing-nightly-0"]

    # Without a manifest, show and the audits compare against the specs the schedules carry.
    shown = as_json(cronix(env, config, "show", "billing.nightly", "-o", "json"))
    assert shown["in_sync"] is True and shown["desired"]["timezone"] == "Europe/Berlin"
    (status,) = as_json(cronix(env, config, "global-status", "-o", "json"))["backends"]
    assert (status["type"], status["owned"], status["in_sync"], status["drifted"]) == (
        "aws-scheduler",
        3,
        3,
        0,
    )
    audit = as_json(cronix(env, config, "verify-ownership", "-o", "json"))
    assert audit["ok"] is True and audit["findings"] == []

    # A hand edit in the console is drift, seen by every command, and apply puts it back.
    editor = aws.client("scheduler")
    live = editor.get_schedule(Name="cronix-billing-nightly-0")
    editor.update_schedule(
        **{
            k: live[k]
            for k in ("Name", "Description", "FlexibleTimeWindow", "Target", "ScheduleExpressionTimezone")
        },
        ScheduleExpression="cron(0 5 * * ? *)",
    )
    drift = cronix(env, config, "drift", "--manifest", manifest, "--exit-on-drift")
    assert drift.returncode == 5, drift.stdout + drift.stderr
    drifted = cronix(env, config, "global-status", "-o", "json")
    assert drifted.returncode == 5, drifted.stderr  # as verify-ownership
    (status,) = as_json(drifted)["backends"]
    assert status["drifted"] == 1
    assert cronix(env, config, "verify-ownership").returncode == 5
    assert (
        cronix(env, config, "apply", "--manifest", manifest, "--secret-ref", "ssm:/cronix/billing").returncode
        == 0
    )
    assert (
        cronix(
            env,
            config,
            "drift",
            "--manifest",
            manifest,
            "--secret-ref",
            "ssm:/cronix/billing",
            "--exit-on-drift",
        ).returncode
        == 0
    )

    # prune removes what cronix owns and nothing else.
    editor.create_schedule(
        Name="backup-nightly",
        ScheduleExpression="cron(5 4 * * ? *)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": TARGET_ARN, "RoleArn": ROLE_ARN, "Input": "{}"},
    )
    pruned = as_json(cronix(env, config, "prune", "--yes", "-o", "json"))
    assert pruned["pruned"] == 3
    assert [s["Name"] for s in editor.list_schedules()["Schedules"]] == ["backup-nightly"]


def test_adopt_takes_over_an_unmarked_schedule_in_place(
    aws: Moto, env: dict[str, str], tmp_path: Path
) -> None:
    config = aws.config_file(tmp_path / "cronix.yaml")
    manifest = write_manifest(tmp_path / "m.json", legacy={"schedule": "15 3 * * 1-5"})
    editor = aws.client("scheduler")
    editor.create_schedule(
        Name="cronix-billing-legacy-0",
        ScheduleExpression="cron(15 3 ? * MON-FRI *)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": TARGET_ARN, "RoleArn": ROLE_ARN, "Input": "{}"},
    )
    created = editor.get_schedule(Name="cronix-billing-legacy-0")["CreationDate"]
    other = write_manifest(tmp_path / "o.json", legacy={"schedule": "0 9 * * *"})
    diverged = cronix(env, config, "adopt", "billing.legacy", "--manifest", other, "-o", "json")
    assert diverged.returncode == 6, diverged.stderr
    (why,) = json.loads(diverged.stdout)["divergences"]
    assert why == (
        "cronix-billing-legacy-0 fires on cron(15 3 ? * MON-FRI *) in UTC, the manifest's schedule "
        '"0 9 * * *" is cron(0 9 * * ? *) in UTC'
    )
    dry = as_json(
        cronix(env, config, "adopt", "billing.legacy", "--manifest", manifest, "--dry-run", "-o", "json")
    )
    assert (dry["found"], dry["adopted"]) == (True, False)
    adopted = as_json(cronix(env, config, "adopt", "billing.legacy", "--manifest", manifest, "-o", "json"))
    assert adopted["adopted"] is True
    live = editor.get_schedule(Name="cronix-billing-legacy-0")
    assert live["Description"].startswith("cronix-managed app=billing job=legacy idx=0 hash=")
    assert live["CreationDate"] == created  # updated in place, not deleted and re-created
    assert as_json(cronix(env, config, "plan", "--manifest", manifest, "-o", "json"))["noop"] is True
    again = as_json(cronix(env, config, "adopt", "billing.legacy", "--manifest", manifest, "-o", "json"))
    assert (again["found"], again["already_managed"]) == (False, True)
    nothing = cronix(
        env,
        config,
        "adopt",
        "billing.ghost",
        "--manifest",
        write_manifest(tmp_path / "g.json", ghost={"schedule": "0 1 * * *"}),
    )
    assert nothing.returncode == 7


def test_history_reads_the_lambdas_log_group(aws: Moto, env: dict[str, str], tmp_path: Path) -> None:
    config = aws.config_file(tmp_path / "cronix.yaml")
    logs = aws.client("logs")
    logs.create_log_group(logGroupName="/aws/lambda/cronix-trigger")
    logs.create_log_stream(logGroupName="/aws/lambda/cronix-trigger", logStreamName="s")
    line = {
        "time": "2026-01-01T02:00:01.5Z",
        "level": "INFO",
        "msg": "trigger: success",
        "app": "billing",
        "job": "nightly",
        "run_id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        "attempt": 1,
        "status": 200,
    }
    event = {"timestamp": int(time.time() * 1000), "message": json.dumps(line)}
    logs.put_log_events(logGroupName="/aws/lambda/cronix-trigger", logStreamName="s", logEvents=[event])
    proc = cronix(
        env,
        config,
        "history",
        "billing.nightly",
        "--backend",
        "aws-scheduler",
        "--no-journald",
        "--run-log",
        "",
        "-o",
        "json",
    )
    (run,) = as_json(proc)["entries"]
    assert (run["run_id"], run["status"], run["source"]) == (line["run_id"], "ok", "cloudwatch")


def test_conformance_suite_passes_against_moto(aws: Moto, env: dict[str, str]) -> None:
    settings = [f"--backend-config={k}={v}" for k, v in aws.options().items()]
    proc = run_cronix("conformance", "backend", "--backend", "aws-scheduler", *settings, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 failed / 0 skipped" in proc.stdout


def test_a_missing_group_is_one_line_with_exit_3(aws: Moto, env: dict[str, str], tmp_path: Path) -> None:
    config = aws.config_file(tmp_path / "cronix.yaml", schedule_group="jobs")
    manifest = write_manifest(tmp_path / "m.json", nightly={"schedule": "0 2 * * *"})
    proc = cronix(env, config, "apply", "--manifest", manifest)
    assert_one_line_error(proc, 3, "schedule group jobs does not exist", "create_group: true")
