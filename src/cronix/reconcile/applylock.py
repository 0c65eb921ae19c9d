"""The apply-wide lock: one ``flock`` held for a whole apply on backends with local state.

Two applies on one host (a timer and an operator, say) must not interleave their
read-modify-write of the crontab or the spec files. The second one waits up to
``timeout`` seconds (0: do not wait) and then fails with a message naming the holder.
The lock file records the holder (``pid=…\nhost=…\n``) for that message; the lock itself
is the ``flock``, released by the kernel even when the holder is killed. Taking, recording
and polling is :class:`cronix.flocks.FileLock`, shared with the trigger's locks.
"""

from __future__ import annotations

import contextlib
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
            on_wait(f"waiting for another cronix apply{_named(holder)} to release {path}")

    try:
        acquired = lock.acquire(timeout, on_wait=waiting)
    except LockFileError as exc:
        verb = "open" if exc.step == "open" else "lock"
        raise ApplyError(f"cannot {verb} the apply lock {path}: {exc.reason}") from None
    if not acquired:
        raise ApplyLockTimeout(
            f"another cronix apply{_named(lock.holder())} holds {path}; gave up after {timeout:g} s "
            "(wait longer with --lock-timeout SECONDS)"
        )
    try:
        yield
    finally:
        lock.release()  # closing the descriptor releases the flock


def _named(holder: Holder | None) -> str:
    return f" (pid {holder.pid})" if holder is not None else ""


def hold_apply_lock(
    settings: LockSettings | None, *, local_state: bool
) -> contextlib.AbstractContextManager[None]:
    """The apply lock for a backend whose state is local; nothing to hold otherwise (or without settings)."""
    if settings is None or not local_state:
        return contextlib.nullcontext()
    return apply_lock(settings.path, settings.timeout_seconds, on_wait=settings.on_wait)
