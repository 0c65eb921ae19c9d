"""What a job handler receives: :class:`JobContext`, built from a verified trigger request.

The ``X-Cron-*`` headers are parsed here once, forgivingly, because a handler should never
fail on metadata: a missing, empty or non-numeric time is ``None`` (the reference turns an
empty string into the epoch), and an attempt that is not a positive decimal is ``1``.
Times are timezone-aware UTC datetimes.

A fire authenticated by a fire token (``auth == "jwt"``, ``"google-oidc"``) takes its
metadata from the token's signed claims, not from headers anyone could have added: the
run id, the attempt, the occurrence (``fire_id``) and the scheduled time it names.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from cronix.protocol.fireid import parse_fire_id
from cronix.protocol.headers import (
    X_CRON_ATTEMPT,
    X_CRON_FIRE_TIME,
    X_CRON_FIRE_TIME_ACTUAL,
    X_CRON_PREVIOUS_SUCCESS_TIME,
    X_CRON_RUN_ID,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cronix.sdk.incoming import CronRequest
    from cronix.sdk.tokens import FireToken

__all__ = ["AuthKind", "JobContext", "parse_attempt", "parse_unix_time"]

#: How a fire was authenticated: HMAC (``cronix trigger``), a cronix fire token, a Google
#: OIDC token, Vercel Cron's static bearer (``vercel_cron_secret``), or not at all (``skip_verify``).
AuthKind = Literal["hmac", "jwt", "google-oidc", "vercel", "none"]

_RUN_ID = X_CRON_RUN_ID.lower()
_ATTEMPT = X_CRON_ATTEMPT.lower()
_FIRE_TIME = X_CRON_FIRE_TIME.lower()
_FIRE_TIME_ACTUAL = X_CRON_FIRE_TIME_ACTUAL.lower()
_PREVIOUS_SUCCESS = X_CRON_PREVIOUS_SUCCESS_TIME.lower()
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,9})?")


def parse_unix_time(value: str | None) -> datetime | None:
    """Unix seconds (decimal, fractions allowed) as an aware UTC datetime; anything else is None."""
    if value is None:
        return None
    text = value.strip()
    if not _UNIX_SECONDS.fullmatch(text):
        return None
    try:
        return datetime.fromtimestamp(float(text), tz=UTC)
    except (ValueError, OverflowError, OSError):  # beyond what the platform can represent
        return None


def parse_attempt(value: str | None) -> int:
    """``X-Cron-Attempt`` as a positive int; missing or invalid means the first attempt."""
    if value is None:
        return 1
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        return 1
    return max(int(text), 1)


@dataclass(frozen=True, slots=True)
class JobContext:
    """One fire of one job, as the handler sees it.

    The ``X-Cron-*`` metadata (``run_id``, ``attempt``, the fire times) is read from
    ``headers`` when asked for, so a handler pays only for what it uses.
    ``unverified`` is true when checks were skipped (``skip_verify``), in which case
    ``secret_index`` is -1; for an HMAC fire ``secret_index`` says which configured secret
    matched (useful while rotating), for a token fire it is 0 and ``token`` holds the
    verified claims. ``fire_id`` is the occurrence (``<app>.<job>#<index>@<UTC time>``),
    ``""`` when the sender gave none (the reference trigger).
    """

    app: str
    name: str
    body: bytes = field(repr=False)
    headers: Mapping[str, str] = field(repr=False)
    method: str
    path: str
    secret_index: int
    auth: AuthKind = "hmac"
    fire_id: str = ""
    token: FireToken | None = field(default=None, repr=False)

    @classmethod
    def from_request(
        cls,
        app: str,
        name: str,
        request: CronRequest,
        *,
        secret_index: int,
        auth: AuthKind = "hmac",
        fire_id: str = "",
        token: FireToken | None = None,
    ) -> JobContext:
        return cls(
            app,
            name,
            request.body,
            request.headers,
            request.method.upper(),
            request.target,
            secret_index,
            auth,
            fire_id,
            token,
        )

    @property
    def unverified(self) -> bool:
        return self.auth == "none"

    @property
    def run_id(self) -> str:
        """One per fire, the same on every attempt (the token's, else ``X-Cron-Run-Id``), or ``""``."""
        if self.token is not None:
            return self.token.run_id
        return (self.headers.get(_RUN_ID) or "").strip()

    @property
    def attempt(self) -> int:
        """1-based (the token's ``attempt``, else ``X-Cron-Attempt``)."""
        if self.token is not None:
            return max(self.token.attempt, 1)
        return parse_attempt(self.headers.get(_ATTEMPT))

    @property
    def fire_time(self) -> datetime | None:
        """When the scheduler meant to fire: the token's or Vercel call's occurrence, else the header.

        The header is ``X-Cron-Fire-Time``; a Vercel call's occurrence is its minute of arrival.
        """
        if self.fire_id and (self.token is not None or self.auth == "vercel"):
            return datetime.fromtimestamp(parse_fire_id(self.fire_id).scheduled, tz=UTC)
        return parse_unix_time(self.headers.get(_FIRE_TIME))

    @property
    def fire_time_actual(self) -> datetime | None:
        """When the trigger actually started (``X-Cron-Fire-Time-Actual``)."""
        return parse_unix_time(self.headers.get(_FIRE_TIME_ACTUAL))

    @property
    def previous_success_time(self) -> datetime | None:
        """When this job last succeeded, if the trigger knows (``X-Cron-Previous-Success-Time``)."""
        return parse_unix_time(self.headers.get(_PREVIOUS_SUCCESS))

    def text(self) -> str:
        """The body decoded as strict UTF-8 (raises ``UnicodeDecodeError`` otherwise)."""
        return self.body.decode("utf-8")

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` on invalid JSON)."""
        return json.loads(self.text())
