"""``cronix plugins list`` and ``cronix plugins pin NAME``: see and trust backend plugins.

``list`` shows every ``cronix-backend-*`` candidate in search order with its path, pin
status and status (active, shadowed, built-in name, unsafe); it runs a plugin to ask its
version only when the trust policy would let it run anyway (pinned and matching, or
unpinned under ``trust: warn``). ``pin`` prints the ``sha256:`` pin of the plugin that
would run, and with ``--write`` records it under ``plugins.pins`` in cronix.yaml.
"""

from __future__ import annotations

from typing import Any

import click

from cronix.cli.app import command_help
from cronix.cli.render import emit_json, emit_table, output_option

config_option = click.option("--config", "config_path", default=None, help="cronix.yaml to use.")


@click.group("plugins", short_help=command_help("plugins"))
def command() -> None:
    """Backend plugins: executables named cronix-backend-<name> (see docs/plugins.md)."""


@command.command("list")
@config_option
@output_option()
@click.option("--no-run", is_flag=True, help="Never run a plugin to ask its version.")
def list_plugins(config_path: str | None, output: str, no_run: bool) -> None:
    """Every plugin candidate in search order: name, version, pin, status, path."""
    from cronix.operations import Overrides, Workspace, plugin_rows

    dirs, rows = plugin_rows(Workspace(Overrides(config_path=config_path)), run=not no_run)
    if output == "json":
        emit_json({"dirs": dirs, "plugins": rows})
        return
    if not rows:
        click.echo(f"no plugins found in {', '.join(dirs)}")
        return
    emit_table(
        ["NAME", "VERSION", "PIN", "STATUS", "PATH"],
        [[r["name"], r["version"] or "-", r["pin"] or "-", _status_text(r), r["path"]] for r in rows],
    )


@command.command("pin")
@click.argument("name")
@config_option
@click.option("--write", is_flag=True, help="Record the pin under plugins.pins in cronix.yaml.")
def pin(name: str, config_path: str | None, write: bool) -> None:
    """Print the pin of plugin NAME (the file that would run, and for an entry-point plugin its
    distribution's RECORD); --write records it."""
    from cronix.operations import pin_plugin

    result = pin_plugin(config_path, name, write=write)
    click.echo(result.digest)
    covers = (
        f"{result.resolved} and the RECORD of {result.distribution}"
        if result.distribution
        else result.resolved
    )
    if result.written_to is not None:
        click.echo(f"recorded the pin of {name} ({covers}) in {result.written_to}", err=True)
    if result.editable:
        click.echo(
            f"note: {result.distribution} is an editable install: its RECORD lists only the import hook, "
            "so the pin does not cover its source tree",
            err=True,
        )


@command.command("check")
@click.argument("name")
@click.option(
    "--backend-config", "pairs", multiple=True, metavar="KEY=VALUE", help="A plugin setting (repeatable)."
)
@config_option
@output_option()
def check(name: str, pairs: tuple[str, ...], config_path: str | None, output: str) -> None:
    """Start plugin NAME exactly as apply would, run its prerequisite check, count its entries.

    Exit status: 0 ready · 2 not found or bad settings · 3 the plugin failed or reported a
    prerequisite error · 4 refused by the trust policy.
    """
    from cronix.cli.reconcile_flags import parse_backend_config
    from cronix.errors import BackendError
    from cronix.operations import Overrides, Workspace, check_plugin

    result = check_plugin(Workspace(Overrides(config_path=config_path)), name, parse_backend_config(pairs))
    errors = result.errors
    if output == "json":
        emit_json(
            {
                "name": result.name,
                "version": result.version,
                "path": result.path,
                "capabilities": result.capabilities,
                "diagnostics": [d.as_json() for d in result.diagnostics],
                "entries": result.entries,
                "ok": not errors,
            }
        )
    else:
        click.echo(f"{result.description} ({result.path})")
        click.echo(f"  capabilities: {', '.join(result.capabilities) or '-'}")
        for d in result.diagnostics:
            click.echo(f"  {d.severity}: {d.render()}")
        click.echo(f"  owned entries: {result.entries}")
    if errors:
        raise BackendError(
            f"{result.description}: {len(errors)} prerequisite problem(s): {errors[0].render()}"
        )


def _status_text(row: dict[str, Any]) -> str:
    status, detail = row["status"], row["detail"]
    if status == "shadowed":
        return f"shadowed by {detail}"
    if status == "builtin":
        return "never used: built-in name"
    if status in ("unsafe", "invalid-name"):
        return f"refused: {detail}"
    return f"active ({detail})" if detail else "active"
