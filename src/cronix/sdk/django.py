"""Django adapter: a URL include that serves the manifest and trigger paths.

::

    # urls.py
    from cronix.sdk.django import urls as cron_urls
    urlpatterns = [path("", include(cron_urls(cron))), ...]

The view is CSRF-exempt (the HMAC signature is the authentication) and accepts every
method (the SDK checks them after the signature). It reads ``request.body`` — Django's
raw bytes — so ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MiB by default) also caps trigger
bodies; a larger body is answered ``413 BodyTooLarge``. The signed target comes from the
WSGI environ (``request.META``) or, under ASGI, from ``request.scope``
(:mod:`cronix.sdk.targets`). Django is imported only when :func:`urls` or :func:`view`
is called.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from cronix.protocol.headers import MANIFEST_PATH, TRIGGER_PATH_PREFIX
from cronix.sdk.incoming import CronRequest
from cronix.sdk.results import rejection
from cronix.sdk.targets import asgi_target, raw_request_uri, reencode, wsgi_text

if TYPE_CHECKING:
    from collections.abc import Callable

    from cronix.sdk.app import Cron
    from cronix.sdk.results import Response

__all__ = ["django_target", "urls", "view"]


def view(cron: Cron) -> Callable[..., Any]:
    """A Django view answering cronix requests; ``route`` (or ``rest``) comes from :func:`urls`."""
    from django.core.exceptions import RequestDataTooBig  # type: ignore[import-untyped]
    from django.http import HttpResponse  # type: ignore[import-untyped]
    from django.views.decorators.csrf import csrf_exempt  # type: ignore[import-untyped]

    def to_django(response: Response) -> Any:
        out = HttpResponse(response.body, status=response.status)
        if response.header("content-type") is None:
            del out["Content-Type"]  # Django adds text/html; the SDK's response has none
        for name, value in response.headers:
            out[name] = value
        return out

    def cron_view(request: Any, route: str = "", rest: str | None = None) -> Any:
        if rest is not None:
            route = TRIGGER_PATH_PREFIX + rest
        try:
            body: bytes = request.body
        except RequestDataTooBig:
            failure = rejection("BodyTooLarge", "request body exceeds DATA_UPLOAD_MAX_MEMORY_SIZE")
            return to_django(cron.error(failure))
        target = django_target(request)
        method = request.method or "GET"
        return to_django(cron.handle(CronRequest.build(method, target, body, request.headers.items(), route)))

    # The HMAC signature is the authentication; a CSRF token cannot exist for a scheduler.
    exempt: Callable[..., Any] = csrf_exempt(cron_view)
    return exempt


def django_target(request: Any) -> str:
    """The request target as sent (see :mod:`cronix.sdk.targets` for each server)."""
    scope = getattr(request, "scope", None)
    if isinstance(scope, dict):
        return asgi_target(scope)
    raw = raw_request_uri(request.META)
    if raw is not None:
        return raw
    return reencode(request.path, wsgi_text(request.META.get("QUERY_STRING", "")))


def urls(cron: Cron) -> list[Any]:
    """URL patterns for ``include()``: the manifest path and ``api/v1/scheduled/<rest>``."""
    from django.urls import re_path  # type: ignore[import-untyped]

    handler = view(cron)
    return [
        re_path(r"^" + re.escape(MANIFEST_PATH[1:]) + r"\Z", handler, {"route": MANIFEST_PATH}),
        re_path(r"^" + re.escape(TRIGGER_PATH_PREFIX[1:]) + r"(?P<rest>.*)\Z", handler),
    ]
