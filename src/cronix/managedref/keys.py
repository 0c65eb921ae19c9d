"""The service's signing keys: created on first start, kept in a 0600 file, published as a JWKS.

File (``{"keys": [{"kid", "alg", "pem"}]}``): the first key signs, every key is published,
so rotating is "add a key in front, keep the old one published until its tokens expired"
(``cronix-managed-ref --rotate-key``). ``kid`` is the first 16 hex digits of the SHA-256
of the public key, so it never collides by accident.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

from cronix.fileio import write_atomic

__all__ = ["ALGORITHMS", "KeyRing", "SigningKey"]

ALGORITHMS = ("ES256", "RS256", "EdDSA")


@dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    private: Any

    def public_jwk(self) -> dict[str, Any]:
        import jwt

        algorithm = jwt.get_algorithm_by_name(self.alg)
        doc: dict[str, Any] = json.loads(algorithm.to_jwk(self.private.public_key()))
        doc.update(kid=self.kid, alg=self.alg, use="sig")
        return doc


def _generate(alg: str) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"key algorithm must be one of {', '.join(ALGORITHMS)}, got {alg!r}")


def _kid(private: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()[:16]


class KeyRing:
    """The keys in ``path``; :meth:`mint` signs with the first."""

    def __init__(self, path: str, *, alg: str = "ES256", rotate: bool = False) -> None:
        from cryptography.hazmat.primitives import serialization

        self.path = path
        entries: list[dict[str, str]] = []
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                doc = json.load(fh)
            entries = list(doc.get("keys", []))
        keys = [
            SigningKey(
                e["kid"], e["alg"], serialization.load_pem_private_key(e["pem"].encode(), password=None)
            )
            for e in entries
        ]
        if rotate or not keys:
            private = _generate(alg)
            keys.insert(0, SigningKey(_kid(private), alg, private))
            self._save(keys)
        self.keys = tuple(keys)

    def _save(self, keys: list[SigningKey]) -> None:
        from cryptography.hazmat.primitives import serialization

        doc = {
            "keys": [
                {
                    "kid": k.kid,
                    "alg": k.alg,
                    "pem": k.private.private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    ).decode("ascii"),
                }
                for k in keys
            ]
        }
        write_atomic(self.path, json.dumps(doc, indent=1).encode("utf-8"), mode=0o600)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.public_jwk() for k in self.keys]}

    def mint(self, claims: dict[str, Any]) -> str:
        import jwt

        key = self.keys[0]
        return jwt.encode(claims, key.private, algorithm=key.alg, headers={"kid": key.kid, "typ": "JWT"})
