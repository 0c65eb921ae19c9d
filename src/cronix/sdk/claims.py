"""Claims: the one primitive behind exactly-once fires, run-id dedup and replay protection.

A claim is a lease on a key: the first caller of :meth:`ClaimStore.begin` gets a
:class:`Claim`, everyone else learns the key's state until the holder settles it —
``finish`` keeps it *done* for a while, ``release`` frees it so a retry can run. The SDK
claims, in order (``spec/DECISIONS.md`` D-501, D-503, D-307):

* ``sig:<app>:<v1 hex>`` — an accepted HMAC signature, kept until it leaves the replay
  window, so a captured request cannot be replayed;
* ``jti:<issuer>:<jti>`` — a fire token's id, kept until the token expires;
* ``fire:<fire_id>`` — the occurrence (both strategies), so a redelivery runs once;
* ``<app>:<job>:<run id>`` — HMAC fires without a fire id (the reference trigger).

States a loser sees: ``in_progress`` (the holder is running and has not answered),
``accepted`` (the holder answered 202 and runs in the background) and ``done``.

A lease bounds how long a holder that stopped answering blocks the key: a process that
dies (``kill -9``, an OOM) frees its claims when the lease expires. Three stores:

* :class:`MemoryClaimStore` — one process; bounded, with TTLs. The lease is the whole
  ``lease_seconds`` (a dead process takes its store with it).
* :class:`FileClaimStore` — the processes of one host (gunicorn workers): one small file
  per key under a directory lock; the holder also keeps an ``flock`` on its claim file,
  so a claim whose process died is taken over at once, without waiting for its lease.
* :class:`RedisClaimStore` — every replica: ``SET NX PX`` with compare-and-set scripts
  on the claim token. Its lease is short (``heartbeat_seconds``, 30 s) and a keeper
  thread renews it every third of that until ``lease_seconds`` have passed, so a dead
  replica's claim expires within one heartbeat. ``redis`` is imported only when the store
  is built from a URL.

None of this is a distributed lock for runs longer than their lease (as the prior art
says too): a handler still running after ``lease_seconds`` can overlap a redelivery.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from cronix.protocol.redislocks import COMPARE_AND_DELETE, COMPARE_AND_EXPIRE

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = [
    "DEFAULT_DONE_TTL_SECONDS",
    "DEFAULT_HEARTBEAT_SECONDS",
    "Claim",
    "ClaimState",
    "ClaimStore",
    "FileClaimStore",
    "MemoryClaimStore",
    "RedisClaimStore",
]

DEFAULT_DONE_TTL_SECONDS = 24 * 3600
DEFAULT_HEARTBEAT_SECONDS = 30.0
ClaimState = Literal["in_progress", "accepted", "done"]


@dataclass(frozen=True, slots=True)
class Claim:
    """Proof that this process holds ``key``; ``token`` tells it apart from later claims."""

    key: str
    token: str


class ClaimStore(Protocol):
    """What the dispatcher needs from a store. ``blocking`` stores are called off the event loop."""

    blocking: bool

    def begin(self, key: str, *, lease_seconds: float, accepted: bool = False) -> Claim | ClaimState:
        """Claim ``key`` (as *accepted* when ``accepted``), or return the state that stops us."""
        ...

    def finish(self, claim: Claim, *, keep_seconds: float | None = None) -> None:
        """Mark the claim done, kept ``keep_seconds`` (default: the store's TTL)."""
        ...

    def release(self, claim: Claim) -> None:
        """Give the claim up so a retry can claim the key again."""
        ...

    def remember(self, key: str, *, keep_seconds: float) -> bool:
        """Mark ``key`` done for ``keep_seconds`` unless it is known: ``False`` if it was.

        ``begin`` + ``finish`` in one step (one round trip in Redis), for keys that are
        never run under, like a token's ``jti``.
        """
        ...


def _token() -> str:
    return secrets.token_hex(12)


def _state(accepted: bool) -> ClaimState:
    return "accepted" if accepted else "in_progress"


# ---------------------------------------------------------------------- memory


@dataclass(slots=True)
class _Entry:
    state: ClaimState
    token: str
    expires_at: float


class MemoryClaimStore:
    """In-process store: thread-safe, entries expire, at most ``max_entries`` kept.

    When full, expired entries go first, then the oldest. It only sees one process, so it
    fits one-replica apps; use :class:`FileClaimStore` (one host) or
    :class:`RedisClaimStore` (many replicas) otherwise.
    """

    blocking = False

    def __init__(
        self,
        *,
        ttl_seconds: float = DEFAULT_DONE_TTL_SECONDS,
        max_entries: int = 100_000,
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

    def begin(self, key: str, *, lease_seconds: float, accepted: bool = False) -> Claim | ClaimState:
        with self._lock:
            now = self._clock()
            entry = self._entries.get(key)
            if entry is not None and entry.expires_at > now:
                return entry.state
            token = _token()
            self._entries[key] = _Entry(_state(accepted), token, now + lease_seconds)
            self._entries.move_to_end(key)
            if len(self._entries) > self.max_entries:
                self._purge(now)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            return Claim(key, token)

    def finish(self, claim: Claim, *, keep_seconds: float | None = None) -> None:
        with self._lock:
            entry = self._entries.get(claim.key)
            if entry is not None and entry.token == claim.token:
                entry.state = "done"
                entry.expires_at = self._clock() + (
                    self.ttl_seconds if keep_seconds is None else keep_seconds
                )

    def release(self, claim: Claim) -> None:
        with self._lock:
            entry = self._entries.get(claim.key)
            if entry is not None and entry.token == claim.token:
                del self._entries[claim.key]

    def remember(self, key: str, *, keep_seconds: float) -> bool:
        claim = self.begin(key, lease_seconds=keep_seconds)
        if isinstance(claim, str):
            return False
        self.finish(claim, keep_seconds=keep_seconds)
        return True

    def _purge(self, now: float) -> None:
        for key in [k for k, e in self._entries.items() if e.expires_at <= now]:
            del self._entries[key]


# ---------------------------------------------------------------------- file


class FileClaimStore:
    """Claims shared by the processes of one host, as files in ``directory`` (created 0700).

    Each key is one file named by its SHA-256, holding ``{"state", "token", "expires_at"}``;
    every read-modify-write happens under ``flock`` on ``<directory>/.lock`` (and a thread
    lock, since ``flock`` does not exclude threads sharing a descriptor). While a claim is
    held its process also holds ``flock`` on the claim's file: if that lock is free, the
    holder is gone and the claim is taken over immediately. Done entries are purged when
    they expire (checked every ``purge_every`` claims).
    """

    blocking = True

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        ttl_seconds: float = DEFAULT_DONE_TTL_SECONDS,
        purge_every: int = 256,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self.directory = os.fspath(directory)
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._thread_lock = threading.Lock()
        self._held: dict[str, int] = {}  # token → descriptor keeping the holder's flock
        self._begins = 0
        self._purge_every = max(purge_every, 1)

    def begin(self, key: str, *, lease_seconds: float, accepted: bool = False) -> Claim | ClaimState:
        path = self._path(key)
        with self._locked():
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                holder_alive = False
            except BlockingIOError:
                holder_alive = True
            now = self._clock()
            current = _read_claim(fd)
            if current is not None and current["expires_at"] > now:
                state: ClaimState = current["state"]
                if state == "done" or holder_alive:
                    os.close(fd)
                    return state
            token = _token()
            _write_claim(
                fd, {"key": key, "state": _state(accepted), "token": token, "expires_at": now + lease_seconds}
            )
            self._held[token] = fd
            self._begins += 1
            if self._begins % self._purge_every == 0:
                self._purge(now)
            return Claim(key, token)

    def finish(self, claim: Claim, *, keep_seconds: float | None = None) -> None:
        keep = self.ttl_seconds if keep_seconds is None else keep_seconds
        self._settle(
            claim,
            lambda fd, doc: _write_claim(fd, {**doc, "state": "done", "expires_at": self._clock() + keep}),
        )

    def release(self, claim: Claim) -> None:
        self._settle(claim, lambda fd, doc: os.unlink(self._path(claim.key)))

    def remember(self, key: str, *, keep_seconds: float) -> bool:
        claim = self.begin(key, lease_seconds=keep_seconds)
        if isinstance(claim, str):
            return False
        self.finish(claim, keep_seconds=keep_seconds)
        return True

    def _settle(self, claim: Claim, change: Callable[[int, dict[str, Any]], None]) -> None:
        """Apply ``change`` to the claim's file if it is still ours, then let go of its lock."""
        with self._locked():
            fd = self._held.pop(claim.token, None)
            if fd is None:
                return
            try:
                current = _read_claim(fd)
                if current is not None and current["token"] == claim.token:
                    with contextlib.suppress(FileNotFoundError):
                        change(fd, current)
            finally:
                os.close(fd)

    def _path(self, key: str) -> str:
        return os.path.join(self.directory, hashlib.sha256(key.encode("utf-8")).hexdigest()[:40] + ".claim")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock:
            fd = os.open(os.path.join(self.directory, ".lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)

    def _purge(self, now: float) -> None:
        for name in os.listdir(self.directory):
            if not name.endswith(".claim"):
                continue
            path = os.path.join(self.directory, name)
            try:
                with open(path, "rb") as fh:
                    doc = json.loads(fh.read() or b"null")
            except (OSError, ValueError):
                continue
            if isinstance(doc, dict) and doc.get("state") == "done" and doc.get("expires_at", 0) <= now:
                with contextlib.suppress(OSError):
                    os.unlink(path)


def _read_claim(fd: int) -> dict[str, Any] | None:
    data = os.pread(fd, 4096, 0)
    if not data:
        return None
    try:
        doc = json.loads(data)
    except ValueError:
        return None  # a torn write cannot happen under the lock; treat garbage as free
    if not isinstance(doc, dict) or doc.get("state") not in ("in_progress", "accepted", "done"):
        return None
    return doc


def _write_claim(fd: int, doc: dict[str, Any]) -> None:
    data = json.dumps(doc, separators=(",", ":")).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)


# ---------------------------------------------------------------------- redis

# KEYS[1] = key; ARGV[1] = our claim value; ARGV[2] = TTL in ms.
_FINISH = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
  return 1
end
return 0
"""
_RELEASE = COMPARE_AND_DELETE
_RENEW = COMPARE_AND_EXPIRE


class RedisClaimStore:
    """Claims shared by every replica, one Redis key per claim: ``<prefix><key>``.

    A claim is ``SET key <state>:<token> NX PX <heartbeat>``; finishing, releasing and the
    keeper's renewals are Lua compare-and-set scripts on that exact value, so a holder whose
    lease expired can neither mark a newer claim done nor free it. Pass a ``redis.Redis``
    client, or a ``url`` (needs the ``redis`` extra: ``pip install 'cronix-py[redis]'``).
    """

    blocking = True

    def __init__(
        self,
        client: Any = None,
        *,
        url: str | None = None,
        prefix: str = "cronix:claim:",
        ttl_seconds: float = DEFAULT_DONE_TTL_SECONDS,
        heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
    ) -> None:
        if (client is None) == (url is None):
            raise ValueError("pass exactly one of a redis client or url=")
        if ttl_seconds <= 0 or heartbeat_seconds <= 0:
            raise ValueError("ttl_seconds and heartbeat_seconds must be positive")
        if client is None:
            try:
                import redis
            except ImportError as exc:
                from cronix.protocol.extras import install_hint

                raise ImportError(
                    f"RedisClaimStore needs the redis package: {install_hint('redis')}"
                ) from exc
            client = redis.Redis.from_url(url or "")
        self._client = client
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        self.heartbeat_seconds = heartbeat_seconds

    def begin(self, key: str, *, lease_seconds: float, accepted: bool = False) -> Claim | ClaimState:
        full = self.prefix + key
        value = f"{_state(accepted)}:{_token()}"
        first = min(lease_seconds, self.heartbeat_seconds)
        # Two tries: the key may expire between a failed SET NX and the GET.
        for _ in range(2):
            if self._client.set(full, value, nx=True, px=max(int(first * 1000), 1)):
                if lease_seconds > first:
                    _keeper().hold(self, full, value, time.monotonic() + lease_seconds)
                return Claim(full, value)
            current = self._client.get(full)
            if current is None:
                continue
            text = current.decode() if isinstance(current, bytes) else str(current)
            return (
                "done" if text == "done" else ("accepted" if text.startswith("accepted:") else "in_progress")
            )
        return "in_progress"

    def finish(self, claim: Claim, *, keep_seconds: float | None = None) -> None:
        _keeper().drop(claim.token)
        keep = self.ttl_seconds if keep_seconds is None else keep_seconds
        self._client.eval(_FINISH, 1, claim.key, claim.token, max(int(keep * 1000), 1))

    def release(self, claim: Claim) -> None:
        _keeper().drop(claim.token)
        self._client.eval(_RELEASE, 1, claim.key, claim.token)

    def remember(self, key: str, *, keep_seconds: float) -> bool:
        return bool(self._client.set(self.prefix + key, "done", nx=True, px=max(int(keep_seconds * 1000), 1)))

    def renew(self, key: str, value: str) -> bool:
        """Extend a held claim by one heartbeat; ``False`` when it is no longer ours."""
        return bool(self._client.eval(_RENEW, 1, key, value, max(int(self.heartbeat_seconds * 1000), 1)))


@dataclass(slots=True)
class _Held:
    store: RedisClaimStore
    key: str
    until: float
    due: float


class _Keeper:
    """One daemon thread per process renewing held Redis claims every third of a heartbeat."""

    def __init__(self) -> None:
        self._held: dict[str, _Held] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._wakes_at = float("inf")  # when the thread looks next; wake it only to look sooner
        self._thread: threading.Thread | None = None

    def hold(self, store: RedisClaimStore, key: str, value: str, until: float) -> None:
        due = time.monotonic() + store.heartbeat_seconds / 3
        with self._lock:
            self._held[value] = _Held(store, key, until, due)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cronix-claims-keeper", daemon=True)
                self._thread.start()
            sooner = due < self._wakes_at
        if sooner:  # most claims settle long before their first renewal: no wake-up for them
            self._wake.set()

    def drop(self, value: str) -> None:
        with self._lock:
            self._held.pop(value, None)

    def _run(self) -> None:
        while True:
            self._wake.clear()
            with self._lock:
                now = time.monotonic()
                due = [(v, h) for v, h in self._held.items() if h.due <= now]
                for value, held in list(self._held.items()):
                    if held.until <= now:
                        del self._held[value]  # held long enough: let the lease run out
                wait = max(min((h.due for h in self._held.values()), default=now + 60) - now, 0.05)
                self._wakes_at = now + wait
            for value, held in due:
                try:
                    kept = held.store.renew(held.key, value)
                except Exception:  # Redis is down: try again next round, the lease may survive it
                    kept = True
                with self._lock:
                    if value in self._held:
                        if kept:
                            self._held[value].due = time.monotonic() + held.store.heartbeat_seconds / 3
                        else:
                            del self._held[value]
            self._wake.wait(wait)


_KEEPER: _Keeper | None = None
_KEEPER_LOCK = threading.Lock()


def _keeper() -> _Keeper:
    global _KEEPER
    with _KEEPER_LOCK:
        if _KEEPER is None:
            _KEEPER = _Keeper()
        return _KEEPER
