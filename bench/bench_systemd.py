"""systemd-timer benchmark: a no-op apply of N timers in a temporary unit directory, and its growth.

Each size N gets a fresh unit directory holding the converged units of N timers (N/4
jobs of four schedules each, as a manifest holds at most 256 jobs; half in UTC, half in
Europe/Berlin so the DST check runs) plus a few foreign units. ``systemctl_command`` is a small script that appends every call it gets
to a log, so the commands a no-op apply would send to systemd are counted from what was
actually executed, not from cronix's own bookkeeping; writes are counted from the files
themselves (inode, mtime and bytes of every file in the directory, before and after).

The timing is the best of ``--repeat`` runs of the library call ``cronix.reconcile.reconcile``
with a freshly opened backend: validation of every job (translation, name claims, DST
warnings), listing and parsing every unit, hashing, the content check of every pair, the
(empty) apply and the trigger spec files. The CLI row adds interpreter start-up and
imports (one ``cronix apply`` process).

    ./run bench systemd          # or: .venv/bin/python bench/bench_systemd.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cronix.backends.base import HostContext
from cronix.backends.systemd import SystemdBackend
from cronix.backends.systemd_options import SystemdOptions
from cronix.protocol.manifest import parse_manifest
from cronix.reconcile import reconcile

SIZES = (100, 250, 500, 1000)
TARGET_SECONDS = 1.0
CRONIX = str(Path(sys.executable).with_name("cronix"))


def manifest_bytes(timers: int) -> bytes:
    """A manifest of ``timers`` schedules: jobs of four schedules each (a manifest has ≤ 256 jobs)."""
    doc = {
        "version": 1,
        "app": "bench",
        "jobs": [
            {
                "name": f"job-{j:04d}",
                "schedules": [
                    f"{(j + s) % 60} {(j * 7 + s) % 24} * * {'*' if s % 2 else '1-5'}" for s in range(4)
                ],
                "timezone": "Europe/Berlin" if j % 2 else "UTC",
                "request": {"url": f"https://bench.example.com/api/v1/scheduled/job-{j:04d}"},
            }
            for j in range(timers // 4)
        ],
    }
    return json.dumps(doc).encode()


def snapshot(directory: Path) -> dict[str, tuple[int, int, bytes]]:
    out = {}
    for path in directory.rglob("*"):
        st = os.lstat(path)
        data = (
            os.readlink(path).encode() if path.is_symlink() else path.read_bytes() if path.is_file() else b""
        )
        out[str(path)] = (st.st_ino, st.st_mtime_ns, data)
    return out


def recorder(tmp: Path) -> tuple[str, Path]:
    log = tmp / "systemctl.log"
    script = tmp / "systemctl"
    script.write_text(f'#!/bin/sh\necho "$*" >> {log}\n')
    script.chmod(0o755)
    return str(script), log


def measure(jobs: int, repeat: int, tmp: Path) -> dict[str, object]:
    root = tmp / f"n{jobs}"
    units, spec_dir = root / "units", root / "jobs"
    units.mkdir(parents=True)
    for name in ("backup.timer", "backup.service", "cronix-other-0.timer"):
        (units / name).write_text("[Unit]\nDescription=foreign\n")
    systemctl, log = recorder(root)
    options = SystemdOptions(unit_dir=str(units), systemctl_command=systemctl)
    host = HostContext(trigger_bin=CRONIX)
    data = manifest_bytes(jobs)

    def apply(opts: SystemdOptions = options) -> object:
        backend = SystemdBackend(opts, host)
        try:
            return reconcile(parse_manifest(data), backend, spec_dir=str(spec_dir))
        finally:
            backend.close()

    # Install once writing the enable links directly (there is no systemd here to create them;
    # they are what `systemctl enable` would leave), then time no-op applies that would talk
    # to systemd through the recording systemctl.
    apply(SystemdOptions(unit_dir=str(units), write_units_only=True))
    before, calls = snapshot(units), 0
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        outcome = apply()
        times.append(time.perf_counter() - start)
        assert outcome.result is not None and outcome.result.noop  # type: ignore[attr-defined]
    after = snapshot(units)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    noop_calls = log.read_text().splitlines()[calls:] if log.exists() else []
    return {
        "jobs": jobs,
        "seconds": min(times),
        "files_changed": len(changed),
        "systemctl_calls": noop_calls,
        "units": str(units),
        "config": _config(root, units, spec_dir, systemctl),
    }


def _config(root: Path, units: Path, spec_dir: Path, systemctl: str) -> Path:
    path = root / "cronix.yaml"
    doc = {
        "backend": "systemd-timer",
        "trigger_bin": CRONIX,
        "spec_dir": str(spec_dir),
        "apply": {"lock_path": str(root / "apply.lock")},
        "backends": {"systemd-timer": {"unit_dir": str(units), "systemctl_command": systemctl}},
    }
    path.write_text(json.dumps(doc))
    return path


def cli_seconds(result: dict[str, object], tmp: Path) -> float:
    manifest = tmp / "manifest.json"
    manifest.write_bytes(manifest_bytes(int(str(result["jobs"]))))
    start = time.perf_counter()
    proc = subprocess.run(
        [CRONIX, "apply", "--config", str(result["config"]), "--manifest", str(manifest)],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    assert proc.returncode == 0 and "Apply: noop" in proc.stdout, proc.stderr
    return seconds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cronix-bench-systemd-") as name:
        tmp = Path(name)
        results = [measure(n, args.repeat, tmp) for n in SIZES]
        largest = results[-1]
        cli = cli_seconds(largest, tmp)
        print(
            f"{'timers':>7} {'no-op apply':>12} {'per timer':>10} {'marginal':>9} "
            f"{'files changed':>14} {'systemctl calls':>16}"
        )
        previous: tuple[int, float] | None = None
        for r in results:
            seconds, n = float(str(r["seconds"])), int(str(r["jobs"]))
            calls = r["systemctl_calls"]
            assert isinstance(calls, list)
            marginal = (
                f"{(seconds - previous[1]) / (n - previous[0]) * 1e6:>6.0f} µs" if previous else f"{'':>9}"
            )
            previous = (n, seconds)
            print(
                f"{n:>7} {seconds * 1000:>9.1f} ms {seconds / n * 1e6:>7.0f} µs {marginal} "
                f"{r['files_changed']:>14} {len(calls):>16}  {'; '.join(sorted(set(calls)))}"
            )
        first, last = results[0], results[-1]
        growth = float(str(last["seconds"])) / float(str(first["seconds"]))
        size_ratio = int(str(last["jobs"])) / int(str(first["jobs"]))
        print(
            f"growth {first['jobs']} → {last['jobs']} timers: ×{growth:.1f} for ×{size_ratio:.0f} the timers"
        )
        print(f"CLI: one `cronix apply` process, {last['jobs']} timers, no-op: {cli * 1000:.0f} ms")
        ok = (
            all(r["files_changed"] == 0 for r in results)
            and all(
                not any("daemon-reload" in c or "enable" in c for c in r["systemctl_calls"]) for r in results
            )  # type: ignore[attr-defined]
            and float(str(last["seconds"])) <= TARGET_SECONDS
        )
        print("targets (0 files written, 0 daemon-reload, ≤ 1 s at 1,000):", "met" if ok else "MISSED")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
