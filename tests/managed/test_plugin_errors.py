"""``cronix-backend-managed`` failures through the real CLI: one line, the documented exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.managed.conftest import Operator, service

pytestmark = pytest.mark.slow


def _manifest(tmp: Path, **policy: object) -> str:
    job = {
        "name": "ping",
        "schedule": "@hourly",
        "request": {"url": "https://shop.example/api/v1/scheduled/ping"},
    }
    if policy:
        job["policy"] = policy
    path = tmp / "m.json"
    path.write_text(json.dumps({"version": 1, "app": "shop", "jobs": [job]}))
    return str(path)


def _one_line(proc: object, code: int, *fragments: str) -> None:
    assert proc.returncode == code, (proc.returncode, proc.stderr)  # type: ignore[attr-defined]
    lines = proc.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and "Traceback" not in lines[0], lines
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_missing_token_and_url_are_configuration_errors(tmp_path: Path) -> None:
    with service(tmp_path / "svc") as svc:
        op = Operator(tmp_path, svc, {"CRONIX_PLUGIN_MANAGED_TOKEN": ""})
        _one_line(
            op.run("plan", "--manifest", _manifest(tmp_path)), 2, "CRONIX_PLUGIN_MANAGED_TOKEN is not set"
        )
        op = Operator(tmp_path, svc)
        proc = op.run("plan", "--manifest", _manifest(tmp_path), "--backend-config", "kind=cron")
        _one_line(proc, 2, "kind must be arms or schedules")


def test_a_wrong_token_and_a_dead_service_are_backend_failures(tmp_path: Path) -> None:
    with service(tmp_path / "svc") as svc:
        op = Operator(tmp_path, svc, {"CRONIX_PLUGIN_MANAGED_TOKEN": "not-the-token"})
        _one_line(op.run("apply", "--manifest", _manifest(tmp_path)), 3, "HTTP 401")
    op = Operator(tmp_path, svc)  # the service is gone now
    _one_line(op.run("apply", "--manifest", _manifest(tmp_path)), 3, "unreachable")


def test_concurrency_replace_cannot_be_managed(tmp_path: Path) -> None:
    with service(tmp_path / "svc") as svc:
        op = Operator(tmp_path, svc)
        proc = op.run("apply", "--manifest", _manifest(tmp_path, concurrency="Replace"))
        _one_line(proc, 1, "concurrency Replace cannot be enforced over HTTP")
        assert svc.client.arms() == []
