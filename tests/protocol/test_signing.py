"""HMAC signing: payload bytes, header format, parse rules, replay window, rotation."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronix.protocol.errors import SignatureError
from cronix.protocol.signing import parse_signature_header, sign, signed_payload, verify


def _independent(secret: bytes, payload: bytes) -> str:
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()


def test_payload_and_header_match_the_wire_format() -> None:
    assert signed_payload(1730000002, "post", "/api/v1/scheduled/x?a=1", b'{"a":1}') == (
        b'1730000002.POST./api/v1/scheduled/x?a=1.{"a":1}'
    )
    header = sign("s3cret", "post", "/p", b"body", 1730000002)
    assert header == f"t=1730000002,v1={_independent(b's3cret', b'1730000002.POST./p.body')}"


def test_bytes_and_str_secrets_sign_the_same() -> None:
    assert sign(b"k\xc3\xa9", "GET", "/", b"", 5) == sign("ké", "GET", "/", b"", 5)


def test_signing_defaults_to_now() -> None:
    before = int(time.time())
    ts = parse_signature_header(sign("k", "GET", "/", b"")).timestamp
    assert before <= ts <= int(time.time())


@pytest.mark.parametrize("secret", ["", b""])
def test_empty_secret_cannot_sign(secret: str | bytes) -> None:
    with pytest.raises(ValueError, match="empty secret"):
        sign(secret, "GET", "/", b"", 1)


def test_rotation_reports_the_index_of_the_matching_secret() -> None:
    header = sign("new", "POST", "/p", b"", 100)
    assert verify(["", "old", "new"], "POST", "/p", b"", header, now=100) == 2


@pytest.mark.parametrize(
    ("now", "window", "ok"),
    [
        (400, None, True),
        (401, None, False),
        (401, 0, False),
        (130, 30, True),
        (131, 30, False),
        (-200, None, True),
    ],
)
def test_replay_window(now: int, window: int | None, ok: bool) -> None:
    header = sign("k", "GET", "/", b"", 100)
    if ok:
        assert verify(["k"], "GET", "/", b"", header, now=now, max_skew_seconds=window) == 0
    else:
        with pytest.raises(SignatureError) as exc_info:
            verify(["k"], "GET", "/", b"", header, now=now, max_skew_seconds=window)
        assert exc_info.value.code == "StaleTimestamp"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("", "MalformedHeader"),
        ("t=1", "MalformedHeader"),
        ("v1=" + "a" * 64, "MalformedHeader"),
        ("t=+1,v1=" + "a" * 64, "MalformedHeader"),
        ("t=1,v1=" + "g" * 64, "MalformedHeader"),
        ("t=1,v1=" + "a" * 63, "MalformedHeader"),
        ("t=1,v1=" + "a" * 64 + ",", "MalformedHeader"),
        ("t=100,v1=" + "a" * 64, "SignatureMismatch"),
        ("t=100,v1=" + "A" * 64 + ",v2=zz", "SignatureMismatch"),
    ],
)
def test_verify_error_codes(header: str, code: str) -> None:
    with pytest.raises(SignatureError) as exc_info:
        verify(["k"], "GET", "/", b"", header, now=100)
    assert exc_info.value.code == code


def test_no_secrets_is_malformed() -> None:
    with pytest.raises(SignatureError) as exc_info:
        verify([], "GET", "/", b"", sign("k", "GET", "/", b"", 1), now=1)
    assert exc_info.value.code == "MalformedHeader"


def test_stale_is_reported_before_a_mismatch() -> None:
    with pytest.raises(SignatureError) as exc_info:
        verify(["k"], "GET", "/", b"", "t=1,v1=" + "0" * 64, now=10_000)
    assert exc_info.value.code == "StaleTimestamp"


@given(st.text(max_size=200))
def test_header_parser_raises_only_its_documented_error(text: str) -> None:
    try:
        ts, sig = parse_signature_header(text)
    except SignatureError as exc:
        assert exc.code == "MalformedHeader"
    else:
        assert ts >= 0 and len(sig) == 32


@given(st.text(max_size=200), st.binary(max_size=64), st.integers(-(2**64), 2**64))
def test_verify_raises_only_signature_errors(header: str, body: bytes, now: int) -> None:
    try:
        verify(["k", ""], "POST", "/p", body, header, now=now)
    except SignatureError as exc:
        assert exc.code in ("MalformedHeader", "StaleTimestamp", "SignatureMismatch")
