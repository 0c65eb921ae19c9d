"""Read-only views of a backend: ``list``, ``show``, ``verify-ownership``, ``global-status``.

What an installed entry *should* be comes from the manifest when one is given, otherwise
from what was recorded (:func:`cronix.reconcile.known_jobs`: the entries' own specs, or
the trigger spec files of backends that fire on this host).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cronix.errors import CronixError
from cronix.reconcile import classify_entries, known_jobs, spec_problems, stray_triggers, verify_ownership
from cronix.reconcile.strategies import FireSelection, choose_strategies

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cronix.backends.base import Backend, ManagedEntry
    from cronix.operations.workspace import Workspace
    from cronix.protocol.manifest import Job
    from cronix.reconcile import Finding

__all__ = [
    "AuditResult",
    "BackendStatus",
    "JobView",
    "Owned",
    "ScheduleFires",
    "audit",
    "list_owned",
    "show_job",
    "status",
]


@dataclass(frozen=True, slots=True)
class Owned:
    backend: str
    entries: list[ManagedEntry]
    #: The recorded jobs (:func:`known_jobs`): what each entry's schedule and zone are.
    jobs: dict[tuple[str, str], Job] = field(default_factory=dict)

    def schedule_of(self, entry: ManagedEntry) -> tuple[str, str] | None:
        """``(schedule, timezone)`` of an entry, when its job is recorded."""
        job = self.jobs.get((entry.app, entry.job))
        if job is None or not 0 <= entry.index < len(job.schedules):
            return None
        return job.schedules[entry.index], job.timezone


def list_owned(ws: Workspace) -> Owned:
    """Every entry cronix owns on the workspace's backend, with the recorded jobs."""
    with ws.open_backend(read_only=True) as backend:
        return Owned(backend.name, backend.list_entries(), known_jobs(backend, ws.spec_dir))


@dataclass(frozen=True, slots=True)
class ScheduleFires:
    schedule: str
    timezone: str
    times: list[datetime]


@dataclass(frozen=True, slots=True)
class JobView:
    """One job on one backend: its entries, whether they are in sync, and when it fires next."""

    backend: str
    app: str
    job: str
    entries: list[ManagedEntry]
    desired: Job | None
    in_sync: bool | None
    fires: list[ScheduleFires] = field(default_factory=list)


def show_job(ws: Workspace, target: str, *, next_count: int = 3, now: datetime | None = None) -> JobView:
    from zoneinfo import ZoneInfo

    from cronix.protocol.firetimes import next_fire_times

    app, name, desired = ws.target_job(target)
    with ws.open_backend(read_only=True) as backend:
        entries = sorted(
            (e for e in backend.list_entries() if (e.app, e.job) == (app, name)), key=lambda e: e.index
        )
        given = desired
        if desired is None:
            desired = known_jobs(backend, ws.spec_dir).get((app, name))
        in_sync: bool | None = None
        if desired is not None:
            manifest_jobs = {(app, name): given} if given is not None else None
            specs = spec_problems(backend, entries, ws.spec_dir, manifest_jobs)
            states = classify_entries(backend, entries, {(app, name): desired}, specs)
            in_sync = len(entries) == len(desired.schedules) and all(s.state == "in-sync" for s in states)
        backend_name = backend.name
    fires = []
    if desired is not None:
        start = now or datetime.now(UTC)
        zone = ZoneInfo(desired.timezone)
        fires = [  # a paused job fires never (D-721)
            ScheduleFires(
                s, desired.timezone, next_fire_times(s, zone, start, next_count) if desired.enabled else []
            )
            for s in desired.schedules
        ]
    return JobView(backend_name, app, name, entries, desired, in_sync, fires)


@dataclass(frozen=True, slots=True)
class AuditResult:
    backend: str
    audited: int
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]


