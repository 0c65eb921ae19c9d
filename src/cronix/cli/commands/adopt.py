"""``cronix adopt <app>.<job>``: take over existing entries that already run this job."""

from __future__ import annotations

from typing import Any

import click

from cronix.cli.reconcile_flags import backend_flags, lock_flags, manifest_flags, reconciler_command
from cronix.cli.render import echo, emit_json, output_option


@reconciler_command("adopt")
@click.argument("target", metavar="APP.JOB")
@manifest_flags
@backend_flags
@lock_flags
@click.option("--dry-run", is_flag=True, help="Report what would be adopted; change nothing.")
@output_option()
def command(target: str, output: str, dry_run: bool, **opts: Any) -> None:
    """Put pre-existing entries that run `cronix trigger APP.JOB` under management, if they
    match the manifest's schedules exactly (the manifest: --manifest, or APP's entry in
    manifest_sources).

    Exit status: 0 adopted (or already managed), 6 the entries diverge from the manifest,
    7 nothing to adopt; 1/2/3/4 as for apply.
    """
    from cronix.cli.reconcile_flags import workspace
    from cronix.operations import adopt

    adoption = adopt(workspace(opts), target, dry_run=dry_run)
    result = adoption.result
    if output == "json":
        emit_json(
            {
                "app": adoption.app,
                "job": adoption.job,
                "dry_run": dry_run,
                "found": result.found,
                "adopted": result.adopted,
                "already_managed": result.already_managed,
                "diverged": result.diverged,
                "divergences": list(result.divergences),
                "entries": [e.as_json() for e in result.entries],
            }
        )
    else:
        _print(adoption.app, adoption.job, result, dry_run)
    failure = adoption.failure()
    if failure is not None:
        raise failure


def _print(app: str, job: str, result: Any, dry_run: bool) -> None:
    n = len(result.entries)
    plural = "entry" if n == 1 else "entries"
    if result.already_managed:
        echo(f"ALREADY-MANAGED  {app}.{job}  (no action taken)")
    elif result.diverged:
        echo(f"DIVERGED         {app}.{job}  (no action taken)")
        for d in result.divergences:
            echo(f"  ! {d}")
        echo("")
        echo(
            "Resolve by editing the manifest or the backend so they agree, then re-run `cronix adopt`. "
            "Or run `cronix apply` to overwrite the backend entry with the manifest's form."
        )
    elif result.adopted:
        echo(f"ADOPTED          {app}.{job}  ({n} {plural} now under management)")
    elif result.found and dry_run:
        echo(f"WOULD-ADOPT      {app}.{job}  ({n} {plural} — dry-run, no changes)")
    else:
        echo(f"NOT-FOUND        {app}.{job}  (no candidate entry on backend)")
    if result.adopted or (result.found and dry_run and not result.diverged):
        for e in result.entries:
            echo(f"  + idx={e.index} hash={e.hash}")
