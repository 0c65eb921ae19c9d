"""One reconcile run, end to end: check → validate → lock → plan → spec files → apply → cleanup.

This is the library function ``cronix plan`` / ``apply`` / ``drift`` call. First what the
fires need (secret refs, :mod:`cronix.reconcile.firecheck`) and the backend's
prerequisites, then every job is validated. The apply-wide lock
(:mod:`cronix.reconcile.applylock`) is held from the moment the backend is listed until
the last spec file is removed, on backends whose state is local (``local_state``:
crontab, systemd-timer, vercel); remote schedulers have their own concurrency control.
Trigger spec files are compared and written for backends whose entries fire
``cronix trigger`` on this host (``fires_on_host``) — before the entries that read them,
and removed only after the entries are gone (D-156); the others receive the spec inside
each entry's :class:`~cronix.backends.base.FireSpec`. The fire strategy of every job is
chosen first (:mod:`cronix.reconcile.strategies`), so a strategy that cannot be used fails
``plan`` as well as ``apply`` (exit 2) before anything is listed, and a degradation is a
warning of every run.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from cronix.backends.base import LOCAL_SHIM, SupportsUnownedTriggers
from cronix.errors import ApplyError, BackendError, UsageError
from cronix.reconcile.applying import ApplyFailed, ApplyResult, Progress, apply_plan
from cronix.reconcile.applylock import LockSettings, hold_apply_lock
from cronix.reconcile.auditing import known_jobs
from cronix.reconcile.firecheck import check_fire_settings
from cronix.reconcile.firing import FireSettings
from cronix.reconcile.planning import Plan, SpecFiles, compute_plan, validate_jobs, with_recorded
from cronix.reconcile.specfiles import SpecSync, SpecWrite, remove_spec_files, spec_dir_problem
from cronix.reconcile.strategies import FireSelection, StrategyChoice, choose_strategies
from cronix.secrets import check_secret_refs

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cronix.backends.base import Backend
    from cronix.protocol.manifest import Manifest
    from cronix.reconcile.rules_file import RulesOutcome

__all__ = ["LockSettings", "Outcome", "Target", "check_backend", "reconcile", "reconcile_all"]


@dataclass(slots=True)
class Outcome:
    plan: Plan
    result: ApplyResult | None = None
    specs: SpecSync | None = None
    warnings: list[str] = field(default_factory=list)
    fire: StrategyChoice | None = None
    #: This app's part of the Prometheus rules file, when one is configured (D-702).
    monitor: RulesOutcome | None = None

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"plan": self.plan.as_json(), "warnings": self.warnings}
        if self.fire is not None:
            doc["fire"] = self.fire.as_json()
        if self.monitor is not None:
            doc["monitor"] = self.monitor.as_json()
        if self.result is not None:
            doc["result"] = self.result.as_json()
        if self.specs is not None:
            doc["spec_files"] = {
                "written": self.specs.written,
                "unchanged": self.specs.unchanged,
                "removed": self.specs.removed,
            }
        return doc


def check_backend(backend: Backend) -> list[str]:
    """The backend's prerequisites: raise on an error (exit 3), return the warnings."""
    problems = backend.check()
    errors = [d.render() for d in problems if d.severity == "error"]
    if errors:
        raise BackendError(f"backend {backend.name} is not usable: " + "; ".join(errors))
    return [d.render() for d in problems if d.severity != "error"]


@dataclass(frozen=True, slots=True)
class Target:
    """One manifest to reconcile, the secret refs its trigger spec files record, and the fire
    strategy the operator asked for its jobs (none: the default, D-508)."""

    manifest: Manifest
    secret_refs: tuple[str, ...] | None = None
    selection: FireSelection | None = None


def reconcile(
    manifest: Manifest,
    backend: Backend,
    *,
    dry_run: bool = False,
    spec_dir: str | None = None,
    secret_refs: Sequence[str] | None = None,
    lock: LockSettings | None = None,
    progress: Progress | None = None,
    selection: FireSelection | None = None,
) -> Outcome:
    """Plan (and unless ``dry_run``, apply) ``manifest`` on ``backend``."""
    refs = None if secret_refs is None else tuple(secret_refs)
    (outcome,) = reconcile_all(
        [Target(manifest, refs, selection)],
        backend,
        dry_run=dry_run,
        spec_dir=spec_dir,
        lock=lock,
        progress=progress,
    )
    return outcome


