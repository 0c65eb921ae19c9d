"""Host-local locks with ``flock(2)``, byte-compatible with the reference's gofrs/flock files.

Files (never deleted, so a waiting peer never locks an unlinked inode)::

    <dir>/<app>.<job>.lock      the lock: fcntl.flock(LOCK_EX | LOCK_NB) — not lockf/POSIX
                                record locks, which Go's flock would not see
    <dir>/<app>.<job>.holder    "pid=<pid>\\nhost=<hostname>\\n", written after locking,
                                removed before unlocking

The kernel drops a ``flock`` when its holder dies, so a shim killed with ``kill -9``
never blocks the next fire; its stale sidecar is simply overwritten. Taking, recording
and polling the lock is :class:`cronix.flocks.FileLock` (shared with the apply lock);
this module owns the file names and what contention means for a fire.

``Replace`` (reference §2.2): if the lock is held by a process on this host, send it
SIGTERM and poll for the lock every 50 ms until ``wait_seconds`` pass.
"""

from __future__ import annotations

import os
import signal
import socket
import time

from cronix.flocks import FileLock, LockFileError
from cronix.trigger.locks import LockContended, LockError

__all__ = ["FlockHandle", "FlockLocks"]


class FlockHandle:
    """A held fire lock; ``release`` removes the sidecar, then unlocks."""

    def __init__(self, lock: FileLock) -> None:
        self._lock = lock

    def lost(self) -> str | None:
        return None  # a flock cannot be taken away from a live holder

    def wait_lost(self, seconds: float) -> bool:
        if seconds > 0:
            time.sleep(seconds)
        return False

    def release(self) -> None:
        try:
            self._lock.release()
        except OSError as exc:
            raise LockError(f"remove {self._lock.holder_path}: {exc.strerror}") from None


class FlockLocks:
    """Locks under one directory (created 0755 on first use)."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def _lock(self, key: str) -> FileLock:
        if not key or any(c in key for c in "/\\\0"):
            raise LockError(f"invalid lock key {key!r}")
        base = os.path.join(self.directory, key)
        return FileLock(base + ".lock", holder_path=base + ".holder")

    def acquire(self, key: str) -> FlockHandle:
        """One non-blocking try: :class:`LockContended` when held."""
        lock = self._lock(key)
        if not _try(lock):
            raise LockContended(key)
        return FlockHandle(lock)

    def acquire_or_replace(self, key: str, wait_seconds: float) -> tuple[FlockHandle, bool]:
        """Take the lock, SIGTERM-ing a holder on this host if needed (reference §2.2).

        Returns the handle and whether a holder was actually replaced.
        """
        lock = self._lock(key)
        if _try(lock):
            return FlockHandle(lock), False
        holder = lock.holder()
        if holder is None or holder.host != socket.gethostname() or holder.pid == os.getpid():
            raise LockContended(key)
        try:
            os.kill(holder.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass  # already gone; the kernel has dropped (or is dropping) its flock
        except OSError as exc:
            raise LockError(f"signal holder pid {holder.pid}: {exc.strerror}") from None
        try:
            if not lock.acquire(wait_seconds):
                raise LockContended(key)
        except LockFileError as exc:
            raise LockError(str(exc)) from None
        return FlockHandle(lock), True


def _try(lock: FileLock) -> bool:
    try:
        return lock.try_acquire()
    except LockFileError as exc:
        raise LockError(str(exc)) from None
