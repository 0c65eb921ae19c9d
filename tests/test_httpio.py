"""cronix.httpio against real servers that misbehave: one deadline over the whole exchange.

Every server here is a real socket on loopback (``tests/support/rawserver.py``) writing
raw bytes, because the interesting servers are the broken ones. The deadline claims are
checked by what the *server* saw: a client with per-read timeouts would have stayed until
a trickled response was complete; this one leaves at the deadline, so the server never
gets to send most of it.
"""

from __future__ import annotations

import ssl
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cronix.httpio import HttpError, Response, Target, request
from tests.support.procs import free_port
from tests.support.rawserver import Conn, RawServer, serving_raw

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def _target(server: RawServer, path: str = "/p", *, https: bool = False) -> Target:
    return Target(https=https, host="127.0.0.1", port=server.port, path=path)


def _get(server: RawServer, *, timeout: float = 10.0, max_body: int = 1024, method: str = "GET") -> Response:
    return request(_target(server), method, [("X-Test", "1")], b"", timeout=timeout, max_body=max_body)


def _fails(server: RawServer, **kwargs: float) -> HttpError:
    with pytest.raises(HttpError) as caught:
        _get(server, **kwargs)  # type: ignore[arg-type]
    return caught.value


def _replying(data: bytes, then: Callable[[Conn], object] | None = None) -> Callable[[Conn], None]:
    def script(conn: Conn) -> None:
        conn.read_request()
        conn.send(data)
        if then is not None:
            then(conn)

    return script


def _hold(conn: Conn) -> None:
    conn.wait_for_close(30)


# ---------------------------------------------------------------- the deadline


def test_headers_trickled_one_byte_per_second_fail_at_the_deadline() -> None:
    def trickle(conn: Conn) -> None:
        conn.read_request()
        conn.trickle(OK, interval=1.0)  # 40 s for the whole response

    with serving_raw(trickle) as server:
        error = _fails(server, timeout=1.5)
    assert (error.kind, error.phase, error.response) == ("timeout", "headers", None)
    assert str(error) == "no complete response within 1.5 s (waiting for the response headers)"
    (conn,) = server.conns
    assert conn.peer_closed
    assert 1 <= conn.sent < 6  # left at the deadline: most of the response was never sent


def test_a_status_line_and_then_nothing_is_a_timeout_not_a_response() -> None:
    with serving_raw(_replying(b"HTTP/1.1 200 OK\r\n", then=_hold)) as server:
        error = _fails(server, timeout=1.0)
    assert (error.kind, error.phase, error.response) == ("timeout", "headers", None)


def test_a_status_line_and_then_a_closed_connection_is_not_a_response() -> None:
    with serving_raw(_replying(b"HTTP/1.1 200 OK\r\n")) as server:
        error = _fails(server)
    assert (error.kind, error.phase, error.response) == ("protocol", "headers", None)
    assert "closed before the response headers were complete" in str(error)


def test_a_body_trickled_past_the_deadline_fails_but_keeps_the_status() -> None:
    def slow_body(conn: Conn) -> None:
        conn.read_request()
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n")
        conn.trickle(b"x" * 30, interval=1.0)

    with serving_raw(slow_body) as server:
        error = _fails(server, timeout=1.5)
    assert (error.kind, error.phase) == ("timeout", "body")
    assert error.response is not None
    assert error.response.status == 200
    assert 1 <= len(error.response.body) < 6
    assert server.conns[0].sent < 40 + 30


def test_a_server_that_never_answers_the_tls_handshake_times_out_in_the_handshake() -> None:
    with serving_raw(_hold) as server, pytest.raises(HttpError) as caught:
        request(_target(server, https=True), "GET", [], timeout=1.0, max_body=10)
    assert (caught.value.kind, caught.value.phase) == ("timeout", "tls")


def test_a_response_that_ends_after_its_headers_does_not_wait_for_a_body() -> None:
    # 204 and HEAD have no body whatever the headers say; the connection stays open.
    with serving_raw(
        _replying(b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", then=_hold)
    ) as server:
        assert _get(server, timeout=30).status == 204
    with serving_raw(_replying(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", then=_hold)) as server:
        assert _get(server, timeout=30, method="HEAD") == Response(200, "OK", (("Content-Length", "5"),), b"")


# ---------------------------------------------------------------- what is (not) a response


def test_a_redirect_is_returned_not_followed() -> None:
    moved = b"HTTP/1.1 302 Found\r\nLocation: http://elsewhere.example/x\r\nContent-Length: 0\r\n\r\n"
    with serving_raw(_replying(moved), _replying(OK)) as server:
        response = _get(server)
    assert (response.status, response.header("location")) == (302, "http://elsewhere.example/x")
    assert len(server.conns) == 1


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: 3000\r\n\r\n" + b"x" * 3000,
        b"Transfer-Encoding: chunked\r\n\r\n"
        + b"400\r\n"
        + b"x" * 1024
        + b"\r\n" * 1
        + b"800\r\n"
        + b"x" * 2048,
        b"Connection: close\r\n\r\n" + b"x" * 3000,
    ],
    ids=["content-length", "chunked", "until-close"],
)
def test_the_body_is_capped_and_the_rest_left_unread(framing: bytes) -> None:
    with serving_raw(_replying(b"HTTP/1.1 200 OK\r\n" + framing, then=_hold)) as server:
        response = _get(server, max_body=1500)
    assert (response.truncated, response.body) == (True, b"x" * 1500)


def test_chunked_bodies_interim_responses_and_folded_headers_are_read_correctly() -> None:
    reply = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
        b"HTTP/1.1 201 Created\r\nX-Folded: one\r\n  two\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n"
    )
    with serving_raw(_replying(reply, then=_hold)) as server:
        response = _get(server, timeout=30)
    assert (response.status, response.reason, response.body) == (201, "Created", b"hello world")
    assert response.header("x-folded") == "one two"
    assert not response.truncated


