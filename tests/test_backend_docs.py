"""The "Try it" commands of docs/systemd.md and docs/vercel.md run as written (paths under tmp)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _try_it_block(doc: str) -> str:
    section = doc.split("## Try it", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "no sh block in the Try it section"
    return match[1]


@pytest.mark.parametrize("name", ["systemd.md", "vercel.md"])
def test_try_it_commands_run(name: str, tmp_path: Path) -> None:
    script = _try_it_block((REPO / "docs" / name).read_text()).replace("/tmp/", f"{tmp_path}/")
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "HOME": str(tmp_path)},
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
