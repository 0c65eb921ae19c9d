"""One way to hold an ``flock(2)`` on a file and say who holds it: the apply lock and the trigger's locks.

Both callers need the same few things, and each used to do them its own way:

* the lock is ``fcntl.flock(LOCK_EX | LOCK_NB)`` — *not* ``lockf``/POSIX record locks,
  which the Go reference's ``flock`` would not see (a Go shim and ours on one host must
  exclude each other) — and the kernel drops it when the holder dies, even by ``kill -9``;
* the lock file is created (its directory 0755) and never deleted, so a waiting peer
  never locks an unlinked inode;
* the holder is recorded as ``pid=<pid>\\nhost=<hostname>\\n`` — in a sidecar file (the
  trigger's ``<app>.<job>.holder``, a reference contract, DESIGN §2) or, without one, in
  the lock file itself (the apply lock) — and parsed the way the reference parses it;
* one non-blocking try, or polling until a timeout, telling the caller once that it waits.

File names, messages and what a contended lock means stay with the callers
(:mod:`cronix.reconcile.applylock`, :mod:`cronix.trigger.locks.flock`). Standard library
only and cheap to import: ``cronix trigger`` takes a lock through this on every fire.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import socket
import time
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["POLL_SECONDS", "FileLock", "Holder", "LockFileError", "holder_text", "parse_holder"]

POLL_SECONDS = 0.05
_CONTENDED = frozenset({errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES})


class Holder(NamedTuple):
    """Who holds a lock, as recorded next to it."""

    pid: int
    host: str


class LockFileError(Exception):
    """The lock file could not be opened or locked for a reason other than another holder.

    ``step`` is ``open`` or ``flock``; the message reads ``<step> <path>: <reason>``.
    """

    def __init__(self, step: str, path: str, exc: OSError) -> None:
        self.step = step
        self.path = path
        self.reason = exc.strerror or str(exc)
        self.errno = exc.errno
        super().__init__(f"{step} {path}: {self.reason}")


def holder_text(pid: int | None = None, host: str | None = None) -> str:
    """The holder record (``pid=…\\nhost=…\\n``), by default for this process on this host."""
    pid = os.getpid() if pid is None else pid
    host = socket.gethostname() if host is None else host
    return f"pid={pid}\nhost={host}\n"


def parse_holder(text: str) -> Holder | None:
    """Parse a holder record the way the reference does; ``None`` when it names no process.

    Lines split at the first ``=``; lines without one are skipped, unknown keys ignored,
    the last occurrence wins; a ``pid`` that is not a number, or none at all, is unusable.
    """
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


class FileLock:
    """An exclusive ``flock`` on ``path``, recorded in ``holder_path`` (or in ``path`` itself).

    Not re-entrant and not shared between threads: one instance is one attempt to hold
    the lock. :meth:`release` (or closing the process) gives it up.
    """

    __slots__ = ("_fd", "holder_path", "path")

    def __init__(self, path: str, *, holder_path: str | None = None) -> None:
        self.path = path
        self.holder_path = holder_path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        """One non-blocking try: ``True`` when the lock is now ours, ``False`` when someone holds it.

        Raises :class:`LockFileError` when the file cannot be opened or locked at all.
        """
        if self._fd is not None:
            return True
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in _CONTENDED:
                return False
            raise LockFileError("flock", self.path, exc) from None
        self._fd = fd
        self._record_holder(fd)
        return True

    def _open(self) -> int:
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
        try:
            try:
                return os.open(self.path, flags, 0o644)
            except FileNotFoundError:  # first use: create the directory (an error here names the file)
                os.makedirs(os.path.dirname(os.path.abspath(self.path)), mode=0o755, exist_ok=True)
                return os.open(self.path, flags, 0o644)
        except OSError as exc:
            raise LockFileError("open", self.path, exc) from None

    def acquire(
        self,
        timeout: float,
        *,
        poll: float = POLL_SECONDS,
        on_wait: Callable[[Holder | None], None] | None = None,
    ) -> bool:
        """Try until the lock is ours or ``timeout`` seconds pass (0: one try); ``False`` on timeout.

        ``on_wait`` is called once, with the recorded holder, when the first try fails and
        there is time left to wait.
        """
        deadline = time.monotonic() + max(timeout, 0.0)
        announced = False
        while not self.try_acquire():
            if time.monotonic() >= deadline:
                return False
            if on_wait is not None and not announced:
                on_wait(self.holder())
                announced = True
            time.sleep(poll)
        return True

    def holder(self) -> Holder | None:
        """The recorded holder, or ``None`` when there is no usable record."""
        try:
            with open(self.holder_path or self.path, "rb") as fh:
                text = fh.read(4096).decode("utf-8", "replace")
        except OSError:
            return None
        return parse_holder(text)

    def release(self) -> None:
        """Give the lock up (idempotent): remove the sidecar, then close the descriptor.

        Raises :class:`OSError` when the sidecar could not be removed — the lock itself is
        released all the same (closing the last descriptor drops the ``flock``).
        """
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if self.holder_path is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.holder_path)
        finally:
            os.close(fd)

    def _record_holder(self, fd: int) -> None:
        """Best effort, like the reference: a lock without a record still excludes."""
        text = holder_text().encode()
        if self.holder_path is None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.pwrite(fd, text, 0)
            return
        from cronix.fileio import write_atomic  # atomic, so a reader never sees half a record

        with contextlib.suppress(OSError):
            write_atomic(self.holder_path, text, fsync=False)
