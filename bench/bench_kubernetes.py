"""kubernetes backend benchmark: API calls (and time) of applying 256 jobs, counted at the HTTP level.

A real kmock process (``tests/support/kmock_server.py``) serves the Kubernetes API; the
counts come from kmock's own request log, not from the backend. Each apply is the real
``cronix.reconcile.reconcile`` through the registry-opened backend, as ``cronix apply``
runs it:

1. create 256 jobs (one schedule each: a CronJob and a ConfigMap per job);
2. a no-op apply of the same 256 — must make zero writes and exactly one list per kind;
3. an apply where one job of the 256 changed — must write only that job's two objects.

kmock ignores ``limit``, so each list is one page here; on a real API server a list of
more than ``page_size`` (500) objects takes more pages of the same one list. Besides the
lists, every apply asks ``check()``'s access reviews (14 SelfSubjectAccessReviews:
POSTs to a review endpoint that stores nothing; counted apart from writes).

    ./run bench kubernetes        # or: .venv/bin/python bench/bench_kubernetes.py [--jobs N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support (the kmock process)

from tests.support.kmock_server import KmockServer, kmock_server

from cronix.backends.base import HostContext
from cronix.backends.registry import require_type
from cronix.protocol.manifest import Manifest, load_manifest_object
from cronix.reconcile import reconcile

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def manifest(jobs: int, changed: int | None = None) -> Manifest:
    doc = {
        "version": 1,
        "app": "bench",
        "jobs": [
            {
                "name": f"job-{j:03d}",
                "schedule": f"{(j * 7 + (1 if j == changed else 0)) % 60} * * * *",
                "request": {"url": f"https://bench.example.com/api/v1/scheduled/job-{j:03d}"},
            }
            for j in range(jobs)
        ],
    }
    return load_manifest_object(doc)


def apply(server: KmockServer, m: Manifest) -> tuple[float, list[dict[str, object]]]:
    kind = require_type("kubernetes")
    options = {"kubeconfig": str(server.kubeconfig), "namespace": "bench", "image": "cronix:bench"}
    before = len(server.requests())
    start = time.perf_counter()
    backend = kind.open(options, HostContext())
    try:
        reconcile(m, backend)
    finally:
        backend.close()
    elapsed = time.perf_counter() - start
    return elapsed, server.requests()[before:]


def summary(calls: list[dict[str, object]]) -> tuple[Counter[str], Counter[tuple[object, ...]], int]:
    lists = Counter(str(c["resource"]) for c in calls if c["action"] == "LIST")
    writes = Counter(
        (c["method"], c["resource"], c["name"])
        for c in calls
        if c["method"] in WRITE_METHODS and c["resource"] != "selfsubjectaccessreviews"
    )
    reviews = sum(1 for c in calls if c["resource"] == "selfsubjectaccessreviews")
    return lists, writes, reviews


def main(argv: list[str]) -> int:
    jobs = int(argv[argv.index("--jobs") + 1]) if "--jobs" in argv else 256
    status = 0
    with tempfile.TemporaryDirectory() as tmp, kmock_server(Path(tmp)) as server:
        print(f"{'apply':<28} {'s':>7} {'requests':>9} {'lists/kind':>18} {'writes':>7} {'reviews':>8}")
        rows = [
            ("create", manifest(jobs)),
            ("no-op", manifest(jobs)),
            ("one job changed", manifest(jobs, changed=jobs // 2)),
        ]
        results = {}
        for label, m in rows:
            elapsed, calls = apply(server, m)
            lists, writes, reviews = summary(calls)
            results[label] = (lists, writes)
            per_kind = ",".join(f"{k}={v}" for k, v in sorted(lists.items()))
            print(
                f"{label + f' ({jobs} jobs)':<28} {elapsed:>7.2f} {len(calls):>9} {per_kind:>18} "
                f"{sum(writes.values()):>7} {reviews:>8}"
            )
        lists, writes = results["no-op"]
        if writes or lists != {"cronjobs": 1, "configmaps": 1}:
            print(f"FAIL: a no-op apply must write nothing and list each kind once: {lists} {writes}")
            status = 1
        lists, writes = results["one job changed"]
        name = f"cronix-bench-job-{jobs // 2:03d}-0"
        want = {("PATCH", "cronjobs", name): 1, ("PATCH", "configmaps", f"{name}-spec"): 1}
        if writes != want or lists != {"cronjobs": 1, "configmaps": 1}:
            print(f"FAIL: changing one job must patch only its objects: {dict(writes)}")
            status = 1
        else:
            print(
                f"one job changed: wrote only {sorted(n for _, _, n in writes)} (2 PATCHes, no DELETE/POST)"
            )
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
