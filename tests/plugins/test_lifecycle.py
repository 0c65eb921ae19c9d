"""The host side of the lifecycle against the real echo plugin over a real Unix socket."""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cronix.backends.base import Backend, FireSpec, HistoryQuery, ManagedEntry
from cronix.errors import EXIT_BACKEND
from cronix.plugins.errors import PluginFailure, PluginIdentity
from cronix.plugins.host import launch_backend
from cronix.plugins.process import PluginProcess
from cronix.plugins.proxy import PluginBackend
from cronix.protocol.ownership import ownership_hashes
from tests.plugins.helpers import ECHO, job, rpc_log, session_members, store_jobs, wait_for_rpc, write_script
from tests.support.procs import wait_until

OpenEcho = Callable[..., PluginBackend]


def test_the_proxy_is_a_backend_with_the_plugins_metadata(open_echo: OpenEcho) -> None:
    backend = open_echo()
    assert isinstance(backend, Backend)
    assert backend.name == "echo"
    assert backend.version == "1.0.0"
    assert backend.capabilities == {"adopt", "history", "drift-detection", "timezones", "every"}
    assert (backend.fires_on_host, backend.local_state) == (False, False)
    assert backend.fire_strategies == {"local-shim", "managed-jwt"}
    assert str(backend) == "plugin echo 1.0.0"


def test_round_trip_through_the_plugin_and_its_state_file(open_echo: OpenEcho, state_path: Path) -> None:
    backend = open_echo()
    nightly = job("nightly", "30 2 * * *", "0 14 * * 6", timezone="Europe/Berlin")
    hashes = ownership_hashes(nightly)
    assert backend.check() == []
    assert backend.validate("billing", nightly) == []
    backend.create("billing", nightly, hashes, FireSpec.build("billing", nightly))
    listed = backend.list_entries()
    assert [(e.app, e.job, e.index, e.hash) for e in listed] == [
        ("billing", "nightly", 0, hashes[0]),
        ("billing", "nightly", 1, hashes[1]),
    ]
    assert listed[0].raw == {
        "schedule": "30 2 * * *",
        "timezone": "Europe/Berlin",
        "command": "/opt/cronix/bin/cronix trigger billing.nightly",  # trigger_bin from cronix.yaml
    }
    # The plugin really stored it: read its state file independently.
    doc = json.loads(state_path.read_text())
    assert sorted(e["marker"]["hash"] for e in doc["entries"]) == sorted(hashes)
    backend.delete("billing", "nightly")
    assert backend.list_entries() == []


def test_separate_processes_see_the_same_state(open_echo: OpenEcho) -> None:
    report = job("report", "0 6 * * 1")
    first = open_echo()
    first.create("ops", report, ownership_hashes(report), FireSpec.build("ops", report))
    first.close()
    second = open_echo()
    assert [(e.app, e.job) for e in second.list_entries()] == [("ops", "report")]


def test_hand_edits_are_reported_as_drift(open_echo: OpenEcho, state_path: Path) -> None:
    backend = open_echo()
    report = job("report", "0 6 * * 1")
    backend.create("ops", report, ownership_hashes(report), FireSpec.build("ops", report))
    doc = json.loads(state_path.read_text())
    doc["entries"][0]["schedule"] = "0 7 * * 1"
    state_path.write_text(json.dumps(doc))
    assert [e.hash for e in backend.list_entries()] == ["drift-spec-edited"]


def test_history_and_adopt_travel_both_ways(open_echo: OpenEcho, state_path: Path) -> None:
    from datetime import UTC, datetime

    from cronix.plugins.echo import EchoSeeder

    seeder = EchoSeeder(str(state_path))
    seeder.seed_runs(
        [
            {
                "app": "ops",
                "job": "report",
                "run_id": "r1",
                "status": "ok",
                "started_at": "2026-01-01T06:00:00+00:00",
                "finished_at": "2026-01-01T06:00:02+00:00",
            },
            {
                "app": "ops",
                "job": "report",
                "run_id": "r2",
                "status": "failed",
                "started_at": "2026-01-02T06:00:00+00:00",
            },
            {"app": "ops", "job": "other", "run_id": "r3", "status": "ok"},
        ]
    )
    backend = open_echo()
    runs = backend.history(HistoryQuery(app="ops", job="report"))
    assert [(r.run_id, r.status) for r in runs] == [("r2", "failed"), ("r1", "ok")]
    assert runs[1].finished_at == datetime(2026, 1, 1, 6, 0, 2, tzinfo=UTC)
    assert runs[0].finished_at is None
    since = datetime(2026, 1, 2, tzinfo=UTC)
    assert [r.run_id for r in backend.history(HistoryQuery(app="ops", job="report", since=since))] == ["r2"]
    assert [r.run_id for r in backend.history(HistoryQuery(app="ops", job="report", status="ok"))] == ["r1"]

    report = job("report", "0 6 * * 1")
    seeder.seed_unmarked("ops", report, report.schedules)
    preview = backend.adopt(
        "ops", report, ownership_hashes(report), FireSpec.build("ops", report), dry_run=True
    )
    assert (preview.found, preview.adopted) == (True, False)
    assert backend.list_entries() == []
    done = backend.adopt(
        "ops", report, ownership_hashes(report), FireSpec.build("ops", report), dry_run=False
    )
    assert (done.found, done.adopted) == (True, True)
    assert [e.hash for e in backend.list_entries()] == list(ownership_hashes(report))


