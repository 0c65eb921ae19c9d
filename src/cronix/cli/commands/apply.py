"""``cronix apply``: make the backend match the manifest, then write the trigger spec files."""

from __future__ import annotations

from typing import Any

import click

from cronix.cli.reconcile_flags import (
    backend_flags,
    fire_flags,
    lock_flags,
    manifest_flags,
    reconciler_command,
)
from cronix.cli.render import emit_json, output_option


@reconciler_command("apply")
@manifest_flags
@backend_flags
@fire_flags
@lock_flags
@click.option("--dry-run", is_flag=True, help="Only show the plan (same as cronix plan).")
@output_option()
def command(output: str, dry_run: bool, **opts: Any) -> None:
    """Validate, plan and apply: deletes, then updates, then creates; stop at the first failure.

    Every manifest source is validated before anything changes, and all of them are applied
    under one backend and, for backends with local state (crontab, systemd, vercel), one
    apply lock. After a successful apply every job's trigger spec file is written (on
    backends that fire on this host; only when its content changed). A backend that
    already matches is not written to at all.

    Exit status: 0 ok, 1 invalid manifest / unsupported job / failed apply, 2 usage or
    config error, 3 backend unreachable, 4 manifest fetch refused.
    """
    from cronix.cli.reconcile_flags import warn, workspace
    from cronix.cli.reconcile_render import ProgressLine, print_outcome
    from cronix.operations import apply_all

    progress = ProgressLine()
    try:
        outcomes = apply_all(workspace(opts), dry_run=dry_run, progress=progress)
    finally:
        progress.close()
    if output == "json":
        docs = [o.as_json() for o in outcomes]
        emit_json(docs[0] if len(docs) == 1 else docs)
        return
    for outcome in outcomes:
        for w in outcome.warnings:
            warn(w)
        print_outcome(outcome)
