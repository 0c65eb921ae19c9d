"""``cronix status``: every job on every configured backend — schedule, last run, next fire,
drift and pause — and, with ``--missed``, the expected occurrences nobody ran.

Not :func:`cronix.operations.status` (``global-status``: entry counts per backend); this is
the per-job view an operator asks for ("what happened last night?"). No daemon and no state
of our own: what a job *is* comes from the manifest when one is given, else from what the
backend records (:func:`cronix.reconcile.known_jobs`); what *ran* comes from
:func:`cronix.operations.history` (run log + journald, read once for every job) and, for
backends whose entries fire elsewhere (Kubernetes, EventBridge, a plugin), the backend's own
history per job (D-751).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cronix.backends.base import HistoryQuery, PausesByOmission
from cronix.errors import CronixError
from cronix.operations.history import HistoryRequest, history, native_runs
from cronix.operations.missed import Missed, expected_next, missed_occurrences
from cronix.reconcile import classify_entries, known_jobs, spec_problems

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from cronix.backends.base import Backend, ManagedEntry
    from cronix.operations.workspace import Workspace
    from cronix.protocol.manifest import Job
    from cronix.runlog import HistoryRun

__all__ = ["JobStatus", "LastRun", "StatusReport", "StatusRequest", "job_status", "suspension"]

#: How many native runs per job are asked of a remote backend (the newest; enough for --missed
#: over a day of a per-minute schedule).
NATIVE_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class StatusRequest:
    #: Backend names to show (empty: every one under ``backends:``, else the command's).
    only: Sequence[str] = ()
    now: datetime | None = None
    #: ``None``: ``trigger.run_log`` of cronix.yaml; ``""``: read no run log.
    run_log: str | None = None
    journald: bool = True
    #: Set: also list the occurrences since then without a successful run.
    missed_since: datetime | None = None
    #: How late a run may start and still answer its occurrence (plus the job's jitter);
    #: ``None``: the job's ``monitoring.start_grace_seconds`` (D-700), else cronix.yaml's
    #: ``monitor.start_grace_seconds`` — the grace the alert rules use too.
    grace: timedelta | None = None


@dataclass(frozen=True, slots=True)
class LastRun:
    """The newest recorded run of a job, from whichever source recorded it."""

    status: str
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    #: Host (run log), ``pod@node`` (Kubernetes), else the source (``journald``, a backend).
    where: str
    source: str
    run_id: str

    @classmethod
    def of(cls, run: HistoryRun) -> LastRun:
        duration = run.duration_ms
        if duration is None and run.started_at and run.finished_at:
            duration = int((run.finished_at - run.started_at).total_seconds() * 1000)
        pod = f"{run.pod}@{run.node}" if run.pod and run.node else run.pod
        return cls(
            run.status,
            run.started_at,
            run.finished_at,
            duration,
            run.host or pod or run.source,
            run.source,
            run.run_id,
        )

    def as_json(self) -> dict[str, Any]:
        from cronix.runlog import format_time

        return {
            "status": self.status,
            "started_at": format_time(self.started_at),
            "finished_at": format_time(self.finished_at),
            "duration_ms": self.duration_ms,
            "where": self.where,
            "source": self.source,
            "run_id": self.run_id,
        }


@dataclass(frozen=True, slots=True)
class JobStatus:
    """One job on one backend. ``job`` is what it should be (``None``: nothing records it)."""

    backend: str
    app: str
    name: str
    job: Job | None
    entries: int
    #: ``in-sync`` · ``drifted`` · ``missing`` (declared, not installed) · ``undeclared``
    #: (installed, not in the manifest) · ``unverified`` (nothing to compare with).
    state: str
    detail: str = ""
    #: What the backend reports of its entries' suspension (``None``: it does not say).
    suspended: bool | None = None
    last_run: LastRun | None = None
    next_fire: datetime | None = None
    missed: list[Missed] = field(default_factory=list)

    @property
    def target(self) -> str:
        return f"{self.app}.{self.name}"

    @property
    def declared_pause(self) -> bool:
        return self.job is not None and not self.job.enabled

    @property
    def pause(self) -> str:
        """``paused`` (declared and in force), ``""``, or the mismatch that is drift."""
        if self.declared_pause:
            return "paused (backend still active)" if self.suspended is False else "paused"
        return "suspended (not declared)" if self.suspended else ""

    @property
    def jitter_window(self) -> str:
        """The effective start window of each fire, ``+0..30s`` (``""`` without jitter)."""
        jitter = self.job.policy.jitter_seconds if self.job is not None else 0
        return f"+0..{jitter}s" if jitter else ""

    def as_json(self) -> dict[str, Any]:
        from cronix.runlog import format_time

        job = self.job
        return {
            "backend": self.backend,
            "app": self.app,
            "job": self.name,
            "schedules": list(job.schedules) if job else [],
            "timezone": job.timezone if job else None,
            "entries": self.entries,
            "state": self.state,
            "detail": self.detail,
            "pause": {"declared": self.declared_pause, "suspended": self.suspended, "state": self.pause},
            "jitter_seconds": job.policy.jitter_seconds if job else 0,
            "last_run": self.last_run.as_json() if self.last_run else None,
            "next_fire": format_time(self.next_fire),
            "missed": [m.as_json() for m in self.missed],
        }


@dataclass(frozen=True, slots=True)
class BackendRead:
    name: str
    type: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class StatusReport:
    generated_at: datetime
    backends: list[BackendRead]
    jobs: list[JobStatus]
    #: The run log read (``""``: none).
    run_log: str
    missed_since: datetime | None = None

    @property
    def missed(self) -> list[Missed]:
        return [m for j in self.jobs for m in j.missed]

    @property
    def unreadable(self) -> list[BackendRead]:
        return [b for b in self.backends if b.error]


def job_status(ws: Workspace, request: StatusRequest) -> StatusReport:
    """The status of every job on the requested backends (a backend that cannot be read is
    reported on its own and does not stop the others)."""
    now = request.now or datetime.now(UTC)
    config = ws.config
    names = list(request.only) or ([ws.overrides.backend] if ws.overrides.backend else None)
    names = names or list(config.backends) or [config.backend]
    # The manifest, when given, is what the command's backend should hold (D-750).
    declared: dict[tuple[str, str], Job] = {}
    declared_apps: set[str] = set()
    if ws.overrides.manifest:
        for loaded in ws.manifests():
            declared_apps.add(loaded.manifest.app)
            declared.update({(loaded.manifest.app, j.name): j for j in loaded.manifest.jobs})
    path, runs = history(
        ws, HistoryRequest(None, None, limit=0, run_log=request.run_log, journald=request.journald)
    )
    by_job: dict[tuple[str, str], list[HistoryRun]] = {}
    for run in runs:
        by_job.setdefault((run.app, run.job), []).append(run)
    reads: list[BackendRead] = []
    jobs: list[JobStatus] = []
    for name in names:
        kind = ws.backend_kind(name)
        mine = name == ws.backend_name
        try:
            with ws.open_backend(name, only_its_section=True, read_only=True) as backend:
                jobs += _backend_jobs(
                    ws,
                    backend,
                    declared if mine else {},
                    declared_apps if mine else set(),
                    by_job,
                    request,
                    now,
                )
        except CronixError as exc:
            reads.append(BackendRead(name, kind, str(exc)))
            continue
        reads.append(BackendRead(name, kind))
    return StatusReport(now, reads, jobs, path, request.missed_since)


def _backend_jobs(
    ws: Workspace,
    backend: Backend,
    declared: Mapping[tuple[str, str], Job],
    declared_apps: set[str],
    local_runs: Mapping[tuple[str, str], list[HistoryRun]],
    request: StatusRequest,
    now: datetime,
) -> list[JobStatus]:
    entries = backend.list_entries()
    recorded = known_jobs(backend, ws.spec_dir)
    jobs = {**recorded, **declared}
    specs = spec_problems(backend, entries, ws.spec_dir, dict(declared) or None)
    grouped: dict[tuple[str, str], list[ManagedEntry]] = {}
    for e in entries:
        grouped.setdefault((e.app, e.job), []).append(e)
    states: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for s in classify_entries(backend, entries, jobs, specs):
        states.setdefault((s.entry.app, s.entry.job), []).append((s.state, s.detail))
    omits_paused = isinstance(backend, PausesByOmission)
    out = []
    # Spec files with no entry here may be another backend's on this host: not listed.
    for key in sorted(set(grouped) | set(declared)):
        app, name = key
        job = jobs.get(key)
        installed = grouped.get(key, [])
        state, detail = _state(job, installed, states.get(key, []), key in declared, app in declared_apps)
        if state == "missing" and job is not None and not job.enabled and omits_paused:
            state, detail = "in-sync", ""  # vercel.json holds no paused entry: none is right
        suspended = suspension(installed)  # pause drift is the audit's (classify_entries)
        runs = local_runs.get(key, [])
        if not backend.fires_on_host:
            runs = _merge(runs, _remote_runs(ws, backend, app, name, request.missed_since))
        missed: list[Missed] = []
        if request.missed_since is not None and job is not None and installed:
            installed_at = _installed_since(ws, backend, app, name)
            since = max(request.missed_since, installed_at or request.missed_since)
            grace = request.grace if request.grace is not None else _start_grace(ws, job)
            missed = missed_occurrences(app, job, runs, since=since, now=now, grace=grace)
        out.append(
            JobStatus(
                backend.name,
                app,
                name,
                job,
                len(installed),
                state,
                detail,
                suspended,
                LastRun.of(runs[-1]) if runs else None,
                _next_fire(job, now) if installed else None,
                missed,
            )
        )
    return out


def _state(
    job: Job | None,
    installed: list[ManagedEntry],
    states: list[tuple[str, str]],
    is_declared: bool,
    app_declared: bool,
) -> tuple[str, str]:
    """``(state, why)`` of one job from its entries' classification."""
    if not installed:
        return "missing", "not installed (apply creates it)"
    if app_declared and not is_declared:
        return "undeclared", "not in the manifest (apply deletes it)"
    for wanted in ("drifted", "unverified"):
        found = next((detail for state, detail in states if state == wanted), None)
        if found is not None:
            return wanted, found
    if job is not None and len(installed) != len(job.schedules):
        return "drifted", f"{len(installed)} of {len(job.schedules)} schedules installed"
    return "in-sync", ""


