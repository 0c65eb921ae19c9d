"""``plan``, ``drift`` and ``apply`` over every manifest of a workspace, on one backend (and the rules file).

Every manifest source is fetched and validated before the backend is opened, and every
job is validated on the backend before anything changes (``reconcile_all``), so a bad
second manifest never leaves the first one applied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cronix.operations.monitoring import reconcile_monitors
from cronix.reconcile import Target, reconcile_all

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cronix.operations.workspace import Workspace
    from cronix.reconcile import Outcome, Plan
    from cronix.reconcile.applying import Progress

__all__ = ["apply_all", "drifted_jobs", "plan_all"]


def plan_all(ws: Workspace) -> list[Outcome]:
    """What ``apply`` would change for every manifest, changing nothing (the rules file too)."""
    targets = [Target(m.manifest, m.secret_refs, ws.fire_selection(m.manifest.app)) for m in ws.manifests()]
    with ws.open_backend(read_only=True) as backend:
        outcomes = reconcile_all(targets, backend, dry_run=True, spec_dir=ws.spec_dir)
    reconcile_monitors(ws, targets, outcomes, dry_run=True)
    return outcomes


def apply_all(
    ws: Workspace,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    confirm: Callable[[Sequence[Plan]], bool] | None = None,
) -> list[Outcome]:
    """Validate every manifest, then plan and apply them under one backend and one apply lock;
    then the monitor targets (the Prometheus rules file, :mod:`cronix.operations.monitoring`).

    ``confirm`` sees the plans before anything changes and may refuse (see ``reconcile_all``).
    """
    targets = [Target(m.manifest, m.secret_refs, ws.fire_selection(m.manifest.app)) for m in ws.manifests()]
    with ws.open_backend(read_only=dry_run) as backend:
        outcomes = reconcile_all(
            targets,
            backend,
            dry_run=dry_run,
            spec_dir=ws.spec_dir,
            lock=ws.lock(),
            progress=progress,
            confirm=confirm,
        )
    reconcile_monitors(ws, targets, outcomes, dry_run=dry_run)
    return outcomes


def drifted_jobs(outcomes: list[Outcome]) -> list[str]:
    """``<app>.<job>`` of every job whose plan is not a skip, or that something else also fires."""
    jobs = [f"{op.app}.{op.job}" for o in outcomes for op in o.plan.changes()]
    jobs += [f"{s.app}.{s.job}" for o in outcomes for s in o.plan.strays]
    jobs += [
        f"{c.app}.{j}" for o in outcomes if o.monitor is not None for c in o.monitor.changes for j in c.jobs
    ]
    return list(dict.fromkeys(jobs))
