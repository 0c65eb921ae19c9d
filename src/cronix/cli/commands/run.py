"""``cronix run <app>.<job> [--at TIME]``: fire a job now, or backfill one occurrence.

The operation is :func:`cronix.operations.run_job` (its module docstring says how and why);
JSON output (``-o json``) is documented in ``docs/cli-json.md``.
"""

from __future__ import annotations

from typing import Any

import click

from cronix.cli.reconcile_flags import backend_flags, reconciler_command
from cronix.cli.render import echo, emit_json, output_option


@reconciler_command("run")
@click.argument("target", metavar="APP.JOB")
@click.option(
    "--at",
    metavar="TIME",
    help="Backfill: fire as if scheduled at TIME (RFC 3339 or Unix seconds), an occurrence of the job.",
)
@click.option(
    "--schedule-index",
    type=click.IntRange(0, 63),
    help="The schedule --at is an occurrence of (default: any of the job's).",
)
@click.option("--force", is_flag=True, help="Fire --at even when it is no occurrence, or in the future.")
@backend_flags
@click.option("--spec-dir", metavar="DIR", help="Trigger spec files written by apply [/etc/cronix/jobs].")
@output_option()
def command(
    target: str, at: str | None, schedule_index: int | None, force: bool, output: str, **opts: Any
) -> None:
    """Fire APP.JOB once, now — or with --at, the occurrence scheduled at TIME — through the
    trigger (same spec file, lock, signature, retries, claims and history; recorded as
    manual), or through the backend's own run-now where jobs fire remotely (Kubernetes: a
    Job from the CronJob; aws-scheduler: one invocation of the target Lambda).

    Exit status: 0 fired (or started remotely), 1 the fire failed, 2 usage (--at is not an
    occurrence: the error names the nearest), 3 the backend cannot run jobs now.
    """
    from cronix.cli.reconcile_flags import workspace
    from cronix.operations import RunRequest, run_job

    request = RunRequest(target, at=at, schedule_index=schedule_index, force=force)
    result = run_job(workspace(opts), request)
    if output == "json":
        emit_json(result.as_json())
        return
    what = "backfilled" if result.backfill else "ran"
    if result.via == "backend":
        echo(f"{result.app}.{result.job}: started on {result.backend} ({result.reference}), {result.fire_id}")
        return
    echo(
        f"{result.app}.{result.job}: {what} {result.fire_id}: {result.outcome} "
        f"(HTTP {result.http_status or '-'}, {result.attempts} attempt(s), run {result.run_id})"
    )
