"""The app the managed-jwt end-to-end tests serve (uvicorn: ASGI, gunicorn: WSGI), configured by env.

It verifies fire tokens from the reference service's JWKS (``MANAGED_URL``), claims every
occurrence in Redis (``REDIS_URL``; ``CLAIM_HEARTBEAT`` seconds of lease), optionally
re-arms through the service (``MANAGED_TOKEN`` set), and also accepts HMAC fires
(``APP_SECRET``, so ``cronix apply`` can fetch its signed manifest). Handlers count in
Redis, so "ran exactly once" is checked across processes and restarts:
``started:<fire_id>`` on entry, ``done:<fire_id>`` on success, ``late_ms:<fire_id>`` how
late the delivery arrived. ``JOBS`` jobs ``j0``… (``@daily``) plus ``ping``
(``*/5 * * * *``) and ``slow`` (sleeps ``SLOW_SECONDS``) are registered.
"""

from __future__ import annotations

import os
import time
from typing import Any

import redis

from cronix.protocol.fireid import parse_fire_id
from cronix.sdk import Cron, FireJWT, JobContext, ManagedScheduler, RedisClaimStore


def _count(ctx: JobContext) -> None:
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    started = time.time()
    client.incr(f"started:{ctx.fire_id}")
    if ctx.fire_id:
        late = started - parse_fire_id(ctx.fire_id).scheduled
        client.set(f"late_ms:{ctx.fire_id}", int(late * 1000))
    if ctx.name == "slow":
        time.sleep(float(os.environ.get("SLOW_SECONDS", "3")))
    client.incr(f"done:{ctx.fire_id}")
    client.rpush(f"fires:{ctx.app}", f"{ctx.fire_id}|{ctx.auth}|{ctx.run_id}|{ctx.attempt}|{os.getpid()}")


def build() -> Cron:
    service = os.environ["MANAGED_URL"]
    store = RedisClaimStore(
        url=os.environ["REDIS_URL"],
        prefix=os.environ.get("CLAIM_PREFIX", "claims:"),
        heartbeat_seconds=float(os.environ.get("CLAIM_HEARTBEAT", "30")),
    )
    token = os.environ.get("MANAGED_TOKEN")
    cron = Cron(
        app=os.environ.get("APP_ID", "shop"),
        base_url=os.environ["APP_BASE_URL"],
        secret=os.environ.get("APP_SECRET"),
        fire_jwt=FireJWT(issuer=service, jwks_url=f"{service}/.well-known/jwks.json"),
        fire_mode=os.environ.get("FIRE_MODE", "async"),  # type: ignore[arg-type]
        claims=store,
        scheduler=ManagedScheduler(service, token=token) if token else None,
    )
    for i in range(int(os.environ.get("JOBS", "0"))):
        cron.register(f"j{i}", _count, schedule="@daily")
    cron.register("ping", _count, schedule="*/5 * * * *", body='{"hello":"world"}')
    cron.register(
        "slow",
        _count,
        schedule="@hourly",
        policy={"timeout_seconds": 30, "retries": {"max_attempts": 10, "min_seconds": 1, "max_seconds": 2}},
    )
    return cron


def make_asgi() -> Any:
    from cronix.sdk.asgi import CronASGI

    return CronASGI(cron=build())


def make_wsgi() -> Any:
    from cronix.sdk.wsgi import CronWSGI

    return CronWSGI(cron=build())
