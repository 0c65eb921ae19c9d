"""Fires against a real app server: every outcome, every header, every exit code."""

from __future__ import annotations

import json
import time
import uuid

from tests.support.procs import free_port
from tests.trigger.app_server import AppServer, Reply
from tests.trigger.conftest import SECRET, Host, log_lines, write_spec


def test_success_sends_a_verified_request_with_every_injected_header(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url("/api/v1/scheduled/ping?tenant=a&x=%20"), request={"method": "PUT"})
    before = int(time.time())
    proc = host.trigger()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (req,) = app.requests
    assert req.verdict == "ok"
    assert (req.method, req.path, req.body) == (
        "PUT",
        "/api/v1/scheduled/ping?tenant=a&x=%20",
        b'{"hello":"world"}',
    )
    run_id = req.header("X-Cron-Run-Id")
    assert run_id is not None
    assert uuid.UUID(run_id).version == 7
    assert req.header("X-Cron-Schedule-Name") == "ping"
    assert req.header("X-Cron-Attempt") == "1"
    actual = int(req.header("X-Cron-Fire-Time-Actual") or 0)
    assert before <= actual <= int(time.time())
    # "* * * * *": the intended time is the minute boundary at or before the start.
    intended = int(req.header("X-Cron-Fire-Time") or 0)
    assert intended % 60 == 0
    assert actual - 60 < intended <= actual
    assert req.header("X-Cron-Previous-Success-Time") is None
    (line,) = log_lines(proc.stdout)
    assert list(line) == ["time", "level", "msg", "app", "job", "run_id", "attempt", "status"]
    assert (line["level"], line["msg"], line["run_id"], line["status"]) == (
        "INFO",
        "trigger: success",
        run_id,
        200,
    )
    assert SECRET not in proc.stdout + proc.stderr
    assert req.header("X-Cron-Signature") not in proc.stdout
    (record,) = host.runs()
    assert (record["run_id"], record["status"], record["exit_code"], record["attempts"]) == (
        run_id,
        "ok",
        0,
        1,
    )


def test_previous_success_time_is_sent_after_a_success(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url())
    assert host.trigger().returncode == 0
    state = json.loads((host.state_dir / "billing.ping.json").read_text())
    assert host.trigger().returncode == 0
    first, second = app.requests
    assert first.header("X-Cron-Previous-Success-Time") is None
    assert second.header("X-Cron-Previous-Success-Time") == str(state["last_success_time"])
    assert state["last_success_time"] == int(first.header("X-Cron-Fire-Time-Actual") or 0)
    assert state["run_id"] == first.header("X-Cron-Run-Id")


def test_fire_time_from_the_scheduler_wins(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url())
    assert host.trigger("billing.ping", "--fire-time", "2026-01-02T03:04:00Z").returncode == 0
    assert host.trigger(env=host.env(CRONIX_FIRE_TIME="1767323040")).returncode == 0
    assert [r.header("X-Cron-Fire-Time") for r in app.requests] == ["1767323040", "1767323040"]
    bad = host.trigger("billing.ping", "--fire-time", "yesterday")
    assert bad.returncode == 2  # a usage error: nothing fired (D-620)
    assert "fire time must be Unix seconds or RFC 3339" in bad.stderr


