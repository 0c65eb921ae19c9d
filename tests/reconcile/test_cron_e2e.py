"""End to end: Debian's real cron daemon fires the entry ``cronix apply`` wrote to /etc/cron.d.

The whole flow of a new operator, with nothing faked: ``cronix apply`` with the default
target ``/etc/cron.d/cronix`` (system format, a dotless name, mode 0644), the real
``cronix trigger`` run by cron from that line, HMAC-signed with the secret a ``file:`` ref
names, and a real HTTP app that verifies the signature.

No test may write to the host's ``/etc/cron.d``, and only one cron daemon can own the
system's crontabs. So the daemon runs in a private mount namespace (``unshare --mount``)
where ``/etc/cron.d``, ``/etc/crontab``, ``/var/spool/cron/crontabs`` and ``/run`` (its pid
file) are directories of this test: it sees only the file apply writes, runs beside a host
daemon without conflict, and everything vanishes with it. ``apply`` runs in the same
namespace (``nsenter --mount``). The trigger's run log, state, locks and spec files live
under the test's directory too (a ``CRONIX_CONFIG=`` line of the crontab, as an operator
would set it, names the config).

cron mails whatever a job prints. In the namespace ``/usr/sbin`` gains a ``sendmail`` (an
overlay: the real directory plus one file of the test) that appends each mail to a file,
so the test sees exactly what an operator's ``MAILTO`` would get: nothing for a fire that
succeeded, one line for a fire that failed (D-621).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.reconcile.conftest import job, manifest_doc
from tests.support.cli import CRONIX
from tests.support.httpserver import serving
from tests.support.mounts import UNAVAILABLE, mount_namespaces_usable, private_paths_argv
from tests.support.procs import free_port, require_binary, running, wait_until

pytestmark = pytest.mark.skipif(not mount_namespaces_usable(), reason=UNAVAILABLE)

SECRET = "cron-e2e-secret-of-enough-length"


class _App(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = dict(p.split("=", 1) for p in self.headers.get("X-Cron-Signature", "").split(",") if "=" in p)
        want = hmac.new(
            SECRET.encode(), f"{parts.get('t')}.POST.{self.path}.".encode() + body, hashlib.sha256
        )
        ok = hmac.compare_digest(want.hexdigest(), parts.get("v1", ""))
        self.server.fired.append((time.time(), self.headers.get("X-Cron-Run-Id"), ok))  # type: ignore[attr-defined]
        self.send_response(200 if ok else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def app() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _App)
    server.fired = []  # type: ignore[attr-defined]
    with serving(server):
        yield server


@pytest.fixture
def private_cron(tmp_path: Path) -> Iterator[tuple[int, Path, Path]]:
    """A cron daemon whose system paths are the test's; yields its pid, its /etc/cron.d and its mailbox."""
    cron = require_binary("cron", "cron")
    mailbox = tmp_path / "mailbox"
    sbin = tmp_path / "sbin-overlay"
    sendmail = sbin / "upper" / "sendmail"
    sendmail.parent.mkdir(parents=True)
    sendmail.write_text(f'#!/bin/sh\n{{ cat; echo "--- end of mail ($*)"; }} >> {mailbox}\n')
    sendmail.chmod(0o755)
    root = tmp_path / "sys"
    paths = {"/etc/cron.d": root / "cron.d", "/run": root / "run", "/var/spool/cron/crontabs": root / "spool"}
    for d in paths.values():
        d.mkdir(parents=True, mode=0o755)
    (root / "crontab").write_text("")
    binds: dict[str, str | os.PathLike[str]] = {k: v for k, v in paths.items() if os.path.isdir(k)}
    binds["/etc/crontab"] = root / "crontab"
    pidfile = root / "run" / "crond.pid"
    argv = private_paths_argv(binds, [cron, "-f", "-L", "15"], overlays={"/usr/sbin": sbin})
    with running(argv, ready=pidfile.exists, log=tmp_path / "cron.log") as proc:
        yield proc.pid, paths["/etc/cron.d"], mailbox


