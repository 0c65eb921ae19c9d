"""Backoff between attempts: the reference's exponential curve plus a small jitter (D-203).

After attempt ``n`` (1-based) the shim sleeps ``min(min_seconds·2^(n−1), max_seconds)``
seconds — the reference's ``compute_backoff`` — plus a jitter drawn uniformly from
``[0, 10 %]`` of that delay. The jitter spreads hosts that fire the same job at the same
second so their retries do not hit the app in lock step; it only ever lengthens a delay,
by at most a tenth, so the total time of a fire stays bounded by the policy:
``max_attempts·timeout_seconds + 1.1·Σ backoff(n)``.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["JITTER_FRACTION", "backoff_seconds", "jittered"]

JITTER_FRACTION = 0.1


def backoff_seconds(attempt: int, min_seconds: float, max_seconds: float) -> float:
    """The delay after ``attempt``, without jitter (the reference's exact curve)."""
    delay = float(min_seconds)
    for _ in range(attempt - 1):
        delay *= 2
        if delay >= max_seconds:
            return float(max_seconds)
    return max(delay, float(min_seconds))


def jittered(delay: float, rand: Callable[[], float] | None = None) -> float:
    """``delay`` plus up to :data:`JITTER_FRACTION` of it (``rand`` returns a float in [0, 1))."""
    return delay + delay * JITTER_FRACTION * (rand or random.random)()
