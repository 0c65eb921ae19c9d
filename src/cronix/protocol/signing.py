"""HMAC-SHA256 request signatures (``X-Cron-Signature``), wire-compatible with the reference.

Signed bytes: ``<t>.<METHOD>.<path>.`` followed by the raw body, where ``t`` is Unix
seconds, ``METHOD`` is upper-cased and ``path`` is the path-and-query exactly as sent.
Header value: ``t=<t>,v1=<64 lowercase hex>``.

Verification accepts any of several secrets (rotation: sign with the first, verify with
all, report which index matched) and fails with exactly one of three codes, checked in
this order: ``MalformedHeader`` (unparseable header, or no usable secret list),
``StaleTimestamp`` (``|now − t| > window``; a window of ``0`` or ``None`` means 300 s),
``SignatureMismatch``. Timestamps are ASCII digits only: unlike Go we refuse ``+123``
and ``-0``, as the TypeScript SDK and the RFC do (``spec/DECISIONS.md`` D-008).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from typing import TYPE_CHECKING

from cronix.protocol.errors import SignatureError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "DEFAULT_REPLAY_WINDOW_SECONDS",
    "MIN_REPLAY_WINDOW_SECONDS",
    "ParsedSignature",
    "parse_signature_header",
    "sign",
    "signed_payload",
    "verify",
]

DEFAULT_REPLAY_WINDOW_SECONDS = 300
MIN_REPLAY_WINDOW_SECONDS = 30
_MAX_TIMESTAMP = (1 << 63) - 1
_HEX = frozenset("0123456789abcdefABCDEF")
_CANONICAL_HEADER = re.compile(r"t=([0-9]{1,19}),v1=([0-9a-fA-F]{64})")


def signed_payload(timestamp: int, method: str, path: str, body: bytes) -> bytes:
    """The exact bytes that are HMAC'd."""
    return f"{timestamp}.{method.upper()}.{path}.".encode() + body


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def sign(secret: str | bytes, method: str, path: str, body: bytes, timestamp: int | None = None) -> str:
    """The ``X-Cron-Signature`` value for a request; ``timestamp`` defaults to now."""
    if not secret:
        raise ValueError("cannot sign with an empty secret")
    ts = int(time.time()) if timestamp is None else timestamp
    if ts < 0:
        raise ValueError("timestamp must not be negative")
    mac = hmac.new(_key(secret), signed_payload(ts, method, path, body), hashlib.sha256)
    return f"t={ts},v1={mac.hexdigest()}"


class ParsedSignature(tuple[int, bytes]):
    """``(timestamp, signature bytes)`` of a parsed header."""

    __slots__ = ()

    @property
    def timestamp(self) -> int:
        return self[0]

    @property
    def signature(self) -> bytes:
        return self[1]


def _malformed(message: str) -> SignatureError:
    return SignatureError("MalformedHeader", message)


def parse_signature_header(value: str) -> ParsedSignature:
    """Parse ``t=…,v1=…``; raise :class:`SignatureError` with code ``MalformedHeader``.

    Segments are split on ``,`` without trimming; every segment needs an ``=``; keys other
    than ``t`` and ``v1`` are ignored; when a key repeats the last value wins.
    """
    canonical = _CANONICAL_HEADER.fullmatch(value) if isinstance(value, str) else None
    if canonical is not None:  # what every signer writes: skip the general parse
        ts = int(canonical[1])
        if ts <= _MAX_TIMESTAMP:
            return ParsedSignature((ts, bytes.fromhex(canonical[2])))
    if not isinstance(value, str) or value == "":
        raise _malformed("signature header is empty")
    timestamp: int | None = None
    sig: bytes | None = None
    for segment in value.split(","):
        key, sep, val = segment.partition("=")
        if not sep:
            raise _malformed("signature header segment without '='")
        if key == "t":
            if (
                not val
                or not val.isascii()
                or not val.isdigit()
                or len(val) > 19
                or int(val) > _MAX_TIMESTAMP
            ):
                raise _malformed("signature timestamp must be decimal Unix seconds")
            timestamp = int(val)
        elif key == "v1":
            if len(val) != 64 or not _HEX.issuperset(val):
                raise _malformed("v1 signature must be 64 hex digits")
            sig = bytes.fromhex(val)
    if timestamp is None:
        raise _malformed("signature header has no t= timestamp")
    if sig is None:
        raise _malformed("signature header has no v1= signature")
    return ParsedSignature((timestamp, sig))


def verify(
    secrets: Sequence[str | bytes],
    method: str,
    path: str,
    body: bytes,
    header: str,
    *,
    now: int | None = None,
    max_skew_seconds: int | None = None,
) -> int:
    """Verify a signature; return the index (into ``secrets``) of the secret that matched.

    Empty secrets are skipped but still count for the index, so an operator can blank a
    retired secret without renumbering the others.
    """
    if not secrets:
        raise _malformed("at least one secret is required")
    ts, given = parse_signature_header(header)
    window = max_skew_seconds or DEFAULT_REPLAY_WINDOW_SECONDS
    current = int(time.time()) if now is None else now
    if abs(current - ts) > window:
        raise SignatureError("StaleTimestamp", f"signature timestamp is more than {window}s away from now")
    payload = signed_payload(ts, method, path, body)
    for index, secret in enumerate(secrets):
        if secret and hmac.compare_digest(hmac.new(_key(secret), payload, hashlib.sha256).digest(), given):
            return index
    raise SignatureError("SignatureMismatch", "signature does not match")
