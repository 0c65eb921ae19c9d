"""``cronix version``."""

from __future__ import annotations

import platform

import click

from cronix._version import __version__
from cronix.cli.app import command_help
from cronix.cli.render import echo, emit_json, output_option


@click.command("version", short_help=command_help("version"))
@output_option()
def command(output: str) -> None:
    """Print the cronix version, the Python it runs on and the platform."""
    target = f"{platform.system().lower()}/{platform.machine()}"
    if output == "json":
        emit_json({"version": __version__, "python": platform.python_version(), "target": target})
        return
    echo(f"cronix {__version__}")
    echo(f"  python: {platform.python_version()}")
    echo(f"  target: {target}")
