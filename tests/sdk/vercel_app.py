"""Apps that accept Vercel Cron's own calls, for the real-server tests.

``build_vercel_cron(base)`` is the ``Cron`` every adapter test app mounts under ``/vercel``
(its bearer from ``$SDK_TEST_VERCEL_SECRET``). ``build_shop`` / ``make_shop_app`` are the
end-to-end app: jobs whose ``vercel.json`` the real ``cronix apply --backend vercel``
writes, served at the root by uvicorn, reading Vercel's own ``CRON_SECRET`` through
``env_secret()`` exactly as a deployed app would. Handlers record through
:func:`tests.sdk.apps.record`.
"""

from __future__ import annotations

import os
from typing import Any

from cronix.sdk import Cron, JobContext, RedisClaimStore, env_secret

ENV_VERCEL = "SDK_TEST_VERCEL_SECRET"
ENV_SHOP_BASE = "SHOP_BASE_URL"
ENV_SHOP_REDIS = "SHOP_REDIS_URL"


def _record(ctx: JobContext) -> None:
    from tests.sdk.apps import record

    record(
        job=ctx.name,
        app=ctx.app,
        auth=ctx.auth,
        fire_id=ctx.fire_id,
        method=ctx.method,
        path=ctx.path,
        secret_index=ctx.secret_index,
        fire_time=ctx.fire_time.isoformat() if ctx.fire_time else None,
    )


def build_vercel_cron(base: str) -> Cron:
    cron = Cron(app="sdk-vercel", base_url=base + "/vercel", vercel_cron_secret=os.environ[ENV_VERCEL])
    for name in ("vercel-once", "vercel-dup", "vercel-sync"):
        cron.register(name, _record, schedule="*/5 * * * *")

    @cron.job("vercel-async", schedule="0 * * * *")
    async def vercel_async(ctx: JobContext) -> dict[str, str]:
        _record(ctx)
        return {"ran": ctx.fire_id}

    return cron


def build_shop(base: str) -> Cron:
    redis_url = os.environ.get(ENV_SHOP_REDIS)
    # Replicas share their claims through Redis, as serverless instances of one deployment must.
    claims = RedisClaimStore(url=redis_url) if redis_url else None
    cron = Cron(app="shop", base_url=base, vercel_cron_secret=env_secret(), claims=claims)
    cron.register("sync-stock", _record, schedule="*/15 * * * *")
    cron.register("weekly-digest", _record, schedules=["0 7 * * 1", "0 9 1 * *"])

    @cron.job("cleanup", schedule="30 3 * * *", policy={"concurrency": "Forbid"})
    async def cleanup(ctx: JobContext) -> None:
        _record(ctx)

    return cron


def make_shop_app() -> Any:
    """The shop app as a plain ASGI app (``uvicorn --factory tests.sdk.vercel_app:make_shop_app``)."""
    from cronix.sdk.asgi import CronASGI

    return CronASGI(cron=build_shop(os.environ[ENV_SHOP_BASE]))
