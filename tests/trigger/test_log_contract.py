"""The trigger's log lines are one contract: history folds exactly what a real fire writes.

The messages, keys and their history classification live once, in
:mod:`cronix.protocol.triggerlog`. These tests pin that module to the reference's literal
strings (a Go shim's lines must fold here, and ours in the Go CLI), then run real fires —
the real fire loop against a real HTTP app on loopback, real ``flock`` files — and fold
the captured stdout with :func:`cronix.runlog.fold_shim_logs`: the folded run must say
what the fire itself recorded in the run log.
"""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Callable
from typing import Any

import pytest

from cronix.protocol import triggerlog
from cronix.protocol.triggerlog import HISTORY, KEY, MSG, RunStatus
from cronix.runlog import fold_shim_logs, read_run_log
from cronix.trigger.locks.flock import FlockLocks
from cronix.trigger.logs import JsonLog
from cronix.trigger.run import FireOptions, FireResult, Terminated, fire
from tests.support.procs import free_port
from tests.trigger.app_server import AppServer, Reply
from tests.trigger.conftest import SECRET, Host, log_lines, write_spec
from tests.trigger.test_clock import VirtualClock

# fire-time §1.12 and the Go CLI's historyutil, copied by hand from the reference: msg → status, terminal.
REFERENCE_HISTORY = {
    "trigger: success": ("ok", True),
    "trigger: app rejected": ("failed", True),
    "trigger: retries exhausted": ("failed", True),
    "trigger: panic": ("failed", True),
    "trigger: lock contended": ("lock-contended", True),
    "trigger: attempt failed": ("failed", False),
    "trigger: server error": ("failed", False),
}
REFERENCE_OTHER = {
    "trigger: load spec",
    "trigger: resolve secrets",
    "trigger: replace gave up — holder non-local or refused SIGTERM",
    "trigger: lock acquire",
    "trigger: replaced previous holder",
    "trigger: lock release",
    "trigger: otel init failed; running without traces",
    "trigger: parse event",  # the reference's Lambda
    "trigger: invalid event",
}
# Messages that are not a run's outcome (no run id yet, or a side note on a run that goes on).
NOT_OUTCOMES = {
    MSG.LOAD_SPEC,
    MSG.RESOLVE_SECRETS,
    MSG.SECRET_SKIPPED,
    MSG.REPLACED,
    MSG.HEADER_IGNORED,
    MSG.LOCK_RELEASE,
    MSG.RUN_LOG,
    MSG.METRICS,  # a metrics file or push failed: a side note, never the outcome (D-701)
    MSG.OTEL_INIT_FAILED,
    MSG.PARSE_EVENT,  # the Lambda's event is no spec: there is no run to record
    MSG.INVALID_EVENT,
}


def _messages() -> set[str]:
    return {v for k, v in vars(MSG).items() if k.isupper()}


def test_the_reference_strings_are_kept_byte_for_byte() -> None:
    assert set(REFERENCE_HISTORY) | REFERENCE_OTHER <= _messages()
    assert {msg: HISTORY[msg] for msg in REFERENCE_HISTORY} == REFERENCE_HISTORY
    assert (KEY.TIME, KEY.LEVEL, KEY.MSG, KEY.APP, KEY.JOB, KEY.RUN_ID) == (
        "time",
        "level",
        "msg",
        "app",
        "job",
        "run_id",
    )
    assert (KEY.ATTEMPT, KEY.ATTEMPTS, KEY.STATUS) == ("attempt", "attempts", "status")


def test_every_message_is_either_an_outcome_or_declared_not_one() -> None:
    # A new msg must be a decision: folded by history, or listed here as a side note.
    assert set(HISTORY) | NOT_OUTCOMES == _messages()
    assert not set(HISTORY) & NOT_OUTCOMES
    assert {status for status, _ in HISTORY.values()} == {
        RunStatus.OK,
        RunStatus.FAILED,
        RunStatus.LOCK_CONTENDED,
    }
    assert triggerlog.classify(None) is None
    assert triggerlog.classify(MSG.SUCCESS) == (RunStatus.OK, True)


def _fire(
    host: Host,
    app_url: str,
    replies: list[Reply],
    app: AppServer | None,
    send: Callable[..., Any] | None = None,
    **spec: Any,
) -> FireResult:
    """One fire through the real fire loop; its stdout is kept in ``stdout.jsonl``."""
    write_spec(host.spec_dir, app_url, **spec)
    if app is not None:
        app.replies = list(replies)
    out = io.StringIO()
    options = FireOptions(
        app="billing",
        job="ping",
        spec_dir=str(host.spec_dir),
        lock_dir=str(host.lock_dir),
        run_log=str(host.run_log),
    )
    clock = VirtualClock()
    result = fire(options, log=JsonLog(out), clock=clock, environ={"CRON_SECRET": SECRET}, send=send)
    host.root.joinpath("stdout.jsonl").write_text(out.getvalue())
    return result


