"""The README's shell blocks for ``cronix lint`` and ``cronix run`` run as written.

Each block runs in bash from the repository root with the virtualenv's ``cronix`` first on
``PATH`` (as after ``pip install cronix-py``), ``/tmp/`` mapped to the test's directory and
``HOME`` inside it, so nothing is written outside the sandbox.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def readme_block(heading: str) -> str:
    """The first ``sh`` block of the README section whose heading starts with ``heading``."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split(f"\n{heading}", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, f"no sh block under {heading}"
    return match[1]


def run_block(
    script: str, tmp_path: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    bindir = os.path.dirname(sys.executable)
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace("/tmp/", f"{tmp_path}/")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": f"{bindir}:/usr/bin:/bin", "HOME": str(tmp_path), **(env or {})},
        check=False,
    )


@pytest.mark.parametrize("heading", ["## Before applying: `cronix lint`"])
def test_readme_block_runs(heading: str, tmp_path: Path) -> None:
    proc = run_block(readme_block(heading), tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "lint examples/manifest.json: app=billing backends=crontab" in proc.stdout
    assert "dst_skipped" in (tmp_path / "cronix-lint.json").read_text()


def test_readme_run_block_runs(tmp_path: Path) -> None:
    proc = run_block(readme_block("## Run a job now, or backfill one: `cronix run`"), tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "shop.nightly-report: ran shop.nightly-report#0@" in proc.stdout
    assert "shop.nightly-report: backfilled shop.nightly-report#0@" in proc.stdout
    assert len(re.findall(r" runlog +manual\b", proc.stdout)) == 2  # history's TRIGGER column
