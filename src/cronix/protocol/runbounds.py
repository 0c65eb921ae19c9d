"""How long one fire of a job may take under its policy: the one definition of that worst case.

A fire is every attempt at its whole ``timeout_seconds``, each backoff at its cap
(``max(min_seconds, max_seconds)`` plus the 10 % jitter of :mod:`cronix.trigger.retry`)
and, for ``Replace``, the wait for the previous holder to go. systemd bounds a service by
it (``TimeoutStartSec=``, D-120) and the "running too long" alert fires past it (D-702): a
run longer than this is not slow, it is stuck.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cronix.protocol.manifest import Policy

__all__ = ["longest_fire_seconds"]


def longest_fire_seconds(policy: Policy) -> float:
    """Seconds one fire may take under ``policy``, at the worst."""
    attempts = max(policy.retries.max_attempts, 1)
    backoff = 1.1 * max(policy.retries.min_seconds, policy.retries.max_seconds)
    lock_wait = max(policy.timeout_seconds / 2, 5.0) if policy.concurrency == "Replace" else 0.0
    return attempts * policy.timeout_seconds + (attempts - 1) * backoff + lock_wait
