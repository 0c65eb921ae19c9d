"""Behaviour on a real terminal (a pty): progress on stderr, prune's confirmation prompt."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

from tests.reconcile.conftest import BIN, REF, another_cronix, cronix_argv, job, manifest_doc


def _run_on_pty(argv: list[str], answer: bytes = b"") -> tuple[int, str, str]:
    """Run with stdin and stderr on a pty (stdout stays a pipe); return (rc, stdout, terminal)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=subprocess.PIPE, stderr=slave, env={**os.environ})
    os.close(slave)
    if answer:
        os.write(master, answer)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    assert proc.stdout is not None
    with proc.stdout:
        out = proc.stdout.read().decode()
    rc = proc.wait(timeout=60)
    os.close(master)
    return rc, out, seen.decode(errors="replace")


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
