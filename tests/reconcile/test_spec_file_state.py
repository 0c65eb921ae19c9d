"""Trigger spec files are applied state (issue 16 item 23, and the "noop, 3 written" oddity of 14).

After ``apply``, rewriting ``jobs/billing.ping.json`` so its URL points elsewhere left
``drift --exit-on-drift`` at 0 and ``verify-ownership`` without findings, although every
fire of that job would now sign and send to the attacker's URL. A spec file that differs
from what apply would write now, or is missing, or is left over, is drift, per job, in
``plan``, ``drift``, ``verify-ownership`` and ``global-status``, and ``apply`` repairs it —
saying so instead of "noop". Real files and the real CLI (in-process).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.reconcile.conftest import REF, Host, job

PING = job("ping", "@hourly")
PONG = job("pong", "@daily")


def _installed(host: Host) -> Path:
    m = host.manifest("billing", PING, PONG)
    assert host.apply(m).code == 0
    return m


def _config(host: Host) -> Path:
    cfg = host.root / "cronix.yaml"
    cfg.write_text(f"spec_dir: {host.spec_dir}\nbackends:\n  crontab:\n    path: {host.crontab}\n")
    return cfg


def _status(host: Host) -> dict[str, object]:
    result = host.run("global-status", "--config", str(_config(host)), "-o", "json")
    row: dict[str, object] = result.json()["backends"][0]
    drifted = bool(row["drifted"] or row["stray"])
    assert result.code == (5 if drifted else 0), result.err  # exit 5 exactly when drifted
    return row


def _tamper(host: Host) -> Path:
    spec = host.spec_dir / "billing.ping.json"
    doc = json.loads(spec.read_text())
    doc["job"]["request"]["url"] = "https://evil.example.com/x"
    spec.write_text(json.dumps(doc, indent=2))
    return spec


def test_a_rewritten_spec_file_is_drift_everywhere_and_apply_repairs_it(host: Host) -> None:
    """The case of the issue."""
    m = _installed(host)
    spec = host.spec_dir / "billing.ping.json"
    original = spec.read_bytes()
    _tamper(host)
    drift = host.drift(m, "--exit-on-drift")
    assert drift.code == 5, drift.out + drift.err
    assert "billing.ping" in drift.err and "billing.pong" not in drift.err
    assert "trigger spec file differs from what apply writes" in drift.out
    audit = host.run("verify-ownership", *host.plan_flags())
    assert audit.code == 5, audit.out
    assert "billing.ping[0]: marker hash does not match the recorded job" in audit.out
    assert "billing.pong" not in audit.out and "hash not checked" not in audit.out
    with_manifest = host.run(
        "verify-ownership", "--manifest", str(m), "--secret-ref", REF, *host.plan_flags()
    )
    assert with_manifest.code == 5 and "billing.ping" in with_manifest.out
    row = _status(host)
    assert (row["drifted"], row["in_sync"]) == (1, 1)
    applied = host.apply(m)
    assert applied.code == 0, applied.err
    assert "noop" not in applied.out
    assert "updated=1" in applied.out and "Spec files: 1 written" in applied.out
    assert spec.read_bytes() == original
    assert host.drift(m, "--exit-on-drift").code == 0
    assert host.run("verify-ownership", *host.plan_flags()).code == 0
    assert _status(host)["drifted"] == 0


def test_a_missing_spec_file_is_drift_and_apply_is_not_a_noop(host: Host) -> None:
    m = _installed(host)
    before = host.crontab.stat().st_mtime_ns
    for spec in host.spec_dir.iterdir():
        spec.unlink()
    plan = host.plan(m, "-o", "json").json()
    assert plan["noop"] is False
    assert [(op["action"], op["job"], op["spec_only"]) for op in plan["ops"]] == [
        ("update", "ping", True),
        ("update", "pong", True),
    ]
    assert all(op["reason"] == "trigger spec file missing" for op in plan["ops"])
    applied = host.apply(m)
    assert not applied.out.startswith("Apply: noop"), applied.out
    assert "updated=2" in applied.out and "Spec files: 2 written" in applied.out
    assert host.crontab.stat().st_mtime_ns == before  # the entries were right: not rewritten
    assert host.apply(m).out.startswith("Apply: noop")


def test_a_left_over_spec_file_is_drift_and_apply_removes_it(host: Host) -> None:
    m = _installed(host)
    ghost = host.spec_dir / "billing.ghost.json"
    ghost.write_bytes((host.spec_dir / "billing.ping.json").read_bytes())
    (host.spec_dir / "other.job.json").write_text("{}")  # another app's: not ours to judge here
    plan = host.plan(m, "-o", "json").json()
    assert [(op["action"], op["job"], op["spec_only"]) for op in plan["ops"] if op["action"] != "skip"] == [
        ("delete", "ghost", True)
    ]
    audit = host.run("verify-ownership", *host.plan_flags())
    assert audit.code == 5 and "billing.ghost: trigger spec file left over" in audit.out
    assert _status(host)["stray"] == 1
    applied = host.apply(m)
    assert "deleted=1" in applied.out
    assert not ghost.exists() and (host.spec_dir / "other.job.json").exists()
    assert host.drift(m, "--exit-on-drift").code == 0


@pytest.mark.timeout(60)
def test_a_fifo_in_place_of_a_spec_file_never_blocks_and_is_replaced(host: Host) -> None:
    m = _installed(host)
    spec = host.spec_dir / "billing.ping.json"
    spec.unlink()
    os.mkfifo(spec, 0o640)
    drift = host.drift(m, "-o", "json")
    ping = next(op for op in drift.json()["ops"] if op["job"] == "ping")
    assert ping["reason"] == "trigger spec file is not a regular file"
    audit = host.run("verify-ownership", *host.plan_flags())
    assert audit.code == 5 and "is not a regular file" in audit.out
    assert host.apply(m).code == 0
    assert spec.is_file() and json.loads(spec.read_text())["job"]["name"] == "ping"


def test_a_symlinked_spec_file_is_drift_and_is_replaced_not_followed(host: Host) -> None:
    m = _installed(host)
    spec = host.spec_dir / "billing.ping.json"
    elsewhere = host.root / "elsewhere.json"
    elsewhere.write_bytes(spec.read_bytes())
    spec.unlink()
    spec.symlink_to(elsewhere)
    assert host.drift(m, "--exit-on-drift").code == 5
    assert host.apply(m).code == 0
    assert not spec.is_symlink()
    assert elsewhere.read_bytes() == spec.read_bytes()


def test_changed_secret_refs_rewrite_the_spec_files(host: Host) -> None:
    m = _installed(host)
    plan = host.plan(m, "--secret-ref", "file:/etc/cronix/new-secret", "-o", "json").json()
    assert [op["reason"] for op in plan["ops"]] == ["trigger spec file differs from what apply writes"] * 2
    assert host.apply(m, "--secret-ref", "file:/etc/cronix/new-secret").code == 0
    doc = json.loads((host.spec_dir / "billing.ping.json").read_text())
    assert doc["secret_refs"] == ["file:/etc/cronix/new-secret"]


def test_a_spec_file_with_the_wrong_mode_is_drift(host: Host) -> None:
    m = _installed(host)
    (host.spec_dir / "billing.ping.json").chmod(0o666)
    assert host.drift(m, "--exit-on-drift").code == 5
    assert host.apply(m).code == 0
    assert (host.spec_dir / "billing.ping.json").stat().st_mode & 0o777 == 0o640


def test_an_edit_that_keeps_the_job_is_still_found(host: Host) -> None:
    """Same job, other bytes: keys reordered, or the refs changed by hand."""
    m = _installed(host)
    spec = host.spec_dir / "billing.ping.json"
    doc = json.loads(spec.read_text())
    spec.write_text(json.dumps(doc, sort_keys=True))
    audit = host.run("verify-ownership", *host.plan_flags())
    assert audit.code == 5
    assert "billing.ping[0]: trigger spec file was edited: it is not what apply writes" in audit.out
    doc["secret_refs"] = ["file:/tmp/attacker-controlled"]
    spec.write_text(json.dumps(doc, indent=2))  # exactly as apply would render those refs
    # Only the manifest's side knows which refs apply records: plan and drift do.
    assert host.drift(m, "--exit-on-drift").code == 5
