"""The run log (append, rotation, concurrent writers), shim-log folding, and ``cronix history``."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cronix.cli.commands.history import parse_when
from cronix.errors import UsageError
from cronix.runlog import append_run, fold_shim_logs, read_run_log, run_log_files
from tests.trigger.app_server import AppServer, Reply
from tests.trigger.conftest import CRONIX, Host, write_spec


def _record(n: int, status: str = "ok") -> dict[str, object]:
    when = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n)
    stamp = when.isoformat().replace("+00:00", "Z")
    return {
        "v": 1,
        "app": "billing",
        "job": "ping",
        "run_id": f"run-{n:04d}",
        "status": status,
        "attempts": 1,
        "started_at": stamp,
        "finished_at": stamp,
        "detail": "",
    }


def test_rotation_keeps_the_newest_files_and_lines(tmp_path: Path) -> None:
    log = tmp_path / "log" / "runs.jsonl"
    line_size = len(json.dumps(_record(0), separators=(",", ":"))) + 1
    for n in range(20):
        append_run(str(log), _record(n), max_bytes=line_size * 3, keep=2)
    files = run_log_files(str(log))
    assert [Path(f).name for f in files] == ["runs.jsonl.2", "runs.jsonl.1", "runs.jsonl"]
    assert all(len(Path(f).read_text().splitlines()) <= 3 for f in files)
    runs = read_run_log(str(log), "billing", "ping")
    assert [r.run_id for r in runs] == [f"run-{n:04d}" for n in range(20 - len(runs), 20)]
    assert len(runs) >= 7  # 2 full rotated files + the live one


def test_concurrent_writers_neither_interleave_nor_lose_lines(tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    writer = (
        "import sys\nfrom cronix.runlog import append_run\n"
        "for i in range(100):\n"
        "    append_run(sys.argv[1], {'app': 'billing', 'job': 'ping', 'run_id': sys.argv[2] + str(i),"
        " 'detail': 'x' * 200}, max_bytes=20000, keep=50)\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", writer, str(log), f"w{w}-"]) for w in range(4)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    lines = [line for f in run_log_files(str(log)) for line in Path(f).read_text().splitlines()]
    assert len(lines) == 400
    assert len({json.loads(line)["run_id"] for line in lines}) == 400
    assert len(run_log_files(str(log))) > 1  # it did rotate under contention


# Lines as the Go shim writes them (fire-time §1.12), including its "attempts" quirk.
GO_LINES = [
    '{"time":"2026-01-01T00:00:00.5+02:00","level":"WARN","msg":"trigger: server error",'
    '"app":"billing","job":"ping","run_id":"r1","attempt":1,"status":503,"body_excerpt":""}',
    '{"time":"2026-01-01T00:00:02.123456789+02:00","level":"INFO","msg":"trigger: success",'
    '"app":"billing","job":"ping","run_id":"r1","attempt":2,"status":200}',
    '{"time":"2026-01-01T00:01:00Z","level":"INFO","msg":"trigger: lock contended",'
    '"app":"billing","job":"ping","run_id":"r2","scope":"host"}',
    '{"time":"2026-01-01T00:02:00Z","level":"ERROR","msg":"trigger: retries exhausted",'
    '"app":"billing","job":"ping","run_id":"r3","attempts":3,"last_status":500}',
    '{"time":"2026-01-01T00:03:00Z","level":"INFO","msg":"trigger: success",'
    '"app":"billing","job":"other","run_id":"r4","attempt":1,"status":200}',
    '{"time":"2026-01-01T00:03:00Z","level":"ERROR","msg":"trigger: load spec","err":"x"}',
    "not json at all",
]


def test_fold_reference_shim_lines() -> None:
    runs = fold_shim_logs(GO_LINES, "billing", "ping", "stdout")
    assert [(r.run_id, r.status, r.attempt) for r in runs] == [
        ("r1", "ok", 2),
        ("r2", "lock-contended", 0),
        ("r3", "failed", 3),
    ]
    r1 = runs[0]
    assert r1.started_at == datetime(2025, 12, 31, 22, 0, 0, 500000, tzinfo=UTC)
    assert r1.finished_at == datetime(2025, 12, 31, 22, 0, 2, 123456, tzinfo=UTC)
    assert [r.run_id for r in fold_shim_logs(GO_LINES, "billing", "ping", "x", status="failed")] == ["r3"]


def test_fold_journald_records() -> None:
    records = [
        json.dumps({"MESSAGE": GO_LINES[1], "__REALTIME_TIMESTAMP": "1767225602000000", "_COMM": "cronix"}),
        json.dumps({"MESSAGE": "plain text from cron", "__REALTIME_TIMESTAMP": "1767225603000000"}),
    ]
    (run,) = fold_shim_logs(records, "billing", "ping", "journald")
    assert (run.run_id, run.status, run.source) == ("r1", "ok", "journald")
    assert run.finished_at == datetime.fromtimestamp(1767225602, UTC)


def test_parse_when() -> None:
    now = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    assert parse_when("7d", now=now) == datetime(2026, 1, 3, 12, 0, tzinfo=UTC)
    assert parse_when("2h30m", now=now) == datetime(2026, 1, 10, 9, 30, tzinfo=UTC)
    assert parse_when("2026-01-01T01:00:00+01:00") == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    for bad in ("7 days", "2026-01-01T00:00:00", "", "d7"):
        with pytest.raises(UsageError):
            parse_when(bad)


def _history(host: Host, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [CRONIX, "history", "billing.ping", "--run-log", str(host.run_log), "--no-journald", *args]
    return subprocess.run(argv, env=host.env(), capture_output=True, text=True, timeout=60, check=False)


def _ids(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [e["run_id"] for e in json.loads(proc.stdout)["entries"]]


def test_history_shows_the_runs_the_trigger_recorded(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url())
    app.replies = [Reply(200), Reply(404)]
    assert [host.trigger().returncode for _ in range(2)] == [0, 1]
    run_ids = [r.header("X-Cron-Run-Id") for r in app.requests]
    proc = _history(host, "-o", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [(e["run_id"], e["status"], e["attempt"], e["source"]) for e in doc["entries"]] == [
        (run_ids[0], "ok", 1, "runlog"),
        (run_ids[1], "failed", 1, "runlog"),
    ]
    assert set(doc["entries"][0]) == {
        "app", "job", "run_id", "attempt", "started_at", "finished_at", "status", "source", "detail",
        "pod", "node",
        "fire_time", "http_status", "exit_code", "duration_ms", "manual", "host",
    }  # fmt: skip
    assert not any(e["manual"] for e in doc["entries"])  # the scheduler's fires, not cronix run's
    assert [(e["http_status"], e["exit_code"]) for e in doc["entries"]] == [(200, 0), (404, 1)]
    assert [
        e["run_id"] for e in json.loads(_history(host, "-o", "json", "--status", "failed").stdout)["entries"]
    ] == [run_ids[1]]
    assert [
        e["run_id"] for e in json.loads(_history(host, "-o", "json", "--limit", "1").stdout)["entries"]
    ] == [run_ids[1]]
    assert json.loads(_history(host, "-o", "json", "--until", "1h").stdout)["entries"] == []
    table = _history(host, "--since", "10m").stdout
    assert table.splitlines()[0].split() == [
        "WHEN",
        "RUN_ID",
        "ATTEMPT",
        "STATUS",
        "HTTP",
        "SOURCE",
        "DETAIL",
    ]
    assert run_ids[0] in table
    assert run_ids[1] in table


def test_history_bad_input_is_a_usage_error(host: Host) -> None:
    for args in (["--since", "soon"], ["--backend", "no-such-backend"]):
        proc = _history(host, *args)
        assert proc.returncode == 2
        assert len(proc.stderr.splitlines()) == 1
    proc = subprocess.run([CRONIX, "history", "nodot"], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "expected <app>.<job>" in proc.stderr
