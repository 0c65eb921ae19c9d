"""What verification and dispatch hand back: structured results and framework-neutral responses.

Verification never raises for a bad request; it returns a :class:`Rejection` (status, code,
message) or a :class:`Verified` / :class:`TriggerVerified`. Adapters turn a
:class:`Response` into their framework's response object, so the status/code table lives
here once (``fire-time.md`` §4.8, plus our additions recorded in ``spec/DECISIONS.md``)::

    MissingSignature 401 · MalformedHeader 401 · StaleTimestamp 401 · SignatureMismatch 401
    BadMethod 400 · BadPath 404 · UnknownJob 404 · UnknownPath 404
    NoHandler 503 · HandlerError 500 · RunInProgress 503 · SecretUnavailable 503
    BodyTooLarge 413 · AlreadyHandled 200
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
}


@dataclass(frozen=True, slots=True)
class Rejection:
    """A request the SDK answers itself instead of running a handler."""

    status: int
    code: FailureCode
    message: str
    ok: Literal[False] = False

    def body(self) -> dict[str, str]:
        """The default JSON body: exactly ``code`` and ``message``, as the reference sends."""
        return {"code": self.code, "message": self.message}


def rejection(code: FailureCode, message: str) -> Rejection:
    return Rejection(STATUS_BY_CODE[code], code, message)


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
