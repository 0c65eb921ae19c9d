"""The README's "Timezones on any cron, pause, jitter" commands run as written (paths under tmp)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SECTION = "## Timezones on any cron, pause, jitter, one run per occurrence"


def test_the_readme_example_runs_and_shows_what_it_says(tmp_path: Path) -> None:
    section = (REPO / "README.md").read_text().split(SECTION, 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "no sh block in the section"
    script = match[1].replace("/tmp/", f"{tmp_path}/")
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NO_COLOR": "1"},
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    out = proc.stdout
    assert "30 11,12 * * 1-5 " in out and "trigger billing.digest --guard 0" in out
    assert "# cronix:paused 0 3 * * * " in out
    assert "paused" in out.split("cronix:paused", 1)[1]  # list shows the paused entry as such
    assert "07:30:00-04:00" in out or "07:30:00-05:00" in out  # show: New York's own times
