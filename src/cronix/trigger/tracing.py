"""The tracing seam of a fire: a no-op by default, OpenTelemetry when asked for.

The fire loop talks only to :class:`Tracer`; :class:`NoTracer` costs nothing and imports
nothing. :func:`cronix.trigger.otel.start_tracer` returns the OpenTelemetry
implementation (``--otel`` or ``trigger.otel: true``), which is the only code that imports
``opentelemetry``.
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["AttemptSpan", "NoTracer", "Tracer"]


class AttemptSpan(Protocol):
    def inject(self) -> list[tuple[str, str]]:
        """W3C trace context headers (``traceparent``, ``tracestate``) for this attempt."""
        ...

    def signed(self) -> None: ...

    def response(self, status: int, outcome: str) -> None: ...

    def failed(self, reason: str, error: str) -> None: ...

    def end(self) -> None: ...


class Tracer(Protocol):
    def start_fire(self, attrs: dict[str, Any]) -> None: ...

    def event(self, name: str, attrs: dict[str, Any]) -> None: ...

    def start_lock(self, attrs: dict[str, Any]) -> None: ...

    def end_lock(self, outcome: str, error: str | None = None) -> None: ...

    def attempt(self, attrs: dict[str, Any]) -> AttemptSpan: ...

    def end_fire(self, outcome: str, attempts_made: int) -> None: ...

    def shutdown(self) -> None:
        """Flush every span to the exporter; called before the process exits."""
        ...


class _NoSpan:
    def inject(self) -> list[tuple[str, str]]:
        return []

    def signed(self) -> None:
        pass

    def response(self, status: int, outcome: str) -> None:
        pass

    def failed(self, reason: str, error: str) -> None:
        pass

    def end(self) -> None:
        pass


class NoTracer:
    _span = _NoSpan()

    def start_fire(self, attrs: dict[str, Any]) -> None:
        pass

    def event(self, name: str, attrs: dict[str, Any]) -> None:
        pass

    def start_lock(self, attrs: dict[str, Any]) -> None:
        pass

    def end_lock(self, outcome: str, error: str | None = None) -> None:
        pass

    def attempt(self, attrs: dict[str, Any]) -> AttemptSpan:
        return self._span

    def end_fire(self, outcome: str, attempts_made: int) -> None:
        pass

    def shutdown(self) -> None:
        pass
