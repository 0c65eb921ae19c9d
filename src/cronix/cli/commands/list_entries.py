"""``cronix list``: every entry the backend owns, for every app, and when each fires next."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from cronix.cli.reconcile_flags import backend_flags, reconciler_command
from cronix.cli.render import echo, emit_json, emit_table, output_option

if TYPE_CHECKING:
    from cronix.backends.base import ManagedEntry


@reconciler_command("list")
@backend_flags
@click.option(
    "--spec-dir", metavar="DIR", help="Recorded jobs: each entry's schedule and zone [/etc/cronix/jobs]."
)
@output_option()
def command(output: str, **opts: Any) -> None:
    """List the entries cronix owns on the backend: APP, JOB, IDX, SCHEDULE, TIMEZONE, NEXT
    (the next fire time, in the job's zone; - when the job is not recorded) and HASH."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from cronix.cli.reconcile_flags import workspace
    from cronix.cli.reconcile_render import short
    from cronix.operations import list_owned
    from cronix.protocol.firetimes import next_fire_times

    owned = list_owned(workspace(opts))
    now = datetime.now(UTC)
    rows: list[tuple[ManagedEntry, str | None, str | None, str | None]] = []
    for e in owned.entries:
        known = owned.schedule_of(e)
        if known is None:
            rows.append((e, None, None, None))
            continue
        schedule, zone = known
        if e.paused:  # D-721: a paused entry does not fire (JSON: null, with "paused": true)
            rows.append((e, schedule, zone, None))
            continue
        times = next_fire_times(schedule, ZoneInfo(zone), now, 1)
        rows.append((e, schedule, zone, times[0].isoformat() if times else "never"))
    if output == "json":
        emit_json(
            {
                "backend": owned.backend,
                "entries": [
                    {**e.as_json(), "schedule": s, "timezone": z, "next_fire_time": n} for e, s, z, n in rows
                ],
            }
        )
        return
    if not rows:
        echo(f"cronix owns no entries on {owned.backend}")
        return
    emit_table(
        ["APP", "JOB", "IDX", "SCHEDULE", "TIMEZONE", "NEXT", "HASH"],
        [
            [e.app, e.job, e.index, s or "-", z or "-", n or ("paused" if e.paused else "-"), short([e.hash])]
            for e, s, z, n in rows
        ],
        whole=("NEXT", "HASH"),
    )
