"""The "Try it" commands of docs/systemd.md, docs/vercel.md and docs/monitoring.md, and the README's
monitoring example, run as written (paths under tmp)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _try_it_block(doc: str, heading: str = "## Try it") -> str:
    section = doc.split(heading, 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "no sh block in the Try it section"
    return match[1]


#: What each doc's Try it output must show, beyond exit 0.
SHOWS = {
    "systemd.md": [],
    "vercel.md": [],
    "monitoring.md": [
        "+ cronix:billing.nightly-report",
        "SUCCESS: 9 rules found",
        "exit 3",
        'cronix_job_runs_total{app="billing",job_name="heartbeat",outcome="internal_error"} 1',
    ],
}


@pytest.mark.parametrize("name", sorted(SHOWS))
def test_try_it_commands_run(name: str, tmp_path: Path) -> None:
    proc = _run(_try_it_block((REPO / "docs" / name).read_text()), tmp_path)
    for fragment in SHOWS[name]:
        assert fragment in proc.stdout, (fragment, proc.stdout)


def test_the_readmes_monitoring_example_runs(tmp_path: Path) -> None:
    doc = (REPO / "README.md").read_text()
    proc = _run(_try_it_block(doc, "## Monitoring: missed, failed and stuck runs"), tmp_path)
    assert proc.stdout.strip().splitlines()[-1] == "9"
    assert "Rules written in" in proc.stdout


def _run(block: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = block.replace("/tmp/", f"{tmp_path}/")
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
    return proc
