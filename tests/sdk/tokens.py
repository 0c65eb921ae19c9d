"""Minting fire tokens for tests, with the fixed test-only keys of ``spec/vectors/fire-jwt-keys``."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization

KEYS = Path(__file__).resolve().parents[2] / "spec" / "vectors" / "fire-jwt-keys"
ISSUER = "https://scheduler.test"


def private_key(name: str = "es256-a") -> Any:
    return serialization.load_pem_private_key((KEYS / f"{name}.pem").read_bytes(), password=None)


def jwks(*names: str) -> dict[str, Any]:
    keys = []
    for name in names or ("es256-a",):
        key = private_key(name)
        alg = "RS256" if name.startswith("rs") else "EdDSA" if name.startswith("eddsa") else "ES256"
        doc = json.loads(jwt.get_algorithm_by_name(alg).to_jwk(key.public_key()))
        doc.update(kid=name, use="sig")
        keys.append(doc)
    return {"keys": keys}


def body_hash(body: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()


def mint(
    *,
    app: str,
    job: str,
    url: str,
    fire_id: str,
    body: bytes = b"",
    method: str = "POST",
    key: str = "es256-a",
    alg: str = "ES256",
    run_id: str | None = None,
    attempt: int = 1,
    jti: str | None = None,
    **overrides: Any,
) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": f"cronix:app:{app}",
        "sub": f"{app}.{job}",
        "iat": now,
        "nbf": now,
        "exp": now + 120,
        "jti": jti or uuid.uuid4().hex,
        "purpose": "cron_fire",
        "fire_id": fire_id,
        "run_id": run_id or str(uuid.uuid4()),
        "attempt": attempt,
        "htm": method,
        "htu": url,
        "body_sha256": body_hash(body),
        **overrides,
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, private_key(key), algorithm=alg, headers={"kid": key})
