"""The spec files apply writes are what the real ``cronix trigger`` fires from."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.reconcile.conftest import BIN, job, manifest_doc, run_cronix
from tests.support.httpserver import serving
from tests.support.procs import free_port

SECRET = "apply-then-trigger-secret"


class _App(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = dict(p.split("=", 1) for p in self.headers.get("X-Cron-Signature", "").split(","))
        want = hmac.new(SECRET.encode(), f"{parts['t']}.POST.{self.path}.".encode() + body, hashlib.sha256)
        ok = hmac.compare_digest(want.hexdigest(), parts.get("v1", ""))
        self.server.fired.append((self.path, ok))  # type: ignore[attr-defined]
        self.send_response(200 if ok else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def app_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _App)
    server.fired = []  # type: ignore[attr-defined]
    with serving(server):
        yield server


def test_trigger_fires_from_the_spec_file_apply_wrote(
    tmp_path: Path, app_server: ThreadingHTTPServer
) -> None:
    url = f"http://127.0.0.1:{app_server.server_address[1]}/api/v1/scheduled/ping?src=cron"
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps(manifest_doc("billing", job("ping", "@hourly", request={"url": url}))))
    env = {"CRON_SECRET": SECRET}
    applied = run_cronix(
        [
            "apply",
            "--manifest",
            str(manifest),
            "--secret-ref",
            "env:CRON_SECRET",
            "--crontab-path",
            str(tmp_path / "crontab"),
            "--trigger-bin",
            BIN,
            "--spec-dir",
            str(tmp_path / "jobs"),
            "--lock-path",
            str(tmp_path / "apply.lock"),
        ],
        env=env,
    )
    assert applied.returncode == 0, applied.stderr
    spec = (tmp_path / "jobs" / "billing.ping.json").read_text()
    assert SECRET not in spec
    fired = run_cronix(
        [
            "trigger",
            "billing.ping",
            "--spec-dir",
            str(tmp_path / "jobs"),
            "--lock-dir",
            str(tmp_path / "locks"),
            "--run-log",
            "",
            "--state-dir",
            "",
        ],
        env=env,
    )
    assert fired.returncode == 0, fired.stderr
    assert app_server.fired == [("/api/v1/scheduled/ping?src=cron", True)]  # type: ignore[attr-defined]


def test_a_fire_without_the_variable_says_it_is_not_set(tmp_path: Path) -> None:
    """Issue 14 item 1: under cron ``env:CRON_SECRET`` is unset, not "empty"; the message says so."""
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps(manifest_doc("billing", job("ping", "@hourly"))))
    applied = run_cronix(
        [
            "apply", "--manifest", str(manifest), "--secret-ref", "env:CRON_SECRET_UNSET_HERE",
            "--crontab-path", str(tmp_path / "crontab"), "--trigger-bin", BIN,
            "--spec-dir", str(tmp_path / "jobs"), "--lock-path", str(tmp_path / "apply.lock"),
        ]
    )  # fmt: skip
    assert applied.returncode == 0, applied.stderr
    assert "env:CRON_SECRET_UNSET_HERE" in applied.stderr  # the plan-time warning
    fired = run_cronix(
        [
            "trigger", "billing.ping", "--spec-dir", str(tmp_path / "jobs"),
            "--lock-dir", str(tmp_path / "locks"), "--run-log", "", "--state-dir", "",
        ]
    )  # fmt: skip
    assert fired.returncode == 3
    assert "env:CRON_SECRET_UNSET_HERE is not set" in fired.stdout + fired.stderr
    assert "empty value" not in fired.stdout + fired.stderr
