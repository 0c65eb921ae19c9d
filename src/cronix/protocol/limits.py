"""The numeric limits on a manifest (the reference's Go constants of the same names, and ours), in one place.

Its own stdlib-only module so that the trigger, reading a spec file on every fire, checks
the same bounds the validator enforced at apply time without importing the validator.
"""

from __future__ import annotations

from typing import Final

__all__ = ["INT64_MAX", "INT64_MIN", "LIMITS"]

INT64_MAX: Final = (1 << 63) - 1
INT64_MIN: Final = -(1 << 63)


class LIMITS:
    """The reference's numeric limits (Go constants of the same names)."""

    MAX_JOBS: Final = 256
    MAX_SCHEDULES_PER_JOB: Final = 64
    MAX_SECRET_REFS: Final = 8
    TIMEOUT_MIN: Final = 1
    TIMEOUT_MAX: Final = 600
    RETRY_ATTEMPTS_MIN: Final = 1
    RETRY_ATTEMPTS_MAX: Final = 10
    #: cronix's own (the ``monitoring`` extension, D-700): at most 31 days of grace.
    GRACE_MAX: Final = 31 * 86400
    #: cronix's own (D-722): a fire is spread over at most an hour after its occurrence.
    JITTER_MAX: Final = 3600
