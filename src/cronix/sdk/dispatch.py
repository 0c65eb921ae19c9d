"""Routing and handler invocation: turn a verified request into a response.

:func:`handle` (sync, for WSGI and Django) and :func:`handle_async` (for ASGI) route the
manifest and trigger paths, verify, and run the job's handler. Handlers may be sync or
``async def`` on either path: a sync handler called from async code runs in a worker
thread so it cannot stall the event loop; an async handler called from sync code runs in
an event loop of its own.

What a fire gets back (``spec/DECISIONS.md`` D-303, D-304, D-307, D-311):

* the handler's return value: ``None`` → 200 empty; an ``int`` → that status; ``str`` →
  200 text; ``bytes`` → 200 octets; a ``dict``/``list`` → 200 JSON; a
  :class:`~cronix.sdk.results.Response` → as given;
* no handler bound → ``503 NoHandler``; the handler raised (or returned something else)
  → ``500 HandlerError`` naming only the exception type (the message may hold data that
  must not travel to the trigger's logs); the traceback goes to the app's logger. Both are
  5xx, so the trigger retries;
* with an idempotency store, a duplicate of a finished run → ``200 AlreadyHandled`` and
  of a running one → ``503 RunInProgress`` (see :mod:`cronix.sdk.idempotency`).
"""

from __future__ import annotations

import inspect
import time
from typing import TYPE_CHECKING, Any

from cronix.protocol.headers import MANIFEST_PATH, TRIGGER_PATH_PREFIX
from cronix.sdk.hooks import call_hook
from cronix.sdk.idempotency import Claim
from cronix.sdk.results import Rejection, Response, json_response, rejection
from cronix.sdk.verifying import verify_manifest, verify_trigger

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from cronix.sdk.app import Cron, RegisteredJob
    from cronix.sdk.context import JobContext
    from cronix.sdk.idempotency import RunState
    from cronix.sdk.incoming import CronRequest
    from cronix.sdk.results import TriggerVerified

__all__ = ["handle", "handle_async", "run", "run_async", "to_response"]

# Margin on top of the job's timeout before an unfinished claim may be taken again.
_LEASE_MARGIN_SECONDS = 60


def to_response(value: object) -> Response:
    """A handler's return value as a response; anything unsupported is a ``TypeError``."""
    if value is None:
        return Response(200)
    if isinstance(value, Response):
        return value
    if isinstance(value, bool):
        raise TypeError("a handler returned a bool; return None, a status code, a body or a Response")
    if isinstance(value, int):
        if not 100 <= value <= 599:
            raise TypeError(f"a handler returned status {value}, outside 100..599")
        return Response(value)
    if isinstance(value, str):
        return Response(200, value.encode("utf-8"), (("content-type", "text/plain; charset=utf-8"),))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return Response(200, bytes(value), (("content-type", "application/octet-stream"),))
    if isinstance(value, (dict, list)):
        return json_response(200, value)
    raise TypeError(f"a handler returned an unsupported {type(value).__name__}")


# ---------------------------------------------------------------------- routing


def _route(cron: Cron, request: CronRequest) -> Response | TriggerVerified:
    """A finished response (manifest, rejection, unknown path) or a trigger ready to run."""
    if len(request.body) > cron.max_body_bytes:
        return cron.error(rejection("BodyTooLarge", f"request body exceeds {cron.max_body_bytes} bytes"))
    route = request.route
    if route == MANIFEST_PATH:
        checked = verify_manifest(cron, request)
        if isinstance(checked, Rejection):
            return cron.error(checked)
        return Response(200, cron.manifest_json(), (("content-type", "application/json"),))
    if route.startswith(TRIGGER_PATH_PREFIX):
        verified = verify_trigger(cron, request)
        return cron.error(verified) if isinstance(verified, Rejection) else verified
    return cron.error(rejection("UnknownPath", f"path {route} is not served by cronix"))


def handle(cron: Cron, request: CronRequest) -> Response:
    routed = _route(cron, request)
    return routed if isinstance(routed, Response) else run(cron, routed)


async def handle_async(cron: Cron, request: CronRequest) -> Response:
    routed = _route(cron, request)
    return routed if isinstance(routed, Response) else await run_async(cron, routed)


# ---------------------------------------------------------------------- running


def _ready(cron: Cron, verified: TriggerVerified) -> Response | RegisteredJob:
    """The job to run, or the response when there is nothing to run."""
    name = verified.context.name
    entry = cron.get(name)
    if entry is None:
        return cron.error(rejection("UnknownJob", f"no registered job named {name}"))
    if entry.handler is None:
        return cron.error(rejection("NoHandler", f"no handler bound for job {name}"))
    return entry


def _claim_key(cron: Cron, ctx: JobContext) -> str | None:
    return f"{cron.app}:{ctx.name}:{ctx.run_id}" if cron.idempotency is not None and ctx.run_id else None


