"""``cronix conformance run``: check an implementation against the spec vectors."""

from __future__ import annotations

from pathlib import Path

import click

from cronix.cli.app import command_help
from cronix.cli.commands.conformance_backends import backend, plugin
from cronix.cli.commands.conformance_report import ConformanceFailed


@click.group("conformance", short_help=command_help("conformance"))
def command() -> None:
    """Conformance checks against the language-neutral spec vectors."""


@command.command("run")
@click.option(
    "--vectors",
    "vectors_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("spec/vectors"),
    show_default=True,
    help="Directory holding manifest-vectors.json, auth-vectors.json and fire-jwt-vectors.json.",
)
@click.option(
    "--adapter",
    default=None,
    help='Adapter command, run as sh -c "<adapter> <subcommand>" (default: this cronix).',
)
@click.option(
    "--lenient-json",
    is_flag=True,
    help="Accept JSON-equivalent canonical output (reference runner behaviour).",
)
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None, help="Vectors run in parallel.")
def run(vectors_dir: Path, adapter: str | None, lenient_json: bool, jobs: int | None) -> None:
    """Run every vector and print one PASS/FAIL line each, then a summary.

    Exit status: 0 all passed, 1 any failed, 2 the vectors could not be read.
    """
    from cronix.conformance.runner import default_adapter, run_vectors

    passed = failed = 0
    for outcome in run_vectors(
        vectors_dir, adapter or default_adapter(), lenient_json=lenient_json, jobs=jobs
    ):
        click.echo(outcome.line())
        if outcome.passed:
            passed += 1
        else:
            failed += 1
    click.echo(f"{passed + failed} total / {passed} passed / {failed} failed")
    if failed or not passed:
        raise ConformanceFailed(
            f"{failed} of {passed + failed} vectors failed" if failed else "no vectors ran"
        )


# Backend and plugin conformance (spec/vectors/backend-vectors.json) live in their own module.
command.add_command(backend)
command.add_command(plugin)
