"""Every way a plugin can fail ends the command with one line naming the plugin, its
version and its stderr tail — exit 3 (2 for rejected settings) — and leaves no process
behind and no job half-changed."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from cronix.backends.base import FireSpec
from cronix.errors import EXIT_BACKEND, EXIT_USAGE, PluginError
from cronix.plugins.errors import PluginConfigInvalid, PluginFailure
from cronix.plugins.proxy import PluginBackend
from cronix.protocol.ownership import ownership_hashes
from tests.plugins.helpers import job, make_config, sha256_pin, store_jobs
from tests.support.cli import assert_one_line_error, run_cronix

OpenEcho = Callable[..., PluginBackend]


def _running_from(path: Path) -> list[int]:
    """Pids whose command line mentions ``path`` (the private copy of the plugin)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    cmdline = fh.read()
            except OSError:
                continue
            if os.fsencode(str(path)) in cmdline:
                found.append(int(entry))
    return found


# (id, env fault, settings, env, the call that fails, fragments of the message)
STARTUP = [
    (
        "garbage-before-handshake",
        "noise",
        {},
        {},
        ["not a handshake: 'echo: starting up'", "(version unknown)"],
    ),
    (
        "early-exit",
        "exit",
        {},
        {},
        ["exited before the handshake (exit status 3)", "exiting before the handshake"],
    ),
    (
        "hang-before-handshake",
        "hang",
        {},
        {"CRONIX_PLUGIN_START_TIMEOUT": "1"},
        ["no handshake within 1 s", "hanging before the handshake"],
    ),
    ("wrong-protocol", "wrong-protocol", {}, {}, ["plugin echo", "speaks plugin protocol 2", "speaks 1"]),
    ("wrong-name", "wrong-name", {}, {}, ["GetMetadata says its name is 'not-echo'"]),
]


@pytest.mark.parametrize(
    ("fault", "settings", "env", "fragments"),
    [case[1:] for case in STARTUP],
    ids=[case[0] for case in STARTUP],
)
def test_start_up_failures(
    open_echo: OpenEcho,
    plugin_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    settings: dict[str, str],
    env: dict[str, str],
    fragments: list[str],
) -> None:
    monkeypatch.setenv("CRONIX_PLUGIN_ECHO_FAULT", fault)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(PluginFailure) as info:
        open_echo(**settings)
    message = str(info.value)
    assert info.value.exit_code == EXIT_BACKEND
    assert "\n" not in message
    assert message.startswith("plugin echo")
    assert "[stderr: " in message
    for fragment in fragments:
        assert fragment in message
    assert _running_from(plugin_dir) == []


RPC = [
    (
        "crash",
        {"crash_on": "List"},
        {},
        ["plugin echo 1.0.0", "crashed during List (exit status 70)", "crashing in List"],
    ),
    (
        "hang",
        {"hang_on": "List"},
        {"CRONIX_PLUGIN_CALL_TIMEOUT": "1"},
        ["plugin echo 1.0.0", "List timed out after 1 s", "hanging in List"],
    ),
    (
        "error-status",
        {"fail_rpc": "List", "fail_code": "PERMISSION_DENIED", "fail_message": "token expired"},
        {},
        ["plugin echo 1.0.0", "List failed: PERMISSION_DENIED: token expired", "rpc List"],
    ),
    (
        "error-reason",
        {"fail_rpc": "List", "fail_code": "FAILED_PRECONDITION", "fail_reason": "NOT_OWNED"},
        {},
        ["List failed: FAILED_PRECONDITION (NOT_OWNED): injected failure of List"],
    ),
]


