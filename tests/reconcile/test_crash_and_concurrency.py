"""Real ``cronix apply`` processes: kill -9 at random points, and eight applies at once."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cronix.cli.app import main as cli_main
from tests.reconcile.conftest import BIN, cronix_argv, job, manifest_doc, run_cronix

JOBS = 64
SCHEDULES = 8


def _manifest(path: Path, variant: int) -> Path:
    jobs = [
        job(f"job-{j:03d}", *[f"{(j + s + variant) % 60} {s % 24} * * *" for s in range(SCHEDULES)])
        for j in range(JOBS)
    ]
    path.write_text(json.dumps(manifest_doc("billing", *jobs)))
    return path


def _flags(root: Path) -> list[str]:
    return [
        "--crontab-path",
        str(root / "crontab"),
        "--trigger-bin",
        BIN,
        "--spec-dir",
        str(root / "jobs"),
        "--lock-path",
        str(root / "apply.lock"),
    ]


@pytest.mark.slow
def test_kill_9_during_apply_leaves_old_or_new_file_and_next_apply_converges(tmp_path: Path) -> None:
    foreign = "MAILTO=ops\n# hand-written line\n@reboot /usr/bin/true\n"
    manifests = [_manifest(tmp_path / f"m{v}.json", v) for v in (0, 1)]
    contents = []
    for m in manifests:  # the exact file each manifest produces from the other's state
        scratch = tmp_path / f"scratch-{m.stem}"
        scratch.mkdir()
        (scratch / "crontab").write_text(foreign)
        start = time.monotonic()
        assert run_cronix(["apply", "--manifest", str(m), *_flags(scratch)]).returncode == 0
        duration = time.monotonic() - start
        contents.append((scratch / "crontab").read_bytes())
    crontab = tmp_path / "crontab"
    crontab.write_bytes(contents[0])
    rng = random.Random(20261123)
    outcomes = {"old": 0, "new": 0}
    for trial in range(50):
        target = (trial + 1) % 2
        before = crontab.read_bytes()
        proc = subprocess.Popen(
            cronix_argv("apply", "--manifest", str(manifests[target]), *_flags(tmp_path)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.0, duration * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after = crontab.read_bytes()
        assert after in (before, contents[target]), f"trial {trial}: torn crontab"
        outcomes["old" if after == before and before != contents[target] else "new"] += 1
        # the next apply converges (run in-process: the subprocess start-up is already covered)
        assert cli_main(["apply", "--manifest", str(manifests[target]), *_flags(tmp_path)]) == 0
        assert crontab.read_bytes() == contents[target]
        assert not [p for p in tmp_path.iterdir() if ".cronix-tmp-" in p.name]
    final = run_cronix(["plan", "--manifest", str(manifests[target]), *_flags(tmp_path)[:4], "-o", "json"])
    assert json.loads(final.stdout)["noop"] is True
    assert outcomes["old"] > 0, outcomes
    assert outcomes["new"] > 0, outcomes


@pytest.mark.slow
def test_eight_simultaneous_applies_end_in_one_consistent_file(tmp_path: Path) -> None:
    (tmp_path / "crontab").write_text("# foreign\n")
    procs = []
    for i in range(8):
        m = tmp_path / f"app{i}.json"
        m.write_text(
            json.dumps(manifest_doc(f"app-{i}", *[job(f"j{k}", f"{k} {i} * * *") for k in range(20)]))
        )
        procs.append(
            subprocess.Popen(
                [*cronix_argv("apply", "--manifest", str(m), *_flags(tmp_path))],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    text = (tmp_path / "crontab").read_text()
    assert text.startswith("# foreign\n# BEGIN cronix-managed\n")
    assert text.count("# BEGIN cronix-managed") == 1
    for i in range(8):
        assert text.count(f"trigger app-{i}.j") == 20
        plan = run_cronix(
            ["plan", "--manifest", str(tmp_path / f"app{i}.json"), *_flags(tmp_path)[:4], "-o", "json"]
        )
        assert json.loads(plan.stdout)["noop"] is True
    assert len(os.listdir(tmp_path / "jobs")) == 160
