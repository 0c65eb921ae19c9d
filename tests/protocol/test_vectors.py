"""The project's own conformance vectors (spec/vectors), run through the adapter in-process.

The runner and the adapter subprocess contract are exercised end to end in
``tests/cli/test_conformance_cli.py``; here every vector gets its own test id and a
stricter check for invalid manifests: *every* listed error path must be reported (the
cross-implementation rule only needs one), because cronix promises to report all issues
at once.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from cronix.conformance.adapter import run

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors"


def _load(name: str) -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads((VECTORS / name).read_bytes())["vectors"]
    return vectors


MANIFEST = _load("manifest-vectors.json")
AUTH = _load("auth-vectors.json")
FIRE_JWT_DOC = json.loads((VECTORS / "fire-jwt-vectors.json").read_bytes())
FIRE_JWT = FIRE_JWT_DOC["vectors"]


def test_vector_files_meet_the_minimum_coverage() -> None:
    assert len(MANIFEST) >= 40
    assert len(AUTH) >= 35
    assert {v["kind"] for v in AUTH} == {"sign", "verify"}
    assert len({v["name"] for v in MANIFEST}) == len(MANIFEST), "vector names must be unique"
    assert len({v["name"] for v in AUTH}) == len(AUTH), "vector names must be unique"


@pytest.mark.parametrize("vector", MANIFEST, ids=[v["name"] for v in MANIFEST])
def test_manifest_vector(vector: dict[str, Any]) -> None:
    if "inputB64" in vector:
        stdin = base64.b64decode(vector["inputB64"])
    else:
        stdin = json.dumps(vector["input"], ensure_ascii=False).encode()
    out = run("manifest-canonicalize", stdin)
    if vector["valid"]:
        assert out == vector["expected"]
    else:
        reported = json.loads(out)["error"]["paths"]
        missing = [p for p in vector["errorPaths"] if p not in reported]
        assert not missing, f"not reported: {missing}; reported: {reported}"


@pytest.mark.parametrize("vector", AUTH, ids=[v["name"] for v in AUTH])
def test_auth_vector(vector: dict[str, Any]) -> None:
    if vector["kind"] == "sign":
        keys = ("secret", "method", "path", "bodyB64", "timestamp")
        out = run("auth-sign", json.dumps({k: vector[k] for k in keys}).encode())
        assert out == vector["expectedHeader"]
        return
    keys = ("secrets", "method", "path", "bodyB64", "header", "now")
    doc = {k: vector[k] for k in keys} | {"maxSkewSeconds": vector.get("maxSkewSeconds", 0)}
    got = json.loads(run("auth-verify", json.dumps(doc).encode()))
    if vector["expect"] == "ok":
        assert got == {"ok": True, "secret_index": vector.get("expectedSecretIndex", 0)}
    else:
        assert got == {"ok": False, "error": vector["expect"]}


def test_fire_jwt_vectors_cover_the_issue_list() -> None:
    """Every case issue 13 item 5 names, plus both algorithms families and the JWKS rotation case."""
    expects = {v["expect"] for v in FIRE_JWT}
    assert {
        "ok",
        "Expired",
        "NotYetValid",
        "LifetimeTooLong",
        "WrongIssuer",
        "WrongAudience",
        "WrongPurpose",
        "TargetMismatch",
        "BodyMismatch",
        "UnsupportedAlgorithm",
        "UnknownKey",
        "MalformedToken",
        "TokenReplayed",
    } <= expects
    names = {v["name"] for v in FIRE_JWT}
    assert {
        "valid-es256",
        "valid-rs256",
        "valid-second-jwks-key",
        "alg-none",
        "alg-hs256-confusion-with-public-key",
        "missing-kid",
        "duplicate-jti",
        "wrong-method",
        "wrong-url",
        "wrong-subject",
    } <= names
    assert len(names) == len(FIRE_JWT), "vector names must be unique"


@pytest.mark.parametrize("vector", FIRE_JWT, ids=[v["name"] for v in FIRE_JWT])
def test_fire_jwt_vector(vector: dict[str, Any]) -> None:
    doc = {**FIRE_JWT_DOC["settings"], **vector}
    got = json.loads(run("fire-jwt-verify", json.dumps(doc).encode()))
    if vector["expect"] == "ok":
        assert got["ok"] is True, got
        assert got["kid"] == vector["expectedKid"]
        assert got["fire_id"] == "billing.ping#0@2026-01-01T00:00:00Z"
    else:
        assert got == {"ok": False, "error": vector["expect"]}


def test_fire_jwt_generator_is_deterministic(tmp_path: Path) -> None:
    """The generator writes the committed file byte for byte (deterministic ECDSA/EdDSA, fixed keys)."""
    import shutil
    import subprocess
    import sys

    copy = tmp_path / "vectors"
    shutil.copytree(VECTORS / "fire-jwt-keys", copy / "fire-jwt-keys")
    shutil.copy(VECTORS / "generate_fire_jwt_vectors.py", copy)
    subprocess.run(
        [sys.executable, str(copy / "generate_fire_jwt_vectors.py")], check=True, capture_output=True
    )
    assert (copy / "fire-jwt-vectors.json").read_bytes() == (VECTORS / "fire-jwt-vectors.json").read_bytes()
