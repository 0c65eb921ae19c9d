"""``cronix prune``: remove cronix-owned entries (all of them, or one app's)."""

from __future__ import annotations

import sys
from typing import Any

import click

from cronix.cli.app import command_help
from cronix.cli.reconcile_flags import backend_flags, lock_flags
from cronix.cli.render import emit_json, output_option


@click.command("prune", short_help=command_help("prune"))
@backend_flags
@lock_flags
@click.option("--app", "only_app", metavar="APP", help="Only this app's entries.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@output_option()
def command(output: str, only_app: str | None, yes: bool, **opts: Any) -> None:
    """Delete every entry cronix owns on the backend (or only --app's) and their spec files.

    Asks for confirmation unless --yes is given; without a terminal to ask on, it refuses.
    Foreign entries are never touched.
    """
    import contextlib

    from cronix.backends.base import SupportsTransaction
    from cronix.cli.reconcile_flags import Session, warn
    from cronix.errors import UsageError
    from cronix.reconcile import hold_apply_lock, sync_spec_files

    session = Session(opts)
    backend = session.open_backend()
    try:
        with hold_apply_lock(session.lock(on_wait=warn), local_state=backend.local_state):
            entries = [e for e in backend.list_entries() if only_app is None or e.app == only_app]
            jobs = list(dict.fromkeys((e.app, e.job) for e in entries))
            if jobs and not yes:
                if not sys.stdin.isatty():
                    raise UsageError("prune needs confirmation: run it on a terminal or pass --yes")
                if not click.confirm(
                    f"This will delete {len(entries)} cronix-owned entries ({len(jobs)} jobs) from backend "
                    f'"{backend.name}". Continue?',
                    default=False,
                    err=True,
                ):
                    raise UsageError("prune: aborted, nothing was deleted")
            if jobs:
                with (
                    backend.transaction()
                    if isinstance(backend, SupportsTransaction)
                    else contextlib.nullcontext()
                ):
                    for app, job in jobs:
                        backend.delete(app, job)
                if backend.fires_on_host:
                    for app in dict.fromkeys(a for a, _ in jobs):
                        sync_spec_files(session.spec_dir, app, [], [j for a, j in jobs if a == app], None)
    finally:
        backend.close()
    if output == "json":
        emit_json(
            {"backend": backend.name, "pruned": len(entries), "jobs": [{"app": a, "job": j} for a, j in jobs]}
        )
        return
    if not jobs:
        click.echo(f"Prune: backend={backend.name} nothing to remove")
        return
    click.echo(f"Prune: backend={backend.name} removed {len(entries)} entries across {len(jobs)} jobs")
    for app, job in jobs:
        click.echo(f"  - {app}.{job}")