def _assert_folds_to_the_record(host: Host, result: FireResult, status: str) -> None:
    stdout = host.root.joinpath("stdout.jsonl").read_text()
    lines = log_lines(stdout)
    bound = [line for line in lines if KEY.RUN_ID in line]
    assert bound, stdout
    for line in bound:  # the contract's key order: time, level, msg, app, job, run_id, then the call's
        assert list(line)[:6] == [KEY.TIME, KEY.LEVEL, KEY.MSG, KEY.APP, KEY.JOB, KEY.RUN_ID], line
    folded = fold_shim_logs(stdout.splitlines(), "billing", "ping", "stdout")
    (recorded,) = read_run_log(str(host.run_log), "billing", "ping")
    assert len(folded) == 1, stdout
    run = folded[0]
    assert (run.run_id, run.status) == (result.run_id, status)
    assert (recorded.run_id, recorded.status) == (result.run_id, status)
    assert run.attempt == result.attempts == recorded.attempt
    # journald wraps each line in a record; the fold is the same through it.
    wrapped = [
        json.dumps({"MESSAGE": raw, "__REALTIME_TIMESTAMP": str(1_700_000_000_000_000 + n)})
        for n, raw in enumerate(stdout.splitlines())
    ]
    (via_journal,) = fold_shim_logs(wrapped, "billing", "ping", "journald")
    assert (via_journal.run_id, via_journal.status, via_journal.attempt) == (run.run_id, status, run.attempt)


FAST_RETRIES = {"timeout_seconds": 5, "retries": {"max_attempts": 3, "min_seconds": 1, "max_seconds": 2}}


@pytest.mark.parametrize(
    ("replies", "code", "status"),
    [
        ([Reply(200)], 0, RunStatus.OK),
        ([Reply(503), Reply(502), Reply(200)], 0, RunStatus.OK),
        ([Reply(503), Reply(404)], 1, RunStatus.FAILED),
        ([Reply(500), Reply(500), Reply(500)], 2, RunStatus.FAILED),
    ],
    ids=["success", "success-after-retries", "app-rejected", "retries-exhausted"],
)
def test_answered_fires_fold_to_what_the_fire_recorded(
    host: Host, app: AppServer, replies: list[Reply], code: int, status: str
) -> None:
    result = _fire(host, app.url(), replies, app, policy=FAST_RETRIES)
    assert result.exit_code == code
    _assert_folds_to_the_record(host, result, status)


def test_unreachable_app_folds_to_failed_with_every_attempt(host: Host) -> None:
    result = _fire(
        host, f"http://127.0.0.1:{free_port()}/api/v1/scheduled/ping", [], None, policy=FAST_RETRIES
    )
    assert (result.exit_code, result.attempts) == (2, 3)
    msgs = [line[KEY.MSG] for line in log_lines(host.root.joinpath("stdout.jsonl").read_text())]
    assert msgs == [MSG.ATTEMPT_FAILED] * 3 + [MSG.RETRIES_EXHAUSTED]
    _assert_folds_to_the_record(host, result, RunStatus.FAILED)


def test_contended_lock_folds_to_lock_contended(host: Host, app: AppServer) -> None:
    held = FlockLocks(str(host.lock_dir)).acquire("billing.ping")
    try:
        result = _fire(host, app.url(), [], app)
    finally:
        held.release()
    assert result.exit_code == 4
    assert app.requests == []
    _assert_folds_to_the_record(host, result, RunStatus.LOCK_CONTENDED)


def test_replace_that_gives_up_folds_to_lock_contended(host: Host, app: AppServer) -> None:
    held = FlockLocks(str(host.lock_dir)).acquire("billing.ping")
    (host.lock_dir / "billing.ping.holder").write_text(f"pid=1\nhost=not-{socket.gethostname()}\n")
    try:
        result = _fire(host, app.url(), [], app, policy={"concurrency": "Replace"})
    finally:
        held.release()
    assert result.exit_code == 4
    _assert_folds_to_the_record(host, result, RunStatus.LOCK_CONTENDED)


def test_lock_error_folds_to_failed(host: Host, app: AppServer) -> None:
    host.root.joinpath("locks").write_text("a file where the lock directory should be")
    result = _fire(host, app.url(), [], app)
    assert result.exit_code == 3
    _assert_folds_to_the_record(host, result, RunStatus.FAILED)


@pytest.mark.parametrize(
    ("raised", "msg"),
    [(Terminated(), MSG.TERMINATED), (RuntimeError("boom"), MSG.PANIC)],
    ids=["sigterm", "panic"],
)
def test_a_fire_that_dies_mid_attempt_folds_to_failed(host: Host, raised: BaseException, msg: str) -> None:
    def send(*args: object) -> object:  # what the SIGTERM handler / an unexpected bug raise mid-request
        raise raised

    result = _fire(host, "http://127.0.0.1:9/api/v1/scheduled/ping", [], None, send=send)
    assert result.exit_code == 3
    assert log_lines(host.root.joinpath("stdout.jsonl").read_text())[-1][KEY.MSG] == msg
    _assert_folds_to_the_record(host, result, RunStatus.FAILED)


def test_the_real_cronix_trigger_process_folds_too(host: Host, app: AppServer) -> None:
    app.replies = [Reply(503)]
    write_spec(
        host.spec_dir, app.url(), policy=FAST_RETRIES | {"retries": {"max_attempts": 2, "min_seconds": 0}}
    )
    proc = host.trigger()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run,) = fold_shim_logs(proc.stdout.splitlines(), "billing", "ping", "stdout")
    (recorded,) = read_run_log(str(host.run_log), "billing", "ping")
    assert (run.run_id, run.status, run.attempt) == (recorded.run_id, RunStatus.OK, 2)
