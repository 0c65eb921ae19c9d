"""``cronix conformance-adapter``: listed here for ``cronix --help``.

The console script routes this command to :mod:`cronix.conformance.adapter` before click
is imported (it runs once per vector); this click wrapper only serves in-process callers.
"""

from __future__ import annotations

import click

from cronix.cli.app import command_help


@click.command(
    "conformance-adapter",
    short_help=command_help("conformance-adapter"),
    context_settings={"ignore_unknown_options": True, "help_option_names": []},
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(args: tuple[str, ...]) -> None:
    """manifest-canonicalize | auth-sign | auth-verify, JSON on stdin, answer on stdout."""
    from cronix.conformance.adapter import main

    raise SystemExit(main(list(args)))
