"""The ``cronix`` console script: route the hot paths before anything heavy is imported.

``cronix trigger`` runs once per fire on every host and ``cronix conformance-adapter``
once per test vector, so both bypass click (and everything else the full CLI loads) and
go straight to modules that import only the standard library and ``cronix.protocol``.
Both parse their own arguments; ``cronix trigger --help`` alone renders through click
(:mod:`cronix.cli.commands.trigger`), so the help looks like every other command's and only
asking for it pays for click. Every other command goes through :mod:`cronix.cli.app`.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "trigger":
        if _asks_help(args[1:]):
            from cronix.cli.commands.trigger import show_help

            sys.exit(show_help())
        from cronix.trigger.cli import main as trigger_main

        sys.exit(trigger_main(args[1:]))
    if args and args[0] == "conformance-adapter":
        from cronix.conformance.adapter import main as adapter_main

        sys.exit(adapter_main(args[1:]))
    from cronix.cli.app import main as app_main

    sys.exit(app_main(args))


def _asks_help(args: list[str]) -> bool:
    """``-h``/``--help`` among the options (before a ``--``), as click and argparse read it."""
    options = args[: args.index("--")] if "--" in args else args
    return "-h" in options or "--help" in options
