"""``cronix history <app>.<job>``: the past runs of one job, on any host.

Reads the trigger's run log (``trigger.run_log``) and, when ``journalctl`` is there and
has entries, the shim's log lines in journald, folded by run id
(:func:`cronix.runlog.collect_history`). JSON output (``-o json``)::

    {"app": "billing", "job": "ping",
     "entries": [{"app", "job", "run_id", "attempt", "started_at", "finished_at",
                  "status", "source", "detail", "pod", "node"}, …]}     # oldest first
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click

from cronix.cli.app import command_help
from cronix.cli.render import emit_json, emit_table, output_option
from cronix.errors import UsageError

if TYPE_CHECKING:
    from cronix.backends.base import HistoryEntry, HistoryQuery
    from cronix.config import Config

_DURATION = re.compile(r"(\d+)(w|d|h|m|s)")
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_when(text: str, *, now: datetime | None = None, flag: str = "--since") -> datetime:
    """``7d``, ``2h30m``, ``45s`` (ago) or an RFC 3339 time, as an aware UTC datetime."""
    value = text.strip()
    if value and _DURATION.sub("", value) == "":
        seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in _DURATION.findall(value))
        return (now or datetime.now(UTC)) - timedelta(seconds=seconds)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{flag}: expected a duration like 7d, 2h or 30m, or an RFC 3339 time, got {text!r}"
        ) from None
    if when.tzinfo is None:
        raise UsageError(f"{flag}: an RFC 3339 time needs a UTC offset (Z or +02:00), got {text!r}")
    return when.astimezone(UTC)


@click.command("history", short_help=command_help("history"))
@click.argument("target", metavar="<app>.<job>")
@click.option("--since", help="Only runs after this: a duration ago (7d, 2h, 30m) or an RFC 3339 time.")
@click.option("--until", help="Only runs before this (same forms as --since).")
@click.option(
    "--status", type=click.Choice(["ok", "failed", "lock-contended"]), help="Only runs with this status."
)
@click.option(
    "--limit", type=click.IntRange(0), default=50, show_default=True, help="Newest N runs; 0 = all."
)
@click.option("--run-log", help="Run log to read (default: trigger.run_log of cronix.yaml).")
@click.option("--config", "config_path", help="cronix.yaml to read settings from.")
@click.option("--no-journald", is_flag=True, help="Do not read journald.")
@click.option(
    "--backend", help="Also read this backend's native history (e.g. journald for crontab, a plugin's)."
)
@output_option()
def command(
    target: str,
    since: str | None,
    until: str | None,
    status: str | None,
    limit: int,
    run_log: str | None,
    config_path: str | None,
    no_journald: bool,
    backend: str | None,
    output: str,
) -> None:
    """Show the past runs of <app>.<job>, oldest first: when, run id, attempts, status, source."""
    from cronix.backends.base import HistoryQuery
    from cronix.config import load_config
    from cronix.runlog import collect_history, format_time, merge_runs

    app, dot, job = target.partition(".")
    if not dot or not app or not job:
        raise UsageError(f'history: expected <app>.<job>, got "{target}"')
    config = load_config(config_path)
    path = run_log if run_log is not None else config.trigger.run_log
    start = parse_when(since) if since else None
    end = parse_when(until, flag="--until") if until else None
    runs = collect_history(
        app, job, run_log=path, since=start, until=end, status=status, limit=limit, journald=not no_journald
    )
    if backend:
        runs = merge_runs(
            runs,
            _backend_history(backend, config, HistoryQuery(app, job, start, end, status, limit)),
            limit=limit,
        )
    if output == "json":
        emit_json({"app": app, "job": job, "entries": [r.as_json() for r in runs]})
        return
    if not runs:
        click.echo(f"no runs of {app}.{job} recorded" + (f" in {path}" if path else ""))
        return
    where = any(r.pod or r.node for r in runs)  # a Kubernetes run: which pod, on which node
    emit_table(
        ["WHEN", "RUN_ID", "ATTEMPT", "STATUS", "SOURCE", *(["POD", "NODE"] if where else []), "DETAIL"],
        [
            [
                format_time(r.when) or "-", r.run_id, r.attempt, r.status, r.source,
                *([r.pod or "-", r.node or "-"] if where else []), r.detail,
            ]
            for r in runs
        ],
    )  # fmt: skip


def _backend_history(name: str, config: Config, query: HistoryQuery) -> list[HistoryEntry]:
    """The backend's own record of runs (empty when it keeps none)."""
    from cronix.backends.base import UnsupportedOperation
    from cronix.cli.backend_select import open_backend

    backend = open_backend(name, {}, config)
    try:
        return backend.history(query)
    except UnsupportedOperation:
        return []
    finally:
        backend.close()
