"""``cronix trigger <app>.<job>``: argument parsing, settings resolution and the exit code.

Runs once per fire on every host, so it uses argparse (not click) and imports only the
standard library, :mod:`cronix.protocol` and the trigger's own modules; :mod:`cronix.config`
(and YAML) only when a config file exists, Redis and OpenTelemetry only when a job or a
flag needs them.

Settings resolution: flag → environment → ``cronix.yaml`` → built-in default, e.g. the
spec directory is ``--spec-dir`` → ``$CRONIX_JOB_SPEC_DIR`` → ``spec_dir`` →
``/etc/cronix/jobs``; the intended fire time is ``--fire-time`` → ``$CRONIX_FIRE_TIME`` →
derived from the schedule (:mod:`cronix.trigger.firetime`), counting back from the moment a
systemd timer elapsed (``$TRIGGER_TIMER_REALTIME_USEC``, set for timer-activated services)
rather than from the shim's own start when that is known.

A command line or config file that cannot be used is exit 3 (internal) with one line on
stderr: exit 1 is reserved for the app rejecting the fire (the reference used 1, D-210).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import TYPE_CHECKING, Any, NoReturn

from cronix.trigger.run import EXIT_INTERNAL
from cronix.trigger.settings import CONFIG_PATHS, DEFAULTS, SettingsError, load_settings, settings

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["CONFIG_PATHS", "DEFAULTS", "main", "settings"]

_EPILOG = """\
exit codes: 0 ok · 1 app rejected (4xx, or a 3xx: redirects are not followed) ·
2 retries exhausted · 3 internal (spec, secret, config or lock error) ·
4 lock contended (75 with trigger.contended_exit_code: 75)

Logs are JSON lines on stdout; each finished run is also appended to the run log
(trigger.run_log, default /var/log/cronix/runs.jsonl) for `cronix history`.
"""


class _UsageError(Exception):
    """A command line the trigger cannot use (exit 3, one line on stderr)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _formatter(prog: str) -> argparse.HelpFormatter:
    # An explicit width keeps argparse from importing shutil (and bz2, lzma) on every fire.
    width = int(os.environ.get("COLUMNS", "0") or 0) or 80
    return argparse.RawDescriptionHelpFormatter(prog, width=width - 2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="cronix trigger",
        description="Fire one job now: lock, send the signed HTTP request with retries, exit with a code.",
        epilog=_EPILOG,
        formatter_class=_formatter,
    )
    p.add_argument("target", metavar="<app>.<job>", help="the job to fire, e.g. billing.reconcile")
    p.add_argument("--config", help="cronix.yaml (default: $CRONIX_CONFIG, ~/.cronix/, /etc/cronix/)")
    p.add_argument("--spec-dir", help="directory of <app>.<job>.json spec files")
    p.add_argument("--lock-dir", help="directory of host lock files (locks.flock.dir)")
    p.add_argument("--run-log", help="run log file (trigger.run_log); '' disables it")
    p.add_argument("--state-dir", help="per-job state directory (trigger.state_dir); '' disables it")
    p.add_argument("--fire-time", help="intended fire time, Unix seconds or RFC 3339 ($CRONIX_FIRE_TIME)")
    p.add_argument("--otel", action="store_true", help="export OpenTelemetry traces (trigger.otel)")
    p.add_argument("--backend", default="", help="backend name recorded in traces")
    p.add_argument(
        "--guard",
        type=int,
        metavar="N",
        help="fire only when this minute is an occurrence of schedule N in the job's timezone, "
        "else exit 0 quietly (crontab entries of jobs in another zone than cron's)",
    )
    return p


def main(argv: Sequence[str]) -> int:
    try:
        try:
            args = _parser().parse_args(list(argv))
        except SystemExit as exc:  # --help
            return exc.code if isinstance(exc.code, int) else 0
        options, otel = _options(args)
    except (_UsageError, SettingsError) as exc:
        print(f"cronix trigger: error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    return _run(options, otel)


def _options(args: argparse.Namespace) -> tuple[Any, bool]:
    app, dot, job = args.target.partition(".")
    if not dot or not app or not job:
        raise _UsageError(f'argument must be "<app>.<job>", got "{args.target}"')
    from cronix.protocol.identifiers import is_valid_id

    for kind, value in (("app", app), ("job", job)):
        if not is_valid_id(value):
            raise _UsageError(f'{kind} "{value}" must match ^[a-z][a-z0-9-]{{0,62}}$')
    if args.guard is not None and not 0 <= args.guard <= 63:
        raise _UsageError(f"--guard {args.guard}: a schedule index is 0 to 63")
    fire_time = args.fire_time or os.environ.get("CRONIX_FIRE_TIME") or None
    intended: int | None = None
    if fire_time:
        from cronix.trigger.firetime import parse_fire_time

        try:
            intended = parse_fire_time(fire_time)
        except ValueError as exc:
            raise _UsageError(str(exc)) from None
    if intended is None and "CRONIX_KUBERNETES_JOB" in os.environ:  # D-724: the CronJob's occurrence
        from cronix.trigger.occurrence import kubernetes_occurrence

        intended = kubernetes_occurrence(app, job, os.environ)
    elapsed = os.environ.get("TRIGGER_TIMER_REALTIME_USEC", "")
    elapsed_at = int(elapsed) / 1e6 if elapsed.isascii() and elapsed.isdigit() else None
    from cronix.trigger.run import FireOptions

    conf = load_settings(args.config)
    options = FireOptions(
        app=app,
        job=job,
        spec_dir=args.spec_dir or os.environ.get("CRONIX_JOB_SPEC_DIR") or conf["spec_dir"],
        lock_dir=args.lock_dir or conf["lock_dir"],
        run_log=conf["run_log"] if args.run_log is None else args.run_log,
        run_log_max_bytes=conf["run_log_max_bytes"],
        run_log_keep=conf["run_log_keep"],
        state_dir=conf["state_dir"] if args.state_dir is None else args.state_dir,
        contended_exit_code=conf["contended_exit_code"],
        fire_time=intended,
        elapsed_at=elapsed_at,
        backend=args.backend,
        redis=conf["redis"],
        redis_for_host_jobs=conf["redis_for_host_jobs"],
        guard=args.guard,
    )
    return options, bool(args.otel or conf["otel"])


def _run(options: Any, otel: bool) -> int:
    from cronix.trigger.logs import JsonLog
    from cronix.trigger.run import FireResult, Terminated, fire
    from cronix.trigger.tracing import NoTracer, Tracer

    log = JsonLog()
    tracer: Tracer = NoTracer()
    if otel:
        from cronix.trigger.otel import start_tracer

        tracer = start_tracer(log)

    def on_sigterm(signum: int, frame: object) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    result: FireResult | None = None
    try:
        result = fire(options, log=log, tracer=tracer)
    except Terminated:  # arrived after the fire was over (while recording it): nothing left to do
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        tracer.shutdown()
    if result is None or result.terminated:
        # Cleaned up (lock released, run recorded): now die of the signal as the caller expects.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return EXIT_INTERNAL  # not reached
    return result.exit_code
