"""Routing and handler invocation: turn a verified request into a response.

:func:`handle` (sync, for WSGI and Django) and :func:`handle_async` (for ASGI) route the
manifest and trigger paths, verify, claim (:mod:`cronix.sdk.claiming`) and run the job's
handler. Handlers may be sync or ``async def`` on either path: a sync handler called
from async code runs in a worker thread so it cannot stall the event loop; an async
handler called from sync code runs in an event loop of its own.

What a fire gets back (``spec/DECISIONS.md`` D-303, D-304, D-307, D-311, D-503, D-507):

* the handler's return value: ``None`` → 200 empty; an ``int`` → that status; ``str`` →
  200 text; ``bytes`` → 200 octets; a ``dict``/``list`` → 200 JSON; a
  :class:`~cronix.sdk.results.Response` → as given;
* a token fire in ``async`` mode (the default for token fires): ``202
  {"status":"accepted","fire_id":…,"run_id":…}`` as soon as it is claimed, the handler
  running in the background (a tracked asyncio task under ASGI, a thread otherwise);
* no handler bound → ``503 NoHandler``; the handler raised (or returned something else)
  → ``500 HandlerError`` naming only the exception type (the message may hold data that
  must not travel to the trigger's logs); the traceback goes to the app's logger. Both are
  5xx, so the trigger retries;
* a duplicate, a replay or a busy job → what :mod:`cronix.sdk.claiming` says.
"""

from __future__ import annotations

import inspect
import threading
import time
from typing import TYPE_CHECKING, Any

from cronix.protocol.headers import MANIFEST_PATH, TRIGGER_PATH_PREFIX
from cronix.sdk import claiming
from cronix.sdk.hooks import call_hook
from cronix.sdk.rearm import rearm, wants_rearm
from cronix.sdk.results import Rejection, Response, json_response, rejection
from cronix.sdk.verifying import verify_manifest, verify_trigger

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from cronix.sdk.context import JobContext
    from cronix.sdk.contract import CronLike
    from cronix.sdk.incoming import CronRequest
    from cronix.sdk.jobs import RegisteredJob
    from cronix.sdk.results import TriggerVerified

__all__ = ["handle", "handle_async", "run", "run_async", "to_response"]

# Background fires still running; kept so asyncio does not collect their tasks.
_BACKGROUND: set[Any] = set()


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


def _route(cron: CronLike, request: CronRequest) -> Response | TriggerVerified:
    """A finished response (manifest, rejection, unknown path) or a trigger ready to run."""
    if len(request.body) > cron.max_body_bytes:
        return cron.error(
            rejection("BodyTooLarge", f"request body exceeds {cron.max_body_bytes} bytes"), request
        )
    route = request.route
    if route == MANIFEST_PATH:
        checked = verify_manifest(cron, request)
        if isinstance(checked, Rejection):
            return cron.error(checked, request)
        return Response(200, cron.manifest_json(), (("content-type", "application/json"),))
    if route.startswith(TRIGGER_PATH_PREFIX):
        verified = verify_trigger(cron, request)
        return cron.error(verified, request) if isinstance(verified, Rejection) else verified
    return cron.error(rejection("UnknownPath", f"path {route} is not served by cronix"), request)


def handle(cron: CronLike, request: CronRequest) -> Response:
    routed = _route(cron, request)
    return routed if isinstance(routed, Response) else run(cron, routed)


async def handle_async(cron: CronLike, request: CronRequest) -> Response:
    # A token whose key must be fetched first would block the loop for the fetch.
    if cron.fire_jwt is not None and cron.fire_jwt.needs_fetch(request):
        routed = await _to_thread(_route, cron, request)
    else:
        routed = _route(cron, request)
    return routed if isinstance(routed, Response) else await run_async(cron, routed)


# ---------------------------------------------------------------------- running


def _ready(cron: CronLike, verified: TriggerVerified) -> Response | RegisteredJob:
    """The job to run, or the response when there is nothing to run."""
    name = verified.context.name
    entry = cron.get(name)
    if entry is None:
        return cron.error(rejection("UnknownJob", f"no registered job named {name}"))
    if entry.handler is None:
        return cron.error(rejection("NoHandler", f"no handler bound for job {name}"))
    return entry


def _in_background(cron: CronLike, ctx: JobContext) -> bool:
    return claiming.is_token_fire(ctx) and cron.fire_mode == "async"


def _accepted(ctx: JobContext) -> Response:
    return json_response(202, {"status": "accepted", "fire_id": ctx.fire_id, "run_id": ctx.run_id})


def _outcome(
    cron: CronLike, ctx: JobContext, value: object, error: Exception | None, started: float
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


def _invoke(cron: CronLike, entry: RegisteredJob, ctx: JobContext) -> tuple[Response, bool]:
    call_hook(cron.logger, cron.hooks, "on_trigger_start", ctx)
    started = time.perf_counter()
    value: object = None
    error: Exception | None = None
    try:
        assert entry.handler is not None
        value = entry.handler(ctx)
        if inspect.isawaitable(value):
            value = _run_coroutine(value)
    except Exception as exc:
        error = exc
    return _outcome(cron, ctx, value, error, started)


def _run_claimed(
    cron: CronLike, entry: RegisteredJob, ctx: JobContext, claimed: claiming.Claimed
) -> Response:
    if wants_rearm(cron, ctx):
        rearm(cron, entry, ctx)
    response, ok = _invoke(cron, entry, ctx)
    claimed.settle(cron, ok)
    return response


def run(cron: CronLike, verified: TriggerVerified) -> Response:
    ready = _ready(cron, verified)
    if isinstance(ready, Response):
        return ready
    ctx = verified.context
    background = _in_background(cron, ctx)
    claimed = claiming.acquire(cron, verified, ready, accepted=background)
    if isinstance(claimed, Response):
        return claimed
    if background:
        thread = threading.Thread(
            target=_run_claimed, args=(cron, ready, ctx, claimed), name=f"cronix-fire-{ctx.name}", daemon=True
        )
        thread.start()
        return _accepted(ctx)
    return _run_claimed(cron, ready, ctx, claimed)


async def run_async(cron: CronLike, verified: TriggerVerified) -> Response:
    ready = _ready(cron, verified)
    if isinstance(ready, Response):
        return ready
    ctx = verified.context
    blocking = claiming.blocking(cron, verified, ready)
    background = _in_background(cron, ctx)
    claimed = await _off_loop(blocking, claiming.acquire, cron, verified, ready, accepted=background)
    if isinstance(claimed, Response):
        return claimed
    if background:
        import asyncio

        task = asyncio.get_running_loop().create_task(_run_claimed_async(cron, ready, ctx, claimed, blocking))
        _BACKGROUND.add(task)
        task.add_done_callback(_BACKGROUND.discard)
        return _accepted(ctx)
    return await _run_claimed_async(cron, ready, ctx, claimed, blocking)


async def _run_claimed_async(
    cron: CronLike, entry: RegisteredJob, ctx: JobContext, claimed: claiming.Claimed, blocking: bool
) -> Response:
    if wants_rearm(cron, ctx):
        await _to_thread(rearm, cron, entry, ctx)
    call_hook(cron.logger, cron.hooks, "on_trigger_start", ctx)
    started = time.perf_counter()
    handler = entry.handler
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
    await _off_loop(blocking, claimed.settle, cron, ok)
    return response


async def _to_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    import asyncio  # already loaded by whoever runs the event loop

    return await asyncio.to_thread(fn, *args, **kwargs)


async def _off_loop(blocking: bool, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return await _to_thread(fn, *args, **kwargs) if blocking else fn(*args, **kwargs)


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
