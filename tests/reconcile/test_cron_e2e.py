"""End to end: a real cron daemon (Debian's) fires an entry that ``cronix apply`` wrote.

Uses a running cron daemon if there is one (only one can run), otherwise starts
``/usr/sbin/cron -f`` for the test and stops it afterwards. The entry goes to a dotless
file in ``/etc/cron.d`` (cron ignores dotted names) in the system format, and its
"trigger" is a small script that records that it ran.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reconcile.conftest import job, manifest_doc, run_cronix
from tests.support.procs import require_binary, running, wait_until

PIDFILE = Path("/var/run/crond.pid")


def _daemon_alive() -> bool:
    try:
        pid = int(PIDFILE.read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return False
    return True


@pytest.fixture
def cron_daemon(tmp_path: Path) -> Iterator[None]:
    cron = require_binary("cron", "cron")
    if _daemon_alive():
        yield
        return
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(
                running([cron, "-f", "-L", "15"], ready=_daemon_alive, log=tmp_path / "cron.log")
            )
        except RuntimeError:
            if not _daemon_alive():  # not merely lost a race with another test's daemon
                raise
        yield


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_cron_fires_an_entry_written_by_apply(tmp_path: Path, cron_daemon: None) -> None:
    fired = tmp_path / "fired.log"
    trigger = tmp_path / "fake-cronix"
    trigger.write_text(f'#!/bin/sh\necho "$@" >> {fired}\n')
    trigger.chmod(0o755)
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps(manifest_doc("e2e", job("tick", "* * * * *"))))
    target = Path(f"/etc/cron.d/cronix-e2e-{secrets.token_hex(4)}")
    flags = ["--crontab-path", str(target), "--trigger-bin", str(trigger)]
    try:
        result = run_cronix(
            [
                "apply",
                "--manifest",
                str(manifest),
                *flags,
                "--spec-dir",
                str(tmp_path / "jobs"),
                "--lock-path",
                str(tmp_path / "lock"),
            ]
        )
        assert result.returncode == 0, result.stderr
        assert f"* * * * * root {trigger} trigger e2e.tick\n" in target.read_text()
        assert target.stat().st_mode & 0o777 == 0o644
        wait_until(
            lambda: fired.exists() and "trigger e2e.tick" in fired.read_text(), timeout=130, interval=1
        )
    finally:
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
