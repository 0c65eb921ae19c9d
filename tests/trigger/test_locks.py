"""Concurrency locks with real processes: flock contention, Replace, kill -9, Redis races."""

from __future__ import annotations

import fcntl
import io
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import redis as redis_client

from cronix.config import RedisConfig
from cronix.trigger.logs import JsonLog
from cronix.trigger.run import FireOptions, fire
from tests.support.procs import wait_until
from tests.support.redis_server import RedisServer, redis_server
from tests.trigger.app_server import AppServer, Reply
from tests.trigger.conftest import SECRET, Host, finish, log_lines, write_spec


def _hold_like_the_reference(lock_dir: Path, pid: int, hostname: str) -> int:
    """Take the lock the way the Go shim does (gofrs/flock on <key>.lock, then the sidecar)."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_dir / "billing.ping.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    (lock_dir / "billing.ping.holder").write_text(f"pid={pid}\nhost={hostname}\n")
    return fd


def _config(host: Host, text: str) -> str:
    path = host.root / "cronix.yaml"
    path.write_text(text)
    return str(path)


def test_forbid_is_contended_while_another_shim_holds_the_lock(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url())
    fd = _hold_like_the_reference(host.lock_dir, 1, "elsewhere")
    try:
        proc = host.trigger()
        assert proc.returncode == 4
        (line,) = log_lines(proc.stdout)
        assert (line["level"], line["msg"], line["scope"]) == ("INFO", "trigger: lock contended", "host")
        config = _config(host, "trigger:\n  contended_exit_code: 75\n")
        assert host.trigger("billing.ping", "--config", config).returncode == 75
    finally:
        os.close(fd)
    assert app.requests == []
    assert [r["status"] for r in host.runs()] == ["lock-contended", "lock-contended"]
    assert host.trigger().returncode == 0  # released: the next fire goes through


def test_the_holder_sidecar_is_the_reference_format(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url(), policy={"timeout_seconds": 10})
    app.replies = [Reply(200, delay=1.5)]
    shim = host.spawn()
    try:
        wait_until(lambda: app.arrived.is_set())
        sidecar = (host.lock_dir / "billing.ping.holder").read_text()
        assert sidecar == f"pid={shim.pid}\nhost={socket.gethostname()}\n"
        with open(host.lock_dir / "billing.ping.lock", "rb") as fh, pytest.raises(BlockingIOError):
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a Go shim would see it held
    finally:
        assert finish(shim)[0] == 0
    assert not (host.lock_dir / "billing.ping.holder").exists()


def test_replace_terminates_a_live_local_holder_and_takes_over(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url(), policy={"concurrency": "Replace", "timeout_seconds": 30})
    app.replies = [Reply(200, delay=20)]
    first = host.spawn()
    wait_until(lambda: app.arrived.is_set())
    started = time.monotonic()
    second = host.trigger()
    assert second.returncode == 0, second.stdout
    assert time.monotonic() - started < 10
    code, first_out = finish(first)
    assert code == -signal.SIGTERM
    assert [line["msg"] for line in log_lines(first_out)] == ["trigger: terminated"]
    assert [line["msg"] for line in log_lines(second.stdout)] == [
        "trigger: replaced previous holder",
        "trigger: success",
    ]
    assert len(app.requests) == 2
    outcomes = sorted(r["outcome"] for r in host.runs())
    assert outcomes == ["success", "terminated"]  # the replaced fire recorded itself on the way out


def test_replace_gives_up_on_a_holder_on_another_host(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url(), policy={"concurrency": "Replace", "timeout_seconds": 1})
    fd = _hold_like_the_reference(host.lock_dir, os.getpid(), "some-other-host")
    try:
        proc = host.trigger()
    finally:
        os.close(fd)
    assert proc.returncode == 4
    (line,) = log_lines(proc.stdout)
    assert (line["level"], line["msg"]) == (
        "WARN",
        "trigger: replace gave up — holder non-local or refused SIGTERM",
    )
    assert app.requests == []


def test_a_holder_killed_with_sigkill_never_blocks_the_next_fire(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url(), policy={"timeout_seconds": 30})
    app.replies = [Reply(200, delay=20)]
    victim = host.spawn()
    wait_until(lambda: app.arrived.is_set())
    victim.kill()
    assert finish(victim)[0] == -signal.SIGKILL
    assert (host.lock_dir / "billing.ping.holder").exists()  # stale sidecar left behind
    proc = host.trigger()
    assert proc.returncode == 0, proc.stdout
    assert (host.lock_dir / "billing.ping.lock").exists()


def test_global_scope_without_redis_is_internal_never_a_host_lock(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url(), policy={"concurrency_scope": "global"})
    proc = host.trigger()
    assert proc.returncode == 3
    (line,) = log_lines(proc.stdout)
    assert line["msg"] == "trigger: lock acquire"
    assert "locks.redis.addr" in line["err"]
    assert "never falls back" in line["err"]
    assert app.requests == []
    assert not host.lock_dir.exists()


def _redis_config(host: Host, server: RedisServer, prefix: str, ttl: int = 30) -> str:
    return _config(
        host,
        f"locks:\n  redis:\n    addr: {server.host}:{server.port}\n    key_prefix: '{prefix}'\n"
        f"    ttl_seconds: {ttl}\n",
    )


@pytest.mark.slow
def test_two_shims_racing_on_a_global_lock_fire_once(host: Host, app: AppServer, redis: RedisServer) -> None:
    write_spec(host.spec_dir, app.url(), policy={"concurrency_scope": "global"})
    app.default = Reply(200, delay=1.0)
    config = _redis_config(host, redis, "race:")
    # Two hosts: separate lock dirs, so only Redis can exclude them.
    other = Host(host.root / "other")
    write_spec(other.spec_dir, app.url(), policy={"concurrency_scope": "global"})
    procs = [h.spawn("billing.ping", "--config", config) for h in (host, other)]
    codes = sorted(finish(p)[0] for p in procs)
    assert codes == [0, 4]
    assert len(app.requests) == 1
    client = redis_client.Redis(host=redis.host, port=redis.port)
    assert client.exists("race:billing.ping") == 0  # released with compare-and-delete


def _global_holder(
    host: Host, app: AppServer, redis: RedisServer, prefix: str, delay: float
) -> tuple[str, subprocess.Popen[str]]:
    """A shim holding a global lock (TTL 3 s) while the app takes ``delay`` seconds to answer."""
    write_spec(host.spec_dir, app.url(), policy={"concurrency_scope": "global", "timeout_seconds": 30})
    app.replies = [Reply(200, delay=delay)]
    config = _redis_config(host, redis, prefix, ttl=3)
    shim = host.spawn("billing.ping", "--config", config)
    wait_until(lambda: app.arrived.is_set())
    return config, shim


@pytest.mark.slow
def test_global_lock_is_held_and_refreshed_while_the_fire_runs(
    host: Host, app: AppServer, redis: RedisServer
) -> None:
    _, shim = _global_holder(host, app, redis, "refresh:", delay=4.5)
    client = redis_client.Redis(host=redis.host, port=redis.port, decode_responses=True)
    token = client.get("refresh:billing.ping")
    assert token is not None
    assert len(token) == 32
    assert int(token, 16) >= 0
    time.sleep(3.5)  # longer than the TTL: only the refresh keeps the key alive
    assert client.get("refresh:billing.ping") == token
    assert 0 < client.pttl("refresh:billing.ping") <= 3000
    assert finish(shim)[0] == 0
    assert client.exists("refresh:billing.ping") == 0


@pytest.mark.slow
def test_a_global_holder_killed_with_sigkill_blocks_at_most_one_ttl(
    host: Host, app: AppServer, redis: RedisServer
) -> None:
    config, victim = _global_holder(host, app, redis, "crash:", delay=20)
    victim.kill()
    finish(victim)
    killed_at = time.monotonic()
    assert host.trigger("billing.ping", "--config", config).returncode == 4  # the key outlives its holder…
    wait_until(
        lambda: host.trigger("billing.ping", "--config", config).returncode == 0, timeout=10, interval=0.5
    )
    assert time.monotonic() - killed_at < 3 + 2  # …for at most one TTL


@pytest.mark.slow
def test_redis_stopped_mid_fire_ends_the_fire_as_lock_lost(
    host: Host, app: AppServer, tmp_path: Path
) -> None:
    write_spec(
        host.spec_dir,
        app.url(),
        policy={
            "concurrency_scope": "global",
            "retries": {"max_attempts": 10, "min_seconds": 1, "max_seconds": 1},
        },
    )
    app.default = Reply(503, b"busy")
    out = io.StringIO()
    results = []
    with redis_server(tmp_path / "redis-mid-fire") as server:
        options = FireOptions(
            app="billing",
            job="ping",
            spec_dir=str(host.spec_dir),
            lock_dir=str(host.lock_dir),
            run_log=str(host.run_log),
            redis=RedisConfig(addr=f"{server.host}:{server.port}", ttl_seconds=3),
        )
        thread = threading.Thread(
            target=lambda: results.append(fire(options, log=JsonLog(out), environ={"CRON_SECRET": SECRET}))
        )
        thread.start()
        wait_until(lambda: app.arrived.is_set())
    # The server is stopped: refreshes fail, and after one TTL without one the lock is lost.
    thread.join(timeout=30)
    (result,) = results
    assert (result.exit_code, result.outcome) == (3, "lock_lost")
    lines = log_lines(out.getvalue())
    assert lines[-1]["msg"] == "trigger: lock lost"
    assert "Redis unreachable" in lines[-1]["err"]
    assert len(app.requests) < 10
    assert host.runs()[-1]["outcome"] == "lock_lost"


def test_redis_unreachable_at_start_is_internal(host: Host, app: AppServer) -> None:
    from tests.support.procs import free_port

    write_spec(host.spec_dir, app.url(), policy={"concurrency_scope": "global"})
    config = _config(host, f"locks:\n  redis:\n    addr: 127.0.0.1:{free_port()}\n")
    proc = host.trigger("billing.ping", "--config", config)
    assert proc.returncode == 3
    (line,) = log_lines(proc.stdout)
    assert line["msg"] == "trigger: lock acquire"
    assert "ConnectionError" in line["err"]
    assert app.requests == []


def test_allow_takes_no_lock(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url(), policy={"concurrency": "Allow", "concurrency_scope": "global"})
    assert host.trigger().returncode == 0
    assert not host.lock_dir.exists()
