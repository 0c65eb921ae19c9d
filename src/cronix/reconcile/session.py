"""One reconcile run, end to end: check → lock → validate → plan → apply → spec files.

This is the library function ``cronix plan`` / ``apply`` / ``drift`` call. The apply-wide
lock (:mod:`cronix.reconcile.applylock`) is held from the moment the backend is listed
until the spec files are written, on backends whose state is local (``local_state``:
crontab, systemd-timer, vercel); remote schedulers have their own concurrency control.
Trigger spec files are written for backends whose entries fire ``cronix trigger`` on this
host (``fires_on_host``); the others receive the spec inside each entry's
:class:`~cronix.backends.base.FireSpec`. The fire strategy of every job is chosen first
(:mod:`cronix.reconcile.strategies`), so a strategy that cannot be used fails ``plan`` as
well as ``apply`` (exit 2) before anything is listed, and a degradation is a warning of
every run.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from cronix.errors import BackendError, UsageError
from cronix.reconcile.applying import ApplyResult, Progress, apply_plan
from cronix.reconcile.applylock import LockSettings, hold_apply_lock
from cronix.reconcile.auditing import known_jobs
from cronix.reconcile.firing import FireSettings
from cronix.reconcile.planning import Plan, compute_plan, validate_jobs, with_recorded
from cronix.reconcile.specfiles import SpecSync, sync_spec_files
from cronix.reconcile.strategies import FireSelection, StrategyChoice, choose_strategies
from cronix.secrets import check_secret_refs, is_literal_ref

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cronix.backends.base import Backend
    from cronix.protocol.manifest import Manifest

__all__ = ["LockSettings", "Outcome", "Target", "check_backend", "reconcile", "reconcile_all"]


@dataclass(slots=True)
class Outcome:
    plan: Plan
    result: ApplyResult | None = None
    specs: SpecSync | None = None
    warnings: list[str] = field(default_factory=list)
    fire: StrategyChoice | None = None

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"plan": self.plan.as_json(), "warnings": self.warnings}
        if self.fire is not None:
            doc["fire"] = self.fire.as_json()
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
    writes_specs = not dry_run and backend.fires_on_host and bool(spec_dir)
    apps = [t.manifest.app for t in targets]
    twice = sorted({a for a in apps if apps.count(a) > 1})
    if twice:
        raise UsageError(f'app "{twice[0]}" is declared by more than one manifest source; keep one')
    for t in targets:
        check_secret_refs(t.secret_refs or ())
    # A raw: ref (in any case) is the secret itself: never into a spec file. Backends that
    # carry the spec in their entries refuse it themselves where they would store it
    # (aws-scheduler, the plugin proxy); kubernetes does not store the operator's refs (D-133).
    if writes_specs and any(is_literal_ref(ref) for t in targets for ref in t.secret_refs or ()):
        raise UsageError(
            "a raw: secret ref would be written into the trigger spec files (it is the secret itself); "
            "use file:/path (or env:NAME where fires see it) for apply"
        )
    choices = [
        choose_strategies(
            (t.selection or FireSelection()).for_backend(backend), [j.name for j in t.manifest.jobs]
        )
        for t in targets
    ]
    warnings = check_backend(backend)
    validated = [validate_jobs(backend, t.manifest) for t in targets]
    outcomes: list[Outcome] = []
    with hold_apply_lock(None if dry_run else lock, local_state=backend.local_state):
        entries = backend.list_entries()
        fires: list[FireSettings] = []
        for target, job_warnings, choice in zip(targets, validated, choices, strict=True):
            fire = FireSettings(target.secret_refs, choice.strategy, dict(choice.jobs))
            fires.append(fire)
            plan = compute_plan(backend, target.manifest, entries=entries, validate=False, fire=fire)
            # A degradation is loud on every run, in the plan's JSON too.
            plan = replace(plan, warnings=(*choice.degraded, *job_warnings))
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
        for target, outcome, fire in zip(targets, outcomes, fires, strict=True):
            manifest, plan = target.manifest, outcome.plan
            outcome.result = apply_plan(plan, backend, fire=fire, progress=progress)
            if writes_specs:
                assert spec_dir is not None
                removed = [op.job for op in plan.ops if op.action == "delete"]
                outcome.specs = sync_spec_files(
                    spec_dir, manifest.app, manifest.jobs, removed, target.secret_refs
                )
    return outcomes
