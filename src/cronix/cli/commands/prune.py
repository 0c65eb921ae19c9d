"""``cronix prune``: remove cronix-owned entries (all of them, or one app's)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from cronix.cli.reconcile_flags import backend_flags, lock_flags, reconciler_command
from cronix.cli.render import confirm, echo, emit_json, output_option

if TYPE_CHECKING:
    from cronix.operations import PrunePlan


@reconciler_command("prune")
@backend_flags
@lock_flags
@click.option("--app", "only_app", metavar="APP", help="Only this app's entries.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@output_option()
def command(output: str, only_app: str | None, yes: bool, **opts: Any) -> None:
    """Delete every entry cronix owns on the backend (or only --app's) and their spec files.

    Asks for confirmation unless --yes is given; without a terminal to ask on, it refuses.
    Every entry is confirmed as cronix's before anything is deleted; foreign entries are
    never touched.
    """
    from cronix.cli.reconcile_flags import workspace
    from cronix.operations import prune

    plan = prune(workspace(opts), only_app=only_app, confirm=None if yes else _ask)
    if output == "json":
        emit_json(
            {
                "backend": plan.backend,
                "pruned": len(plan.entries),
                "jobs": [{"app": a, "job": j} for a, j in plan.jobs],
            }
        )
        return
    if not plan.jobs:
        echo(f"Prune: backend={plan.backend} nothing to remove")
        return
    echo(f"Prune: backend={plan.backend} removed {len(plan.entries)} entries across {len(plan.jobs)} jobs")
    for app, job in plan.jobs:
        echo(f"  - {app}.{job}")


def _ask(plan: PrunePlan) -> bool:
    from cronix.errors import UsageError

    if not sys.stdin.isatty():
        raise UsageError("prune needs confirmation: run it on a terminal or pass --yes")
    from cronix.cli.reconcile_render import entry_lines

    for app, job in plan.jobs:
        echo(f"  - {app}.{job}", err=True, fg="red")
        for line in entry_lines([e for e in plan.entries if (e.app, e.job) == (app, job)]):
            echo(f"      {line}", err=True)
    return confirm(
        f"This will delete {len(plan.entries)} cronix-owned entries ({len(plan.jobs)} jobs) from backend "
        f'"{plan.backend}". Continue?'
    )
