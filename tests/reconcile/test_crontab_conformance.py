"""The crontab backend passes the same backend conformance vectors every backend must pass."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import run_cronix


def test_crontab_passes_the_backend_conformance_suite(tmp_path: Path) -> None:
    crontab = tmp_path / "crontab"
    proc = run_cronix(
        "conformance", "backend", "--backend", "crontab",
        "--backend-config", f"path={crontab}",
        env={"HOME": str(tmp_path)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert not [line for line in lines if line.startswith("FAIL")]
    passed = [line for line in lines if line.startswith("PASS")]
    # Foreign entries and adopt need the crontab seeder: they must run, not be skipped.
    assert any("foreign entries are never listed or touched" in line for line in passed)
    assert any("adopt: dry run" in line for line in passed)
