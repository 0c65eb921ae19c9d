"""``cronix list``: every entry the backend owns, for every app."""

from __future__ import annotations

from typing import Any

from cronix.cli.reconcile_flags import backend_flags, reconciler_command
from cronix.cli.render import emit_json, emit_table, output_option


@reconciler_command("list")
@backend_flags
@output_option()
def command(output: str, **opts: Any) -> None:
    """List the entries cronix owns on the backend (APP, JOB, IDX, HASH)."""
    from cronix.cli.reconcile_flags import workspace
    from cronix.cli.reconcile_render import short
    from cronix.operations import list_owned

    owned = list_owned(workspace(opts))
    if output == "json":
        emit_json({"backend": owned.backend, "entries": [e.as_json() for e in owned.entries]})
        return
    emit_table(
        ["APP", "JOB", "IDX", "HASH"], [[e.app, e.job, e.index, short([e.hash])] for e in owned.entries]
    )
