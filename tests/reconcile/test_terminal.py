"""Behaviour on a real terminal (a pty): progress on stderr, prune's confirmation prompt."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.reconcile.conftest import BIN, REF, another_cronix, cronix_argv, job, manifest_doc
from tests.support.terminal import run_with_terminal


def _run_on_pty(argv: list[str], answer: bytes = b"") -> tuple[int, str, str]:
    """Run with stdin and stderr on a pty (stdout stays a pipe); return (rc, stdout, terminal)."""
    return run_with_terminal(argv, answer=answer, stdout_to_pipe=True)


def _flags(tmp: Path) -> list[str]:
    return [
        "--crontab-path", str(tmp / "crontab"), "--trigger-bin", BIN,
        "--spec-dir", str(tmp / "jobs"), "--lock-path", str(tmp / "lock"),
    ]  # fmt: skip


def test_progress_is_drawn_on_a_terminal_only(tmp_path: Path) -> None:
    m = tmp_path / "m.json"
    m.write_text(json.dumps(manifest_doc("billing", *[job(f"j{i}") for i in range(12)])))
    rc, out, terminal = _run_on_pty(
        cronix_argv("apply", "--manifest", str(m), "--secret-ref", REF, *_flags(tmp_path))
    )
    assert rc == 0
    assert "[ 0/12] create billing.j0" in terminal
    assert "[12/12] done" in terminal
    assert "\r" in terminal
    assert out.startswith("Apply: backend=crontab created=12")
    assert "[" not in out.splitlines()[0]
    # without a terminal there is no progress at all
    proc = subprocess.run(
        cronix_argv(
            "apply",
            "--manifest",
            str(m),
            "--secret-ref",
            REF,
            *_flags(tmp_path),
            "--trigger-bin",
            another_cronix(tmp_path / "opt" / "cronix"),
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert "/12]" not in proc.stderr


def test_prune_asks_on_a_terminal(tmp_path: Path) -> None:
    m = tmp_path / "m.json"
    m.write_text(json.dumps(manifest_doc("billing", job("ping"))))
    assert (
        subprocess.run(
            cronix_argv("apply", "--manifest", str(m), "--secret-ref", REF, *_flags(tmp_path)), check=False
        ).returncode
        == 0
    )
    rc, _, terminal = _run_on_pty(cronix_argv("prune", *_flags(tmp_path)), answer=b"n\n")
    assert rc == 2
    assert "This will delete 1 cronix-owned entries (1 jobs)" in terminal
    assert "trigger billing.ping" in (tmp_path / "crontab").read_text()
    rc, out, _ = _run_on_pty(cronix_argv("prune", *_flags(tmp_path)), answer=b"y\n")
    assert rc == 0, out
    assert "removed 1 entries across 1 jobs" in out
    assert (tmp_path / "crontab").read_text() == ""
