"""Rendering command results: stable JSON (``-o json``) and plain or coloured tables.

JSON output uses lowercase snake_case keys, 2-space indentation and a trailing newline;
its shape per command is documented in ``docs/cli.md`` and treated as a stable schema.
Tables are plain aligned text; on a terminal, and unless ``NO_COLOR`` is set, they are
drawn with rich when it is installed (imported only then).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

__all__ = ["color_enabled", "emit_json", "emit_table", "output_option"]

OUTPUT_CHOICES = ("table", "json")


F = TypeVar("F", bound=Callable[..., Any])


def output_option(default: str = "table") -> Callable[[F], F]:
    """The shared ``-o/--output table|json`` option."""
    return click.option(
        "-o",
        "--output",
        type=click.Choice(OUTPUT_CHOICES),
        default=default,
        show_default=True,
        help="Output format.",
    )


def color_enabled(stream: Any = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    target = sys.stdout if stream is None else stream
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(target, "isatty", None)
    return bool(isatty and isatty())


def emit_json(doc: Any) -> None:
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False))


def emit_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Aligned columns; rich's table on a colour terminal if rich is installed."""
    cells = [[str(c) for c in row] for row in rows]
    if color_enabled():
        try:
            from rich.console import Console
            from rich.table import Table
        except ImportError:
            pass
        else:
            table = Table(*headers, box=None, header_style="bold", pad_edge=False)
            for row in cells:
                table.add_row(*row)
            Console().print(table)
            return
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    for row in [list(headers), *cells]:
        line = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row))
        click.echo(line.rstrip())
