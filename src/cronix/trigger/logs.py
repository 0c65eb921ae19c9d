"""The shim's structured log: one JSON object per line on stdout, as the reference writes it.

``cronix history`` (ours and the Go CLI's) folds these lines back into runs, from journald
or from captured output, so the ``msg`` strings, the key names and the key order are a
contract (fire-time §1.12, DESIGN §2), defined once in :mod:`cronix.protocol.triggerlog`
for this writer and for the reader (:mod:`cronix.runlog`). ``time`` is RFC 3339 with up to
nine fractional digits (trailing zeros trimmed) in the local UTC offset, like Go's slog.

Secrets and the ``X-Cron-Signature`` value never reach this module: callers pass error
strings that name secret *references*, never values.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from typing import Any, Protocol

from cronix.protocol.triggerlog import KEY

__all__ = ["JsonLog", "TextSink", "rfc3339_local"]


class TextSink(Protocol):
    """Where the lines go: stdout, a test's buffer, or nowhere (a quiet fire)."""

    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


def rfc3339_local(ns: int | None = None) -> str:
    """``ns`` (Unix nanoseconds, default now) as Go's RFC3339Nano in the local offset."""
    ns = time.time_ns() if ns is None else ns
    secs, frac = divmod(ns, 1_000_000_000)
    local = datetime.fromtimestamp(secs).astimezone()
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        text += f".{frac:09d}".rstrip("0")
    offset = local.utcoffset()
    minutes = int(offset.total_seconds()) // 60 if offset is not None else 0
    if minutes == 0:
        return text + "Z"
    sign = "+" if minutes > 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{text}{sign}{hours:02d}:{mins:02d}"


class JsonLog:
    """A minimal slog-compatible JSON-lines logger; :meth:`bind` adds keys to every line."""

    __slots__ = ("_bound", "_stream")

    def __init__(self, stream: TextSink | None = None, bound: dict[str, Any] | None = None) -> None:
        self._stream = stream
        self._bound: dict[str, Any] = bound or {}

    def bind(self, **attrs: Any) -> JsonLog:
        return JsonLog(self._stream, {**self._bound, **attrs})

    def info(self, msg: str, **attrs: Any) -> None:
        self._emit("INFO", msg, attrs)

    def warn(self, msg: str, **attrs: Any) -> None:
        self._emit("WARN", msg, attrs)

    def error(self, msg: str, **attrs: Any) -> None:
        self._emit("ERROR", msg, attrs)

    def _emit(self, level: str, msg: str, attrs: dict[str, Any]) -> None:
        record: dict[str, Any] = {KEY.TIME: rfc3339_local(), KEY.LEVEL: level, KEY.MSG: msg}
        record.update(self._bound)
        record.update(attrs)
        stream = self._stream if self._stream is not None else sys.stdout
        try:
            stream.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            stream.flush()
        except (OSError, ValueError):  # stdout closed: the run log still records the outcome
            pass