@pytest.mark.parametrize(
    ("settings", "env", "fragments"), [case[1:] for case in RPC], ids=[case[0] for case in RPC]
)
def test_rpc_failures(
    open_echo: OpenEcho,
    plugin_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    settings: dict[str, str],
    env: dict[str, str],
    fragments: list[str],
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    backend = open_echo(**settings)
    with pytest.raises(PluginFailure) as info:
        backend.list_entries()
    message = str(info.value)
    assert info.value.exit_code == EXIT_BACKEND
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message
    backend.close()
    assert _running_from(plugin_dir) == []


def test_categories(open_echo: OpenEcho) -> None:
    cases = {
        ("PERMISSION_DENIED", ""): "auth",
        ("UNAVAILABLE", ""): "unreachable",
        ("FAILED_PRECONDITION", "NOT_OWNED"): "ownership",
        ("INTERNAL", ""): "plugin_internal",
    }
    for (code, reason), category in cases.items():
        backend = open_echo(fail_rpc="Health", fail_code=code, fail_reason=reason)
        with pytest.raises(PluginFailure) as info:
            backend.check()
        assert (info.value.category, info.value.code, info.value.reason) == (category, code, reason)
        backend.close()


def test_a_crash_is_final(open_echo: OpenEcho) -> None:
    backend = open_echo(crash_on="Health")
    with pytest.raises(PluginFailure, match="crashed during Health"):
        backend.check()
    with pytest.raises(PluginFailure, match="crashed during Health"):
        backend.list_entries()  # no call reaches a dead plugin; the first cause is repeated


def test_malformed_entry(open_echo: OpenEcho) -> None:
    report = job("report", "0 6 * * 1")
    backend = open_echo(malformed_on="List")
    backend.create("ops", report, ownership_hashes(report), FireSpec.build("ops", report))
    with pytest.raises(PluginFailure) as info:
        backend.list_entries()
    assert info.value.category == "malformed"
    assert "List returned a malformed entry" in str(info.value)
    assert "hash 'not-a-hash' is neither 16 lowercase hex digits" in str(info.value)


def test_rejected_settings_are_a_config_error(open_echo: OpenEcho, plugin_dir: Path) -> None:
    with pytest.raises(PluginConfigInvalid) as info:
        open_echo(colour="blue")
    assert info.value.exit_code == EXIT_USAGE
    assert "plugin echo 1.0.0 rejected its settings: unknown setting 'colour'" in str(info.value)
    assert _running_from(plugin_dir) == []


def test_crash_mid_update_leaves_the_job_whole(open_echo: OpenEcho, state_path: Path) -> None:
    before = job("multi", "0 9 * * 1-5", "0 12 * * 6,0", "45 23 1 * *")
    after = job("multi", "0 10 * * 1-5", "0 13 * * 6,0")
    store_jobs(state_path, "ops", before)
    snapshot = json.loads(state_path.read_text())
    backend = open_echo(crash_on="Update")
    with pytest.raises(PluginFailure, match="crashed during Update"):
        backend.update("ops", after, ownership_hashes(after), FireSpec.build("ops", after))
    assert json.loads(state_path.read_text()) == snapshot
    assert sorted(e["marker"]["hash"] for e in snapshot["entries"]) == sorted(ownership_hashes(before))


def test_update_is_refused_when_the_plugin_disowns_the_entry(open_echo: OpenEcho, state_path: Path) -> None:
    report = job("report", "0 6 * * 1")
    changed = job("report", "0 7 * * 1")
    store_jobs(state_path, "ops", report)
    snapshot = state_path.read_bytes()
    backend = open_echo(disown="ops.report")
    with pytest.raises(PluginFailure) as info:
        backend.update("ops", changed, ownership_hashes(changed), FireSpec.build("ops", changed))
    assert info.value.category == "ownership"
    assert "refusing to update ops.report: VerifyOwnership says entry #0 is not owned" in str(info.value)
    with pytest.raises(PluginFailure, match=r"refusing to delete ops\.report"):
        backend.delete("ops", "report")
    assert state_path.read_bytes() == snapshot


# ------------------------------------------------------------------ through the CLI


def _check_echo(state_path: Path, env: dict[str, str], *settings: str) -> subprocess.CompletedProcess[str]:
    """``cronix plugins check echo`` with ``state_path`` and the given KEY=VALUE settings."""
    args = ["plugins", "check", "echo", "--backend-config", f"state_path={state_path}"]
    for setting in settings:
        args += ["--backend-config", setting]
    return run_cronix(*args, env=env)


@pytest.fixture
def cli_env(tmp_path: Path, plugin_dir: Path) -> dict[str, str]:
    _, path = make_config(
        tmp_path, dirs=[plugin_dir], pins={"echo": sha256_pin(plugin_dir / "cronix-backend-echo")}
    )
    return {"CRONIX_CONFIG": str(path)}


CLI = [
    (
        "crash",
        {"CRONIX_PLUGIN_ECHO_FAULT": ""},
        ["crash_on=Health"],
        3,
        ["plugin echo 1.0.0: crashed during Health"],
    ),
    (
        "garbage",
        {"CRONIX_PLUGIN_ECHO_FAULT": "noise"},
        [],
        3,
        ["plugin echo (version unknown): not a handshake"],
    ),
    (
        "early-exit",
        {"CRONIX_PLUGIN_ECHO_FAULT": "exit"},
        [],
        3,
        ["exited before the handshake (exit status 3)"],
    ),
    ("wrong-protocol", {"CRONIX_PLUGIN_ECHO_FAULT": "wrong-protocol"}, [], 3, ["speaks plugin protocol 2"]),
    (
        "hang",
        {"CRONIX_PLUGIN_CALL_TIMEOUT": "1"},
        ["hang_on=List"],
        3,
        ["plugin echo 1.0.0: List timed out after 1 s", "hanging in List"],
    ),
    (
        "error",
        {},
        ["fail_rpc=List", "fail_code=UNAVAILABLE", "fail_message=api down"],
        3,
        ["plugin echo 1.0.0: List failed: UNAVAILABLE: api down", "[stderr: "],
    ),
    ("malformed", {}, ["malformed_on=List"], 0, []),
    (
        "settings",
        {},
        ["colour=blue"],
        2,
        ["plugin echo 1.0.0 rejected its settings: unknown setting 'colour'"],
    ),
]


@pytest.mark.parametrize(
    ("env", "flags", "code", "fragments"), [case[1:] for case in CLI], ids=[case[0] for case in CLI]
)
def test_cli_reports_one_line(
    cli_env: dict[str, str],
    state_path: Path,
    env: dict[str, str],
    flags: list[str],
    code: int,
    fragments: list[str],
) -> None:
    proc = _check_echo(state_path, {**cli_env, **env}, *flags)
    if code == 0:  # an empty state lists no entry to be malformed: the command works
        assert proc.returncode == 0, proc.stderr
        return
    assert_one_line_error(proc, code, *fragments)


def test_cli_malformed_entry(cli_env: dict[str, str], state_path: Path) -> None:
    report = job("report", "0 6 * * 1")
    store_jobs(state_path, "ops", report)
    proc = _check_echo(state_path, cli_env, "malformed_on=List")
    assert_one_line_error(proc, 3, "plugin echo 1.0.0: List returned a malformed entry")


def test_cli_integrity_failure_exits_4(tmp_path: Path, plugin_dir: Path, state_path: Path) -> None:
    _, path = make_config(tmp_path, dirs=[plugin_dir], pins={"echo": "sha256:" + "1" * 64})
    proc = _check_echo(state_path, {"CRONIX_CONFIG": str(path)})
    assert_one_line_error(
        proc,
        4,
        "does not match its pin",
        "sha256:" + "1" * 64,
        sha256_pin(plugin_dir / "cronix-backend-echo"),
    )
    assert not state_path.exists()


def test_plugin_errors_are_backend_errors() -> None:
    assert issubclass(PluginFailure, PluginError)


def test_shutdown_ends_a_plugin_stuck_inside_a_call(
    open_echo: OpenEcho, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The RPC thread never returns (hang_on): the plugin exits by itself with status 0, without
    calling close() under the stuck handler."""
    monkeypatch.setenv("CRONIX_PLUGIN_CALL_TIMEOUT", "1")
    backend = open_echo(hang_on="List")
    with pytest.raises(PluginFailure, match="timed out"):
        backend.list_entries()
    backend.close()
    assert backend.process.exit_status() == 0
    assert "abandoning 1 RPC(s) still running" in backend.process.stderr_tail(1.0)
