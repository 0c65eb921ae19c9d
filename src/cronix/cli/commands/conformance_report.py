"""What the ``cronix conformance`` commands share: the failure they end with and the check report.

Its own module so the dependency runs one way: the command group
(:mod:`~cronix.cli.commands.conformance`) imports its subcommands
(:mod:`~cronix.cli.commands.conformance_backends`), and both import this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from cronix.errors import CronixError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cronix.conformance.backend_suite import Check

__all__ = ["ConformanceFailed", "report_checks"]


class ConformanceFailed(CronixError):
    """At least one vector failed (exit 1)."""


def report_checks(checks: Iterator[Check]) -> None:
    """Print one line per check, then a summary; :class:`ConformanceFailed` unless all passed."""
    counts = {"pass": 0, "fail": 0, "skip": 0}
    for check in checks:
        click.echo(check.line())
        counts[check.status] += 1
    total = sum(counts.values())
    click.echo(
        f"{total} total / {counts['pass']} passed / {counts['fail']} failed / {counts['skip']} skipped"
    )
    if counts["fail"] or not counts["pass"]:
        raise ConformanceFailed(
            f"{counts['fail']} of {total} checks failed" if counts["fail"] else "nothing ran"
        )
