"""``policy.jitter_seconds`` in the trigger: a stable per-(host, job) delay (D-723).

A thousand hosts whose cron starts the same job at 00:00:00 hit the app in the same
second. With ``jitter_seconds: N`` each fire waits ``delay_seconds(host, app, job, N)``
— a number in ``[0, N]`` derived from a hash of the host name and the job, so it is the
same on every run of one host (its fires stay evenly spaced, its metrics comparable) and
spread across hosts — after the occurrence is known and before the job's lock is taken
(the wait holds nothing). The fire id and ``X-Cron-Fire-Time`` stay the occurrence's; only
``X-Cron-Fire-Time-Actual`` moves. A SIGTERM during the wait ends the fire as terminated.

A scheduler that delays on its own (systemd's ``RandomizedDelaySec=`` with
``FixedRandomDelay=true``, which is stable per machine and timer) sets
:data:`NATIVE_ENV` in the fire's environment: the trigger then does not wait again, and
looks back over the whole window for the occurrence its late start belongs to.
"""

from __future__ import annotations

import hashlib
import os
import socket
from typing import TYPE_CHECKING, Protocol

from cronix.trigger.firetime import WINDOW_SECONDS

if TYPE_CHECKING:
    from cronix.protocol.manifest import Job

__all__ = ["NATIVE_ENV", "delay_seconds", "lookback_seconds", "wait"]

#: Set (to ``1``) by a backend whose scheduler applies the jitter itself (systemd).
NATIVE_ENV = "CRONIX_JITTER_NATIVE"


class _Sleeper(Protocol):
    def now(self) -> float: ...
    def sleep(self, seconds: float, lock: None) -> bool: ...


def delay_seconds(host: str, app: str, job: str, jitter_seconds: int) -> float:
    """The delay of ``app.job`` on ``host``: uniform over ``[0, jitter_seconds]``, in milliseconds."""
    if jitter_seconds <= 0:
        return 0.0
    digest = hashlib.sha256(f"cronix-jitter\0{host}\0{app}.{job}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") % (jitter_seconds * 1000 + 1)) / 1000


def _native() -> bool:
    return os.environ.get(NATIVE_ENV, "") not in ("", "0")


def lookback_seconds(job: Job) -> int:
    """How far back the trigger's clock looks for its occurrence: a minute, plus the
    scheduler's own delay when it applied the jitter."""
    return WINDOW_SECONDS + (job.policy.jitter_seconds if _native() else 0)


def wait(app: str, job: Job, clock: _Sleeper) -> float:
    """Wait this host's delay for the job (none without jitter, or when the scheduler
    waited already); return the clock after it (the fire's actual time)."""
    seconds = job.policy.jitter_seconds
    if seconds and not _native():
        clock.sleep(delay_seconds(socket.gethostname(), app, job.name, seconds), None)
    return clock.now()
