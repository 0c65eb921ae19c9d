"""``cronix validate <source>``: is this a valid manifest, and what does it declare?"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from cronix.cli.app import command_help
from cronix.cli.reconcile_flags import next_flag, source_secret_flag
from cronix.cli.render import echo, emit_data, emit_json, output_option


@click.command("validate", short_help=command_help("validate"))
@click.argument("source")
@source_secret_flag
@output_option()
@click.option("--canonical", is_flag=True, help="Print the canonical JSON form of the manifest instead.")
@next_flag
def command(source: str, secret_refs: tuple[str, ...], output: str, canonical: bool, next_count: int) -> None:
    """Validate the manifest at SOURCE: a path, a file:// URL, - for standard input, or an
    app's manifest URL (https://, or http:// on loopback), fetched with a signed GET.

    Every problem is reported at once, each with its path (jobs/0/schedule), message and
    code. Exit status: 0 valid, 1 invalid, 2 the source cannot be read, 3 the URL cannot
    be fetched, 4 the app refused the signed fetch.
    """
    from zoneinfo import ZoneInfo

    from cronix.cli.reconcile_flags import split_secret_refs, warn
    from cronix.protocol.advice import describe, job_warnings
    from cronix.protocol.errors import ManifestError
    from cronix.protocol.firetimes import next_fire_times
    from cronix.protocol.manifest import canonical_json, parse_manifest
    from cronix.secrets import resolve_secrets
    from cronix.sources import read_source

    refs = split_secret_refs(secret_refs)

    def secret() -> str:
        return resolve_secrets(refs or (), warn=warn)[0]

    loaded = read_source(source, secret=secret if refs else None)
    try:
        manifest = parse_manifest(loaded.data)
    except ManifestError as exc:
        exc.source = loaded.name
        if output == "json":
            emit_json({"ok": False, "issues": [i.as_json() for i in exc.issues]})
        raise
    if canonical:
        emit_data(canonical_json(manifest))
        return
    warnings = [(job, w) for job in manifest.jobs for w in job_warnings(job)]
    now = datetime.now(UTC)
    if output == "json":
        doc: dict[str, object] = {"ok": True, "app": manifest.app, "jobs": len(manifest.jobs)}
        doc["warnings"] = [{"job": job.name, **w.as_json()} for job, w in warnings]
        if next_count:
            doc["next_fire_times"] = {  # a paused job fires never (D-721)
                job.name: [
                    [t.isoformat() for t in next_fire_times(s, ZoneInfo(job.timezone), now, next_count)]
                    if job.enabled
                    else []
                    for s in job.schedules
                ]
                for job in manifest.jobs
            }
        emit_json(doc)
        return
    for job, w in warnings:
        warn(describe(manifest.app, job.name, w))
    echo(f"OK  app={manifest.app} jobs={len(manifest.jobs)}")
    for job in manifest.jobs:
        schedules = ", ".join(json.dumps(s, ensure_ascii=False) for s in job.schedules)
        echo(
            f"  - {job.name}  schedules=[{schedules}]  tz={job.timezone}  "
            f"policy.timeout={job.policy.timeout_seconds}s  retries={job.policy.retries.max_attempts}"
        )
        if next_count:
            for s in job.schedules:
                if not job.enabled:  # D-721: installed, never fired
                    echo(f"      {s}: paused (enabled: false)")
                    continue
                times = next_fire_times(s, ZoneInfo(job.timezone), now, next_count)
                echo(f"      {s}: " + (", ".join(t.isoformat() for t in times) or "never"))
