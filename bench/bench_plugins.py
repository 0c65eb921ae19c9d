"""Plugin benchmarks: start-up (exec → ready) and the cost of the gRPC hop for 256 jobs.

``./run bench plugins`` (or ``python bench/bench_plugins.py [--jobs N] [--rounds N]``).

* start: from ``Popen`` of ``cronix-backend-echo`` to a configured backend (handshake
  line, socket ready, grpc.health SERVING, GetMetadata, Configure), host already warm
  (grpc imported); median of ``--starts`` launches. Target ≤ 0.5 s.
* overhead: the same plan/apply work done through the echo plugin and through an
  in-process ``EchoBackend`` (the same class, no gRPC): apply 256 creates, plan (all
  skip), apply 256 updates, apply 256 deletes — each apply validates every job, lists,
  verifies ownership before every update/delete, then mutates, as the reconciler does.
  Target: plugin ≤ 1.5 × in-process + start.

The in-process side stands in for an in-tree backend until the crontab backend lands; the
mini planner below stands in for ``cronix.reconcile``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cronix.backends.base import Backend
from cronix.plugins.echo import EchoBackend
from cronix.plugins.errors import PluginIdentity
from cronix.plugins.host import launch_backend
from cronix.protocol.manifest import Job, load_manifest_object
from cronix.protocol.ownership import ownership_hashes

ECHO = Path(sys.executable).with_name("cronix-backend-echo")
APP = "bench"


def jobs(n: int, minute: int) -> list[Job]:
    raw = [
        {
            "name": f"job-{i:04d}",
            "schedule": f"{minute} {i % 24} * * *",
            "request": {"url": f"https://app.example.com/api/v1/scheduled/job-{i:04d}"},
        }
        for i in range(n)
    ]
    return list(load_manifest_object({"version": 1, "app": APP, "jobs": raw}).jobs)


def apply(backend: Backend, desired: list[Job], *, dry_run: bool = False) -> dict[str, int]:
    """Validate, list, plan by hash, verify ownership, mutate: the reconciler's call pattern."""
    for job in desired:
        if any(d.severity == "error" for d in backend.validate(APP, job)):
            raise SystemExit(f"validate({job.name}) failed")
    current: dict[str, list] = {}
    for entry in backend.list_entries():
        if entry.app == APP:
            current.setdefault(entry.job, []).append(entry)
    wanted = {job.name: job for job in desired}
    creates = [j for j in desired if j.name not in current]
    updates = [
        j
        for j in desired
        if j.name in current
        and [e.hash for e in sorted(current[j.name], key=lambda e: e.index)] != list(ownership_hashes(j))
    ]
    deletes = [name for name in current if name not in wanted]
    if not dry_run:
        for name in [j.name for j in updates] + deletes:
            for entry in current[name]:
                if not backend.verify_ownership(entry):
                    raise SystemExit(f"{name} is not owned")
        for name in deletes:
            backend.delete(APP, name)
        for job in updates:
            backend.update(APP, job, ownership_hashes(job))
        for job in creates:
            backend.create(APP, job, ownership_hashes(job))
    skips = len(desired) - len(creates) - len(updates)
    return {"create": len(creates), "update": len(updates), "delete": len(deletes), "skip": skips}


def workload(backend: Backend, n: int) -> float:
    first, second = jobs(n, 0), jobs(n, 30)
    started = time.perf_counter()
    assert apply(backend, first)["create"] == n
    assert apply(backend, first, dry_run=True)["skip"] == n
    assert apply(backend, second)["update"] == n
    assert apply(backend, [])["delete"] == n
    return time.perf_counter() - started


def start_once(state: str) -> tuple[float, Backend]:
    started = time.perf_counter()
    backend = launch_backend(PluginIdentity("echo", str(ECHO)), {"state_path": state})
    return time.perf_counter() - started, backend


def hop(directory: str, n: int = 500) -> float:
    """Median seconds of one bare unary call over the plugin's socket: the floor of any RPC."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    _, plugin = start_once(f"{directory}/hop.json")
    try:
        stub = health_pb2_grpc.HealthStub(plugin._channel)  # the proxy's own channel
        samples = []
        for _ in range(n):
            started = time.perf_counter()
            stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
            samples.append(time.perf_counter() - started)
    finally:
        plugin.close()
    return statistics.median(samples)


def compare(directory: str, n: int, rounds: int) -> tuple[float, float]:
    """Median seconds of the workload in-process and through the plugin, state in ``directory``."""
    local, remote = [], []
    for r in range(rounds):
        local.append(workload(EchoBackend({"state_path": f"{directory}/local-{r}.json"}), n))
        _, plugin = start_once(f"{directory}/plugin-{r}.json")
        try:
            remote.append(workload(plugin, n))
        finally:
            plugin.close()
    return statistics.median(local), statistics.median(remote)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench_plugins", description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--starts", type=int, default=10)
    args = parser.parse_args(argv)
    if not ECHO.exists():
        print(f"{ECHO} is missing: run ./run setup", file=sys.stderr)
        return 2
    # validate x4n, list x4, verify x2n, create/update/delete x3n
    calls = 4 * args.jobs + 4 + 2 * args.jobs + 3 * args.jobs
    places = [("disk (echo fsyncs every write)", None)]
    if Path("/dev/shm").is_dir():
        places.append(("tmpfs /dev/shm (near-free storage: the hop dominates)", "/dev/shm"))

    with tempfile.TemporaryDirectory(prefix="cronix-bench-") as tmp:
        # Warm the host (imports grpc once), then measure starts.
        _, warm = start_once(f"{tmp}/warm.json")
        warm.close()
        starts = []
        for i in range(args.starts):
            seconds, backend = start_once(f"{tmp}/start-{i}.json")
            starts.append(seconds)
            backend.close()
        start = statistics.median(starts)
        print(
            f"plugin start (exec -> configured, warm host), median of {args.starts}: {start * 1000:.0f} ms "
            f"(min {min(starts) * 1000:.0f}, max {max(starts) * 1000:.0f}); target <= 500 ms: "
            f"{'OK' if start <= 0.5 else 'MISSED'}"
        )
        print(
            f"bare gRPC round trip (grpc.health Check on the plugin's socket), median: {hop(tmp) * 1e6:.0f} us"
        )
        print(f"plan/apply of {args.jobs} jobs ({calls} backend calls), median of {args.rounds}:")
        for label, base in places:
            with tempfile.TemporaryDirectory(prefix="cronix-bench-", dir=base) as directory:
                t_local, t_remote = compare(directory, args.jobs, args.rounds)
            budget = 1.5 * t_local + start
            print(f"  state on {label}:")
            print(f"    in-process EchoBackend: {t_local * 1000:.0f} ms")
            print(
                f"    echo plugin over gRPC:  {t_remote * 1000:.0f} ms  ({t_remote / t_local:.2f}x, "
                f"{(t_remote - t_local) / calls * 1e6:+.0f} us per call)"
            )
            print(
                f"    target plugin <= 1.5 x in-process + start = {budget * 1000:.0f} ms: "
                f"{'OK' if t_remote <= budget else 'MISSED'}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
