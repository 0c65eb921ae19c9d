"""A real SDK app for ``cronix run`` tests: ``python -m tests.operations.run_app PORT RECORD CLAIMS``.

Served by the standard library's threaded ``wsgiref`` server through :class:`CronWSGI`;
claims in a :class:`FileClaimStore` (so an occurrence runs once however often it is fired);
every handler call appends ``{"job", "fire_id", "run_id", "attempt"}`` to RECORD. The
secret comes from ``$CRON_SECRET`` only, never argv.
"""

from __future__ import annotations

import json
import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cronix.sdk import Cron, FileClaimStore, JobContext
from cronix.sdk.wsgi import CronWSGI


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main(argv: list[str]) -> int:
    port, record, claims = int(argv[0]), argv[1], argv[2]
    cron = Cron(
        app="billing",
        base_url=f"http://127.0.0.1:{port}",
        secret=lambda: os.environ["CRON_SECRET"],
        claims=FileClaimStore(claims),
    )

    @cron.job("report", schedule="0 * * * *", policy={"timeout_seconds": 10})
    def report(ctx: JobContext) -> dict[str, str]:
        entry = {"job": "report", "fire_id": ctx.fire_id, "run_id": ctx.run_id, "attempt": ctx.attempt}
        with open(record, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")
        return {"ok": "yes"}

    server = make_server("127.0.0.1", port, CronWSGI(cron=cron), _Server, _Quiet)
    print(f"serving on 127.0.0.1:{port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
