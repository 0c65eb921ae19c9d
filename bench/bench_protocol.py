"""Protocol benchmarks: validate + canonicalize a maximum-size manifest; HMAC verify overhead.

Run: ``./run bench protocol`` (or ``.venv/bin/python bench/bench_protocol.py``).

* A maximum-size manifest (256 jobs × 64 distinct schedules, ~1.8 MB) is parsed,
  validated, normalized and canonicalized from bytes. The schedule cache is cleared
  before every run so nothing is measured warm. Target: ≤ 0.5 s.
* ``verify`` (header parse + replay window + HMAC + constant-time compare) against bare
  ``hmac.new(...).digest()`` + ``hmac.compare_digest`` on the same payload. Target: ≤ 2×.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import statistics
import sys
import time
import timeit

from cronix.protocol import schedule as schedule_module
from cronix.protocol.manifest import canonical_json, parse_manifest
from cronix.protocol.schedule import parse_schedule
from cronix.protocol.signing import sign, signed_payload, verify


def max_manifest(seed: int = 7) -> bytes:
    rnd = random.Random(seed)
    jobs = []
    for i in range(256):
        schedules = [
            f"{rnd.randrange(60)} {rnd.randrange(24)}-23/{rnd.randrange(1, 5)} {rnd.randrange(1, 29)},{k % 28 + 1} "
            f"{rnd.choice(['*', 'jan-jun', '1,4,7,10'])} {rnd.choice(['*', 'mon-fri', '0,6'])}"
            for k in range(64)
        ]
        jobs.append(
            {
                "name": f"job-{i:03d}",
                "schedules": schedules,
                "timezone": rnd.choice(["UTC", "Europe/Berlin", "America/New_York"]),
                "request": {
                    "url": f"https://app-{i}.example.com/api/v1/scheduled/job-{i:03d}?a=1&b=2",
                    "headers": {"Content-Type": "application/json", "X-Team": f"team-{i % 7}"},
                    "body": json.dumps({"job": i, "note": "<payload> & more"}),
                },
                "policy": {"timeout_seconds": 120, "retries": {"max_attempts": 5}},
                "auth": {"secret_refs": ["env:CRON_SECRET"]},
            }
        )
    return json.dumps({"version": 1, "app": "bench", "jobs": jobs}).encode()


def bench_manifest(runs: int = 7) -> dict[str, float]:
    data = max_manifest()
    times = []
    for _ in range(runs):
        parse_schedule.cache_clear()
        schedule_module._parse_field.cache_clear()
        t0 = time.perf_counter()
        manifest = parse_manifest(data)
        canonical_json(manifest)
        times.append(time.perf_counter() - t0)
    assert sum(len(j.schedules) for j in manifest.jobs) == 256 * 64
    return {"bytes": len(data), "median_s": statistics.median(times), "max_s": max(times)}


def bench_verify(number: int = 20000) -> dict[str, float]:
    secret, method, path = "s3cret-value", "POST", "/api/v1/scheduled/reconcile-payments?x=1"
    body = json.dumps({"run": "0193", "attempt": 1}).encode() * 4
    ts = int(time.time())
    header = sign(secret, method, path, body, ts)
    expected = bytes.fromhex(header.split("v1=")[1])
    key = secret.encode()

    def bare() -> bool:
        mac = hmac.new(key, signed_payload(ts, method, path, body), hashlib.sha256).digest()
        return hmac.compare_digest(mac, expected)

    def ours() -> int:
        return verify([secret], method, path, body, header, now=ts)

    assert bare()
    assert ours() == 0
    # Interleave the two so load from other processes hits both alike; keep the best run.
    bare_runs, ours_runs = [], []
    for _ in range(9):
        bare_runs.append(timeit.timeit(bare, number=number))
        ours_runs.append(timeit.timeit(ours, number=number))
    bare_s, ours_s = min(bare_runs) / number, min(ours_runs) / number
    return {"bare_us": bare_s * 1e6, "verify_us": ours_s * 1e6, "ratio": ours_s / bare_s}


def main(argv: list[str]) -> int:
    m = bench_manifest()
    print(
        f"max manifest (256 jobs x 64 schedules, {m['bytes']:,} bytes): validate+canonicalize "
        f"median {m['median_s'] * 1000:.0f} ms, worst {m['max_s'] * 1000:.0f} ms (target <= 500 ms)"
    )
    v = bench_verify()
    print(
        f"HMAC verify: {v['verify_us']:.2f} us vs bare hmac+compare_digest {v['bare_us']:.2f} us "
        f"= {v['ratio']:.2f}x (target <= 2x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
