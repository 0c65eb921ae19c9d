"""The :class:`Cron` registry: an app's jobs, declared next to their handlers.

::

    cron = Cron(app="billing", base_url="https://billing.internal", secret=os.environ["CRON_SECRET"])

    @cron.job("reconcile-payments", schedule="*/15 * * * *", timezone="Europe/Berlin")
    async def reconcile(ctx: JobContext) -> None: ...

Every job is validated by the protocol's manifest validator when it is registered, so a
bad schedule or policy fails at import time with every problem listed, not at the first
fire. :meth:`Cron.manifest` is the normalized manifest the app serves; verification and
dispatch live in :mod:`cronix.sdk.verifying` and :mod:`cronix.sdk.dispatch` (written
against :class:`~cronix.sdk.contract.CronLike`, so they never import this module back),
and the adapters (:mod:`cronix.sdk.asgi`, :mod:`cronix.sdk.wsgi`, :mod:`cronix.sdk.django`)
feed requests in.

Both fire strategies arrive at the same routes: HMAC-signed fires from ``cronix trigger``
(``secret=``) and fire tokens from a managed scheduler (``fire_jwt=``); an app may accept
both, e.g. while it migrates.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

from cronix.protocol.errors import ManifestError
from cronix.protocol.headers import MANIFEST_PATH, TRIGGER_PATH_PREFIX
from cronix.protocol.manifest import Job, Manifest, canonical_json, load_manifest_object
from cronix.protocol.signing import DEFAULT_REPLAY_WINDOW_SECONDS
from cronix.protocol.validation import LIMITS, is_valid_id
from cronix.sdk import dispatch, verifying
from cronix.sdk.claims import MemoryClaimStore
from cronix.sdk.errors import CronConfigError, JobDefinitionError
from cronix.sdk.hooks import Hooks
from cronix.sdk.jobs import RegisteredJob
from cronix.sdk.logs import SDKLogger, default_logger, log_refusal
from cronix.sdk.options import JobOptions, PolicySpec, RetriesSpec, check_options, near_field
from cronix.sdk.results import Rejection, Response, json_response
from cronix.sdk.secretsource import SecretSource, check_source, current
from cronix.sdk.utilities import check_replay_window
from cronix.sdk.vercel import VercelCron

if TYPE_CHECKING:
    from typing import Unpack

    from cronix.sdk.claims import ClaimStore
    from cronix.sdk.context import JobContext
    from cronix.sdk.contract import FireMode
    from cronix.sdk.firejwt import FireJWT
    from cronix.sdk.incoming import CronRequest
    from cronix.sdk.results import TriggerVerified, Verified
    from cronix.sdk.scheduler import ManagedScheduler

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "Cron",
    "Handler",
    "JobOptions",
    "PolicySpec",
    "RegisteredJob",
    "RetriesSpec",
    "SecretSource",
]

#: A handler takes the context and returns None, a status, a body or a Response;
#: it may be ``async def``.
Handler = Callable[["JobContext"], Any]
H = TypeVar("H", bound=Handler)
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024


class Cron:
    """An app's job registry, verifier and dispatcher.

    ``secret`` is a string, a list (rotation: every secret verifies, ``ctx.secret_index``
    says which one matched) or a callable returning either, called on every verification.
    ``replay_window_seconds`` must be at least 30. ``skip_verify=True`` turns signature
    checks off for the manifest and for every job that does not override it; it logs a
    warning, and is meant for local development only.

    ``fire_jwt`` (a :class:`~cronix.sdk.FireJWT`) accepts fire tokens from a managed
    scheduler; an app needs a ``secret``, a ``fire_jwt`` or both. ``fire_mode`` says how
    token fires are answered: ``"async"`` (202 once claimed, the handler runs in the
    background) or ``"sync"`` (the handler's response).

    ``claims`` (alias ``idempotency``) is where fires are claimed so each occurrence runs
    once: :class:`~cronix.sdk.MemoryClaimStore` (the default when ``fire_jwt`` is set),
    :class:`~cronix.sdk.FileClaimStore` (one host) or :class:`~cronix.sdk.RedisClaimStore`
    (many replicas). ``replay`` remembers accepted signatures and tokens until they expire;
    it defaults to ``claims`` when that is given, else to a store in memory. ``scheduler``
    (a :class:`~cronix.sdk.ManagedScheduler`) is told the next occurrence after each
    claimed token fire (one-shot arms).

    ``vercel_cron_secret`` (a string, a list while rotating, or a callable such as
    :func:`~cronix.sdk.env_secret` for ``CRON_SECRET``) accepts Vercel Cron's own calls:
    ``GET`` with ``Authorization: Bearer <secret>``, each occurrence (its minute) claimed once
    (:mod:`cronix.sdk.vercel`). Without it a bearer is never taken for a Vercel call.
    """

    def __init__(
        self,
        *,
        app: str,
        base_url: str,
        secret: SecretSource | None = None,
        replay_window_seconds: int = DEFAULT_REPLAY_WINDOW_SECONDS,
        skip_verify: bool = False,
        hooks: Hooks | None = None,
        logger: SDKLogger | None = None,
        error_response: Callable[[Rejection], Response] | None = None,
        idempotency: ClaimStore | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        fire_jwt: FireJWT | None = None,
        fire_mode: FireMode = "async",
        claims: ClaimStore | None = None,
        replay: ClaimStore | None = None,
        scheduler: ManagedScheduler | None = None,
        vercel_cron_secret: SecretSource | None = None,
    ) -> None:
        if not isinstance(app, str) or not is_valid_id(app):
            raise CronConfigError(f"cronix: app id {app!r} must match ^[a-z][a-z0-9-]{{0,62}}$")
        self.app = app
        self._jobs: dict[str, RegisteredJob] = {}
        self._manifest_bytes: bytes | None = None
        self.base_url = base_url
        self.vercel = VercelCron(vercel_cron_secret) if vercel_cron_secret is not None else None
        if secret is None and not (skip_verify or fire_jwt is not None or self.vercel is not None):
            raise CronConfigError(
                "cronix: secret is required (or fire_jwt= for managed-jwt fires; vercel_cron_secret= "
                "for Vercel Cron's calls; skip_verify=True for local development)"
            )
        self._secret = secret
        self.replay_window_seconds = check_replay_window(replay_window_seconds)
        self.skip_verify = bool(skip_verify)
        self.hooks = hooks if hooks is not None else Hooks()
        if not isinstance(self.hooks, Hooks):
            raise CronConfigError("cronix: hooks must be a cronix.sdk.Hooks")
        self.logger: SDKLogger = logger if logger is not None else default_logger()
        check_source(secret, self.logger)
        self.error_response = error_response
        if claims is not None and idempotency is not None and claims is not idempotency:
            raise CronConfigError("cronix: pass claims= or its old name idempotency=, not both")
        store = claims if claims is not None else idempotency
        if store is None and (fire_jwt is not None or self.vercel is not None):
            store = MemoryClaimStore()  # token and Vercel fires are always claimed: duplicates are normal
        self.claims: ClaimStore | None = store
        self.replay: ClaimStore = (
            replay or store or MemoryClaimStore(ttl_seconds=2 * replay_window_seconds + 60)
        )
        if fire_mode not in ("async", "sync"):
            raise CronConfigError(f"cronix: fire_mode must be 'async' or 'sync', got {fire_mode!r}")
        self.fire_jwt = fire_jwt
        self.fire_mode: FireMode = fire_mode
        self.scheduler = scheduler
        if scheduler is not None and fire_jwt is None:
            raise CronConfigError("cronix: scheduler= re-arms after token fires; it needs fire_jwt= too")
        if max_body_bytes < 1:
            raise CronConfigError("cronix: max_body_bytes must be positive")
        self.max_body_bytes = max_body_bytes
        if self.skip_verify:
            self.logger.warning(
                "cronix: skip_verify=True for app %s: requests are NOT authenticated; "
                "anyone who can reach the app can fire its jobs. Never use this in production.",
                app,
            )

    # ------------------------------------------------------------------ registry

    @overload
    def register(self, name: str, handler: H, **options: Unpack[JobOptions]) -> H: ...
    @overload
    def register(
        self, name: str, handler: None = None, **options: Unpack[JobOptions]
    ) -> Callable[[H], H]: ...
    def register(self, name: str, handler: Handler | None = None, **options: Unpack[JobOptions]) -> Any:
        """Declare job ``name``; with no handler, return a decorator that binds one.

        The job is validated immediately with the manifest rules; a problem raises
        :class:`JobDefinitionError` listing every issue. A job registered without ever
        binding a handler answers its fires with ``503 NoHandler``.
        """
        if name in self._jobs:
            raise JobDefinitionError(name, f"cronix: job already registered: {name}")
        if len(self._jobs) >= LIMITS.MAX_JOBS:
            raise JobDefinitionError(name, f"cronix: an app may declare at most {LIMITS.MAX_JOBS} jobs")
        check_options(name, options)
        skip = options.pop("skip_verify", None)
        if skip is not None and not isinstance(skip, bool):
            raise JobDefinitionError(name, f"cronix: skip_verify for job {name} must be a bool")
        job = self._validated_job(name, options)
        self._jobs[name] = RegisteredJob(job, None, skip, url_override="url" in options)
        self._manifest_bytes = None
        if skip:
            self.logger.warning(
                "cronix: skip_verify=True for job %s.%s: its fires are NOT authenticated", self.app, name
            )
        if handler is not None:
            return self.bind(name, handler)

        def decorator(fn: H) -> H:
            return self.bind(name, fn)

        return decorator

    def job(self, name: str, **options: Unpack[JobOptions]) -> Callable[[H], H]:
        """Decorator form of :meth:`register`: ``@cron.job("name", schedule="@hourly")``."""
        return self.register(name, **options)

    def bind(self, name: str, handler: H) -> H:
        """Bind (or rebind) the handler of an already registered job."""
        entry = self._jobs.get(name)
        if entry is None:
            raise JobDefinitionError(name, f"cronix: cannot bind a handler: no job registered named {name}")
        if not callable(handler):
            raise JobDefinitionError(name, f"cronix: the handler of job {name} must be callable")
        entry.handler = handler
        return handler

    def jobs(self) -> tuple[RegisteredJob, ...]:
        """The registered jobs, sorted by name."""
        return tuple(self._jobs[n] for n in sorted(self._jobs))

    def get(self, name: str) -> RegisteredJob | None:
        return self._jobs.get(name)

    @property
    def base_url(self) -> str:
        """Where the scheduler reaches the app; job URLs are ``<base_url>/api/v1/scheduled/<name>``."""
        return self._base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        """Change the base URL (e.g. once the port is known); derived job URLs follow."""
        self._base_url = self._check_base_url(value)
        for entry in self._jobs.values():
            if not entry.url_override:
                request = entry.job.request._replace(url=self.trigger_url(entry.name))
                entry.job = entry.job._replace(request=request)
        self._manifest_bytes = None

    def trigger_url(self, name: str) -> str:
        return f"{self.base_url}{TRIGGER_PATH_PREFIX}{name}"

    def skips_verification(self, entry: RegisteredJob) -> bool:
        """The job's own ``skip_verify`` when set (either way), else the instance's."""
        return self.skip_verify if entry.skip_verify is None else entry.skip_verify

    def _check_base_url(self, base_url: str) -> str:
        if not isinstance(base_url, str):
            raise CronConfigError(f"cronix: base_url must be a string, got {type(base_url).__name__}")
        base = base_url.rstrip("/")
        if "?" in base or "#" in base:
            raise CronConfigError(f"cronix: base_url must not have a query or fragment, got {base_url!r}")
        # Whatever the manifest rules say about a job URL derived from it.
        probe = {
            "name": "probe",
            "schedule": "@daily",
            "request": {"url": f"{base}{TRIGGER_PATH_PREFIX}probe"},
        }
        try:
            load_manifest_object({"version": 1, "app": self.app, "jobs": [probe]})
        except ManifestError as exc:
            problems = "; ".join(i.message for i in exc.issues)
            raise CronConfigError(f"cronix: base_url {base_url!r} is not usable: {problems}") from None
        return base

    def _validated_job(self, name: str, options: Mapping[str, Any]) -> Job:
        raw: dict[str, Any] = {"name": name}
        for key in ("schedule", "timezone", "enabled"):
            if key in options:
                raw[key] = options[key]
        if "schedules" in options:
            given = options["schedules"]
            raw["schedules"] = list(given) if isinstance(given, (list, tuple)) else given
        request: dict[str, Any] = {"url": options.get("url", self.trigger_url(name))}
        for key in ("method", "body"):
            if key in options:
                request[key] = options[key]
        if "headers" in options:
            request["headers"] = dict(options["headers"])
        raw["request"] = request
        if "policy" in options:
            raw["policy"] = _plain(options["policy"])
        if "secret_refs" in options:
            raw["auth"] = {"secret_refs": _plain(options["secret_refs"])}
        if "monitoring" in options:
            raw["monitoring"] = _plain(options["monitoring"])
        try:
            manifest = load_manifest_object({"version": 1, "app": self.app, "jobs": [raw]})
        except ManifestError as exc:
            prefix = ("jobs", "0")
            rendered = "; ".join(
                f"{'/'.join(path) or '(job)'}: {i.message}"
                + (near_field(path) if i.code == "unrecognized_key" else "")
                for i in exc.issues
                for path in [i.path[2:] if i.path[:2] == prefix else i.path]
            )
            raise JobDefinitionError(
                name, f"cronix: invalid job definition for {name}: {rendered}", exc.issues
            ) from None
        return manifest.jobs[0]

    # ------------------------------------------------------------------ manifest

    def manifest(self) -> Manifest:
        """The normalized manifest: defaults filled in, jobs sorted by name."""
        return Manifest(app=self.app, jobs=tuple(entry.job for entry in self.jobs()))

    def manifest_json(self) -> bytes:
        """The bytes served at ``/.well-known/cron-manifest``: the canonical form (Go-JSON)."""
        if self._manifest_bytes is None:
            self._manifest_bytes = canonical_json(self.manifest()).encode("utf-8")
        return self._manifest_bytes

    # ------------------------------------------------------------------ requests

    @property
    def idempotency(self) -> ClaimStore | None:
        """The claim store under its original name."""
        return self.claims

    def has_secret(self) -> bool:
        return self._secret is not None

    def secrets(self) -> list[str]:
        """The secrets to verify with now (a callable source is called each time).

        Raises :class:`~cronix.sdk.secretsource.UnusableSecret` when a callable returns
        something unusable (``None``, empty, too short): verification answers 503.
        """
        return current(self._secret)

    def serves(self, route: str) -> bool:
        """Whether the SDK answers this route (the manifest or anything under the trigger prefix)."""
        return route == MANIFEST_PATH or route.startswith(TRIGGER_PATH_PREFIX)

    def verify_manifest(self, request: CronRequest) -> Verified | Rejection:
        return verifying.verify_manifest(self, request)

    def verify_trigger(self, request: CronRequest) -> TriggerVerified | Rejection:
        return verifying.verify_trigger(self, request)

    def handle(self, request: CronRequest) -> Response:
        """Answer a manifest or trigger request (sync; async handlers run in a fresh event loop)."""
        return dispatch.handle(self, request)

    async def handle_async(self, request: CronRequest) -> Response:
        """Answer a request from async code (sync handlers run in a worker thread)."""
        return await dispatch.handle_async(self, request)

    def run(self, verified: TriggerVerified) -> Response:
        """Run the handler of a verified trigger (as :meth:`handle` does after verifying)."""
        return dispatch.run(self, verified)

    async def run_async(self, verified: TriggerVerified) -> Response:
        return await dispatch.run_async(self, verified)

    def error(self, failure: Rejection, request: CronRequest | None = None) -> Response:
        """The response for a failure: ``error_response(failure)`` if set, else JSON code/message.

        A failure that says when to retry gets a ``Retry-After`` header either way. Every
        refusal is logged (:func:`~cronix.sdk.logs.log_refusal`: its status and code, the
        request's method and path when given; never a signature, token or secret).
        """
        log_refusal(self.logger, self.app, failure, request)
        response: Response | None = None
        if self.error_response is not None:
            try:
                response = self.error_response(failure)
            except Exception:
                self.logger.exception("cronix: error_response raised; sending the default error body")
        if response is None:
            response = json_response(failure.status, failure.body())
        if failure.retry_after is not None and response.header("retry-after") is None:
            response = dataclasses.replace(
                response, headers=(*response.headers, ("retry-after", str(failure.retry_after)))
            )
        return response


def _plain(value: Any) -> Any:
    """A deep copy with tuples as lists, so the validator sees JSON shapes."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return copy.copy(value)
