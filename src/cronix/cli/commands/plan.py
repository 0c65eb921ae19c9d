"""``cronix plan`` (alias ``diff``): what ``apply`` would change, without changing anything."""

from __future__ import annotations

from typing import Any

import click

from cronix.cli.reconcile_flags import backend_flags, fire_flags, manifest_flags, reconciler_command
from cronix.cli.render import output_option


@reconciler_command("plan")
@manifest_flags
@backend_flags
@click.option(
    "--spec-dir",
    metavar="DIR",
    help="Spec files apply wrote: what each job was, compared too [/etc/cronix/jobs].",
)
@fire_flags
@output_option()
def command(output: str, **opts: Any) -> None:
    """Validate every job on the backend and show the plan: + create, ~ update, - delete, · skip.

    Exit status: 0 (whatever the plan), 1 invalid manifest or a job the backend cannot
    express, 2 usage or config error, 3 backend unreachable, 4 manifest fetch refused.
    """
    from cronix.cli.reconcile_flags import workspace
    from cronix.cli.reconcile_render import show_plans
    from cronix.operations import plan_all

    show_plans(plan_all(workspace(opts)), output)
