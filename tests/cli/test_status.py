"""``cronix status`` (issue 15 item 2): every job on every configured backend with its schedule,
zone, last run, next fire, jitter window, pause and drift; ``--missed`` exits 5 when an expected
occurrence has no successful run; ``-o json``.

Runs are real: the real ``cronix trigger`` fires against a real HTTP server and appends to a
run log under tmp; remote history comes from the real echo plugin process. Where a test needs
runs at past instants (a day of occurrences), it appends run-log records in the trigger's own
format (``cronix.runlog``), which is ours to write.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cronix.protocol.manifest import parse_manifest
from cronix.runlog import format_time
from tests.operations.conftest import echo_config
from tests.reconcile.conftest import REF, Host, job, manifest_doc
from tests.support.cli import CRONIX, run_cronix
from tests.support.httpserver import serving

SECRET_ENV = {"CRON_SECRET": "s3cret-for-tests"}
__all__ = ["echo_config"]  # the real echo plugin, pinned in a private directory


@pytest.fixture
def app_url() -> Iterator[str]:
    import http.server

    class Reply(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200 if "ping" in self.path else 500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Reply)
    with serving(server):
        yield f"http://127.0.0.1:{server.server_address[1]}"


def _fire(host: Host, target: str, run_log: Path, *extra: str) -> int:
    proc = subprocess.run(
        [CRONIX, "trigger", target, "--spec-dir", str(host.spec_dir), "--run-log", str(run_log),
         "--state-dir", "", "--lock-dir", str(host.root / "locks"), *extra],
        capture_output=True, text=True, timeout=60, check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(host.root), **SECRET_ENV},
    )  # fmt: skip
    return proc.returncode


def _jobs(url: str) -> list[dict[str, Any]]:
    return [
        job("ping", "*/5 * * * *", request={"url": f"{url}/ping"}),
        job(
            "report",
            "30 9 * * mon-fri",
            request={"url": f"{url}/report"},
            policy={"retries": {"max_attempts": 1}, "jitter_seconds": 30},
        ),
        job("paused", "@hourly", request={"url": f"{url}/paused"}, enabled=False),
    ]


def _status(host: Host, *args: str) -> Any:
    return host.run("status", *host.plan_flags(), "--no-journald", *args)


def test_status_shows_every_job_with_its_last_run_next_fire_jitter_pause_and_drift(
    host: Host, app_url: str
) -> None:
    m = host.manifest("billing", *_jobs(app_url))
    assert host.apply(m, "--secret-ref", "env:CRON_SECRET").code == 0
    run_log = host.root / "runs.jsonl"
    assert [_fire(host, t, run_log) for t in ("billing.ping", "billing.report")] == [0, 2]
    result = _status(host, "--run-log", str(run_log), "-o", "json")
    assert result.code == 0, result.err
    doc = result.json()
    assert doc["backends"] == [{"name": "crontab", "type": "crontab", "error": None}]
    jobs = {j["job"]: j for j in doc["jobs"]}
    assert sorted(jobs) == ["paused", "ping", "report"]
    ping, report, paused = jobs["ping"], jobs["report"], jobs["paused"]
    assert (ping["schedules"], ping["timezone"], ping["state"], ping["entries"]) == (
        ["*/5 * * * *"],
        "UTC",
        "in-sync",
        1,
    )
    last = ping["last_run"]
    assert last["status"] == "ok" and last["source"] == "runlog"
    assert isinstance(last["duration_ms"], int) and last["where"]  # the host the trigger ran on
    assert report["last_run"]["status"] == "failed"
    assert report["jitter_seconds"] == 30
    assert datetime.fromisoformat(ping["next_fire"]).minute % 5 == 0
    assert datetime.fromisoformat(report["next_fire"]).strftime("%H:%M") == "09:30"
    assert paused["pause"] == {"declared": True, "suspended": True, "state": "paused"}  # commented out
    assert paused["next_fire"] is None and paused["last_run"] is None
    assert doc["missed"] is None  # not asked for

    table = _status(host, "--run-log", str(run_log)).out.splitlines()
    headers = table[0].split()
    assert headers[:4] == ["BACKEND", "JOB", "SCHEDULE", "TZ"] and "MISSED" not in headers
    row = {line.split()[1]: line for line in table[1:]}
    assert " ok " in row["billing.ping"] and " failed " in row["billing.report"]
    assert "+0..30s" in row["billing.report"] and " paused " in row["billing.paused"]

    # A hand edit is drift; a job added to the manifest is missing; one dropped is undeclared.
    host.crontab.write_text(host.crontab.read_text().replace("*/5 * * * *", "*/7 * * * *"))
    changed = host.manifest("billing", *_jobs(app_url)[:2], job("new", "@daily"))
    doc = _status(host, "--manifest", str(changed), "--secret-ref", REF, "-o", "json").json()
    states = {j["job"]: (j["state"], j["detail"]) for j in doc["jobs"]}
    assert states["ping"][0] == "drifted"
    assert states["report"] == ("in-sync", "")
    assert states["new"] == ("missing", "not installed (apply creates it)")
    assert states["paused"] == ("undeclared", "not in the manifest (apply deletes it)")


def _record(app: str, name: str, fire: datetime, status: str = "ok", **extra: Any) -> str:
    started = fire + timedelta(seconds=1)
    doc = {
        "v": 1, "app": app, "job": name, "run_id": f"{name}-{fire.timestamp():.0f}-{status}",
        "status": status, "outcome": "success" if status == "ok" else "app_error", "exit_code": 0,
        "attempts": 1, "http_status": 200, "started_at": format_time(started),
        "finished_at": format_time(started + timedelta(milliseconds=84)), "fire_time": format_time(fire),
        "duration_ms": 84, "host": "web-1", "detail": "",
    }  # fmt: skip
    doc.update(extra)
    return json.dumps(doc) + "\n"


def test_missed_lists_expected_occurrences_without_a_successful_run_and_exits_5(host: Host) -> None:
    m = host.manifest("billing", job("hourly", "0 * * * *"), job("off", "* * * * *", enabled=False))
    assert host.apply(m).code == 0
    long_ago = (datetime.now(UTC) - timedelta(days=2)).timestamp()
    for spec in host.spec_dir.iterdir():  # applied two days ago
        import os

        os.utime(spec, (long_ago, long_ago))
    now = datetime.now(UTC)
    top = now.replace(minute=0, second=0, microsecond=0)
    # The last seven occurrences; the newest may not be due yet (its run may still be going).
    hours = [top - timedelta(hours=h) for h in range(7)]
    run_log = host.root / "runs.jsonl"
    run_log.write_text("".join(_record("billing", "hourly", h) for h in hours))
    since = format_time(hours[-1] - timedelta(minutes=1))
    assert since is not None
    ok = _status(host, "--run-log", str(run_log), "--missed", "--since", since)
    assert ok.code == 0, ok.err
    assert ok.out.startswith("no missed runs since ")

    # One occurrence failed, one has no record at all: both are listed, exit 5.
    lines = run_log.read_text().splitlines(keepends=True)
    lines[1] = _record("billing", "hourly", hours[1], status="failed")
    run_log.write_text("".join(lines[:3] + lines[4:]))
    missed = _status(host, "--run-log", str(run_log), "--missed", "--since", since)
    assert missed.code == 5
    rows = missed.out.splitlines()
    assert rows[0].split() == ["JOB", "SCHEDULE", "SCHEDULED", "RECORDED", "FIRE-ID"]
    fire_ids = [f"billing.hourly#0@{h.strftime('%Y-%m-%dT%H:%M:%SZ')}" for h in (hours[3], hours[1])]
    assert [r.split()[-1] for r in rows[1:]] == fire_ids
    assert [r.split()[-2] for r in rows[1:]] == ["none", "failed"]
    assert missed.err.startswith("cronix: error: 2 expected run(s) of 1 job(s) have no successful record")
    doc = _status(host, "--run-log", str(run_log), "--missed", "--since", since, "-o", "json")
    assert doc.code == 5
    assert [x["fire_id"] for x in doc.json()["missed"]] == fire_ids
    # The declared pause expects nothing, although its every-minute schedule never ran.
    assert {j["job"]: len(j["missed"]) for j in doc.json()["jobs"]} == {"hourly": 2, "off": 0}


def test_real_fires_with_their_scheduled_time_answer_their_occurrences(host: Host, app_url: str) -> None:
    """The trigger's own run-log records (``fire_time`` from ``--fire-time``, as a scheduler or a
    backfill passes it) match the occurrences status expects, hours after they were due."""
    import os

    m = host.manifest("billing", job("ping", "0 * * * *", request={"url": f"{app_url}/ping"}))
    assert host.apply(m, "--secret-ref", "env:CRON_SECRET").code == 0
    long_ago = (datetime.now(UTC) - timedelta(days=1)).timestamp()
    os.utime(host.spec_dir / "billing.ping.json", (long_ago, long_ago))
    top = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    due = [top - timedelta(hours=h) for h in (3, 2, 1)]
    run_log = host.root / "runs.jsonl"
    for when in (due[0], due[2], top):  # a gap in the middle; the current hour too
        assert _fire(host, "billing.ping", run_log, "--fire-time", when.strftime("%Y-%m-%dT%H:%M:%SZ")) == 0
    since = format_time(due[0] - timedelta(minutes=1))
    assert since is not None
    result = _status(host, "--run-log", str(run_log), "--missed", "--since", since, "-o", "json")
    assert result.code == 5, result.err
    assert [x["fire_id"] for x in result.json()["missed"]] == [
        f"billing.ping#0@{due[1].strftime('%Y-%m-%dT%H:%M:%SZ')}"
    ]


def test_missed_takes_the_jobs_own_start_grace_else_the_configured_default(host: Host) -> None:
    """A start 20 minutes late answers its occurrence for a job whose manifest allows an hour
    (``monitoring.start_grace_seconds``, D-700: the grace the alert rules use), not for one
    that takes cronix.yaml's default (300 s) — unless ``--grace`` says otherwise for both."""
    import os

    m = host.manifest(
        "billing",
        job("lenient", "0 * * * *", monitoring={"start_grace_seconds": 3600}),
        job("strict", "0 * * * *"),
    )
    assert host.apply(m).code == 0
    long_ago = (datetime.now(UTC) - timedelta(days=1)).timestamp()
    for spec in host.spec_dir.iterdir():
        os.utime(spec, (long_ago, long_ago))
    due = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    late = due + timedelta(minutes=20)
    run_log = host.root / "runs.jsonl"
    # Records without a scheduled time: only the start says which occurrence they answer.
    run_log.write_text("".join(_record("billing", n, late, fire_time=None) for n in ("lenient", "strict")))
    since = format_time(due - timedelta(minutes=1))
    assert since is not None
    at_due = {f"billing.{n}#0@{due.strftime('%Y-%m-%dT%H:%M:%SZ')}": n for n in ("lenient", "strict")}

    def missed(*extra: str) -> set[str]:
        result = _status(host, "--run-log", str(run_log), "--missed", "--since", since, *extra, "-o", "json")
        return {at_due[x["fire_id"]] for x in result.json()["missed"] if x["fire_id"] in at_due}

    assert missed() == {"strict"}
    assert missed("--grace", "30m") == set()


