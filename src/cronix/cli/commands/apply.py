"""``cronix apply``: make the backend match the manifest, then write the trigger spec files."""

from __future__ import annotations

from typing import Any

import click

from cronix.cli.app import command_help
from cronix.cli.reconcile_flags import backend_flags, lock_flags, manifest_flags
from cronix.cli.render import emit_json, output_option


@click.command("apply", short_help=command_help("apply"))
@manifest_flags
@backend_flags
@lock_flags
@click.option("--dry-run", is_flag=True, help="Only show the plan (same as cronix plan).")
@output_option()
def command(output: str, dry_run: bool, **opts: Any) -> None:
    """Validate, plan and apply: deletes, then updates, then creates; stop at the first failure.

    On crontab and other host-local backends the whole run holds the apply lock, and
    after a successful apply every job's trigger spec file is written (only when its
    content changed). A backend that already matches is not written to at all.

    Exit status: 0 ok, 1 invalid manifest / unsupported job / failed apply, 2 usage or
    config error, 3 backend unreachable, 4 manifest fetch refused.
    """
    from cronix.cli.reconcile_flags import Session, warn
    from cronix.cli.reconcile_render import ProgressLine, print_outcome
    from cronix.reconcile import reconcile

    session = Session(opts)
    outcomes = []
    for loaded in session.manifests():
        backend = session.open_backend()
        progress = ProgressLine()
        try:
            outcome = reconcile(
                loaded.manifest,
                backend,
                dry_run=dry_run,
                spec_dir=session.spec_dir,
                secret_refs=loaded.secret_refs,
                lock=session.lock(on_wait=warn),
                progress=progress,
                selection=session.fire_selection(loaded.manifest.app),
            )
        finally:
            progress.close()
            backend.close()
        outcomes.append(outcome)
        if output != "json":
            for w in outcome.warnings:
                warn(w)
            print_outcome(outcome)
    if output == "json":
        docs = [o.as_json() for o in outcomes]
        emit_json(docs[0] if len(docs) == 1 else docs)
