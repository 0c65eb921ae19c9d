"""The real ``systemd-analyze`` (no systemd needs to run): calendar iterations and unit verification."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from tests.support.procs import require_binary

__all__ = ["calendar_iterations", "verify_units"]

_ELAPSE = re.compile(r"^\s*(?:Next elapse|Iter\. #\d+): \w{3} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC$")


def _analyze() -> str:
    return require_binary("systemd-analyze", "systemd")


def calendar_iterations(
    expressions: Sequence[str], base: datetime, iterations: int = 50
) -> list[list[datetime]]:
    """``systemd-analyze calendar --iterations=N --base-time=@…`` for many expressions in one call.

    ``result[i]`` are the next elapses of ``expressions[i]`` (fewer when it stops, none for
    "never"), as aware UTC datetimes. ``TZ=UTC`` makes systemd print UTC.
    """
    proc = subprocess.run(
        [
            _analyze(),
            "calendar",
            f"--iterations={iterations}",
            f"--base-time=@{int(base.timestamp())}",
            *expressions,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "TZ": "UTC"},
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    blocks: list[list[datetime]] = []
    for line in proc.stdout.splitlines():
        if "Normalized form:" in line:
            blocks.append([])
            continue
        match = _ELAPSE.match(line)
        if match:
            blocks[-1].append(datetime.fromisoformat(match[1]).replace(tzinfo=UTC))
    assert len(blocks) == len(expressions), proc.stdout
    return blocks


def verify_units(*paths: Path) -> str:
    """Everything ``systemd-analyze verify`` prints for these units (it exits 0 on many problems)."""
    proc = subprocess.run(
        [_analyze(), "verify", "--man=no", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return (
        f"exit {proc.returncode}\n{proc.stdout}{proc.stderr}"
        if proc.returncode or proc.stdout or proc.stderr
        else ""
    )
