"""The monitor targets of ``plan`` / ``apply``: the Prometheus rules file beside the backend.

After the backend is planned (or applied), the groups of the applied apps in
``monitor.prometheus_rules.path`` are planned (or written) from the same manifests
(:mod:`cronix.reconcile.rules_file`). Only jobs that fire through ``cronix trigger``
(the ``local-shim`` strategy) get rules: the metrics the rules read come from the trigger,
so a job a managed scheduler or Vercel fires would be "missed" forever. The write holds the
apply lock — the file is local state — and comes after the backend: a failed backend apply
leaves the rules as they were, and a rules file that cannot be written fails the apply
(exit 1) with the backend already applied, which the message says.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cronix.backends.base import LOCAL_SHIM
from cronix.errors import ApplyError
from cronix.reconcile.applylock import hold_apply_lock
from cronix.reconcile.rules_file import apply_rules, plan_rules

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cronix.operations.workspace import Workspace
    from cronix.protocol.manifest import Job
    from cronix.reconcile import Outcome, Target

__all__ = ["reconcile_monitors"]


def reconcile_monitors(
    ws: Workspace, targets: Sequence[Target], outcomes: Sequence[Outcome], *, dry_run: bool
) -> None:
    """Plan (and unless ``dry_run``, write) the rules file; each outcome gets its app's part."""
    config = ws.config.monitor
    rules = config.prometheus_rules
    if rules is None or not outcomes:
        return
    apps: dict[str, list[Job]] = {}
    paused: dict[tuple[str, str], bool] = {}
    for target, outcome in zip(targets, outcomes, strict=True):
        app = target.manifest.app
        fired = [
            j
            for j in target.manifest.jobs
            if outcome.fire is None or outcome.fire.for_job(j.name) == LOCAL_SHIM
        ]
        apps[app] = fired
        # A job paused in the manifest (an ``enabled: false`` extension) expects no occurrence.
        paused.update({(app, j.name): getattr(j, "enabled", True) is False for j in fired})
    with hold_apply_lock(None if dry_run else ws.lock(), local_state=True):
        plan = plan_rules(
            rules,
            apps,
            default_start_grace=config.start_grace_seconds,
            default_run_grace=config.run_grace_seconds,
            now=datetime.now(UTC),
            paused=paused,
        )
        warnings: list[str] = []
        if not dry_run:
            try:
                warnings = apply_rules(plan, rules)
            except ApplyError as exc:
                raise ApplyError(f"{exc} (the backend was applied)") from None
    for target, outcome in zip(targets, outcomes, strict=True):
        part = plan.for_app(target.manifest.app)
        part.written = not dry_run and plan.text is not None
        part.warnings += warnings
        outcome.monitor = part
        outcome.warnings += part.warnings
