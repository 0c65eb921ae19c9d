"""Manifest fetches from servers that misbehave on the wire: the promised deadline holds.

``fetch_signed`` promises 30 s for the whole fetch; these use a shorter ``timeout`` and
real raw-socket servers (``tests/support/rawserver.py``). The trickling server would need
40 s to finish its answer; the fetch must fail at its deadline, so the server never gets
to send most of it.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from cronix.errors import ManifestSyntaxError, SourceUnreachable, UsageError
from cronix.sources import read_source
from tests.reconcile.conftest import job, manifest_doc
from tests.support.rawserver import Conn, RawServer, serving_raw

SECRET = "s3cr3t-value-for-tests"
MANIFEST = json.dumps(manifest_doc("billing", job("ping", "@hourly"))).encode()
HEAD = f"HTTP/1.1 200 OK\r\nContent-Length: {len(MANIFEST)}\r\n\r\n".encode()


def _fetch(server: RawServer, timeout: float = 10.0, max_bytes: int = 10 * 1024 * 1024) -> bytes:
    url = server.url("/.well-known/cron-manifest")
    return read_source(url, secret=lambda: SECRET, timeout=timeout, max_bytes=max_bytes).data


def _script(send: Callable[[Conn], None]) -> Callable[[Conn], None]:
    def script(conn: Conn) -> None:
        conn.read_request()
        send(conn)

    return script


def test_a_well_behaved_raw_server_is_fetched_and_signed() -> None:
    with serving_raw(_script(lambda c: c.send(HEAD + MANIFEST))) as server:
        assert _fetch(server) == MANIFEST
    request = server.conns[0].request.decode()
    assert request.startswith("GET /.well-known/cron-manifest HTTP/1.1\r\n")
    assert "\r\nX-Cron-Signature: t=" in request
    assert SECRET not in request


def _refused(*scripts: Callable[[Conn], None], **kwargs: float) -> tuple[Exception, RawServer]:
    """The error a fetch from these scripts ends with, and the server (to see what it sent)."""
    with serving_raw(*scripts) as server:
        try:
            _fetch(server, **kwargs)  # type: ignore[arg-type]
        except (SourceUnreachable, ManifestSyntaxError) as exc:
            return exc, server
    raise AssertionError("the fetch succeeded")


def test_headers_trickled_one_byte_per_second_fail_the_fetch_at_the_deadline() -> None:
    error, server = _refused(_script(lambda c: c.trickle(HEAD + MANIFEST, interval=1.0)), timeout=1.5)
    url = server.url("/.well-known/cron-manifest")
    assert isinstance(error, SourceUnreachable)
    assert str(error) == (
        f"cannot fetch manifest {url}: no complete response within 1.5 s (waiting for the response headers)"
    )
    assert server.conns[0].sent < len(HEAD)


@pytest.mark.parametrize(
    ("hold", "expected"),
    [(True, "no complete response within 1 s"), (False, "closed before the response headers were complete")],
    ids=["then-silence", "then-close"],
)
def test_a_status_line_alone_is_no_manifest(hold: bool, expected: str) -> None:
    def status_only(conn: Conn) -> None:
        conn.send(b"HTTP/1.1 200 OK\r\n")
        if hold:
            conn.wait_for_close(30)

    error, _ = _refused(_script(status_only), timeout=1.0)
    assert isinstance(error, SourceUnreachable)
    assert expected in str(error)


def test_a_body_trickled_past_the_deadline_fails_the_fetch() -> None:
    error, _ = _refused(_script(lambda c: (c.send(HEAD), c.trickle(MANIFEST, interval=1.0))), timeout=1.5)
    assert isinstance(error, SourceUnreachable)
    assert str(error).endswith("no complete response within 1.5 s (reading the response body)")


def test_a_body_cut_short_fails_the_fetch() -> None:
    error, _ = _refused(_script(lambda c: c.send(HEAD + MANIFEST[:10])))
    assert isinstance(error, SourceUnreachable)
    assert f"closed after 10 of {len(MANIFEST)} body bytes" in str(error)


def test_a_redirect_is_not_followed() -> None:
    moved = b"HTTP/1.1 301 Moved Permanently\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n"
    error, server = _refused(_script(lambda c: c.send(moved)), _script(lambda c: c.send(HEAD + MANIFEST)))
    assert isinstance(error, SourceUnreachable)
    assert "HTTP 301 Moved Permanently (redirects are not followed: use the final URL)" in str(error)
    assert len(server.conns) == 1


def test_the_size_cap_holds_without_a_content_length() -> None:
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1000\r\n" + b"{" * 4096 + b"\r\n"
    error, _ = _refused(_script(lambda c: (c.send(chunked), c.wait_for_close(30))), max_bytes=1024)
    assert isinstance(error, ManifestSyntaxError)
    assert "larger than the limit of 1024 bytes" in str(error)


def test_a_url_without_a_host_or_with_a_space_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="https:///m: the URL has no host"):
        read_source("https:///m", secret=lambda: SECRET)
    with pytest.raises(UsageError, match="the request target contains a space"):
        read_source("http://127.0.0.1:1/a b", secret=lambda: SECRET)


def test_a_reason_phrase_with_control_characters_is_printed_escaped() -> None:
    error, _ = _refused(
        _script(lambda c: c.send(b"HTTP/1.1 500 \x1b]0;pwned\x07\r\nContent-Length: 0\r\n\r\n"))
    )
    assert str(error).endswith(r"failed: HTTP 500 \x1b]0;pwned\x07")
    assert str(error).isprintable()
