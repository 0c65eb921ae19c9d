"""The AWS Lambda entry point: ``cronix.trigger.aws_lambda.handler`` fires one job per invocation.

EventBridge Scheduler invokes the function (asynchronously) with each schedule's
``Input``: the compact trigger spec ``cronix apply`` wrote into it
(:mod:`cronix.backends.aws_schedules`). The handler runs exactly the fire of ``cronix
trigger`` — :func:`cronix.trigger.run.fire` with the spec as a value instead of a file —
so signing, headers, the attempt loop, backoff, exit codes and the JSON log lines are the
same; the lines go to stdout and so to CloudWatch Logs, where ``cronix history`` folds them
(:mod:`cronix.backends.aws_history`).

What differs on Lambda:

* Locks: ``concurrency_scope: global`` takes the Redis lock (``locks.redis`` of the
  cronix.yaml ``$CRONIX_CONFIG`` names, e.g. one packaged with the function); a ``host``
  job takes none, because each execution environment runs one invocation at a time, so
  the "host" is the invocation itself. Two overlapping fires of one job can run in two
  environments: give a job that must not overlap ``concurrency_scope: global``.
* Secrets: ``ssm:`` and ``secretsmanager:`` refs resolve with the function's role, cached
  per container (:mod:`cronix.secrets.aws`), besides ``env:``/``file:``.
* Nothing is written to disk: no run log, no previous-success state file.
* ``cronix run`` invokes the function itself, with the schedule's ``Input`` plus
  ``"manual_run": {"fire_time": <Unix seconds>}``: that fire time (now, or a backfilled
  occurrence) is the fire's, and its log lines say ``"trigger": "manual"`` (D-742, D-745).
* The occurrence: the schedule's ``Input`` carries ``"scheduled_time"``, which EventBridge
  fills in with the time the schedule was due (D-724); it is the fire's intended time and
  its fire id, the same on every retry of that occurrence.
* The outcome: a successful fire, or one skipped because another holds the job's lock,
  returns ``{"exit_code", "outcome", "run_id", "status", "attempts"}``. Any other ending
  (the app rejected it, retries exhausted, an internal error) raises :class:`FireFailed`,
  so Lambda records a function error and its asynchronous retry policy (up to two more
  tries by default) and on-failure destination apply; the schedule's own RetryPolicy and
  dead-letter queue cover failures to *deliver* the event to the function.

Imports only what ``cronix trigger`` imports, plus boto3 when an AWS secret ref is resolved.
"""

from __future__ import annotations

import os
from typing import Any

from cronix.protocol.triggerlog import MSG
from cronix.trigger.logs import JsonLog
from cronix.trigger.run import EXIT_OK, FireResult

__all__ = ["FireFailed", "InvalidEvent", "handler"]


class InvalidEvent(ValueError):
    """The invocation's event is not a trigger spec (a test event, a schedule not made by cronix)."""


class FireFailed(RuntimeError):
    """The fire ended in failure; raised so that Lambda counts it and its retry policy applies."""


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Fire the job the event's trigger spec describes; see the module docstring for the outcome."""
    from cronix.protocol.specfile import MANUAL_RUN_KEY, SpecFileError, parse_spec_file, spec_from_object

    log = JsonLog()
    try:
        spec = parse_spec_file(event) if isinstance(event, (str, bytes)) else spec_from_object(event)
    except SpecFileError as exc:
        msg = MSG.INVALID_EVENT if "missing" in str(exc) else MSG.PARSE_EVENT
        log.error(msg, err=str(exc))
        raise InvalidEvent(f"the event is not a cronix trigger spec: {exc}") from None
    from cronix.trigger.jitter import NATIVE_ENV
    from cronix.trigger.occurrence import event_occurrence

    # EventBridge's flexible window is the jitter here (D-723): the function never waits.
    os.environ[NATIVE_ENV] = "1"
    manual = event.get(MANUAL_RUN_KEY) if isinstance(event, dict) else None
    fire_time = manual.get("fire_time") if isinstance(manual, dict) else None
    if not isinstance(fire_time, int) or isinstance(fire_time, bool):
        fire_time = None
    if manual is None:  # a scheduled fire: the occurrence EventBridge says this is (D-724)
        fire_time = event_occurrence(event)
    result, contended = _fire(spec, log, manual=manual is not None, fire_time=fire_time)
    outcome = {
        "exit_code": result.exit_code,
        "outcome": result.outcome,
        "run_id": result.run_id,
        "status": result.http_status,
        "attempts": result.attempts,
    }
    if result.exit_code == EXIT_OK or result.exit_code == contended:
        return outcome
    detail = f": {result.detail}" if result.detail else ""
    raise FireFailed(
        f"{spec.app}.{spec.job.name} run {result.run_id}: {result.outcome} (exit {result.exit_code}){detail}"
    )


def _fire(spec: Any, log: JsonLog, *, manual: bool, fire_time: int | None) -> tuple[FireResult, int]:
    from cronix.trigger.run import FireOptions, fire
    from cronix.trigger.settings import SettingsError, load_settings
    from cronix.trigger.tracing import NoTracer, Tracer

    try:
        conf = load_settings(None)
    except SettingsError as exc:
        log.error(MSG.LOAD_SPEC, err=f"cronix.yaml: {exc}")
        raise FireFailed(f"cronix.yaml ($CRONIX_CONFIG) cannot be used: {exc}") from None
    options = FireOptions.from_settings(
        conf,
        spec.app,
        spec.job.name,
        # The event is the spec; the sandbox's disk is thrown away (metrics: a Pushgateway push).
        spec_dir="",
        lock_dir="",
        run_log="",
        state_dir="",
        backend="aws-scheduler",
        host_lock=False,
        manual=manual,
        fire_time=fire_time,  # the occurrence (EventBridge's, or cronix run's), else the clock's
    )
    tracer: Tracer = NoTracer()
    if conf["otel"]:
        from cronix.trigger.otel import start_tracer

        tracer = start_tracer(log)
    try:
        return fire(options, spec=spec, log=log, tracer=tracer), options.contended_exit_code
    finally:
        tracer.shutdown()
