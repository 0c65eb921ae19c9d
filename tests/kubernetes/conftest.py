"""Fixtures for the kubernetes backend: a real kmock API emulator process and backends opened on it.

One kmock process serves each test module (each test works in a namespace of its own,
which kmock keeps apart; kmock scans everything it stores and every request it logged on
each request, so a process that lives for the whole session gets slower and slower);
tests that need resourceVersion semantics use a second process
started with ``--resource-versions`` (see :mod:`tests.support.kmock_server` for what kmock
does and does not model). Backends are opened the way the CLI opens them: through the
registry, with a real kubeconfig file pointing at the emulator.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cronix.backends.base import HostContext
from cronix.backends.kubernetes import KubernetesBackend
from cronix.backends.registry import require_type
from cronix.protocol.manifest import Manifest, load_manifest_object
from tests.support.kmock_server import KmockServer, kmock_server

IMAGE = "registry.example.com/cronix:test"
_namespaces = itertools.count()


@pytest.fixture(scope="module")
def kmock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KmockServer]:
    with kmock_server(tmp_path_factory.mktemp("kmock")) as server:
        yield server


@pytest.fixture
def fresh_kmock(tmp_path: Path) -> Iterator[KmockServer]:
    """A kmock process of the test's own, for tests that make hundreds of requests."""
    with kmock_server(tmp_path / "kmock") as server:
        yield server


@pytest.fixture(scope="module")
def kmock_rv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KmockServer]:
    """kmock that assigns and enforces resourceVersion (``--resource-versions``)."""
    with kmock_server(tmp_path_factory.mktemp("kmock-rv"), resource_versions=True) as server:
        yield server


@pytest.fixture
def namespace(request: pytest.FixtureRequest) -> str:
    return f"t{next(_namespaces)}-{request.node.name[:40].lower().replace('_', '-').strip('-')}"[:63].rstrip(
        "-"
    )


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client reads ~/.kube/config and $KUBECONFIG: neither may be the developer's."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)


def open_k8s(server: KmockServer, namespace: str, **options: Any) -> KubernetesBackend:
    """A kubernetes backend opened through the registry, as ``--backend kubernetes`` does."""
    settings = {"kubeconfig": str(server.kubeconfig), "namespace": namespace, "image": IMAGE, **options}
    backend = require_type("kubernetes").open(settings, HostContext(trigger_bin="/usr/local/bin/cronix"))
    assert isinstance(backend, KubernetesBackend)
    return backend


@pytest.fixture
def backend(kmock: KmockServer, namespace: str) -> Iterator[KubernetesBackend]:
    opened = open_k8s(kmock, namespace)
    yield opened
    opened.close()


def job_doc(name: str, *schedules: str, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": name,
        "schedules": list(schedules) or ["0 * * * *"],
        "request": {"url": f"https://billing.example.com/api/v1/scheduled/{name}"},
    }
    doc.update(extra)
    return doc


def manifest(app: str, *jobs: dict[str, Any]) -> Manifest:
    """A validated manifest; with no jobs, the empty desired state (what deletes everything)."""
    if not jobs:
        return Manifest(app, ())
    return load_manifest_object({"version": 1, "app": app, "jobs": list(jobs)})


def manifest_file(path: Path, app: str, *jobs: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"version": 1, "app": app, "jobs": list(jobs)}))
    return path


def writes(requests: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    """The requests that change stored objects: (method, resource, name)."""
    return [
        (r["method"], r["resource"], r["name"])
        for r in requests
        if r["method"] in ("POST", "PUT", "PATCH", "DELETE") and r["resource"] != "selfsubjectaccessreviews"
    ]
