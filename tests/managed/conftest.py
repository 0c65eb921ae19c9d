"""Real processes for the managed-jwt tests: the reference service, the app servers, the plugin.

* :func:`service` — ``cronix-managed-ref`` on a free port, state under tmp, its API token
  in the environment only;
* :func:`app_server` — :mod:`tests.managed.apps` under uvicorn (ASGI) or gunicorn (WSGI),
  two worker processes each, so claims must be shared (Redis) to hold;
* :class:`Operator` — ``cronix`` (apply/plan/drift) with ``--backend managed``: the
  ``cronix-backend-managed`` plugin copied into a private, pinned plugin directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis as redis_py

from cronix.sdk import ManagedScheduler
from tests.support.procs import free_port, running, wait_until
from tests.support.redis_server import RedisServer

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REF = BIN / "cronix-managed-ref"
PLUGIN = BIN / "cronix-backend-managed"


@dataclass
class Service:
    url: str
    token: str
    state: Path
    log: Path
    proc: subprocess.Popen[bytes]

    @property
    def client(self) -> ManagedScheduler:
        return ManagedScheduler(self.url, token=self.token)

    def call(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        """A raw API call (run now, redeliver, pause: things the client library does not offer)."""
        parts = urllib.parse.urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read() or b"null")
        finally:
            conn.close()

    def fire(self, fire_id: str) -> dict[str, Any] | None:
        app, _, rest = fire_id.partition(".")
        job = rest.partition("#")[0]
        return next(
            (
                f
                for f in self.call("GET", f"/v1/fires?app={app}&job={job}&limit=1000")[1]["fires"]
                if f["fire_id"] == fire_id
            ),
            None,
        )

    def wait_delivered(self, fire_id: str, timeout: float = 30) -> dict[str, Any]:
        wait_until(lambda: (self.fire(fire_id) or {}).get("status") in ("delivered", "failed"), timeout, 0.1)
        found = self.fire(fire_id)
        assert found is not None
        return found


@contextlib.contextmanager
def service(tmp: Path, *extra: str) -> Iterator[Service]:
    """A running ``cronix-managed-ref`` (pass ``--duplicate-deliveries 8`` etc. in ``extra``)."""
    tmp.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    log = tmp / "service.log"
    env = {**os.environ, "CRONIX_MANAGED_REF_TOKEN": token}
    argv = [str(REF), "--state", str(tmp / "state.json"), "--listen", "127.0.0.1:0", *extra]

    def ready() -> bool:
        return "listening on" in log.read_text(errors="replace")

    with running(argv, ready=ready, log=log, env=env) as proc:
        line = next(x for x in log.read_text().splitlines() if "listening on" in x)
        yield Service(line.split()[-1], token, tmp / "state.json", log, proc)


@dataclass
class App:
    base_url: str
    env: dict[str, str]
    kind: str
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    redis: redis_py.Redis = field(init=False)

    def __post_init__(self) -> None:
        self.redis = redis_py.Redis.from_url(self.env["REDIS_URL"])

    def count(self, what: str, fire_id: str) -> int:
        return int(self.redis.get(f"{what}:{fire_id}") or 0)


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=0.5)
        try:
            conn.request("GET", "/ready")
            return conn.getresponse().status > 0
        finally:
            conn.close()
    except OSError:
        return False


def _argv(kind: str, port: int) -> list[str]:
    py = sys.executable
    if kind == "uvicorn":
        return [
            py,
            "-m",
            "uvicorn",
            "--factory",
            "tests.managed.apps:make_asgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--no-access-log",
        ]
    return [
        py,
        "-m",
        "gunicorn",
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        "2",
        "-k",
        "gthread",
        "--threads",
        "16",
        "--timeout",
        "60",
        "tests.managed.apps:make_wsgi()",
    ]


@contextlib.contextmanager
def app_server(
    kind: str, tmp: Path, svc: Service, redis: RedisServer, *, port: int | None = None, **env: str
) -> Iterator[App]:
    """The test app under ``kind`` (uvicorn or gunicorn), two workers, until the block ends."""
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    full = {
        "PYTHONPATH": str(REPO),
        "MANAGED_URL": svc.url,
        "REDIS_URL": redis.url,
        "APP_BASE_URL": base,
        "APP_ID": env.pop("APP_ID", f"shop-{secrets.token_hex(3)}"),
        "HOME": str(tmp),  # gunicorn creates ~/.gunicorn: never the real home
        **env,
    }
    log = tmp / f"{kind}-{port}.log"
    with running(
        _argv(kind, port), ready=lambda: _answers(port), log=log, env={**os.environ, **full}, timeout=30
    ) as proc:
        yield App(base, full, kind, log, proc)


def sha256_pin(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Operator:
    """``cronix`` as an operator runs it against the service, through the real plugin."""

    tmp: Path
    svc: Service
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        plugins = self.tmp / "plugins"
        plugins.mkdir(mode=0o755, parents=True, exist_ok=True)
        shutil.copy2(PLUGIN, plugins / PLUGIN.name)
        (plugins / PLUGIN.name).chmod(0o755)
        config = {
            "backend": "managed",
            "plugins": {"dirs": [str(plugins)], "pins": {"managed": sha256_pin(plugins / PLUGIN.name)}},
        }
        self.config = self.tmp / "cronix.yaml"
        self.config.write_text(json.dumps(config))

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "CRONIX_PLUGIN_MANAGED_TOKEN": self.svc.token, **self.env}
        argv = [
            str(BIN / "cronix"),
            *args,
            "--config",
            str(self.config),
            "--backend-config",
            f"url={self.svc.url}",
        ]
        return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout, check=False)


def wait_for(predicate: Any, timeout: float = 30) -> None:
    wait_until(predicate, timeout, 0.05)


@pytest.fixture
def now() -> int:
    return int(time.time())
