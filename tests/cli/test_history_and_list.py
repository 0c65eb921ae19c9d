"""History and status an operator can use (issue 14 item 9).

``history`` without a job shows every job; ``-o json`` keeps the run log's fire time, HTTP
status, exit code and duration; a fire that got no response has no HTTP status (not 0);
run ids are never cut on a 120-column terminal; ``list`` shows each entry's schedule,
timezone and next fire time, and says so when there is nothing. Real fires of the real
``cronix trigger`` against a real HTTP server.
"""

from __future__ import annotations

import http.server
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reconcile.conftest import Host, job
from tests.support.cli import CRONIX, run_cronix
from tests.support.httpserver import serving
from tests.support.procs import free_port
from tests.support.terminal import run_on_pty


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200 if "ping" in self.path else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def app_url() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Ok)
    with serving(server):
        yield f"http://127.0.0.1:{server.server_address[1]}"


def _fire(host: Host, target: str, run_log: Path) -> int:
    proc = subprocess.run(
        [CRONIX, "trigger", target, "--spec-dir", str(host.spec_dir), "--run-log", str(run_log),
         "--state-dir", "", "--lock-dir", str(host.root / "locks")],
        capture_output=True, text=True, timeout=60, check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(host.root), "CRON_SECRET": "s3cret-for-tests"},
    )  # fmt: skip
    return proc.returncode


def _jobs(url: str, dead: str) -> list[dict[str, object]]:
    return [
        job("ping", "@hourly", request={"url": f"{url}/ping"}),
        job("report", "30 9 * * mon-fri", tz="UTC", request={"url": f"{url}/report"}),
        job("dead", "@daily", request={"url": f"{dead}/x"}, policy={"retries": {"max_attempts": 1}}),
    ]


def _fired(host: Host, app_url: str) -> Path:
    dead = f"http://127.0.0.1:{free_port()}"
    m = host.manifest("billing", *_jobs(app_url, dead))
    assert host.apply(m, "--secret-ref", "env:CRON_SECRET").code == 0
    run_log = host.root / "runs.jsonl"
    assert [_fire(host, f"billing.{n}", run_log) for n in ("ping", "report", "dead")] == [0, 1, 2]
    return run_log


def test_history_without_a_job_shows_every_job(host: Host, app_url: str) -> None:
    run_log = _fired(host, app_url)
    proc = run_cronix("history", "--run-log", str(run_log), "--no-journald", env={"NO_COLOR": "1"})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["WHEN", "JOB", "RUN_ID", "ATTEMPT", "STATUS", "HTTP", "SOURCE", "DETAIL"]
    assert [line.split()[1] for line in lines[1:]] == ["billing.ping", "billing.report", "billing.dead"]
    assert lines[1].split()[5] == "200" and lines[2].split()[5] == "404" and lines[3].split()[5] == "-"
    doc = json.loads(run_cronix("history", "--run-log", str(run_log), "--no-journald", "-o", "json").stdout)
    assert doc["app"] is None and doc["job"] is None
    ping, report, dead = doc["entries"]
    assert (ping["http_status"], ping["exit_code"], report["http_status"], report["exit_code"]) == (
        200,
        0,
        404,
        1,
    )
    assert dead["http_status"] is None  # no response came back: not "0"
    assert dead["exit_code"] == 2
    assert ping["fire_time"].endswith("Z") and ping["fire_time"][:2] == "20"
    assert isinstance(ping["duration_ms"], int) and ping["duration_ms"] >= 0
    one = json.loads(
        run_cronix(
            "history", "billing.report", "--run-log", str(run_log), "--no-journald", "-o", "json"
        ).stdout
    )
    assert [e["job"] for e in one["entries"]] == ["report"]


def test_history_native_backend_needs_a_job(tmp_path: Path) -> None:
    proc = run_cronix("history", "--backend", "crontab", "--run-log", str(tmp_path / "r"), "--no-journald")
    assert proc.returncode == 2
    assert "history --backend needs a job" in proc.stderr


def test_run_ids_are_whole_on_a_120_column_terminal(host: Host, app_url: str) -> None:
    run_log = _fired(host, app_url)
    with run_log.open("a") as fh:  # a run with a long detail, as a failing app can produce
        record = json.loads(run_log.read_text().splitlines()[-1])
        record.update(run_id="0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee", detail="x" * 300)
        fh.write(json.dumps(record) + "\n")
    ids = [json.loads(line)["run_id"] for line in run_log.read_text().splitlines()]
    rc, shown = run_on_pty([CRONIX, "history", "--run-log", str(run_log), "--no-journald"], columns=120)
    assert rc == 0
    for run_id in ids:
        assert run_id in shown, (run_id, shown)
    # DETAIL is the column that gives way (a refused connection's detail names the address);
    # no run id is ever cut.
    assert re.search(r"[0-9a-f-]{8,}…", shown) is None, shown


def test_list_shows_schedule_timezone_and_next_fire_time(host: Host, app_url: str) -> None:
    m = host.manifest("billing", *_jobs(app_url, app_url))
    assert host.apply(m, "--secret-ref", "env:CRON_SECRET").code == 0
    flags = [*host.backend_flags(), "--spec-dir", str(host.spec_dir)]
    out = host.run("list", *flags).out.splitlines()
    assert out[0].split() == ["APP", "JOB", "IDX", "SCHEDULE", "TIMEZONE", "NEXT", "HASH"]
    report = next(line for line in out if " report " in line)
    assert "30 9 * * mon-fri" in report and " UTC " in report and ":30:00+00:00" in report
    doc = host.run("list", *flags, "-o", "json").json()
    entry = next(e for e in doc["entries"] if e["job"] == "ping")
    assert (entry["schedule"], entry["timezone"]) == ("@hourly", "UTC")
    assert entry["next_fire_time"].endswith(":00:00+00:00")


def test_an_empty_list_says_so(host: Host) -> None:
    result = host.run("list", *host.backend_flags())
    assert result.code == 0
    assert result.out == "cronix owns no entries on crontab\n"
    assert host.run("list", *host.backend_flags(), "-o", "json").json() == {
        "backend": "crontab",
        "entries": [],
    }