def test_bare_lf_line_endings_are_accepted() -> None:
    with serving_raw(_replying(b"HTTP/1.0 200 OK\nContent-Length: 2\n\nok")) as server:
        assert _get(server).body == b"ok"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (b"", "closed without a response"),
        (b"SSH-2.0-OpenSSH_9.2\r\n\r\n", "not an HTTP/1.x status line: 'SSH-2.0-OpenSSH_9.2'"),
        (b"\x1b]0;pwned\x07 200 OK\r\n\r\n", r"not an HTTP/1.x status line: '\x1b]0;pwned\x07 200 OK'"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "closed after 5 of 10 body bytes"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "invalid Content-Length '-1'"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "invalid chunk size b'zz'"),
        (b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 70000, "larger than 64 KiB"),
    ],
    ids=[
        "nothing",
        "not-http",
        "control-characters",
        "short-body",
        "bad-length",
        "bad-chunk",
        "huge-headers",
    ],
)
def test_malformed_responses_are_protocol_errors_in_one_printable_line(reply: bytes, expected: str) -> None:
    with serving_raw(_replying(reply)) as server:
        error = _fails(server)
    assert error.kind == "protocol"
    assert expected in str(error)
    assert str(error).isprintable()


def test_connection_refused_names_the_address() -> None:
    port = free_port()
    with pytest.raises(HttpError) as caught:
        request(Target(False, "127.0.0.1", port, "/"), "GET", [], timeout=5, max_body=10)
    assert (caught.value.kind, str(caught.value)) == ("network", f"connection refused by 127.0.0.1:{port}")


def test_an_untrusted_certificate_is_a_tls_error(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    def tls(conn: Conn) -> None:
        with context.wrap_socket(conn.sock, server_side=True):
            pass

    with serving_raw(tls) as server, pytest.raises(HttpError) as caught:
        request(_target(server, https=True), "GET", [], timeout=10, max_body=10)
    assert caught.value.kind == "tls"
    assert "TLS certificate not trusted" in str(caught.value)


# ---------------------------------------------------------------- the request


def test_the_request_is_written_as_http_client_would_write_it() -> None:
    with serving_raw(_replying(OK)) as server:
        target = Target(False, "localhost", server.port, "/api/v1/scheduled/x?a=%2F&b")
        response = request(
            target, "POST", [("X-A", "1"), ("User-Agent", "t")], b'{"k":1}', timeout=10, max_body=9
        )
    assert response == Response(200, "OK", (("Content-Length", "2"),), b"ok")
    assert server.conns[0].request == (
        b"POST /api/v1/scheduled/x?a=%2F&b HTTP/1.1\r\n"
        + f"Host: localhost:{server.port}\r\n".encode()
        + b'Accept-Encoding: identity\r\nX-A: 1\r\nUser-Agent: t\r\nContent-Length: 7\r\n\r\n{"k":1}'
    )


def test_given_host_and_accept_encoding_replace_the_defaults_and_post_always_says_its_length() -> None:
    with serving_raw(_replying(OK)) as server:
        headers = [("Host", "app.example"), ("Accept-Encoding", "gzip")]
        request(_target(server), "POST", headers, b"", timeout=10, max_body=9)
    assert server.conns[0].request == (
        b"POST /p HTTP/1.1\r\nHost: app.example\r\nAccept-Encoding: gzip\r\nContent-Length: 0\r\n\r\n"
    )


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/a b", []),
        ("GET", "/a\r\nX-Injected: 1", []),
        ("GE T", "/", []),
        ("GET", "/", [("X-A", "v\r\nX-Injected: 1")]),
        ("GET", "/", [("X A", "v")]),
        ("GET", "/", [("X-A:", "v")]),
    ],
)
def test_a_request_that_would_smuggle_bytes_is_refused_before_connecting(
    method: str, path: str, headers: list[tuple[str, str]]
) -> None:
    with serving_raw(_replying(OK)) as server:
        with pytest.raises(ValueError, match=r"invalid|space,? (or )?a control|line break") as caught:
            request(Target(False, "127.0.0.1", server.port, path), method, headers, timeout=5, max_body=9)
        assert server.conns == []
    assert str(caught.value).isprintable()


def test_the_client_imports_neither_http_client_nor_ssl_for_plain_http() -> None:
    code = (
        "import sys, cronix.httpio, cronix.flocks;"
        "print(sorted(m for m in ('http.client', 'email', 'ssl', 'threading', 'dataclasses') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
