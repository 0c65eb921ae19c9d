"""The real ``cronix trigger`` process against app servers that misbehave on the wire.

Each server is a raw socket on loopback (``tests/support/rawserver.py``). The headline case
is issue 16 item 11: a server that sends ``HTTP/1.1 200 OK`` and nothing more used to be
logged as ``trigger: success`` (exit 0, no retry); it is a timeout, and the next attempt
decides the fire.
"""

from __future__ import annotations

from collections.abc import Callable

from cronix.protocol.triggerlog import MSG
from tests.support.rawserver import Conn, serving_raw
from tests.trigger.conftest import Host, log_lines, write_spec

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
# One-second attempts, no backoff: the deadline is the job's timeout_seconds.
POLICY = {"timeout_seconds": 1, "retries": {"max_attempts": 2, "min_seconds": 0, "max_seconds": 1}}


def _reply(data: bytes, *, hold: bool = False) -> Callable[[Conn], None]:
    def script(conn: Conn) -> None:
        conn.read_request()
        conn.send(data)
        if hold:
            conn.wait_for_close(30)

    return script


def _fire(host: Host, url: str, **policy: object) -> tuple[int, list[dict[str, object]]]:
    write_spec(host.spec_dir, url, policy={**POLICY, **policy})
    proc = host.trigger(timeout=60)
    return proc.returncode, log_lines(proc.stdout)


def test_a_status_line_and_then_silence_is_a_timeout_and_the_retry_decides(host: Host) -> None:
    with serving_raw(_reply(b"HTTP/1.1 200 OK\r\n", hold=True), _reply(OK)) as server:
        code, lines = _fire(host, server.url())
    assert code == 0
    assert [(line["msg"], line.get("attempt")) for line in lines] == [
        (MSG.ATTEMPT_FAILED, 1),
        (MSG.SUCCESS, 2),
    ]
    assert lines[0]["err"] == "timeout after 1s (waiting for the response headers)"
    assert len(server.conns) == 2
    assert [run["attempts"] for run in host.runs()] == [2]


def test_a_status_line_and_then_a_closed_connection_is_retried(host: Host) -> None:
    with serving_raw(_reply(b"HTTP/1.1 200 OK\r\n"), _reply(b"HTTP/1.1 200 OK\r\n")) as server:
        code, lines = _fire(host, server.url())
    assert code == 2
    assert [line["msg"] for line in lines] == [MSG.ATTEMPT_FAILED, MSG.ATTEMPT_FAILED, MSG.RETRIES_EXHAUSTED]
    assert "closed before the response headers were complete" in str(lines[0]["err"])


def test_headers_trickled_one_byte_per_second_end_the_attempt_at_its_timeout(host: Host) -> None:
    def trickle(conn: Conn) -> None:
        conn.read_request()
        conn.trickle(OK, interval=1.0)

    with serving_raw(trickle) as server:
        code, lines = _fire(host, server.url(), retries={"max_attempts": 1})
    assert code == 2
    assert [line["msg"] for line in lines] == [MSG.ATTEMPT_FAILED, MSG.RETRIES_EXHAUSTED]
    assert lines[0]["err"] == "timeout after 1s (waiting for the response headers)"
    assert server.conns[0].sent < len(OK) // 2  # the shim left at the deadline, mid-headers


def test_once_the_headers_are_complete_a_slow_body_only_shortens_the_excerpt(host: Host) -> None:
    def slow_body(conn: Conn) -> None:
        conn.read_request()
        conn.send(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 40\r\n\r\n")
        conn.trickle(b"e" * 40, interval=1.0)

    with serving_raw(slow_body, _reply(OK)) as server:
        code, lines = _fire(host, server.url())
    assert code == 0
    assert [(line["msg"], line.get("status")) for line in lines] == [
        (MSG.SERVER_ERROR, 503),
        (MSG.SUCCESS, 200),
    ]
    assert 0 < len(str(lines[0]["body_excerpt"])) < 40  # what arrived before the deadline


def test_a_redirect_is_not_followed(host: Host) -> None:
    moved = b"HTTP/1.1 307 Temporary Redirect\r\nLocation: https://elsewhere.example/x\r\nContent-Length: 0\r\n\r\n"
    with serving_raw(_reply(moved), _reply(OK)) as server:
        code, lines = _fire(host, server.url())
    assert code == 1
    assert [(line["msg"], line.get("location")) for line in lines] == [
        (MSG.APP_REJECTED, "https://elsewhere.example/x")
    ]
    assert len(server.conns) == 1


def test_a_huge_body_is_read_only_up_to_the_cap(host: Host) -> None:
    # 32 MiB framed by the connection's end; the server keeps the connection open afterwards.
    body = b"r" * (32 * 1024 * 1024)
    with serving_raw(_reply(b"HTTP/1.1 400 Bad Request\r\n\r\n" + body, hold=True)) as server:
        code, lines = _fire(host, server.url(), timeout_seconds=30)
    assert code == 1
    assert lines[-1]["body_excerpt"] == "r" * 200 + "…"
    assert server.conns[0].peer_closed  # the shim hung up once it had its 64 KiB
