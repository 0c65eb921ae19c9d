"""The apply-wide lock: one ``flock`` held for a whole apply on backends with local state.

Two applies on one host (a timer and an operator, say) must not interleave their
read-modify-write of the crontab or the spec files. The second one waits up to
``timeout`` seconds (0: do not wait) and then fails with a message naming the holder.
The holder's pid in that message is the kernel's answer (``/proc/locks``), not the pid
the lock file records: that one is the last apply's and goes stale (D-158). The lock
itself is the ``flock``, released by the kernel even when the holder is killed.
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
    """`` (pid N)`` of the process that holds the lock, or ``""`` when that cannot be told.

    The kernel knows (``/proc/locks`` lists each flock with its owner's pid and the file's
    device and inode); the pid recorded in the file is only the *last* apply's, which may
    have exited long ago while something else — another tool, ``flock(1)`` — holds the
    lock now. So the recorded pid is shown only when the kernel cannot be asked and that
    process is still alive on this host.
    """
    owner = _kernel_holder(fd)
    if owner is not None:
        return f" (pid {owner})"
    with contextlib.suppress(OSError, ValueError):
        text = os.pread(fd, 256, 0).decode("utf-8", "replace")
        fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
        pid = fields.get("pid", "")
        if (
            pid.isdigit()
            and fields.get("host", socket.gethostname()) == socket.gethostname()
            and _alive(int(pid))
        ):
            return f" (pid {pid})"
    return ""


def _kernel_holder(fd: int) -> int | None:
    """The pid ``/proc/locks`` gives for the flock on ``fd``'s file (Linux; ``None`` elsewhere)."""
    try:
        st = os.fstat(fd)
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