def _host_target() -> tuple[int, int] | None:
    """The host's own /etc/cron.d/cronix (the default target), as identity and mtime."""
    try:
        st = os.stat("/etc/cron.d/cronix")
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


def _operator_files(tmp_path: Path, cron_d: Path, extra_config: str = "") -> tuple[Path, Path]:
    """The secret file and cronix.yaml of a test, and the operator's own line in the daemon's
    /etc/cron.d/cronix (``CRONIX_CONFIG=…``, which apply keeps); returns (secret, config)."""
    secret = tmp_path / "secret"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)
    config = tmp_path / "cronix.yaml"
    config.write_text(
        f"spec_dir: {tmp_path / 'jobs'}\n"
        f"trigger_bin: {CRONIX}\n"
        f"apply: {{lock_path: {tmp_path / 'apply.lock'}}}\n"
        f"trigger: {{run_log: {tmp_path / 'runs.jsonl'}, state_dir: {tmp_path / 'state'}}}\n"
        f"locks: {{flock: {{dir: {tmp_path / 'locks'}}}}}\n" + extra_config
    )
    (cron_d / "cronix").write_text(f"CRONIX_CONFIG={config}\n")
    (cron_d / "cronix").chmod(0o644)
    # Debian's cron notices a change by the directory's mtime in whole seconds: a write in
    # the same second as the one it last saw is never picked up. Apply a second later.
    time.sleep(1.1)
    return secret, config


