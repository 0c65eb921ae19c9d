"""``cronix show <app>.<job>``: one job's entries, sync state and next fire times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from cronix.cli.app import command_help
from cronix.cli.reconcile_flags import backend_flags, manifest_flags
from cronix.cli.render import emit_json, emit_table, output_option


@click.command("show", short_help=command_help("show"))
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
    """Show the installed entries of APP.JOB; with --manifest (or a recorded spec file) also
    whether they are in sync and when each schedule fires next."""
    from zoneinfo import ZoneInfo

    from cronix.cli.reconcile_flags import Session
    from cronix.cli.reconcile_render import short
    from cronix.protocol.firetimes import next_fire_times
    from cronix.reconcile import classify_entries, known_jobs

    session = Session(opts)
    app, job_name, desired = session.target_job(target)
    backend = session.open_backend()
    try:
        entries = sorted(
            (e for e in backend.list_entries() if (e.app, e.job) == (app, job_name)), key=lambda e: e.index
        )
        if desired is None:
            desired = known_jobs(backend, session.spec_dir).get((app, job_name))
        in_sync: bool | None = None
        if desired is not None:
            states = classify_entries(backend, entries, {(app, job_name): desired})
            in_sync = len(entries) == len(desired.schedules) and all(s.state == "in-sync" for s in states)
    finally:
        backend.close()
    now = datetime.now(UTC)
    fires = []
    if desired is not None:
        zone = ZoneInfo(desired.timezone)
        for s in desired.schedules:
            times = [t.isoformat() for t in next_fire_times(s, zone, now, next_count)]
            fires.append({"schedule": s, "timezone": desired.timezone, "times": times})
    if output == "json":
        emit_json(
            {
                "backend": backend.name,
                "app": app,
                "job": job_name,
                "found": bool(entries),
                "in_sync": in_sync,
                "desired": desired.to_json() if desired is not None else None,
                "entries": [e.as_json() for e in entries],
                "next_fire_times": fires,
            }
        )
        return
    rows: list[list[object]] = [["BACKEND", backend.name], ["JOB", f"{app}.{job_name}"]]
    count = f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}"
    rows.append(["STATUS", f"installed ({count})" if entries else "not installed"])
    if desired is not None:
        rows.append(["DRIFT", "in-sync" if in_sync else "drifted"])
        rows.append(["TIMEZONE", desired.timezone])
        rows.append(["URL", f"{desired.request.method} {desired.request.url}"])
        rows.append(["SCHEDULES", ", ".join(desired.schedules)])
        for f in fires:
            rows.append([f"NEXT {f['schedule']}", ", ".join(f["times"]) or "never"])
    _print_pairs(rows)
    if entries:
        click.echo("")
        emit_table(["IDX", "HASH", "ENTRY"], [[e.index, short([e.hash]), e.raw] for e in entries])


def _print_pairs(rows: list[list[object]]) -> None:
    width = max(len(str(r[0])) for r in rows) + 2
    for key, value in rows:
        click.echo(f"{str(key).ljust(width)}{value}")
