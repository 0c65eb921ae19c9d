"""``cronix status`` benchmark: 256 jobs on a real crontab with 10,000 run-log records (budget 0.5 s).

The crontab file, the 256 trigger spec files and the run log (10,000 records in the trigger's
format, spread over the jobs and the last week) live in a temporary directory, written the
way ``cronix apply`` and ``cronix trigger`` write them. Rows: the library call
(:func:`cronix.operations.job_status`: list, classify every entry, read every spec file and
the whole run log, next fire of every job), the same with ``--missed`` over 24 h, and the CLI
(one ``cronix status`` process: interpreter start-up, imports, table or JSON output). journald
is not read (``--no-journald``): its cost is the host's journal, not cronix.

    ./run bench status          # or: .venv/bin/python bench/bench_status.py [--repeat N]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench_reconcile import best_of  # bench/ is on sys.path: run directly or by bench/run.py

JOBS = 256
RECORDS = 10_000
BUDGET = 0.5
TRIGGER_BIN = str(Path(sys.executable).with_name("cronix"))
REFS = ("file:/etc/cronix/secret",)


def manifest_bytes() -> bytes:
    jobs = []
    for j in range(JOBS):
        doc: dict[str, Any] = {
            "name": f"job-{j:03d}",
            "schedules": [f"{j % 60} * * * *"] if j % 2 else [f"{j % 60} {j % 24} * * 1-5"],
            "request": {"url": f"https://bench.example.com/api/v1/scheduled/job-{j:03d}"},
        }
        if j % 16 == 0:
            doc["enabled"] = False
        if j % 8 == 1:
            doc["policy"] = {"jitter_seconds": 30}
        jobs.append(doc)
    return json.dumps({"version": 1, "app": "bench", "jobs": jobs}).encode()


def _z(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def run_log_lines(now: datetime) -> str:
    """``RECORDS`` runs, one a minute back from ``now``, round-robin over the jobs, oldest first."""
    out = []
    for i in range(RECORDS):
        fire = (now - timedelta(minutes=i)).replace(second=0, microsecond=0)
        started = fire + timedelta(seconds=1)
        record = {"v": 1, "app": "bench", "job": f"job-{i % JOBS:03d}", "run_id": f"run-{i:05d}"}
        record.update(status="ok" if i % 10 else "failed", outcome="success", exit_code=0, attempts=1)
        record.update(
            http_status=200, started_at=_z(started), finished_at=_z(started + timedelta(milliseconds=84))
        )
        record.update(fire_time=_z(fire), duration_ms=84, host="web-1", detail="")
        out.append(json.dumps(record, separators=(",", ":")))
    out.reverse()  # oldest first, as the trigger appends
    return "\n".join(out) + "\n"


def _setup(root: Path) -> list[str]:
    from cronix.operations import Overrides, Workspace, apply_all

    manifest = root / "bench.json"
    manifest.write_bytes(manifest_bytes())
    flags = {
        "spec_dir": str(root / "jobs"),
        "lock_path": str(root / "apply.lock"),
        "trigger_bin": TRIGGER_BIN,
    }
    ws = Workspace(
        Overrides(
            backend="crontab",
            options={"crontab": {"path": str(root / "crontab")}},
            manifest=str(manifest),
            secret_refs=REFS,
            **flags,  # type: ignore[arg-type]
        )
    )
    apply_all(ws)
    (root / "runs.jsonl").write_text(run_log_lines(datetime.now(UTC)))
    return [
        "--crontab-path", str(root / "crontab"), "--spec-dir", str(root / "jobs"),
        "--trigger-bin", TRIGGER_BIN, "--run-log", str(root / "runs.jsonl"), "--no-journald",
    ]  # fmt: skip


def main(argv: list[str]) -> int:
    repeat = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else 5
    from cronix.operations import Overrides, StatusRequest, Workspace, job_status

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        flags = _setup(root)
        ws_over = Overrides(
            backend="crontab",
            options={"crontab": {"path": str(root / "crontab")}},
            spec_dir=str(root / "jobs"),
            trigger_bin=TRIGGER_BIN,
        )
        run_log = str(root / "runs.jsonl")

        def library(missed: bool = False) -> None:
            now = datetime.now(UTC)
            request = StatusRequest(
                run_log=run_log,
                journald=False,
                now=now,
                missed_since=now - timedelta(hours=24) if missed else None,
            )
            report = job_status(Workspace(ws_over), request)
            assert len(report.jobs) == JOBS, len(report.jobs)

        def cli(*extra: str) -> None:
            proc = subprocess.run(
                [TRIGGER_BIN, "status", *flags, *extra], capture_output=True, text=True, check=False
            )
            assert proc.returncode in (0, 5), proc.stderr

        rows = [
            ("library: job_status", best_of(library, repeat)),
            ("library: job_status --missed (24h)", best_of(lambda: library(True), repeat)),
            ("CLI: cronix status (table)", best_of(cli, repeat)),
            ("CLI: cronix status -o json", best_of(lambda: cli("-o", "json"), repeat)),
            ("CLI: cronix status --missed", best_of(lambda: cli("--missed"), repeat)),
            ("CLI: cronix status --html", best_of(lambda: cli("--html", str(root / "s.html")), repeat)),
        ]
    print(f"{JOBS} jobs, {RECORDS:,} run-log records, best of {repeat}:")
    worst = 0.0
    for name, seconds in rows:
        worst = max(worst, seconds)
        print(f"  {name:<40} {seconds:.3f} s")
    print(f"budget {BUDGET} s: {'ok' if worst <= BUDGET else 'OVER'}")
    return 0 if worst <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
