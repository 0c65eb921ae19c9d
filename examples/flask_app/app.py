"""A Flask app whose scheduled jobs are declared next to their handlers (cronix SDK).

Serve it:           CRON_SECRET=... .venv/bin/python examples/flask_app/app.py --port 8001
Print its manifest: .venv/bin/python examples/flask_app/app.py --port 8001 --manifest
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from flask import Flask

from cronix.sdk import Cron, JobContext
from cronix.sdk.wsgi import CronWSGI

log = logging.getLogger("blog")
# CRON_SECRET may hold several comma-separated secrets while rotating; any of them verifies.
cron = Cron(app="blog", base_url="http://127.0.0.1:8001", secret=lambda: os.environ["CRON_SECRET"].split(","))


@cron.job("publish-scheduled", schedule="*/5 * * * *", policy={"timeout_seconds": 30})
def publish_scheduled(ctx: JobContext) -> dict[str, object]:
    log.info("publish-scheduled ran: run_id=%s attempt=%d", ctx.run_id, ctx.attempt)
    return {"published": 0, "run_id": ctx.run_id}


@cron.job("purge-drafts", schedule="0 3 * * sun", timezone="America/New_York")
async def purge_drafts(ctx: JobContext) -> None:  # async handlers work under WSGI too
    log.info("purge-drafts ran: run_id=%s", ctx.run_id)


app = Flask("blog")
app.wsgi_app = CronWSGI(app.wsgi_app, cron=cron)  # type: ignore[method-assign]


@app.get("/healthz")
def healthz() -> dict[str, bool]:
    return {"ok": True}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve the blog example app (secret from CRON_SECRET).")
    parser.add_argument("--port", type=int, default=8001)
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
    app.run(host="127.0.0.1", port=args.port)  # production: gunicorn 'app:app'
