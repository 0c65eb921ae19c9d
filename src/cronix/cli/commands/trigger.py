"""``cronix trigger <app>.<job>`` as click sees it: for ``cronix --help``, ``--help`` and completion.

A fire never comes through here: :mod:`cronix.cli.entry` routes ``cronix trigger`` to the
fast path (:mod:`cronix.trigger.cli`, argparse, no click) before anything else is
imported, and only ``cronix trigger --help`` renders this command's help. The options are
built from the fast path's own table (:data:`cronix.trigger.cli.FLAGS`), so help,
completion and the parser cannot disagree. Should click be asked to run it (an embedding
that calls :func:`cronix.cli.app.main` directly), it hands the same argv to the fast path.
"""

from __future__ import annotations

import os
from typing import Any

import click

from cronix.cli.app import command_help
from cronix.trigger.cli import DESCRIPTION, EXIT_CODES, FLAGS


def _complete_jobs(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """``<app>.<job>`` of the spec files in ``--spec-dir`` (else ``$CRONIX_JOB_SPEC_DIR``, the default)."""
    from cronix.trigger.settings import DEFAULTS

    spec_dir = ctx.params.get("spec_dir") or os.environ.get("CRONIX_JOB_SPEC_DIR") or DEFAULTS["spec_dir"]
    try:
        names = os.listdir(spec_dir)
    except OSError:
        return []
    jobs = (n.removesuffix(".json") for n in names if n.endswith(".json") and not n.startswith("."))
    return sorted(j for j in jobs if j.startswith(incomplete) and "." in j)


def _argv(target: str, params: dict[str, Any]) -> list[str]:
    argv = [target]
    for flag in FLAGS:
        value = params.get(flag.name.removeprefix("--").replace("-", "_"))
        if flag.metavar and value is not None:
            argv += [flag.name, value]
        elif not flag.metavar and value:
            argv.append(flag.name)
    return argv


def _run(target: str, **params: Any) -> None:
    from cronix.trigger.cli import main

    raise click.exceptions.Exit(main(_argv(target, params)))


command = click.Command(
    "trigger",
    callback=_run,
    short_help=command_help("trigger"),
    help=f"{DESCRIPTION}\n\n\b\n{EXIT_CODES}",
    params=[
        click.Argument(["target"], metavar="<app>.<job>", shell_complete=_complete_jobs),
        *(
            click.Option([f.name], metavar=f.metavar or None, is_flag=not f.metavar, help=f.help)
            for f in FLAGS
        ),
    ],
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def show_help() -> int:
    """Print the help as every other command prints its own; exit status 0."""
    try:
        command.main(["--help"], prog_name="cronix trigger", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    return 0
