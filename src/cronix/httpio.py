"""One stdlib HTTP/1.1 client with one deadline over the whole exchange: manifest fetches and fires.

Why not :mod:`http.client`: its timeout applies to each socket operation, so a server that
trickles its response a byte at a time holds a request for as long as it likes (the manifest
fetch promised 30 s and could not keep it); it takes a connection that ends inside the
headers for the end of the headers, so a server that sent ``HTTP/1.1 200 OK`` and nothing
more looked like a success to the trigger (issue 16 item 11); and with ``email`` and ``ssl``
it was the largest import on ``cronix trigger``'s fast path.

Here one monotonic deadline covers everything — name resolution, connect, the TLS
handshake, sending, the response headers and the body: every blocking call gets the time
that is left and no more, and the request fails with :class:`HttpError` (``kind``
``timeout``) when it runs out. A response exists only once its header block is complete
(the empty line arrived); a body cut short afterwards is an error that still carries the
status and the bytes that did arrive (:attr:`HttpError.response`), for callers that, like
the trigger, treat the status as the answer.

Deliberately small — what cronix needs and nothing else: one request per connection (no
keep-alive, no pool), redirects never followed (the caller gets the 3xx and ``Location``:
a signature is bound to its path and must not travel elsewhere), no proxies, no
compression (``Accept-Encoding: identity``), bodies framed by ``Content-Length``,
``chunked`` or the connection's end, and capped at ``max_body``. HTTPS verifies against
the system store (``SSL_CERT_FILE`` is honoured); :mod:`ssl` is imported only for https
and :mod:`threading` only to resolve a host name.
"""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["MAX_HEADER_BYTES", "HttpError", "Response", "Target", "check_request", "parse_target", "request"]

MAX_HEADER_BYTES = 64 * 1024
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_RECV_BYTES = 65536
_PHASES = {
    "resolve": "resolving the host name",
    "connect": "connecting",
    "tls": "in the TLS handshake",
    "send": "sending the request",
    "headers": "waiting for the response headers",
    "body": "reading the response body",
}


class Target(NamedTuple):
    """Where a request goes; ``path`` is the request target (path-and-query) exactly as sent."""

    https: bool
    host: str
    port: int | None
    path: str

    @property
    def authority(self) -> str:
        """``host:port`` with the effective port, for messages."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port or (443 if self.https else 80)}"


def parse_target(url: str) -> Target:
    """Split an http(s) URL without re-encoding anything; raise :class:`ValueError` naming the problem.

    The path-and-query is kept exactly as written: it is what a signature covers.
    """
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        raise ValueError(f"URL must start with http:// or https://, got {url!r}")
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    if "@" in authority:
        raise ValueError("URL must not carry credentials (user@host)")
    if "#" in tail:
        raise ValueError("URL must not have a fragment (#…)")
    path = tail if tail.startswith("/") else "/" + tail
    host, port = _split_host_port(authority)
    if not host:
        raise ValueError(f"URL has no host: {url!r}")
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
        raise ValueError(f"URL has an invalid port: {port_text!r}")
    return host, int(port_text)


class Response(NamedTuple):
    """A complete response: status line, headers in order, and at most ``max_body`` bytes of body."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    truncated: bool = False  # the body was longer than max_body; the rest was not read

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        lower = name.lower()
        return next((value for key, value in self.headers if key.lower() == lower), None)


