"""``cronix global-status``: every configured backend at a glance (owned / in sync / drifted)."""

from __future__ import annotations

import click

from cronix.cli.app import command_help
from cronix.cli.reconcile_flags import config_flag
from cronix.cli.render import emit_json, emit_table, output_option


@click.command("global-status", short_help=command_help("global-status"))
@config_flag
@click.option("--backend", "only", multiple=True, metavar="NAME", help="Only these backends (repeatable).")
@click.option("--spec-dir", metavar="DIR", help="Recorded jobs to compare against [/etc/cronix/jobs].")
@click.option("--strict", is_flag=True, help="Exit 3 when any backend could not be read.")
@output_option()
def command(
    output: str, only: tuple[str, ...], strict: bool, config_path: str | None, spec_dir: str | None
) -> None:
    """For every backend under backends: in cronix.yaml (or the default backend when there are
    none): how many entries cronix owns, how many match what apply last wrote (the recorded
    jobs), how many were edited or changed since, how many cannot be checked, and the fire
    strategies its jobs use (DEGRADED when a fallback is in force).

    \b
    Exit status:
      0  every backend that could be read is OK, EMPTY or DEGRADED
      5  a backend is DRIFTED: an owned entry was edited or changed since apply, a spec
         file differs, or a line outside cronix's entries fires a managed job (as
         drift --exit-on-drift and verify-ownership)
      3  with --strict, a backend could not be read (checked before drift)
      2  a bad option or cronix.yaml"""
    from cronix.cli.reconcile_flags import warn
    from cronix.errors import BackendError, DriftDetected
    from cronix.operations import Overrides, Workspace, status

    rows = status(Workspace(Overrides(config_path=config_path, spec_dir=spec_dir), notify=warn), only)
    if output == "json":
        emit_json({"backends": [r.as_json() for r in rows]})
    else:
        emit_table(
            ["BACKEND", "TYPE", "FIRE", "OWNED", "IN-SYNC", "DRIFTED", "UNVERIFIED", "STATUS"],
            [
                [r.name, r.type, "-", "-", "-", "-", "-", r.state]
                if r.error
                else [r.name, r.type, ",".join(r.fire), r.owned, r.in_sync, r.drifted, r.unverified, r.state]
                for r in rows
            ],
        )
        for r in rows:
            for line in r.degraded:
                warn(f"{r.name}: {line}")
    failed = [r.name for r in rows if r.error]
    if strict and failed:
        raise BackendError(f"global-status: {len(failed)} backend(s) could not be read: {', '.join(failed)}")
    drifted = [r.name for r in rows if r.state == "DRIFTED"]
    if drifted:
        raise DriftDetected(f"global-status: {len(drifted)} backend(s) drifted: {', '.join(drifted)}")
