"""The logger the SDK writes to: any object with the standard ``logging`` methods.

Messages use ``%``-style arguments and never contain secrets or signature values.
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["DEFAULT_LOGGER_NAME", "SDKLogger", "default_logger"]

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
