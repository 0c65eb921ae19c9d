"""Entry point of ``cronix trigger`` (argument parsing without click)."""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str]) -> int:
    print("cronix trigger: not implemented yet", file=sys.stderr)
    return 3
