"""Dispatch in-process: handler results, sync/async on both paths, hooks, errors, idempotency outcomes."""

from __future__ import annotations

import asyncio
import io
import threading
from typing import Any

import pytest

from cronix.sdk import (
    Cron,
    CronRequest,
    Hooks,
    JobContext,
    MemoryIdempotencyStore,
    Rejection,
    Response,
)
from cronix.sdk.asgi import CronASGI
from cronix.sdk.dispatch import to_response
from cronix.sdk.wsgi import CronWSGI
from tests.sdk.signer import fresh_timestamp, signature

SECRET = "dispatch-secret-of-the-test"
T = "/api/v1/scheduled/"


def make(**kwargs: Any) -> Cron:
    return Cron(app="billing", base_url="https://b.example", secret=SECRET, **kwargs)


def fire_request(name: str, body: bytes = b"", run_id: str = "", method: str = "POST") -> CronRequest:
    target = T + name
    headers = {
        "X-Cron-Signature": signature(SECRET, method, target, body, fresh_timestamp(method, target, body))
    }
    if run_id:
        headers["X-Cron-Run-Id"] = run_id
    return CronRequest.build(method, target, body, headers)


@pytest.mark.parametrize(
    ("value", "status", "body", "ctype"),
    [
        (None, 200, b"", None),
        (204, 204, b"", None),
        ("done", 200, b"done", "text/plain; charset=utf-8"),
        (b"\x00\x01", 200, b"\x00\x01", "application/octet-stream"),
        ({"n": 1}, 200, b'{"n":1}', "application/json"),
        ([1, "é"], 200, '[1,"é"]'.encode(), "application/json"),
        (Response(299, b"x", (("X-A", "1"),)), 299, b"x", None),
    ],
)
def test_handler_return_values(value: object, status: int, body: bytes, ctype: str | None) -> None:
    response = to_response(value)
    assert (response.status, response.body, response.header("content-type")) == (status, body, ctype)


@pytest.mark.parametrize("value", [True, 42, 600, object(), 1.5])
def test_unsupported_return_values_are_handler_errors(value: object) -> None:
    cron = make()
    cron.register("job", lambda ctx: value, schedule="@daily")
    response = cron.handle(fire_request("job"))
    assert response.status == 500
    assert b'"code":"HandlerError"' in response.body


def test_async_handler_from_sync_code_and_from_a_thread_running_a_loop() -> None:
    cron = make()

    @cron.job("job", schedule="@daily")
    async def job(ctx: JobContext) -> str:
        await asyncio.sleep(0)
        return "async"

    assert cron.handle(fire_request("job")).body == b"async"

    async def inside_a_loop() -> Response:
        return cron.handle(fire_request("job"))  # sync API called from async code

    assert asyncio.run(inside_a_loop()).body == b"async"


def test_sync_handler_runs_off_the_event_loop_thread() -> None:
    cron = make()
    threads: list[int] = []

    @cron.job("job", schedule="@daily")
    def job(ctx: JobContext) -> None:
        threads.append(threading.get_ident())

    async def main() -> tuple[Response, int]:
        return await cron.handle_async(fire_request("job")), threading.get_ident()

    response, loop_thread = asyncio.run(main())
    assert response.status == 200
    assert threads
    assert threads[0] != loop_thread


def test_handler_exception_is_500_without_its_message_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    cron = make()

    @cron.job("job", schedule="@daily")
    def job(ctx: JobContext) -> None:
        raise ValueError("card 4111-1111 declined")

    response = cron.handle(fire_request("job", run_id="r-1"))
    assert response.status == 500
    assert response.body == b'{"code":"HandlerError","message":"handler for job job raised ValueError"}'
    assert "handler of billing.job raised (run r-1, attempt 1)" in caplog.text
    assert "card 4111-1111 declined" in caplog.text  # the traceback stays in the app's own log


def test_hooks_order_and_arguments() -> None:
    calls: list[tuple[Any, ...]] = []
    hooks = Hooks(
        on_trigger_start=lambda ctx: calls.append(("start", ctx.name)),
        on_trigger_success=lambda ctx, resp, ms: calls.append(("success", resp.status, ms >= 0)),
        on_trigger_error=lambda ctx, err, ms: calls.append(("error", type(err).__name__, ms >= 0)),
    )
    cron = make(hooks=hooks)
    cron.register("ok", lambda ctx: None, schedule="@daily")
    cron.register("bad", lambda ctx: 1 / 0, schedule="@daily")
    cron.register("teapot", lambda ctx: 418, schedule="@daily")
    cron.register("unbound", schedule="@daily")
    for name in ("ok", "bad", "teapot", "unbound"):
        cron.handle(fire_request(name))
    assert calls == [
        ("start", "ok"),
        ("success", 200, True),
        ("start", "bad"),
        ("error", "ZeroDivisionError", True),
        ("start", "teapot"),
        ("error", "Response", True),
    ]


def test_custom_error_response_and_its_failure(caplog: pytest.LogCaptureFixture) -> None:
    cron = make(error_response=lambda f: Response(f.status, f"{f.code}!".encode()))
    assert cron.handle(CronRequest.build("POST", T + "x")).body == b"MissingSignature!"

    def broken(failure: Rejection) -> Response:
        raise RuntimeError("bad template")

    fallback = make(error_response=broken)
    response = fallback.handle(CronRequest.build("POST", T + "x"))
    assert (response.status, response.header("content-type")) == (401, "application/json")
    assert "error_response raised" in caplog.text


