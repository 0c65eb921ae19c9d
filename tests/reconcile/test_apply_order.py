"""A failed apply leaves no entry live that cannot fire (issue 16 item 13).

When the spec directory could not be written, apply exited 1 but the crontab already had
the new entry, whose every fire then exited 3. Now everything that can fail is tried
before the scheduler is written, spec files go first, and a scheduler write that fails
puts the spec files back. Real files and the real CLI; the rollback cases use cronix's
in-tree memory backend, whose ``fail_on`` hook makes a chosen call fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cronix.backends.base import HostContext
from cronix.backends.memory import MemoryBackend
from cronix.backends.registry import require_type
from cronix.protocol.manifest import load_manifest_object
from cronix.reconcile import ApplyFailed, reconcile
from tests.reconcile.conftest import REF, Host, job, manifest_doc
from tests.support.mounts import UNAVAILABLE, mount_namespaces_usable, run_with_read_only


def test_an_unwritable_spec_dir_stops_apply_before_the_crontab_is_written(host: Host) -> None:
    """The case of the issue: the spec directory cannot be created (a file is in the way)."""
    (host.root / "blocker").write_text("not a directory\n")
    host.crontab.write_text("MAILTO=ops\n")
    m = host.manifest("billing", job("ping", "@hourly"))
    flags = host.apply_flags()
    flags[flags.index("--spec-dir") + 1] = str(host.root / "blocker" / "jobs")
    result = host.run("apply", "--manifest", str(m), "--secret-ref", REF, *flags)
    assert result.code == 1, result.err
    assert "nothing was changed" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert host.crontab.read_text() == "MAILTO=ops\n"


@pytest.mark.skipif(not mount_namespaces_usable(), reason=UNAVAILABLE)
def test_a_read_only_spec_dir_stops_apply_before_the_crontab_is_written(tmp_path: Path) -> None:
    from tests.support.cli import CRONIX, run_cronix

    jobs = tmp_path / "jobs"
    jobs.mkdir()
    (tmp_path / "crontab").write_text("MAILTO=ops\n")
    m = tmp_path / "m.json"
    m.write_text(json.dumps(manifest_doc("billing", job("ping", "@hourly"))))
    argv = [
        "apply", "--manifest", str(m), "--secret-ref", REF, "--crontab-path", str(tmp_path / "crontab"),
        "--trigger-bin", CRONIX, "--spec-dir", str(jobs), "--lock-path", str(tmp_path / "lock"),
    ]  # fmt: skip
    result = run_with_read_only([jobs], [CRONIX, *argv])
    assert result.returncode == 1, result.stderr
    assert f"{jobs} is not writable" in result.stderr
    assert (tmp_path / "crontab").read_text() == "MAILTO=ops\n"
    assert run_cronix(*argv).returncode == 0  # and once it is writable, apply works


def _memory(**options: object) -> MemoryBackend:
    backend = require_type("memory").open(
        {"fires_on_host": True, **options}, HostContext(trigger_bin="/usr/bin/cronix")
    )
    assert isinstance(backend, MemoryBackend)
    return backend


@pytest.mark.parametrize("transactional", [True, False])
def test_a_failed_backend_write_puts_the_spec_files_back(tmp_path: Path, transactional: bool) -> None:
    jobs = tmp_path / "jobs"
    backend = _memory(transactional=transactional)
    old = load_manifest_object(manifest_doc("billing", job("a", "0 1 * * *"), job("b", "0 2 * * *")))
    reconcile(old, backend, spec_dir=str(jobs), secret_refs=[REF])
    before = {p.name: p.read_bytes() for p in jobs.iterdir()}
    new = load_manifest_object(
        manifest_doc("billing", job("a", "0 5 * * *"), job("b", "0 6 * * *"), job("c", "0 7 * * *"))
    )
    backend.fail_on = "create c"  # after the updates of a and b, in this order
    with pytest.raises(ApplyFailed) as failed:
        reconcile(new, backend, spec_dir=str(jobs), secret_refs=[REF])
    after = {p.name: p.read_bytes() for p in jobs.iterdir()}
    if transactional:  # nothing changed on the backend: every spec file is as it was
        assert after == before
        assert "nothing was changed" in str(failed.value)
    else:  # a and b were updated: their new spec files stay; c has no entry, so no file
        assert set(after) == {"billing.a.json", "billing.b.json"}
        assert after["billing.a.json"] != before["billing.a.json"]
        assert all(json.loads(after[n])["job"]["schedules"] != json.loads(before[n])["job"]["schedules"]
                   for n in after)  # fmt: skip
    for entry in backend.list_entries():
        assert (jobs / f"{entry.app}.{entry.job}.json").exists()


def test_spec_files_of_deleted_jobs_go_only_after_their_entries(tmp_path: Path) -> None:
    jobs = tmp_path / "jobs"
    backend = _memory()
    both = load_manifest_object(manifest_doc("billing", job("a", "0 1 * * *"), job("b", "0 2 * * *")))
    reconcile(both, backend, spec_dir=str(jobs), secret_refs=[REF])
    backend.fail_on = "delete b"
    with pytest.raises(ApplyFailed):
        reconcile(load_manifest_object(manifest_doc("billing", job("a", "0 1 * * *"))), backend,
                  spec_dir=str(jobs), secret_refs=[REF])  # fmt: skip
    assert (jobs / "billing.b.json").exists()  # its entry is still there, so is its file
