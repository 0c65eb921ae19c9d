"""Commands that only read need only read access (issue 16 item 22).

``plan`` and ``drift`` on a read-only crontab directory used to exit 3 ("not writable").
The directories here are read-only for real — a read-only bind mount in a private mount
namespace, which stops root too (``EROFS``), unlike permission bits — and the real CLI
runs inside it. Read-only commands open the backend with ``HostContext.read_only``; its
``check()`` then skips write prerequisites. ``apply`` still needs them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.reconcile.conftest import BIN, job, manifest_doc
from tests.support.cli import CRONIX, assert_one_line_error, run_cronix
from tests.support.mounts import UNAVAILABLE, mount_namespaces_usable, run_with_read_only

pytestmark = pytest.mark.skipif(not mount_namespaces_usable(), reason=UNAVAILABLE)

REF = "file:/etc/cronix/secret"


def _installed(tmp_path: Path) -> tuple[Path, list[str]]:
    """A crontab and spec files written by a real apply into ``tmp_path/ro``."""
    ro = tmp_path / "ro"
    ro.mkdir()
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps(manifest_doc("billing", job("ping", "@hourly"), job("pong", "5 4 * * *"))))
    flags = ["--crontab-path", str(ro / "crontab"), "--trigger-bin", BIN]
    spec = ["--spec-dir", str(ro / "jobs")]
    applied = run_cronix(
        "apply", "--manifest", str(manifest), "--secret-ref", REF, *flags, *spec,
        "--lock-path", str(tmp_path / "lock"),
    )  # fmt: skip
    assert applied.returncode == 0, applied.stderr
    return manifest, [*flags, *spec]


def test_plan_and_drift_work_on_a_read_only_directory(tmp_path: Path) -> None:
    manifest, flags = _installed(tmp_path)
    ro = tmp_path / "ro"
    plan = run_with_read_only(
        [ro], [CRONIX, "plan", "--manifest", str(manifest), "--secret-ref", REF, *flags, "-o", "json"]
    )
    assert plan.returncode == 0, plan.stderr
    assert json.loads(plan.stdout)["noop"] is True
    drift = run_with_read_only(
        [ro], [CRONIX, "drift", "--manifest", str(manifest), "--secret-ref", REF, *flags, "--exit-on-drift"]
    )
    assert drift.returncode == 0, drift.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["list"],
        ["show", "billing.ping"],
        ["verify-ownership"],
    ],
)
def test_every_read_only_command_works_on_a_read_only_directory(tmp_path: Path, command: list[str]) -> None:
    _, flags = _installed(tmp_path)
    if command[0] == "list":  # no spec files there
        flags = flags[:4]
    proc = run_with_read_only([tmp_path / "ro"], [CRONIX, *command, *flags])
    assert proc.returncode == 0, proc.stderr
    assert "not writable" not in proc.stderr


def test_apply_still_needs_write_access(tmp_path: Path) -> None:
    _, flags = _installed(tmp_path)
    changed = tmp_path / "m2.json"
    changed.write_text(json.dumps(manifest_doc("billing", job("ping", "@daily"))))
    proc = run_with_read_only(
        [tmp_path / "ro"],
        [CRONIX, "apply", "--manifest", str(changed), "--secret-ref", REF, *flags,
         "--lock-path", str(tmp_path / "lock")],
    )  # fmt: skip
    assert_one_line_error(proc, 3, "not writable")


def test_apply_dry_run_is_read_only(tmp_path: Path) -> None:
    manifest, flags = _installed(tmp_path)
    proc = run_with_read_only(
        [tmp_path / "ro"],
        [CRONIX, "apply", "--dry-run", "--manifest", str(manifest), "--secret-ref", REF, *flags,
         "--lock-path", str(tmp_path / "lock")],
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
