"""One attempt: a single HTTP request with one deadline over connect, send and response.

Built on :mod:`http.client` (already loaded by anything that speaks HTTP, and far cheaper
than a third-party client). ``http.client``'s own timeout applies per socket operation, so
a server that trickles its headers could hold an attempt forever; a watchdog timer shuts
the socket down when the attempt's deadline passes, which bounds the whole exchange.

Redirects are never followed (D-201): the signature is bound to the path, a redirected
request would either fail verification or — worse — carry a valid signature to another
endpoint. The caller gets the 3xx status and its ``Location``.

The path on the request line is the path-and-query exactly as written in the job URL, and
it is exactly what the signature covers (:func:`parse_target`).
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["MAX_RESPONSE_BYTES", "AttemptError", "Response", "Target", "parse_target", "send"]

MAX_RESPONSE_BYTES = 64 * 1024
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class Target(NamedTuple):
    """Where a job URL sends to; ``path`` is the path-and-query as sent and as signed."""

    https: bool
    host: str
    port: int | None
    path: str


class Response(NamedTuple):
    """What came back: status, up to 64 KiB of body, ``Location`` (never followed), ``Retry-After``."""

    status: int
    body: bytes
    location: str | None = None
    retry_after: str | None = None


class AttemptError(Exception):
    """No response: ``reason`` is ``timeout`` or ``network`` (the OTel ``cronix.retry_reason``)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def parse_target(url: str) -> Target:
    """Split a job URL without re-encoding anything; raise :class:`ValueError` naming the problem."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        raise ValueError(f"job URL must start with http:// or https://, got {url!r}")
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    if "@" in authority:
        raise ValueError("job URL must not carry credentials (user@host)")
    if "#" in tail:
        raise ValueError("job URL must not have a fragment (#…)")
    path = tail if tail.startswith("/") else "/" + tail
    host, port = _split_host_port(authority)
    if not host:
        raise ValueError(f"job URL has no host: {url!r}")
    return Target(https=scheme.lower() == "https", host=host, port=port, path=path)


def _split_host_port(authority: str) -> tuple[str, int | None]:
    if authority.startswith("["):  # [v6]:port
        end = authority.find("]")
        host, rest = authority[1:end], authority[end + 1 :]
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port_text = authority.partition(":")
    if not port_text:
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"job URL has an invalid port: {port_text!r}")
    return host, int(port_text)


class _Watchdog:
    """Shuts the connection's socket down when the deadline passes."""

    def __init__(self, conn: http.client.HTTPConnection, seconds: float) -> None:
        self.fired = False
        self._conn = conn
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def _fire(self) -> None:
        self.fired = True
        sock = self._conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def send(
    target: Target,
    method: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    timeout: float,
) -> Response:
    """Send one request; return the response or raise :class:`AttemptError`."""
    conn: http.client.HTTPConnection
    if target.https:
        conn = http.client.HTTPSConnection(target.host, target.port, timeout=timeout)
    else:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    skip_host = any(name.lower() == "host" for name, _ in headers)
    watchdog = _Watchdog(conn, timeout)
    try:
        with watchdog:
            try:
                conn.putrequest(method, target.path, skip_host=skip_host)
                for name, value in headers:
                    conn.putheader(name, value)
                if body or method in _BODY_METHODS:
                    conn.putheader("Content-Length", str(len(body)))
                conn.endheaders(body or None)
                resp = conn.getresponse()
            except TimeoutError as exc:
                raise AttemptError(f"timeout after {timeout:g}s", "timeout") from exc
            except (OSError, http.client.HTTPException) as exc:
                if watchdog.fired:
                    raise AttemptError(f"timeout after {timeout:g}s", "timeout") from exc
                raise AttemptError(_describe(exc, target), "network") from exc
            # Past the status line the attempt has an answer; a body cut short by the
            # deadline or the peer only shortens the excerpt (the reference ignores it too).
            try:
                data = resp.read(MAX_RESPONSE_BYTES)
            except (OSError, http.client.HTTPException) as exc:
                data = getattr(exc, "partial", b"") or b""
            return Response(resp.status, data, resp.getheader("Location"), resp.getheader("Retry-After"))
    finally:
        conn.close()


def _describe(exc: BaseException, target: Target) -> str:
    where = f"{target.host}:{target.port or (443 if target.https else 80)}"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused by {where}"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve {target.host}: {exc.strerror or exc}"
    if isinstance(exc, http.client.HTTPException):
        return f"bad HTTP response from {where}: {type(exc).__name__} {exc}".rstrip()
    return f"{where}: {getattr(exc, 'strerror', None) or exc}"
