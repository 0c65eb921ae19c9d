"""Observation hooks, and the guarantee that a failing hook never changes a response.

Hooks are plain synchronous callables, called inline in this order around a fire::

    on_verify_failure(rejection, request)      any request the SDK refuses
    on_manifest_request(request)               a manifest request that passed
    on_trigger_start(ctx)                      just before the handler
    on_trigger_success(ctx, response, ms)      the handler answered 2xx
    on_trigger_error(ctx, error, ms)           it raised (error = the exception)
                                               or answered non-2xx (error = the Response)

``ms`` is the handler's run time in milliseconds (monotonic clock). Whatever a hook raises
is logged with its traceback and swallowed; its return value is ignored. Async hooks are
refused when the hooks are built (``spec/DECISIONS.md`` D-308): a hook that must do I/O
should hand the work to a queue or a task of its own rather than delay the response.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from cronix.sdk.errors import CronConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

    from cronix.sdk.context import JobContext
    from cronix.sdk.incoming import CronRequest
    from cronix.sdk.logs import SDKLogger
    from cronix.sdk.results import Rejection, Response

__all__ = ["Hooks", "call_hook"]


@dataclass(frozen=True, slots=True)
class Hooks:
    on_verify_failure: Callable[[Rejection, CronRequest], object] | None = None
    on_manifest_request: Callable[[CronRequest], object] | None = None
    on_trigger_start: Callable[[JobContext], object] | None = None
    on_trigger_success: Callable[[JobContext, Response, float], object] | None = None
    on_trigger_error: Callable[[JobContext, BaseException | Response, float], object] | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            hook = getattr(self, f.name)
            if hook is None:
                continue
            if not callable(hook):
                raise CronConfigError(f"cronix: hook {f.name} must be callable, got {type(hook).__name__}")
            if inspect.iscoroutinefunction(hook):
                raise CronConfigError(
                    f"cronix: hook {f.name} is async; hooks run inline and must be synchronous "
                    "(start a task or enqueue work from a plain function instead)"
                )


def call_hook(logger: SDKLogger, hooks: Hooks, name: str, *args: Any) -> None:
    """Call hook ``name`` if set; log and swallow anything it raises."""
    hook = getattr(hooks, name)
    if hook is None:
        return
    try:
        result = hook(*args)
        if inspect.isawaitable(result):
            # A sync callable that still returned an awaitable: close it so it is not
            # reported as never awaited, and say why it did nothing.
            close = getattr(result, "close", None)
            if close is not None:
                close()
            logger.error("cronix: hook %s returned an awaitable; hooks must be synchronous", name)
    except Exception:
        logger.exception("cronix: hook %s raised; the response is unaffected", name)
