"""SDK: verified fires per second, against the cost of a bare HMAC over the same request.

``./run bench sdk`` (or ``.venv/bin/python bench/bench_sdk.py [--seconds S]``). One
trigger request — ``POST /api/v1/scheduled/reconcile-payments``, a 1 KiB JSON body, the
``X-Cron-*`` headers the trigger sends — measured at five depths:

1. bare HMAC: build ``<t>.<METHOD>.<path>.<body>``, HMAC-SHA256 it, compare (the floor);
2. ``Cron.verify_trigger``: parse and check the header, resolve the job, build the context;
3. ``Cron.handle``: verify plus dispatch to a sync no-op handler (what WSGI/Django run);
4. the ASGI adapter in-process: ``await CronASGI(scope, receive, send)``, async no-op handler;
5. the ASGI adapter behind a real uvicorn, one keep-alive HTTP connection, sequential.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cronix.sdk import Cron, CronRequest, JobContext, sign_request
from cronix.sdk.asgi import CronASGI

HERE = Path(__file__).resolve().parent
SECRET = "bench-secret-0123456789abcdef"
TARGET = "/api/v1/scheduled/reconcile-payments"
BODY = json.dumps({"batch": "x" * 1000}, separators=(",", ":")).encode()[:1024]


def make_cron() -> Cron:
    cron = Cron(app="bench", base_url="http://127.0.0.1:8000", secret=[SECRET, "older-secret-0123456"])

    @cron.job("reconcile-payments", schedule="*/15 * * * *")
    async def reconcile(ctx: JobContext) -> None:
        return None

    @cron.job("sync-noop", schedule="@hourly")
    def sync_noop(ctx: JobContext) -> None:
        return None

    return cron


def make_app() -> CronASGI:
    """The uvicorn factory for depth 5 (``--factory bench_sdk:make_app``)."""
    return CronASGI(cron=make_cron())


def headers_for(target: str) -> dict[str, str]:
    now = int(time.time())
    return {
        "X-Cron-Signature": sign_request(SECRET, "POST", target, BODY, timestamp=now).header,
        "X-Cron-Run-Id": "0190a7c4-6f2e-7c3b-9f0a-3b1d2c4e5f60",
        "X-Cron-Schedule-Name": target.rsplit("/", 1)[-1],
        "X-Cron-Fire-Time": str(now),
        "X-Cron-Fire-Time-Actual": str(now),
        "X-Cron-Attempt": "1",
        "Content-Type": "application/json",
    }


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per second of ``fn`` over about ``seconds`` (after a short warm-up)."""
    for _ in range(200):
        fn()
    calls, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(200):
            fn()
        calls += 200
    return calls / elapsed


def bare_hmac(headers: dict[str, str]) -> Callable[[], object]:
    header = headers["X-Cron-Signature"]
    ts, sig = header.split(",")
    t, given = int(ts[2:]), bytes.fromhex(sig[3:])
    key = SECRET.encode()

    def once() -> bool:
        payload = f"{t}.POST.{TARGET}.".encode() + BODY
        return hmac.compare_digest(hmac.new(key, payload, hashlib.sha256).digest(), given)

    return once


def asgi_rate(seconds: float, headers: dict[str, str]) -> float:
    app = make_app()
    scope = {
        "type": "http",
        "method": "POST",
        "path": TARGET,
        "raw_path": TARGET.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    message = {"type": "http.request", "body": BODY, "more_body": False}

    async def receive() -> dict[str, Any]:
        return message

    async def send(msg: dict[str, Any]) -> None:
        return None

    async def measure() -> float:
        for _ in range(200):
            await app(scope, receive, send)
        calls, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            for _ in range(200):
                await app(scope, receive, send)
            calls += 200
        return calls / elapsed

    return asyncio.run(measure())


def uvicorn_rate(seconds: float) -> float:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "bench_sdk:make_app",
        "--app-dir",
        str(Path(__file__).parent),
    ]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        conn = _connect(port)
        headers = headers_for(TARGET)

        def once() -> None:
            conn.request("POST", TARGET, body=BODY, headers=headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise RuntimeError(f"unexpected status {resp.status}")

        return rate(once, seconds)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _connect(port: int) -> http.client.HTTPConnection:
    deadline = time.monotonic() + 20
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.connect()
            return conn
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="SDK verified fires per second")
    parser.add_argument("--seconds", type=float, default=2.0, help="measuring time per depth (default 2)")
    args = parser.parse_args(argv)
    cron = make_cron()
    headers = headers_for(TARGET)
    request = CronRequest.build("POST", TARGET, BODY, headers)
    sync_target = "/api/v1/scheduled/sync-noop"
    sync_request = CronRequest.build("POST", sync_target, BODY, headers_for(sync_target))
    assert cron.handle(sync_request).status == 200

    results = [
        ("bare HMAC-SHA256 + compare", rate(bare_hmac(headers), args.seconds)),
        ("Cron.verify_trigger", rate(lambda: cron.verify_trigger(request), args.seconds)),
        ("Cron.handle (sync handler)", rate(lambda: cron.handle(sync_request), args.seconds)),
        ("ASGI adapter in-process (async handler)", asgi_rate(args.seconds, headers)),
        ("ASGI adapter behind uvicorn, 1 connection", uvicorn_rate(args.seconds)),
    ]
    floor = results[0][1]
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, body {len(BODY)} B, {args.seconds:g} s each"
    )
    print(f"{'depth':<44}{'per second':>12}{'µs each':>10}{'× HMAC':>9}")
    for name, per_second in results:
        print(f"{name:<44}{per_second:>12,.0f}{1e6 / per_second:>10.1f}{floor / per_second:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
