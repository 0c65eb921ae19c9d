"""Global locks in Redis for ``concurrency_scope: global``, compatible with the reference.

Key ``<prefix><app>.<job>`` (default prefix ``cronix:lock:``), value a random 32-hex
token, set with ``SET key token NX PX ttl``. Release is compare-and-delete and refresh is
compare-and-expire (Lua, so no other holder's lock is ever touched).

The reference sets a TTL of ``timeout + 30 s`` and never refreshes, so a fire with retries
outlives its lock. Here (D-206) the TTL is short (``locks.redis.ttl_seconds``, default
30 s) and a background thread refreshes it every TTL/3 while the fire runs. The lock counts as
**lost** when a refresh finds another token, or when no refresh has succeeded for a whole
TTL (Redis down, network gone): from then on another host may hold it, so the fire ends.
A shim killed with ``kill -9`` stops refreshing and its key expires within one TTL.

``redis`` (the ``redis`` extra) is imported only here, and only when a job needs it.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import TYPE_CHECKING, Any

from cronix.protocol.redislocks import COMPARE_AND_DELETE, COMPARE_AND_EXPIRE
from cronix.trigger.locks import LockContended, LockError

if TYPE_CHECKING:
    from cronix.config import RedisConfig

__all__ = ["RedisHandle", "RedisLocks"]

_RELEASE = COMPARE_AND_DELETE
_REFRESH = COMPARE_AND_EXPIRE


class RedisHandle:
    def __init__(self, client: Any, key: str, token: str, ttl: float) -> None:
        self.key = key
        self._client = client
        self._token = token
        self._ttl = ttl
        self._lost: str | None = None
        self._lost_event = threading.Event()
        self._stop = threading.Event()
        self._last_ok = time.monotonic()
        self._thread = threading.Thread(target=self._refresh_loop, name="cronix-lock-refresh", daemon=True)
        self._thread.start()

    def lost(self) -> str | None:
        return self._lost

    def wait_lost(self, seconds: float) -> bool:
        return self._lost_event.wait(seconds) if seconds > 0 else self._lost_event.is_set()

    def _mark_lost(self, reason: str) -> None:
        self._lost = reason
        self._lost_event.set()

    def _refresh_loop(self) -> None:
        interval = self._ttl / 3
        while not self._stop.wait(interval):
            try:
                ok = self._client.eval(_REFRESH, 1, self.key, self._token, int(self._ttl * 1000))
            except Exception as exc:  # any client error: Redis unreachable or failing
                if time.monotonic() - self._last_ok >= self._ttl:
                    self._mark_lost(f"no refresh for {self._ttl:g}s, Redis unreachable: {_describe(exc)}")
                    return
                continue
            if not ok:
                self._mark_lost("lock key expired or taken by another holder (token mismatch)")
                return
            self._last_ok = time.monotonic()

    def release(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join()
        try:
            self._client.eval(_RELEASE, 1, self.key, self._token)
        except Exception as exc:
            if self._lost is None:  # a lost lock was already reported; nothing more to say
                raise LockError(f"release {self.key}: {_describe(exc)}") from None
        finally:
            self._client.close()


class RedisLocks:
    """Locks in one Redis (``locks.redis`` of cronix.yaml)."""

    def __init__(self, config: RedisConfig, password: str | None, ttl: float) -> None:
        self._config = config
        self._password = password
        self.ttl = ttl

    def key_for(self, key: str) -> str:
        if not key or any(c in key for c in " \r\n\0"):
            raise LockError(f"invalid lock key {key!r}")
        return self._config.key_prefix + key

    def _client(self) -> Any:
        try:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError:
            from cronix.protocol.extras import install_hint

            raise LockError(
                f"concurrency_scope: global needs the 'redis' extra: {install_hint('redis')}"
            ) from None
        host, _, port = self._config.addr.rpartition(":")
        if not host or not port.isdigit():
            raise LockError(f"locks.redis.addr must be host:port, got {self._config.addr!r}")
        io_timeout = min(5.0, self.ttl / 3)
        return redis.Redis(
            host=host.strip("[]"),
            port=int(port),
            db=self._config.db,
            username=self._config.username or None,
            password=self._password or None,
            ssl=self._config.tls,
            socket_timeout=io_timeout,
            socket_connect_timeout=io_timeout,
            # The refresh loop is the retry policy; the client's own retries would only
            # delay noticing that Redis is gone.
            retry=Retry(NoBackoff(), 0),
        )

    def acquire(self, key: str) -> RedisHandle:
        """One try: :class:`LockContended` when another token holds the key."""
        full = self.key_for(key)
        client = self._client()
        token = secrets.token_hex(16)
        try:
            ok = client.set(full, token, nx=True, px=int(self.ttl * 1000))
        except Exception as exc:
            client.close()
            raise LockError(f"redis {self._config.addr}: {_describe(exc)}") from None
        if not ok:
            client.close()
            raise LockContended(full)
        return RedisHandle(client, full, token, self.ttl)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
