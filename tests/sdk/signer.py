"""An HMAC signer and fire loop written from the protocol text, independent of cronix's code.

It imports nothing from cronix, so a bug shared by ``cronix.protocol.signing`` and the
SDK cannot hide here. Payload: ``<t>.<METHOD>.<target>.<body>``; header
``t=<t>,v1=<hex HMAC-SHA256>`` (``fire-time.md`` §3). Requests go out with
``http.client`` so the target travels byte for byte as given.

:func:`shim_fire` emulates what ``cronix trigger`` does on the wire (one run id, the
``X-Cron-*`` headers, a fresh signature per attempt, retry on 5xx and transport errors,
stop on 2xx/4xx) until the real trigger shim can drive these tests.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_USED: dict[tuple[str, str, bytes], set[int]] = {}
_USED_LOCK = threading.Lock()


def fresh_timestamp(method: str = "", target: str = "", body: bytes = b"") -> int:
    """A signing time inside the replay window that no earlier request of this process used
    for the same method, target and body.

    Like every ``cronix trigger`` attempt, each test request must carry a signature of its
    own: the SDK refuses a second use of one (replay protection, D-501), and two requests
    with the same method, target and body signed in the same second would sign the same
    bytes. So this walks back from now to the first second not used yet for those bytes.
    """
    now = int(time.time())
    with _USED_LOCK:
        used = _USED.setdefault((method.upper(), target, body), set())
        used.difference_update({t for t in used if t < now - 300})
        ts = now
        while ts in used:
            ts -= 1
        used.add(ts)
    return ts


def signature(secret: str, method: str, target: str, body: bytes, timestamp: int) -> str:
    payload = f"{timestamp}.{method.upper()}.{target}.".encode() + body
    return f"t={timestamp},v1={hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()}"


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def code(self) -> str | None:
        try:
            doc = self.json()
        except ValueError:
            return None
        return doc.get("code") if isinstance(doc, dict) else None


#: ``send(method, target, body, headers) -> Reply``: one request to the app under test.
Sender = Callable[[str, str, bytes, dict[str, str]], Reply]


def http_sender(base_url: str, timeout: float = 30.0) -> Sender:
    """A sender over real HTTP; the target goes on the request line exactly as given."""
    parts = urllib.parse.urlsplit(base_url)

    def send(method: str, target: str, body: bytes, headers: dict[str, str]) -> Reply:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
        try:
            conn.request(method, target, body=body, headers=headers)
            resp = conn.getresponse()
            return Reply(resp.status, resp.read(), {k.lower(): v for k, v in resp.getheaders()})
        finally:
            conn.close()

    return send


def http_ok(port: int, path: str) -> bool:
    """Whether ``GET path`` on the loopback port answers 200 (a readiness probe)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=0.5)
        try:
            conn.request("GET", path)
            return conn.getresponse().status == 200
        finally:
            conn.close()
    except OSError:
        return False


def cron_headers(
    secret: str | None,
    method: str,
    target: str,
    body: bytes,
    *,
    run_id: str,
    attempt: int = 1,
    timestamp: int | None = None,
    job: str = "",
) -> dict[str, str]:
    """The headers the trigger sends; no ``X-Cron-Signature`` when ``secret`` is None."""
    now = int(time.time())
    headers = {
        "X-Cron-Run-Id": run_id,
        "X-Cron-Schedule-Name": job,
        "X-Cron-Fire-Time": str(now),
        "X-Cron-Fire-Time-Actual": str(now),
        "X-Cron-Attempt": str(attempt),
    }
    if secret is not None:
        ts = fresh_timestamp(method, target, body) if timestamp is None else timestamp
        headers["X-Cron-Signature"] = signature(secret, method, target, body, ts)
    return headers


def shim_fire(
    send: Sender,
    target: str,
    secret: str,
    *,
    method: str = "POST",
    body: bytes = b"",
    max_attempts: int = 3,
    run_id: str | None = None,
) -> list[Reply]:
    """Fire like the trigger shim; return the reply of every attempt made."""
    rid = run_id or str(uuid.uuid4())
    replies: list[Reply] = []
    for attempt in range(1, max_attempts + 1):
        headers = cron_headers(secret, method, target, body, run_id=rid, attempt=attempt)
        try:
            reply = send(method, target, body, headers)
        except OSError:
            continue
        replies.append(reply)
        if reply.status < 500:
            break
    return replies