def test_ownership_is_verified_before_update_and_delete(
    open_echo: OpenEcho, state_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cronix.plugin.echo")
    report = job("report", "0 6 * * 1")
    changed = job("report", "0 7 * * 1")
    store_jobs(state_path, "ops", report)
    backend = open_echo()
    wait_for_rpc(caplog, "Configure")
    start = len(rpc_log(caplog))
    backend.update("ops", changed, ownership_hashes(changed), FireSpec.build("ops", changed))
    backend.delete("ops", "report")
    wait_for_rpc(caplog, "Delete")
    # The proxy had not seen the entries yet: it lists, verifies, then mutates; the entry
    # it just wrote needs no second verification before the delete.
    assert rpc_log(caplog)[start:] == ["List", "VerifyOwnership", "Update", "Delete"]


def test_a_verified_entry_is_not_verified_twice(
    open_echo: OpenEcho, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cronix.plugin.echo")
    report = job("report", "0 6 * * 1")
    backend = open_echo()
    backend.create("ops", report, ownership_hashes(report), FireSpec.build("ops", report))
    (entry,) = backend.list_entries()
    assert backend.verify_ownership(entry) is True
    wait_for_rpc(caplog, "VerifyOwnership")
    start = len(rpc_log(caplog))
    backend.delete("ops", "report")
    wait_for_rpc(caplog, "Delete")
    assert rpc_log(caplog)[start:] == ["Delete"]


def test_verify_ownership_of_an_entry_that_is_not_ours(open_echo: OpenEcho) -> None:
    backend = open_echo()
    assert backend.verify_ownership(ManagedEntry("ops", "ghost", 0, "0" * 16)) is False


def test_stderr_is_relayed_with_the_plugins_name(
    open_echo: OpenEcho, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="cronix.plugin.echo"):
        backend = open_echo()
        backend.list_entries()
        backend.close()
    messages = [(r.name, r.getMessage()) for r in caplog.records if r.name == "cronix.plugin.echo"]
    assert ("cronix.plugin.echo", "[echo] rpc GetMetadata") in messages
    assert ("cronix.plugin.echo", "[echo] rpc Configure") in messages
    assert ("cronix.plugin.echo", "[echo] rpc List") in messages


def test_socket_directory_is_private_and_removed(open_echo: OpenEcho) -> None:
    backend = open_echo()
    socket_dir = backend.process.socket_dir
    assert stat.S_IMODE(os.stat(socket_dir).st_mode) == 0o700
    assert stat.S_ISSOCK(os.stat(backend.process.socket_path).st_mode)
    assert len(os.fsencode(backend.process.socket_path)) <= 107
    backend.close()
    assert not os.path.exists(socket_dir)


def test_close_ends_the_process_group_and_is_idempotent(open_echo: OpenEcho) -> None:
    backend = open_echo()
    pid = backend.process.pid
    assert session_members(pid) == [pid]  # its own session, nothing else in it
    backend.close()
    backend.close()
    assert session_members(pid) == []
    assert backend.process.exit_status() == 0  # it exited by itself after Shutdown


def test_configure_is_sent_exactly_once(open_echo: OpenEcho, state_path: Path) -> None:
    backend = open_echo()
    with pytest.raises(PluginFailure, match="Configure is sent once") as info:
        backend.configure({"state_path": str(state_path)})
    assert (info.value.category, info.value.exit_code) == ("protocol", EXIT_BACKEND)  # not internal


def test_environment_is_filtered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dump = tmp_path / "env.json"
    script = write_script(
        tmp_path / "cronix-backend-envdump",
        f"import json, os\njson.dump(dict(os.environ), open({str(dump)!r}, 'w'))\n",
    )
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "do-not-leak")
    monkeypatch.setenv("CRONIX_SECRET_TOKEN", "do-not-leak")
    monkeypatch.setenv("CRONIX_PLUGIN_OTHER_TOKEN", "for-another-plugin")
    monkeypatch.setenv("CRONIX_PLUGIN_ENVDUMP_TOKEN", "mine")
    monkeypatch.setenv("LC_TIME", "C")
    monkeypatch.setenv("TZ", "UTC")
    process = PluginProcess(PluginIdentity("envdump", str(script)))
    try:
        process.wait_exit(10)
    finally:
        process.stop(grace=0)
    env = json.loads(dump.read_text())
    assert "AWS_SECRET_ACCESS_KEY" not in env
    assert "CRONIX_SECRET_TOKEN" not in env
    assert "CRONIX_PLUGIN_OTHER_TOKEN" not in env
    assert env["CRONIX_PLUGIN_ENVDUMP_TOKEN"] == "mine"
    assert env["LC_TIME"] == "C"
    assert env["TZ"] == "UTC"
    assert env["CRONIX_PLUGIN_NAME"] == "envdump"
    assert env["CRONIX_PLUGIN_PARENT_PID"] == str(os.getpid())
    assert env["CRONIX_PLUGIN_PROTOCOL_VERSIONS"] == "1"
    assert env["CRONIX_PLUGIN_SOCKET_DIR"] == process.socket_dir
    allowed = {"PATH", "HOME", "LANG", "TZ"}
    assert {k for k in env if not k.startswith(("LC_", "CRONIX_PLUGIN_"))} <= allowed


def test_escalation_to_sigkill_sweeps_the_whole_group(tmp_path: Path) -> None:
    """A plugin that ignores Shutdown and SIGTERM, with a child of its own, is still ended."""
    script = write_script(
        tmp_path / "cronix-backend-stubborn",
        "import signal, subprocess, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "subprocess.Popen(['sleep', '300'])\n"
        "time.sleep(300)\n",
    )
    process = PluginProcess(PluginIdentity("stubborn", str(script)))
    wait_until(lambda: len(session_members(process.pid)) == 2, timeout=10)
    status = process.stop(grace=0.2)
    assert status == -9
    assert session_members(process.pid) == []


def test_launch_backend_runs_a_verified_path_directly(state_path: Path) -> None:
    backend = launch_backend(PluginIdentity("echo", str(ECHO)), {"state_path": str(state_path)})
    try:
        assert backend.list_entries() == []
    finally:
        backend.close()


def test_validate_many_is_one_round_trip_and_falls_back_for_a_1_0_plugin(open_echo: Any) -> None:
    """Protocol 1.1 batches validation; a plugin answering UNIMPLEMENTED gets one call per job."""
    jobs = [job(f"j-{i}", "@hourly") for i in range(5)]
    batched = open_echo()
    assert batched.validate_many("tests", jobs) == [[] for _ in jobs]
    assert batched._batch_validate is True
    old = open_echo(fail_rpc="ValidateMany", fail_code="UNIMPLEMENTED")
    assert old.validate_many("tests", jobs) == [[] for _ in jobs]
    assert old._batch_validate is False  # remembered: later calls go straight to Validate
    broken = open_echo(fail_rpc="ValidateMany", fail_code="INTERNAL")
    with pytest.raises(PluginFailure, match="ValidateMany failed: INTERNAL"):
        broken.validate_many("tests", jobs)


def test_verify_ownership_many_is_one_round_trip_and_falls_back(open_echo: Any) -> None:
    created = open_echo()
    jobs = [job(f"v-{i}", "@hourly", "@daily") for i in range(3)]
    for j in jobs:
        created.create("tests", j, ownership_hashes(j), FireSpec.build("tests", j))
    entries = [e for e in created.list_entries() if e.app == "tests"]
    foreign = ManagedEntry("tests", "nobody", 0, "0" * 16)
    assert created.verify_ownership_many([*entries, foreign]) == [True] * len(entries) + [False]
    old = open_echo(fail_rpc="VerifyOwnershipMany", fail_code="UNIMPLEMENTED")
    assert old.verify_ownership_many([*entries, foreign]) == [True] * len(entries) + [False]
    assert old._batch_verify is False