def reconcile_all(
    targets: Sequence[Target],
    backend: Backend,
    *,
    dry_run: bool = False,
    spec_dir: str | None = None,
    lock: LockSettings | None = None,
    progress: Progress | None = None,
    confirm: Callable[[Sequence[Plan]], bool] | None = None,
) -> list[Outcome]:
    """Plan (and unless ``dry_run``, apply) several manifests on one backend.

    Every manifest is validated on the backend before anything is listed or changed, so a
    bad second manifest stops the first from being applied; then all of them are planned
    against one listing and applied under one apply lock. ``confirm`` sees every plan
    before anything is applied (under the lock, so what it approves is what is applied);
    when it returns false nothing is changed (:class:`~cronix.errors.UsageError`).
    """
    host_specs = backend.fires_on_host and bool(spec_dir)
    writes_specs = not dry_run and host_specs
    apps = [t.manifest.app for t in targets]
    twice = sorted({a for a in apps if apps.count(a) > 1})
    if twice:
        raise UsageError(f'app "{twice[0]}" is declared by more than one manifest source; keep one')
    for t in targets:
        check_secret_refs(t.secret_refs or ())
    choices = [
        choose_strategies(
            (t.selection or FireSelection()).for_backend(backend), [j.name for j in t.manifest.jobs]
        )
        for t in targets
    ]
    fires = [
        (t.manifest.app, t.secret_refs, any(c.for_job(j.name) == LOCAL_SHIM for j in t.manifest.jobs))
        for t, c in zip(targets, choices, strict=True)
    ]
    warnings = [*check_backend(backend), *check_fire_settings(fires, backend, writes_specs=writes_specs)]
    validated = [validate_jobs(backend, t.manifest) for t in targets]
    outcomes: list[Outcome] = []
    with hold_apply_lock(None if dry_run else lock, local_state=backend.local_state):
        entries = backend.list_entries()
        unowned = backend.unowned_triggers() if isinstance(backend, SupportsUnownedTriggers) else []
        planned: list[tuple[FireSettings, SpecFiles | None]] = []
        for target, job_warnings, choice in zip(targets, validated, choices, strict=True):
            specs = SpecFiles(spec_dir, target.secret_refs) if host_specs and spec_dir else None
            fire = FireSettings(target.secret_refs, choice.strategy, dict(choice.jobs))
            planned.append((fire, specs))
            plan = compute_plan(
                backend,
                target.manifest,
                entries=entries,
                validate=False,
                spec_files=specs,
                unowned=unowned,
                fire=fire,
            )
            # A degradation is loud on every run, in the plan's JSON too.
            plan = replace(plan, warnings=(*choice.degraded, *job_warnings, *plan.warnings))
            outcomes.append(Outcome(plan, warnings=[*warnings, *plan.warnings], fire=choice))
            warnings = []  # the backend's own warnings are said once
        if any(op.action in ("update", "delete") for o in outcomes for op in o.plan.ops):
            recorded = known_jobs(backend, spec_dir or "")  # what the changes change (read only then)
            for outcome in outcomes:
                outcome.plan = with_recorded(outcome.plan, recorded)
        if dry_run:
            return outcomes
        if confirm is not None and not confirm([o.plan for o in outcomes]):
            raise UsageError("apply: aborted, nothing was changed")
        for outcome, (fire, specs) in zip(outcomes, planned, strict=True):
            plan = outcome.plan
            if specs is None or not plan.changes():
                outcome.result = apply_plan(plan, backend, fire=fire, progress=progress)
            else:
                outcome.result, outcome.specs = _apply_with_specs(plan, backend, fire, specs, progress)
    return outcomes


def _apply_with_specs(
    plan: Plan, backend: Backend, fire: FireSettings, specs: SpecFiles, progress: Progress | None
) -> tuple[ApplyResult, SpecSync]:
    """Apply ``plan`` so that no entry ever exists without its trigger spec file (D-156).

    Everything that can fail is tried before the scheduler is written: the spec directory
    must be writable, and the spec files of every created or updated job are written first
    (an entry that reads a file fires with it, so it must be there before the entry is).
    The files of deleted jobs are removed only after their entries are gone. When the
    backend write fails, the spec files of the jobs it did not change are put back.
    """
    problem = spec_dir_problem(specs.spec_dir)
    if problem:
        raise ApplyError(f"cannot write the trigger spec files: {problem}; nothing was changed")
    writer = SpecWrite(specs.spec_dir)
    desired = [op.desired for op in plan.ops if op.desired is not None and op.action in ("create", "update")]
    writer.write(plan.app, desired, specs.secret_refs)
    try:
        result = apply_plan(plan, backend, fire=fire, progress=progress)
    except ApplyFailed as exc:
        done = {*exc.result.created, *exc.result.updated}
        writer.rollback(keep=done)
        raise
    except BaseException:
        writer.rollback()
        raise
    removed = [op.job for op in plan.ops if op.action == "delete"]
    return result, remove_spec_files(specs.spec_dir, plan.app, removed, writer.sync)