def _claimed(cron: Cron, ctx: JobContext, state: Claim | RunState | BaseException) -> Claim | Response:
    if isinstance(state, Claim):
        return state
    if isinstance(state, BaseException):
        cron.logger.error("cronix: idempotency store failed for %s.%s: %r", cron.app, ctx.name, state)
        return cron.error(rejection("RunInProgress", "the run could not be claimed; retry later"))
    cron.logger.info("cronix: duplicate fire of %s.%s run %s (%s)", cron.app, ctx.name, ctx.run_id, state)
    which = f"run {ctx.run_id} of job {ctx.name}"
    if state == "done":
        return cron.error(rejection("AlreadyHandled", f"{which} was already handled"))
    return cron.error(rejection("RunInProgress", f"{which} is still running"))


def _outcome(
    cron: Cron, ctx: JobContext, value: object, error: Exception | None, started: float
) -> tuple[Response, bool]:
    """The response for a finished handler and whether it succeeded; fires the end hooks."""
    elapsed_ms = (time.perf_counter() - started) * 1000.0
    if error is None:
        try:
            response = to_response(value)
        except TypeError as exc:
            error = exc
        else:
            ok = 200 <= response.status < 300
            hook = "on_trigger_success" if ok else "on_trigger_error"
            call_hook(cron.logger, cron.hooks, hook, ctx, response, elapsed_ms)
            return response, ok
    cron.logger.error(
        "cronix: handler of %s.%s raised (run %s, attempt %d)",
        cron.app,
        ctx.name,
        ctx.run_id or "-",
        ctx.attempt,
        exc_info=error,
    )
    call_hook(cron.logger, cron.hooks, "on_trigger_error", ctx, error, elapsed_ms)
    message = f"handler for job {ctx.name} raised {type(error).__name__}"
    return cron.error(rejection("HandlerError", message)), False


def _settle(cron: Cron, claim: Claim | None, ok: bool) -> None:
    if claim is None or cron.idempotency is None:
        return
    try:
        (cron.idempotency.finish if ok else cron.idempotency.release)(claim)
    except Exception as exc:
        cron.logger.error("cronix: idempotency store failed to settle %s: %r", claim.key, exc)


def _lease(entry: RegisteredJob) -> float:
    return float(entry.job.policy.timeout_seconds + _LEASE_MARGIN_SECONDS)


def _begin(cron: Cron, key: str, lease: float) -> Claim | RunState | BaseException:
    assert cron.idempotency is not None
    try:
        return cron.idempotency.begin(key, lease_seconds=lease)
    except Exception as exc:
        return exc


def run(cron: Cron, verified: TriggerVerified) -> Response:
    ready = _ready(cron, verified)
    if isinstance(ready, Response):
        return ready
    ctx = verified.context
    claim: Claim | None = None
    key = _claim_key(cron, ctx)
    if key is not None:
        got = _claimed(cron, ctx, _begin(cron, key, _lease(ready)))
        if isinstance(got, Response):
            return got
        claim = got
    call_hook(cron.logger, cron.hooks, "on_trigger_start", ctx)
    started = time.perf_counter()
    value: object = None
    error: Exception | None = None
    try:
        assert ready.handler is not None
        value = ready.handler(ctx)
        if inspect.isawaitable(value):
            value = _run_coroutine(value)
    except Exception as exc:
        error = exc
    response, ok = _outcome(cron, ctx, value, error, started)
    _settle(cron, claim, ok)
    return response


async def run_async(cron: Cron, verified: TriggerVerified) -> Response:
    ready = _ready(cron, verified)
    if isinstance(ready, Response):
        return ready
    ctx = verified.context
    store = cron.idempotency
    claim: Claim | None = None
    key = _claim_key(cron, ctx)
    if key is not None:
        state = await _off_loop(store is not None and store.blocking, _begin, cron, key, _lease(ready))
        got = _claimed(cron, ctx, state)
        if isinstance(got, Response):
            return got
        claim = got
    call_hook(cron.logger, cron.hooks, "on_trigger_start", ctx)
    started = time.perf_counter()
    handler = ready.handler
    assert handler is not None
    value: object = None
    error: Exception | None = None
    try:
        if inspect.iscoroutinefunction(handler):
            value = await handler(ctx)
        else:
            value = await _to_thread(handler, ctx)
            if inspect.isawaitable(value):
                value = await value
    except Exception as exc:
        error = exc
    response, ok = _outcome(cron, ctx, value, error, started)
    if claim is not None:
        await _off_loop(store is not None and store.blocking, _settle, cron, claim, ok)
    return response


async def _to_thread(fn: Callable[..., Any], *args: Any) -> Any:
    import asyncio  # already loaded by whoever runs the event loop

    return await asyncio.to_thread(fn, *args)


async def _off_loop(blocking: bool, fn: Callable[..., Any], *args: Any) -> Any:
    return await _to_thread(fn, *args) if blocking else fn(*args)


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _run_coroutine(awaitable: Awaitable[Any]) -> Any:
    """Run an async handler from sync code, even from a thread that already runs a loop."""
    # Imported here: a WSGI app with sync handlers never pays for asyncio.
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_await(awaitable))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cronix-handler") as pool:
        return pool.submit(asyncio.run, _await(awaitable)).result()
