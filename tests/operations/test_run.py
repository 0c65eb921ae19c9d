"""``cronix run``: real ``cronix`` processes against a real SDK app (wsgiref + CronWSGI + FileClaimStore).

The app's manifest is applied onto a crontab file in tmp with a real ``cronix apply`` (signed
GET of its manifest URL); then ``cronix run`` fires through the trigger's own code path, and
``cronix trigger`` — as cron would run it — fires the same occurrence again, which the app's
claim store refuses.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cronix.protocol.fireid import format_utc
from tests.support.cli import CRONIX, assert_one_line_error, run_cronix
from tests.support.procs import free_port, running

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Host:
    tmp: Path
    config: Path
    record: Path
    env: dict[str, str]

    def cronix(self, *args: str) -> tuple[int, str, str]:
        proc = run_cronix(*args, "--config", str(self.config), env=self.env)
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc.returncode, proc.stdout, proc.stderr

    def calls(self) -> list[dict[str, object]]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines()]

    def runs(self) -> list[dict[str, object]]:
        path = self.tmp / "runs.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    port = free_port()
    secret = secrets.token_hex(16)
    record = tmp_path / "calls.jsonl"
    env = {"CRON_SECRET": secret, "HOME": str(tmp_path), "CRONIX_PLUGIN_DIR": str(tmp_path / "plugins")}
    config = tmp_path / "cronix.yaml"
    config.write_text(
        f"backend: crontab\nspec_dir: {tmp_path}/jobs\ntrigger_bin: {CRONIX}\n"
        f"apply:\n  lock_path: {tmp_path}/apply.lock\n"
        f"locks:\n  flock:\n    dir: {tmp_path}/locks\n"
        f"trigger:\n  run_log: {tmp_path}/runs.jsonl\n  state_dir: {tmp_path}/state\n"
        f"backends:\n  crontab:\n    path: {tmp_path}/crontab\n",
        encoding="utf-8",
    )
    argv = [os.path.join(os.path.dirname(CRONIX), "python"), "-m", "tests.operations.run_app"]
    argv += [str(port), str(record), str(tmp_path / "claims")]
    app_env = {"CRON_SECRET": secret, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    with running(argv, ready=lambda: _listening(port), log=tmp_path / "app.log", env=app_env):
        h = Host(tmp_path, config, record, env)
        url = f"http://127.0.0.1:{port}/.well-known/cron-manifest"
        code, out, err = h.cronix("apply", "--manifest", url, "--secret-ref", "env:CRON_SECRET")
        assert code == 0, out + err
        yield h


def _last_hour() -> int:
    now = int(datetime.now(UTC).timestamp())
    return now - now % 3600


def test_run_now_fires_through_the_trigger_and_is_recorded_as_manual(host: Host) -> None:
    code, out, err = host.cronix("run", "billing.report", "-o", "json")
    assert code == 0, out + err
    result = json.loads(out)
    assert (result["via"], result["outcome"], result["http_status"], result["backfill"]) == (
        "host",
        "success",
        200,
        False,
    )
    # The trigger's JSON log lines went to stderr, each marked manual.
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert [entry["msg"] for entry in lines] == ["trigger: success"]
    assert lines[0]["trigger"] == "manual" and lines[0]["run_id"] == result["run_id"]
    (call,) = host.calls()
    assert call["run_id"] == result["run_id"] and call["fire_id"] == result["fire_id"]
    # Run now is at the second it ran, never snapped onto a scheduled occurrence.
    assert result["fire_id"] == f"billing.report#0@{result['fire_time']}"
    (record,) = host.runs()
    assert (record["trigger"], record["status"], record["fire_time"][:19]) == (
        "manual",
        "ok",
        result["fire_time"][:19],
    )
    code, out, _ = host.cronix("history", "billing.report", "-o", "json", "--no-journald")
    (entry,) = json.loads(out)["entries"]
    assert entry["manual"] is True
    code, out, _ = host.cronix("history", "billing.report", "--no-journald")
    assert "TRIGGER" in out.splitlines()[0] and "manual" in out


def test_a_backfill_runs_that_occurrence_once_even_when_the_scheduler_fires_it_too(host: Host) -> None:
    at = format_utc(_last_hour())
    code, out, err = host.cronix("run", "billing.report", "--at", at)
    assert code == 0, out + err
    assert f"backfilled billing.report#0@{at}: success" in out
    (first,) = host.calls()
    assert first["fire_id"] == f"billing.report#0@{at}"
    # cron fires the same occurrence (late, or on a second host): the app's claim refuses it.
    proc = run_cronix(
        "trigger", "billing.report", "--config", str(host.config), "--fire-time", at, env=host.env
    )
    assert proc.returncode == 0, proc.stderr  # the app answered 200 AlreadyHandled
    assert len(host.calls()) == 1  # and its handler did not run again
    # A second backfill of it is refused the same way.
    code, out, err = host.cronix("run", "billing.report", "--at", at)
    assert code == 0, out + err
    assert len(host.calls()) == 1
    records = host.runs()
    assert [r.get("trigger") for r in records] == ["manual", None, "manual"]
    assert {r["fire_time"][:19] for r in records} == {at[:19]}


def test_at_that_is_no_occurrence_names_the_nearest_and_force_fires_it(host: Host) -> None:
    hour = _last_hour()
    odd = format_utc(hour - 3600 + 17 * 60)
    proc = run_cronix("run", "billing.report", "--at", odd, "--config", str(host.config), env=host.env)
    assert_one_line_error(
        proc,
        2,
        f"--at {odd} is not an occurrence of its schedules in UTC",
        f"nearest before: {format_utc(hour - 3600)}, after: {format_utc(hour)}",
        "--force",
    )
    assert host.calls() == []
    code, out, err = host.cronix("run", "billing.report", "--at", odd, "--force")
    assert code == 0, out + err
    assert host.calls()[0]["fire_id"] == f"billing.report#0@{odd}"


def test_future_bad_times_and_unknown_jobs_are_clear_errors(host: Host) -> None:
    future = format_utc(_last_hour() + 7200)
    run = ("--config", str(host.config))
    assert_one_line_error(
        run_cronix("run", "billing.report", "--at", future, *run, env=host.env), 2, "is in the future"
    )
    assert_one_line_error(
        run_cronix("run", "billing.report", "--at", "yesterday", *run, env=host.env), 2, "--at: fire time"
    )
    assert_one_line_error(
        run_cronix("run", "billing.report", "--schedule-index", "3", *run, env=host.env),
        2,
        "the job has schedules 0 to 0",
    )
    assert_one_line_error(
        run_cronix("run", "billing.nope", *run, env=host.env), 1, "billing.nope has no trigger spec file"
    )
    assert host.calls() == []


def test_a_failed_fire_is_exit_1_naming_the_outcome(host: Host, tmp_path: Path) -> None:
    env = {**host.env, "CRON_SECRET": "not-the-apps-secret"}
    proc = run_cronix("run", "billing.report", "--config", str(host.config), env=env)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("cronix: error: billing.report run ") and "app_rejected (trigger exit 1)" in last
    assert "not-the-apps-secret" not in proc.stderr + proc.stdout
    (record,) = host.runs()
    assert (record["trigger"], record["status"], record["http_status"]) == ("manual", "failed", 401)


def test_a_backend_that_neither_fires_here_nor_runs_now_is_exit_3(host: Host, tmp_path: Path) -> None:
    proc = run_cronix(
        "run",
        "billing.report",
        "--config",
        str(host.config),
        "--backend",
        "vercel",
        "--backend-config",
        f"path={tmp_path}/vercel.json",
        env=host.env,
    )
    assert_one_line_error(proc, 3, "backend vercel cannot run a job now")


def test_nearest_occurrences_of_an_irregular_schedule() -> None:
    """Weekdays only: a Saturday's nearest are Friday's and Monday's, not a fixed period away."""
    from cronix.operations.running import nearest_occurrences
    from cronix.protocol.fireid import parse_utc

    saturday = parse_utc("2026-11-28T09:00:00Z")
    before, after, exact = nearest_occurrences(["0 9 * * 1-5"], "Europe/Berlin", saturday)
    assert not exact
    assert (format_utc(before or 0), format_utc(after or 0)) == (
        "2026-11-27T08:00:00Z",
        "2026-11-30T08:00:00Z",
    )
    monday = parse_utc("2026-11-30T08:00:00Z")
    before, after, exact = nearest_occurrences(["0 9 * * 1-5", "0 9 * * 1"], "Europe/Berlin", monday)
    assert exact and format_utc(after or 0) == "2026-12-01T08:00:00Z"
    assert nearest_occurrences(["0 0 31 2 *"], "UTC", monday) == (None, None, False)
