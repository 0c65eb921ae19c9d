"""Header names and well-known paths of the protocol (exact spellings are part of the wire)."""

from __future__ import annotations

from typing import Final

__all__ = [
    "INJECTED_HEADERS",
    "MANIFEST_PATH",
    "RESERVED_HEADER_PREFIX",
    "SIGNATURE_VERSION",
    "TRIGGER_PATH_PREFIX",
    "X_CRON_ATTEMPT",
    "X_CRON_FIRE_ID",
    "X_CRON_FIRE_TIME",
    "X_CRON_FIRE_TIME_ACTUAL",
    "X_CRON_PREVIOUS_SUCCESS_TIME",
    "X_CRON_RUN_ID",
    "X_CRON_SCHEDULE_NAME",
    "X_CRON_SIGNATURE",
]

X_CRON_SIGNATURE: Final = "X-Cron-Signature"
X_CRON_RUN_ID: Final = "X-Cron-Run-Id"
X_CRON_SCHEDULE_NAME: Final = "X-Cron-Schedule-Name"  # carries the job name
X_CRON_FIRE_TIME: Final = "X-Cron-Fire-Time"  # intended fire time, Unix seconds
X_CRON_FIRE_TIME_ACTUAL: Final = "X-Cron-Fire-Time-Actual"  # when the shim started, Unix seconds
X_CRON_ATTEMPT: Final = "X-Cron-Attempt"  # 1-based
X_CRON_PREVIOUS_SUCCESS_TIME: Final = "X-Cron-Previous-Success-Time"  # Unix seconds, when known
# cronix's addition (D-500): the occurrence, "<app>.<job>#<index>@<UTC time>", the same on
# every attempt and every delivery of it; the reference neither sends nor reads it.
X_CRON_FIRE_ID: Final = "X-Cron-Fire-Id"

INJECTED_HEADERS: Final = (
    X_CRON_SIGNATURE,
    X_CRON_RUN_ID,
    X_CRON_SCHEDULE_NAME,
    X_CRON_FIRE_TIME,
    X_CRON_FIRE_TIME_ACTUAL,
    X_CRON_ATTEMPT,
    X_CRON_PREVIOUS_SUCCESS_TIME,
    X_CRON_FIRE_ID,
)
# Static manifest headers in this namespace never replace what the trigger injects.
RESERVED_HEADER_PREFIX: Final = "x-cron-"

SIGNATURE_VERSION: Final = "v1"
MANIFEST_PATH: Final = "/.well-known/cron-manifest"
TRIGGER_PATH_PREFIX: Final = "/api/v1/scheduled/"
