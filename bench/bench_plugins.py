"""Plugin benchmarks: start-up (exec → ready) and the cost of the gRPC hop for 256 jobs.

``./run bench plugins`` (or ``python bench/bench_plugins.py [--jobs N] [--rounds N]``).

* start: from ``Popen`` of ``cronix-backend-echo`` to a configured backend (handshake
  line, socket ready, grpc.health SERVING, GetMetadata, Configure), host already warm
  (grpc imported); median of ``--starts`` launches. Target ≤ 0.5 s.
* overhead: the same plan/apply work done through the echo plugin and through an
  in-process ``EchoBackend`` (the same class, no gRPC), both driven by the real
  ``cronix.reconcile``: apply 256 creates, plan (all skip), apply 256 updates, apply 256
  deletes — each apply checks the backend, validates every job (one ``ValidateMany``
  round trip for a plugin), lists, verifies the ownership of every entry it will touch
  (one ``VerifyOwnershipMany``), then mutates. Target: plugin ≤ 1.5 × in-process + start. The crontab backend doing the same
  work is printed for scale (it writes the whole file once per apply).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cronix.backends.base import Backend
from cronix.plugins.containment import CONTAINMENT_ENV, cgroup_parent
from cronix.plugins.echo import EchoBackend
from cronix.plugins.errors import PluginIdentity
from cronix.plugins.host import launch_backend
from cronix.protocol.manifest import Job, Manifest, load_manifest_object
from cronix.reconcile import reconcile

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
    """One ``cronix apply`` (or plan) of ``desired`` through the real reconciler."""
    manifest = Manifest(app=APP, jobs=tuple(desired))
    plan = reconcile(manifest, backend, dry_run=dry_run, secret_refs=["file:/etc/cronix/secret"]).plan
    return {a: plan.count(a) for a in ("create", "update", "delete", "skip")}


def workload(backend: Backend, n: int) -> float:
    first, second = jobs(n, 0), jobs(n, 30)
    started = time.perf_counter()
    assert apply(backend, first)["create"] == n
    assert apply(backend, first, dry_run=True)["skip"] == n
    assert apply(backend, second)["update"] == n
    assert apply(backend, [jobs(1, 15)[0]._replace(name="keeper")])["delete"] == n
    return time.perf_counter() - started


def start_once(state: str) -> tuple[float, Backend]:
    started = time.perf_counter()
    backend = launch_backend(PluginIdentity("echo", str(ECHO)), {"state_path": state})
    return time.perf_counter() - started, backend


def lifecycle(directory: str, kind: str, n: int) -> list[float]:
    """Seconds of launch → configured → close() (Shutdown, then ending all it started) under
    containment ``kind`` (``CRONIX_PLUGIN_CONTAINMENT``)."""
    os.environ[CONTAINMENT_ENV] = kind
    try:
        times = []
        for i in range(n):
            started = time.perf_counter()
            backend = launch_backend(
                PluginIdentity("echo", str(ECHO)), {"state_path": f"{directory}/l-{i}.json"}
            )
            backend.close()
            times.append(time.perf_counter() - started)
        return times
    finally:
        del os.environ[CONTAINMENT_ENV]


def pin_checks(directory: str, n: int = 20) -> None:
    """What checking a pin costs before a launch: finding the distribution that installed
    the executable (a scan of the site-packages' dist-info), and re-hashing what its RECORD
    lists — shown for cronix's own echo and, as a large plugin would be, for grpcio's files."""
    import hashlib
    import shutil
    from importlib.metadata import distribution

    from cronix.plugins.trust import check_pin

    copy = Path(directory) / "cronix-backend-echo"
    shutil.copy2(ECHO, copy)
    for label, path in (("installed echo (entry point, RECORD found)", ECHO), ("a copied launcher", copy)):
        started = time.perf_counter()
        for _ in range(n):
            check_pin("echo", str(path), {})
        print(f"pin check, {label}: {(time.perf_counter() - started) / n * 1000:.1f} ms")
    files = [f for f in distribution("grpcio").files or () if f.hash is not None]
    started = time.perf_counter()
    size = 0
    for f in files:  # the same work as Installed.problems(): read and hash every listed file
        with open(f.locate(), "rb") as fh:
            hashlib.file_digest(fh, "sha256")
            size += fh.tell()
    seconds = time.perf_counter() - started
    print(f"RECORD verification, grpcio ({len(files)} files, {size / 1e6:.1f} MB): {seconds * 1000:.0f} ms")


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


def crontab_workload(directory: str, n: int) -> float:
    """The same work on the in-tree crontab backend (a user-format file), for scale."""
    import sys
    from pathlib import Path

    from cronix.backends.base import HostContext
    from cronix.backends.registry import require_type

    # a real executable: a host-firing backend refuses a trigger_bin that is not one
    host = HostContext(trigger_bin=str(Path(sys.executable).with_name("cronix")))
    backend = require_type("crontab").open({"path": f"{directory}/crontab"}, host)
    return workload(backend, n)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench_plugins", description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--starts", type=int, default=10)
    args = parser.parse_args(argv)
    if not ECHO.exists():
        print(f"{ECHO} is missing: run ./run setup", file=sys.stderr)
        return 2
    # per apply: check, one batched validate, list, one batched verify; create/update/delete x3n
    calls = 4 * 3 + 2 + 3 * args.jobs
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
        kinds = (["cgroup"] if cgroup_parent() is not None else []) + ["tree"]
        for kind in kinds:
            cycle = lifecycle(tmp, kind, args.starts)
            print(
                f"plugin launch -> configured -> closed, containment {kind}, median of {args.starts}: "
                f"{statistics.median(cycle) * 1000:.0f} ms (min {min(cycle) * 1000:.0f}, "
                f"max {max(cycle) * 1000:.0f})"
            )
        pin_checks(tmp)
        print(
            f"bare gRPC round trip (grpc.health Check on the plugin's socket), median: {hop(tmp) * 1e6:.0f} us"
        )
        print(f"plan/apply of {args.jobs} jobs ({calls} backend calls), median of {args.rounds}:")
        for label, base in places:
            with tempfile.TemporaryDirectory(prefix="cronix-bench-", dir=base) as directory:
                t_local, t_remote = compare(directory, args.jobs, args.rounds)
            budget = 1.5 * t_local + start
            with tempfile.TemporaryDirectory(prefix="cronix-bench-", dir=base) as directory:
                t_crontab = statistics.median(
                    crontab_workload(directory, args.jobs) for _ in range(args.rounds)
                )
            print(f"  state on {label}:")
            print(f"    in-tree crontab backend (for scale): {t_crontab * 1000:.0f} ms")
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
