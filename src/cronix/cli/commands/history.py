"""``cronix history [<app>.<job>]``: the past runs of one job (or of every job), on any host.

Reads the trigger's run log (``trigger.run_log``) and, when ``journalctl`` is there and
has entries, the shim's log lines in journald, folded by run id
(:func:`cronix.runlog.collect_history`). JSON output (``-o json``): ``docs/cli-json.md``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import click

from cronix.cli.app import command_help
from cronix.cli.render import echo, emit_json, emit_table, output_option
from cronix.errors import UsageError

_DURATION = re.compile(r"(\d+)(w|d|h|m|s)")
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def duration_seconds(text: str) -> int | None:
    """``7d``, ``2h30m``, ``45s`` as seconds; ``None`` when ``text`` is not such a duration."""
    value = text.strip()
    if not value or _DURATION.sub("", value) != "":
        return None
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in _DURATION.findall(value))


def parse_when(text: str, *, now: datetime | None = None, flag: str = "--since") -> datetime:
    """``7d``, ``2h30m``, ``45s`` (ago) or an RFC 3339 time, as an aware UTC datetime."""
    value = text.strip()
    seconds = duration_seconds(value)
    if seconds is not None:
        try:
            return (now or datetime.now(UTC)) - timedelta(seconds=seconds)
        except OverflowError:
            raise UsageError(f"{flag}: {text!r} reaches before the year 1") from None
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
@click.argument("target", metavar="[<app>.<job>]", required=False)
@click.option("--since", help="Only runs after this: a duration ago (7d, 2h, 30m) or an RFC 3339 time.")
@click.option("--until", help="Only runs before this (same forms as --since).")
@click.option(
    "--status",
    type=click.Choice(["ok", "failed", "lock-contended", "skipped"]),
    help="Only runs with this status.",
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
    target: str | None,
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
    """Show the past runs of <app>.<job> (of every job without one), oldest first: when, run id,
    attempts, status, HTTP status, source and detail."""
    from cronix.cli.reconcile_flags import warn
    from cronix.operations import HistoryRequest, Overrides, Workspace, history, parse_target
    from cronix.runlog import format_time

    app, job = parse_target(target) if target else (None, None)
    request = HistoryRequest(
        app,
        job,
        since=parse_when(since) if since else None,
        until=parse_when(until, flag="--until") if until else None,
        status=status,
        limit=limit,
        run_log=run_log,
        journald=not no_journald,
        backend=backend,
    )
    path, runs = history(Workspace(Overrides(config_path=config_path), notify=warn), request)
    if output == "json":
        emit_json({"app": app, "job": job, "entries": [r.as_json() for r in runs]})
        return
    if not runs:
        what = f"{app}.{job}" if target else "any job"
        echo(f"no runs of {what} recorded" + (f" in {path}" if path else ""))
        return
    job_column = [] if target else ["JOB"]
    where = any(r.pod or r.node for r in runs)  # a Kubernetes run: which pod, on which node
    place = ["POD", "NODE"] if where else []
    manual = any(r.manual for r in runs)  # some runs were started by cronix run
    trigger = ["TRIGGER"] if manual else []
    headers = [
        "WHEN",
        *job_column,
        "RUN_ID",
        "ATTEMPT",
        "STATUS",
        "HTTP",
        "SOURCE",
        *trigger,
        *place,
        "DETAIL",
    ]
    rows = [
        [
            format_time(r.when) or "-",
            *([] if target else [f"{r.app}.{r.job}"]),
            r.run_id,
            r.attempt,
            r.status,
            r.http_status or "-",
            r.source,
            *([("manual" if r.manual else "schedule")] if manual else []),
            *([r.pod or "-", r.node or "-"] if where else []),
            r.detail,
        ]
        for r in runs
    ]
    emit_table(headers, rows, whole=("WHEN", "JOB", "RUN_ID"))
