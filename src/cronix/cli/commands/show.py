"""``cronix show <app>.<job>``: one job's entries, sync state and next fire times."""

from __future__ import annotations

from typing import Any

import click

from cronix.cli.reconcile_flags import backend_flags, manifest_flags, reconciler_command
from cronix.cli.render import echo, emit_json, emit_table, output_option


@reconciler_command("show")
@click.argument("target", metavar="APP.JOB")
@manifest_flags
@backend_flags
@click.option(
    "--spec-dir", metavar="DIR", help="Recorded jobs, used when no manifest is given [/etc/cronix/jobs]."
)
@click.option(
    "--next", "next_count", type=click.IntRange(0, 50), default=3, show_default=True, help="Fire times."
)
@output_option()
def command(target: str, output: str, next_count: int, **opts: Any) -> None:
    """Show the installed entries of APP.JOB; with --manifest (or a recorded job) also
    whether they are in sync and when each schedule fires next.

    Exit status: 0, or 1 when the job is neither installed nor declared anywhere.
    """
    from cronix.cli.reconcile_flags import workspace
    from cronix.cli.reconcile_render import short
    from cronix.errors import NotFound
    from cronix.operations import show_job
    from cronix.sources import display_url

    view = show_job(workspace(opts), target, next_count=next_count)
    if not view.entries and view.desired is None:
        raise NotFound(
            f"{view.app}.{view.job} is not installed on {view.backend}, and neither the manifest nor a "
            "spec file declares it (cronix list shows what is installed)"
        )
    desired = view.desired
    if desired is not None:  # a spec file from before D-602 may hold user:password@ in its URL
        desired = desired._replace(request=desired.request._replace(url=display_url(desired.request.url)))
    fires = [
        {"schedule": f.schedule, "timezone": f.timezone, "times": [t.isoformat() for t in f.times]}
        for f in view.fires
    ]
    if output == "json":
        emit_json(
            {
                "backend": view.backend,
                "app": view.app,
                "job": view.job,
                "found": bool(view.entries),
                "in_sync": view.in_sync,
                "desired": desired.to_json() if desired is not None else None,
                "entries": [e.as_json() for e in view.entries],
                "next_fire_times": fires,
            }
        )
        return
    rows: list[list[object]] = [["BACKEND", view.backend], ["JOB", f"{view.app}.{view.job}"]]
    n = len(view.entries)
    rows.append(["STATUS", f"installed ({n} entr{'y' if n == 1 else 'ies'})" if n else "not installed"])
    if desired is not None:
        rows.append(["DRIFT", "in-sync" if view.in_sync else "drifted"])
        rows.append(["TIMEZONE", desired.timezone])
        rows.append(["URL", f"{desired.request.method} {desired.request.url}"])
        rows.append(["SCHEDULES", ", ".join(desired.schedules)])
        for f in fires:
            idle = "never" if desired.enabled else "paused (enabled: false)"
            rows.append([f"NEXT {f['schedule']}", ", ".join(f["times"]) or idle])
    width = max(len(str(r[0])) for r in rows) + 2
    for key, value in rows:
        echo(f"{str(key).ljust(width)}{value}")
    if view.entries:
        echo("")
        emit_table(["IDX", "HASH", "ENTRY"], [[e.index, short([e.hash]), e.raw] for e in view.entries])
