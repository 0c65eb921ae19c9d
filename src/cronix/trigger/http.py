"""One attempt: a single HTTP request with one deadline over connect, send and response.

The exchange is :func:`cronix.httpio.request` (shared with manifest fetches): one deadline
— the job's ``timeout_seconds`` — bounds name resolution, connect, TLS, sending, the
headers and the body, so a server that trickles its headers cannot hold an attempt, and a
server that sends a status line and then nothing is a timeout (retried), never a success.
Once the headers are complete the attempt has its answer: a body cut short by the
deadline or the peer only shortens the excerpt (the reference ignores body read errors too).

Redirects are never followed (D-201): the signature is bound to the path, a redirected
request would either fail verification or — worse — carry a valid signature to another
endpoint. The caller gets the 3xx status and its ``Location``.

The path on the request line is the path-and-query exactly as written in the job URL, and
it is exactly what the signature covers (:func:`cronix.httpio.parse_target`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from cronix.httpio import HttpError, Target, parse_target, request

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["MAX_RESPONSE_BYTES", "AttemptError", "Response", "Target", "parse_target", "send"]

MAX_RESPONSE_BYTES = 64 * 1024


class Response(NamedTuple):
    """What came back: status, up to 64 KiB of body, and ``Location`` (never followed)."""

    status: int
    body: bytes
    location: str | None = None


class AttemptError(Exception):
    """No response: ``reason`` is ``timeout`` or ``network`` (the OTel ``cronix.retry_reason``)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def send(
    target: Target,
    method: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    timeout: float,
) -> Response:
    """Send one request; return the response or raise :class:`AttemptError`."""
    try:
        answer = request(target, method, headers, body, timeout=timeout, max_body=MAX_RESPONSE_BYTES)
    except HttpError as exc:
        if exc.response is None:
            if exc.kind == "timeout":
                raise AttemptError(f"timeout after {timeout:g}s ({exc.during})", "timeout") from None
            raise AttemptError(str(exc), "network") from None
        answer = exc.response  # the headers arrived: the status stands, the excerpt is shorter
    return Response(answer.status, answer.body, answer.header("Location"))
