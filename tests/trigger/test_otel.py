"""OpenTelemetry: spans exported over real OTLP/HTTP, flushed before the shim exits."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.support.httpserver import serving
from tests.trigger.app_server import AppServer, Reply
from tests.trigger.conftest import Host, write_spec


@pytest.fixture
def collector() -> Iterator[tuple[str, list[bytes]]]:
    """A bare OTLP/HTTP endpoint that keeps every POST body to /v1/traces."""
    bodies: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/v1/traces":
                bodies.append(body)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}", bodies


def _spans(bodies: list[bytes]) -> dict[str, list[Any]]:
    spans: dict[str, list[Any]] = {}
    for body in bodies:
        req = ExportTraceServiceRequest()
        req.ParseFromString(body)
        for rs in req.resource_spans:
            for ss in rs.scope_spans:
                for span in ss.spans:
                    spans.setdefault(span.name, []).append(span)
    return spans


def _attrs(span: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in span.attributes:
        value = kv.value
        out[kv.key] = getattr(value, value.WhichOneof("value"))
    return out


def test_spans_are_exported_before_exit_and_traceparent_is_sent(
    host: Host, app: AppServer, collector: tuple[str, list[bytes]]
) -> None:
    endpoint, bodies = collector
    write_spec(host.spec_dir, app.url())
    app.replies = [Reply(503), Reply(200)]
    proc = host.trigger("billing.ping", "--otel", env=host.env(OTEL_EXPORTER_OTLP_ENDPOINT=endpoint))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    spans = _spans(bodies)
    (root,) = spans["cronix.trigger.fire"]
    attempts = sorted(spans["cronix.trigger.attempt"], key=lambda s: _attrs(s)["cronix.attempt"])
    assert len(attempts) == 2
    attrs = _attrs(root)
    assert attrs["cronix.app"] == "billing"
    assert attrs["cronix.job"] == "ping"
    assert attrs["cronix.run_id"] == app.requests[0].header("X-Cron-Run-Id")
    assert attrs["cronix.outcome"] == "success"
    assert attrs["cronix.attempts_made"] == 2
    assert attrs["cronix.schedule"] == "* * * * *"
    assert [_attrs(a)["http.response.status_code"] for a in attempts] == [503, 200]
    assert _attrs(attempts[0])["cronix.retry_reason"] == "5xx"
    for span, request in zip(attempts, app.requests, strict=True):
        assert span.parent_span_id == root.span_id
        version, trace_id, span_id, flags = (request.header("traceparent") or "").split("-")
        assert (version, trace_id, span_id) == ("00", span.trace_id.hex(), span.span_id.hex())
        assert int(flags, 16) & 1  # sampled


def test_otel_without_an_endpoint_is_off(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url())
    proc = host.trigger("billing.ping", "--otel")
    assert proc.returncode == 0
    assert app.requests[0].header("traceparent") is None
