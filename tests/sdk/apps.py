"""The apps the adapter tests serve with real servers: one set of jobs, every adapter.

Each app serves three :class:`Cron` instances: ``main`` at the root (secrets NEW and OLD
from the environment, an in-memory idempotency store, hooks that record and then raise),
``open`` mounted under ``/open`` with ``skip_verify=True``, and one that accepts Vercel
Cron's calls under ``/vercel`` (:mod:`tests.sdk.vercel_app`). Handlers and hooks
append one JSON line per call to ``$SDK_TEST_RECORD`` so a test can see, across process
boundaries, exactly what ran. Secrets come from the environment, never from argv.

Factories (every server imports these by name):
``make_fastapi_app`` (middleware + ``Mount``), ``make_routes_app`` (Starlette routes
helper), ``make_flask_app`` (WSGI middleware + werkzeug dispatcher mount), and the Django
project in :mod:`tests.sdk.django_app`.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from cronix.sdk import Cron, FireJWT, Hooks, JobContext, MemoryIdempotencyStore, Response
from tests.sdk.tokens import ISSUER, jwks
from tests.sdk.vercel_app import build_vercel_cron

ENV_NEW = "SDK_TEST_SECRET_NEW"
ENV_OLD = "SDK_TEST_SECRET_OLD"
ENV_RECORD = "SDK_TEST_RECORD"
ENV_BASE = "SDK_TEST_BASE_URL"


def record(**fields: Any) -> None:
    line = (json.dumps(fields, sort_keys=True) + "\n").encode()
    fd = os.open(os.environ[ENV_RECORD], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def _ran(ctx: JobContext, kind: str, **extra: Any) -> None:
    record(
        job=ctx.name,
        app=ctx.app,
        kind=kind,
        run_id=ctx.run_id,
        attempt=ctx.attempt,
        auth=ctx.auth,
        fire_id=ctx.fire_id,
        secret_index=ctx.secret_index,
        unverified=ctx.unverified,
        method=ctx.method,
        path=ctx.path,
        body_len=len(ctx.body),
        body_sha256=hashlib.sha256(ctx.body).hexdigest(),
        fire_time=ctx.fire_time.isoformat() if ctx.fire_time else None,
        **extra,
    )


def _raising_hook(name: str) -> Any:
    def hook(*args: Any) -> None:
        first = args[0]
        run_id = getattr(first, "run_id", None)
        if run_id is None and len(args) > 1:  # on_verify_failure(rejection, request)
            run_id = args[1].header("x-cron-run-id")
            record(hook=name, run_id=run_id, code=first.code)
        else:
            if run_id is None:  # on_manifest_request(request)
                run_id = first.header("x-cron-run-id")
            record(hook=name, run_id=run_id)
        raise RuntimeError(f"{name} fails on purpose")

    return hook


def build_crons() -> tuple[Cron, Cron]:
    base = os.environ[ENV_BASE]
    secrets = [os.environ[ENV_NEW], os.environ[ENV_OLD]]
    hooks = Hooks(
        on_verify_failure=_raising_hook("on_verify_failure"),
        on_manifest_request=_raising_hook("on_manifest_request"),
        on_trigger_start=_raising_hook("on_trigger_start"),
        on_trigger_success=_raising_hook("on_trigger_success"),
        on_trigger_error=_raising_hook("on_trigger_error"),
    )
    # HMAC (cronix trigger) and fire tokens (a managed scheduler) on the same routes.
    main = Cron(
        app="sdk-test",
        base_url=base,
        secret=secrets,
        hooks=hooks,
        idempotency=MemoryIdempotencyStore(),
        fire_jwt=FireJWT(issuer=ISSUER, public_keys=jwks()),
    )

    @main.job("sync-job", schedule="*/5 * * * *")
    def sync_job(ctx: JobContext) -> None:
        _ran(ctx, "sync")

    @main.job("async-job", schedule="@hourly", timezone="Europe/Berlin")
    async def async_job(ctx: JobContext) -> dict[str, Any]:
        _ran(ctx, "async")
        return {"ran": ctx.name, "attempt": ctx.attempt}

    @main.job("boom-once", schedule="@daily", policy={"retries": {"max_attempts": 3, "min_seconds": 0}})
    def boom_once(ctx: JobContext) -> str:
        _ran(ctx, "sync", raised=ctx.attempt == 1)
        if ctx.attempt == 1:
            raise RuntimeError("first attempt fails on purpose (secret detail: do-not-leak)")
        return "recovered"

    @main.job("status-job", schedule="@daily")
    def status_job(ctx: JobContext) -> Response:
        _ran(ctx, "sync")
        return Response(202, b"queued", (("content-type", "text/plain"), ("x-app", "sdk-test")))

    @main.job("public-job", schedule="@daily", skip_verify=True)
    def public_job(ctx: JobContext) -> None:
        _ran(ctx, "sync")

    main.register("no-handler", schedule="@weekly")

    opened = Cron(app="sdk-open", base_url=base + "/open", secret=secrets, skip_verify=True)

    @opened.job("open-job", schedule="@daily")
    async def open_job(ctx: JobContext) -> None:
        _ran(ctx, "async")

    @opened.job("strict-job", schedule="@daily", skip_verify=False)
    def strict_job(ctx: JobContext) -> None:
        _ran(ctx, "sync")

    return main, opened


def make_fastapi_app() -> Any:
    """FastAPI: the main Cron as middleware, the open one under ``app.mount('/open', ...)``."""
    from fastapi import FastAPI

    from cronix.sdk.asgi import CronASGI

    main, opened = build_crons()
    vercel = build_vercel_cron(os.environ[ENV_BASE])
    app = FastAPI()

    @app.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "fastapi"}

    app.mount("/open", CronASGI(cron=opened))
    app.mount("/vercel", CronASGI(cron=vercel))
    app.add_middleware(CronASGI, cron=main)
    return app


def make_routes_app() -> Any:
    """Plain Starlette: the main Cron through ``cronix.sdk.asgi.routes``."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Mount, Route

    from cronix.sdk.asgi import CronASGI, routes

    main, opened = build_crons()
    vercel = CronASGI(cron=build_vercel_cron(os.environ[ENV_BASE]))

    async def hello(request: Any) -> JSONResponse:
        return JSONResponse({"hello": "starlette"})

    return Starlette(
        routes=[
            Route("/hello", hello),
            Mount("/open", CronASGI(cron=opened)),
            Mount("/vercel", vercel),
            *routes(main),
        ]
    )


def make_flask_app() -> Any:
    """Flask: the main Cron wraps ``wsgi_app``; werkzeug's dispatcher mounts the open one at /open."""
    from flask import Flask
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from cronix.sdk.wsgi import CronWSGI

    main, opened = build_crons()
    app = Flask("sdk-test")

    @app.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "flask"}

    app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        CronWSGI(app.wsgi_app, cron=main),
        {"/open": CronWSGI(cron=opened), "/vercel": CronWSGI(cron=build_vercel_cron(os.environ[ENV_BASE]))},
    )
    return app
