"""``cronix plugins list`` and ``cronix plugins pin NAME``: see and trust backend plugins.

``list`` shows every ``cronix-backend-*`` candidate in search order with its path, pin
status and status (active, shadowed, built-in name, unsafe); it runs a plugin to ask its
version only when the trust policy would let it run anyway (pinned and matching, or
unpinned under ``trust: warn``). ``pin`` prints the ``sha256:`` pin of the plugin that
would run, and with ``--write`` records it under ``plugins.pins`` in cronix.yaml.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from cronix.cli.app import command_help
from cronix.cli.render import emit_json, emit_table, output_option

if TYPE_CHECKING:
    from cronix.config import Config
    from cronix.plugins.discovery import Candidate

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
    from cronix.config import load_config
    from cronix.plugins.discovery import scan, search_dirs

    config = load_config(config_path)
    dirs = search_dirs(config.plugins.dirs)
    rows = [_describe(c, config, run=not no_run) for c in scan(dirs)]
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
    """Print the sha256: pin of plugin NAME (the file that would run); --write records it."""
    import os

    from cronix.config import Config, load_config
    from cronix.config import config_path as resolve_config_path
    from cronix.plugins.discovery import find_plugin, search_dirs
    from cronix.plugins.trust import file_digest

    path = resolve_config_path(config_path)
    # --write may create the file; reading it first only makes sense when it exists.
    config = Config() if write and path is not None and not os.path.exists(path) else load_config(config_path)
    candidate = find_plugin(name, search_dirs(config.plugins.dirs))
    digest = file_digest(candidate.resolved)
    click.echo(digest)
    if write:
        target = _write_pin(name, digest, config_path, config)
        click.echo(f"recorded the pin of {name} ({candidate.resolved}) in {target}", err=True)


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
    from cronix.cli.backend_select import parse_backend_config
    from cronix.config import load_config
    from cronix.errors import BackendError
    from cronix.plugins.host import open_plugin_backend

    backend = open_plugin_backend(name, load_config(config_path), parse_backend_config(pairs))
    try:
        diagnostics = backend.check()
        errors = [d for d in diagnostics if d.severity == "error"]
        entries = [] if errors else backend.list_entries()
    finally:
        backend.close()
    if output == "json":
        emit_json(
            {
                "name": backend.name,
                "version": backend.version,
                "path": backend.process.identity.path,
                "capabilities": sorted(backend.capabilities),
                "diagnostics": [d.as_json() for d in diagnostics],
                "entries": len(entries),
                "ok": not errors,
            }
        )
    else:
        click.echo(f"{backend} ({backend.process.identity.path})")
        click.echo(f"  capabilities: {', '.join(sorted(backend.capabilities)) or '-'}")
        for d in diagnostics:
            click.echo(f"  {d.severity}: {d.render()}")
        click.echo(f"  owned entries: {len(entries)}")
    if errors:
        raise BackendError(f"{backend}: {len(errors)} prerequisite problem(s): {errors[0].render()}")


def _describe(candidate: Candidate, config: Config, *, run: bool) -> dict[str, Any]:
    from cronix.errors import CronixError
    from cronix.plugins.trust import check_pin

    row: dict[str, Any] = {
        "name": candidate.name,
        "path": candidate.path,
        "resolved": candidate.resolved,
        "status": candidate.status,
        "detail": candidate.detail,
        "pin": "",
        "sha256": "",
        "version": "",
        "description": "",
    }
    if candidate.status != "active":
        return row
    verdict = check_pin(candidate.name, candidate.resolved, config.plugins.pins)
    row.update(pin=verdict.status, sha256=verdict.actual)
    allowed = verdict.status == "pinned" or (verdict.status == "unpinned" and config.plugins.trust == "warn")
    if run and allowed:
        try:
            row.update(_metadata(candidate))
        except CronixError as exc:
            row["detail"] = f"could not ask its version: {exc}"
    return row


def _metadata(candidate: Candidate) -> dict[str, str]:
    from cronix.plugins.errors import PluginIdentity
    from cronix.plugins.host import start_plugin
    from cronix.plugins.process import Timeouts
    from cronix.plugins.proxy import PluginBackend

    timeouts = Timeouts.from_env()
    process, channel, meta = start_plugin(
        PluginIdentity(candidate.name, candidate.resolved), timeouts=timeouts
    )
    PluginBackend(process, channel, meta, timeouts).close()
    return {"version": meta.version, "description": meta.description}


def _status_text(row: dict[str, Any]) -> str:
    status, detail = row["status"], row["detail"]
    if status == "shadowed":
        return f"shadowed by {detail}"
    if status == "builtin":
        return "never used: built-in name"
    if status in ("unsafe", "invalid-name"):
        return f"refused: {detail}"
    return f"active ({detail})" if detail else "active"


def _write_pin(name: str, digest: str, explicit: str | None, config: Config) -> str:
    """Record ``plugins.pins.<name>`` in the config file; returns its path."""
    import os

    import yaml

    from cronix.config import parse_config
    from cronix.errors import ConfigError

    target = (
        explicit
        or os.environ.get("CRONIX_CONFIG")
        or config.path
        or os.path.expanduser("~/.cronix/cronix.yaml")
    )
    try:
        with open(target, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        text = ""
    if "#" in text:
        raise ConfigError(
            f"{target} has comments that rewriting it would lose; add this under plugins.pins yourself: "
            f'{name}: "{digest}"'
        )
    doc = yaml.safe_load(text) if text.strip() else {}
    if not isinstance(doc, dict):
        raise ConfigError(f"{target}: the top level is not a mapping")
    plugins = doc.setdefault("plugins", {})
    if not isinstance(plugins, dict):
        raise ConfigError(f"{target}: plugins is not a mapping")
    pins = plugins.setdefault("pins", {})
    if not isinstance(pins, dict):
        raise ConfigError(f"{target}: plugins.pins is not a mapping")
    pins[name] = digest
    new_text = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)
    parse_config(new_text, source=target)  # never write a file cronix would then refuse
    from cronix.fileio import write_atomic

    write_atomic(target, new_text.encode("utf-8"), mode=0o600, keep_mode_and_owner=True)
    return target
