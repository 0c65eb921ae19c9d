"""The fire token of the ``managed-jwt`` strategy: what a managed scheduler mints, what the SDK checks.

A managed scheduler calls the app's trigger route itself with ``Authorization: Bearer
<JWT>`` (JWS compact serialization, RFC 7515/7519), signed with an **asymmetric** key
whose public half it publishes as a JWKS. This module is the claim profile only — names,
values and the rules both sides apply — with no JOSE code: minting is the scheduler's
job (the reference service uses PyJWT) and verification is :mod:`cronix.sdk.firejwt`
(PyJWT as well). The profile (``spec/managed-scheduler.md`` §5, D-504)::

    header  alg ∈ ALGORITHMS (never "none", never HS*), kid (required), typ "JWT"
    iss     the scheduler's issuer URL             aud   "cronix:app:<app>" (default)
    sub     "<app>.<job>"                          purpose  "cron_fire"
    iat nbf exp   exp − iat ≤ MAX_LIFETIME_SECONDS (120 recommended)
    jti     unique per delivery attempt            fire_id  the occurrence (constant)
    run_id  constant across retries                attempt  1-based
    htm     HTTP method (upper case)               htu   the exact target URL
    body_sha256   base64url(SHA-256(raw body)), no padding; the empty body hashes ""
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any, Final

__all__ = [
    "ALGORITHMS",
    "DEFAULT_LEEWAY_SECONDS",
    "DEFAULT_LIFETIME_SECONDS",
    "MAX_LIFETIME_SECONDS",
    "PURPOSE",
    "REQUIRED_CLAIMS",
    "audience_for",
    "body_sha256",
    "fire_claims",
    "subject_for",
]

#: Asymmetric JWS algorithms a fire token may use. HS* would let anyone who can verify
#: also mint (and invites algorithm confusion with a public key as the HMAC secret).
ALGORITHMS: Final = ("ES256", "ES384", "RS256", "RS384", "RS512", "EdDSA")
PURPOSE: Final = "cron_fire"
MAX_LIFETIME_SECONDS: Final = 300
DEFAULT_LIFETIME_SECONDS: Final = 120
DEFAULT_LEEWAY_SECONDS: Final = 30
REQUIRED_CLAIMS: Final = (
    "iss",
    "aud",
    "sub",
    "iat",
    "nbf",
    "exp",
    "jti",
    "purpose",
    "fire_id",
    "run_id",
    "attempt",
    "htm",
    "htu",
    "body_sha256",
)


def body_sha256(body: bytes) -> str:
    """``base64url(SHA-256(body))`` without padding (QStash's ``body`` claim, in this name)."""
    return base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode("ascii")


def audience_for(app: str) -> str:
    """The default audience of an app's fire tokens."""
    return f"cronix:app:{app}"


def subject_for(app: str, job: str) -> str:
    return f"{app}.{job}"


def fire_claims(
    *,
    issuer: str,
    audience: str,
    app: str,
    job: str,
    method: str,
    url: str,
    body: bytes,
    fire_id: str,
    run_id: str,
    attempt: int,
    jti: str,
    now: int,
    lifetime: int = DEFAULT_LIFETIME_SECONDS,
) -> dict[str, Any]:
    """The claim set of one delivery attempt (what a scheduler signs)."""
    if not 0 < lifetime <= MAX_LIFETIME_SECONDS:
        raise ValueError(f"token lifetime must be 1..{MAX_LIFETIME_SECONDS} s, got {lifetime}")
    return {
        "iss": issuer,
        "aud": audience,
        "sub": subject_for(app, job),
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": jti,
        "purpose": PURPOSE,
        "fire_id": fire_id,
        "run_id": run_id,
        "attempt": attempt,
        "htm": method.upper(),
        "htu": url,
        "body_sha256": body_sha256(body),
    }
