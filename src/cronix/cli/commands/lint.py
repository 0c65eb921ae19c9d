"""``cronix lint <source>``: a manifest checked on every configured backend, over the next year.

The checks and the exit status are :mod:`cronix.operations.linting`'s; JSON output
(``-o json``) is documented in ``docs/cli-json.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from cronix.cli.app import command_help
from cronix.cli.reconcile_flags import config_flag, next_flag, source_secret_flag
from cronix.cli.render import echo, emit_json, output_option

if TYPE_CHECKING:
    from cronix.operations.linting import LintReport


@click.command("lint", short_help=command_help("lint"))
@click.argument("source")
@config_flag
@click.option(
    "--backend",
    "backends",
    multiple=True,
    metavar="NAME",
    help="Lint on this backend (repeatable) [default: every backend of cronix.yaml, else its backend].",
)
@click.option(
    "--trigger-bin", metavar="PATH", help="The cronix executable entries would run [/usr/local/bin/cronix]."
)
@source_secret_flag
@next_flag
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@output_option()
def command(
    source: str,
    config_path: str | None,
    backends: tuple[str, ...],
    trigger_bin: str | None,
    secret_refs: tuple[str, ...],
    next_count: int,
    strict: bool,
    output: str,
) -> None:
    """Lint the manifest at SOURCE (a path, file:// URL, - or an app's manifest URL): its
    validation, every configured backend's validation of every job, schedules that never fire
    or run twice in one minute, and the local times the next year's DST changes skip or repeat.

    Exit status: 0 clean (warnings allowed), 1 errors (or warnings with --strict),
    2 usage or config error, 3 a backend could not be opened (the lint is incomplete).
    """
    from cronix.cli.reconcile_flags import split_secret_refs, warn
    from cronix.operations import Overrides, Workspace, lint

    refs = split_secret_refs(secret_refs)
    overrides = Overrides(config_path=config_path, trigger_bin=trigger_bin, secret_refs=refs)
    report = lint(Workspace(overrides, notify=warn), source, backends=backends, next_count=next_count)
    if output == "json":
        emit_json(report.as_json(strict=strict))
    else:
        _render(report)
    report.raise_for_status(strict=strict)


def _render(report: LintReport) -> None:
    for f in report.findings:
        job = f"{report.app}.{f.job}" if f.job and report.app else f.job
        where = " ".join(w for w in (f"[{f.backend}]" if f.backend else "", job, f.path) if w)
        label = "error" if f.severity == "error" else "warning"
        echo(f"{label}: {where}: {f.message} ({f.code})", fg="red" if label == "error" else "yellow")
    for s in report.next_fire_times:
        times = ", ".join(t.isoformat() for t in s.times) or "never"
        echo(f"next: {report.app}.{s.job} {s.schedule!r} ({s.timezone}): {times}")
    if report.exit_code() == 0:
        backends = ", ".join(report.backends)
        echo(f"lint {report.source}: app={report.app} backends={backends}: {report.summary}")
