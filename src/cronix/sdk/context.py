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

    ``unverified`` is true when signature checks were skipped (``skip_verify``), in which
    case ``secret_index`` is -1; otherwise ``secret_index`` says which configured secret
    matched (useful while rotating).
    """

    app: str
    name: str
    run_id: str
    attempt: int
    fire_time: datetime | None
    fire_time_actual: datetime | None
    previous_success_time: datetime | None
    body: bytes
    headers: Mapping[str, str] = field(repr=False)
    method: str
    path: str
    unverified: bool
    secret_index: int

    @classmethod
    def from_request(cls, app: str, name: str, request: CronRequest, *, secret_index: int) -> JobContext:
        h = request.headers
        return cls(
            app=app,
            name=name,
            run_id=(h.get(X_CRON_RUN_ID.lower()) or "").strip(),
            attempt=parse_attempt(h.get(X_CRON_ATTEMPT.lower())),
            fire_time=parse_unix_time(h.get(X_CRON_FIRE_TIME.lower())),
            fire_time_actual=parse_unix_time(h.get(X_CRON_FIRE_TIME_ACTUAL.lower())),
            previous_success_time=parse_unix_time(h.get(X_CRON_PREVIOUS_SUCCESS_TIME.lower())),
            body=request.body,
            headers=h,
            method=request.method.upper(),
            path=request.target,
            unverified=secret_index < 0,
            secret_index=secret_index,
        )

    def text(self) -> str:
        """The body decoded as strict UTF-8 (raises ``UnicodeDecodeError`` otherwise)."""
        return self.body.decode("utf-8")

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` on invalid JSON)."""
        return json.loads(self.text())
