"""Validate, then plan: what must change on a backend so it matches a manifest.

The host decides (DESIGN §4); the backend only answers ``validate`` and ``list_entries``
(and, when it can, ``entry_matches``). Rules:

* Every job is validated on the chosen backend first; any error aborts with all of them
  listed (:class:`BackendInvalid`, exit 1). Warnings travel with the plan.
* Identity is ``(app, job, index)``; the ownership hash says whether the content changed.
  Per desired job: nothing installed → ``create``; the installed hashes equal the desired
  ones, once per index, and every entry is what the backend would write → ``skip``;
  otherwise → ``update`` (with the reason). Installed jobs of the *manifest's* app that
  the manifest no longer has → ``delete``. Entries of other apps are never touched.
* Order is deterministic: desired jobs in manifest order (sorted by name), then deletes
  sorted by job name.
* On a backend whose entries run ``cronix trigger`` here, the trigger spec files are
  applied state too (:class:`SpecFiles`, D-156): a job whose entries are in sync but whose
  spec file is missing or differs from what apply writes is an ``update`` of the spec file
  alone (``spec_only``), and a spec file of the app that no manifest job and no entry has
  is a ``delete`` of the file alone.
* A native entry that runs ``cronix trigger`` for one of the plan's jobs without being its
  entry (``SupportsUnownedTriggers``) is not an operation — apply never deletes what it does
  not own — but a *stray* of the plan, warned about and counted as drift (D-157).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from cronix.backends.base import (
    DRIFT_SENTINEL,
    PausesByOmission,
    SupportsContentCheck,
    SupportsFireCheck,
    SupportsValidateMany,
)
from cronix.errors import CronixError
from cronix.protocol.advice import describe, job_warnings
from cronix.protocol.ownership import ownership_hashes
from cronix.reconcile.changes import Change, job_changes
from cronix.reconcile.specfiles import left_over_jobs, spec_state

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from cronix.backends.base import Backend, Diagnostic, ManagedEntry, UnownedTrigger
    from cronix.protocol.manifest import Job, Manifest
    from cronix.reconcile.firing import FireSettings

__all__ = [
    "Action",
    "BackendInvalid",
    "Op",
    "Plan",
    "SpecFiles",
    "compute_plan",
    "job_diagnostics",
    "pause_drift",
    "validate_jobs",
    "with_recorded",
]

Action = Literal["create", "update", "delete", "skip"]
_MARKS = {"create": "+", "update": "~", "delete": "-", "skip": "·"}


class BackendInvalid(CronixError):
    """The backend cannot express one or more jobs; nothing was planned or changed (exit 1)."""

    def __init__(self, backend: str, problems: Sequence[tuple[str, Diagnostic]]) -> None:
        self.problems = tuple(problems)
        n = len(self.problems)
        listed = "; ".join(f"{where} {d.render()}" for where, d in self.problems)
        super().__init__(
            f"backend {backend} cannot run this manifest ({n} issue{'s' if n != 1 else ''}): {listed}"
        )

    def as_json(self) -> list[dict[str, str]]:
        return [{"job": where, **d.as_json()} for where, d in self.problems]


@dataclass(frozen=True, slots=True)
class Op:
    action: Action
    app: str
    job: str
    reason: str
    desired: Job | None = None
    old_hashes: tuple[str, ...] = ()
    new_hashes: tuple[str, ...] = ()
    #: The installed entries of this job (what an update or delete replaces).
    entries: tuple[ManagedEntry, ...] = ()
    #: The job as last applied, when the host knows it and its hashes are the installed ones.
    recorded: Job | None = None
    #: Only the trigger spec file changes; the backend's entries are left as they are.
    spec_only: bool = False

    @property
    def mark(self) -> str:
        return _MARKS[self.action]

    @property
    def changes(self) -> list[Change]:
        """Field by field, what this op changes (empty for a skip, or an update whose old job
        is unknown or unchanged: a hand edit, duplicates)."""
        if self.action == "skip" or (self.action == "update" and self.recorded is None):
            return []
        return job_changes(self.recorded, self.desired)

    def as_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "app": self.app,
            "job": self.job,
            "reason": self.reason,
            "old_hashes": list(self.old_hashes),
            "new_hashes": list(self.new_hashes),
            "changes": [c.as_json() for c in self.changes],
            "entries": [e.as_json() for e in self.entries],
            "spec_only": self.spec_only,
        }


@dataclass(frozen=True, slots=True)
class Plan:
    backend: str
    app: str
    ops: tuple[Op, ...]
    warnings: tuple[str, ...] = field(default=())
    #: Native entries that run ``cronix trigger`` for one of these jobs outside its entry.
    strays: tuple[UnownedTrigger, ...] = field(default=())

    @property
    def noop(self) -> bool:
        return all(op.action == "skip" for op in self.ops)

    def count(self, action: Action) -> int:
        return sum(1 for op in self.ops if op.action == action)

    def changes(self) -> list[Op]:
        return [op for op in self.ops if op.action != "skip"]

    def as_json(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "app": self.app,
            "noop": self.noop,
            "summary": {a: self.count(a) for a in ("create", "update", "delete", "skip")},
            "ops": [op.as_json() for op in self.ops],
            "warnings": list(self.warnings),
            "strays": [s.as_json() for s in self.strays],
        }


def job_diagnostics(backend: Backend, app: str, jobs: Sequence[Job]) -> list[list[Diagnostic]]:
    """``backend.validate`` of every job, in one call where the backend can (``SupportsValidateMany``)."""
    if isinstance(backend, SupportsValidateMany):
        return backend.validate_many(app, jobs)
    return [backend.validate(app, job) for job in jobs]


def validate_jobs(backend: Backend, manifest: Manifest) -> list[str]:
    """Run ``backend.validate`` on every job; raise :class:`BackendInvalid` on any error.

    The warnings are the manifest's own (:mod:`cronix.protocol.advice`) and the backend's.

    A warning several jobs share (the same backend caveat about the same zone on every
    job, say) is said once, naming each job: ``billing.a, billing.b timezone: …``.
    """
    errors: list[tuple[str, Diagnostic]] = []
    advice: list[str] = []
    warned: dict[str, list[str]] = {}
    found = job_diagnostics(backend, manifest.app, manifest.jobs)
    for job, diagnostics in zip(manifest.jobs, found, strict=True):
        where = f"{manifest.app}.{job.name}"
        advice.extend(describe(manifest.app, job.name, w) for w in job_warnings(job))
        for diag in diagnostics:
            if diag.severity == "error":
                errors.append((where, diag))
            else:
                warned.setdefault(diag.render(), []).append(where)
    if errors:
        raise BackendInvalid(backend.name, errors)
    return [*advice, *(f"{', '.join(dict.fromkeys(jobs))} {text}" for text, jobs in warned.items())]


@dataclass(frozen=True, slots=True)
class SpecFiles:
    """The trigger spec files a plan compares: where they are and the refs they record."""

    spec_dir: str
    secret_refs: tuple[str, ...] | None


def compute_plan(
    backend: Backend,
    manifest: Manifest,
    *,
    entries: Iterable[ManagedEntry] | None = None,
    validate: bool = True,
    spec_files: SpecFiles | None = None,
    unowned: Sequence[UnownedTrigger] = (),
    fire: FireSettings | None = None,
) -> Plan:
    """Validate every job on ``backend`` and plan the changes that make it match ``manifest``.

    ``unowned`` is what the backend's ``unowned_triggers()`` found, for every app. With
    ``fire`` (the settings apply will build each job's ``FireSpec`` from), a backend that
    carries the spec in its entries (``SupportsFireCheck``) gets an update for a job whose
    entries carry another one — a changed secret ref or fire strategy.
    """
    warnings = validate_jobs(backend, manifest) if validate else []
    installed: dict[str, list[ManagedEntry]] = {}
    for entry in backend.list_entries() if entries is None else entries:
        if entry.app == manifest.app:
            installed.setdefault(entry.job, []).append(entry)
    content_check = backend if isinstance(backend, SupportsContentCheck) else None
    fire_check = backend if fire is not None and isinstance(backend, SupportsFireCheck) else None
    omits = isinstance(backend, PausesByOmission)
    ops: list[Op] = []
    for job in manifest.jobs:
        want = ownership_hashes(job)
        have = installed.pop(job.name, [])
        if omits and not job.enabled:  # D-721: a paused job has no entries on this backend
            reason = "paused (enabled: false): this backend keeps no entry for a paused job"
            action: Action = "delete" if have else "skip"
            ops.append(Op(action, manifest.app, job.name, reason, job, _hashes(have), (), tuple(have)))
            continue
        op = _job_op(manifest.app, job, want, have, content_check)
        if op.action == "skip" and fire_check is not None and fire is not None:
            spec = fire.spec(manifest.app, job)
            if not all(fire_check.fire_matches(manifest.app, job, e, spec) for e in have):
                op = replace(
                    op, action="update", reason="trigger spec changed (secret refs or fire strategy)"
                )
        if op.action == "skip" and spec_files is not None:
            problem = spec_state(spec_files.spec_dir, manifest.app, job, spec_files.secret_refs)
            if problem:
                op = replace(op, action="update", reason=problem, spec_only=True)
        ops.append(op)
    deletes = [
        Op("delete", manifest.app, name, "not in the manifest", None, _hashes(have), (), tuple(have))
        for name, have in installed.items()
    ]
    if spec_files is not None:
        keep = {j.name for j in manifest.jobs} | set(installed)
        deletes += [
            Op("delete", manifest.app, name, "trigger spec file left over (no entry runs it)", spec_only=True)
            for name in left_over_jobs(spec_files.spec_dir, manifest.app, keep)
        ]
    ops += sorted(deletes, key=lambda op: op.job)
    managed = {op.job for op in ops if not op.spec_only or op.action != "delete"}
    strays = tuple(u for u in unowned if u.app == manifest.app and u.job in managed)
    warnings += [u.render() for u in strays]
    return Plan(backend.name, manifest.app, tuple(ops), tuple(warnings), strays)


def with_recorded(plan: Plan, recorded: Mapping[tuple[str, str], Job]) -> Plan:
    """``plan`` with each update and delete knowing the job as last applied (``Op.recorded``).

    ``recorded`` is :func:`~cronix.reconcile.known_jobs`; a recorded job is used only when
    it is what the installed entries were made from (the same ownership hashes), so a stale
    spec file never invents a change. It lets an op say what it changes, field by field;
    it never changes what is planned.
    """
    ops = [
        replace(op, recorded=_trusted(recorded.get((op.app, op.job)), op.old_hashes))
        if op.action in ("update", "delete")
        else op
        for op in plan.ops
    ]
    return replace(plan, ops=tuple(ops))


def _trusted(job: Job | None, installed: tuple[str, ...]) -> Job | None:
    return job if job is not None and installed and ownership_hashes(job) == installed else None


def _hashes(entries: Sequence[ManagedEntry]) -> tuple[str, ...]:
    """Installed hashes by index (``""`` for a missing index), as the reference groups them."""
    size = max((e.index for e in entries), default=-1) + 1
    out = [""] * size
    for e in entries:
        out[e.index] = e.hash
    return tuple(out)


def pause_drift(job: Job, entries: Iterable[ManagedEntry]) -> str:
    """Why ``entries`` are not paused the way ``job`` declares (D-721), or ``""``.

    Only entries whose backend can tell (``paused`` is not ``None``) count: a suspend an
    operator made on the scheduler that the manifest does not declare is drift, and so is
    a declared pause the scheduler does not hold.
    """
    for e in entries:
        if e.paused is not None and e.paused == job.enabled:
            if e.paused:
                return f"paused on the backend (schedule {e.index}) but not in the manifest (enabled: true)"
            return f"declared paused (enabled: false) but schedule {e.index} is not paused on the backend"
    return ""


def _job_op(
    app: str, job: Job, want: tuple[str, ...], have: list[ManagedEntry], check: SupportsContentCheck | None
) -> Op:
    if not have:
        return Op("create", app, job.name, "new job", job, (), want)
    old = _hashes(have)
    entries = tuple(have)
    if any(e.hash == DRIFT_SENTINEL for e in have):
        return Op("update", app, job.name, "edited by hand", job, old, want, entries)
    if old != want:
        return Op("update", app, job.name, "changed in the manifest", job, old, want, entries)
    if len(have) != len(want):
        return Op("update", app, job.name, "duplicate entries", job, old, want, entries)
    pause = pause_drift(job, have)
    if pause:
        return Op("update", app, job.name, pause, job, old, want, entries)
    if check is not None and not all(check.entry_matches(app, job, e) for e in have):
        return Op("update", app, job.name, "edited by hand", job, old, want, entries)
    return Op("skip", app, job.name, "in sync", job, old, want, entries)
