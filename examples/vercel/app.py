"""The shop app of ``examples/vercel/manifest.json``, accepting Vercel Cron's own calls.

Deployed on Vercel, ``app`` is the ASGI app that answers ``/api/v1/scheduled/*``; Vercel
calls each ``vercel.json`` ``crons`` path with ``Authorization: Bearer $CRON_SECRET``.

Try it without Vercel — replay a ``vercel.json`` that ``cronix apply --backend vercel``
wrote, each entry twice (Vercel may deliver a call twice), exactly as Vercel sends it:

    CRON_SECRET=... .venv/bin/python examples/vercel/app.py /tmp/vercel.json
"""

from __future__ import annotations

import json
import os
import sys

from cronix.sdk import Cron, CronRequest, JobContext, RedisClaimStore, env_secret
from cronix.sdk.asgi import CronASGI

# Several instances of one deployment share claims through Redis; one process needs none.
claims = RedisClaimStore(url=os.environ["REDIS_URL"]) if os.environ.get("REDIS_URL") else None
cron = Cron(
    app="shop",
    base_url="https://shop.example.com",
    vercel_cron_secret=env_secret("CRON_SECRET"),  # read per call; never logged
    claims=claims,
)


@cron.job("sync-stock", schedule="*/15 * * * *", method="GET")
def sync_stock(ctx: JobContext) -> dict[str, str]:
    return {"synced": ctx.fire_id}


@cron.job("weekly-digest", schedules=["0 7 * * mon", "0 9 1 * *"], method="GET")
async def weekly_digest(ctx: JobContext) -> dict[str, str]:
    return {"sent": ctx.fire_id}


app = CronASGI(cron=cron)  # or app.add_middleware(CronASGI, cron=cron) in a FastAPI app


def replay(vercel_json: str) -> int:
    """Send every cronix entry of ``vercel_json`` twice, as Vercel Cron does; print the answers."""
    with open(vercel_json, encoding="utf-8") as handle:
        crons = json.load(handle).get("crons", [])
    headers = {"Authorization": f"Bearer {os.environ['CRON_SECRET']}"}
    failed = 0
    for entry in crons:
        path = entry["path"]
        if "?cronix=shop." not in path:
            continue  # another app's or a hand-written entry
        for _ in range(2):
            response = cron.handle(CronRequest.build("GET", path, b"", headers))
            print(f"GET {path} -> {response.status} {response.body.decode()}")
            failed += response.status != 200
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: CRON_SECRET=... app.py VERCEL_JSON")
    sys.exit(replay(sys.argv[1]))
