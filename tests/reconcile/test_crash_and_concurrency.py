"""Real ``cronix apply`` processes: kill -9 at random points, and eight applies at once.

Besides "the crontab is the old or the new file", every kill must leave every entry with
its trigger spec file (issue 16 item 13): apply writes spec files before the entries that
read them and removes those of deleted jobs only after the entries are gone.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cronix.backends.crontab_format import CrontabDocument
from cronix.cli.app import main as cli_main
from tests.reconcile.conftest import BIN, REF, cronix_argv, job, manifest_doc, run_cronix

JOBS = 64
SCHEDULES = 8


def _manifest(path: Path, variant: int, *, first: int = 0) -> Path:
    """``JOBS`` jobs from ``job-<first>``: manifests with different ``first`` create and delete jobs."""
    jobs = [
        job(f"job-{j:03d}", *[f"{(j + s + variant) % 60} {s % 24} * * *" for s in range(SCHEDULES)])
        for j in range(first, first + JOBS)
    ]
    path.write_text(json.dumps(manifest_doc("billing", *jobs)))
    return path


def _entries_without_spec_file(root: Path) -> list[str]:
    """Jobs that have an entry in ``root/crontab`` but no spec file in ``root/jobs``."""
    doc = CrontabDocument.parse((root / "crontab").read_text() if (root / "crontab").exists() else "")
    return sorted(
        {f"{e.app}.{e.job}" for e in doc.entries if not (root / "jobs" / f"{e.app}.{e.job}.json").exists()}
    )


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
        "--secret-ref",
        REF,
    ]


def _applied_copy(root: Path, manifest: Path, *, subprocess_run: bool = False) -> bytes:
    """The crontab an apply of ``manifest`` makes from ``root``'s state, applied to a copy."""
    scratch = root / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    shutil.copy2(root / "crontab", scratch / "crontab")
    if (root / "jobs").exists():
        shutil.copytree(root / "jobs", scratch / "jobs")
    argv = ["apply", "--manifest", str(manifest), *_flags(scratch)]
    assert (run_cronix(argv).returncode if subprocess_run else cli_main(argv)) == 0
    return (scratch / "crontab").read_bytes()


def _plan_flags(root: Path) -> list[str]:
    flags = _flags(root)
    del flags[flags.index("--lock-path") : flags.index("--lock-path") + 2]
    return flags


@pytest.mark.slow
def test_kill_9_during_apply_leaves_old_or_new_file_and_next_apply_converges(tmp_path: Path) -> None:
    foreign = "MAILTO=ops\n# hand-written line\n@reboot /usr/bin/true\n"
    # the two manifests share half their jobs: each apply updates, creates and deletes
    manifests = [_manifest(tmp_path / f"m{v}.json", v, first=v * JOBS // 2) for v in (0, 1)]
    crontab = tmp_path / "crontab"
    crontab.write_text(foreign)
    assert cli_main(["apply", "--manifest", str(manifests[0]), *_flags(tmp_path)]) == 0
    start = time.monotonic()
    _applied_copy(tmp_path, manifests[1], subprocess_run=True)
    duration = time.monotonic() - start
    rng = random.Random(20261123)
    outcomes = {"old": 0, "new": 0}
    for trial in range(50):
        target = (trial + 1) % 2
        before = crontab.read_bytes()
        expected = _applied_copy(tmp_path, manifests[target])  # the exact file this apply writes
        proc = subprocess.Popen(
            cronix_argv("apply", "--manifest", str(manifests[target]), *_flags(tmp_path)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.0, duration * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after = crontab.read_bytes()
        assert after in (before, expected), f"trial {trial}: torn crontab"
        assert _entries_without_spec_file(tmp_path) == [], f"trial {trial}: an entry without its spec file"
        outcomes["old" if after == before else "new"] += 1
        # the next apply converges (run in-process: the subprocess start-up is already covered)
        assert cli_main(["apply", "--manifest", str(manifests[target]), *_flags(tmp_path)]) == 0
        assert crontab.read_bytes() == expected
        assert not [p for p in tmp_path.iterdir() if ".cronix-tmp-" in p.name]
    final = run_cronix(["plan", "--manifest", str(manifests[target]), *_plan_flags(tmp_path), "-o", "json"])
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
            ["plan", "--manifest", str(tmp_path / f"app{i}.json"), *_plan_flags(tmp_path), "-o", "json"]
        )
        assert json.loads(plan.stdout)["noop"] is True
    assert len(os.listdir(tmp_path / "jobs")) == 160


@pytest.mark.slow
def test_kill_9_the_moment_the_crontab_changes_leaves_every_entry_its_spec_file(tmp_path: Path) -> None:
    """The worst moment, deterministically: the test watches the crontab and kills the apply
    as soon as its new content is in place. Spec files written after the entries would be
    missing then; written before them, they are all there."""
    old, new = _manifest(tmp_path / "old.json", 0), _manifest(tmp_path / "new.json", 1, first=JOBS)
    for trial in range(3):
        assert cli_main(["apply", "--manifest", str(old), *_flags(tmp_path)]) == 0
        before = (tmp_path / "crontab").read_bytes()
        proc = subprocess.Popen(
            cronix_argv("apply", "--manifest", str(new), *_flags(tmp_path)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if (tmp_path / "crontab").read_bytes() != before:
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait()
        assert (tmp_path / "crontab").read_bytes() != before, f"trial {trial}: the apply never wrote"
        assert _entries_without_spec_file(tmp_path) == [], f"trial {trial}"
        assert cli_main(["apply", "--manifest", str(new), *_flags(tmp_path)]) == 0
        assert _entries_without_spec_file(tmp_path) == []
        # the next apply converged: no left-over spec file of a deleted job either
        assert len(list((tmp_path / "jobs").iterdir())) == JOBS
