"""The logger the SDK writes to: any object with the standard ``logging`` methods.

Messages use ``%``-style arguments and never contain secrets or signature values.

Every request the SDK refuses is logged once, by :func:`log_refusal` (called from
``Cron.error``): an operator whose fires fail with 401 sees *why* in the app's own log
(``SignatureMismatch`` — a wrong or rotated secret; ``StaleTimestamp`` — a clock off),
not only in the trigger's run log on another host. Refusals are WARNING (a 5xx the
trigger retries: ERROR), replays and duplicates answered 200 are INFO. Only the status,
the code, the SDK's own message and the request's method and path are logged; text that
came from outside is shown with ``%r``, so it cannot forge a log line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from cronix.sdk.incoming import CronRequest
    from cronix.sdk.results import Rejection

__all__ = ["DEFAULT_LOGGER_NAME", "SDKLogger", "default_logger", "log_refusal"]

DEFAULT_LOGGER_NAME = "cronix.sdk"


class SDKLogger(Protocol):
    def debug(self, msg: str, *args: Any, **kwargs: Any) -> None: ...
    def info(self, msg: str, *args: Any, **kwargs: Any) -> None: ...
    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None: ...
    def error(self, msg: str, *args: Any, **kwargs: Any) -> None: ...
    def exception(self, msg: str, *args: Any, **kwargs: Any) -> None: ...


def default_logger() -> SDKLogger:
    import logging  # not at import time: ``import cronix.sdk`` stays cheap

    return logging.getLogger(DEFAULT_LOGGER_NAME)


def log_refusal(logger: SDKLogger, app: str, failure: Rejection, request: CronRequest | None) -> None:
    """One line: ``cronix: app billing refused POST '/api/…': 401 SignatureMismatch (…)``."""
    if failure.code == "HandlerError":
        return  # dispatch logged it already, with the traceback
    if failure.status < 400:
        log = logger.info
    elif failure.status >= 500:
        log = logger.error
    else:
        log = logger.warning
    if request is None:
        log(
            "cronix: app %s refused a request: %d %s (%r)", app, failure.status, failure.code, failure.message
        )
    else:
        log(
            "cronix: app %s refused %s %r: %d %s (%r)",
            app,
            request.method[:16],
            request.route[:512],
            failure.status,
            failure.code,
            failure.message,
        )
