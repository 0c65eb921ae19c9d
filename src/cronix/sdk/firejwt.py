"""``verify_fire_jwt``: check a managed scheduler's fire token, never raising for a bad one.

The token profile is :mod:`cronix.protocol.firejwt`; PyJWT decodes the JWS and checks the
signature (no hand-rolled JOSE), the claim rules are applied here, in this order, each
failure a :class:`~cronix.sdk.results.Rejection` with its own code (D-504):

====  ===========================================================  ====================
step  check                                                        failure
====  ===========================================================  ====================
1     ``Authorization: Bearer <token>``                            401 MissingToken
2     three base64url parts, a JSON header with a ``kid``          401 MalformedToken
3     ``alg`` is asymmetric and allowed (never ``none``, ``HS*``)  401 UnsupportedAlgorithm
4     a key for the ``kid`` (pinned, or from the JWKS cache)       401 UnknownKey · 503 KeysUnavailable
5     the signature, with that key and an algorithm it may use     401 BadSignature
6     every required claim, with the right type                    401 MissingClaim
7     ``exp``/``nbf``/``iat`` with leeway; ``exp − iat`` ≤ max       401 Expired · NotYetValid ·
                                                                   LifetimeTooLong
8     ``iss``, then ``aud``                                        401 WrongIssuer · WrongAudience
9     ``purpose == "cron_fire"``                                   401 WrongPurpose
10    ``sub`` = ``<app>.<job>`` of the route, ``htm``, ``htu``,    401 TargetMismatch
      ``fire_id`` names the same job
11    SHA-256 of the raw body = ``body_sha256``                    401 BodyMismatch
12    ``jti`` not seen before (when a replay store is given)       200 TokenReplayed
====  ===========================================================  ====================

Steps 1–9 are authentication: nothing about the job, the route or the body is looked at
before they pass, so an unauthenticated caller learns nothing about which jobs exist.

The ``google-oidc`` profile (:meth:`FireJWT.google`) verifies a Google Cloud Scheduler
OIDC token instead: issuer ``https://accounts.google.com``, audience = the job's URL
(Cloud Scheduler's default), ``email`` = the configured service account with
``email_verified``; such tokens carry no purpose, target or body claims, so the job comes
from the route and the occurrence from ``X-CloudScheduler-ScheduleTime`` (D-506).
"""

from __future__ import annotations

import base64
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cronix.protocol import firejwt as wire
from cronix.protocol.fireid import format_fire_id, parse_fire_id, parse_utc
from cronix.sdk.errors import CronConfigError
from cronix.sdk.results import Rejection, rejection
from cronix.sdk.tokens import FireToken, Profile

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cronix.sdk.claims import ClaimStore
    from cronix.sdk.incoming import CronRequest
    from cronix.sdk.jwks import KeySource

__all__ = [
    "GOOGLE_ISSUERS",
    "GOOGLE_JWKS_URL",
    "FireJWT",
    "FireToken",
    "bearer_token",
    "verify_fire_jwt",
]

GOOGLE_ISSUERS = ("https://accounts.google.com", "accounts.google.com")
GOOGLE_JWKS_URL = "https://www.googleapis.com/oauth2/v3/certs"
_GOOGLE_MAX_LIFETIME = 3600  # Google ID tokens live one hour
_SCHEDULE_TIME = "x-cloudscheduler-scheduletime"
_TYPES: dict[str, type | tuple[type, ...]] = {
    "iss": str,
    "aud": (str, list),
    "sub": str,
    "iat": int,
    "nbf": int,
    "exp": int,
    "jti": str,
    "purpose": str,
    "fire_id": str,
    "run_id": str,
    "attempt": int,
    "htm": str,
    "htu": str,
    "body_sha256": str,
    "email": str,
    "email_verified": bool,
}
_GOOGLE_REQUIRED = ("iss", "aud", "sub", "iat", "exp", "email", "email_verified")


