"""The SDK's public surface and its import cost."""

from __future__ import annotations

import json
import subprocess
import sys

import cronix.sdk

PUBLIC = [
    "MANIFEST_PATH",
    "REPLAY_WINDOW_DEFAULT_SECONDS",
    "REPLAY_WINDOW_MIN_SECONDS",
    "SIGNATURE_VERSION",
    "STATUS_BY_CODE",
    "TRIGGER_PATH_PREFIX",
    "X_CRON_ATTEMPT",
    "X_CRON_FIRE_ID",
    "X_CRON_FIRE_TIME",
    "X_CRON_FIRE_TIME_ACTUAL",
    "X_CRON_PREVIOUS_SUCCESS_TIME",
    "X_CRON_RUN_ID",
    "X_CRON_SCHEDULE_NAME",
    "X_CRON_SIGNATURE",
    "Claim",
    "ClaimStore",
    "Cron",
    "CronConfigError",
    "CronRequest",
    "FailureCode",
    "FileClaimStore",
    "FireJWT",
    "FireToken",
    "Handler",
    "Hooks",
    "IdempotencyStore",
    "JWKSKeys",
    "JobContext",
    "JobDefinitionError",
    "JobOptions",
    "ManagedScheduler",
    "MemoryClaimStore",
    "MemoryIdempotencyStore",
    "PinnedKeys",
    "PolicySpec",
    "RedisClaimStore",
    "RedisIdempotencyStore",
    "RegisteredJob",
    "Rejection",
    "Response",
    "RetriesSpec",
    "SchedulerError",
    "SecretSource",
    "SignedRequest",
    "TriggerVerified",
    "VercelCron",
    "Verified",
    "canonical_signed_bytes",
    "env_secret",
    "parse_signature_header",
    "sign_request",
    "verify_fire_jwt",
    "verify_signature",
]


def isort_key(name: str) -> tuple[int, str]:
    """Constants, then classes, then functions (ruff RUF022's order)."""
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


def test_public_names_are_pinned_sorted_and_importable() -> None:
    assert cronix.sdk.__all__ == PUBLIC
    assert sorted(PUBLIC, key=isort_key) == PUBLIC
    for name in PUBLIC:
        assert getattr(cronix.sdk, name) is not None


def test_reference_constants() -> None:
    assert cronix.sdk.MANIFEST_PATH == "/.well-known/cron-manifest"
    assert cronix.sdk.TRIGGER_PATH_PREFIX == "/api/v1/scheduled/"
    assert (cronix.sdk.REPLAY_WINDOW_DEFAULT_SECONDS, cronix.sdk.REPLAY_WINDOW_MIN_SECONDS) == (300, 30)
    assert cronix.sdk.SIGNATURE_VERSION == "v1"
    assert cronix.sdk.STATUS_BY_CODE["NoHandler"] == 503


def test_importing_the_sdk_stays_cheap() -> None:
    heavy = [
        "asyncio", "logging", "starlette", "fastapi", "flask", "werkzeug", "django", "redis", "uvicorn",
        "click", "yaml", "cronix.cli", "cronix.backends", "cronix.trigger", "cronix.sdk.asgi",
        "cronix.sdk.wsgi", "cronix.sdk.django",
    ]  # fmt: skip
    code = (
        f"import json, sys; import cronix.sdk; print(json.dumps([m for m in {heavy!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []
