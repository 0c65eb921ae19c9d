"""What verification and dispatch hand back: structured results and framework-neutral responses.

Verification never raises for a bad request; it returns a :class:`Rejection` (status, code,
message) or a :class:`Verified` / :class:`TriggerVerified`. Adapters turn a
:class:`Response` into their framework's response object, so the status/code table lives
here once (``fire-time.md`` §4.8, plus our additions recorded in ``spec/DECISIONS.md``)::

    MissingSignature 401 · MalformedHeader 401 · StaleTimestamp 401 · SignatureMismatch 401
    BadMethod 400 · BadPath 404 · UnknownJob 404 · UnknownPath 404
    NoHandler 503 · HandlerError 500 · RunInProgress 503 · SecretUnavailable 503
    BodyTooLarge 413 · AlreadyHandled 200
    SignatureReplayed 200 · BadFireId 400 · ClaimUnavailable 503 · LockContended 409
    fire tokens (D-504): MissingToken · MalformedToken · UnsupportedAlgorithm · UnknownKey ·
    BadSignature · MissingClaim · Expired · NotYetValid · LifetimeTooLong · WrongIssuer ·
    WrongAudience · WrongPurpose · TargetMismatch · BodyMismatch · WrongServiceAccount 401 ·
    KeysUnavailable 503 · TokenReplayed 200
    Vercel Cron calls (D-761): BearerMismatch 401

A replayed signature or token is answered 200 (not run): the sender's goal, one run of
the occurrence, is met, and a legitimate resend after a lost response must not look like
a failure (D-501). A 503 may carry ``Retry-After`` (:attr:`Rejection.retry_after`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from cronix.sdk.context import JobContext

__all__ = [
    "STATUS_BY_CODE",
    "FailureCode",
    "Rejection",
    "Response",
    "TriggerVerified",
    "Verified",
    "json_response",
    "rejection",
]

FailureCode = Literal[
    "MissingSignature",
    "MalformedHeader",
    "StaleTimestamp",
    "SignatureMismatch",
    "BadMethod",
    "BadPath",
    "UnknownJob",
    "UnknownPath",
    "NoHandler",
    "HandlerError",
    "RunInProgress",
    "SecretUnavailable",
    "BodyTooLarge",
    "AlreadyHandled",
    "SignatureReplayed",
    "BadFireId",
    "ClaimUnavailable",
    "LockContended",
    "MissingToken",
    "MalformedToken",
    "UnsupportedAlgorithm",
    "UnknownKey",
    "BadSignature",
    "MissingClaim",
    "Expired",
    "NotYetValid",
    "LifetimeTooLong",
    "WrongIssuer",
    "WrongAudience",
    "WrongPurpose",
    "TargetMismatch",
    "BodyMismatch",
    "WrongServiceAccount",
    "KeysUnavailable",
    "TokenReplayed",
    "BearerMismatch",
]

STATUS_BY_CODE: Final[dict[FailureCode, int]] = {
    "MissingSignature": 401,
    "MalformedHeader": 401,
    "StaleTimestamp": 401,
    "SignatureMismatch": 401,
    "BadMethod": 400,
    "BadPath": 404,
    "UnknownJob": 404,
    "UnknownPath": 404,
    # 5xx: the trigger shim retries these.
    "NoHandler": 503,
    "HandlerError": 500,
    "RunInProgress": 503,
    "SecretUnavailable": 503,
    "BodyTooLarge": 413,
    # A duplicate of a run that already succeeded: 2xx so the shim stops retrying.
    "AlreadyHandled": 200,
    "SignatureReplayed": 200,
    "BadFireId": 400,
    "ClaimUnavailable": 503,
    # concurrency: Forbid and the job is running (the occurrence is skipped, like exit 4).
    "LockContended": 409,
    "MissingToken": 401,
    "MalformedToken": 401,
    "UnsupportedAlgorithm": 401,
    "UnknownKey": 401,
    "BadSignature": 401,
    "MissingClaim": 401,
    "Expired": 401,
    "NotYetValid": 401,
    "LifetimeTooLong": 401,
    "WrongIssuer": 401,
    "WrongAudience": 401,
    "WrongPurpose": 401,
    "TargetMismatch": 401,
    "BodyMismatch": 401,
    "WrongServiceAccount": 401,
    "KeysUnavailable": 503,
    "TokenReplayed": 200,
    "BearerMismatch": 401,
}


@dataclass(frozen=True, slots=True)
class Rejection:
    """A request the SDK answers itself instead of running a handler."""

    status: int
    code: FailureCode
    message: str
    ok: Literal[False] = False
    #: Seconds for a ``Retry-After`` header (503s the sender should retry later).
    retry_after: int | None = None

    def body(self) -> dict[str, str]:
        """The default JSON body: exactly ``code`` and ``message``, as the reference sends."""
        return {"code": self.code, "message": self.message}


def rejection(code: FailureCode, message: str, *, retry_after: int | None = None) -> Rejection:
    return Rejection(STATUS_BY_CODE[code], code, message, retry_after=retry_after)


@dataclass(frozen=True, slots=True)
class Verified:
    """A manifest request that passed; ``secret_index`` is -1 when verification was skipped."""

    secret_index: int
    ok: Literal[True] = True

    @property
    def unverified(self) -> bool:
        return self.secret_index < 0


@dataclass(frozen=True, slots=True)
class TriggerVerified:
    """A trigger request that passed, with the context its handler will receive."""

    secret_index: int
    context: JobContext
    ok: Literal[True] = True
    #: For an HMAC fire, the claim key of its signature (replay protection, D-501) and how
    #: long to remember it once the fire succeeded: until it leaves the replay window.
    replay_key: str = ""
    replay_keep_seconds: float = 0.0

    @property
    def unverified(self) -> bool:
        return self.secret_index < 0


@dataclass(frozen=True, slots=True)
class Response:
    """A framework-neutral HTTP response; adapters copy it verbatim."""

    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)


def json_response(status: int, payload: object) -> Response:
    """Compact JSON with ``content-type: application/json``."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(status, body, (("content-type", "application/json"),))
