"""``cronix verify-ownership``: audit every owned entry on the backend."""

from __future__ import annotations

from typing import Any

import click

from cronix.cli.reconcile_flags import backend_flags, manifest_flags, reconciler_command
from cronix.cli.render import echo, emit_json, output_option


@reconciler_command("verify-ownership")
@manifest_flags
@backend_flags
@click.option("--spec-dir", metavar="DIR", help="Recorded jobs to check hashes against [/etc/cronix/jobs].")
@output_option()
def command(output: str, **opts: Any) -> None:
    """Check that every ownership marker is well formed and attached to its entry, that no
    identity (app, job, index) is claimed twice, and that each marker's hash matches the
    installed content (against --manifest, or the recorded jobs).

    Exit status: 0 clean, 5 findings, 2/3 usage or backend errors.
    """
    from cronix.cli.reconcile_flags import workspace
    from cronix.errors import DriftDetected
    from cronix.operations import audit

    result = audit(workspace(opts))
    errors = result.errors
    if output == "json":
        emit_json(
            {
                "backend": result.backend,
                "entries": result.audited,
                "ok": not errors,
                "findings": [f.as_json() for f in result.findings],
            }
        )
    else:
        for f in result.findings:
            echo(f"{'!' if f.severity == 'error' else '?'} {f.render()}")
        echo(f"verify-ownership: backend={result.backend} entries={result.audited} findings={len(errors)}")
    if errors:
        raise DriftDetected(f"{len(errors)} ownership finding(s) on backend {result.backend}")