def bearer_token(request: CronRequest) -> str | None:
    """The token of ``Authorization: Bearer <token>``, or ``None``."""
    value = request.headers.get("authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _b64json(part: str) -> Any:
    padded = part + "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def _header(token: str) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        return None
    try:
        header = _b64json(parts[0])
    except (ValueError, UnicodeError):
        return None
    return header if isinstance(header, dict) else None


def verify_fire_jwt(
    request: CronRequest,
    *,
    issuer: str | tuple[str, ...],
    audience: str,
    keys: KeySource,
    url: str,
    subject: str,
    leeway: int = wire.DEFAULT_LEEWAY_SECONDS,
    max_lifetime: int = wire.MAX_LIFETIME_SECONDS,
    now: float | None = None,
    replay: ClaimStore | None = None,
    algorithms: tuple[str, ...] = wire.ALGORITHMS,
    google_service_account: str | None = None,
) -> FireToken | Rejection:
    """Verify the fire token of ``request`` (see the module docstring for the steps).

    ``url`` is the job's URL (what ``htu`` must equal; for ``google-oidc`` what ``aud``
    usually is), ``subject`` is ``<app>.<job>`` from the route. Passing
    ``google_service_account`` selects the ``google-oidc`` profile.
    """
    token = bearer_token(request)
    if token is None:
        return rejection("MissingToken", "missing Authorization: Bearer fire token")
    header = _header(token)
    if header is None:
        return rejection("MalformedToken", "the fire token is not a compact JWS")
    alg, kid = header.get("alg"), header.get("kid")
    if not isinstance(alg, str) or alg not in algorithms:
        return rejection("UnsupportedAlgorithm", f"fire tokens must use one of {', '.join(algorithms)}")
    if not isinstance(kid, str) or not kid:
        return rejection("MalformedToken", "the fire token has no kid")
    checked = _signed_claims(token, alg, kid, keys)
    if isinstance(checked, Rejection):
        return checked
    claims, key_kid = checked
    google = google_service_account is not None
    problem = _claim_problem(
        claims,
        required=_GOOGLE_REQUIRED if google else wire.REQUIRED_CLAIMS,
        now=time.time() if now is None else now,
        leeway=leeway,
        max_lifetime=_GOOGLE_MAX_LIFETIME if google else max_lifetime,
        issuer=issuer,
        audience=audience,
    )
    if problem is not None:
        return problem
    if google:
        return _google(request, claims, key_kid, alg, subject, google_service_account or "")
    if claims["purpose"] != wire.PURPOSE:
        return rejection("WrongPurpose", f"the token's purpose is not {wire.PURPOSE}")
    target = _target_problem(claims, request, url, subject)
    if target is not None:
        return target
    if not hmac.compare_digest(claims["body_sha256"], wire.body_sha256(request.body)):
        return rejection("BodyMismatch", "the request body does not match the token's body_sha256")
    if replay is not None:
        try:
            first = _first_use(replay, claims, leeway)
        except Exception:  # the replay store is down: transient, the scheduler retries
            return rejection(
                "ClaimUnavailable",
                "the fire token could not be checked for reuse; retry later",
                retry_after=5,
            )
        if not first:
            return rejection("TokenReplayed", "this fire token was already used; the request was not run")
    return FireToken(key_kid, alg, claims, claims["fire_id"], claims["run_id"], claims["attempt"])


def _signed_claims(token: str, alg: str, kid: str, keys: KeySource) -> tuple[dict[str, Any], str] | Rejection:
    import jwt

    from cronix.sdk.jwks import KeysUnavailable

    try:
        key = keys.key_for(kid)
    except KeysUnavailable:
        return rejection("KeysUnavailable", "the verification keys could not be fetched; retry later")
    if key is None:
        return rejection("UnknownKey", "no verification key has the token's kid")
    if alg not in key.algorithms:
        return rejection("BadSignature", "the token's algorithm is not one its key may use")
    options: Any = {
        "verify_exp": False,
        "verify_nbf": False,
        "verify_iat": False,
        "verify_aud": False,
        "verify_iss": False,
        "verify_sub": False,
        "verify_jti": False,
    }
    try:
        claims = jwt.decode(token, key.key, algorithms=[alg], options=options)
    except jwt.InvalidSignatureError:
        return rejection("BadSignature", "the fire token's signature does not verify")
    except jwt.PyJWTError:
        return rejection("MalformedToken", "the fire token cannot be decoded")
    return claims, key.kid


def _claim_problem(
    claims: Mapping[str, Any],
    *,
    required: tuple[str, ...],
    now: float,
    leeway: int,
    max_lifetime: int,
    issuer: str | tuple[str, ...],
    audience: str,
) -> Rejection | None:
    for name in required:
        value = claims.get(name)
        kind = _TYPES[name]
        if value is None or isinstance(value, bool) is not (kind is bool) or not isinstance(value, kind):
            return rejection("MissingClaim", f"the token lacks a valid {name} claim")
    exp, iat, nbf = claims["exp"], claims["iat"], claims.get("nbf", claims["iat"])
    if not isinstance(nbf, int) or isinstance(nbf, bool):
        return rejection("MissingClaim", "the token lacks a valid nbf claim")
    if exp <= now - leeway:
        return rejection("Expired", "the fire token has expired")
    if nbf > now + leeway or iat > now + leeway:
        return rejection("NotYetValid", "the fire token is not valid yet")
    if exp - iat > max_lifetime:
        return rejection("LifetimeTooLong", f"the fire token lives longer than {max_lifetime} s")
    issuers = (issuer,) if isinstance(issuer, str) else issuer
    if claims["iss"] not in issuers:
        return rejection("WrongIssuer", "the fire token was issued by someone else")
    aud = claims["aud"]
    if audience not in (aud if isinstance(aud, list) else [aud]):
        return rejection("WrongAudience", "the fire token is meant for another audience")
    return None


def _target_problem(
    claims: Mapping[str, Any], request: CronRequest, url: str, subject: str
) -> Rejection | None:
    if claims["sub"] != subject:
        return rejection("TargetMismatch", "the fire token is for another job")
    if claims["htm"].upper() != request.method.upper():
        return rejection("TargetMismatch", "the fire token is for another HTTP method")
    if claims["htu"] != url:
        return rejection("TargetMismatch", "the fire token is for another URL")
    try:
        fire = parse_fire_id(claims["fire_id"])
    except ValueError:
        return rejection("MalformedToken", "the token's fire_id is not a fire id")
    if fire.target != subject:
        return rejection("TargetMismatch", "the token's fire_id names another job")
    return None


def _first_use(replay: ClaimStore, claims: Mapping[str, Any], leeway: int) -> bool:
    """Remember the token's ``jti`` until it expires; ``False`` if it was seen already."""
    keep = max(float(claims["exp"]) + leeway - time.time(), 1.0)
    return replay.remember(f"jti:{claims['iss']}:{claims['jti']}", keep_seconds=keep)


def _google(
    request: CronRequest, claims: Mapping[str, Any], kid: str, alg: str, subject: str, account: str
) -> FireToken | Rejection:
    if claims["email"] != account or claims["email_verified"] is not True:
        return rejection("WrongServiceAccount", "the token is not from the configured service account")
    app, _, job = subject.partition(".")
    fire_id = ""
    stamp = request.headers.get(_SCHEDULE_TIME)
    if stamp:
        try:
            fire_id = format_fire_id(app, job, 0, _rfc3339_seconds(stamp))
        except ValueError:
            fire_id = ""
    return FireToken(kid, alg, claims, fire_id, "", 1, "google-oidc")


def _rfc3339_seconds(text: str) -> int:
    """``X-CloudScheduler-ScheduleTime`` (``2026-01-01T00:00:00Z``, maybe with fractions/offset) → Unix s."""
    value = text.strip()
    if value.endswith("Z") and len(value) == 20:
        return parse_utc(value)
    from datetime import datetime

    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError("schedule time without an offset")
    return int(when.timestamp())


# ---------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class FireJWT:
    """How a :class:`~cronix.sdk.Cron` verifies fire tokens (``Cron(fire_jwt=FireJWT(...))``).

    ``issuer`` is the scheduler's issuer URL; ``audience`` defaults to
    ``cronix:app:<app>``; keys come from ``jwks_url`` (cached per process) or
    ``public_keys`` (``{kid: PEM}``, JWK dicts, or a JWKS document) — exactly one.
    ``leeway`` is the clock skew allowed on ``exp``/``nbf``/``iat``; ``max_lifetime`` the
    longest ``exp − iat`` accepted. The settings are read once, at construction (a
    per-request setting must never be able to widen what is accepted).
    """

    issuer: str | tuple[str, ...]
    audience: str | None = None
    jwks_url: str | None = None
    public_keys: Mapping[str, Any] | None = None
    leeway: int = wire.DEFAULT_LEEWAY_SECONDS
    max_lifetime: int = wire.MAX_LIFETIME_SECONDS
    service_account: str | None = None
    profile: Profile = "cronix"
    keys: KeySource = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            import jwt  # noqa: F401
        except ImportError:
            from cronix.protocol.extras import install_hint

            raise CronConfigError(f"cronix: fire tokens need PyJWT: {install_hint('jwt')}") from None
        from cronix.sdk.jwks import PinnedKeys, jwks_keys

        if not self.issuer:
            raise CronConfigError("cronix: FireJWT needs an issuer")
        if (self.jwks_url is None) == (self.public_keys is None):
            raise CronConfigError("cronix: FireJWT needs exactly one of jwks_url= or public_keys=")
        if not 0 <= self.leeway <= 300:
            raise CronConfigError("cronix: FireJWT leeway must be 0..300 seconds")
        if self.profile == "cronix" and not 0 < self.max_lifetime <= wire.MAX_LIFETIME_SECONDS:
            raise CronConfigError(
                f"cronix: FireJWT max_lifetime must be 1..{wire.MAX_LIFETIME_SECONDS} seconds"
            )
        if self.profile == "google-oidc" and not self.service_account:
            raise CronConfigError("cronix: the google-oidc profile needs service_account=")
        try:
            keys = (
                jwks_keys(self.jwks_url) if self.jwks_url is not None else PinnedKeys(self.public_keys or {})
            )
        except ValueError as exc:
            raise CronConfigError(f"cronix: FireJWT: {exc}") from None
        object.__setattr__(self, "keys", keys)

    @classmethod
    def google(
        cls,
        *,
        service_account: str,
        audience: str | None = None,
        jwks_url: str = GOOGLE_JWKS_URL,
        public_keys: Mapping[str, Any] | None = None,
        leeway: int = wire.DEFAULT_LEEWAY_SECONDS,
    ) -> FireJWT:
        """Google Cloud Scheduler OIDC tokens; ``audience`` defaults to each job's URL."""
        return cls(
            issuer=GOOGLE_ISSUERS,
            audience=audience,
            jwks_url=None if public_keys is not None else jwks_url,
            public_keys=public_keys,
            leeway=leeway,
            service_account=service_account,
            profile="google-oidc",
        )

    def verify(
        self,
        request: CronRequest,
        *,
        app: str,
        job: str,
        url: str,
        replay: ClaimStore | None,
        now: float | None = None,
    ) -> FireToken | Rejection:
        """Verify ``request`` as a fire of ``<app>.<job>`` whose URL is ``url``."""
        google = self.profile == "google-oidc"
        return verify_fire_jwt(
            request,
            issuer=self.issuer,
            audience=self.audience or (url if google else wire.audience_for(app)),
            keys=self.keys,
            url=url,
            subject=wire.subject_for(app, job),
            leeway=self.leeway,
            max_lifetime=self.max_lifetime,
            now=now,
            replay=replay,
            google_service_account=self.service_account if google else None,
        )

    def needs_fetch(self, request: CronRequest) -> bool:
        """Whether verifying ``request`` would fetch keys (so async code can move it off the loop)."""
        token = bearer_token(request)
        header = _header(token) if token else None
        kid = header.get("kid") if header else None
        return isinstance(kid, str) and self.keys.needs_fetch(kid)
