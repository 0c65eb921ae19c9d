"""The reconciler drives a plugin exactly like an in-tree backend: plan, apply, no-op, drift."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.plugins.helpers import ECHO, sha256_pin
from tests.support.cli import assert_one_line_error, run_cronix

MANIFEST = {
    "version": 1,
    "app": "billing",
    "jobs": [
        {
            "name": "ping",
            "schedules": ["@hourly", "*/5 * * * *"],
            "request": {"url": "https://b.example/api/v1/scheduled/ping"},
        },
        {
            "name": "pong",
            "schedule": "@daily",
            "timezone": "Europe/Berlin",
            "request": {"url": "https://b.example/api/v1/scheduled/pong"},
        },
    ],
}


def _setup(tmp_path: Path) -> tuple[Path, list[str]]:
    plugins = tmp_path / "plugins"
    plugins.mkdir(mode=0o755)
    exe = plugins / "cronix-backend-echo"
    shutil.copy2(ECHO, exe)
    exe.chmod(0o755)
    state = tmp_path / "echo.json"
    (tmp_path / "cronix.yaml").write_text(
        "plugins:\n"
        f"  dirs: [{plugins}]\n"
        f"  pins: {{echo: '{sha256_pin(exe)}'}}\n"
        f"  config: {{echo: {{state_path: {state}}}}}\n"
        f"spec_dir: {tmp_path / 'jobs'}\n"
        f"apply: {{lock_path: {tmp_path / 'apply.lock'}}}\n"
    )
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(MANIFEST))
    return state, [
        "--config",
        str(tmp_path / "cronix.yaml"),
        "--backend",
        "echo",
        "--manifest",
        str(manifest),
        "--secret-ref",
        "file:/etc/cronix/secret",
    ]


def test_plan_apply_noop_and_drift_through_the_echo_plugin(tmp_path: Path) -> None:
    state, args = _setup(tmp_path)
    plan = run_cronix("plan", *args, "-o", "json")
    assert plan.returncode == 0, plan.stderr
    assert sorted((op["action"], op["job"]) for op in json.loads(plan.stdout)["ops"]) == [
        ("create", "ping"),
        ("create", "pong"),
    ]

    apply = run_cronix("apply", *args, "-o", "json")
    assert apply.returncode == 0, apply.stderr
    owned = [
        e
        for e in json.loads(state.read_text())["entries"]
        if e.get("marker", {}).get("owner") == "cronix-echo"
    ]
    assert len(owned) == 3  # ping has two schedules, pong one

    listed = run_cronix("list", "--config", str(tmp_path / "cronix.yaml"), "--backend", "echo", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    assert sorted((e["job"], e["index"]) for e in json.loads(listed.stdout)["entries"]) == [
        ("ping", 0),
        ("ping", 1),
        ("pong", 0),
    ]

    again = run_cronix("apply", *args)
    assert again.returncode == 0, again.stderr
    assert "noop" in again.stdout

    assert run_cronix("drift", *args, "--exit-on-drift").returncode == 0
    changed = dict(MANIFEST, jobs=[MANIFEST["jobs"][0]])  # pong removed from the manifest
    (tmp_path / "manifest.json").write_text(json.dumps(changed))
    drift = run_cronix("drift", *args, "--exit-on-drift")
    assert drift.returncode == 5
    assert "pong" in drift.stdout


def test_an_unpinned_plugin_is_refused_before_it_runs(tmp_path: Path) -> None:
    _state, args = _setup(tmp_path)
    config = tmp_path / "cronix.yaml"
    config.write_text(
        config.read_text().replace("pins:", "old_pins:").replace("  old_pins:", "  pins: {}\n  #")
    )
    assert_one_line_error(run_cronix("plan", *args), 4, "echo")


def test_history_merges_the_plugins_own_record_of_runs(tmp_path: Path) -> None:
    from cronix.plugins.echo import EchoSeeder

    state, args = _setup(tmp_path)
    assert run_cronix("apply", *args).returncode == 0
    EchoSeeder(str(state)).seed_runs(
        [
            {"app": "billing", "job": "ping", "run_id": "r-plugin-1", "attempt": 2, "status": "ok",
             "started_at": "2026-01-02T03:04:05Z", "finished_at": "2026-01-02T03:04:07Z"},
            {"app": "billing", "job": "pong", "run_id": "r-other-job", "attempt": 1, "status": "ok",
             "started_at": "2026-01-02T03:04:05Z", "finished_at": "2026-01-02T03:04:06Z"},
        ]
    )  # fmt: skip
    config = ["--config", str(tmp_path / "cronix.yaml")]
    proc = run_cronix(
        "history", "billing.ping", *config, "--backend", "echo",
        "--run-log", str(tmp_path / "runs.jsonl"), "--no-journald", "-o", "json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    entries = json.loads(proc.stdout)["entries"]
    assert [(e["run_id"], e["attempt"], e["status"]) for e in entries] == [("r-plugin-1", 2, "ok")]
    assert entries[0]["finished_at"].startswith("2026-01-02T03:04:07")
