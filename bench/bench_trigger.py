"""Wall time of one successful ``cronix trigger`` fire, against two baselines.

A local HTTP server (stdlib, loopback) answers 200. Three commands are each run N times
as fresh processes, hyperfine-style (warm-up runs first, then median and p90):

* ``cronix trigger billing.ping`` — the real fire: spec file, secret, UUIDv7, flock,
  signed POST, state file, run log;
* a minimal Python script doing one HMAC-signed ``urllib`` POST to the same URL, with
  the same interpreter — the floor any Python shim pays (target: ≤ 1.5× this);
* ``curl`` with a precomputed signature — the floor of any process at all.

and the real fire with metrics on (D-701): ``--metrics-dir`` (the node_exporter textfile,
written at the start and end of the fire), and a cronix.yaml that adds a Pushgateway push
(two PUTs to the same loopback server, which answers them as a Pushgateway does: 200) —
compared with the same fire reading a cronix.yaml without metrics, since loading any
cronix.yaml has a cost of its own (PyYAML, the config dataclasses).

The commands run round-robin so that other load on the machine hits all of them alike;
the minimum is the least noisy statistic on a shared machine.

Usage: ``./run bench trigger`` or ``python bench/bench_trigger.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cronix.protocol.manifest import parse_manifest
from cronix.protocol.specfile import render_spec_file

SECRET = "bench-secret"
BODY = '{"hello":"world"}'

BASELINE = """
import hashlib, hmac, os, sys, time, urllib.request
url, path, body = sys.argv[1], sys.argv[2], sys.argv[3].encode()
t = int(time.time())
mac = hmac.new(os.environ["CRON_SECRET"].encode(), f"{t}.POST.{path}.".encode() + body, hashlib.sha256)
sig = {"X-Cron-Signature": f"t={t},v1={mac.hexdigest()}"}
req = urllib.request.Request(url, data=body, method="POST", headers=sig)
with urllib.request.urlopen(req, timeout=10) as resp:
    sys.exit(0 if 200 <= resp.status < 300 else 1)
"""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_PUT = do_POST  # noqa: N815 - the Pushgateway's verb for a push

    def log_message(self, *args: object) -> None:
        pass


def _time(
    commands: dict[str, list[str]], env: dict[str, str], runs: int, warmup: int = 3
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU (user+sys) ms per run; round-robin, so other load hits every command alike."""
    wall: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(warmup + runs):
        for name, argv in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            proc = subprocess.run(
                argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
            )
            elapsed = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if proc.returncode != 0:
                raise SystemExit(f"{name} failed ({proc.returncode}): {proc.stderr.decode()[:500]}")
            if i >= warmup:
                wall[name].append(elapsed * 1000)
                used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                cpu[name].append(used * 1000)
    return wall, cpu


def _p90(samples: list[float]) -> float:
    return sorted(samples)[max(0, int(len(samples) * 0.9) - 1)]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench_trigger")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    path = "/api/v1/scheduled/ping"
    url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    with tempfile.TemporaryDirectory(prefix="cronix-bench-") as tmp:
        root = Path(tmp)
        manifest = parse_manifest(
            json.dumps(
                {
                    "version": 1,
                    "app": "billing",
                    "jobs": [{"name": "ping", "schedule": "@hourly", "request": {"url": url, "body": BODY}}],
                }
            )
        )
        (root / "jobs").mkdir()
        (root / "jobs" / "billing.ping.json").write_text(
            render_spec_file("billing", manifest.jobs[0], ["env:CRON_SECRET"])
        )
        push = {"textfile_dir": f"{tmp}/textfile2", "pushgateway_url": url.rsplit(path, 1)[0]}
        (root / "push.yaml").write_text(json.dumps({"trigger": {"metrics": push}}))  # JSON is YAML
        (root / "plain.yaml").write_text(json.dumps({"trigger": {"otel": False}}))
        # An installed cronix has its bytecode compiled (pip does it); a dev shell may set
        # PYTHONDONTWRITEBYTECODE, which would charge every run for compiling the sources.
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("CRONIX_", "OTEL_", "PYTHONDONTWRITE"))
        }
        env.update(CRON_SECRET=SECRET, HOME=tmp)
        cronix = str(Path(sys.executable).with_name("cronix"))
        dirs = ["--spec-dir", f"{tmp}/jobs", "--lock-dir", f"{tmp}/locks"]
        dirs += ["--run-log", f"{tmp}/runs.jsonl", "--state-dir", f"{tmp}/state"]
        commands = {
            "cronix trigger": [cronix, "trigger", "billing.ping", *dirs],
            "cronix trigger, metrics textfile": [cronix, "trigger", "billing.ping", *dirs, "--metrics-dir",
                                                 f"{tmp}/textfile"],
            "cronix trigger --config, no metrics": [cronix, "trigger", "billing.ping", *dirs, "--config",
                                                    f"{tmp}/plain.yaml"],
            "cronix trigger --config, textfile + push": [cronix, "trigger", "billing.ping", *dirs, "--config",
                                                f"{tmp}/push.yaml"],
            "python urllib (signed POST)": [sys.executable, "-c", BASELINE, url, path, BODY],
        }  # fmt: skip
        curl = shutil.which("curl")
        if curl:
            t = int(time.time()) + 3600  # precomputed: curl cannot sign; the server does not verify
            mac = hmac.new(SECRET.encode(), f"{t}.POST.{path}.{BODY}".encode(), hashlib.sha256).hexdigest()
            commands["curl"] = [curl, "-sf", "-o", "/dev/null", "-X", "POST", "-H",
                                f"X-Cron-Signature: t={t},v1={mac}", "--data-binary", BODY, url]  # fmt: skip
        results, cpu = _time(commands, env, args.runs)
    server.shutdown()

    baseline = "python urllib (signed POST)"
    base = statistics.median(results[baseline])
    base_min = min(results[baseline])
    base_cpu = statistics.median(cpu[baseline])
    print(f"runs per command: {args.runs} (after 3 warm-up runs); Python {sys.version.split()[0]}")
    print("| command | min ms | median ms | p90 ms | CPU ms (median) | × baseline: median, min, CPU |")
    print("|---|---|---|---|---|---|")
    for name, samples in results.items():
        med, low, used = statistics.median(samples), min(samples), statistics.median(cpu[name])
        ratios = f"{med / base:.2f}, {low / base_min:.2f}, {used / base_cpu:.2f}"
        print(f"| {name} | {low:.1f} | {med:.1f} | {_p90(samples):.1f} | {used:.1f} | {ratios} |")
    trig = statistics.median(results["cronix trigger"])
    if "curl" in results:
        print(f"cronix trigger / curl: {trig / statistics.median(results['curl']):.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
