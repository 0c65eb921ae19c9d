"""Opt-in tier: the kubernetes backend against a real cluster — conformance and a real fire.

Skipped unless ``CRONIX_E2E_KUBECONFIG`` names a kubeconfig whose user may create and
delete namespaces (the tests work in a fresh ``cronix-e2e-<random>`` namespace and delete
it). The image the CronJobs run is ``CRONIX_E2E_IMAGE`` (default ``cronix:e2e``), built
from this repository's Dockerfile and loaded into the cluster. With kind::

    kind create cluster --name cronix
    docker build -t cronix:e2e . && kind load docker-image cronix:e2e --name cronix
    kind get kubeconfig --name cronix > /tmp/kind-cronix
    CRONIX_E2E_KUBECONFIG=/tmp/kind-cronix .venv/bin/python -m pytest tests/kubernetes/test_cluster.py -m cluster

With k3s: ``docker build -t cronix:e2e . && docker save cronix:e2e | sudo k3s ctr images import -``,
then ``CRONIX_E2E_KUBECONFIG=/etc/rancher/k3s/k3s.yaml`` (readable by the test's user).
The image must not be pulled (``imagePullPolicy: Never`` is set for ``cronix:e2e``).

The fire: an app built with the cronix SDK runs in the cluster (a Pod and a Service using
the same image), the backend applies a job whose URL is that Service, the test starts a
run from the CronJob's job template (what ``kubectl create job --from=cronjob/…`` does),
and then checks the app verified the signed request and ``history`` shows the run with
its pod and node.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cronix.backends.base import HistoryQuery, HostContext
from cronix.backends.kubernetes import KubernetesBackend
from cronix.backends.registry import require_type
from cronix.reconcile import reconcile
from tests.kubernetes.conftest import job_doc, manifest
from tests.support.cli import run_cronix

KUBECONFIG = os.environ.get("CRONIX_E2E_KUBECONFIG", "")
IMAGE = os.environ.get("CRONIX_E2E_IMAGE", "cronix:e2e")
SECRET = secrets.token_hex(16)

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.slow,
    pytest.mark.skipif(
        not KUBECONFIG, reason="needs a real cluster: set CRONIX_E2E_KUBECONFIG (see this module's docstring)"
    ),
]

APP = """
import os
from wsgiref.simple_server import make_server
from cronix.sdk import Cron
from cronix.sdk.wsgi import CronWSGI

cron = Cron(app="e2e", base_url="http://cronix-e2e-app:8080", secret=os.environ["CRON_SECRET"])

@cron.job("ping", schedule="0 0 1 1 *")
def ping(ctx):
    print("FIRED", ctx.run_id, flush=True)

make_server("0.0.0.0", 8080, CronWSGI(cron=cron)).serve_forever()
"""


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[Any, str]]:
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=KUBECONFIG, persist_config=False)
    namespace = f"cronix-e2e-{secrets.token_hex(3)}"
    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": namespace}})
    try:
        core.create_namespaced_secret(
            namespace, {"metadata": {"name": "cronix-secret"}, "stringData": {"secret": SECRET}}
        )
        yield api, namespace
    finally:
        core.delete_namespace(namespace)
        api.close()


def _options(namespace: str) -> dict[str, Any]:
    pull = {"image_pull_policy": "Never"} if IMAGE == "cronix:e2e" else {}
    return {"kubeconfig": KUBECONFIG, "namespace": namespace, "image": IMAGE, **pull}


def test_conformance_on_a_real_cluster(cluster: tuple[Any, str], tmp_path: Path) -> None:
    _, namespace = cluster
    pairs = [a for k, v in _options(namespace).items() for a in ("--backend-config", f"{k}={v}")]
    proc = run_cronix(
        "conformance", "backend", "--backend", "kubernetes", *pairs, env={"HOME": str(tmp_path)}, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 failed" in proc.stdout


def _wait(what: str, done: Any, timeout: float = 180) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = done()
        if result:
            return result
        time.sleep(2)
    raise TimeoutError(f"{what} did not happen within {timeout} s")


def test_a_real_fire_reaches_the_app_and_shows_in_history(cluster: tuple[Any, str]) -> None:
    from kubernetes import client

    api, namespace = cluster
    core, batch = client.CoreV1Api(api), client.BatchV1Api(api)
    container = {
        "name": "app",
        "image": IMAGE,
        "command": ["python", "-c", APP],
        "env": [
            {"name": "CRON_SECRET", "valueFrom": {"secretKeyRef": {"name": "cronix-secret", "key": "secret"}}}
        ],
        "ports": [{"containerPort": 8080}],
        **({"imagePullPolicy": "Never"} if IMAGE == "cronix:e2e" else {}),
    }
    labels = {"app": "cronix-e2e-app"}
    core.create_namespaced_pod(
        namespace,
        {"metadata": {"name": "cronix-e2e-app", "labels": labels}, "spec": {"containers": [container]}},
    )
    core.create_namespaced_service(
        namespace,
        {"metadata": {"name": "cronix-e2e-app"}, "spec": {"selector": labels, "ports": [{"port": 8080}]}},
    )
    _wait(
        "the app pod running",
        lambda: core.read_namespaced_pod("cronix-e2e-app", namespace).status.phase == "Running",
    )

    backend = require_type("kubernetes").open(_options(namespace), HostContext())
    assert isinstance(backend, KubernetesBackend)
    url = f"http://cronix-e2e-app.{namespace}.svc:8080/api/v1/scheduled/ping"
    outcome = reconcile(manifest("e2e", job_doc("ping", "0 0 1 1 *", request={"url": url})), backend)
    assert outcome.result is not None
    assert outcome.result.created == ["ping"]

    cron = backend.api.get("cronjobs", "cronix-e2e-ping-0")
    assert cron is not None
    run = {"metadata": {"name": "cronix-e2e-ping-0-manual", "labels": cron["spec"]["jobTemplate"]["metadata"]["labels"]},
           "spec": cron["spec"]["jobTemplate"]["spec"]}  # fmt: skip
    batch.create_namespaced_job(namespace, run)

    def finished() -> bool:
        status = json.loads(
            batch.read_namespaced_job("cronix-e2e-ping-0-manual", namespace, _preload_content=False).data
        )["status"]
        return bool(status.get("succeeded") or status.get("failed"))

    _wait("the run to finish", finished)
    app_log = core.read_namespaced_pod_log("cronix-e2e-app", namespace)
    assert "FIRED" in app_log, app_log
    runs = backend.history(HistoryQuery("e2e", "ping"))
    assert [r.status for r in runs] == ["ok"], runs
    assert runs[0].run_id in app_log
    assert runs[0].pod.startswith("cronix-e2e-ping-0-manual-")
    assert runs[0].node
    backend.close()
