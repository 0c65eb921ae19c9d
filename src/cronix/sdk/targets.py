"""Recover the request target (path-and-query as sent) from what each server hands the app.

The trigger signs the URL's path-and-query exactly as it sends it, so the SDK must check
the signature against the same bytes, not against a decoded or re-encoded path
(``spec/DECISIONS.md`` D-302). What servers give, measured with the servers in the test
suite:

======================  ==============================================================
ASGI (uvicorn, Starlette ``Mount``)  ``raw_path`` is the undecoded path *without* the query
                        (uvicorn prepends its ``--root-path``; Starlette's ``Mount``
                        leaves it untouched) and ``query_string`` the undecoded query.
                        Target = ``raw_path`` + ``?`` + ``query_string`` when the query
                        is non-empty.
WSGI gunicorn           ``RAW_URI``: the request target verbatim.
WSGI werkzeug (Flask    ``REQUEST_URI`` and ``RAW_URI``: verbatim.
dev server), uWSGI,
mod_wsgi
WSGI ``wsgiref``        neither: ``SCRIPT_NAME`` + ``PATH_INFO`` are percent-*decoded*,
                        ``QUERY_STRING`` is raw. The path is re-encoded, which is exact
                        for every path made of unreserved characters and ``/`` (all
                        cronix trigger paths are) but cannot restore, say, ``%2F``.
Django                  under ASGI: ``request.scope`` (as ASGI). Under WSGI:
                        ``RAW_URI``/``REQUEST_URI`` from ``request.META`` when the
                        server sets them, else ``request.path`` (Django rewrites
                        ``META["PATH_INFO"]`` as real Unicode, so it is not PEP 3333
                        text any more) re-encoded, plus ``QUERY_STRING``.
======================  ==============================================================

Known limit: a target with an empty query (``/x?``) arrives from ASGI servers and
``wsgiref`` as ``/x``, so it cannot verify there; cronix never generates such URLs.
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "asgi_route",
    "asgi_target",
    "raw_request_uri",
    "reencode",
    "wsgi_route",
    "wsgi_target",
    "wsgi_text",
]

# RFC 3986 pchar minus the percent sign itself, plus "/": what a path may hold unescaped.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def wsgi_text(value: str) -> str:
    """PEP 3333 strings are bytes decoded as latin-1; recover the real text."""
    try:
        return value.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a server that already decoded as UTF-8
        return value


def _origin_form(target: str) -> str:
    """``/path?q`` from an absolute-form target (``http://host/path?q``); other forms as given."""
    scheme, sep, rest = target.partition("://")
    if not sep or "/" in scheme or "?" in scheme:
        return target
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=-1)
    if cut < 0:
        return "/"
    tail = rest[cut:]
    return tail if tail.startswith("/") else "/" + tail


def asgi_target(scope: Mapping[str, Any]) -> str:
    raw = scope.get("raw_path")
    if isinstance(raw, bytes) and raw:
        path = _decode(raw)
        if "?" in path:  # a server that put the whole target in raw_path
            return path
    else:
        path = urllib.parse.quote(scope.get("path", "") or "/", safe=_PATH_SAFE)
    query = scope.get("query_string") or b""
    return f"{path}?{_decode(query)}" if query else path


def asgi_route(scope: Mapping[str, Any]) -> str:
    """The decoded path relative to the mount point (Starlette's ``get_route_path`` rule)."""
    path: str = scope.get("path", "") or "/"
    root: str = scope.get("root_path", "") or ""
    if root and path.startswith(root) and (len(path) == len(root) or path[len(root)] == "/"):
        return path[len(root) :] or "/"
    return path


def raw_request_uri(environ: Mapping[str, Any]) -> str | None:
    """The verbatim target from ``RAW_URI``/``REQUEST_URI``, when the server provides one."""
    for key in ("RAW_URI", "REQUEST_URI"):
        value = environ.get(key)
        if isinstance(value, str) and value:
            return _origin_form(wsgi_text(value))
    return None


def reencode(path: str, query: str) -> str:
    """A target from a decoded path and a raw query (for servers that keep no raw URI)."""
    target = urllib.parse.quote(path or "/", safe=_PATH_SAFE)
    return f"{target}?{query}" if query else target


def wsgi_target(environ: Mapping[str, Any]) -> str:
    raw = raw_request_uri(environ)
    if raw is not None:
        return raw
    path = wsgi_text(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
    return reencode(path, wsgi_text(environ.get("QUERY_STRING", "")))


def wsgi_route(environ: Mapping[str, Any]) -> str:
    """``PATH_INFO``: the decoded path below ``SCRIPT_NAME`` (the mount point)."""
    return wsgi_text(environ.get("PATH_INFO", "")) or "/"
