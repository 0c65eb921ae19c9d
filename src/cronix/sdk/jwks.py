"""Where fire-token verification keys come from: pinned keys, or a JWKS URL cached per process.

Both sources answer one question — the key for ``kid``, usable with ``alg`` — and never
hand out a symmetric key (``kty: oct``), so no token can be checked with HMAC.

:class:`JWKSKeys` follows the lessons of the prior art (``reference/plugins-and-fire-
strategies.md`` §4.5): **one cache per URL per process** (:func:`jwks_keys`), so keys
are fetched once, not once per fire; an unknown ``kid`` triggers a refetch **at most
once a minute** (a flood of made-up key ids costs the issuer one request a minute); keys
older than ``max_age`` are refetched on next use, and a failed refetch keeps the keys
already known; the fetch sends explicit ``Accept`` and ``User-Agent`` headers, takes at
most 5 s and 1 MiB, and is ``https://`` only (``http://`` only for loopback hosts).

PyJWT is imported here, so this module is loaded only when a ``Cron`` verifies fire
tokens (the ``jwt`` extra: ``pip install 'cronix-py[jwt]'``).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cronix._version import __version__
from cronix.protocol.firejwt import ALGORITHMS

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "KEY_REFRESH_MIN_SECONDS",
    "JWKSKeys",
    "KeySource",
    "KeysUnavailable",
    "PinnedKeys",
    "VerifyKey",
    "jwks_keys",
]

KEY_REFRESH_MIN_SECONDS = 60.0
_MAX_JWKS_BYTES = 1024 * 1024
_FAMILY = {
    "EC:P-256": frozenset({"ES256"}),
    "EC:P-384": frozenset({"ES384"}),
    "RSA": frozenset({"RS256", "RS384", "RS512"}),
    "OKP:Ed25519": frozenset({"EdDSA"}),
}


class KeysUnavailable(Exception):
    """No key is known and the key set could not be fetched (a transient failure: 503)."""


@dataclass(frozen=True, slots=True)
class VerifyKey:
    """A public key and the algorithms it may verify."""

    kid: str
    key: Any
    algorithms: frozenset[str]


class KeySource:
    """What the verifier asks: the key for ``kid``; ``None`` if unknown."""

    def key_for(self, kid: str) -> VerifyKey | None:  # pragma: no cover - interface
        raise NotImplementedError

    def needs_fetch(self, kid: str) -> bool:
        """Whether answering ``kid`` would do network I/O (async callers move it off the loop)."""
        return False


def _from_jwk(jwk: Mapping[str, Any]) -> VerifyKey | None:
    """A verification key from one JWK, or ``None`` when it is not an allowed public key."""
    import jwt

    kty = jwk.get("kty")
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid or kty == "oct" or jwk.get("use", "sig") != "sig":
        return None
    family = _FAMILY.get("RSA" if kty == "RSA" else f"{kty}:{jwk.get('crv')}")
    if family is None:
        return None
    declared = jwk.get("alg")
    if declared is not None:
        if declared not in family:
            return None
        family = frozenset({declared})
    try:
        parsed = jwt.PyJWK(dict(jwk), algorithm=next(iter(sorted(family))))
    except jwt.PyJWTError:
        return None
    if "d" in jwk:  # a private key published by mistake: refuse to treat it as trusted
        return None
    return VerifyKey(kid, parsed.key, family & frozenset(ALGORITHMS))


def _from_pem(kid: str, pem: str) -> VerifyKey:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    key = load_pem_public_key(pem.encode("ascii"))
    if isinstance(key, rsa.RSAPublicKey):
        algorithms = _FAMILY["RSA"]
    elif isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in ("secp256r1", "secp384r1"):
        algorithms = _FAMILY["EC:P-256" if key.curve.name == "secp256r1" else "EC:P-384"]
    elif isinstance(key, ed25519.Ed25519PublicKey):
        algorithms = _FAMILY["OKP:Ed25519"]
    else:
        raise ValueError(
            f"key {kid}: only RSA, EC P-256/P-384 and Ed25519 public keys can verify fire tokens"
        )
    return VerifyKey(kid, key, algorithms)


class PinnedKeys(KeySource):
    """Keys given in configuration: ``{kid: PEM public key | JWK dict}``, or a JWKS document."""

    def __init__(self, keys: Mapping[str, str | Mapping[str, Any]] | Mapping[str, Any]) -> None:
        found: dict[str, VerifyKey] = {}
        entries = keys.get("keys") if isinstance(keys.get("keys"), list) else None
        if entries is not None:  # a whole JWKS document
            for jwk in entries:
                parsed = _from_jwk(jwk) if isinstance(jwk, dict) else None
                if parsed is not None:
                    found[parsed.kid] = parsed
        else:
            for kid, value in keys.items():
                if isinstance(value, str):
                    found[kid] = _from_pem(kid, value)
                else:
                    parsed = _from_jwk({**value, "kid": kid})
                    if parsed is None:
                        raise ValueError(f"key {kid}: not an RSA, EC or Ed25519 public signing key")
                    found[kid] = parsed
        if not found:
            raise ValueError("no usable public key among the pinned keys")
        self._keys = found

    def key_for(self, kid: str) -> VerifyKey | None:
        return self._keys.get(kid)

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(sorted(self._keys))


class JWKSKeys(KeySource):
    """Keys fetched from a JWKS URL, cached, refetched by the rules in the module docstring."""

    def __init__(
        self,
        url: str,
        *,
        max_age: float = 3600.0,
        min_refresh: float = KEY_REFRESH_MIN_SECONDS,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        fetch: Callable[[str, float], bytes] | None = None,
    ) -> None:
        _check_url(url)
        self.url = url
        self.max_age = max_age
        self.min_refresh = min_refresh
        self.timeout = timeout
        self._clock = clock
        self._fetch = fetch or _fetch
        self._keys: dict[str, VerifyKey] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = threading.Lock()
        self.fetches = 0

    def needs_fetch(self, kid: str) -> bool:
        now = self._clock()
        return self._due(now, kid in self._keys)

    def key_for(self, kid: str) -> VerifyKey | None:
        if self._due(self._clock(), kid in self._keys):
            with self._lock:  # one fetch at a time; the others wait and then see its result
                now = self._clock()
                if self._due(now, kid in self._keys):
                    self._refresh(now)
        keys = self._keys
        found = keys.get(kid)
        if found is None and not keys:
            raise KeysUnavailable(f"no keys could be fetched from {self.url}")
        return found

    def _due(self, now: float, known: bool) -> bool:
        if self._attempted_at is not None and now - self._attempted_at < self.min_refresh:
            return False  # at most one fetch a minute, whatever the kid
        if not known:
            return True
        return self._fetched_at is None or now - self._fetched_at >= self.max_age

    def _refresh(self, now: float) -> None:
        self._attempted_at = now
        self.fetches += 1
        try:
            doc = json.loads(self._fetch(self.url, self.timeout))
        except Exception:
            return  # keep what we have; the caller decides between UnknownKey and 503
        entries = doc.get("keys") if isinstance(doc, dict) else None
        if not isinstance(entries, list):
            return
        keys: dict[str, VerifyKey] = {}
        for jwk in entries:
            parsed = _from_jwk(jwk) if isinstance(jwk, dict) else None
            if parsed is not None:
                keys[parsed.kid] = parsed
        if keys:
            self._keys = keys
            self._fetched_at = now


def _check_url(url: str) -> None:
    import ipaddress
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname:
        host = parts.hostname
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if loopback:
            return
    raise ValueError(f"jwks_url must be https:// (http:// only for loopback hosts), got {url!r}")


def _fetch(url: str, timeout: float) -> bytes:
    import urllib.request

    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "User-Agent": f"cronix-sdk/{__version__} (jwks)"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        data: bytes = response.read(_MAX_JWKS_BYTES + 1)
    if len(data) > _MAX_JWKS_BYTES:
        raise ValueError("JWKS larger than 1 MiB")
    return data


_CACHES: dict[str, JWKSKeys] = {}
_CACHES_LOCK = threading.Lock()


def jwks_keys(url: str) -> JWKSKeys:
    """The process-wide cache for ``url`` (created on first use)."""
    with _CACHES_LOCK:
        cache = _CACHES.get(url)
        if cache is None:
            cache = _CACHES[url] = JWKSKeys(url)
        return cache
