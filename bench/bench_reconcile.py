"""Reconciler benchmark: plan and no-op apply of the maximum manifest on crontab, and scaling.

The maximum manifest is 256 jobs × 64 schedules = 16,384 crontab entries (the manifest
limits). Each measurement runs on a real crontab file in a temporary directory that
already holds the converged entries plus some foreign lines, so "plan" and "no-op apply"
do all their work (list, validate every job, hash, compare every installed line) and
write nothing. Timings are the best of N runs of the library call (manifest parsing
included); the CLI row adds interpreter start-up and imports (one ``cronix apply``
process).

    ./run bench reconcile          # or: .venv/bin/python bench/bench_reconcile.py [--repeat N]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cronix.backends.base import HostContext
from cronix.backends.crontab import CrontabBackend, CrontabOptions
from cronix.protocol.manifest import parse_manifest
from cronix.reconcile import apply_plan, compute_plan, reconcile

SCHEDULES = 64


def manifest_bytes(jobs: int) -> bytes:
    doc = {
        "version": 1,
        "app": "bench",
        "jobs": [
            {
                "name": f"job-{j:03d}",
                "schedules": [f"{(j * 7 + s) % 60} {s % 24} * * {s % 7}" for s in range(SCHEDULES)],
                "request": {"url": f"https://bench.example.com/api/v1/scheduled/job-{j:03d}"},
            }
            for j in range(jobs)
        ],
    }
    return json.dumps(doc).encode()


#: A real executable: backends that fire on this host refuse a trigger_bin that is not one.
TRIGGER_BIN = str(Path(sys.executable).with_name("cronix"))
REFS = ["file:/etc/cronix/secret"]


def best_of(fn: object, repeat: int) -> float:
    """The fastest of ``repeat`` calls of ``fn``, in seconds (shared by the other benchmarks)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def measure(jobs: int, repeat: int, tmp: Path) -> tuple[float, float]:
    data = manifest_bytes(jobs)
    path = tmp / f"crontab-{jobs}"
    path.write_text("MAILTO=ops\n# foreign\n@reboot /usr/bin/true\n")
    opts = CrontabOptions(path=str(path))
    first = CrontabBackend(opts, HostContext(trigger_bin=TRIGGER_BIN))
    manifest = parse_manifest(data)
    apply_plan(compute_plan(first, manifest), first)
    mtime = path.stat().st_mtime_ns

    def plan() -> None:
        backend = CrontabBackend(opts, HostContext(trigger_bin=TRIGGER_BIN))
        assert compute_plan(backend, parse_manifest(data)).noop

    def noop_apply() -> None:
        backend = CrontabBackend(opts, HostContext(trigger_bin=TRIGGER_BIN))
        outcome = reconcile(
            parse_manifest(data), backend, spec_dir=str(tmp / f"jobs-{jobs}"), secret_refs=REFS
        )
        assert outcome.result is not None
        assert outcome.result.noop

    # writes the spec files once (writing them is a change: apply is not a no-op then)
    reconcile(
        manifest,
        CrontabBackend(opts, HostContext(trigger_bin=TRIGGER_BIN)),
        spec_dir=str(tmp / f"jobs-{jobs}"),
        secret_refs=REFS,
    )
    result = best_of(plan, repeat), best_of(noop_apply, repeat)
    assert path.stat().st_mtime_ns == mtime, "a no-op apply wrote the crontab"
    return result


def cli_noop_apply(tmp: Path, repeat: int) -> float:
    manifest = tmp / "max.json"
    manifest.write_bytes(manifest_bytes(256))
    argv = [
        sys.executable, "-m", "cronix", "apply", "--manifest", str(manifest),
        "--crontab-path", str(tmp / "crontab-256"), "--trigger-bin", TRIGGER_BIN, "--secret-ref", REFS[0],
        "--spec-dir", str(tmp / "jobs-256"), "--lock-path", str(tmp / "apply.lock"),
    ]  # fmt: skip

    def run() -> None:
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("Apply: noop"), proc.stdout

    return best_of(run, repeat)


def main(argv: list[str]) -> int:
    repeat = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else 5
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        print(f"{'entries':>8} {'jobs':>5} {'plan s':>8} {'no-op apply s':>14} {'µs/entry (plan)':>16}")
        rows = []
        for jobs in (16, 32, 64, 128, 256):
            plan_s, apply_s = measure(jobs, repeat, tmp)
            entries = jobs * SCHEDULES
            rows.append((entries, plan_s))
            print(f"{entries:>8} {jobs:>5} {plan_s:>8.3f} {apply_s:>14.3f} {plan_s / entries * 1e6:>16.1f}")
        ratio = (rows[-1][1] / rows[0][1]) / (rows[-1][0] / rows[0][0])
        print(
            f"growth 1k→16k: time ×{rows[-1][1] / rows[0][1]:.1f} for entries ×16 (1.0 = linear: {ratio:.2f})"
        )
        print(
            f"cli: cronix apply (no-op, 16,384 entries, whole process): {cli_noop_apply(tmp, repeat):.3f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
