"""Entries run a cronix that exists (issue 14 item 8).

``trigger_bin`` defaulted to ``/usr/local/bin/cronix``, which ``pip install`` never
creates; apply only warned and wrote entries that could never run. Now the default falls
back to the cronix running the command, and a ``trigger_bin`` that is not an executable
file is an error of ``plan`` and ``apply`` on backends that fire on this host, before
anything is written. Runs the real console script.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.reconcile.conftest import job, manifest_doc
from tests.support.cli import CRONIX, assert_one_line_error, run_cronix

REF = "file:/etc/cronix/secret"
DEFAULT_TRIGGER_BIN = "/usr/local/bin/cronix"  # the documented install path


def _files(tmp_path: Path) -> tuple[Path, list[str]]:
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps(manifest_doc("billing", job("ping", "@hourly"))))
    (tmp_path / "cronix.yaml").write_text("{}\n")  # no trigger_bin: the default
    flags = [
        "--config", str(tmp_path / "cronix.yaml"), "--manifest", str(manifest), "--secret-ref", REF,
        "--crontab-path", str(tmp_path / "crontab"), "--spec-dir", str(tmp_path / "jobs"),
    ]  # fmt: skip
    return manifest, flags


@pytest.mark.skipif(
    os.access(DEFAULT_TRIGGER_BIN, os.X_OK), reason=f"{DEFAULT_TRIGGER_BIN} exists here, so it is used"
)
def test_the_default_falls_back_to_the_running_cronix(tmp_path: Path) -> None:
    _, flags = _files(tmp_path)
    proc = run_cronix("apply", *flags, "--lock-path", str(tmp_path / "lock"))
    assert proc.returncode == 0, proc.stderr
    assert f"0 * * * * {CRONIX} trigger billing.ping\n" in (tmp_path / "crontab").read_text()
    assert "is not an executable file" not in proc.stderr


@pytest.mark.parametrize("kind", ["missing", "not-executable", "directory"])
def test_a_trigger_bin_that_cannot_run_is_a_plan_error(tmp_path: Path, kind: str) -> None:
    _, flags = _files(tmp_path)
    bad = tmp_path / "bin" / "cronix"
    if kind != "missing":
        bad.parent.mkdir()
        if kind == "directory":
            bad.mkdir()
        else:
            bad.write_text("#!/bin/sh\n")
            bad.chmod(0o644)
    for command in (["plan"], ["apply", "--lock-path", str(tmp_path / "lock")]):
        proc = run_cronix(*command, *flags, "--trigger-bin", str(bad))
        assert_one_line_error(proc, 3, f"trigger_bin {bad} is not an executable file", "--trigger-bin")
    assert not (tmp_path / "crontab").exists()
    assert not (tmp_path / "jobs").exists()


def test_a_configured_trigger_bin_is_kept_as_given(tmp_path: Path) -> None:
    """Only the documented default falls back; a path the operator chose is never replaced."""
    _, flags = _files(tmp_path)
    (tmp_path / "cronix.yaml").write_text("trigger_bin: /opt/nowhere/cronix\n")
    proc = run_cronix("plan", *flags)
    assert_one_line_error(proc, 3, "trigger_bin /opt/nowhere/cronix is not an executable file")


def test_the_help_says_the_default_falls_back_to_the_running_cronix() -> None:
    for command in ("plan", "apply", "drift"):
        proc = run_cronix(command, "--help")
        assert proc.returncode == 0, proc.stderr
        flat = " ".join(proc.stdout.split())
        assert (
            "--trigger-bin PATH The cronix executable entries run [trigger_bin in cronix.yaml, else" in flat
        )
        assert (
            "/usr/local/bin/cronix; where that default does not exist, the cronix running this command]"
            in flat
        )
