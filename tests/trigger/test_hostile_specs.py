"""The real ``cronix trigger`` given hostile spec files, files and values (issue 16 items 4, 10, 16, 20).

Every case ends in one line and the documented exit code — a usage error 2, anything
else that stops a fire 3 — and, once a run has started, a run-log record, never a
traceback or a process that blocks or eats memory.
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
from typing import Any

import pytest

from cronix.protocol.triggerlog import MSG
from tests.support.mounts import UNAVAILABLE, mount_namespaces_usable, run_with_read_only
from tests.trigger.app_server import AppServer
from tests.trigger.conftest import Host, log_lines, write_spec


def test_a_header_value_outside_latin_1_is_sent_as_its_utf8_bytes(host: Host, app: AppServer) -> None:
    """D-603: Go's net/http writes the UTF-8 bytes; so do we (was UnicodeEncodeError, exit 3)."""
    write_spec(host.spec_dir, app.url(), request={"headers": {"X-Note": "😀 ok", "X-Plain": "café"}})
    proc = host.trigger()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [req] = app.requests
    assert req.verdict == "ok"
    # http.server decodes header bytes as Latin-1: re-encoding gives back exactly what was sent.
    assert req.header("X-Note").encode("latin-1") == "😀 ok".encode()
    assert req.header("X-Plain").encode("latin-1") == "café".encode()
    assert [line["msg"] for line in log_lines(proc.stdout)] == ["trigger: success"]


# ---------------------------------------------------------------- who may write a spec file (item 4)


def _refused(host: Host, proc: subprocess.CompletedProcess[str], app: AppServer, why: str) -> str:
    """The fire ended with exit 3 before any request, in one log line, recorded in the run log."""
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert app.requests == []
    [line] = log_lines(proc.stdout)
    assert line["msg"] == MSG.LOAD_SPEC
    assert why in line["err"], line["err"]
    [run] = host.runs()
    assert (run["outcome"], run["exit_code"], run["detail"]) == ("internal_error", 3, line["err"])
    return str(line["err"])


@pytest.mark.parametrize("mode", [0o666, 0o660, 0o646], ids=oct)
def test_a_spec_file_others_can_write_is_never_fired(host: Host, app: AppServer, mode: int) -> None:
    os.chmod(write_spec(host.spec_dir, app.url()), mode)
    err = _refused(host, host.trigger(), app, "is group- or world-writable")
    assert f"(mode {mode:04o})" in err
    assert "chmod go-w" in err


def test_a_spec_file_in_a_world_writable_directory_is_never_fired(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url())
    host.spec_dir.chmod(0o1777)  # sticky or not: anyone may add a file of that name
    _refused(host, host.trigger(), app, f"it is in {host.spec_dir}, which is group- or world-writable")


def test_a_spec_file_owned_by_another_user_is_never_fired(host: Host, app: AppServer) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give a file to another user (chown)")
    nobody = pwd.getpwnam("nobody")
    os.chown(write_spec(host.spec_dir, app.url()), nobody.pw_uid, nobody.pw_gid)
    _refused(host, host.trigger(), app, f"is owned by uid {nobody.pw_uid}, not by root or the current user")


def test_a_link_into_a_world_writable_directory_is_judged_where_it_points(host: Host, app: AppServer) -> None:
    elsewhere = host.root / "drop"
    real = write_spec(elsewhere, app.url())
    elsewhere.chmod(0o777)
    host.spec_dir.mkdir()
    (host.spec_dir / real.name).symlink_to(real)
    _refused(host, host.trigger(), app, f"it is in {elsewhere}, which is group- or world-writable")


