"""A real HTTP app on loopback for trigger tests: verifies every signature, records every request.

The verification is written here from the protocol text with :mod:`hmac` alone — not with
cronix code — so a signing bug cannot verify itself. The server's clock is injectable so a
test that drives the trigger with a virtual clock verifies against the same time.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLAY_WINDOW = 300


@dataclass
class Received:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes
    verdict: str  # "ok", "missing", "malformed", "stale", "mismatch"

    def header(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


def verify(secrets: list[str], method: str, path: str, body: bytes, header: str | None, now: float) -> str:
    """Independent HMAC check of ``X-Cron-Signature: t=<unix>,v1=<hex>``."""
    if header is None:
        return "missing"
    parts = dict(seg.split("=", 1) for seg in header.split(",") if "=" in seg)
    t, v1 = parts.get("t", ""), parts.get("v1", "")
    if not t.isdigit() or len(v1) != 64:
        return "malformed"
    if abs(now - int(t)) > REPLAY_WINDOW:
        return "stale"
    payload = f"{t}.{method.upper()}.{path}.".encode() + body
    for secret in secrets:
        expected = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, v1):
            return "ok"
    return "mismatch"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class AppServer:
    """Answers each request with the next queued :class:`Reply` (then ``default``).

    A request whose signature does not verify gets 401, like the SDK would answer.
    """

    def __init__(self, secrets: list[str], now: Callable[[], float] = time.time) -> None:
        self.secrets = secrets
        self.now = now
        self.requests: list[Received] = []
        self.replies: list[Reply] = []
        self.default = Reply()
        self.arrived = threading.Event()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                verdict = verify(
                    server.secrets,
                    self.command,
                    self.path,
                    body,
                    self.headers.get("X-Cron-Signature"),
                    server.now(),
                )
                with server._lock:
                    server.requests.append(
                        Received(self.command, self.path, list(self.headers.items()), body, verdict)
                    )
                    reply = server.replies.pop(0) if server.replies else server.default
                server.arrived.set()
                if verdict != "ok":
                    reply = Reply(401, f'{{"code":"{verdict}"}}'.encode())
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass

            def do_POST(self) -> None:
                self._handle()

            def do_PUT(self) -> None:
                self._handle()

            def do_GET(self) -> None:
                self._handle()

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def url(self, path: str = "/api/v1/scheduled/ping") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> AppServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