def audit(ws: Workspace) -> AuditResult:
    """``verify-ownership``: markers, identities and hashes against the manifest or the records."""
    loaded = ws.manifests(required=False) if ws.overrides.manifest else []
    with ws.open_backend(read_only=True) as backend:
        jobs = known_jobs(backend, ws.spec_dir)
        given = {(m.manifest.app, j.name): j for m in loaded for j in m.manifest.jobs}
        jobs.update(given)
        audited, findings = verify_ownership(backend, jobs, spec_dir=ws.spec_dir, manifest_jobs=given)
        return AuditResult(backend.name, audited, findings)


@dataclass(frozen=True, slots=True)
class BackendStatus:
    """One configured backend at a glance (``error`` set when it could not be read)."""

    name: str
    type: str
    error: str | None = None
    owned: int | None = None
    in_sync: int | None = None
    drifted: int | None = None
    unverified: int | None = None
    apps: list[str] = field(default_factory=list)
    #: Drift that is not an owned entry: left-over spec files, lines that run
    #: ``cronix trigger`` for a managed job outside its entry.
    stray: int | None = None
    #: The fire strategies its jobs use, and every degradation (D-508), as plan prints them.
    fire: list[str] = field(default_factory=list)
    degraded: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        if self.error:
            return f"ERROR: {self.error}"
        if self.drifted or self.stray:
            return "DRIFTED"
        if self.degraded:
            return "DEGRADED"
        return "EMPTY" if not self.owned else "OK"

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"name": self.name, "type": self.type, "error": self.error}
        doc.update(owned=self.owned, in_sync=self.in_sync, drifted=self.drifted, unverified=self.unverified)
        doc["stray"] = self.stray
        if self.error is None:
            doc["apps"] = self.apps
            doc["fire"] = {"strategies": self.fire, "degraded": self.degraded}
        return doc


def _fire_view(
    ws: Workspace, name: str, backend: Backend, jobs: Sequence[tuple[str, str]]
) -> tuple[list[str], list[str]]:
    """The strategies the recorded jobs of each app fire with on ``backend``, and the degradations."""
    by_app: dict[str, list[str]] = {}
    for app, job in jobs:
        by_app.setdefault(app, []).append(job)
    used: set[str] = set()
    degraded: list[str] = []
    for app, names in sorted(by_app.items()) or [("", [])]:
        selection = FireSelection.from_config(ws.config.fire, name, app)
        choice = choose_strategies(selection.for_backend(backend), sorted(names))
        used.update({choice.strategy, *choice.jobs.values()})
        degraded += [f"{app}: {d}" if app else d for d in choice.degraded]
    return sorted(used), degraded


def status(ws: Workspace, only: Sequence[str] = ()) -> list[BackendStatus]:
    """Every backend under ``backends:`` (or the default one): owned, in sync, drifted, unverified."""
    config = ws.config
    names = list(config.backends) or [config.backend]
    if only:
        names = [n for n in names if n in only] + [n for n in only if n not in names]
    rows = []
    for name in names:
        kind = ws.backend_kind(name)
        try:
            with ws.open_backend(name, only_its_section=True, read_only=True) as backend:
                entries = backend.list_entries()
                specs = spec_problems(backend, entries, ws.spec_dir)
                recorded = known_jobs(backend, ws.spec_dir)
                states = classify_entries(backend, entries, recorded, specs)
                owned_jobs = {(e.app, e.job) for e in entries}
                stray = sum(1 for key in specs if key not in owned_jobs)
                stray += len(stray_triggers(backend, entries, recorded))
                fire, degraded = _fire_view(ws, name, backend, sorted(owned_jobs))
        except CronixError as exc:
            rows.append(BackendStatus(name, kind, error=str(exc)))
            continue
        count = {s: sum(1 for x in states if x.state == s) for s in ("in-sync", "drifted", "unverified")}
        rows.append(
            BackendStatus(
                name,
                kind,
                owned=len(entries),
                in_sync=count["in-sync"],
                drifted=count["drifted"],
                unverified=count["unverified"],
                apps=sorted({e.app for e in entries}),
                stray=stray,
                fire=fire,
                degraded=degraded,
            )
        )
    return rows
