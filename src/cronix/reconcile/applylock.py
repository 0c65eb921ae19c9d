"""The apply-wide lock: one ``flock`` held for a whole apply on backends with local state.

Two applies on one host (a timer and an operator, say) must not interleave their
read-modify-write of the crontab or the spec files. The second one waits up to
``timeout`` seconds (0: do not wait) and then fails with a message naming the holder.
The holder's pid in that message is the kernel's answer (``/proc/locks``); the record
``pid=…\nhost=…\n`` in the lock file is the *last* apply's and goes stale when something
else — another tool, ``flock(1)`` — holds the lock, so it is named only where the kernel
cannot be asked and that process is alive (D-158). The lock itself is the ``flock``,
released by the kernel even when the holder is killed. Taking, recording and polling is
:class:`cronix.flocks.FileLock`, shared with the trigger's locks.
"""

from __future__ import annotations

import contextlib
import os
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cronix.errors import ApplyError
from cronix.flocks import FileLock, Holder, LockFileError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["ApplyLockTimeout", "LockSettings", "apply_lock", "hold_apply_lock"]


@dataclass(frozen=True, slots=True)
class LockSettings:
    path: str
    timeout_seconds: float
    on_wait: Callable[[str], None] | None = None


class ApplyLockTimeout(ApplyError):
    """Another apply held the lock for longer than the timeout; nothing was changed."""


@contextlib.contextmanager
def apply_lock(path: str, timeout: float, *, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    lock = FileLock(path)  # the holder is recorded in the lock file itself

    def waiting(holder: Holder | None) -> None:
        if on_wait is not None:
            on_wait(f"waiting for another cronix apply{_named(path, holder)} to release {path}")

    try:
        acquired = lock.acquire(timeout, on_wait=waiting)
    except LockFileError as exc:
        verb = "open" if exc.step == "open" else "lock"
        raise ApplyError(f"cannot {verb} the apply lock {path}: {exc.reason}") from None
    if not acquired:
        raise ApplyLockTimeout(
            f"another cronix apply{_named(path, lock.holder())} holds {path}; gave up after {timeout:g} s "
            "(wait longer with --lock-timeout SECONDS)"
        )
    try:
        yield
    finally:
        lock.release()  # closing the descriptor releases the flock


def _named(path: str, recorded: Holder | None) -> str:
    """`` (pid N)`` of the process holding the lock on ``path``, or ``""`` when unknown."""
    owner = _kernel_holder(path)
    if owner is not None:
        return f" (pid {owner})"
    if recorded is not None and recorded.host in ("", socket.gethostname()) and _alive(recorded.pid):
        return f" (pid {recorded.pid})"
    return ""


def _kernel_holder(path: str) -> int | None:
    """The pid ``/proc/locks`` gives for the flock on ``path`` (Linux; ``None`` elsewhere)."""
    try:
        st = os.stat(path)
        with open("/proc/locks", encoding="ascii", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    want = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in lines:
        parts = line.split()
        # "1: FLOCK  ADVISORY  WRITE 18056 fe:00:2146808 0 EOF"; waiters read "1: -> FLOCK ..."
        if len(parts) >= 6 and parts[1] == "FLOCK" and parts[5] == want and parts[4].isdigit():
            return int(parts[4])
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def hold_apply_lock(
    settings: LockSettings | None, *, local_state: bool
) -> contextlib.AbstractContextManager[None]:
    """The apply lock for a backend whose state is local; nothing to hold otherwise (or without settings)."""
    if settings is None or not local_state:
        return contextlib.nullcontext()
    return apply_lock(settings.path, settings.timeout_seconds, on_wait=settings.on_wait)
