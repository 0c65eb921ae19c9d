"""Delivering one occurrence to the app: a fresh fire token per attempt, retries by the spec.

``spec/managed-scheduler.md`` §6: the arm's request (method, URL, static headers, body)
plus ``Authorization: Bearer <token>`` and the ``X-Cron-*`` headers; every attempt mints a
new token (new ``jti``, ``iat``) for the same ``fire_id`` and ``run_id`` with ``attempt``
incremented. 2xx: delivered. 408, 429, 5xx, a timeout or no connection: retry after
``min(max, min·2^(n−1))`` seconds, or the answer's ``Retry-After`` when it says more (up
to five minutes). Any other 4xx: failed, not retried (the app refused it on purpose).

``duplicates`` (a test knob, ``--duplicate-deliveries``) sends every attempt that many
times at once, each copy with its own token: what an at-least-once system may do, on
purpose, so an app's claims can be shown to run each occurrence once.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cronix._version import __version__
from cronix.httpio import HttpError, request
from cronix.protocol import headers as h
from cronix.protocol.firejwt import audience_for, fire_claims
from cronix.trigger.http import parse_target

if TYPE_CHECKING:
    from collections.abc import Callable

    from cronix.managedref.keys import KeyRing
    from cronix.managedref.store import Store
    from cronix.protocol.managed import Arm

__all__ = ["Deliverer"]

_RETRYABLE = frozenset({408, 429})
_MAX_RETRY_AFTER = 300.0
_SKIPPED_HEADERS = frozenset({"authorization", "content-length", "transfer-encoding", "host"})
_USER_AGENT = f"cronix-managed-ref/{__version__}"


def _run_id() -> str:
    try:
        from uuid import uuid7  # type: ignore[attr-defined]  # Python >= 3.14
    except ImportError:
        from uuid_utils.compat import uuid7
    return str(uuid7())


@dataclass(frozen=True)
class _Attempt:
    status: int
    detail: str
    retry_after: float | None = None


class Deliverer:
    """Delivers occurrences on a thread pool and records every outcome in the store."""

    def __init__(
        self,
        store: Store,
        keys: KeyRing,
        *,
        issuer: str,
        duplicates: int = 1,
        sleep: Callable[[float], None] = time.sleep,
        log: Callable[[str], None] = lambda line: None,
    ) -> None:
        self.store = store
        self.keys = keys
        self.issuer = issuer
        self.duplicates = max(duplicates, 1)
        self._sleep = sleep
        self._log = log
        self._pool = ThreadPoolExecutor(max_workers=64, thread_name_prefix="deliver")
        self._stopping = threading.Event()

    def submit(self, arm: Arm) -> None:
        self._pool.submit(self._deliver, arm)

    def stop(self) -> None:
        self._stopping.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _deliver(self, arm: Arm) -> None:
        run_id = _run_id()
        self.store.record(arm.fire_id, finished=False, run_id=run_id, status="delivering")
        last = _Attempt(0, "")
        attempt = 0
        for attempt in range(1, arm.retry.max_attempts + 1):
            last = self._attempt(arm, run_id, attempt)
            self._log(f"deliver {arm.fire_id} attempt {attempt}: {last.status or last.detail}")
            if 200 <= last.status < 300:
                self.store.record(
                    arm.fire_id,
                    status="delivered",
                    attempts=attempt,
                    http_status=last.status,
                    detail=last.detail,
                )
                return
            if 400 <= last.status < 500 and last.status not in _RETRYABLE:
                break
            if attempt < arm.retry.max_attempts and not self._stopping.is_set():
                wait = arm.retry.backoff(attempt)
                if last.retry_after is not None:
                    wait = max(wait, min(last.retry_after, _MAX_RETRY_AFTER))
                self._sleep(wait)
        self.store.record(
            arm.fire_id, status="failed", attempts=attempt, http_status=last.status, detail=last.detail
        )

    def _attempt(self, arm: Arm, run_id: str, attempt: int) -> _Attempt:
        if self.duplicates == 1:
            return self._one(arm, run_id, attempt)
        with ThreadPoolExecutor(max_workers=self.duplicates, thread_name_prefix="copy") as pool:
            results = list(pool.map(lambda _: self._one(arm, run_id, attempt), range(self.duplicates)))
        # The occurrence is delivered if any copy was accepted; otherwise report the worst.
        return next((r for r in results if 200 <= r.status < 300), max(results, key=lambda r: r.status))

    def _one(self, arm: Arm, run_id: str, attempt: int) -> _Attempt:
        body = arm.body.encode("utf-8")
        now = int(time.time())
        claims = fire_claims(
            issuer=self.issuer,
            audience=arm.audience or audience_for(arm.app),
            app=arm.app,
            job=arm.job,
            method=arm.method,
            url=arm.callback_url,
            body=body,
            fire_id=arm.fire_id,
            run_id=run_id,
            attempt=attempt,
            jti=uuid.uuid4().hex,
            now=now,
        )
        headers = [
            ("Authorization", f"Bearer {self.keys.mint(claims)}"),
            (h.X_CRON_FIRE_ID, arm.fire_id),
            (h.X_CRON_RUN_ID, run_id),
            (h.X_CRON_SCHEDULE_NAME, arm.job),
            (h.X_CRON_FIRE_TIME, str(arm.fire_at)),
            (h.X_CRON_FIRE_TIME_ACTUAL, str(now)),
            (h.X_CRON_ATTEMPT, str(attempt)),
            ("User-Agent", _USER_AGENT),
        ]
        headers += [
            (k, v)
            for k, v in arm.headers
            if k.lower() not in _SKIPPED_HEADERS and not k.lower().startswith(h.RESERVED_HEADER_PREFIX)
        ]
        try:
            target = parse_target(arm.callback_url)
            response = request(
                target, arm.method, headers, body, timeout=float(arm.timeout_seconds), max_body=4096
            )
        except ValueError as exc:
            return _Attempt(400, f"callback_url cannot be sent: {exc}")
        except HttpError as exc:
            if exc.response is None:
                return _Attempt(0, str(exc))
            response = exc.response  # the headers arrived: the status stands
        retry_after = None
        value = (response.header("Retry-After") or "").strip()
        if value.isdigit():
            retry_after = float(value)
        excerpt = response.body[:200].decode("utf-8", "replace")
        return _Attempt(response.status, excerpt, retry_after)
