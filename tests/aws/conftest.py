"""AWS test fixtures: one real ``moto_server`` process for the session, reset before every test.

boto3 talks to it over HTTP on loopback (never in-process patching), with fake credentials
and every AWS setting pointed into the test's temporary directory, so nothing here can
reach a real account or read the operator's ``~/.aws``.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.procs import free_port, running

MOTO_SERVER = str(Path(sys.executable).with_name("moto_server"))
REGION = "us-east-1"
ACCOUNT = "123456789012"
TARGET_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:cronix-trigger"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/cronix-scheduler"


@dataclass
class Moto:
    url: str

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200

    def client(self, service: str) -> Any:
        import boto3

        return boto3.session.Session(region_name=REGION).client(service, endpoint_url=self.url)

    def options(self, **overrides: Any) -> dict[str, Any]:
        """``backends.aws-scheduler`` options pointing at this server."""
        return {"endpoint_url": self.url, "target_arn": TARGET_ARN, "role_arn": ROLE_ARN, **overrides}

    def config_file(self, path: Path, **overrides: Any) -> Path:
        """A cronix.yaml whose default backend is aws-scheduler on this server (JSON is YAML)."""
        path.write_text(
            json.dumps({"backend": "aws-scheduler", "backends": {"aws-scheduler": self.options(**overrides)}})
        )
        return path


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    home = tmp_path_factory.mktemp("moto")
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "LANG": "C.UTF-8"}
    # moto's request recorder (tests/aws/test_run_now.py) writes here, not into the cwd.
    env["MOTO_RECORDER_FILEPATH"] = str(home / "moto_recording")
    argv = [MOTO_SERVER, "-H", "127.0.0.1", "-p", str(port)]
    with running(argv, ready=lambda: _listening(port), log=home / "moto.log", env=env, timeout=30):
        yield Moto(f"http://127.0.0.1:{port}")


@pytest.fixture
def aws(moto_server: Moto, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Moto:
    """The session's moto server, emptied, with boto3 pointed at it through the environment."""
    moto_server.reset()
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    from cronix.secrets.aws import clear_cache

    clear_cache()
    return moto_server


class Calls:
    """Every API operation a boto3 client sends (one per call; retries are counted in ``sends``)."""

    def __init__(self, client: Any) -> None:
        self.ops: list[str] = []
        self.sends = 0
        client.meta.events.register("before-call", self._call)
        client.meta.events.register("before-send", self._send)

    def _call(self, model: Any, **_: Any) -> None:
        self.ops.append(model.name)

    def _send(self, **_: Any) -> None:
        self.sends += 1

    def count(self, *names: str) -> int:
        return sum(1 for op in self.ops if op in names)

    @property
    def writes(self) -> list[str]:
        return [op for op in self.ops if op.startswith(("Create", "Update", "Delete", "Tag", "Untag"))]

    def clear(self) -> None:
        self.ops.clear()
        self.sends = 0


# The SDK app fixture (``app``) lives with the app it serves; a conftest makes it visible here.
from tests.aws.lambda_app import app  # noqa: E402

__all__ = ["Calls", "Moto", "app"]
