"""``cronix run`` on Kubernetes: a real ``cronix`` process creates a Job from the CronJob in kmock.

kmock has no CronJob controller or kubelet (``tests/support/kmock_server.py``), so the test
then does what the kubelet would: it runs the Job's container — its command, arguments and
environment, the ConfigMap as the spec directory — as a real ``cronix trigger`` against a
real verifying app, proving the pod fires the backfilled occurrence and records it as manual.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from cronix.backends.kubernetes_objects import RUN_DIR, SPEC_DIR
from cronix.backends.kubernetes_runnow import manual_job_name
from cronix.protocol.fireid import parse_utc
from tests.kubernetes.conftest import job_doc, manifest_file, open_k8s
from tests.kubernetes.test_cli import SECRET, cli, config
from tests.support.cli import assert_one_line_error
from tests.support.kmock_server import KmockServer
from tests.trigger.app_server import AppServer

AT = "2026-11-30T06:30:00Z"  # a Monday: an occurrence of "30 6 * * 1"
UID = "5d3f7c1e-0b6a-4a53-9d0e-2c1f6b7a8e90"


def _run_the_job(tmp: Path, spec: dict[str, Any], job: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """The kubelet's part: the Job's container, run here with its own environment."""
    spec_dir = tmp / SPEC_DIR.lstrip("/")
    spec_dir.mkdir(parents=True)
    for key, text in spec["data"].items():
        (spec_dir / key).write_text(text)
    container = job["spec"]["template"]["spec"]["containers"][0]
    argv = [*container["command"], *container["args"]]
    argv = [a.replace(SPEC_DIR, str(spec_dir)).replace(RUN_DIR, str(tmp / "run")) for a in argv]
    argv[0] = str(Path(sys.executable).with_name("cronix"))
    env = {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
    env.update(HOME=str(tmp), CRONIX_SECRET=SECRET, PATH="/usr/bin:/bin")
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_run_creates_a_job_from_the_cron_job_like_kubectl(
    kmock: KmockServer, namespace: str, tmp_path: Path
) -> None:
    cfg = config(tmp_path, kmock, namespace)
    with AppServer([SECRET]) as app:
        m = manifest_file(
            tmp_path / "m.json", "billing", job_doc("report", "30 6 * * 1", request={"url": app.url()})
        )
        assert cli(cfg, "apply", "--manifest", str(m)).returncode == 0
        api = open_k8s(kmock, namespace).api
        # kmock assigns no uid; a real API server does, and an owner reference needs it.
        no_uid = cli(cfg, "run", "billing.report", "--at", AT)
        assert_one_line_error(no_uid, 3, "has no uid")
        api.patch(
            "cronjobs", "cronix-billing-report-0", [{"op": "add", "path": "/metadata/uid", "value": UID}]
        )
        proc = cli(cfg, "run", "billing.report", "--at", AT, "-o", "json")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        name = manual_job_name("cronix-billing-report-0", parse_utc(AT))
        assert (result["via"], result["outcome"], result["reference"]) == ("backend", "started", name)
        assert result["fire_id"] == f"billing.report#0@{AT}"
        cron = api.get("cronjobs", "cronix-billing-report-0")
        job = api.get("jobs", name)
        assert cron is not None and job is not None
        template = cron["spec"]["jobTemplate"]
        meta = job["metadata"]
        assert meta["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
        assert meta["labels"] == template["metadata"]["labels"]
        assert meta["ownerReferences"] == [
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "name": "cronix-billing-report-0",
                "uid": UID,
                "controller": True,
            }
        ]
        # The spec is the template's, with the occurrence and the manual mark in the environment.
        containers = job["spec"]["template"]["spec"]["containers"]
        assert [{k: v for k, v in c.items() if k != "env"} for c in containers] == [
            {k: v for k, v in c.items() if k != "env"}
            for c in template["spec"]["template"]["spec"]["containers"]
        ]
        env = {e["name"]: e.get("value") for e in containers[0]["env"]}
        assert (env["CRONIX_FIRE_TIME"], env["CRONIX_MANUAL_RUN"]) == (str(parse_utc(AT)), "1")
        # The pod fires that occurrence, recorded as manual.
        spec = api.get("configmaps", "cronix-billing-report-0-spec")
        assert spec is not None
        pod = _run_the_job(tmp_path / "pod", spec, job)
        assert pod.returncode == 0, pod.stdout + pod.stderr
        assert [r.verdict for r in app.requests] == ["ok"]
        assert app.requests[0].header("X-Cron-Fire-Id") == f"billing.report#0@{AT}"
        (line,) = [json.loads(x) for x in pod.stdout.splitlines() if x.startswith("{")]
        assert (line["msg"], line["trigger"]) == ("trigger: success", "manual")
    # The same occurrence again: the API server refuses a second Job of that name.
    again = cli(cfg, "run", "billing.report", "--at", AT)
    assert_one_line_error(again, 3, f"job {name}", "exists already", f"billing.report#0@{AT} was started")
    # Not installed: a clear error, nothing created.
    missing = cli(cfg, "run", "billing.nope")
    assert_one_line_error(missing, 1, "billing.nope is not installed on kubernetes")
