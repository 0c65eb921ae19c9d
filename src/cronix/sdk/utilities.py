"""Standalone signing utilities for code that does not use a :class:`~cronix.sdk.Cron` registry.

Thin wrappers over :mod:`cronix.protocol.signing` (the one HMAC implementation): sign a
request the way ``cronix trigger`` and ``cronix apply`` do, verify one and get a
structured result instead of an exception, parse a header, or see the exact signed bytes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cronix.protocol import signing
from cronix.protocol.errors import SignatureError
from cronix.sdk.errors import CronConfigError
from cronix.sdk.results import Rejection, Verified, rejection

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "SignedRequest",
    "canonical_signed_bytes",
    "check_replay_window",
    "parse_signature_header",
    "sign_request",
    "verify_signature",
]


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """``header`` is the ``X-Cron-Signature`` value; ``timestamp`` the Unix seconds signed."""

    header: str
    timestamp: int


def check_replay_window(seconds: int) -> int:
    """The replay window, refusing values below the protocol minimum of 30 s."""
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise CronConfigError(f"cronix: replay_window_seconds must be an int, got {type(seconds).__name__}")
    if seconds < signing.MIN_REPLAY_WINDOW_SECONDS:
        raise CronConfigError(
            f"cronix: replay_window_seconds must be >= {signing.MIN_REPLAY_WINDOW_SECONDS}, got {seconds}"
        )
    return seconds


def sign_request(
    secret: str, method: str, path: str, body: bytes = b"", *, timestamp: int | None = None
) -> SignedRequest:
    """Sign ``method path`` with ``body``; ``path`` is the path-and-query exactly as it will be sent."""
    ts = int(time.time()) if timestamp is None else timestamp
    return SignedRequest(signing.sign(secret, method, path, body, ts), ts)


def verify_signature(
    secrets: str | Sequence[str],
    method: str,
    path: str,
    body: bytes,
    header: str | None,
    *,
    now: int | None = None,
    replay_window_seconds: int = signing.DEFAULT_REPLAY_WINDOW_SECONDS,
) -> Verified | Rejection:
    """Check one signature; never raises for a bad request.

    Returns :class:`Verified` with the index of the matching secret, or a 401
    :class:`Rejection` coded ``MissingSignature`` (``header`` is None),
    ``MalformedHeader``, ``StaleTimestamp`` or ``SignatureMismatch``. A window below 30 s
    is a programming error and raises :class:`CronConfigError`.
    """
    window = check_replay_window(replay_window_seconds)
    if header is None:
        return rejection("MissingSignature", "missing X-Cron-Signature header")
    keys = [secrets] if isinstance(secrets, str) else list(secrets)
    try:
        index = signing.verify(keys, method, path, body, header, now=now, max_skew_seconds=window)
    except SignatureError as exc:
        return rejection(exc.code, exc.message)
    return Verified(index)


def parse_signature_header(value: str) -> tuple[int, bytes]:
    """``(timestamp, signature bytes)``; raises :class:`SignatureError` (``MalformedHeader``)."""
    parsed = signing.parse_signature_header(value)
    return parsed.timestamp, parsed.signature


def canonical_signed_bytes(timestamp: int, method: str, path: str, body: bytes = b"") -> bytes:
    """The exact bytes that are HMAC'd: ``<t>.<METHOD>.<path>.<body>``."""
    return signing.signed_payload(timestamp, method, path, body)
