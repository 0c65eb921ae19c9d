"""One reconcile run, end to end: check → lock → validate → plan → apply → spec files.

This is the library function ``cronix plan`` / ``apply`` / ``drift`` call. The apply-wide
lock (:mod:`cronix.reconcile.applylock`) is held from the moment the backend is listed
until the spec files are written, on backends whose state is local (``local_state``:
crontab, systemd-timer, vercel); remote schedulers have their own concurrency control.
Trigger spec files are written for backends whose entries fire ``cronix trigger`` on this
host (``fires_on_host``); the others receive the spec inside each entry's
:class:`~cronix.backends.base.FireSpec`. The fire strategy of every job is chosen first
(:mod:`cronix.reconcile.strategies`), so a strategy that cannot be used fails ``plan`` as
well as ``apply`` (exit 2), and a degradation is a warning of every run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cronix.errors import BackendError, UsageError
from cronix.reconcile.applying import ApplyResult, FireSettings, Progress, apply_plan
from cronix.reconcile.applylock import LockSettings, hold_apply_lock
from cronix.reconcile.planning import Plan, compute_plan
from cronix.reconcile.specfiles import SpecSync, sync_spec_files
from cronix.reconcile.strategies import FireSelection, StrategyChoice, choose_strategies

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cronix.backends.base import Backend
    from cronix.protocol.manifest import Manifest

__all__ = ["LockSettings", "Outcome", "check_backend", "reconcile"]


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
    """Plan (and unless ``dry_run``, apply) ``manifest`` on ``backend``.

    ``selection`` is the fire strategy the operator asked for (none: the default).
    """
    writes_specs = not dry_run and backend.fires_on_host and bool(spec_dir)
    if writes_specs and any(ref.startswith("raw:") for ref in secret_refs or ()):
        raise UsageError(
            "a raw: secret ref would be written into the trigger spec files (it is the secret itself); "
            "use env:NAME or file:/path for apply"
        )
    choice = choose_strategies(
        (selection or FireSelection()).for_backend(backend), [j.name for j in manifest.jobs]
    )
    warnings = check_backend(backend)
    fire = FireSettings(
        None if secret_refs is None else tuple(secret_refs), choice.strategy, dict(choice.jobs)
    )
    with hold_apply_lock(None if dry_run else lock, local_state=backend.local_state):
        plan = compute_plan(backend, manifest)
        if choice.degraded:  # loud on every run, in the plan's JSON too
            plan = dataclasses.replace(plan, warnings=(*choice.degraded, *plan.warnings))
        outcome = Outcome(plan, warnings=[*warnings, *plan.warnings], fire=choice)
        if dry_run:
            return outcome
        outcome.result = apply_plan(plan, backend, fire=fire, progress=progress)
        if writes_specs:
            assert spec_dir is not None
            removed = [op.job for op in plan.ops if op.action == "delete"]
            outcome.specs = sync_spec_files(spec_dir, manifest.app, manifest.jobs, removed, secret_refs)
    return outcome
