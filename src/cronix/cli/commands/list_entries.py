"""``cronix list``: every entry the backend owns, for every app."""

from __future__ import annotations

from typing import Any

import click

from cronix.cli.app import command_help
from cronix.cli.reconcile_flags import backend_flags
from cronix.cli.render import emit_json, emit_table, output_option


@click.command("list", short_help=command_help("list"))
@backend_flags
@output_option()
def command(output: str, **opts: Any) -> None:
    """List the entries cronix owns on the backend (APP, JOB, IDX, HASH)."""
    from cronix.cli.reconcile_flags import Session
    from cronix.cli.reconcile_render import short

    session = Session(opts)
    backend = session.open_backend()
    try:
        entries = backend.list_entries()
    finally:
        backend.close()
    if output == "json":
        emit_json({"backend": backend.name, "entries": [e.as_json() for e in entries]})
        return
    emit_table(["APP", "JOB", "IDX", "HASH"], [[e.app, e.job, e.index, short([e.hash])] for e in entries])