def test_unknown_path_and_body_limit() -> None:
    cron = make(max_body_bytes=10)
    cron.register("job", lambda ctx: None, schedule="@daily")
    assert cron.handle(CronRequest.build("GET", "/elsewhere")).status == 404
    too_big = cron.handle(fire_request("job", body=b"x" * 11))
    assert (too_big.status, b"BodyTooLarge" in too_big.body) == (413, True)
    assert cron.handle(fire_request("job", body=b"x" * 10)).status == 200


def test_in_progress_duplicate_is_503_and_failed_runs_release_their_claim() -> None:
    cron = make(idempotency=MemoryIdempotencyStore())
    entered, release = threading.Event(), threading.Event()
    calls: list[int] = []

    @cron.job("slow", schedule="@daily")
    def slow(ctx: JobContext) -> None:
        calls.append(ctx.attempt)
        entered.set()
        assert release.wait(10)

    first: list[Response] = []
    worker = threading.Thread(target=lambda: first.append(cron.handle(fire_request("slow", run_id="r"))))
    worker.start()
    assert entered.wait(10)
    duplicate = cron.handle(fire_request("slow", run_id="r"))
    assert (duplicate.status, b"RunInProgress" in duplicate.body) == (503, True)
    release.set()
    worker.join(10)
    assert first[0].status == 200
    done = cron.handle(fire_request("slow", run_id="r"))
    assert (done.status, b"AlreadyHandled" in done.body) == (200, True)
    assert calls == [1]

    outcomes = iter([500, None])
    cron.register("flaky", lambda ctx: next(outcomes), schedule="@daily")
    assert cron.handle(fire_request("flaky", run_id="f")).status == 500  # released: retry may run
    assert cron.handle(fire_request("flaky", run_id="f")).status == 200
    assert b"AlreadyHandled" in cron.handle(fire_request("flaky", run_id="f")).body
    # Without a run id nothing is deduplicated.
    cron.register("plain", lambda ctx: calls.append(0), schedule="@daily")
    cron.handle(fire_request("plain"))
    cron.handle(fire_request("plain"))
    assert calls.count(0) == 2


class BrokenStore:
    blocking = False

    def begin(self, key: str, *, lease_seconds: float) -> Any:
        raise ConnectionError("store down")

    def finish(self, claim: Any) -> None: ...
    def release(self, claim: Any) -> None: ...


def test_store_failure_is_503_and_the_handler_does_not_run() -> None:
    ran: list[str] = []
    cron = make(idempotency=BrokenStore())
    cron.register("job", lambda ctx: ran.append("x"), schedule="@daily")
    response = cron.handle(fire_request("job", run_id="r"))
    assert response.status == 503
    assert ran == []


# ----------------------------------------------------------------------------- adapters in-process


async def call_asgi(app: Any, scope: dict[str, Any], chunks: list[bytes]) -> tuple[int, bytes]:
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def scope_for(method: str, path: str, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        **extra,
    }


def test_asgi_reads_chunked_bodies_and_enforces_the_limit() -> None:
    cron = make(max_body_bytes=8)
    bodies: list[bytes] = []
    cron.register("job", lambda ctx: bodies.append(ctx.body), schedule="@daily")
    app = CronASGI(cron=cron)
    body = b"abcdefgh"
    headers = {
        "X-Cron-Signature": signature(
            SECRET, "POST", T + "job", body, fresh_timestamp("POST", T + "job", body)
        )
    }
    assert asyncio.run(call_asgi(app, scope_for("POST", T + "job", headers), [b"abc", b"defgh"]))[0] == 200
    assert bodies == [body]
    status, out = asyncio.run(call_asgi(app, scope_for("POST", T + "job", headers), [b"abcde", b"fghij"]))
    assert (status, b"BodyTooLarge" in out) == (413, True)


def test_asgi_alone_answers_lifespan_and_unknown_paths() -> None:
    app = CronASGI(cron=make())
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    outbox: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0)

    async def send(message: dict[str, Any]) -> None:
        outbox.append(message)

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert [m["type"] for m in outbox] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    status, body = asyncio.run(call_asgi(app, scope_for("GET", "/", {}), [b""]))
    assert (status, b"UnknownPath" in body) == (404, True)


def call_wsgi(app: Any, environ: dict[str, Any]) -> tuple[str, bytes]:
    status: list[str] = []
    body = b"".join(app(environ, lambda s, h, exc_info=None: status.append(s)))
    return status[0], body


def test_wsgi_reads_terminated_input_and_enforces_the_limit() -> None:
    cron = make(max_body_bytes=8)
    bodies: list[bytes] = []
    cron.register("job", lambda ctx: bodies.append(ctx.body), schedule="@daily")
    app = CronWSGI(cron=cron)
    body = b"12345678"
    sig = signature(SECRET, "POST", T + "job", body, fresh_timestamp("POST", T + "job", body))
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": T + "job",
        "HTTP_X_CRON_SIGNATURE": sig,
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
    }
    assert call_wsgi(app, environ)[0] == "200 OK"
    assert bodies == [body]
    oversized = {**environ, "CONTENT_LENGTH": "9", "wsgi.input": io.BytesIO(b"123456789")}
    status, out = call_wsgi(app, oversized)
    assert (status, b"BodyTooLarge" in out) == ("413 Request Entity Too Large", True)
    assert call_wsgi(app, {"REQUEST_METHOD": "GET", "PATH_INFO": "/other"})[0] == "404 Not Found"
