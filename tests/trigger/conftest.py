"""Trigger test fixtures: a real app server, spec files written with ``render_spec_file``, and
the real ``cronix`` executable run as a subprocess with every path under ``tmp_path``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cronix.protocol.manifest import parse_manifest
from cronix.protocol.specfile import render_spec_file
from tests.trigger.app_server import AppServer

if TYPE_CHECKING:
    from cronix.trigger.run import FireOptions

SECRET = "s3cret-for-tests"
CRONIX = str(Path(sys.executable).with_name("cronix"))


def job_doc(url: str, **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": "ping",
        "schedule": "* * * * *",
        "request": {"url": url, "body": '{"hello":"world"}'},
        "policy": {"timeout_seconds": 5, "retries": {"max_attempts": 3, "min_seconds": 0, "max_seconds": 1}},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key] = {**doc[key], **value}
        else:
            doc[key] = value
    return doc


def write_spec(
    spec_dir: Path, url: str, *, app: str = "billing", secret_refs: list[str] | None = None, **job: Any
) -> Path:
    """A spec file exactly as ``cronix apply`` writes it, for a job validated as a manifest."""
    manifest = parse_manifest(json.dumps({"version": 1, "app": app, "jobs": [job_doc(url, **job)]}))
    spec_dir.mkdir(parents=True, exist_ok=True)
    path = spec_dir / f"{app}.{manifest.jobs[0].name}.json"
    refs = ["env:CRON_SECRET"] if secret_refs is None else secret_refs
    path.write_text(render_spec_file(app, manifest.jobs[0], refs))
    return path


def finish(proc: subprocess.Popen[str], timeout: float = 30) -> tuple[int, str]:
    """Wait for a spawned shim; its exit code and stdout (pipes closed)."""
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def log_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


@dataclass
class Host:
    """One simulated host: its spec, lock, state and run-log locations."""

    root: Path

    @property
    def spec_dir(self) -> Path:
        return self.root / "jobs"

    @property
    def lock_dir(self) -> Path:
        return self.root / "locks"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def run_log(self) -> Path:
        return self.root / "log" / "runs.jsonl"

    def options(self, **given: Any) -> FireOptions:
        """The in-process trigger's options for ``billing.ping`` on this host (for ``fire()``)."""
        from cronix.trigger.run import FireOptions

        return FireOptions(
            app="billing",
            job="ping",
            spec_dir=str(self.spec_dir),
            lock_dir=str(self.lock_dir),
            run_log=str(self.run_log),
            state_dir=str(self.state_dir),
            **given,
        )

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CRONIX_", "OTEL_"))}
        env.update(HOME=str(self.root), CRON_SECRET=SECRET, **extra)
        return env

    def argv(self, target: str = "billing.ping", *extra: str) -> list[str]:
        return [
            CRONIX,
            "trigger",
            target,
            "--spec-dir",
            str(self.spec_dir),
            "--lock-dir",
            str(self.lock_dir),
            "--run-log",
            str(self.run_log),
            "--state-dir",
            str(self.state_dir),
            *extra,
        ]

    def trigger(
        self,
        target: str = "billing.ping",
        *extra: str,
        env: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(target, *extra),
            env=env or self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def spawn(
        self, target: str = "billing.ping", *extra: str, env: dict[str, str] | None = None
    ) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.argv(target, *extra),
            env=env or self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def runs(self) -> list[dict[str, Any]]:
        if not self.run_log.exists():
            return []
        return [json.loads(line) for line in self.run_log.read_text().splitlines()]


@pytest.fixture
def host(tmp_path: Path) -> Host:
    return Host(tmp_path)


@pytest.fixture
def app() -> Iterator[AppServer]:
    with AppServer([SECRET]) as server:
        yield server
