"""``cronix verify-ownership``: audit every owned entry on the backend."""

from __future__ import annotations

from typing import Any

import click

from cronix.cli.app import command_help
from cronix.cli.reconcile_flags import backend_flags, manifest_flags
from cronix.cli.render import emit_json, output_option


@click.command("verify-ownership", short_help=command_help("verify-ownership"))
@manifest_flags
@backend_flags
@click.option("--spec-dir", metavar="DIR", help="Recorded jobs to check hashes against [/etc/cronix/jobs].")
@output_option()
def command(output: str, **opts: Any) -> None:
    """Check that every ownership marker is well formed and attached to its entry, that no
    identity (app, job, index) is claimed twice, and that each marker's hash matches the
    installed content (against --manifest, or the recorded trigger spec files).

    Exit status: 0 clean, 5 findings, 2/3 usage or backend errors.
    """
    from cronix.cli.reconcile_flags import Session
    from cronix.errors import DriftDetected
    from cronix.reconcile import known_jobs, verify_ownership

    session = Session(opts)
    backend = session.open_backend()
    try:
        jobs = known_jobs(backend, session.spec_dir)
        for loaded in session.manifests(required=False) if opts.get("manifest") else []:
            jobs.update({(loaded.manifest.app, j.name): j for j in loaded.manifest.jobs})
        audited, findings = verify_ownership(backend, jobs)
    finally:
        backend.close()
    errors = [f for f in findings if f.severity == "error"]
    if output == "json":
        emit_json(
            {
                "backend": backend.name,
                "entries": audited,
                "ok": not errors,
                "findings": [f.as_json() for f in findings],
            }
        )
    else:
        for f in findings:
            click.echo(f"{'!' if f.severity == 'error' else '?'} {f.render()}")
        click.echo(f"verify-ownership: backend={backend.name} entries={audited} findings={len(errors)}")
    if errors:
        raise DriftDetected(f"{len(errors)} ownership finding(s) on backend {backend.name}")
