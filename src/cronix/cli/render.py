"""Rendering command results: stable JSON (``-o json``), plain or coloured tables, and lines.

JSON output uses lowercase snake_case keys, 2-space indentation and a trailing newline;
its shape per command is documented in ``docs/cli-json.md`` and treated as a stable schema.
Tables are plain aligned text; on a terminal, and unless ``NO_COLOR`` is set, they are
drawn with rich when it is installed (imported only then).

**Nothing from outside reaches the terminal raw.** Manifest fields, plugin messages, an
app's response headers and a server's error text can carry ESC, BEL, CR, LF or bidi
controls: written raw they recolour or retitle the terminal, or forge a second
``cronix: …`` line. Every human line cronix prints goes through :func:`echo` (and every
table cell through :func:`emit_table`), which escape such characters visibly (``\\x1b``,
``\\n``, ``\\u202e``), so a message is always the one line it claims to be. JSON output
escapes them too (the C0 set already is by JSON; DEL, C1 and bidi controls are added).
Command modules never call ``click.echo`` themselves (``tests/cli/test_terminal_safety.py``).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

__all__ = [
    "color_enabled",
    "confirm",
    "echo",
    "emit_data",
    "emit_json",
    "emit_table",
    "output_option",
    "printable",
]

OUTPUT_CHOICES = ("table", "json")

# C0 and C1 controls, DEL, the line/paragraph separators and the bidi embedding,
# override and isolate controls (the "Trojan Source" set).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# What JSON leaves raw with ensure_ascii=False (it escapes U+0000-U+001F itself).
_JSON_UNPRINTABLE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

F = TypeVar("F", bound=Callable[..., Any])


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _SHORT:
        return _SHORT[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` with every control character escaped visibly: one line, no terminal commands."""
    return _UNPRINTABLE.sub(_escape, str(text))


def echo(text: object = "", *, err: bool = False, fg: str | None = None, bold: bool = False) -> None:
    """Print one line (stdout, or stderr with ``err``), control characters escaped.

    ``fg``/``bold`` colour it on a terminal (never with ``NO_COLOR``); the escaping comes
    first, so the only escape sequences written are cronix's own.
    """
    line = printable(text)
    if (fg or bold) and color_enabled(sys.stderr if err else sys.stdout):
        line = click.style(line, fg=fg, bold=bold or None)
    click.echo(line, err=err)


def emit_data(text: str) -> None:
    """Output that is data for another program (canonical bytes, a completion script).

    Written verbatim into a pipe or file, where the exact bytes matter; escaped like any
    other line when stdout is a terminal, where they would be interpreted.
    """
    click.echo(printable(text) if sys.stdout.isatty() else text)


def confirm(question: str) -> bool:
    """Ask a yes/no question on the terminal (stderr), default no."""
    return click.confirm(printable(question), default=False, err=True)


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
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    click.echo(_JSON_UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def emit_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], *, whole: Sequence[str] = ()
) -> None:
    """Aligned columns; rich's table on a colour terminal if rich is installed.

    Columns named in ``whole`` (identifiers such as run ids) are never shortened or
    wrapped to fit the terminal; the others give way.
    """
    cells = [[printable(c) for c in row] for row in rows]
    if color_enabled():
        try:
            from rich.console import Console
            from rich.table import Table
            from rich.text import Text
        except ImportError:
            pass
        else:
            table = Table(box=None, header_style="bold", pad_edge=False)
            for i, header in enumerate(headers):
                keep = header in whole
                width = max([len(header), *(len(row[i]) for row in cells)]) if keep else None
                table.add_column(header, no_wrap=keep, min_width=width)
            for row in cells:
                table.add_row(*(Text(cell) for cell in row))  # Text: a cell is never markup
            Console().print(table)
            return
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    for row in [list(headers), *cells]:
        line = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row))
        click.echo(line.rstrip())
