"""``cronix run <app>.<job> [--at TIME]``: fire a job now, or as if scheduled at TIME (a backfill).

Where the job's entries run ``cronix trigger`` on this host (crontab, systemd-timer), the
fire is the trigger's own: :func:`cronix.trigger.run.fire` in this process, with the spec
file ``cronix apply`` wrote, the trigger's settings from cronix.yaml, its locks, signing,
retries, run log and state, and an explicit fire time — so nothing about it differs from a
scheduled fire except that it is recorded as manual (D-742). In-process rather than an
``exec`` of ``cronix trigger``: the result comes back as a value (outcome, run id, attempts)
for the report and ``-o json``, and no second interpreter starts. The trigger's JSON log
lines go to stderr, the report to stdout.

A backend that fires remotely runs the job its own way (:class:`SupportsRunNow`:
Kubernetes creates a Job from the CronJob, aws-scheduler invokes the target Lambda once);
a backend with neither is a clear error (exit 3).

The fire time is *now* (whole seconds, never snapped to a nearby occurrence: a run-now
must not claim the occurrence the scheduler is about to fire), or ``--at``: it must be an
occurrence of the job's schedules (``--schedule-index N``: of schedule N), else the error
names the nearest ones (``--force`` fires it anyway), and a future one needs ``--force``.
Either way the fire id is ``<app>.<job>#<index>@<time>`` (:mod:`cronix.protocol.fireid`),
so an SDK's claim store runs a backfilled occurrence once, however often it is delivered.

Exit status: 0 the fire succeeded (or, remotely, was started) · 1 it failed (the trigger's
outcome and exit code are in the message) · 2 usage (``--at`` not an occurrence …) ·
3 the backend cannot run jobs now, or failed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cronix.backends.base import ManualRun, SupportsRecordedJobs, SupportsRunNow, UnsupportedOperation
from cronix.errors import EXIT_ERROR, CronixError, NotFound, UsageError
from cronix.protocol.fireid import format_fire_id, format_utc

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cronix.backends.base import Backend
    from cronix.operations.workspace import Workspace
    from cronix.protocol.manifest import Job
    from cronix.trigger.run import FireResult

__all__ = ["RunFailed", "RunRequest", "RunResult", "nearest_occurrences", "run_job"]

# How far back the nearest earlier occurrence is looked for (a yearly job has one within it).
_LOOK_BACK = (timedelta(hours=1), timedelta(days=1), timedelta(days=32), timedelta(days=367))


class RunFailed(CronixError):
    """The manual fire ran and failed (app rejected, retries exhausted, lock contended …)."""

    exit_code = EXIT_ERROR


@dataclass(frozen=True, slots=True)
class RunRequest:
    target: str  # <app>.<job>
    at: str | None = None  # --at: Unix seconds or RFC 3339
    schedule_index: int | None = None
    force: bool = False


@dataclass(frozen=True, slots=True)
class RunResult:
    app: str
    job: str
    backend: str
    #: ``host``: fired here through the trigger; ``backend``: the backend's own run-now.
    via: str
    fire_time: int
    fire_id: str
    backfill: bool
    outcome: str  # the trigger's outcome, or "started" for a backend's run-now
    exit_code: int = 0  # the trigger's exit code (0 for a backend's run-now)
    run_id: str = ""
    attempts: int = 0
    http_status: int = 0
    detail: str = ""
    #: The backend's handle on the run (a Kubernetes Job's name, a Lambda request id).
    reference: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "job": self.job,
            "backend": self.backend,
            "via": self.via,
            "fire_time": format_utc(self.fire_time),
            "fire_id": self.fire_id,
            "backfill": self.backfill,
            "outcome": self.outcome,
            "exit_code": self.exit_code,
            "run_id": self.run_id,
            "attempts": self.attempts,
            "http_status": self.http_status or None,
            "detail": self.detail,
            "reference": self.reference,
        }


def run_job(ws: Workspace, request: RunRequest, *, now: float | None = None) -> RunResult:
    """Fire ``request.target`` once, recorded as manual; :class:`RunFailed` when the fire fails."""
    from cronix.operations.workspace import parse_target

    app, name = parse_target(request.target)
    current = int(time.time() if now is None else now)
    # Read-only: a run changes no entry (a Kubernetes Job or a Lambda invocation is a run, not state).
    with ws.open_backend(read_only=True) as backend:
        remote = isinstance(backend, SupportsRunNow)
        if not remote and not backend.fires_on_host:
            raise UnsupportedOperation(
                f"backend {backend.name} cannot run a job now: it has no run-now of its own and its "
                "entries do not run cronix trigger on this host (fire it from the scheduler's console)"
            )
        job = _installed_job(ws, backend, app, name, local=not remote)
        when, index = _fire_time(job, request, current)
        fire_id = format_fire_id(app, name, index, when)
        started = RunResult(
            app, name, backend.name, "backend", when, fire_id, request.at is not None, "started"
        )
        if isinstance(backend, SupportsRunNow):
            return replace(started, reference=backend.run_now(app, name, ManualRun(when, index, fire_id)))
        fired = _fire_here(ws, app, name, when, index, backend.name)
    if fired.exit_code != 0:
        detail = f": {fired.detail}" if fired.detail else ""
        raise RunFailed(
            f"{app}.{name} run {fired.run_id} ({fire_id}) failed: {fired.outcome} "
            f"(trigger exit {fired.exit_code}){detail}"
        )
    return replace(
        started,
        via="host",
        outcome=fired.outcome,
        exit_code=fired.exit_code,
        run_id=fired.run_id,
        attempts=fired.attempts,
        http_status=fired.http_status,
        detail=fired.detail,
    )


# ---------------------------------------------------------------- which job, which time


def _installed_job(ws: Workspace, backend: Backend, app: str, name: str, *, local: bool) -> Job:
    """The job as it is installed: its spec file here, or what the backend's entries record."""
    from cronix.protocol.specfile import SpecFileError, parse_spec_file, spec_file_name

    if local:
        import os

        path = os.path.join(ws.spec_dir, spec_file_name(app, name))
        try:
            with open(path, "rb") as fh:
                spec = parse_spec_file(fh.read())
        except FileNotFoundError:
            raise NotFound(
                f"{app}.{name} has no trigger spec file {path}: it is not installed on this host "
                "(cronix apply it first, or pass --spec-dir)"
            ) from None
        except (OSError, SpecFileError) as exc:
            raise UsageError(f"trigger spec file {path}: {exc}") from None
        return spec.job
    recorded = backend.recorded_jobs() if isinstance(backend, SupportsRecordedJobs) else {}
    job = recorded.get((app, name))
    if job is None:
        raise NotFound(f"{app}.{name} is not installed on {backend.name} (cronix list shows what is)")
    return job


