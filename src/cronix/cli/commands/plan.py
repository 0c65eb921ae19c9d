"""``cronix plan`` (alias ``diff``): what ``apply`` would change, without changing anything."""

from __future__ import annotations

from typing import Any

import click

from cronix.cli.app import command_help
from cronix.cli.reconcile_flags import backend_flags, manifest_flags
from cronix.cli.render import emit_json, output_option


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
    from cronix.cli.reconcile_render import print_plan
    from cronix.reconcile import reconcile

    session = Session(opts)
    plans = []
    for loaded in session.manifests():
        backend = session.open_backend()
        try:
            plans.append(reconcile(loaded.manifest, backend, dry_run=True))
        finally:
            backend.close()
    if output == "json":
        docs = [o.plan.as_json() for o in plans]
        emit_json(docs[0] if len(docs) == 1 else docs)
        return
    for outcome in plans:
        for w in outcome.warnings:
            click.echo(f"cronix: warning: {w}", err=True)
        print_plan(outcome.plan)