def test_a_world_writable_directory_mounted_read_only_is_fine(host: Host, app: AppServer) -> None:
    """A Kubernetes ConfigMap volume is mode 0777, mounted read-only: nobody can change it."""
    if not mount_namespaces_usable():
        pytest.skip(UNAVAILABLE)
    write_spec(host.spec_dir, app.url())
    host.spec_dir.chmod(0o777)
    proc = run_with_read_only([host.spec_dir], host.argv(), env=host.env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [r.verdict for r in app.requests] == ["ok"]


# ---------------------------------------------------------------- what is read, and how much (item 10)


def test_a_spec_file_linked_to_dev_zero_is_refused_unread(host: Host, app: AppServer) -> None:
    host.spec_dir.mkdir(parents=True)
    (host.spec_dir / "billing.ping.json").symlink_to("/dev/zero")
    _refused(host, host.trigger(timeout=30), app, "is refused: not a regular file")


def test_a_fifo_as_spec_file_is_refused_without_blocking(host: Host, app: AppServer) -> None:
    host.spec_dir.mkdir(parents=True)
    os.mkfifo(host.spec_dir / "billing.ping.json", 0o600)
    _refused(host, host.trigger(timeout=30), app, "is refused: not a regular file")


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_secret_file_that_is_not_a_regular_file_is_refused_without_blocking(
    host: Host, app: AppServer, kind: str
) -> None:
    secret = host.root / "secret"
    if kind == "fifo":
        os.mkfifo(secret, 0o600)
    else:
        secret.symlink_to("/dev/zero")
    write_spec(host.spec_dir, app.url(), secret_refs=[f"file:{secret}"])
    proc = host.trigger(timeout=30)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    [line] = log_lines(proc.stdout)
    assert line["msg"] == MSG.RESOLVE_SECRETS
    assert f"cannot read secret file {secret}: not a regular file" in line["err"]
    assert [run["outcome"] for run in host.runs()] == ["internal_error"]
    assert app.requests == []


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_run_log_or_state_file_that_is_not_a_regular_file_never_blocks_a_fire(
    host: Host, app: AppServer, kind: str
) -> None:
    write_spec(host.spec_dir, app.url())
    host.run_log.parent.mkdir(parents=True)
    host.state_dir.mkdir()
    state = host.state_dir / "billing.ping.json"
    if kind == "fifo":
        os.mkfifo(host.run_log, 0o600)
        os.mkfifo(state, 0o600)
    else:
        host.run_log.symlink_to("/dev/zero")
        state.symlink_to("/dev/zero")
    proc = host.trigger(timeout=30)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [r.verdict for r in app.requests] == ["ok"]
    assert app.requests[0].header("X-Cron-Previous-Success-Time") is None
    lines = log_lines(proc.stdout)
    assert [line["msg"] for line in lines] == [MSG.SUCCESS, MSG.RUN_LOG]
    assert lines[1]["err"] == f"run log {host.run_log}: not a regular file"


# ---------------------------------------------------------------- hostile values (item 20)


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ({"timeout_seconds": 1e999}, '"job.policy.timeout_seconds" must be an integer'),
        ({"timeout_seconds": 10**12}, '"job.policy.timeout_seconds" must be between 1 and 600'),
        ({"timeout_seconds": "30"}, '"job.policy.timeout_seconds" must be an integer'),
        ({"retries": {"max_attempts": 10**9}}, '"job.policy.retries.max_attempts" must be between 1 and 10'),
        ({"retries": {"min_seconds": 10**18}}, '"job.policy.retries.min_seconds" must be between 0 and'),
    ],
)
def test_a_spec_with_an_unusable_number_is_one_line_and_exit_3(
    host: Host, app: AppServer, policy: dict[str, Any], field: str
) -> None:
    path = write_spec(host.spec_dir, app.url())
    doc = json.loads(path.read_text())
    for key, value in policy.items():
        if isinstance(value, dict):
            doc["job"]["policy"][key].update(value)
        else:
            doc["job"]["policy"][key] = value
    path.write_text(json.dumps(doc))  # json writes 1e999 as Infinity; Go's encoder never would
    if policy.get("timeout_seconds") == 1e999:
        path.write_text(path.read_text().replace("Infinity", "1e999"))
    err = _refused(host, host.trigger(), app, field)
    assert err.startswith(f"spec {path}: ")
    assert "Traceback" not in host.trigger().stderr


def test_a_spec_nested_too_deeply_is_one_line_and_exit_3(host: Host, app: AppServer) -> None:
    host.spec_dir.mkdir(parents=True)
    (host.spec_dir / "billing.ping.json").write_text('{"app":' + "[" * 100_000 + "]" * 100_000 + "}")
    _refused(host, host.trigger(), app, "JSON nested too deeply")


@pytest.mark.parametrize("when", ["253402300800", "10000-01-01T00:00:00Z", "99999999999999999999"])
def test_a_fire_time_beyond_year_9999_is_a_usage_error(host: Host, app: AppServer, when: str) -> None:
    write_spec(host.spec_dir, app.url())
    for proc in (
        host.trigger("billing.ping", "--fire-time", when),
        host.trigger(env=host.env(CRONIX_FIRE_TIME=when)),
    ):
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert proc.stdout == ""
        assert proc.stderr.count("\n") == 1, proc.stderr
        assert "fire time" in proc.stderr and "Traceback" not in proc.stderr
    assert app.requests == []
    assert host.runs() == []  # no run started


def test_the_last_second_of_year_9999_is_still_a_fire_time(host: Host, app: AppServer) -> None:
    """The boundary: the refusal above starts one second later."""
    write_spec(host.spec_dir, app.url())
    proc = host.trigger("billing.ping", "--fire-time", "253402300799")  # 9999-12-31T23:59:59Z: usable
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [run] = host.runs()
    assert run["fire_time"] == "9999-12-31T23:59:59.000Z"
