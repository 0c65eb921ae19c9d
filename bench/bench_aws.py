"""aws-scheduler benchmark: API calls and time of applies at 256 jobs, and the Lambda package.

Runs a real ``moto_server`` process; the reconciler is the real ``cronix.reconcile`` with
the real backend, and every API call its boto3 client sends is counted with botocore's
event hooks (``before-call`` per operation, ``before-send`` per HTTP request, so a
paginated ``ListSchedules`` shows as one call of several pages). Targets (issue 12):

* a no-op apply of 256 jobs writes nothing, lists once (paginated) and reads each owned
  schedule at most once;
* changing one job of 256 writes only that job's schedules.

Then the Lambda zip of ``./run package-lambda``: its size, the cold import time of the
handler from the unpacked package (best of N fresh interpreters, no ``.pyc`` — Lambda's
``/var/task`` is read-only), and a whole cold first invocation (import + one fire to a
local HTTP server).

    ./run bench aws          # or: .venv/bin/python bench/bench_aws.py [--jobs 256] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCHEDULES = 2


def manifest(jobs: int, changed: int | None = None) -> Any:
    from cronix.protocol.manifest import parse_manifest

    docs = [
        {
            "name": f"job-{j:03d}",
            "schedules": [f"{(j * 7) % 60} {s * 6} * * *" for s in range(SCHEDULES)]
            if j != changed
            else ["59 23 * * *", "0 12 * * 1-5"],
            "timezone": "Europe/Berlin" if j % 2 else "UTC",
            "request": {"url": f"https://bench.example.com/api/v1/scheduled/job-{j:03d}"},
        }
        for j in range(jobs)
    ]
    return parse_manifest(json.dumps({"version": 1, "app": "bench", "jobs": docs}))


class Counted:
    def __init__(self, client: Any) -> None:
        self.ops: Counter[str] = Counter()
        self.sends = 0
        client.meta.events.register("before-call", lambda model, **_: self.ops.update([model.name]))
        client.meta.events.register("before-send", self._send)

    def _send(self, **_: Any) -> None:
        self.sends += 1

    def writes(self) -> int:
        return sum(n for op, n in self.ops.items() if op.startswith(("Create", "Update", "Delete")))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_moto(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp)}
    moto = str(Path(sys.executable).with_name("moto_server"))
    with (tmp / "moto.log").open("wb") as log:
        proc = subprocess.Popen([moto, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, f"http://127.0.0.1:{port}"
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("moto_server did not start")


def run_apply(url: str, m: Any, concurrency: int, dry_run: bool = False) -> tuple[float, Counted, Any]:
    from cronix.backends.base import HostContext
    from cronix.backends.registry import backend_type
    from cronix.reconcile import reconcile

    kind = backend_type("aws-scheduler")
    assert kind is not None
    options = {
        "endpoint_url": url,
        "target_arn": "arn:aws:lambda:us-east-1:123456789012:function:cronix-trigger",
        "role_arn": "arn:aws:iam::123456789012:role/cronix-scheduler",
        "read_concurrency": concurrency,
    }
    backend = kind.open(options, HostContext())
    counted = Counted(backend.client)
    start = time.perf_counter()
    outcome = reconcile(m, backend, dry_run=dry_run, secret_refs=["ssm:/cronix/bench"])
    elapsed = time.perf_counter() - start
    backend.close()
    return elapsed, counted, outcome


def bench_api(jobs: int, repeat: int, tmp: Path) -> None:
    from cronix.backends.aws_api import PAGE_SIZE

    proc, url = start_moto(tmp)
    try:
        t_create, c_create, _ = run_apply(url, manifest(jobs), 8)
        print(
            f"scheduler API, {jobs} jobs × {SCHEDULES} schedules = {jobs * SCHEDULES} schedules (moto_server)"
        )
        print(f"  first apply (create all)       {t_create * 1000:8.0f} ms  calls {dict(c_create.ops)}")
        for concurrency in (1, 8):
            best, counted = None, None
            for _ in range(repeat):
                elapsed, c, outcome = run_apply(url, manifest(jobs), concurrency)
                assert outcome.result is not None and outcome.result.noop
                if best is None or elapsed < best:
                    best, counted = elapsed, c
            assert counted is not None and best is not None
            owned = jobs * SCHEDULES
            gets = counted.ops["GetSchedule"]
            pages = counted.ops["ListSchedules"]  # one paginated listing: one call per page
            ok = counted.writes() == 0 and pages == -(-owned // PAGE_SIZE) and gets <= owned
            print(
                f"  no-op apply, read_concurrency={concurrency:<2} {best * 1000:6.0f} ms  writes {counted.writes()}, "
                f"one ListSchedules of {pages} page(s) of ≤{PAGE_SIZE}, "
                f"GetSchedule {gets}/{owned} owned, GetScheduleGroup {counted.ops['GetScheduleGroup']}  "
                f"{'✔' if ok else '✘'}"
            )
        elapsed, counted, outcome = run_apply(url, manifest(jobs, changed=jobs // 2), 8)
        writes = {op: n for op, n in counted.ops.items() if op.startswith(("Create", "Update", "Delete"))}
        ok = outcome.result.updated == [f"job-{jobs // 2:03d}"] and counted.writes() == SCHEDULES
        print(
            f"  change one job of {jobs}            {elapsed * 1000:6.0f} ms  writes {writes} "
            f"(+ GetSchedule {counted.ops['GetSchedule']} = {jobs * SCHEDULES} listed + {SCHEDULES} ownership re-reads)  "
            f"{'✔' if ok else '✘'}"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class _Ok(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


IMPORT_PROBE = """
import sys, time
sys.path.insert(0, sys.argv[1])
t = time.perf_counter()
import cronix.trigger.aws_lambda
print((time.perf_counter() - t) * 1000)
"""
INVOKE_PROBE = """
import sys, time
t = time.perf_counter()
sys.path.insert(0, sys.argv[1])
from cronix.trigger.aws_lambda import handler
out = handler(sys.stdin.read(), None)
assert out["exit_code"] == 0, out
print((time.perf_counter() - t) * 1000, file=sys.stderr)
"""


def bench_package(repeat: int, tmp: Path) -> None:
    from cronix.protocol.manifest import parse_manifest
    from cronix.protocol.specfile import render_spec_file

    out = tmp / "cronix-lambda.zip"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "package_lambda.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    task = tmp / "task"
    with zipfile.ZipFile(out) as zf:
        zf.extractall(task)
        files = len(zf.namelist())
    unpacked = sum(p.stat().st_size for p in task.rglob("*") if p.is_file())
    env = {"PATH": os.environ.get("PATH", ""), "CRON_SECRET": "bench-secret", "PYTHONDONTWRITEBYTECODE": "1"}
    imports = []
    for _ in range(repeat):
        proc = subprocess.run(
            [sys.executable, "-I", "-c", IMPORT_PROBE, str(task)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        imports.append(float(proc.stdout))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    doc = {
        "version": 1,
        "app": "bench",
        "jobs": [
            {
                "name": "ping",
                "schedule": "* * * * *",
                "request": {"url": f"http://127.0.0.1:{server.server_port}/cron/ping"},
            }
        ],
    }
    event = render_spec_file(
        "bench", parse_manifest(json.dumps(doc)).jobs[0], ["env:CRON_SECRET"], indent=False
    )
    invokes = []
    for _ in range(repeat):
        proc = subprocess.run(
            [sys.executable, "-I", "-c", INVOKE_PROBE, str(task)],
            input=event,
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        invokes.append(float(proc.stderr.strip().splitlines()[-1]))
    server.shutdown()
    bare = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-I", "-c", "pass"], check=True, env=env)
        bare.append((time.perf_counter() - start) * 1000)
    print(
        f"Lambda package {out.name}: {out.stat().st_size} bytes zipped ({out.stat().st_size / 1024:.0f} KiB), {unpacked / 1024:.0f} KiB unpacked, {files} files"
    )
    print(
        f"  cold import of cronix.trigger.aws_lambda (no .pyc), best of {repeat}: {min(imports):.1f} ms (median {sorted(imports)[len(imports) // 2]:.1f})"
    )
    print(
        f"  cold first invocation (import + one fire, local HTTP), best of {repeat}: {min(invokes):.1f} ms (median {sorted(invokes)[len(invokes) // 2]:.1f})"
    )
    print(f"  for scale: a bare `python -I -c pass` process, best of {repeat}: {min(bare):.1f} ms")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1"}
    )
    with tempfile.TemporaryDirectory(prefix="cronix-bench-aws-") as tmp:
        os.environ["AWS_CONFIG_FILE"] = os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(Path(tmp) / "none")
        bench_api(args.jobs, args.repeat, Path(tmp))
        bench_package(args.repeat, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
