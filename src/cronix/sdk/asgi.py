"""ASGI adapter (Starlette, FastAPI, any ASGI server), keeping the raw body bytes intact.

Three ways to install it::

    app.add_middleware(CronASGI, cron=cron)       # FastAPI/Starlette middleware
    app.mount("/cron", CronASGI(cron=cron))       # under a prefix (base_url ends in /cron)
    app.router.routes.extend(routes(cron))        # plain Starlette routes

As middleware it answers the manifest path and everything under ``/api/v1/scheduled/``
and passes every other request to the wrapped app; on its own it answers anything else
with ``404 UnknownPath`` and completes the lifespan protocol, so
``uvicorn module:CronASGI(cron=cron)``-style serving works too.

The body is read in full (up to ``cron.max_body_bytes``, else ``413 BodyTooLarge``)
before verification, because the signature covers it. Sync handlers run in a worker
thread (``asyncio.to_thread``), so the event loop keeps serving while they work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from cronix.protocol.headers import MANIFEST_PATH, TRIGGER_PATH_PREFIX
from cronix.sdk.incoming import CronRequest
from cronix.sdk.results import Response, rejection
from cronix.sdk.targets import asgi_route, asgi_target

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from cronix.sdk.app import Cron

__all__ = ["ASGIApp", "CronASGI", "routes"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _TooLarge(Exception):
    pass


class CronASGI:
    """An ASGI app serving a :class:`~cronix.sdk.Cron`; wraps ``app`` when one is given."""

    def __init__(self, app: ASGIApp | None = None, *, cron: Cron) -> None:
        self.app = app
        self.cron = cron

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope.get("type")
        if kind == "http":
            route = asgi_route(scope)
            if self.cron.serves(route):
                await self._serve(scope, route, receive, send)
                return
        if self.app is not None:
            await self.app(scope, receive, send)
        elif kind == "lifespan":
            await _lifespan(receive, send)
        elif kind == "http":
            failure = rejection("UnknownPath", f"path {asgi_route(scope)} is not served by cronix")
            await _send(send, self.cron.error(failure))
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1000})

    async def _serve(self, scope: Scope, route: str, receive: Receive, send: Send) -> None:
        try:
            body = await _read_body(receive, self.cron.max_body_bytes)
        except _TooLarge:
            failure = rejection("BodyTooLarge", f"request body exceeds {self.cron.max_body_bytes} bytes")
            await _send(send, self.cron.error(failure))
            return
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", ())]
        request = CronRequest.build(str(scope.get("method", "GET")), asgi_target(scope), body, headers, route)
        await _send(send, await self.cron.handle_async(request))


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message.get("type") == "http.disconnect":
            break
        chunk = message.get("body", b"") or b""
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send(send: Send, response: Response) -> None:
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    if not any(k == b"content-length" for k, _ in headers):
        headers.append((b"content-length", str(len(response.body)).encode("ascii")))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message.get("type") == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message.get("type") == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def routes(cron: Cron) -> list[BaseRoute]:
    """Starlette routes for the manifest and trigger paths (all methods; the SDK checks them)."""
    from starlette.routing import Route

    endpoint = CronASGI(cron=cron)
    return [
        Route(MANIFEST_PATH, endpoint=endpoint),
        Route(TRIGGER_PATH_PREFIX + "{name:path}", endpoint=endpoint),
    ]
