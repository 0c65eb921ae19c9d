"""A minimal Django project for the adapter tests: this module is its settings' ROOT_URLCONF.

The main Cron is included at the root and the ``skip_verify`` one under ``open/``, with
Django's CSRF and common middleware on, as a real project has them.
"""

from __future__ import annotations

import os
from typing import Any

import django
from django.conf import settings


def configure() -> None:
    if settings.configured:
        return
    settings.configure(
        DEBUG=False,
        SECRET_KEY="tests-only-not-secret",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF="tests.sdk.django_app",
        INSTALLED_APPS=[],
        MIDDLEWARE=[
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
        ],
        USE_TZ=True,
    )
    django.setup()


def make_wsgi_app() -> Any:
    configure()
    from django.core.handlers.wsgi import WSGIHandler

    return WSGIHandler()


def __getattr__(name: str) -> Any:
    # Built on first use by Django's URL resolver, after settings and the environment are ready.
    if name == "urlpatterns":
        from django.http import JsonResponse
        from django.urls import include, path

        from cronix.sdk.django import urls
        from tests.sdk.apps import build_crons
        from tests.sdk.vercel_app import build_vercel_cron

        main, opened = build_crons()
        vercel = build_vercel_cron(os.environ["SDK_TEST_BASE_URL"])
        patterns = [
            path("hello", lambda request: JsonResponse({"hello": "django"})),
            path("open/", include(urls(opened))),
            path("vercel/", include(urls(vercel))),
            path("", include(urls(main))),
        ]
        globals()["urlpatterns"] = patterns
        return patterns
    raise AttributeError(name)