def _apply_in_daemons_namespace(
    pid: int, config: Path, manifest: Path, secret: Path
) -> subprocess.CompletedProcess[str]:
    """``cronix apply`` in the cron daemon's mount namespace, where /etc/cron.d is the test's."""
    nsenter = require_binary("nsenter", "util-linux")
    return subprocess.run(
        [nsenter, "--target", str(pid), "--mount", "--", CRONIX, "apply", "--config", str(config),
         "--manifest", str(manifest), "--secret-ref", f"file:{secret}"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_cron_fires_the_entry_apply_wrote(
    tmp_path: Path, app: ThreadingHTTPServer, private_cron: tuple[int, Path, Path]
) -> None:
    pid, cron_d, mailbox = private_cron
    host_target = _host_target()
    secret, config = _operator_files(tmp_path, cron_d)
    url = f"http://127.0.0.1:{app.server_address[1]}/api/v1/scheduled/tick"
    manifest = tmp_path / "m.json"
    refused = f"http://127.0.0.1:{free_port()}/api/v1/scheduled/down"  # nothing listens there
    down = job("down", "* * * * *", request={"url": refused}, policy={"retries": {"max_attempts": 1}})
    manifest.write_text(json.dumps(manifest_doc("e2e", job("tick", "* * * * *", request={"url": url}), down)))
    applied = _apply_in_daemons_namespace(pid, config, manifest, secret)
    assert applied.returncode == 0, applied.stderr
    assert applied.stderr == ""  # a file: ref, an existing trigger_bin: nothing to warn about
    text = (cron_d / "cronix").read_text()
    assert f"* * * * * root {CRONIX} trigger e2e.tick\n" in text
    assert text.startswith(f"CRONIX_CONFIG={config}\n# BEGIN cronix-managed\n")
    assert (cron_d / "cronix").stat().st_mode & 0o777 == 0o644
    wait_until(lambda: bool(app.fired), timeout=130, interval=0.5)  # type: ignore[attr-defined]
    first_at, run_id, verified = app.fired[0]  # type: ignore[attr-defined]
    assert verified, "the app refused the trigger's signature"
    assert run_id
    runs = tmp_path / "runs.jsonl"
    wait_until(lambda: runs.exists() and len(runs.read_text().splitlines()) >= 2, timeout=30, interval=0.2)
    records = {r["job"]: r for r in map(json.loads, runs.read_text().splitlines()[:2])}
    assert records["tick"]["app"] == "e2e" and records["tick"]["outcome"] == "success"
    assert records["down"]["outcome"] == "retries_exhausted"
    # cron mailed the failure, as one line, and nothing for the success (D-621)
    wait_until(
        lambda: mailbox.exists() and "--- end of mail" in mailbox.read_text(), timeout=30, interval=0.2
    )
    time.sleep(1.0)  # a second mail, if cron were sending one for tick, would be written by now
    mail = mailbox.read_text()
    assert mail.count("--- end of mail") == 1, mail
    assert "e2e.tick" not in mail
    body = mail.split("\n\n", 1)[1].split("--- end of mail")[0]
    assert body.splitlines() == [
        f"cronix trigger e2e.down failed (exit 2): no attempt succeeded: {records['down']['detail']}; "
        f"run {records['down']['run_id']}, see cronix history e2e.down"
    ], mail
    # one fire per minute: nothing else runs this job
    time.sleep(max(0.0, 5 - (time.time() - first_at)))
    assert len([f for f in app.fired if f[0] - first_at < 50]) == 1  # type: ignore[attr-defined]
    assert _host_target() == host_target  # the host's /etc/cron.d/cronix was never touched


def _local_schedules(delta_hours: int, starts: list[datetime]) -> list[str]:
    """One schedule per start (UTC), at the wall time ``start - delta_hours``."""
    return [
        f"{(s - timedelta(hours=delta_hours)).minute} {(s - timedelta(hours=delta_hours)).hour} * * *"
        for s in starts
    ]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_cron_fires_a_job_of_another_zone_only_at_its_occurrences(
    tmp_path: Path, app: ThreadingHTTPServer, private_cron: tuple[int, Path, Path]
) -> None:
    """Issue 14 item 3 with the real daemon (no CRON_TZ): two New York jobs, each installed at
    both of its possible UTC times. At the coming minutes one job's line is its occurrence and
    fires; the other's line matches too, but by the offset New York does not have now: its
    guard skips it — nothing sent, a ``skipped`` record, and no mail for either (D-621)."""
    pid, cron_d, mailbox = private_cron
    secret, config = _operator_files(tmp_path, cron_d, "backends: {crontab: {host_timezone: UTC}}\n")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    starts = [now + timedelta(minutes=k) for k in (2, 3, 4)]  # time for cron to read the file first
    zone = "America/New_York"
    offset_now = -int(ZoneInfo(zone).utcoffset(now).total_seconds() // 3600)  # host minus job: 4 or 5
    other = 9 - offset_now  # the offset New York has in the other half of the year
    base = f"http://127.0.0.1:{app.server_address[1]}/api/v1/scheduled"
    manifest = tmp_path / "m.json"
    jobs = [
        job("now", *_local_schedules(offset_now, starts), tz=zone, request={"url": f"{base}/now"}),
        job("other", *_local_schedules(other, starts), tz=zone, request={"url": f"{base}/other"}),
    ]
    manifest.write_text(json.dumps(manifest_doc("e2e", *jobs)))
    applied = _apply_in_daemons_namespace(pid, config, manifest, secret)
    assert applied.returncode == 0, applied.stderr
    text = (cron_d / "cronix").read_text()
    first = starts[0]
    hours = sorted({first.hour, (first - timedelta(hours=other) + timedelta(hours=offset_now)).hour})
    assert (
        f"{first.minute} {','.join(map(str, hours))} * * * root {CRONIX} trigger e2e.other --guard 0" in text
    )
    runs = tmp_path / "runs.jsonl"

    def records() -> list[dict[str, object]]:
        return [json.loads(line) for line in runs.read_text().splitlines()] if runs.exists() else []

    wait_until(lambda: len(records()) >= 6, timeout=starts[-1].timestamp() - time.time() + 90, interval=0.5)
    by_job: dict[str, list[str]] = {}
    for record in records():
        by_job.setdefault(str(record["job"]), []).append(str(record["status"]))
    assert by_job == {"now": ["ok"] * 3, "other": ["skipped"] * 3}, by_job
    assert len(app.fired) == 3 and all(ok for _, _, ok in app.fired)  # type: ignore[attr-defined]
    time.sleep(1.0)  # a mail for any of these six starts would be written by now
    assert not mailbox.exists() or "--- end of mail" not in mailbox.read_text(), mailbox.read_text()