def suspension(installed: Sequence[ManagedEntry]) -> bool | None:
    """Whether the backend reports the job's entries suspended (``None``: it does not say).

    A backend that can pause says so on each entry it lists (:attr:`ManagedEntry.paused`,
    D-721: a commented-out crontab line, a disabled timer, ``suspend: true``, ``State: DISABLED``).
    """
    known = [e.paused for e in installed if e.paused is not None]
    return any(known) if known else None


def _remote_runs(
    ws: Workspace, backend: Backend, app: str, name: str, since: datetime | None
) -> list[HistoryRun]:
    """The backend's own runs of one job; a history that cannot be read is a warning, not a
    reason to hide the backend's jobs (their schedule and drift are still known)."""
    try:
        return native_runs(backend, HistoryQuery(app, name, since=since, limit=NATIVE_LIMIT))
    except CronixError as exc:
        ws.notify(f"{backend.name}: history of {app}.{name} could not be read: {exc}")
        return []


def _merge(local: list[HistoryRun], native: list[HistoryRun]) -> list[HistoryRun]:
    from cronix.runlog import merge_runs

    return merge_runs(local, native) if native else local


def _installed_since(ws: Workspace, backend: Backend, app: str, name: str) -> datetime | None:
    """When apply last wrote the job's trigger spec file (host-firing backends): occurrences
    before it were not this job's to run (D-753)."""
    if not backend.fires_on_host or not ws.spec_dir:
        return None
    from cronix.protocol.specfile import spec_file_name

    try:
        written = os.stat(os.path.join(ws.spec_dir, spec_file_name(app, name))).st_mtime
    except OSError:
        return None
    return datetime.fromtimestamp(written, UTC)


def _next_fire(job: Job | None, now: datetime) -> datetime | None:
    return expected_next(job, now) if job is not None and job.enabled else None


def _start_grace(ws: Workspace, job: Job) -> timedelta:
    """The job's own start grace, else the operator's default: the same rule as the alerts."""
    own = job.monitoring.start_grace_seconds if job.monitoring is not None else None
    return timedelta(seconds=own if own is not None else ws.config.monitor.start_grace_seconds)
