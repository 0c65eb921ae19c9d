"""Host-local locks with ``flock(2)``, byte-compatible with the reference's gofrs/flock files.

Files (never deleted, so a waiting peer never locks an unlinked inode)::

    <dir>/<app>.<job>.lock      the lock: fcntl.flock(LOCK_EX | LOCK_NB) — not lockf/POSIX
                                record locks, which Go's flock would not see
    <dir>/<app>.<job>.holder    "pid=<pid>\\nhost=<hostname>\\n", written after locking,
                                removed before unlocking

The kernel drops a ``flock`` when its holder dies, so a shim killed with ``kill -9``
never blocks the next fire; its stale sidecar is simply overwritten.

``Replace`` (reference §2.2): if the lock is held by a process on this host, send it
SIGTERM and poll for the lock every 50 ms until ``wait_seconds`` pass.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import signal
import socket
import time

from cronix.trigger.locks import LockContended, LockError

__all__ = ["FlockHandle", "FlockLocks", "Holder", "parse_holder"]

_POLL_SECONDS = 0.05


class Holder:
    __slots__ = ("host", "pid")

    def __init__(self, pid: int, host: str) -> None:
        self.pid = pid
        self.host = host


def parse_holder(text: str) -> Holder | None:
    """Parse a ``.holder`` sidecar the way the reference does; ``None`` when unusable."""
    pid = 0
    host = ""
    for line in text.split("\n"):
        key, sep, value = line.partition("=")
        if not sep:
            continue
        if key == "pid":
            try:
                pid = int(value.strip())
            except ValueError:
                return None
        elif key == "host":
            host = value.strip()
    return Holder(pid, host) if pid > 0 else None


class FlockHandle:
    def __init__(self, fd: int, holder_path: str) -> None:
        self._fd: int | None = fd
        self._holder_path = holder_path

    def lost(self) -> str | None:
        return None

    def wait_lost(self, seconds: float) -> bool:
        if seconds > 0:
            time.sleep(seconds)
        return False

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.unlink(self._holder_path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            os.close(fd)
            raise LockError(f"remove {self._holder_path}: {exc.strerror}") from None
        os.close(fd)  # closing the last descriptor drops the flock


class FlockLocks:
    """Locks under one directory (created 0755 on first use)."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def _paths(self, key: str) -> tuple[str, str]:
        if not key or any(c in key for c in "/\\\0"):
            raise LockError(f"invalid lock key {key!r}")
        base = os.path.join(self.directory, key)
        return base + ".lock", base + ".holder"

    def acquire(self, key: str) -> FlockHandle:
        """One non-blocking try: :class:`LockContended` when held."""
        lock_path, holder_path = self._paths(key)
        try:
            os.makedirs(self.directory, mode=0o755, exist_ok=True)
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise LockError(f"open {lock_path}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise LockContended(key) from None
            raise LockError(f"flock {lock_path}: {exc.strerror}") from None
        _write_holder(holder_path)
        return FlockHandle(fd, holder_path)

    def acquire_or_replace(self, key: str, wait_seconds: float) -> tuple[FlockHandle, bool]:
        """Take the lock, SIGTERM-ing a holder on this host if needed (reference §2.2).

        Returns the handle and whether a holder was actually replaced.
        """
        try:
            return self.acquire(key), False
        except LockContended:
            pass
        holder_path = self._paths(key)[1]
        try:
            with open(holder_path, encoding="utf-8", errors="replace") as fh:
                holder = parse_holder(fh.read())
        except OSError:
            holder = None
        if holder is None or holder.host != socket.gethostname() or holder.pid == os.getpid():
            raise LockContended(key)
        try:
            os.kill(holder.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass  # already gone; the kernel has dropped (or is dropping) its flock
        except OSError as exc:
            raise LockError(f"signal holder pid {holder.pid}: {exc.strerror}") from None
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                return self.acquire(key), True
            except LockContended:
                if time.monotonic() > deadline:
                    raise
            time.sleep(_POLL_SECONDS)


def _write_holder(path: str) -> None:
    """Best effort, like the reference, but atomic so a reader never sees half a file."""
    from cronix.fileio import write_atomic

    with contextlib.suppress(OSError):
        write_atomic(path, f"pid={os.getpid()}\nhost={socket.gethostname()}\n".encode(), fsync=False)
