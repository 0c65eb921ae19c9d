"""``cronix global-status``: every configured backend at a glance (owned / in sync / drifted)."""

from __future__ import annotations

from typing import Any

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
def command(output: str, only: tuple[str, ...], strict: bool, **opts: Any) -> None:
    """For every backend under backends: in cronix.yaml (or the default backend when there are
    none): how many entries cronix owns, how many match what apply last wrote (the trigger
    spec files), how many were edited or changed since, and how many cannot be checked."""
    from cronix.cli.reconcile_flags import Session
    from cronix.errors import BackendError, CronixError
    from cronix.reconcile import classify_entries, known_jobs

    session = Session(opts)
    config = session.config
    names = list(config.backends) or [config.backend]
    if only:
        names = [n for n in names if n in only] + [n for n in only if n not in names]
    spec_dir = opts.get("spec_dir") or config.spec_dir
    rows: list[dict[str, Any]] = []
    for name in names:
        row: dict[str, Any] = {"name": name, "type": config.backend_options(name)[0], "error": None}
        try:
            backend = session.open_backend(name)
            try:
                entries = backend.list_entries()
                jobs = known_jobs(backend, spec_dir)
                states = classify_entries(backend, entries, jobs)
            finally:
                backend.close()
        except CronixError as exc:
            row.update(owned=None, in_sync=None, drifted=None, unverified=None, error=str(exc))
        else:
            count = {s: sum(1 for x in states if x.state == s) for s in ("in-sync", "drifted", "unverified")}
            row.update(
                owned=len(entries),
                in_sync=count["in-sync"],
                drifted=count["drifted"],
                unverified=count["unverified"],
                apps=sorted({e.app for e in entries}),
            )
        rows.append(row)
    if output == "json":
        emit_json({"backends": rows})
    else:
        emit_table(
            ["BACKEND", "TYPE", "OWNED", "IN-SYNC", "DRIFTED", "UNVERIFIED", "STATUS"],
            [
                [r["name"], r["type"], "-", "-", "-", "-", f"ERROR: {r['error']}"]
                if r["error"]
                else [
                    r["name"],
                    r["type"],
                    r["owned"],
                    r["in_sync"],
                    r["drifted"],
                    r["unverified"],
                    "DRIFTED" if r["drifted"] else ("EMPTY" if not r["owned"] else "OK"),
                ]
                for r in rows
            ],
        )
    failed = [r["name"] for r in rows if r["error"]]
    if strict and failed:
        raise BackendError(f"global-status: {len(failed)} backend(s) could not be read: {', '.join(failed)}")
