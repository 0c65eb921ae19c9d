"""Fixtures for the systemd-timer tests: a unit directory under tmp and the real CLI against it.

Without a booted systemd on this host, these tests run the backend with
``write_units_only: true`` (no systemctl; the ``timers.target.wants`` links are written
directly) and check every unit with the real ``systemd-analyze verify``. The live path —
``daemon-reload``, ``enable --now``, timers that really fire — runs against a real
systemd in a container (``test_e2e_container.py``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cronix.cli.app import main as cli_main
from tests.reconcile.conftest import Result, job, manifest_doc
from tests.support.cli import CRONIX

__all__ = ["UnitHost", "job", "manifest_doc"]


@dataclass
class UnitHost:
    """A unit directory, spec dir, apply lock and cronix.yaml under tmp; commands run in-process."""

    root: Path
    capsys: pytest.CaptureFixture[str]
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def units(self) -> Path:
        return self.root / "etc" / "systemd" / "system"

    @property
    def spec_dir(self) -> Path:
        return self.root / "jobs"

    @property
    def config(self) -> Path:
        backend = {"unit_dir": str(self.units), "write_units_only": True, **self.options}
        doc = {
            "backend": "systemd-timer",
            "backends": {"systemd-timer": backend},
            "spec_dir": str(self.spec_dir),
            "trigger_bin": CRONIX,
            "apply": {"lock_path": str(self.root / "apply.lock")},
            "trigger": {"run_log": str(self.root / "runs.jsonl")},
        }
        path = self.root / "cronix.yaml"
        path.write_text(json.dumps(doc))  # YAML is a superset of JSON
        return path

    def manifest(self, app: str, *jobs: dict[str, Any], name: str | None = None) -> Path:
        path = self.root / (name or f"{app}.json")
        path.write_text(json.dumps(manifest_doc(app, *jobs)))
        return path

    def run(self, *args: str) -> Result:
        self.capsys.readouterr()
        if args[0] in ("plan", "apply", "drift", "adopt") and not any(
            a.startswith("--secret-ref") for a in args
        ):
            args = (*args, "--secret-ref", "file:/etc/cronix/secret")  # local-shim jobs need one (D-153)
        code = cli_main([*args[:1], "--config", str(self.config), *args[1:]])
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def apply(self, manifest: Path, *extra: str) -> Result:
        return self.run("apply", "--manifest", str(manifest), *extra)

    def unit(self, name: str) -> Path:
        return self.units / name

    def state(self) -> dict[str, tuple[int, int, bytes]]:
        """Every file under the unit directory: (inode, mtime_ns, bytes) — any write shows."""
        out = {}
        for path in sorted(self.units.rglob("*")):
            st = os.lstat(path)
            data = (
                os.readlink(path).encode()
                if path.is_symlink()
                else (path.read_bytes() if path.is_file() else b"")
            )
            out[str(path.relative_to(self.units))] = (st.st_ino, st.st_mtime_ns, data)
        return out


@pytest.fixture
def units(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> UnitHost:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return UnitHost(tmp_path, capsys)
