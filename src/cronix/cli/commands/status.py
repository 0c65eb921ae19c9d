"""``cronix status``: every job with its last run, next fire, drift and pause; ``--missed``;
``--html FILE``.

The logic is :func:`cronix.operations.job_status`; the columns are
:data:`cronix.cli.status_columns.COLUMNS` (shared with the HTML page); JSON output:
``docs/cli-json.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from cronix.cli.reconcile_flags import backend_flags, manifest_flags, reconciler_command
from cronix.cli.render import echo, emit_json, emit_table, output_option

if TYPE_CHECKING:
    from datetime import datetime

    from cronix.operations.job_status import StatusReport

#: A grace longer than a week would make every weekly job's misses invisible.
_MAX_GRACE = 7 * 86400


@reconciler_command("status")
@manifest_flags
@backend_flags
@click.option(
    "--spec-dir", metavar="DIR", help="Recorded jobs, used when no manifest is given [/etc/cronix/jobs]."
)
@click.option("--run-log", metavar="PATH", help="Run log to read (default: trigger.run_log of cronix.yaml).")
@click.option("--no-journald", is_flag=True, help="Do not read journald.")
@click.option(
    "--missed",
    is_flag=True,
    help="List expected occurrences without a successful run, and exit 5 if there are any.",
)
@click.option(
    "--since",
    metavar="WHEN",
    help="With --missed: occurrences after this, a duration ago (24h, 7d) or an RFC 3339 time [24h].",
)
@click.option(
    "--grace",
    metavar="DURATION",
    help="How late a run may start (after the job's jitter) and still count for its occurrence "
    "[the job's monitoring.start_grace_seconds, else cronix.yaml's monitor.start_grace_seconds: 300 s].",
)
@click.option(
    "--html", "html_path", metavar="FILE", help="Write a self-contained static status page to FILE."
)
@click.option(
    "--strict", is_flag=True, help="Exit 3 when a backend could not be read (always with --missed)."
)
@output_option()
def command(
    output: str,
    run_log: str | None,
    no_journald: bool,
    missed: bool,
    since: str | None,
    grace: str | None,
    html_path: str | None,
    strict: bool,
    **opts: Any,
) -> None:
    """Show every job on every configured backend (backends: in cronix.yaml, or --backend):
    schedule, timezone, last run (outcome, start, duration, where), next fire time, jitter
    window, pause and drift state. What each job should be comes from --manifest, else from
    what the backend records; runs come from the run log, journald and remote backends'
    own history.

    Exit status: 0; 5 with --missed when an expected run has no successful record; 3 when a
    backend could not be read (with --strict or --missed); 1/2 as for plan.
    """
    from datetime import UTC, datetime, timedelta

    from cronix.cli.commands.history import duration_seconds, parse_when
    from cronix.cli.reconcile_flags import warn, workspace
    from cronix.errors import BackendError, MissedRuns, UsageError
    from cronix.operations import StatusRequest, job_status

    if since and not missed:
        raise UsageError("--since needs --missed (status always shows each job's last run)")
    now = datetime.now(UTC)
    grace_seconds = None if grace is None else duration_seconds(grace)
    if grace is not None and (grace_seconds is None or grace_seconds > _MAX_GRACE):
        raise UsageError(f"--grace: expected a duration up to 7d like 5m or 90s, got {grace!r}")
    request = StatusRequest(
        now=now,
        run_log=run_log,
        journald=not no_journald,
        missed_since=parse_when(since or "24h", now=now) if missed else None,
        grace=None if grace_seconds is None else timedelta(seconds=grace_seconds),
    )
    report = job_status(workspace(opts), request)
    if html_path:
        from cronix.cli.status_html import write_page

        write_page(html_path, report)
        echo(f"status page of {len(report.jobs)} job(s) written to {html_path}")
    elif output == "json":
        emit_json(_document(report))
    elif missed:
        _show_missed(report)
    else:
        _show_table(report)
    for b in report.unreadable:
        warn(f"{b.name}: {b.error}")
    if report.unreadable and (strict or missed):
        names = ", ".join(b.name for b in report.unreadable)
        raise BackendError(f"status: {len(report.unreadable)} backend(s) could not be read: {names}")
    if report.missed:
        jobs = sorted({f"{m.app}.{m.job}" for m in report.missed})
        raise MissedRuns(
            f"{len(report.missed)} expected run(s) of {len(jobs)} job(s) have no successful record "
            f"since {_clock(report.missed_since)}: {', '.join(jobs)}"
        )


def _clock(when: datetime | None) -> str:
    from cronix.cli.status_columns import clock

    return clock(when)


def _document(report: StatusReport) -> dict[str, Any]:
    from cronix.runlog import format_time

    return {
        "generated_at": format_time(report.generated_at),
        "run_log": report.run_log,
        "missed_since": format_time(report.missed_since),
        "backends": [{"name": b.name, "type": b.type, "error": b.error} for b in report.backends],
        "jobs": [j.as_json() for j in report.jobs],
        "missed": [m.as_json() for m in report.missed] if report.missed_since else None,
    }


def _show_table(report: StatusReport) -> None:
    from cronix.cli.status_columns import COLUMNS

    if not report.jobs:
        echo("no jobs: nothing is installed on " + ", ".join(b.name for b in report.backends))
        return
    columns = [c for c in COLUMNS if c.header != "MISSED"]
    emit_table(
        [c.header for c in columns],
        [[c.cell(job) or "-" for c in columns] for job in report.jobs],
        whole=[c.header for c in columns if c.whole],
    )


def _show_missed(report: StatusReport) -> None:
    from cronix.cli.status_columns import MISSED_COLUMNS

    if not report.missed:
        echo(f"no missed runs since {_clock(report.missed_since)} ({len(report.jobs)} job(s) checked)")
        return
    emit_table(
        [c.header for c in MISSED_COLUMNS],
        [[c.cell(m) for c in MISSED_COLUMNS] for m in report.missed],
        whole=[c.header for c in MISSED_COLUMNS if c.whole],
    )
