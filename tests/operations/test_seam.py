"""Proof that the backend seam is right (issue 9): a new backend type is one registry entry and
one options dataclass, and everything else follows from them.

The throwaway type lives in ``tests/operations/scratch_backend.py``. Its flags, its
cronix.yaml section, its docs and its conformance run appear without a line anywhere else;
and to the operations layer an in-tree backend and a plugin (the real echo plugin process)
are indistinguishable: the same operations give the same answers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cronix.errors import ConfigError
from cronix.operations import (
    Overrides,
    Workspace,
    apply_all,
    audit,
    backend_conformance,
    list_owned,
    plan_all,
    prune,
    status,
)
from tests.operations.conftest import write_config, write_manifest
from tests.reconcile.conftest import REF, REPO, job

CLI = "import sys; import tests.operations.scratch_backend as s; s.register_scratch(); from cronix.cli.app import main; sys.exit(main(sys.argv[1:]))"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in a fresh interpreter whose registry has the scratch type."""
    return subprocess.run(
        [sys.executable, "-c", CLI, *args], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )


def test_its_flags_appear_in_help_for_the_backend_a_command_targets() -> None:
    targeted = _cli("apply", "--backend", "scratch", "--help")
    assert targeted.returncode == 0, targeted.stderr
    for flag in ("--scratch-label", "--scratch-max-schedules N", "--scratch-mode [fast|careful]"):
        assert flag in targeted.stdout
    assert "--scratch-strict-zones / --no-scratch-strict-zones" in targeted.stdout
    assert "--crontab-path" not in targeted.stdout
    default = _cli("apply", "--help")
    assert "--crontab-path" in default.stdout and "--scratch-label" not in default.stdout
    hint = " ".join(default.stdout.split())
    assert "--backend NAME --help shows another's (" in hint
    assert "scratch" in hint.split("shows another's (", 1)[1].split(")")[0]


def test_a_flag_of_another_backend_is_a_usage_error_naming_it() -> None:
    result = _cli("list", "--backend", "scratch", "--crontab-path", "/nonexistent/crontab")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "cronix: error: --crontab-path is an option of the crontab backend, but this command uses "
        "scratch (scratch); choose it with --backend crontab"
    ]


def test_its_flags_reach_the_backend(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, "billing", job("nightly", "0 1 * * *", "0 2 * * *"))
    result = _cli(
        "plan", "--backend", "scratch", "--manifest", str(manifest), "--secret-ref", REF,
        "--scratch-max-schedules", "1",
    )  # fmt: skip
    assert result.returncode == 1
    assert "backend scratch cannot run this manifest (1 issue): billing.nightly schedules: more than 1" in (
        result.stderr
    )


def test_its_config_section_and_docs_are_generated(scratch: str, tmp_path: Path) -> None:
    from cronix.cli.configdoc import config_markdown, starter_config

    doc = config_markdown()
    assert "## Backend `scratch`" in doc and "A throwaway backend type for the seam tests." in doc
    assert '| `backends.scratch.mode` | `fast` \\| `careful` | `"fast"` | How carefully to write. |' in doc
    assert '# scratch:\n#   # A label shown by list.\n#   label: "default"\n' in starter_config()
    config = write_config(tmp_path, backends={"scratch": {"mode": "reckless"}})
    with pytest.raises(ConfigError, match=r"backends\.scratch\.mode: must be one of fast, careful"):
        list_owned(Workspace(Overrides(config_path=str(config))))


def test_the_conformance_suite_runs_on_it(scratch: str) -> None:
    checks = list(backend_conformance(Workspace(Overrides(backend="scratch")), REPO / _VECTORS))
    assert [c for c in checks if c.status != "pass"] == []
    assert len(checks) == 13  # the omission vector is vercel's only


_VECTORS = "spec/vectors/backend-vectors.json"


def _session(ws: Workspace) -> dict[str, Any]:
    """Everything the operations layer says about one backend through a whole life cycle."""
    first = apply_all(ws)
    out: dict[str, Any] = {
        "apply": [(op.action, op.app, op.job, op.new_hashes) for o in first for op in o.plan.ops],
        "noop": [o.plan.noop for o in plan_all(ws)],
        "owned": sorted((e.app, e.job, e.index, e.hash) for e in list_owned(ws).entries),
        "findings": [f.render() for f in audit(ws).findings],
    }
    (row,) = status(ws, [ws.backend_name])
    out["status"] = (row.owned, row.drifted, row.error, row.apps)
    out["pruned"] = prune(ws).jobs
    out["after"] = list_owned(ws).entries
    return out


def test_an_in_tree_backend_and_a_plugin_are_indistinguishable(
    scratch: str, tmp_path: Path, echo_config: dict[str, Any]
) -> None:
    manifest = write_manifest(tmp_path, "billing", job("nightly", "0 1 * * *", "0 2 * * *"), job("hourly"))
    config = write_config(tmp_path, **echo_config)

    def ws(backend: str) -> Workspace:
        overrides = Overrides(
            config_path=str(config),
            backend=backend,
            manifest=str(manifest),
            secret_refs=(REF,),
            spec_dir=str(tmp_path / f"jobs-{backend}"),
            lock_path=str(tmp_path / "apply.lock"),
        )
        return Workspace(overrides)

    in_tree, plugin = _session(ws("scratch")), _session(ws("echo"))
    assert in_tree == plugin
    assert in_tree["owned"] and in_tree["after"] == [] and in_tree["noop"] == [True]