def _fire_time(job: Job, request: RunRequest, now: int) -> tuple[int, int]:
    """``(fire time, schedule index)`` of the run (see the module docstring)."""
    from cronix.trigger.firetime import occurrence_index, parse_fire_time

    index = request.schedule_index
    if index is not None and not 0 <= index < len(job.schedules):
        raise UsageError(f"--schedule-index {index}: the job has schedules 0 to {len(job.schedules) - 1}")
    preferred = 0 if index is None else index
    if request.at is None:
        return now, occurrence_index(job.schedules, job.timezone, now, preferred)
    try:
        when = parse_fire_time(request.at)
        format_utc(when)
    except ValueError as exc:
        raise UsageError(f"--at: {exc}") from None
    if when > now and not request.force:
        raise UsageError(
            f"--at {format_utc(when)} is in the future: the scheduler will fire it then "
            "(--force runs that occurrence now)"
        )
    schedules = job.schedules if index is None else (job.schedules[index],)
    before, after, exact = nearest_occurrences(schedules, job.timezone, when)
    if not exact and not request.force:
        which = "its schedules" if index is None else f"schedule {index} ({job.schedules[index]!r})"
        near = [f"{label} {format_utc(t)}" for label, t in (("before:", before), ("after:", after)) if t]
        raise UsageError(
            f"--at {format_utc(when)} is not an occurrence of {which} in {job.timezone}"
            + (f"; nearest {', '.join(near)}" if near else "; it never fires")
            + " (--force runs it anyway)"
        )
    return when, occurrence_index(job.schedules, job.timezone, when, preferred)


def nearest_occurrences(
    schedules: Sequence[str], timezone: str, when: int
) -> tuple[int | None, int | None, bool]:
    """``(latest occurrence before when, first after, whether when is one)`` over ``schedules``."""
    from zoneinfo import ZoneInfo

    from cronix.protocol.firetimes import fire_times

    tz = ZoneInfo(timezone)
    moment = datetime.fromtimestamp(when, UTC)
    exact = False
    after: int | None = None
    for schedule in schedules:
        first = next(iter(fire_times(schedule, tz, moment - timedelta(seconds=1))), None)
        if first is None:
            continue
        t = int(first.timestamp())
        if t == when:
            exact = True
            t = next((int(x.timestamp()) for x in fire_times(schedule, tz, moment)), t)
        after = t if after is None else min(after, t)
    before: int | None = None
    for back in _LOOK_BACK:
        for schedule in schedules:
            for occurrence in fire_times(schedule, tz, moment - back):
                if occurrence >= moment:
                    break
                stamp = int(occurrence.timestamp())
                before = stamp if before is None else max(before, stamp)
        if before is not None:
            break
    return before, after, exact


# ---------------------------------------------------------------- the fire


def _fire_here(ws: Workspace, app: str, name: str, when: int, index: int, backend: str) -> FireResult:
    """The trigger's fire, in this process, with its settings (see the module docstring)."""
    import signal
    import sys

    from cronix.trigger.logs import JsonLog
    from cronix.trigger.run import FireOptions, Terminated, fire
    from cronix.trigger.settings import SettingsError, load_settings

    try:
        conf = load_settings(ws.overrides.config_path)
    except SettingsError as exc:
        raise UsageError(str(exc)) from None
    # A manual run is a run: its outcome reaches the run log and the metrics like any fire.
    options = FireOptions.from_settings(
        conf,
        app,
        name,
        spec_dir=ws.spec_dir,
        fire_time=when,
        backend=backend,
        manual=True,
        schedule_index=index,
    )

    def on_sigterm(signum: int, frame: object) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        return fire(options, log=JsonLog(sys.stderr))
    finally:
        signal.signal(signal.SIGTERM, previous)
