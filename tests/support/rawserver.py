"""A real TCP server on loopback that misbehaves on purpose, one scripted behaviour per connection.

HTTP servers worth testing a client against are the broken ones: a server that trickles
its headers a byte a second, sends a status line and then nothing, closes mid-body, or
never answers a TLS handshake. No HTTP library will behave that badly on request, so the
scripts here write raw bytes to a real socket. Each accepted connection runs the next
script in its own thread (the last script repeats); the server records what it received
and how many bytes it managed to send before the client went away.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

__all__ = ["Conn", "RawServer", "serving_raw"]


@dataclass
class Conn:
    """One accepted connection, as a script sees it."""

    sock: socket.socket
    stop: threading.Event
    request: bytes = b""
    sent: int = 0
    peer_closed: bool = False
    _buffer: bytes = field(default=b"", repr=False)

    def read_request(self, timeout: float = 10.0) -> bytes:
        """The request head and its ``Content-Length`` body (kept in :attr:`request`)."""
        self.sock.settimeout(timeout)
        data = self._buffer
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(rest) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        self.request = head + b"\r\n\r\n" + rest[:length]
        self._buffer = rest[length:]
        return self.request

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)
        self.sent += len(data)

    def trickle(self, data: bytes, interval: float = 1.0) -> None:
        """Send ``data`` one byte per ``interval`` seconds until done or the client leaves."""
        for i in range(len(data)):
            try:
                self.sock.sendall(data[i : i + 1])
            except OSError:
                self.peer_closed = True
                return
            self.sent += 1
            if self.wait_for_close(interval):
                return

    def wait_for_close(self, seconds: float) -> bool:
        """Keep the connection open for ``seconds``; ``True`` as soon as the client closed it."""
        deadline = time.monotonic() + seconds
        while not self.stop.is_set() and (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.sock], [], [], min(left, 0.05))
            if readable:
                try:
                    if not self.sock.recv(65536, socket.MSG_PEEK):
                        self.peer_closed = True
                        return True
                    self.sock.recv(65536)
                except OSError:
                    self.peer_closed = True
                    return True
        return False


class RawServer:
    """Accepts on 127.0.0.1:<ephemeral>; connection *n* runs ``scripts[min(n, len - 1)]``."""

    def __init__(self, *scripts: Callable[[Conn], None]) -> None:
        self.scripts = scripts
        self.conns: list[Conn] = []
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    def url(self, path: str = "/api/v1/scheduled/ping", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self.stop.is_set():
            readable, _, _ = select.select([self.listener], [], [], 0.05)
            if not readable:
                continue
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            conn = Conn(sock, self.stop)
            script = self.scripts[min(len(self.conns), len(self.scripts) - 1)]
            self.conns.append(conn)
            thread = threading.Thread(target=self._run, args=(script, conn), daemon=True)
            self._threads.append(thread)
            thread.start()

    @staticmethod
    def _run(script: Callable[[Conn], None], conn: Conn) -> None:
        try:
            script(conn)
        except OSError:
            conn.peer_closed = True
        finally:
            conn.sock.close()


@contextlib.contextmanager
def serving_raw(*scripts: Callable[[Conn], None]) -> Iterator[RawServer]:
    """Run a :class:`RawServer` for the length of the block; every connection closed afterwards."""
    server = RawServer(*scripts)
    server._acceptor.start()
    try:
        yield server
    finally:
        server.stop.set()
        server._acceptor.join(timeout=5)
        server.listener.close()
        for thread in server._threads:
            thread.join(timeout=5)
