"""Fixtures for the reconciler tests: manifests on disk, a crontab under tmp, the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cronix.cli.app import main as cli_main
from tests.support.cli import CRONIX

REPO = Path(__file__).resolve().parents[2]

#: What entries run in these tests: a real executable (the venv's cronix), because a
#: host-firing backend refuses a trigger_bin that is not one.
BIN = CRONIX
#: The secret ref applies record: jobs that fire through cronix trigger need one. Never
#: read at apply time (only the trigger reads it).
REF = "file:/etc/cronix/secret"


def another_cronix(path: Path) -> str:
    """An executable at ``path`` that runs the real cronix: a second valid trigger_bin."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\nexec {BIN} "$@"\n')
    path.chmod(0o755)
    return str(path)


def job(name: str, *schedules: str, tz: str | None = None, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": name,
        "schedules": list(schedules) or ["@hourly"],
        "request": {"url": f"https://billing.example.com/api/v1/scheduled/{name}"},
    }
    if tz is not None:
        doc["timezone"] = tz
    doc.update(extra)
    return doc


def manifest_doc(app: str, *jobs: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "app": app, "jobs": list(jobs)}


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class Host:
    """A crontab, spec dir and apply lock under tmp, and ways to run cronix against them."""

    root: Path
    capsys: pytest.CaptureFixture[str]

    @property
    def crontab(self) -> Path:
        return self.root / "crontab"

    @property
    def spec_dir(self) -> Path:
        return self.root / "jobs"

    @property
    def trigger_bin(self) -> str:
        return BIN

    def manifest(self, app: str, *jobs: dict[str, Any], name: str | None = None) -> Path:
        path = self.root / (name or f"{app}.json")
        path.write_text(json.dumps(manifest_doc(app, *jobs)))
        return path

    def record_specs(self, manifest: Path, refs: tuple[str, ...] | None = (REF,)) -> None:
        """The trigger spec files an earlier apply (ours or the reference's) left for ``manifest``."""
        from cronix.protocol.manifest import parse_manifest
        from cronix.protocol.specfile import render_spec_file, spec_file_name
        from cronix.reconcile.specfiles import SPEC_FILE_MODE

        parsed = parse_manifest(manifest.read_bytes())
        self.spec_dir.mkdir(exist_ok=True)
        for j in parsed.jobs:
            path = self.spec_dir / spec_file_name(parsed.app, j.name)
            path.write_text(render_spec_file(parsed.app, j, refs))
            path.chmod(SPEC_FILE_MODE)

    def backend_flags(self) -> list[str]:
        return ["--crontab-path", str(self.crontab), "--trigger-bin", self.trigger_bin]

    def apply_flags(self) -> list[str]:
        return [
            *self.backend_flags(),
            "--spec-dir",
            str(self.spec_dir),
            "--lock-path",
            str(self.root / "apply.lock"),
        ]

    def run(self, *args: str) -> Result:
        """The CLI in-process (fast); stdout/stderr captured."""
        self.capsys.readouterr()
        code = cli_main(list(args))
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def apply(self, manifest: Path, *extra: str) -> Result:
        return self.run("apply", "--manifest", str(manifest), *_refs(extra), *self.apply_flags(), *extra)

    def plan(self, manifest: Path, *extra: str) -> Result:
        return self.run("plan", "--manifest", str(manifest), *_refs(extra), *self.plan_flags(), *extra)

    def drift(self, manifest: Path, *extra: str) -> Result:
        return self.run("drift", "--manifest", str(manifest), *_refs(extra), *self.plan_flags(), *extra)

    def plan_flags(self) -> list[str]:
        """The backend flags and the spec dir: what plan and drift compare against."""
        return [*self.backend_flags(), "--spec-dir", str(self.spec_dir)]


def _refs(extra: Sequence[str]) -> list[str]:
    """``--secret-ref REF`` unless the test passes its own."""
    return [] if any(a.startswith("--secret-ref") for a in extra) else ["--secret-ref", REF]


@pytest.fixture
def host(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Host:
    return Host(tmp_path, capsys)


def cronix_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "cronix", *args]


def run_cronix(
    args: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The real ``cronix`` executable in a subprocess."""
    return subprocess.run(
        cronix_argv(*args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


Factory = Callable[..., dict[str, Any]]
