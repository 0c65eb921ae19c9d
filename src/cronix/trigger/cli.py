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

A command line that cannot be used is a usage error: one line on stderr and exit 2, as
for every cronix command (D-620; nothing was fired, nothing is recorded). A config file
that cannot be used is exit 3 (internal, D-210): exit 1 is reserved for the app rejecting
the fire. ``--help`` is rendered by click, in the style of the other commands, from the
same :data:`FLAGS` table the parser is built from; only ``--help`` imports click.

Under cron a success is silent and a failure one human line (:mod:`cronix.trigger.quiet`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from cronix.trigger.run import EXIT_INTERNAL
from cronix.trigger.settings import (
    CONFIG_PATHS,
    DEFAULTS,
    MetricsSettings,
    SettingsError,
    load_settings,
    settings,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "CONFIG_PATHS",
    "DEFAULTS",
    "DESCRIPTION",
    "EXIT_CODES",
    "FLAGS",
    "Flag",
    "main",
    "settings",
]

#: A command line the trigger cannot use: nothing was fired (``2``, as for every cronix command).
EXIT_USAGE = 2

#: What ``cronix trigger --help`` says (rendered by :mod:`cronix.cli.commands.trigger`).
DESCRIPTION = """\
Fire <app>.<job> (e.g. billing.reconcile) once, as the scheduler does at every fire time: read its spec file
(written by cronix apply), take its concurrency lock, send the HMAC-signed request
with retries, record the run in the run log, and exit with a code.

Settings come from the flag, else the environment, else cronix.yaml, else the default.
Environment variables read: CRONIX_CONFIG (cronix.yaml), CRONIX_JOB_SPEC_DIR (--spec-dir),
CRONIX_RUN_LOG (--run-log), CRONIX_FIRE_TIME (--fire-time), CRONIX_TRIGGER_QUIET
(1: quiet, 0: JSON lines even under cron), TRIGGER_TIMER_REALTIME_USEC (set by systemd
timers: when the timer elapsed), CREDENTIALS_DIRECTORY (credential: secret refs), the
variables env: secret refs name, and HOME (~/.cronix/cronix.yaml).

Output: one JSON log line per event on stdout (journald, pod logs and CloudWatch keep
them for cronix history). Under cron (or with CRONIX_TRIGGER_QUIET=1) a success prints
nothing and a failure one line on stderr, so cron mails only failures (MAILTO)."""
EXIT_CODES = """\
Exit codes: 0 ok · 1 app rejected (4xx, or a 3xx: redirects are not followed) ·
2 retries exhausted, or a usage error (nothing fired) · 3 internal (spec, secret,
config or lock error) · 4 lock contended (75 with trigger.contended_exit_code: 75)"""


class Flag(NamedTuple):
    """One option of ``cronix trigger``: argparse parses it on the fast path, click shows it in help."""

    name: str
    help: str
    metavar: str = ""  # "" for an on/off flag


#: The options, once: the fast path's argparse parser and the click help are both built from these.
FLAGS: tuple[Flag, ...] = (
    Flag("--config", "cronix.yaml to read (default: $CRONIX_CONFIG, ~/.cronix/, /etc/cronix/).", "FILE"),
    Flag("--spec-dir", "Directory of <app>.<job>.json spec files ($CRONIX_JOB_SPEC_DIR, spec_dir).", "DIR"),
    Flag("--lock-dir", "Directory of host lock files (locks.flock.dir).", "DIR"),
    Flag("--run-log", "Run log file ($CRONIX_RUN_LOG, trigger.run_log); '' disables it.", "FILE"),
    Flag("--state-dir", "Per-job state directory (trigger.state_dir); '' disables it.", "DIR"),
    Flag("--fire-time", "Intended fire time, Unix seconds or RFC 3339 ($CRONIX_FIRE_TIME).", "TIME"),
    Flag("--otel", "Export OpenTelemetry traces (trigger.otel)."),
    Flag(
        "--metrics-dir",
        "Write Prometheus textfile metrics here (trigger.metrics.textfile_dir); '' disables.",
        "DIR",
    ),
    Flag("--quiet", "Print nothing on success and one line on failure (as under cron)."),
    Flag("--backend", "Backend name recorded in traces.", "NAME"),
    Flag(
        "--guard",
        "Fire only when this minute is an occurrence of schedule N in the job's timezone, else exit 0 "
        "quietly (crontab entries of jobs in another zone than cron's).",
        "N",
    ),
)


class _UsageError(Exception):
    """A command line the trigger cannot use (exit 2, one line on stderr, nothing fired)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="cronix trigger", add_help=False)
    p.add_argument("target", metavar="<app>.<job>")
    for flag in FLAGS:
        if flag.metavar:
            p.add_argument(flag.name, metavar=flag.metavar)
        else:
            p.add_argument(flag.name, action="store_true")
    return p


def main(argv: Sequence[str]) -> int:
    """Fire the job ``argv`` names; ``--help`` is answered before this (``cronix.cli.entry``)."""
    try:
        args = _parser().parse_args(list(argv))
        options, otel, quiet = _options(args)
    except _UsageError as exc:
        print(f"cronix trigger: error: {exc} (see 'cronix trigger --help')", file=sys.stderr)
        return EXIT_USAGE
    except SettingsError as exc:
        print(f"cronix trigger: error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    return _run(options, otel, quiet)


def _options(args: argparse.Namespace) -> tuple[Any, bool, bool]:
    app, dot, job = args.target.partition(".")
    if not dot or not app or not job:
        raise _UsageError(f'argument must be "<app>.<job>", got "{args.target}"')
    from cronix.protocol.identifiers import is_valid_id

    for kind, value in (("app", app), ("job", job)):
        if not is_valid_id(value):
            raise _UsageError(f'{kind} "{value}" must match ^[a-z][a-z0-9-]{{0,62}}$')
    guard = _guard(args.guard)
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
    run_log = args.run_log if args.run_log is not None else os.environ.get("CRONIX_RUN_LOG")
    options = FireOptions.from_settings(
        conf,
        app,
        job,
        spec_dir=args.spec_dir or os.environ.get("CRONIX_JOB_SPEC_DIR") or conf["spec_dir"],
        lock_dir=args.lock_dir or conf["lock_dir"],
        run_log=conf["run_log"] if run_log is None else run_log,
        state_dir=conf["state_dir"] if args.state_dir is None else args.state_dir,
        fire_time=intended,
        elapsed_at=elapsed_at,
        backend=args.backend or "",
        metrics=_metrics(conf["metrics"], args.metrics_dir),
        # A Job that ``cronix run`` made from a CronJob says so (D-742).
        manual=os.environ.get("CRONIX_MANUAL_RUN") == "1",
        guard=guard,
    )
    from cronix.trigger.quiet import quiet_wanted

    return options, bool(args.otel or conf["otel"]), quiet_wanted(args.quiet, os.environ)


def _guard(value: str | None) -> int | None:
    """``--guard N``: a schedule index (0..63)."""
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or int(value) > 63:
        raise _UsageError(f"--guard {value}: a schedule index is 0 to 63")
    return int(value)


def _metrics(configured: MetricsSettings | None, flag: str | None) -> MetricsSettings | None:
    """``trigger.metrics`` with ``--metrics-dir`` applied; ``None`` when nothing is exported."""
    if flag is None:
        return configured
    chosen = (configured or MetricsSettings())._replace(textfile_dir=flag)
    return chosen if chosen.exports else None


def _run(options: Any, otel: bool, quiet: bool) -> int:
    from cronix.trigger.logs import JsonLog
    from cronix.trigger.run import FireResult, Terminated, fire
    from cronix.trigger.tracing import NoTracer, Tracer

    if quiet:
        from cronix.trigger.quiet import Discard

        log = JsonLog(Discard())
    else:
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
    if quiet and result is not None:
        from cronix.trigger.quiet import failure_line

        _say(failure_line(options.app, options.job, result))
    if result is None or result.terminated:
        # Cleaned up (lock released, run recorded): now die of the signal as the caller expects.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return EXIT_INTERNAL  # not reached
    return result.exit_code


def _say(line: str) -> None:
    if line:
        with contextlib.suppress(OSError, ValueError):  # stderr closed: the run log has the record
            print(line, file=sys.stderr, flush=True)