def test_a_systemd_timers_elapse_time_anchors_the_intended_fire_time(host: Host, app: AppServer) -> None:
    """``$TRIGGER_TIMER_REALTIME_USEC`` (systemd ≥ 252 sets it for timer-activated services) is
    when the timer elapsed: the fire time counts back from it, however late the shim starts."""
    import time

    write_spec(host.spec_dir, app.url(), schedule="*/5 * * * *")
    boundary = (int(time.time()) // 300 - 1) * 300  # a scheduled instant 5-10 minutes ago
    elapsed = f"{boundary}400123"  # µs: systemd elapsed 0.4 s after the minute
    assert host.trigger(env=host.env(TRIGGER_TIMER_REALTIME_USEC=elapsed)).returncode == 0
    assert host.trigger().returncode == 0  # without it: "now", far outside the 60 s window
    with_timer, without = app.requests
    assert with_timer.header("X-Cron-Fire-Time") == str(boundary)
    assert int(without.header("X-Cron-Fire-Time") or 0) > boundary + 60
    # An explicit fire time still wins over the timer's.
    assert (
        host.trigger(
            env=host.env(TRIGGER_TIMER_REALTIME_USEC=elapsed, CRONIX_FIRE_TIME="1767323040")
        ).returncode
        == 0
    )
    assert app.requests[-1].header("X-Cron-Fire-Time") == "1767323040"


def test_a_credential_ref_reads_the_services_credentials_directory(host: Host, app: AppServer) -> None:
    """``credential:NAME``: what systemd's LoadCredential= placed in $CREDENTIALS_DIRECTORY."""
    from tests.trigger.conftest import SECRET

    creds = host.root / "credentials"
    creds.mkdir(mode=0o700)
    (creds / "cron-secret").write_text(SECRET + "\n")
    write_spec(host.spec_dir, app.url(), secret_refs=["credential:cron-secret"])
    assert host.trigger(env=host.env(CREDENTIALS_DIRECTORY=str(creds))).returncode == 0
    assert app.requests[-1].verdict == "ok"
    missing = host.trigger()
    assert missing.returncode == 3
    assert "credential:cron-secret skipped: $CREDENTIALS_DIRECTORY is not set" in missing.stdout
    assert "no usable secret" in missing.stdout
    assert SECRET not in missing.stdout + missing.stderr


def test_4xx_is_rejected_without_retry(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url())
    app.default = Reply(422, b'{"error":"' + b"x" * 300 + b'"}')
    proc = host.trigger()
    assert proc.returncode == 1
    assert len(app.requests) == 1
    (line,) = log_lines(proc.stdout)
    assert (line["level"], line["msg"], line["attempt"], line["status"]) == (
        "ERROR",
        "trigger: app rejected",
        1,
        422,
    )
    assert line["body_excerpt"] == '{"error":"' + "x" * 190 + "…"
    assert host.runs()[0]["status"] == "failed"


def test_redirect_is_not_followed_and_ends_the_fire_as_rejected(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url())
    app.default = Reply(307, b"", headers={"Location": "http://elsewhere.invalid/steal"})
    proc = host.trigger()
    assert proc.returncode == 1
    assert len(app.requests) == 1
    (line,) = log_lines(proc.stdout)
    assert (line["msg"], line["status"], line["location"]) == (
        "trigger: app rejected",
        307,
        "http://elsewhere.invalid/steal",
    )


def test_5xx_then_success_retries_with_a_fresh_signature(host: Host, app: AppServer) -> None:
    write_spec(
        host.spec_dir, app.url(), policy={"retries": {"max_attempts": 3, "min_seconds": 1, "max_seconds": 1}}
    )
    app.replies = [Reply(503, b"busy"), Reply(200)]
    proc = host.trigger()
    assert proc.returncode == 0, proc.stdout
    first, second = app.requests
    assert [r.verdict for r in app.requests] == ["ok", "ok"]
    assert [r.header("X-Cron-Attempt") for r in app.requests] == ["1", "2"]
    assert first.header("X-Cron-Run-Id") == second.header("X-Cron-Run-Id")
    assert first.header("X-Cron-Fire-Time-Actual") == second.header("X-Cron-Fire-Time-Actual")
    t1 = int((first.header("X-Cron-Signature") or "").split(",")[0][2:])
    t2 = int((second.header("X-Cron-Signature") or "").split(",")[0][2:])
    assert t2 >= t1 + 1  # a fresh timestamp, after a backoff of 1 s (+ up to 10 % jitter)
    msgs = [(line["msg"], line.get("status")) for line in log_lines(proc.stdout)]
    assert msgs == [("trigger: server error", 503), ("trigger: success", 200)]


def test_server_down_exhausts_retries(host: Host) -> None:
    write_spec(host.spec_dir, f"http://127.0.0.1:{free_port()}/api/v1/scheduled/ping")
    proc = host.trigger()
    assert proc.returncode == 2
    lines = log_lines(proc.stdout)
    assert [line["msg"] for line in lines] == ["trigger: attempt failed"] * 3 + ["trigger: retries exhausted"]
    assert "connection refused" in lines[0]["err"]
    assert (lines[-1]["attempts"], lines[-1]["last_status"]) == (3, 0)
    assert host.runs()[0]["outcome"] == "retries_exhausted"


def test_slow_server_past_the_timeout_is_retried(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url(), policy={"timeout_seconds": 1, "retries": {"max_attempts": 2}})
    app.replies = [Reply(200, delay=3.0)]
    started = time.monotonic()
    proc = host.trigger()
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout
    msgs = [line["msg"] for line in log_lines(proc.stdout)]
    assert msgs == ["trigger: attempt failed", "trigger: success"]
    assert "timeout after 1s" in log_lines(proc.stdout)[0]["err"]
    assert elapsed < 2.9  # the first attempt was cut at its deadline, not at the server's 3 s


def test_a_static_header_cannot_replace_the_signature_or_any_x_cron_header(
    host: Host, app: AppServer
) -> None:
    write_spec(
        host.spec_dir,
        app.url(),
        request={
            "headers": {
                "X-Cron-Signature": "t=1,v1=" + "0" * 64,
                "x-cron-attempt": "99",
                "X-Tenant": "acme",
            }
        },
    )
    proc = host.trigger()
    assert proc.returncode == 0, proc.stdout
    (req,) = app.requests
    assert req.verdict == "ok"
    assert req.all("X-Cron-Signature") != ["t=1,v1=" + "0" * 64]
    assert len(req.all("X-Cron-Signature")) == 1
    assert req.all("X-Cron-Attempt") == ["1"]
    assert req.header("X-Tenant") == "acme"
    warned = [line for line in log_lines(proc.stdout) if line["msg"] == "trigger: static header ignored"]
    assert sorted(line["header"] for line in warned) == ["X-Cron-Signature", "x-cron-attempt"]


def test_missing_spec_is_internal(host: Host) -> None:
    proc = host.trigger()
    assert proc.returncode == 3
    (line,) = log_lines(proc.stdout)
    assert line["msg"] == "trigger: load spec"
    assert "does not exist" in line["err"]
    assert "app" not in line
    assert "run_id" not in line


def test_malformed_spec_is_internal(host: Host) -> None:
    host.spec_dir.mkdir(parents=True)
    (host.spec_dir / "billing.ping.json").write_text('{"app": "billing", "job": ')
    proc = host.trigger()
    assert proc.returncode == 3
    (line,) = log_lines(proc.stdout)
    assert line["msg"] == "trigger: load spec"
    assert "not valid JSON" in line["err"]
    assert host.runs()[0]["outcome"] == "internal_error"


def test_spec_for_another_app_is_internal(host: Host, app: AppServer) -> None:
    path = write_spec(host.spec_dir, app.url(), app="shop")
    path.rename(host.spec_dir / "billing.ping.json")
    proc = host.trigger()
    assert proc.returncode == 3
    assert 'app="shop" does not match expected "billing"' in log_lines(proc.stdout)[0]["err"]
    assert app.requests == []


def test_missing_secret_is_internal_and_names_only_the_reference(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url(), secret_refs=["env:NOT_SET_ANYWHERE", "raw:"])
    proc = host.trigger()
    assert proc.returncode == 3
    lines = log_lines(proc.stdout)
    assert [line["msg"] for line in lines] == [
        "trigger: secret skipped",
        "trigger: secret skipped",
        "trigger: resolve secrets",
    ]
    assert "NOT_SET_ANYWHERE" in lines[-1]["err"]
    assert app.requests == []


def test_bad_arguments_are_usage_errors_with_one_line(host: Host) -> None:
    """Exit 2, as for every cronix command (D-620, was 3): nothing fired, nothing recorded."""
    for argv in (["billing"], ["Billing.ping"], ["billing.../etc/passwd"], ["billing.ping", "--bogus"]):
        proc = host.trigger(*argv)
        assert proc.returncode == 2
        assert len(proc.stderr.splitlines()) == 1
        assert proc.stderr.startswith("cronix trigger: error:")
        assert proc.stderr.rstrip().endswith("(see 'cronix trigger --help')")
    assert host.runs() == []


def test_invalid_config_is_internal(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url())
    config = host.root / "cronix.yaml"
    config.write_text("trigger:\n  contended_exit_code: 5\n")
    proc = host.trigger("billing.ping", "--config", str(config))
    assert proc.returncode == 3
    assert "trigger.contended_exit_code" in proc.stderr
    assert app.requests == []
