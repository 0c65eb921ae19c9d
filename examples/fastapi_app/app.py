"""A FastAPI app whose scheduled jobs are declared next to their handlers (cronix SDK).

Serve it:           CRON_SECRET=... .venv/bin/python examples/fastapi_app/app.py --port 8000
Print its manifest: .venv/bin/python examples/fastapi_app/app.py --port 8000 --manifest
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

import uvicorn
from fastapi import FastAPI

from cronix.sdk import Cron, JobContext
from cronix.sdk.asgi import CronASGI

log = logging.getLogger("shop")
# CRON_SECRET may hold several comma-separated secrets while rotating; any of them verifies.
cron = Cron(app="shop", base_url="http://127.0.0.1:8000", secret=lambda: os.environ["CRON_SECRET"].split(","))


@cron.job(
    "reconcile-payments",
    schedule="*/15 * * * *",
    timezone="Europe/Berlin",
    policy={"timeout_seconds": 120, "retries": {"max_attempts": 5}},
)
async def reconcile_payments(ctx: JobContext) -> dict[str, object]:
    log.info("reconcile-payments ran: run_id=%s attempt=%d", ctx.run_id, ctx.attempt)
    return {"reconciled": 0, "run_id": ctx.run_id}


@cron.job("nightly-report", schedule="0 2 * * *")
def nightly_report(ctx: JobContext) -> None:  # sync handlers run in a worker thread
    log.info("nightly-report ran: run_id=%s", ctx.run_id)


app = FastAPI(title="shop")
app.add_middleware(CronASGI, cron=cron)  # answers the manifest and /api/v1/scheduled/*


@app.get("/healthz")
def healthz() -> dict[str, bool]:
    return {"ok": True}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve the shop example app (secret from CRON_SECRET).")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--base-url", help="URL the scheduler calls (default http://127.0.0.1:PORT)")
    parser.add_argument("--manifest", action="store_true", help="print the canonical manifest and exit")
    args = parser.parse_args()
    cron.base_url = args.base_url or f"http://127.0.0.1:{args.port}"
    if args.manifest:
        print(cron.manifest_json().decode())
        sys.exit(0)
    if not os.environ.get("CRON_SECRET"):
        sys.exit("app.py: CRON_SECRET is not set; export the secret cronix signs with and rerun")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="info")
