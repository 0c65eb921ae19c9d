"""What a job handler receives: :class:`JobContext`, built from a verified trigger request.

The ``X-Cron-*`` headers are parsed here once, forgivingly, because a handler should never
fail on metadata: a missing, empty or non-numeric time is ``None`` (the reference turns an
empty string into the epoch), and an attempt that is not a positive decimal is ``1``.
Times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

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

__all__ = ["JobContext", "parse_attempt", "parse_unix_time"]

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
    ``unverified`` is true when signature checks were skipped (``skip_verify``), in which
    case ``secret_index`` is -1; otherwise ``secret_index`` says which configured secret
    matched (useful while rotating).
    """

    app: str
    name: str
    body: bytes = field(repr=False)
    headers: Mapping[str, str] = field(repr=False)
    method: str
    path: str
    secret_index: int

    @classmethod
    def from_request(cls, app: str, name: str, request: CronRequest, *, secret_index: int) -> JobContext:
        return cls(
            app, name, request.body, request.headers, request.method.upper(), request.target, secret_index
        )

    @property
    def unverified(self) -> bool:
        return self.secret_index < 0

    @property
    def run_id(self) -> str:
        """``X-Cron-Run-Id`` (one per fire, the same on every attempt), or ``""``."""
        return (self.headers.get(_RUN_ID) or "").strip()

    @property
    def attempt(self) -> int:
        """``X-Cron-Attempt``, 1-based."""
        return parse_attempt(self.headers.get(_ATTEMPT))

    @property
    def fire_time(self) -> datetime | None:
        """When the scheduler meant to fire (``X-Cron-Fire-Time``)."""
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
