"""The in-tree ``memory`` backend, and the traits the reconciler asks of every backend.

``fires_on_host`` decides whether trigger spec files are written, ``local_state`` whether
the apply lock is taken, and each create/update receives the job's ``FireSpec`` — three
separate answers, exercised here on one backend whose answers can be chosen.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from cronix.backends.base import HostContext
from cronix.backends.memory import MemoryBackend, MemoryOptions, TransactionalMemoryBackend
from cronix.backends.registry import require_type
from cronix.protocol.manifest import Manifest, load_manifest_object
from cronix.protocol.specfile import parse_spec_file
from cronix.reconcile import ApplyLockTimeout, LockSettings, known_jobs, reconcile
from cronix.reconcile.strategies import FireSelection
from tests.reconcile.conftest import job, manifest_doc
from tests.support.cli import run_cronix

REFS = ["file:/etc/cronix/secret"]


def _manifest(*jobs: dict[str, object]) -> Manifest:
    return load_manifest_object(manifest_doc("billing", *jobs))


def _open(**options: object) -> MemoryBackend:
    backend = require_type("memory").open(options, HostContext(trigger_bin="/usr/bin/cronix"))
    assert isinstance(backend, MemoryBackend)
    return backend


@pytest.mark.parametrize("transactional", ["true", "false"])
def test_the_backend_conformance_suite_passes_on_memory(transactional: str) -> None:
    result = run_cronix(
        "conformance", "backend", "--backend", "memory", "--backend-config", f"transactional={transactional}"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "13 total / 13 passed / 0 failed / 0 skipped" in result.stdout


def test_it_is_hidden_but_opens_when_named() -> None:
    from cronix.backends.registry import selectable_types

    assert "memory" not in {t.name for t in selectable_types()}
    assert isinstance(_open(), TransactionalMemoryBackend)
    assert type(_open(transactional=False)) is MemoryBackend


def test_spec_files_are_written_only_for_backends_that_fire_on_this_host(tmp_path: Path) -> None:
    manifest = _manifest(job("nightly", "0 2 * * *"))
    remote, local = tmp_path / "remote", tmp_path / "local"
    reconcile(manifest, _open(), spec_dir=str(remote), secret_refs=["file:/etc/s"])
    reconcile(manifest, _open(fires_on_host=True), spec_dir=str(local), secret_refs=["file:/etc/s"])
    assert not remote.exists()
    spec = parse_spec_file((local / "billing.nightly.json").read_bytes())
    assert (spec.app, spec.job.name, spec.secret_refs) == ("billing", "nightly", ("file:/etc/s",))


def test_the_apply_lock_is_taken_only_for_local_state(tmp_path: Path) -> None:
    lock_path = tmp_path / "apply.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another apply holds it
    try:
        lock = LockSettings(str(lock_path), 0)
        manifest = _manifest(job("nightly"))
        outcome = reconcile(manifest, _open(), lock=lock, secret_refs=REFS)
        assert outcome.result is not None and outcome.result.created == ["nightly"]
        with pytest.raises(ApplyLockTimeout, match="holds"):
            reconcile(manifest, _open(local_state=True), lock=lock, secret_refs=REFS)
    finally:
        os.close(fd)


def test_each_entry_carries_its_fire_spec_and_audits_read_it_back() -> None:
    backend = _open(fire_strategies=["local-shim", "managed-jwt"])
    manifest = _manifest(job("nightly", "0 2 * * *", "0 14 * * 6"))
    selection = FireSelection("managed-jwt")
    reconcile(manifest, backend, secret_refs=["env:NOT_USED_BY_MEMORY"], selection=selection)
    specs = [parse_spec_file(e.spec or "") for e in backend.store]
    assert [s.schedule_index for s in specs] == [0, 1]
    assert known_jobs(backend, "/nonexistent") == {("billing", "nightly"): manifest.jobs[0]}


def test_a_hand_edit_is_drift_and_apply_repairs_it() -> None:
    backend = _open()
    manifest = _manifest(job("nightly", "0 2 * * *"))
    reconcile(manifest, backend, secret_refs=REFS)
    backend.edit("billing", "nightly", 0, schedule="0 3 * * *")
    plan = reconcile(manifest, backend, dry_run=True, secret_refs=REFS).plan
    assert [(op.action, op.reason) for op in plan.ops] == [("update", "edited by hand")]
    backend.edit("billing", "nightly", 0, schedule="0 2 * * *", command="/tmp/evil trigger billing.nightly")
    assert reconcile(manifest, backend, dry_run=True, secret_refs=REFS).plan.ops[0].reason == "edited by hand"
    reconcile(manifest, backend, secret_refs=REFS)
    assert reconcile(manifest, backend, dry_run=True, secret_refs=REFS).plan.noop


def test_options_are_strict() -> None:
    from cronix.errors import ConfigError

    with pytest.raises(ConfigError, match=r"backends\.memory\.fire_strategies\[0\]|unknown fire strategy"):
        _open(fire_strategies=["carrier-pigeon"])
    with pytest.raises(ConfigError, match=r"backends\.memory\.colour: unknown key"):
        _open(colour="blue")
    assert MemoryOptions().fire_strategies == ("local-shim",)


def test_a_changed_secret_ref_is_an_update_of_entries_that_carry_the_spec() -> None:
    backend = _open()
    manifest = _manifest(job("nightly"))
    reconcile(manifest, backend, secret_refs=["file:/etc/a"])
    plan = reconcile(manifest, backend, secret_refs=["file:/etc/b"], dry_run=True).plan
    assert plan.ops[0].reason == "trigger spec changed (secret refs or fire strategy)"
    reconcile(manifest, backend, secret_refs=["file:/etc/b"])
    assert parse_spec_file(backend.store[0].spec or "").secret_refs == ("file:/etc/b",)
    assert reconcile(manifest, backend, secret_refs=["file:/etc/b"], dry_run=True).plan.noop


@pytest.mark.parametrize("ref", ["raw:hunter2", "RAW:hunter2"])
def test_a_raw_ref_is_never_written_into_spec_files(ref: str, tmp_path: Path) -> None:
    from cronix.errors import UsageError

    backend = _open(fires_on_host=True)
    # raw: is refused for spec files; RAW: is not even a ref (D-600) — neither is ever written.
    with pytest.raises(
        UsageError, match=r"raw: secret ref would be written|schemes are lowercase: write \"raw:"
    ):
        reconcile(_manifest(job("nightly")), backend, secret_refs=[ref], spec_dir=str(tmp_path / "jobs"))
    assert backend.store == [] and not (tmp_path / "jobs").exists()
