"""WSGI adapter (Flask and any WSGI app or server), keeping the raw body bytes intact.

::

    flask_app.wsgi_app = CronWSGI(flask_app.wsgi_app, cron=cron)   # Flask
    application = CronWSGI(application, cron=cron)                 # any WSGI app
    application = CronWSGI(cron=cron)                              # the SDK alone

It answers the manifest path and everything under ``/api/v1/scheduled/`` (relative to
``SCRIPT_NAME``, so it can be mounted under a prefix) and passes every other request to
the wrapped app, or answers ``404 UnknownPath`` when there is none. The body is read
from ``wsgi.input`` byte for byte (``CONTENT_LENGTH``, or to the end when the server
marks the input as terminated), up to ``cron.max_body_bytes``. How the signed target is
recovered from each server's environ: :mod:`cronix.sdk.targets`.
"""

from __future__ import annotations

import http
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from cronix.sdk.incoming import CronRequest
from cronix.sdk.results import Response, rejection
from cronix.sdk.targets import wsgi_route, wsgi_target

if TYPE_CHECKING:
    from cronix.sdk.app import Cron

__all__ = ["CronWSGI", "WSGIApp", "environ_headers", "read_wsgi_body", "wsgi_status"]

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

_CHUNK = 64 * 1024


class BodyTooLarge(Exception):
    pass


def environ_headers(environ: Environ) -> list[tuple[str, str]]:
    """Request headers from a WSGI environ (``HTTP_X_CRON_RUN_ID`` → ``x-cron-run-id``)."""
    pairs: list[tuple[str, str]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            pairs.append((key[5:].replace("_", "-").lower(), value))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            pairs.append((key.replace("_", "-").lower(), value))
    return pairs


def read_wsgi_body(environ: Environ, limit: int) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length_text = environ.get("CONTENT_LENGTH") or ""
    if length_text.strip():
        try:
            length = int(length_text)
        except ValueError:
            length = 0
        if length > limit:
            raise BodyTooLarge
        return _read_exactly(stream, max(length, 0))
    if environ.get("wsgi.input_terminated"):  # chunked request the server de-chunked for us
        chunks: list[bytes] = []
        size = 0
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            chunks.append(chunk)
        return b"".join(chunks)
    return b""


def _read_exactly(stream: Any, length: int) -> bytes:
    chunks: list[bytes] = []
    remaining = length
    while remaining > 0:
        chunk = stream.read(min(remaining, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def wsgi_status(status: int) -> str:
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


class CronWSGI:
    """A WSGI app serving a :class:`~cronix.sdk.Cron`; wraps ``app`` when one is given."""

    def __init__(self, app: WSGIApp | None = None, *, cron: Cron) -> None:
        self.app = app
        self.cron = cron

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        route = wsgi_route(environ)
        if not self.cron.serves(route):
            if self.app is not None:
                return self.app(environ, start_response)
            response = self.cron.error(rejection("UnknownPath", f"path {route} is not served by cronix"))
        else:
            response = self._answer(environ, route)
        headers = list(response.headers)
        if not any(k.lower() == "content-length" for k, _ in headers):
            headers.append(("Content-Length", str(len(response.body))))
        start_response(wsgi_status(response.status), headers)
        return [response.body]

    def _answer(self, environ: Environ, route: str) -> Response:
        try:
            body = read_wsgi_body(environ, self.cron.max_body_bytes)
        except BodyTooLarge:
            limit = self.cron.max_body_bytes
            return self.cron.error(rejection("BodyTooLarge", f"request body exceeds {limit} bytes"))
        request = CronRequest.build(
            environ.get("REQUEST_METHOD", "GET"), wsgi_target(environ), body, environ_headers(environ), route
        )
        return self.cron.handle(request)
