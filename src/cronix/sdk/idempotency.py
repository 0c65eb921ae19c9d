"""Run-id deduplication: a handler runs at most once per ``X-Cron-Run-Id`` that succeeded.

The trigger shim retries when it gets no answer or a 5xx, with the same run id on every
attempt. If the first attempt's handler ran but its response was lost, the retry would
run it again; with a store configured (``Cron(idempotency=...)``) the SDK claims
``<app>:<job>:<run id>`` before calling the handler instead:

* claimed → the handler runs. A 2xx outcome marks the run *done* (kept ``ttl_seconds``);
  an exception or a non-2xx outcome releases the claim, so the shim's retry runs it again.
* already done → ``200 AlreadyHandled`` without running (the shim stops retrying).
* in progress elsewhere → ``503 RunInProgress`` (the shim retries later, and by then the
  first run is done or has released its claim).

A claim is a lease (``lease_seconds``): if the process dies mid-run, the run id becomes
claimable again when the lease expires. Requests without a run id are not deduplicated.
Semantics are recorded in ``spec/DECISIONS.md`` D-307.

Two stores: :class:`MemoryIdempotencyStore` (one process; bounded, with TTL) and
:class:`RedisIdempotencyStore` (shared by every replica; ``SET NX PX`` plus
compare-and-set scripts so a stale lease holder cannot overwrite a newer claim). The
``redis`` package is imported only when a Redis store is built from a URL.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "DEFAULT_DONE_TTL_SECONDS",
    "Claim",
    "IdempotencyStore",
    "MemoryIdempotencyStore",
    "RedisIdempotencyStore",
    "RunState",
]

DEFAULT_DONE_TTL_SECONDS = 24 * 3600
RunState = Literal["in_progress", "done"]


@dataclass(frozen=True, slots=True)
class Claim:
    """Proof that this process holds the run; ``token`` distinguishes it from later claims."""

    key: str
    token: str


class IdempotencyStore(Protocol):
    """What the dispatcher needs from a store. ``blocking`` stores are called off the event loop."""

    blocking: bool

    def begin(self, key: str, *, lease_seconds: float) -> Claim | RunState:
        """Claim ``key``, or say why not: it is ``"done"`` or ``"in_progress"``."""
        ...

    def finish(self, claim: Claim) -> None:
        """Mark the claimed run done (kept for the store's TTL)."""
        ...

    def release(self, claim: Claim) -> None:
        """Give the claim up so a retry can run the handler again."""
        ...


def _token() -> str:
    return secrets.token_hex(12)


@dataclass(slots=True)
class _Entry:
    state: RunState
    token: str
    expires_at: float


class MemoryIdempotencyStore:
    """In-process store: thread-safe, entries expire, at most ``max_entries`` kept.

    When full, expired entries go first, then the oldest. It deduplicates only within one
    process, so it fits one-replica apps; use :class:`RedisIdempotencyStore` otherwise.
    """

    blocking = False

    def __init__(
        self,
        *,
        ttl_seconds: float = DEFAULT_DONE_TTL_SECONDS,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._purge(self._clock())
            return len(self._entries)

    def begin(self, key: str, *, lease_seconds: float) -> Claim | RunState:
        with self._lock:
            now = self._clock()
            entry = self._entries.get(key)
            if entry is not None and entry.expires_at > now:
                return entry.state
            token = _token()
            self._entries[key] = _Entry("in_progress", token, now + lease_seconds)
            self._entries.move_to_end(key)
            if len(self._entries) > self.max_entries:
                self._purge(now)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            return Claim(key, token)

    def finish(self, claim: Claim) -> None:
        with self._lock:
            entry = self._entries.get(claim.key)
            if entry is not None and entry.token == claim.token:
                entry.state = "done"
                entry.expires_at = self._clock() + self.ttl_seconds

    def release(self, claim: Claim) -> None:
        with self._lock:
            entry = self._entries.get(claim.key)
            if entry is not None and entry.token == claim.token:
                del self._entries[claim.key]

    def _purge(self, now: float) -> None:
        for key in [k for k, e in self._entries.items() if e.expires_at <= now]:
            del self._entries[key]


# KEYS[1] = run key; ARGV[1] = our claim value; ARGV[2] = TTL in ms.
_FINISH = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
_IN_PROGRESS_PREFIX = "in_progress:"


class RedisIdempotencyStore:
    """Store shared by all replicas, in Redis: one key per run, ``<prefix><app>:<job>:<run id>``.

    A claim is ``SET key in_progress:<token> NX PX <lease>``; finishing and releasing are
    Lua compare-and-set scripts on that exact value. Pass a ``redis.Redis`` client, or a
    ``url`` (needs the ``redis`` extra: ``pip install 'cronix[redis]'``).
    """

    blocking = True

    def __init__(
        self,
        client: Any = None,
        *,
        url: str | None = None,
        prefix: str = "cronix:run:",
        ttl_seconds: float = DEFAULT_DONE_TTL_SECONDS,
    ) -> None:
        if (client is None) == (url is None):
            raise ValueError("pass exactly one of a redis client or url=")
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        if client is None:
            try:
                import redis
            except ImportError as exc:
                raise ImportError(
                    "RedisIdempotencyStore needs the redis package: pip install 'cronix[redis]'"
                ) from exc
            client = redis.Redis.from_url(url or "")
        self._client = client
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds

    def begin(self, key: str, *, lease_seconds: float) -> Claim | RunState:
        full = self.prefix + key
        token = _IN_PROGRESS_PREFIX + _token()
        lease_ms = max(int(lease_seconds * 1000), 1)
        # Two tries: the key may expire between a failed SET NX and the GET.
        for _ in range(2):
            if self._client.set(full, token, nx=True, px=lease_ms):
                return Claim(full, token)
            current = self._client.get(full)
            if current is None:
                continue
            value = current.decode() if isinstance(current, bytes) else str(current)
            return "in_progress" if value.startswith(_IN_PROGRESS_PREFIX) else "done"
        return "in_progress"

    def finish(self, claim: Claim) -> None:
        self._client.eval(_FINISH, 1, claim.key, claim.token, int(self.ttl_seconds * 1000))

    def release(self, claim: Claim) -> None:
        self._client.eval(_RELEASE, 1, claim.key, claim.token)