def test_missed_from_a_fresh_apply_counts_only_occurrences_since_the_spec_file_was_written(
    host: Host,
) -> None:
    assert host.apply(host.manifest("billing", job("minutely", "* * * * *"))).code == 0
    result = _status(host, "--run-log", str(host.root / "none.jsonl"), "--missed", "--since", "7d")
    assert result.code == 0, result.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "1h"], "--since needs --missed"),
        (["--missed", "--grace", "soon"], "--grace: expected a duration up to 7d like 5m or 90s, got 'soon'"),
        (["--missed", "--grace", "99999999999999w"], "--grace: expected a duration up to 7d"),
        (["--missed", "--since", "yesterday"], "--since: expected a duration like 7d"),
    ],
)
def test_bad_flags_are_one_line_usage_errors(host: Host, args: list[str], message: str) -> None:
    result = _status(host, *args)
    assert result.code == 2
    assert result.err.count("\n") == 1 and message in result.err


def test_every_configured_backend_and_remote_history_from_the_echo_plugin(
    host: Host, echo_config: dict[str, Any]
) -> None:
    """Two backends from cronix.yaml (crontab and the real echo plugin process) and a broken one:
    each readable backend's jobs are listed, the broken one is reported (exit 3 with --strict),
    and the echo job's last run is the one the plugin's own history holds."""
    import yaml

    from tests.plugins.helpers import store_jobs

    state = Path(echo_config["plugins"]["config"]["echo"]["state_path"])
    store_jobs(
        state, "ops", *parse_manifest(json.dumps(manifest_doc("ops", job("report", "0 6 * * 1")))).jobs
    )
    started = datetime.now(UTC) - timedelta(hours=3)
    doc = json.loads(state.read_text())
    doc["runs"] = [{"app": "ops", "job": "report", "run_id": "r1", "status": "ok",
                    "started_at": started.isoformat(), "finished_at": (started + timedelta(seconds=2)).isoformat()}]  # fmt: skip
    state.write_text(json.dumps(doc))
    assert host.apply(host.manifest("billing", job("ping", "@hourly"))).code == 0
    config = host.root / "cronix.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                **echo_config,
                "spec_dir": str(host.spec_dir),
                "trigger": {"run_log": str(host.root / "runs.jsonl")},
                "backends": {
                    "crontab": {"path": str(host.crontab)},
                    "echo": {},
                    "broken": {"type": "crontab", "format": "nope"},
                },
            },
            sort_keys=False,
        )
    )
    result = run_cronix("status", "--config", str(config), "--no-journald", "-o", "json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert [(b["name"], b["error"] is None) for b in out["backends"]] == [
        ("crontab", True),
        ("echo", True),
        ("broken", False),
    ]
    assert "backends.broken.format" in out["backends"][2]["error"]
    assert "cronix: warning: broken: " in result.stderr
    rows = {(j["backend"], j["app"], j["job"]): j for j in out["jobs"]}
    assert set(rows) == {("crontab", "billing", "ping"), ("echo", "ops", "report")}
    last = rows[("echo", "ops", "report")]["last_run"]
    assert (last["run_id"], last["status"], last["source"], last["duration_ms"]) == ("r1", "ok", "echo", 2000)
    strict = run_cronix("status", "--config", str(config), "--no-journald", "--strict")
    assert strict.returncode == 3
    assert "1 backend(s) could not be read: broken" in strict.stderr
    only = run_cronix("status", "--config", str(config), "--no-journald", "--backend", "echo", "-o", "json")
    assert [j["backend"] for j in json.loads(only.stdout)["jobs"]] == ["echo"]


def test_a_remote_history_that_fails_is_a_warning_and_the_job_is_still_listed(
    tmp_path: Path, echo_config: dict[str, Any]
) -> None:
    import yaml

    from tests.plugins.helpers import store_jobs

    state = Path(echo_config["plugins"]["config"]["echo"]["state_path"])
    store_jobs(
        state, "ops", *parse_manifest(json.dumps(manifest_doc("ops", job("report", "0 6 * * 1")))).jobs
    )
    echo_config["plugins"]["config"]["echo"]["fail_rpc"] = "History"
    config = tmp_path / "cronix.yaml"
    config.write_text(yaml.safe_dump({**echo_config, "backends": {"echo": {}}}))
    result = run_cronix("status", "--config", str(config), "--run-log", "", "--no-journald", "-o", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["jobs"]
    assert [(j["job"], j["state"], j["last_run"]) for j in rows] == [("report", "unverified", None)]
    assert "cronix: warning: echo: history of ops.report could not be read: " in result.stderr
    assert "injected failure of History" in result.stderr
