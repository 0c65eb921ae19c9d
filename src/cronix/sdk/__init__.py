"""The cronix app SDK: declare jobs next to their handlers, serve the manifest, verify every fire.

::

    from cronix.sdk import Cron, JobContext

    cron = Cron(app="billing", base_url="https://billing.internal", secret=os.environ["CRON_SECRET"])
    # or, on Vercel, for Vercel Cron's own calls (Authorization: Bearer $CRON_SECRET):
    #   vercel_cron_secret=env_secret("CRON_SECRET")
    # or, for fires from a managed scheduler (managed-jwt), instead of or next to secret=:
    #   fire_jwt=FireJWT(issuer="https://scheduler.example", jwks_url="https://scheduler.example/.well-known/jwks.json")

    @cron.job("reconcile-payments", schedule="*/15 * * * *")
    async def reconcile(ctx: JobContext) -> None: ...

    app.add_middleware(CronASGI, cron=cron)          # cronix.sdk.asgi  (Starlette, FastAPI)
    flask_app.wsgi_app = CronWSGI(flask_app.wsgi_app, cron=cron)   # cronix.sdk.wsgi
    path("", include(cronix.sdk.django.urls(cron)))  # cronix.sdk.django

This package imports only the standard library and :mod:`cronix.protocol`; the adapters
are separate modules, imported by the app that uses them, and import their framework
lazily. The names below are the public API.
"""

from __future__ import annotations

from cronix.protocol.headers import (
    MANIFEST_PATH,
    SIGNATURE_VERSION,
    TRIGGER_PATH_PREFIX,
    X_CRON_ATTEMPT,
    X_CRON_FIRE_ID,
    X_CRON_FIRE_TIME,
    X_CRON_FIRE_TIME_ACTUAL,
    X_CRON_PREVIOUS_SUCCESS_TIME,
    X_CRON_RUN_ID,
    X_CRON_SCHEDULE_NAME,
    X_CRON_SIGNATURE,
)
from cronix.protocol.signing import DEFAULT_REPLAY_WINDOW_SECONDS as REPLAY_WINDOW_DEFAULT_SECONDS
from cronix.protocol.signing import MIN_REPLAY_WINDOW_SECONDS as REPLAY_WINDOW_MIN_SECONDS
from cronix.sdk.app import Cron, Handler, JobOptions, PolicySpec, RegisteredJob, RetriesSpec, SecretSource
from cronix.sdk.claims import Claim, ClaimStore, FileClaimStore, MemoryClaimStore, RedisClaimStore
from cronix.sdk.context import JobContext
from cronix.sdk.errors import CronConfigError, JobDefinitionError
from cronix.sdk.firejwt import FireJWT, verify_fire_jwt
from cronix.sdk.hooks import Hooks
from cronix.sdk.idempotency import IdempotencyStore, MemoryIdempotencyStore, RedisIdempotencyStore
from cronix.sdk.incoming import CronRequest
from cronix.sdk.jwks import JWKSKeys, PinnedKeys
from cronix.sdk.results import (
    STATUS_BY_CODE,
    FailureCode,
    Rejection,
    Response,
    TriggerVerified,
    Verified,
)
from cronix.sdk.scheduler import ManagedScheduler, SchedulerError
from cronix.sdk.tokens import FireToken
from cronix.sdk.utilities import (
    SignedRequest,
    canonical_signed_bytes,
    parse_signature_header,
    sign_request,
    verify_signature,
)
from cronix.sdk.vercel import VercelCron, env_secret

__all__ = [
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
