"""Prometheus metrics of every fire: a node_exporter textfile per job, optionally a Pushgateway push.

Two moments of a fire are recorded (:mod:`cronix.trigger.run` calls both, and imports this
module only when ``trigger.metrics`` exports something):

* :meth:`JobMetrics.started` — the run passed its lock: ``last_start`` and ``running 1``,
  the occurrence it serves (``last_fire``) and the next one the schedules expect
  (``next_fire``, labelled with :func:`~cronix.protocol.metrics.schedule_hash`);
* :meth:`JobMetrics.finished` — the outcome: ``runs_total{outcome}``, ``last_success`` or
  ``last_failure``, ``duration`` and ``running 0`` for a run that began. A fire that never
  passed its lock (contended, a spec or secret problem) changes neither ``last_start`` nor
  ``running`` — the run holding the lock is the one those describe — but still moves
  ``next_fire`` on when the schedule is known: the scheduler did fire the occurrence.

Series names and labels are :mod:`cronix.protocol.metrics` (the alert rules read the same
module). One file per job, ``<textfile_dir>/cronix-<app>.<job>.prom``, so concurrent fires
of different jobs never touch each other's series; fires of one job update it under an
``flock`` of a hidden lock file beside it, read-modify-write, and replace it atomically
(:func:`cronix.fileio.write_atomic`; node_exporter never sees half a file, and reads
neither the lock nor the temporary file, whose names do not end in ``.prom``). The file is
also where ``runs_total`` is counted; with only a Pushgateway configured the counts live
in ``<state_dir>/<app>.<job>.prom``.

Metrics never change a fire's outcome: a directory that cannot be written, a lock that
stays busy for two seconds or a push that fails is one ``trigger: metrics`` warning line.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

from cronix.protocol import metrics as m
from cronix.protocol.triggerlog import MSG

if TYPE_CHECKING:
    from collections.abc import Callable

    from cronix.protocol.manifest import Job
    from cronix.trigger.logs import JsonLog
    from cronix.trigger.settings import MetricsSettings

__all__ = ["LOCK_WAIT_SECONDS", "JobMetrics", "Sample", "metrics_file", "next_expected", "parse", "render"]

#: How long an update waits for another fire of the same job to finish writing the file.
LOCK_WAIT_SECONDS = 2.0
_LINE = re.compile(r"(cronix_job_[a-z_]+)\{([^}]*)\} (\S+)")
_LABEL = re.compile(r'([a-z_]+)="([^"]*)"')


class Sample(NamedTuple):
    """One job's series values; ``next_fire`` 0 means none is expected (no series is written)."""

    last_start: float = 0.0
    last_success: float = 0.0
    last_failure: float = 0.0
    duration: float = 0.0
    running: int = 0
    last_fire: float = 0.0
    next_fire: float = 0.0
    schedule_hash: str = ""
    runs: tuple[tuple[str, int], ...] = ()

    def count(self, outcome: str) -> int:
        return dict(self.runs).get(outcome, 0)


def metrics_file(directory: str, app: str, job: str) -> str:
    return os.path.join(directory, f"cronix-{app}.{job}.prom")


def next_expected(job: Job, after: float) -> tuple[float, str]:
    """``(next occurrence after `after`, schedule hash)``; 0 when the schedules never fire again."""
    from cronix.protocol.firetimes import next_fire_after
    from cronix.trigger.firetime import zone_of

    key = m.schedule_hash(job.schedules, job.timezone)
    tz = zone_of(job.timezone)
    if tz is None:
        return 0.0, key
    try:
        when = next_fire_after(job.schedules, tz, datetime.fromtimestamp(after, UTC))
    except (ValueError, OverflowError, OSError):
        return 0.0, key
    return (when.timestamp() if when is not None else 0.0), key


def render(app: str, job: str, s: Sample) -> str:
    """The file's text: every series of :mod:`cronix.protocol.metrics`, newline-terminated."""
    labels = f'{m.APP}="{app}",{m.JOB}="{job}"'
    values: dict[str, list[tuple[str, float]]] = {
        m.LAST_START: [(labels, s.last_start)],
        m.LAST_SUCCESS: [(labels, s.last_success)],
        m.LAST_FAILURE: [(labels, s.last_failure)],
        m.DURATION: [(labels, s.duration)],
        m.RUNS: [(f'{labels},{m.OUTCOME}="{o}"', s.count(o)) for o in m.OUTCOMES],
        m.RUNNING: [(labels, s.running)],
        m.LAST_FIRE: [(labels, s.last_fire)],
        m.NEXT_FIRE: [(f'{labels},{m.SCHEDULE}="{s.schedule_hash}"', s.next_fire)] if s.next_fire else [],
    }
    lines = []
    for name, (kind, text) in m.HELP.items():
        lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
        lines += [f"{name}{{{where}}} {_number(v)}" for where, v in values[name]]
    return "\n".join(lines) + "\n"


def parse(text: str) -> Sample:
    """The values a file written by :func:`render` holds (anything else in it is ignored)."""
    found: dict[str, float] = {}
    runs: dict[str, int] = {}
    schedule = ""
    for line in text.splitlines():
        match = _LINE.fullmatch(line.strip())
        if match is None:
            continue
        name, label_text, raw = match.groups()
        try:
            value = float(raw)
        except ValueError:
            continue
        labels = dict(_LABEL.findall(label_text))
        if name == m.RUNS:
            runs[labels.get(m.OUTCOME, "")] = int(value)
        else:
            found[name] = value
            if name == m.NEXT_FIRE:
                schedule = labels.get(m.SCHEDULE, "")
    return Sample(
        last_start=found.get(m.LAST_START, 0.0),
        last_success=found.get(m.LAST_SUCCESS, 0.0),
        last_failure=found.get(m.LAST_FAILURE, 0.0),
        duration=found.get(m.DURATION, 0.0),
        running=int(found.get(m.RUNNING, 0)),
        last_fire=found.get(m.LAST_FIRE, 0.0),
        next_fire=found.get(m.NEXT_FIRE, 0.0),
        schedule_hash=schedule,
        runs=tuple((o, runs.get(o, 0)) for o in m.OUTCOMES),
    )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"


class JobMetrics:
    """The metrics of one job on this host, updated at the start and the end of a fire."""

    def __init__(self, settings: MetricsSettings, app: str, job: str, state_dir: str, log: JsonLog) -> None:
        self.settings = settings
        self.app = app
        self.job = job
        self.log = log
        directory = settings.textfile_dir or state_dir
        self.path = metrics_file(directory, app, job) if directory else ""
        self.began: float | None = None
        self.served = False

    def started(self, now: float, job: Job, intended: int) -> None:
        """The run passed its lock and is about to send its first attempt."""
        self.began = now
        following, key = next_expected(job, intended)
        self.served = True
        self._update(
            lambda s: s._replace(
                last_start=now,
                running=1,
                last_fire=float(intended),
                next_fire=following,
                schedule_hash=key,
            )
        )

    def finished(self, now: float, outcome: str, job: Job | None, intended: int) -> None:
        """The fire ended with ``outcome`` (``job`` is ``None`` when the spec could not be read)."""
        began = self.began
        following, key = 0.0, ""
        if job is not None and intended and not self.served:
            following, key = next_expected(job, intended)

        def change(s: Sample) -> Sample:
            runs = tuple((o, n + (o == outcome)) for o, n in s.runs)
            s = s._replace(runs=runs)
            if outcome == "success":
                s = s._replace(last_success=now)
            elif outcome in m.FAILURE_OUTCOMES:
                s = s._replace(last_failure=now)
            if began is not None:
                s = s._replace(duration=now - began, running=0)
            if key:
                s = s._replace(last_fire=float(intended), next_fire=following, schedule_hash=key)
            return s

        self._update(change)

    # ------------------------------------------------------------ writing

    def _update(self, change: Callable[[Sample], Sample]) -> None:
        text = self._write(change) if self.path else render(self.app, self.job, change(Sample()))
        if text and self.settings.pushgateway_url:
            self._push(text)

    def _write(self, change: Callable[[Sample], Sample]) -> str:
        from cronix.fileio import write_atomic
        from cronix.flocks import FileLock, LockFileError

        directory, name = os.path.split(self.path)
        lock = FileLock(os.path.join(directory, f".{name}.lock"))
        try:
            if not lock.acquire(LOCK_WAIT_SECONDS):
                self.log.warn(MSG.METRICS, err=f"{self.path}: another fire kept it locked; not updated")
                return ""
        except LockFileError as exc:
            self.log.warn(MSG.METRICS, err=str(exc))
            return ""
        try:
            try:
                with open(self.path, encoding="utf-8", errors="replace") as fh:
                    current = parse(fh.read(1 << 20))
            except FileNotFoundError:
                current = parse("")
            text = render(self.app, self.job, change(current))
            # No fsync: a power cut loses a sample, never a fire; node_exporter needs 0644.
            write_atomic(self.path, text.encode(), mode=0o644, fsync=False)
            return text
        except OSError as exc:
            self.log.warn(MSG.METRICS, err=f"{self.path}: {exc.strerror or exc}")
            return ""
        finally:
            lock.release()

    def _push(self, text: str) -> None:
        from urllib.parse import quote

        from cronix.httpio import HttpError, parse_target, request

        s = self.settings
        path = f"/metrics/job/cronix/{m.APP}/{self.app}/{m.JOB}/{self.job}"
        if s.push_instance:
            path += f"/instance/{quote(s.push_instance, safe='')}"
        url = s.pushgateway_url.rstrip("/") + path
        try:
            target = parse_target(url)
            headers = [("Content-Type", "text/plain; version=0.0.4")]
            response = request(
                target, "PUT", headers, text.encode(), timeout=float(s.push_timeout_seconds), max_body=4096
            )
        except (ValueError, HttpError) as exc:
            self.log.warn(MSG.METRICS, err=f"push to {s.pushgateway_url}: {exc}")
            return
        if not 200 <= response.status < 300:
            body = response.body[:200].decode("utf-8", "replace").strip()
            self.log.warn(MSG.METRICS, err=f"push to {s.pushgateway_url}: HTTP {response.status} {body}")
