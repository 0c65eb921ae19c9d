"""The standalone utilities against the project's auth vectors, and their own edges."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from cronix.protocol.errors import SignatureError
from cronix.sdk import (
    CronConfigError,
    Rejection,
    Verified,
    canonical_signed_bytes,
    parse_signature_header,
    sign_request,
    verify_signature,
)
from tests.sdk.signer import signature

VECTORS = json.loads((Path(__file__).parents[2] / "spec/vectors/auth-vectors.json").read_text())["vectors"]


def by_kind(kind: str) -> list[Any]:
    return [pytest.param(v, id=v["name"]) for v in VECTORS if v["kind"] == kind]


@pytest.mark.parametrize("vector", by_kind("sign"))
def test_sign_request_matches_the_sign_vectors(vector: dict[str, Any]) -> None:
    body = base64.b64decode(vector["bodyB64"])
    signed = sign_request(
        vector["secret"], vector["method"], vector["path"], body, timestamp=vector["timestamp"]
    )
    assert signed.header == vector["expectedHeader"]
    assert signed.timestamp == vector["timestamp"]


@pytest.mark.parametrize("vector", by_kind("verify"))
def test_verify_signature_matches_the_verify_vectors(vector: dict[str, Any]) -> None:
    result = verify_signature(
        vector["secrets"],
        vector["method"],
        vector["path"],
        base64.b64decode(vector["bodyB64"]),
        vector["header"],
        now=vector["now"],
        replay_window_seconds=vector.get("maxSkewSeconds") or 300,  # 0 means the default
    )
    if vector["expect"] == "ok":
        assert result == Verified(vector.get("expectedSecretIndex", 0))
    else:
        assert isinstance(result, Rejection)
        assert (result.status, result.code) == (401, vector["expect"])


def test_canonical_signed_bytes_and_an_independent_signer_agree() -> None:
    payload = canonical_signed_bytes(1730000002, "post", "/api/v1/scheduled/x?a=1", b'{"k":1}')
    assert payload == b'1730000002.POST./api/v1/scheduled/x?a=1.{"k":1}'
    ours = sign_request("k", "post", "/api/v1/scheduled/x?a=1", b'{"k":1}', timestamp=1730000002).header
    assert ours == signature("k", "POST", "/api/v1/scheduled/x?a=1", b'{"k":1}', 1730000002)


def test_parse_signature_header() -> None:
    ts, sig = parse_signature_header("t=12,v2=zz,v1=" + "Ab" * 32)
    assert (ts, sig) == (12, bytes.fromhex("ab" * 32))
    with pytest.raises(SignatureError) as info:
        parse_signature_header("t=+12,v1=" + "ab" * 32)
    assert info.value.code == "MalformedHeader"


def test_verify_signature_missing_header_and_window_floor() -> None:
    assert verify_signature("k", "GET", "/", b"", None) == Rejection(
        401, "MissingSignature", "missing X-Cron-Signature header"
    )
    with pytest.raises(CronConfigError, match="must be >= 30"):
        verify_signature("k", "GET", "/", b"", "t=1,v1=" + "0" * 64, replay_window_seconds=10)
    header = sign_request("k", "GET", "/", timestamp=1000).header
    assert verify_signature("k", "GET", "/", b"", header, now=1030, replay_window_seconds=30) == Verified(0)
    stale = verify_signature("k", "GET", "/", b"", header, now=1031, replay_window_seconds=30)
    assert isinstance(stale, Rejection)
    assert stale.code == "StaleTimestamp"
