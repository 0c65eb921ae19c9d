"""The apply-wide lock: one ``flock`` held for a whole apply on backends with local state.

Two applies on one host (a timer and an operator, say) must not interleave their
read-modify-write of the crontab or the spec files. The second one waits up to
``timeout`` seconds (0: do not wait) and then fails with a message naming the holder.
The lock file records the holder's pid for that message; the lock itself is the
``flock``, released by the kernel even when the holder is killed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cronix.errors import ApplyError

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
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o755, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise ApplyError(f"cannot open the apply lock {path}: {exc.strerror or exc}") from None
    try:
        _acquire(fd, path, timeout, on_wait)
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid={os.getpid()}\nhost={socket.gethostname()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _acquire(fd: int, path: str, timeout: float, on_wait: Callable[[str], None] | None) -> None:
    deadline = time.monotonic() + max(timeout, 0)
    announced = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        holder = _holder(fd)
        if time.monotonic() >= deadline:
            raise ApplyLockTimeout(
                f"another cronix apply{holder} holds {path}; gave up after {timeout:g} s "
                "(wait longer with --lock-timeout SECONDS)"
            )
        if on_wait is not None and not announced:
            on_wait(f"waiting for another cronix apply{holder} to release {path}")
            announced = True
        time.sleep(0.05)


def _holder(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        text = os.pread(fd, 256, 0).decode("utf-8", "replace")
        pid = next((line[4:] for line in text.splitlines() if line.startswith("pid=")), "")
        if pid.isdigit():
            return f" (pid {pid})"
    return ""


def hold_apply_lock(
    settings: LockSettings | None, *, local_state: bool
) -> contextlib.AbstractContextManager[None]:
    """The apply lock for a backend whose state is local; nothing to hold otherwise (or without settings)."""
    if settings is None or not local_state:
        return contextlib.nullcontext()
    return apply_lock(settings.path, settings.timeout_seconds, on_wait=settings.on_wait)
