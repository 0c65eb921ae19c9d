"""OpenTelemetry traces of a fire (reference fire-time §6 / D-037), flushed before exit.

Spans: ``cronix.trigger.fire`` (INTERNAL, the whole fire after spec load), a child
``cronix.trigger.lock`` for global locks, and one ``cronix.trigger.attempt`` (CLIENT) per
attempt whose W3C ``traceparent`` goes out on that attempt's request. Attribute and event
names are the reference's. Differences, all fixes: ``cronix.lock.backend`` is the lock
actually used, ``cronix.lock.ttl_seconds`` is the real TTL, success sets status OK (as
D-037 says), and the provider is shut down — flushing the batch — before the process
exits (the reference's deferred flush never ran).

Enabled with ``--otel`` or ``trigger.otel``; exporting needs the ``otel`` extra and
``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``…_TRACES_ENDPOINT``), as in the reference — without
an endpoint there is nothing to send to, so tracing stays off.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from cronix.trigger.tracing import AttemptSpan, NoTracer, Tracer

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cronix.trigger.logs import JsonLog

__all__ = ["start_tracer"]

_TRACER_NAME = "cronix.trigger"
_SHUTDOWN_TIMEOUT_MS = 5000


def start_tracer(log: JsonLog, environ: Mapping[str, str] | None = None) -> Tracer:
    """An OpenTelemetry tracer, or :class:`NoTracer` when there is no endpoint or no SDK."""
    env = os.environ if environ is None else environ
    if not (env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        return NoTracer()
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider(resource=Resource.create({"service.name": "cronix-trigger"}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    except Exception as exc:  # ImportError (no extra) or a bad OTEL_* setting
        from cronix.protocol.triggerlog import MSG

        log.error(MSG.OTEL_INIT_FAILED, err=f"{type(exc).__name__}: {exc}")
        return NoTracer()
    return _OtelTracer(provider)


class _OtelAttempt:
    def __init__(self, span: Any) -> None:
        self._span = span

    def inject(self) -> list[tuple[str, str]]:
        from opentelemetry.trace import set_span_in_context
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        carrier: dict[str, str] = {}
        TraceContextTextMapPropagator().inject(carrier, context=set_span_in_context(self._span))
        return list(carrier.items())

    def signed(self) -> None:
        self._span.add_event("cronix.sign.completed")

    def response(self, status: int, outcome: str) -> None:
        from opentelemetry.trace import Status, StatusCode

        self._span.set_attribute("http.response.status_code", status)
        if outcome == "success":
            self._span.set_status(Status(StatusCode.OK))
            return
        if outcome == "server_error":
            self._span.set_attribute("cronix.retry_reason", "5xx" if status >= 500 else "")
        self._span.set_status(Status(StatusCode.ERROR, outcome))

    def failed(self, reason: str, error: str) -> None:
        from opentelemetry.trace import Status, StatusCode

        self._span.add_event("exception", {"exception.message": error})
        self._span.set_attribute("cronix.retry_reason", reason)
        self._span.set_status(Status(StatusCode.ERROR, "request_error"))

    def end(self) -> None:
        self._span.end()


class _OtelTracer:
    def __init__(self, provider: Any) -> None:
        self._provider = provider
        self._tracer = provider.get_tracer(_TRACER_NAME)
        self._root: Any = None
        self._lock: Any = None

    def _child(self, name: str, kind: Any, attrs: dict[str, Any]) -> Any:
        from opentelemetry.trace import set_span_in_context

        context = set_span_in_context(self._root) if self._root is not None else None
        return self._tracer.start_span(name, context=context, kind=kind, attributes=attrs)

    def start_fire(self, attrs: dict[str, Any]) -> None:
        from opentelemetry.trace import SpanKind

        self._root = self._tracer.start_span("cronix.trigger.fire", kind=SpanKind.INTERNAL, attributes=attrs)

    def event(self, name: str, attrs: dict[str, Any]) -> None:
        if self._root is not None:
            self._root.add_event(name, attrs)

    def start_lock(self, attrs: dict[str, Any]) -> None:
        from opentelemetry.trace import SpanKind

        self._lock = self._child("cronix.trigger.lock", SpanKind.INTERNAL, attrs)

    def end_lock(self, outcome: str, error: str | None = None) -> None:
        from opentelemetry.trace import Status, StatusCode

        span, self._lock = self._lock, None
        if span is None:
            return
        if error is not None:
            span.add_event("exception", {"exception.message": error})
            span.set_status(Status(StatusCode.ERROR, "acquire_failed"))
        else:
            span.set_attribute("cronix.lock.outcome", outcome)
            if outcome != "acquired":
                span.set_status(Status(StatusCode.ERROR, outcome))
        span.end()

    def attempt(self, attrs: dict[str, Any]) -> AttemptSpan:
        from opentelemetry.trace import SpanKind

        return _OtelAttempt(self._child("cronix.trigger.attempt", SpanKind.CLIENT, attrs))

    def end_fire(self, outcome: str, attempts_made: int) -> None:
        from opentelemetry.trace import Status, StatusCode

        root, self._root = self._root, None
        if root is None:
            return
        root.set_attribute("cronix.outcome", outcome)
        root.set_attribute("cronix.attempts_made", attempts_made)
        root.set_status(Status(StatusCode.OK) if outcome == "success" else Status(StatusCode.ERROR, outcome))
        root.end()

    def shutdown(self) -> None:
        self._provider.force_flush(_SHUTDOWN_TIMEOUT_MS)
        self._provider.shutdown()
