"""A plugin learns that the command only reads (issue 16 item 22, through the operations layer).

``HostContext.read_only`` travels to plugins in ``Configure`` (``HostContext.read_only``
of the protocol), so the echo plugin's ``Health`` does not demand write access for
``plan``; its state directory here is a real read-only bind mount (see
``tests/support/mounts.py``), and the real CLI and the real, pinned plugin run inside it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.operations.conftest import write_config, write_manifest
from tests.reconcile.conftest import job
from tests.support.cli import CRONIX, run_cronix
from tests.support.mounts import UNAVAILABLE, mount_namespaces_usable, run_with_read_only


@pytest.mark.skipif(not mount_namespaces_usable(), reason=UNAVAILABLE)
def test_plan_through_a_plugin_on_a_read_only_state_directory(
    tmp_path: Path, echo_config: dict[str, Any]
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    echo_config["plugins"]["config"]["echo"]["state_path"] = str(state / "echo.json")
    config = write_config(tmp_path, backend="echo", **echo_config)
    manifest = write_manifest(tmp_path, "billing", job("ping", "@hourly"))
    base = ["--config", str(config), "--manifest", str(manifest), "--secret-ref", "file:/etc/cronix/secret"]
    applied = run_cronix("apply", *base, "--lock-path", str(tmp_path / "lock"))
    assert applied.returncode == 0, applied.stderr
    plan = run_with_read_only([state], [CRONIX, "plan", *base, "-o", "json"])
    assert plan.returncode == 0, plan.stderr
    assert json.loads(plan.stdout)["noop"] is True
    apply = run_with_read_only([state], [CRONIX, "apply", *base, "--lock-path", str(tmp_path / "lock")])
    assert apply.returncode == 3
    assert "is not writable" in apply.stderr
