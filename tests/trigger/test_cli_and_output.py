"""``cronix trigger`` as an operator meets it: help, completion, environment, output, records.

Issue 14 items 7 (a visible trigger with click-style help, usage errors exit 2), 9 (a
connection failure recorded as what it was, ``http_status`` null) and 10 (quiet under
cron: a success prints nothing, a failure one line), and issue 16 item 12
(``$CRONIX_RUN_LOG``). Every case runs the real console script.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cronix.trigger.cli import FLAGS
from tests.support.procs import free_port
from tests.trigger.app_server import AppServer, Reply
from tests.trigger.conftest import CRONIX, Host, log_lines, write_spec

# ---------------------------------------------------------------- help and completion (14.7)


def test_trigger_is_listed_in_the_help_of_cronix() -> None:
    proc = subprocess.run([CRONIX, "--help"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    assert any(line.split()[:2] == ["trigger", "Fire"] for line in proc.stdout.splitlines()), proc.stdout


def test_trigger_help_reads_like_every_other_commands_help() -> None:
    proc = subprocess.run([CRONIX, "trigger", "--help"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Usage: cronix trigger [OPTIONS] <app>.<job>\n")
    history = subprocess.run([CRONIX, "history", "--help"], capture_output=True, text=True, check=False)
    assert "\nOptions:\n" in proc.stdout and "\nOptions:\n" in history.stdout  # click's layout, both
    for flag in FLAGS:
        assert f"  {flag.name}" in proc.stdout
    assert "-h, --help" in proc.stdout
    assert "Exit codes: 0 ok" in proc.stdout
    assert "CRONIX_RUN_LOG" in proc.stdout and "CRONIX_TRIGGER_QUIET" in proc.stdout
    short = subprocess.run([CRONIX, "trigger", "-h"], capture_output=True, text=True, check=False)
    assert short.stdout == proc.stdout


def _complete(words: str, env: dict[str, str] | None = None) -> list[str]:
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    proc = subprocess.run(
        [CRONIX],
        env={**os.environ, **(env or {}), "_CRONIX_COMPLETE": "bash_complete", "COMP_WORDS": words,
             "COMP_CWORD": str(cword)},
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return [line.split(",", 1)[1] for line in proc.stdout.splitlines() if "," in line]


def test_shell_completion_knows_trigger_its_flags_and_the_jobs_of_the_spec_dir(tmp_path: Path) -> None:
    assert "trigger" in _complete("cronix tri")
    assert "--spec-dir" in _complete("cronix trigger --sp")
    specs = tmp_path / "jobs"
    write_spec(specs, "http://127.0.0.1:9/x")
    write_spec(specs, "http://127.0.0.1:9/x", app="shop")
    assert _complete(f"cronix trigger --spec-dir {specs} bil") == ["billing.ping"]
    assert _complete("cronix trigger ", env={"CRONIX_JOB_SPEC_DIR": str(specs)}) == [
        "billing.ping",
        "shop.ping",
    ]


# ---------------------------------------------------------------- the run log's environment variable (16.12)


def test_cronix_run_log_sets_the_run_log_and_the_flag_still_wins(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url())
    from_env = host.root / "env-runs.jsonl"
    argv = [a for a in host.argv() if a not in ("--run-log", str(host.run_log))]
    proc = subprocess.run(argv, env=host.env(CRONIX_RUN_LOG=str(from_env)), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [json.loads(line)["outcome"] for line in from_env.read_text().splitlines()] == ["success"]
    assert host.trigger(env=host.env(CRONIX_RUN_LOG=str(from_env))).returncode == 0
    assert len(from_env.read_text().splitlines()) == 1  # --run-log went to its own file
    assert [run["outcome"] for run in host.runs()] == ["success"]
    off = subprocess.run(argv, env=host.env(CRONIX_RUN_LOG=""), capture_output=True, text=True)
    assert off.returncode == 0
    assert len(from_env.read_text().splitlines()) == 1  # '' disables it, as --run-log '' does


# ---------------------------------------------------------------- what a failed fire records (14.9)


def test_a_connection_failure_is_recorded_as_what_it_was(host: Host) -> None:
    port = free_port()  # nothing listens there
    write_spec(host.spec_dir, f"http://127.0.0.1:{port}/api/v1/scheduled/ping")
    proc = host.trigger()
    assert proc.returncode == 2
    [run] = host.runs()
    assert run["detail"] == f"connection refused by 127.0.0.1:{port} (3 attempts)"
    assert run["http_status"] is None  # no response came back: null, never 0
    history = subprocess.run(
        [CRONIX, "history", "billing.ping", "--run-log", str(host.run_log), "--no-journald", "-o", "json"],
        env=host.env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert history.returncode == 0, history.stderr
    [entry] = json.loads(history.stdout)["entries"]
    assert (entry["http_status"], entry["detail"]) == (None, run["detail"])


def test_a_failure_after_a_response_says_both(host: Host, app: AppServer) -> None:
    app.replies = [Reply(503, b"busy")]
    write_spec(host.spec_dir, app.url(), policy={"retries": {"max_attempts": 1}})
    assert host.trigger().returncode == 2
    app.replies = [Reply(403, b'{"code":"Forbidden","message":"not this tenant"}')]
    assert host.trigger().returncode == 1
    exhausted, rejected = host.runs()
    assert (exhausted["detail"], exhausted["http_status"]) == ("last status 503 (1 attempt)", 503)
    assert (rejected["detail"], rejected["http_status"]) == ("HTTP 403 (Forbidden)", 403)


# ---------------------------------------------------------------- quiet under cron (14.10)


def test_quiet_success_prints_nothing_and_is_still_recorded(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url())
    for proc in (
        host.trigger("billing.ping", "--quiet"),
        host.trigger(env=host.env(CRONIX_TRIGGER_QUIET="1")),
    ):
        assert proc.returncode == 0
        assert (proc.stdout, proc.stderr) == ("", "")
    assert [run["outcome"] for run in host.runs()] == ["success", "success"]
    assert [r.verdict for r in app.requests] == ["ok", "ok"]


def test_a_quiet_failure_prints_one_line_that_says_what_to_look_at(host: Host, app: AppServer) -> None:
    app.default = Reply(401, b'{"code":"SignatureMismatch"}')
    write_spec(host.spec_dir, app.url())
    proc = host.trigger("billing.ping", "--quiet")
    assert proc.returncode == 1
    assert proc.stdout == ""
    [run] = host.runs()
    assert proc.stderr == (
        "cronix trigger billing.ping failed (exit 1): the app rejected it: HTTP 401 (SignatureMismatch) "
        f"after 1 attempt; run {run['run_id']}, see cronix history billing.ping\n"
    )


def test_a_quiet_spec_error_is_one_line_too(host: Host) -> None:
    proc = host.trigger("billing.ping", "--quiet")
    assert proc.returncode == 3
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("cronix trigger billing.ping failed (exit 3): it could not run: spec ")
    assert "does not exist (run cronix apply, or check --spec-dir)" in proc.stderr


def test_a_quiet_forbid_fire_that_finds_the_last_one_running_says_nothing(host: Host, app: AppServer) -> None:
    app.replies = [Reply(200, b"ok", delay=3)]
    write_spec(host.spec_dir, app.url(), policy={"concurrency": "Forbid"})
    first = host.spawn("billing.ping", "--quiet")
    assert app.arrived.wait(30)
    second = host.trigger("billing.ping", "--quiet")
    assert second.returncode == 4
    assert (second.stdout, second.stderr) == ("", "")
    first.communicate(timeout=30)
    assert first.returncode == 0
    assert sorted(run["outcome"] for run in host.runs()) == ["lock_contended", "success"]


@pytest.fixture
def fake_cron(tmp_path: Path) -> Path:
    """A shell whose process name is ``cron``, so the trigger's parent looks like cron's child.

    The real daemon runs in ``tests/reconcile/test_cron_e2e.py``; this checks the detection
    of the process tree in milliseconds, with a real ``/bin/sh`` under another name.
    """
    shell = tmp_path / "bin" / "cron"
    shell.parent.mkdir()
    shutil.copy("/bin/sh", shell)
    return shell


def test_under_cron_a_fire_is_quiet_unless_told_otherwise(
    host: Host, app: AppServer, fake_cron: Path
) -> None:
    write_spec(host.spec_dir, app.url())
    line = " ".join(f"'{a}'" for a in host.argv())
    quiet = subprocess.run([str(fake_cron), "-c", line], env=host.env(), capture_output=True, text=True)
    assert quiet.returncode == 0, quiet.stderr
    assert (quiet.stdout, quiet.stderr) == ("", "")
    loud = subprocess.run(
        [str(fake_cron), "-c", line], env=host.env(CRONIX_TRIGGER_QUIET="0"), capture_output=True, text=True
    )
    assert [entry["msg"] for entry in log_lines(loud.stdout)] == ["trigger: success"]
    # Not under cron (the test's own process tree): the JSON lines, as journald and pod logs need.
    assert [entry["msg"] for entry in log_lines(host.trigger().stdout)] == ["trigger: success"]
    assert [run["outcome"] for run in host.runs()] == ["success"] * 3
