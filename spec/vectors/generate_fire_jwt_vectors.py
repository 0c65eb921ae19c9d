#!/usr/bin/env python3
"""Generate spec/vectors/fire-jwt-vectors.json.

Standalone: the standard library plus `cryptography` for the signatures (ES256 and
EdDSA signed deterministically, RFC 6979 / RFC 8032; RS256/RS384 with PKCS#1 v1.5, which
is deterministic), so the file is the same bytes on every run. It imports neither cronix
nor PyJWT: the JWS compact serialization is written here from RFC 7515, so the SDK's
verifier (PyJWT) is checked against an independent signer.

The keys are fixed test keys in fire-jwt-keys/ (TEST ONLY, never trust them). The token
profile follows spec/managed-scheduler.md section 5 (claims iss, aud, sub, iat, nbf, exp,
jti, purpose=cron_fire, fire_id, run_id, attempt, htm, htu, body_sha256) and the check
order of cronix.sdk.firejwt (D-504). Every vector carries a hand-written `expect`;
`check()` below is an independent restatement of the rules used only to assert that the
labels are consistent.

Run:  python3 spec/vectors/generate_fire_jwt_vectors.py   (needs: pip install cryptography)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fire-jwt-vectors.json")
KEYS = os.path.join(HERE, "fire-jwt-keys")

ISSUER = "https://scheduler.example"
AUDIENCE = "cronix:app:billing"
SUBJECT = "billing.ping"
URL = "https://billing.example/api/v1/scheduled/ping"
NOW = 1767225630  # 2026-01-01T00:00:30Z
FIRE_ID = "billing.ping#0@2026-01-01T00:00:00Z"
RUN_ID = "0194f8a0-0000-7000-8000-000000000001"
BODY = b'{"hello":"world"}'
LEEWAY = 30
MAX_LIFETIME = 300
ALLOWED = ("ES256", "ES384", "RS256", "RS384", "RS512", "EdDSA")


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_json(doc: object) -> str:
    return b64u(json.dumps(doc, separators=(",", ":"), sort_keys=True).encode("utf-8"))


def load(name: str):  # type: ignore[no-untyped-def]
    with open(os.path.join(KEYS, name), "rb") as fh:
        return serialization.load_pem_private_key(fh.read(), password=None)


def int_b64u(n: int, size: int | None = None) -> str:
    length = size or (n.bit_length() + 7) // 8
    return b64u(n.to_bytes(length, "big"))


def jwk(kid: str, key, alg: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    pub = key.public_key()
    if isinstance(pub, ec.EllipticCurvePublicKey):
        nums = pub.public_numbers()
        doc = {"kty": "EC", "crv": "P-256", "x": int_b64u(nums.x, 32), "y": int_b64u(nums.y, 32)}
    elif isinstance(pub, rsa.RSAPublicKey):
        nums = pub.public_numbers()
        doc = {"kty": "RSA", "n": int_b64u(nums.n), "e": int_b64u(nums.e)}
    else:
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        doc = {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}
    doc.update({"kid": kid, "use": "sig"})
    if alg:
        doc["alg"] = alg
    return doc


def sign(key, alg: str, data: bytes) -> bytes:  # type: ignore[no-untyped-def]
    if alg == "ES256":
        der = key.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
        r, s = decode_dss_signature(der)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if alg in ("RS256", "RS384", "RS512"):
        digest = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}[alg]
        return key.sign(data, padding.PKCS1v15(), digest)
    if alg == "EdDSA":
        return key.sign(data)
    raise ValueError(alg)


def token(header: dict, claims: dict, key=None, alg: str | None = None, *, raw_sig: bytes | None = None) -> str:  # type: ignore[no-untyped-def]
    signing_input = f"{b64u_json(header)}.{b64u_json(claims)}".encode("ascii")
    if raw_sig is not None:
        sig = raw_sig
    else:
        sig = sign(key, alg or header["alg"], signing_input)
    return signing_input.decode("ascii") + "." + b64u(sig)


def claims(**overrides: object) -> dict:
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": SUBJECT,
        "iat": NOW - 10,
        "nbf": NOW - 10,
        "exp": NOW + 110,
        "jti": "jti-0001",
        "purpose": "cron_fire",
        "fire_id": FIRE_ID,
        "run_id": RUN_ID,
        "attempt": 1,
        "htm": "POST",
        "htu": URL,
        "body_sha256": b64u(hashlib.sha256(BODY).digest()),
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


ES_A, ES_B, RS_A, ED_A, ROGUE = (load(n) for n in ("es256-a.pem", "es256-b.pem", "rs256-a.pem", "eddsa-a.pem",
                                                   "es256-rogue.pem"))
JWKS = {
    "keys": [
        jwk("es256-a", ES_A, "ES256"),
        jwk("es256-b", ES_B, "ES256"),
        jwk("rs256-a", RS_A),  # no "alg": RS256, RS384 and RS512 may use it
        jwk("eddsa-a", ED_A, "EdDSA"),
    ]
}
PUBLIC_PEM_A = ES_A.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def hdr(alg: str = "ES256", kid: str | None = "es256-a") -> dict:
    doc = {"alg": alg, "typ": "JWT"}
    if kid is not None:
        doc["kid"] = kid
    return doc


def v(name: str, tok: str | None, expect: str, **extra: object) -> dict:
    doc: dict = {
        "name": name,
        "authorization": "" if tok is None else f"Bearer {tok}",
        "method": "POST",
        "url": URL,
        "bodyB64": base64.b64encode(BODY).decode("ascii"),
        "now": NOW,
        "expect": expect,
    }
    doc.update(extra)
    return doc


VECTORS = [
    v("valid-es256", token(hdr(), claims(), ES_A), "ok", expectedKid="es256-a", expectedFireId=FIRE_ID),
    v("valid-rs256", token(hdr("RS256", "rs256-a"), claims(), RS_A), "ok", expectedKid="rs256-a"),
    v("valid-rs384-jwk-without-alg", token(hdr("RS384", "rs256-a"), claims(), RS_A), "ok", expectedKid="rs256-a"),
    v("valid-eddsa", token(hdr("EdDSA", "eddsa-a"), claims(), ED_A), "ok", expectedKid="eddsa-a"),
    v("valid-second-jwks-key", token(hdr(kid="es256-b"), claims(), ES_B), "ok", expectedKid="es256-b"),
    v("valid-audience-list", token(hdr(), claims(aud=["other", AUDIENCE]), ES_A), "ok", expectedKid="es256-a"),
    v("valid-expired-within-leeway", token(hdr(), claims(iat=NOW - 150, nbf=NOW - 150, exp=NOW - 29), ES_A), "ok",
      expectedKid="es256-a"),
    v("valid-empty-body", token(hdr(), claims(body_sha256=b64u(hashlib.sha256(b"").digest())), ES_A), "ok",
      bodyB64="", expectedKid="es256-a"),
    v("missing-authorization", None, "MissingToken"),
    v("not-bearer", None, "MissingToken", authorization="Basic dXNlcjpwYXNz"),
    v("malformed-two-parts", None, "MalformedToken", authorization="Bearer abc.def"),
    v("missing-kid", token(hdr(kid=None), claims(), ES_A), "MalformedToken"),
    v("alg-none", token(hdr("none"), claims(), raw_sig=b""), "UnsupportedAlgorithm"),
    v(
        "alg-hs256-confusion-with-public-key",
        token(hdr("HS256"), claims(), raw_sig=hmac.new(PUBLIC_PEM_A, f"{b64u_json(hdr('HS256'))}.{b64u_json(claims())}".encode(), hashlib.sha256).digest()),
        "UnsupportedAlgorithm",
    ),
    v("unknown-kid", token(hdr(kid="es256-z"), claims(), ES_A), "UnknownKey"),
    v("signed-by-another-key", token(hdr(), claims(), ROGUE), "BadSignature"),
    v("alg-not-the-keys", token(hdr("RS256", "es256-a"), claims(), RS_A), "BadSignature"),
    v("claims-tampered-after-signing", token(hdr(), claims(), ES_A).replace(
        "." + b64u_json(claims()) + ".", "." + b64u_json(claims(sub="billing.other")) + "."), "BadSignature"),
    v("missing-purpose-claim", token(hdr(), claims(purpose=None), ES_A), "MissingClaim"),
    v("attempt-not-an-integer", token(hdr(), claims(attempt="1"), ES_A), "MissingClaim"),
    v("expired-past-leeway", token(hdr(), claims(iat=NOW - 150, nbf=NOW - 150, exp=NOW - 30), ES_A), "Expired"),
    v("nbf-in-the-future", token(hdr(), claims(nbf=NOW + 31, iat=NOW, exp=NOW + 100), ES_A), "NotYetValid"),
    v("iat-in-the-future", token(hdr(), claims(nbf=NOW, iat=NOW + 31, exp=NOW + 100), ES_A), "NotYetValid"),
    v("lifetime-too-long", token(hdr(), claims(iat=NOW - 10, exp=NOW + 291), ES_A), "LifetimeTooLong"),
    v("wrong-issuer", token(hdr(), claims(iss="https://evil.example"), ES_A), "WrongIssuer"),
    v("wrong-audience", token(hdr(), claims(aud="cronix:app:other"), ES_A), "WrongAudience"),
    v("wrong-purpose", token(hdr(), claims(purpose="login"), ES_A), "WrongPurpose"),
    v("wrong-subject", token(hdr(), claims(sub="billing.other"), ES_A), "TargetMismatch"),
    v("wrong-method", token(hdr(), claims(htm="GET"), ES_A), "TargetMismatch"),
    v("wrong-url", token(hdr(), claims(htu=URL + "?x=1"), ES_A), "TargetMismatch"),
    v("fire-id-of-another-job", token(hdr(), claims(fire_id="billing.other#0@2026-01-01T00:00:00Z"), ES_A),
      "TargetMismatch"),
    v("body-tampered", token(hdr(), claims(), ES_A), "BodyMismatch",
      bodyB64=base64.b64encode(b'{"hello":"w0rld"}').decode("ascii")),
    v("duplicate-jti", token(hdr(), claims(), ES_A), "TokenReplayed", seenJtis=["jti-0001"]),
]


# ---------------------------------------------------------------------------
# Independent check of the labels (not the source of them).
# ---------------------------------------------------------------------------


def _pub(kid: str):  # type: ignore[no-untyped-def]
    return {"es256-a": ES_A, "es256-b": ES_B, "rs256-a": RS_A, "eddsa-a": ED_A}.get(kid)


def _verifies(key, alg: str, data: bytes, sig: bytes) -> bool:  # type: ignore[no-untyped-def]
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    pub = key.public_key()
    try:
        if alg == "ES256" and isinstance(pub, ec.EllipticCurvePublicKey):
            pub.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")), data,
                       ec.ECDSA(hashes.SHA256()))
        elif alg.startswith("RS") and isinstance(pub, rsa.RSAPublicKey):
            pub.verify(sig, data, padding.PKCS1v15(), {"RS256": hashes.SHA256(), "RS384": hashes.SHA384()}[alg])
        elif alg == "EdDSA" and isinstance(pub, ed25519.Ed25519PublicKey):
            pub.verify(sig, data)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def check(vec: dict) -> str:
    auth = vec["authorization"]
    if not auth.startswith("Bearer "):
        return "MissingToken"
    parts = auth[7:].split(".")
    if len(parts) != 3:
        return "MalformedToken"
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    header = json.loads(base64.urlsafe_b64decode(pad(parts[0])))
    if header.get("alg") not in ALLOWED:
        return "UnsupportedAlgorithm"
    if not header.get("kid"):
        return "MalformedToken"
    key = _pub(header["kid"])
    if key is None:
        return "UnknownKey"
    if not _verifies(key, header["alg"], f"{parts[0]}.{parts[1]}".encode(), base64.urlsafe_b64decode(pad(parts[2]))):
        return "BadSignature"
    c = json.loads(base64.urlsafe_b64decode(pad(parts[1])))
    for name in ("iss", "aud", "sub", "iat", "nbf", "exp", "jti", "purpose", "fire_id", "run_id", "attempt", "htm",
                 "htu", "body_sha256"):
        if name not in c or (name in ("iat", "nbf", "exp", "attempt") and type(c[name]) is not int):
            return "MissingClaim"
    now = vec["now"]
    if c["exp"] <= now - LEEWAY:
        return "Expired"
    if c["nbf"] > now + LEEWAY or c["iat"] > now + LEEWAY:
        return "NotYetValid"
    if c["exp"] - c["iat"] > MAX_LIFETIME:
        return "LifetimeTooLong"
    if c["iss"] != ISSUER:
        return "WrongIssuer"
    if AUDIENCE not in (c["aud"] if isinstance(c["aud"], list) else [c["aud"]]):
        return "WrongAudience"
    if c["purpose"] != "cron_fire":
        return "WrongPurpose"
    if c["sub"] != SUBJECT or c["htm"] != vec["method"] or c["htu"] != vec["url"]:
        return "TargetMismatch"
    if c["fire_id"].split("#")[0] != SUBJECT:
        return "TargetMismatch"
    body = base64.b64decode(vec["bodyB64"])
    if c["body_sha256"] != b64u(hashlib.sha256(body).digest()):
        return "BodyMismatch"
    if c["jti"] in vec.get("seenJtis", []):
        return "TokenReplayed"
    return "ok"


def main() -> int:
    names = [vec["name"] for vec in VECTORS]
    assert len(set(names)) == len(names), "duplicate vector names"
    for vec in VECTORS:
        got = check(vec)
        assert got == vec["expect"], f"{vec['name']}: labelled {vec['expect']}, independent check says {got}"
    doc = {
        "$comment": "Generated by generate_fire_jwt_vectors.py; do not edit. Fixed TEST-ONLY keys in "
        "fire-jwt-keys/. Verify each vector with the shared settings below; expect is ok or a failure code.",
        "version": 1,
        "settings": {
            "issuer": ISSUER,
            "audience": AUDIENCE,
            "subject": SUBJECT,
            "leeway": LEEWAY,
            "maxLifetime": MAX_LIFETIME,
            "jwks": JWKS,
        },
        "vectors": VECTORS,
    }
    text = json.dumps(doc, indent=1, sort_keys=False) + "\n"
    with open(OUT, "w", encoding="ascii") as fh:
        fh.write(text)
    print(f"wrote {OUT}: {len(VECTORS)} vectors", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
