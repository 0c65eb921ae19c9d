"""SDK fixtures: the test apps served by real servers, and the one place that fires at them.

``served`` runs :mod:`tests.sdk.apps` under each server (session-scoped, so each starts
once): uvicorn (FastAPI and plain Starlette), the stdlib ``wsgiref`` server and gunicorn
(Flask), ``wsgiref`` (Django's ``WSGIHandler``) and Django's in-process test client.

``fire`` is the only way tests send cron traffic. Its ``trigger()`` is where the real
``cronix trigger`` process will be swapped in once the shim lands; until then it uses
the independent signer in :mod:`tests.sdk.signer`.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.sdk import apps
from tests.sdk.signer import Reply, Sender, cron_headers, http_ok, http_sender, shim_fire
from tests.sdk.vercel_app import ENV_VERCEL
from tests.support.procs import free_port, running

REPO = Path(__file__).resolve().parents[2]

REAL_SERVERS = [
    "uvicorn-fastapi",
    "uvicorn-starlette-routes",
    "wsgiref-flask",
    "gunicorn-flask",
    "wsgiref-django",
]
ALL_SERVERS = [*REAL_SERVERS, "django-test-client"]


@dataclass(frozen=True)
class Secrets:
    new: str
    old: str
    vercel: str


@pytest.fixture(scope="session")
def sdk_secrets() -> Secrets:
    return Secrets(new=secrets.token_hex(16), old=secrets.token_hex(16), vercel=secrets.token_hex(16))


@dataclass
class Served:
    """A running test app: how to reach it and what its handlers recorded."""

    name: str
    base_url: str
    send: Sender
    record_path: Path
    log_path: Path | None = None

    def records(self, run_id: str) -> list[dict[str, Any]]:
        if not self.record_path.exists():
            return []
        lines = self.record_path.read_text().splitlines()
        return [doc for doc in map(json.loads, lines) if doc.get("run_id") == run_id]

    def runs(self, run_id: str) -> list[dict[str, Any]]:
        """Handler calls (not hook calls) for ``run_id``."""
        return [r for r in self.records(run_id) if "job" in r]

    def hooks(self, run_id: str) -> list[str]:
        return [r["hook"] for r in self.records(run_id) if "hook" in r]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""


def _argv(name: str, port: int) -> list[str]:
    py = sys.executable
    if name == "uvicorn-fastapi":
        app = "tests.sdk.apps:make_fastapi_app"
        return [py, "-m", "uvicorn", "--factory", app, "--host", "127.0.0.1", "--port", str(port)]
    if name == "uvicorn-starlette-routes":
        app = "tests.sdk.apps:make_routes_app"
        return [py, "-m", "uvicorn", "--factory", app, "--host", "127.0.0.1", "--port", str(port)]
    if name == "gunicorn-flask":
        return [
            py, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1", "-k", "gthread", "--threads", "16",
            "tests.sdk.apps:make_flask_app()",
        ]  # fmt: skip
    kind = "flask" if name == "wsgiref-flask" else "django"
    return [py, "-m", "tests.sdk.serve", kind, str(port)]


def _environment(secrets_: Secrets, record: Path, base_url: str) -> dict[str, str]:
    return {
        apps.ENV_NEW: secrets_.new,
        apps.ENV_OLD: secrets_.old,
        apps.ENV_RECORD: str(record),
        apps.ENV_BASE: base_url,
        ENV_VERCEL: secrets_.vercel,
    }


@contextlib.contextmanager
def _django_client(secrets_: Secrets, record: Path) -> Iterator[Served]:
    # In-process: the handlers read the record path from the environment on every call.
    saved = dict(os.environ)
    os.environ.update(_environment(secrets_, record, "http://testserver"))
    from tests.sdk import django_app

    django_app.configure()
    from django.test import Client

    def send(method: str, target: str, body: bytes, headers: dict[str, str]) -> Reply:
        extra = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        ctype = headers.get("Content-Type", "application/octet-stream")
        resp = Client().generic(method, target, data=body, content_type=ctype, headers=extra)
        return Reply(resp.status_code, resp.content, {k.lower(): v for k, v in resp.items()})

    try:
        yield Served("django-test-client", "http://testserver", send, record)
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="session")
def served(
    request: pytest.FixtureRequest, sdk_secrets: Secrets, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    name: str = request.param
    workdir = tmp_path_factory.mktemp(name)
    record = workdir / "record.jsonl"
    if name == "django-test-client":
        with _django_client(sdk_secrets, record) as app:
            yield app
        return
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(REPO), **_environment(sdk_secrets, record, base_url)}
    env["HOME"] = str(workdir)  # gunicorn creates ~/.gunicorn: never the real home
    log = workdir / "server.log"
    with running(_argv(name, port), ready=lambda: http_ok(port, "/hello"), log=log, env=env, timeout=30):
        yield Served(name, base_url, http_sender(base_url), record, log)


class Fire:
    """Cron traffic for one served app.

    ``fire()`` sends one request, signed with ``secret`` (default: the NEW one) unless
    ``signed=False``; the ``sign_*``
    arguments let a test sign something other than what is sent (tampering).
    ``trigger()`` fires like the trigger shim, retries included.
    """

    def __init__(self, served: Served, secrets_: Secrets) -> None:
        self.served = served
        self.secrets = secrets_

    def fire(
        self,
        target: str,
        *,
        method: str = "POST",
        body: bytes = b"",
        signed: bool = True,
        secret: str | None = None,
        run_id: str | None = None,
        attempt: int = 1,
        timestamp: int | None = None,
        sign_method: str | None = None,
        sign_target: str | None = None,
        sign_body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        key = (secret or self.secrets.new) if signed else None
        sent = cron_headers(
            key,
            sign_method or method,
            sign_target or target,
            body if sign_body is None else sign_body,
            run_id=run_id or new_run_id(),
            attempt=attempt,
            timestamp=timestamp,
        )
        return self.served.send(method, target, body, {**sent, **(headers or {})})

    def trigger(self, target: str, *, method: str = "POST", body: bytes = b"", run_id: str) -> list[Reply]:
        """The independent signer's emulation of the shim (one reply per attempt)."""
        return shim_fire(self.served.send, target, self.secrets.new, method=method, body=body, run_id=run_id)

    def real_trigger(self, tmp: Path, job: str, *, body: str = "") -> tuple[int, list[dict[str, Any]]]:
        """Fire ``job`` with the real ``cronix trigger`` process: ``(exit code, its JSON log lines)``."""
        if self.served.name == "django-test-client":
            pytest.skip("Django's test client has no network endpoint; wsgiref-django serves the real shim")
        from cronix.protocol.manifest import load_manifest_object
        from cronix.protocol.specfile import render_spec_file

        raw = {
            "name": job,
            "schedule": "@hourly",
            "request": {"url": f"{self.served.base_url}/api/v1/scheduled/{job}", "body": body},
            "policy": {"retries": {"max_attempts": 3, "min_seconds": 0}},
        }
        spec = load_manifest_object({"version": 1, "app": "sdk-test", "jobs": [raw]}).jobs[0]
        (tmp / "jobs").mkdir(exist_ok=True)
        (tmp / "jobs" / f"sdk-test.{job}.json").write_text(
            render_spec_file("sdk-test", spec, ["env:SDK_TEST_SECRET"])
        )
        done = subprocess.run(
            [str(Path(sys.executable).with_name("cronix")), "trigger", f"sdk-test.{job}",
             "--spec-dir", str(tmp / "jobs"), "--lock-dir", str(tmp / "locks"),
             "--run-log", str(tmp / "runs.jsonl"), "--state-dir", str(tmp / "state")],
            capture_output=True, text=True, timeout=120, check=False,
            env={**os.environ, "SDK_TEST_SECRET": self.secrets.new},
        )  # fmt: skip
        return done.returncode, [
            json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")
        ]


def new_run_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def fire(served: Served, sdk_secrets: Secrets) -> Fire:
    return Fire(served, sdk_secrets)


@pytest.fixture
def run_id() -> str:
    return new_run_id()


def parametrize_servers(names: list[str]) -> Callable[[Any], Any]:
    return pytest.mark.parametrize("served", names, indirect=True, scope="session")