class HttpError(Exception):
    """The exchange did not produce a complete response.

    ``kind``: ``timeout`` (the deadline passed), ``network`` (resolve, connect, reset),
    ``tls`` (certificate or handshake), ``protocol`` (not a valid HTTP/1.x response).
    ``phase``: where it failed (``resolve``, ``connect``, ``tls``, ``send``, ``headers``,
    ``body``). ``response``: when only the body failed, the status, the headers and the
    body received so far; otherwise ``None``.
    """

    def __init__(
        self, message: str, kind: str, phase: str, timeout: float, response: Response | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.phase = phase
        self.timeout = timeout
        self.response = response

    @property
    def during(self) -> str:
        """The phase in words (``waiting for the response headers`` …)."""
        return _PHASES[self.phase]


def request(
    target: Target,
    method: str,
    headers: Sequence[tuple[str, str]],
    body: bytes = b"",
    *,
    timeout: float,
    max_body: int,
) -> Response:
    """Send one request and read its response, all within ``timeout`` seconds.

    Adds ``Host`` and ``Accept-Encoding: identity`` unless ``headers`` has them, and
    ``Content-Length`` when there is a body or the method expects one. Raises
    :class:`ValueError` for a request that cannot be written (a control character in the
    method, target or a header) and :class:`HttpError` for everything after that.
    """
    head = _request_head(target, method, headers, body)
    exchange = _Exchange(target, timeout, no_body=method == "HEAD")
    try:
        return exchange.run(head, body, max_body)
    finally:
        exchange.close()


def check_request(target: Target, method: str, headers: Sequence[tuple[str, str]]) -> None:
    """Raise :class:`ValueError` for a request :func:`request` could not write, without sending it.

    The trigger checks a job's request once, when it loads the spec, so an unsendable
    header is a spec error before any lock is taken, not a failure of every attempt.
    """
    _request_head(target, method, headers, b"")


class _Exchange:
    """One connection's life: every socket call is bounded by what is left of the deadline."""

    def __init__(self, target: Target, timeout: float, *, no_body: bool) -> None:
        self.target = target
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.no_body = no_body
        self.phase = "resolve"
        self.sock: Any = None  # socket.socket or ssl.SSLSocket
        self.buf = bytearray()
        self.head: tuple[int, str, tuple[tuple[str, str], ...]] | None = None
        self.body = bytearray()

    # ------------------------------------------------------------ the exchange

    def run(self, head: bytes, body: bytes, max_body: int) -> Response:
        try:
            self._connect()
            self._send(head, body)
            self.phase = "headers"
            status, reason, headers = self._read_head()
            while 100 <= status < 200 and status != 101:  # 100 Continue, 103 Early Hints: not the answer
                status, reason, headers = self._read_head()
            self.head = (status, reason, headers)
            self.phase = "body"
            truncated = self._read_body(status, headers, max_body)
            return Response(status, reason, headers, bytes(self.body), truncated)
        except HttpError:
            raise
        except TimeoutError:
            raise self._timed_out() from None
        except OSError as exc:
            raise self._failed(exc) from None

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self._timed_out()
        return left

    def _connect(self) -> None:
        addresses = self._resolve()
        self.phase = "connect"
        last: OSError | None = None
        for family, kind, proto, _, address in addresses:
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(self._left())
                sock.connect(address)
            except TimeoutError:
                sock.close()
                raise
            except HttpError:
                sock.close()
                raise
            except OSError as exc:
                sock.close()
                last = exc
                continue
            self.sock = sock
            break
        else:
            raise last or OSError(f"no address for {self.target.host}")
        if self.target.https:
            self._handshake()

    def _resolve(self) -> list[tuple[Any, ...]]:
        host, port = self.target.host, self.target.port or (443 if self.target.https else 80)
        if _is_ip_literal(host):
            return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
        # getaddrinfo cannot be interrupted: resolve in a daemon thread and stop waiting at the deadline.
        import threading

        found: list[tuple[Any, ...]] = []
        failed: list[Exception] = []

        def resolve() -> None:
            try:
                found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
            except Exception as exc:  # gaierror, or UnicodeError for a name IDNA cannot encode
                failed.append(exc)

        worker = threading.Thread(target=resolve, name="cronix-resolve", daemon=True)
        worker.start()
        worker.join(self._left())
        if worker.is_alive():
            raise self._timed_out()
        if failed:
            raise failed[0]
        return found

    def _handshake(self) -> None:
        import ssl

        self.phase = "tls"
        context = ssl.create_default_context()
        context.set_alpn_protocols(["http/1.1"])
        self.sock = context.wrap_socket(
            self.sock, server_hostname=self.target.host, do_handshake_on_connect=False
        )
        self.sock.settimeout(self._left())
        self.sock.do_handshake()  # CPython bounds the whole handshake by the socket's timeout

    def _send(self, head: bytes, body: bytes) -> None:
        self.phase = "send"
        for chunk in (head + body,) if len(body) <= _RECV_BYTES else (head, body):
            view = memoryview(chunk)
            while view:
                self.sock.settimeout(self._left())
                view = view[self.sock.send(view) :]

    # ------------------------------------------------------------ reading

    def _fill(self) -> bool:
        """Read what the peer sends next into the buffer; ``False`` at the end of the stream."""
        self.sock.settimeout(self._left())
        data = self.sock.recv(_RECV_BYTES)
        self.buf += data
        return bool(data)

    def _read_head(self) -> tuple[int, str, tuple[tuple[str, str], ...]]:
        searched = 0
        while True:
            end = _end_of_head(self.buf, searched)
            if end >= 0:
                break
            if len(self.buf) > MAX_HEADER_BYTES:
                raise self._bad(f"the response headers are larger than {MAX_HEADER_BYTES // 1024} KiB")
            searched = max(0, len(self.buf) - 3)
            if not self._fill():
                if self.buf:
                    raise self._bad("the connection closed before the response headers were complete")
                raise self._bad("the connection closed without a response")
        lines = bytes(self.buf[:end]).decode("latin-1").split("\n")
        del self.buf[:end]
        status, reason = self._status_line(lines[0].rstrip("\r"))
        headers: list[tuple[str, str]] = []
        for raw in lines[1:]:
            line = raw.rstrip("\r")
            if not line:
                continue
            if line[0] in " \t" and headers:  # obsolete line folding: a continuation
                name, value = headers[-1]
                headers[-1] = (name, f"{value} {line.strip()}")
                continue
            name, sep, value = line.partition(":")
            if sep and name.strip():
                headers.append((name.strip(), value.strip()))
        return status, reason, tuple(headers)

    def _status_line(self, line: str) -> tuple[int, str]:
        version, _, rest = line.partition(" ")
        code, _, reason = rest.partition(" ")
        if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
            raise self._bad(f"not an HTTP/1.x status line: {line[:80]!r}")
        reason = reason.strip()[:200]
        # The server chooses this text and callers print it: control characters stay escaped.
        return int(code), reason if reason.isprintable() else repr(reason)[1:-1]

    def _read_body(self, status: int, headers: tuple[tuple[str, str], ...], max_body: int) -> bool:
        """Read the body into ``self.body``, at most ``max_body`` bytes; ``True`` when there was more."""
        if self.no_body or status < 200 or status in (204, 304):
            return False
        fields = {name.lower(): value for name, value in reversed(headers)}  # the first of each wins
        coding = fields.get("transfer-encoding", "")
        if coding and coding.rsplit(",", 1)[-1].strip().lower() == "chunked":
            return self._read_chunked(max_body)
        length = fields.get("content-length")
        if length is not None:
            if not length.isdigit():
                raise self._bad(f"invalid Content-Length {length[:40]!r}")
            wanted = int(length)
            self._take_into_body(min(wanted, max_body), wanted)
            return wanted > max_body
        while True:  # framed by the end of the connection
            part = self.buf[: max_body - len(self.body)]
            self.body += part
            del self.buf[: len(part)]
            if self.buf:
                return True
            if not self._fill():
                return False

    def _read_chunked(self, max_body: int) -> bool:
        while True:
            size_text = self._line().split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise self._bad(f"invalid chunk size {size_text[:40]!r}") from None
            if size == 0:
                while self._line():  # trailer fields, up to the empty line
                    pass
                return False
            room = max_body - len(self.body)
            if size > room:
                self._take_into_body(room, size)
                return True
            self._take_into_body(size, size)
            if self._line():
                raise self._bad("a chunk is longer than its size says")

    def _take_into_body(self, count: int, declared: int) -> None:
        """Move ``count`` bytes of the body from the stream into ``self.body``, as they arrive."""
        missing = count
        while True:
            part = self.buf[:missing]
            self.body += part
            del self.buf[: len(part)]
            missing -= len(part)
            if not missing:
                return
            if not self._fill():
                got = count - missing
                raise self._bad(f"the connection closed after {got} of {declared} body bytes")

    def _line(self) -> bytes:
        """One line of chunked framing, without its line ending."""
        searched = 0
        while (end := self.buf.find(b"\n", searched)) < 0:
            if len(self.buf) > MAX_HEADER_BYTES:
                raise self._bad("a chunk header is too long")
            searched = len(self.buf)
            if not self._fill():
                raise self._bad("the connection closed in the middle of a chunked body")
        line = bytes(self.buf[:end]).rstrip(b"\r")
        del self.buf[: end + 1]
        return line

    # ------------------------------------------------------------ errors

    def _partial(self) -> Response | None:
        if self.head is None:
            return None
        status, reason, headers = self.head
        return Response(status, reason, headers, bytes(self.body))

    def _timed_out(self) -> HttpError:
        message = f"no complete response within {self.timeout:g} s ({_PHASES[self.phase]})"
        return HttpError(message, "timeout", self.phase, self.timeout, self._partial())

    def _bad(self, what: str) -> HttpError:
        message = f"bad HTTP response from {self.target.authority}: {what}"
        return HttpError(message, "protocol", self.phase, self.timeout, self._partial())

    def _failed(self, exc: OSError) -> HttpError:
        where = self.target.authority
        kind = "network"
        if isinstance(exc, socket.gaierror):
            message = f"cannot resolve {self.target.host}: {exc.strerror or exc}"
        elif isinstance(exc, ConnectionRefusedError):
            message = f"connection refused by {where}"
        elif self.phase == "tls":
            import ssl

            kind = "tls"
            if isinstance(exc, ssl.SSLCertVerificationError):
                message = f"TLS certificate not trusted ({exc.verify_message}) for {where}"
            else:
                message = f"TLS handshake with {where} failed: {getattr(exc, 'reason', None) or exc}"
        else:
            message = f"{where}: {exc.strerror or exc} ({_PHASES[self.phase]})"
        return HttpError(message, kind, self.phase, self.timeout, self._partial())


def _end_of_head(buf: bytearray, start: int) -> int:
    """Index just past the empty line that ends a header block, or -1 (CRLF or bare LF)."""
    ends = [i + len(marker) for marker in (b"\n\r\n", b"\n\n") if (i := buf.find(marker, start)) >= 0]
    return min(ends, default=-1)


def _is_ip_literal(host: str) -> bool:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except OSError:
            continue
        return True
    return False


def _request_head(target: Target, method: str, headers: Sequence[tuple[str, str]], body: bytes) -> bytes:
    if not target.host:
        raise ValueError("the URL has no host")
    if not method or not all(33 <= ord(c) < 127 for c in method):
        raise ValueError(f"invalid HTTP method {method!r}")
    if not target.path or any(ord(c) <= 32 or ord(c) >= 127 for c in target.path):
        raise ValueError("the request target contains a space, a control character or a non-ASCII character")
    lines = [f"{method} {target.path} HTTP/1.1".encode("ascii")]
    names = {name.lower() for name, _ in headers}
    if "host" not in names:
        lines.append(b"Host: " + _host_header(target))
    if "accept-encoding" not in names:
        lines.append(b"Accept-Encoding: identity")
    for name, value in headers:
        if not name or not name.isascii() or any(c in name for c in ":\r\n\0 \t"):
            raise ValueError(f"invalid header name {name[:40]!r}")
        if any(c in value for c in "\r\n\0"):  # the value is not shown: it may be a credential
            raise ValueError(f"header {name} has a line break or NUL in its value")
        # Header values go out as their UTF-8 bytes, as Go's net/http writes them (D-603);
        # names are tokens (ASCII). Latin-1 would refuse anything beyond U+00FF.
        try:
            encoded = value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate from a JSON "\ud800" escape
            raise ValueError(f"header {name} has a value that is not valid Unicode") from None
        lines.append(name.encode("ascii") + b": " + encoded)
    if "content-length" not in names and (body or method in _BODY_METHODS):
        lines.append(f"Content-Length: {len(body)}".encode("ascii"))
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _host_header(target: Target) -> bytes:
    try:
        host = target.host.encode("ascii")
    except UnicodeEncodeError:
        host = target.host.encode("idna")
    if b":" in host:
        host = b"[" + host + b"]"
    if target.port is None or target.port == (443 if target.https else 80):
        return host
    return host + f":{target.port}".encode("ascii")
