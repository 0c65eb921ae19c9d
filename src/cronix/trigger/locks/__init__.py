"""Concurrency locks held for a whole fire: ``flock`` on the host, Redis across hosts.

Both keep the reference's on-disk and in-Redis formats (DESIGN §2) so a Go shim and this
one, on the same host or sharing a Redis, exclude each other. A lock is taken once
before the first attempt and released after the last (all retries and sleeps included).

* :mod:`~cronix.trigger.locks.flock` — ``<dir>/<app>.<job>.lock`` + ``.holder`` sidecar;
  ``Replace`` signals a local holder.
* :mod:`~cronix.trigger.locks.redis` — ``cronix:lock:<app>.<job>`` with a random token,
  refreshed while the fire runs; imports ``redis`` only when used.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["LockContended", "LockError", "LockHandle"]


class LockContended(Exception):
    """Someone else holds the lock (exit 4, or 75 when configured)."""


class LockError(Exception):
    """The lock could not be taken or checked for another reason (exit 3)."""


class LockHandle(Protocol):
    """A held lock. ``lost()`` names why the lock is no longer ours, or returns ``None``."""

    def lost(self) -> str | None: ...

    def wait_lost(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; return early (``True``) when the lock is lost."""
        ...

    def release(self) -> None:
        """Give the lock up (idempotent); raise :class:`LockError` when that failed."""
        ...
