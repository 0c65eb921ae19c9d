"""The apply-lock messages name the process that holds the lock now (issue 14, smaller items).

The lock file records the pid of the last apply that held it; once that apply has exited
the pid is stale, and naming it sent an operator after the wrong process. The holder here
is real and not cronix: ``flock(1)`` from util-linux, holding the file while the recorded
pid belongs to a process that has finished.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.reconcile.conftest import Host, job
from tests.support.procs import require_binary, wait_until


def _finished_pid() -> int:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(proc.stdout)


def test_the_wait_and_timeout_messages_name_the_real_holder(host: Host) -> None:
    flock = require_binary("flock", "util-linux")
    lock = host.root / "apply.lock"
    stale = _finished_pid()
    lock.write_text(f"pid={stale}\nhost=this-host\n")
    holder = subprocess.Popen([flock, str(lock), "sleep", "30"])
    try:
        wait_until(lambda: _held(lock), timeout=10)
        result = host.apply(host.manifest("billing", job("ping", "@hourly")), "--lock-timeout", "0.3")
    finally:
        holder.kill()
        holder.wait()
    assert result.code == 1
    assert f"waiting for another cronix apply (pid {holder.pid})" in result.err
    assert f"another cronix apply (pid {holder.pid}) holds {lock}" in result.err
    assert str(stale) not in result.err
    assert not host.crontab.exists()


def _held(lock: Path) -> bool:
    import fcntl

    with open(lock) as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False
