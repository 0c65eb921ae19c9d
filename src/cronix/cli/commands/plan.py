"""``cronix plan`` (alias ``diff``): what ``apply`` would change, without changing anything."""

from __future__ import annotations

from typing import Any

import click

from cronix.cli.app import command_help
from cronix.cli.reconcile_flags import backend_flags, manifest_flags
from cronix.cli.render import output_option


@click.command("plan", short_help=command_help("plan"))
@manifest_flags
@backend_flags
@output_option()
def command(output: str, **opts: Any) -> None:
    """Validate every job on the backend and show the plan: + create, ~ update, - delete, · skip.

    Exit status: 0 (whatever the plan), 1 invalid manifest or a job the backend cannot
    express, 2 usage or config error, 3 backend unreachable, 4 manifest fetch refused.
    """
    from cronix.cli.reconcile_flags import Session
    from cronix.cli.reconcile_render import show_plans

    show_plans(Session(opts).dry_runs(), output)
