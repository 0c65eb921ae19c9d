"""Every reconciler command on ``--backend kubernetes``: the real ``cronix`` process, a real kmock process.

The backend is configured the way an operator does it, in ``backends.kubernetes`` of a
cronix.yaml. kmock's gaps (``tests/support/kmock_server.py``): no authorization (access
reviews are answered from a deny list the test sets through kmock's DSL), no controllers
or kubelet (the Jobs, Pods and Events of past runs are created by the test as the
CronJob controller and the kubelet would, and the pod's log is the stdout of a real
``cronix trigger`` run with the CronJob's own arguments against the ConfigMap's spec).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cronix.backends.kubernetes_objects import RUN_DIR, SPEC_DIR
from cronix.backends.kubernetes_seeder import cron_job
from tests.kubernetes.conftest import IMAGE, job_doc, manifest_file, open_k8s
from tests.support.cli import assert_one_line_error, run_cronix
from tests.support.kmock_server import KmockServer, write_kubeconfig
from tests.trigger.app_server import AppServer

SECRET = "k8s-hmac-secret-for-tests"


def config(tmp: Path, server: KmockServer, namespace: str, **extra: Any) -> Path:
    options = {"kubeconfig": str(server.kubeconfig), "namespace": namespace, "image": IMAGE, **extra}
    path = tmp / "cronix.yaml"
    path.write_text(json.dumps({"backend": "kubernetes", "backends": {"kubernetes": options}}))
    return path


def cli(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cronix(*args, "--config", str(cfg), env={"HOME": str(cfg.parent)})


@pytest.mark.slow
def test_the_reconciler_commands(kmock: KmockServer, namespace: str, tmp_path: Path) -> None:
    cfg = config(tmp_path, kmock, namespace)
    m = manifest_file(
        tmp_path / "m.json", "billing", job_doc("ping", "0 * * * *"), job_doc("report", "30 6 * * 1")
    )
    spec_dir = tmp_path / "jobs"
    plan = cli(cfg, "plan", "--manifest", str(m), "-o", "json")
    assert plan.returncode == 0, plan.stderr
    assert [op["action"] for op in json.loads(plan.stdout)["ops"]] == ["create", "create"]
    applied = cli(
        cfg, "apply", "--manifest", str(m), "--spec-dir", str(spec_dir), "--secret-ref", "raw:do-not-leak"
    )
    assert applied.returncode == 0, applied.stderr
    assert not spec_dir.exists()  # the spec lives in the ConfigMaps, not on this host
    everything = json.dumps(open_k8s(kmock, namespace).api.items("cronjobs"))
    everything += json.dumps(open_k8s(kmock, namespace).api.items("configmaps"))
    assert "do-not-leak" not in everything
    again = cli(cfg, "apply", "--manifest", str(m))
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("Apply: noop"), again.stdout

    listed = json.loads(cli(cfg, "list", "-o", "json").stdout)
    assert listed["backend"] == "kubernetes"
    assert sorted((e["app"], e["job"], e["index"]) for e in listed["entries"]) == [
        ("billing", "ping", 0),
        ("billing", "report", 0),
    ]
    shown = json.loads(cli(cfg, "show", "billing.ping", "-o", "json").stdout)
    assert shown["in_sync"] is True  # judged against the job the ConfigMap records
    assert shown["entries"][0]["raw"].startswith('cronjob/cronix-billing-ping-0 "0 * * * *" UTC')
    audit = cli(cfg, "verify-ownership", "-o", "json")
    assert audit.returncode == 0, audit.stdout + audit.stderr

    # A hand edit of the image: drift for the planner, the audit and global-status.
    open_k8s(kmock, namespace).api.patch(
        "cronjobs",
        "cronix-billing-ping-0",
        [
            {
                "op": "replace",
                "path": "/spec/jobTemplate/spec/template/spec/containers/0/image",
                "value": "x:y",
            }
        ],
    )
    drift = cli(cfg, "drift", "--manifest", str(m), "--exit-on-drift")
    assert drift.returncode == 5, drift.stdout + drift.stderr
    assert cli(cfg, "verify-ownership").returncode == 5
    drifted = cli(cfg, "global-status", "-o", "json")
    assert drifted.returncode == 5, drifted.stderr
    status = json.loads(drifted.stdout)["backends"]
    assert [(r["name"], r["owned"], r["in_sync"], r["drifted"]) for r in status] == [("kubernetes", 2, 1, 1)]

    pruned = cli(cfg, "prune", "--yes", "-o", "json")
    assert pruned.returncode == 0, pruned.stderr
    assert json.loads(pruned.stdout)["pruned"] == 2
    assert open_k8s(kmock, namespace).api.items("cronjobs") == []
    assert open_k8s(kmock, namespace).api.items("configmaps") == []


def test_adopt_takes_over_a_cron_job_made_by_hand(kmock: KmockServer, namespace: str, tmp_path: Path) -> None:
    cfg = config(tmp_path, kmock, namespace)
    m = manifest_file(tmp_path / "m.json", "billing", job_doc("ping", "0 9 * * 1-5"))
    api = open_k8s(kmock, namespace).api
    api.create(
        "cronjobs", cron_job("ping-by-hand", "0 9 * * MON-FRI", ["cronix", "trigger", "billing.ping"], IMAGE)
    )
    api.create("cronjobs", cron_job("backup", "0 3 * * *", ["backup"], "backup:1"))
    dry = cli(cfg, "adopt", "billing.ping", "--manifest", str(m), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("WOULD-ADOPT      billing.ping  (1 entry")
    adopted = cli(cfg, "adopt", "billing.ping", "--manifest", str(m))
    assert adopted.returncode == 0, adopted.stderr
    assert adopted.stdout.startswith("ADOPTED          billing.ping  (1 entry now under management)")
    names = sorted(o["metadata"]["name"] for o in api.items("cronjobs"))
    assert names == ["backup", "cronix-billing-ping-0"]
    ops = json.loads(cli(cfg, "plan", "--manifest", str(m), "-o", "json").stdout)["ops"]
    assert [op["action"] for op in ops] == ["skip"]
    again = cli(cfg, "adopt", "billing.ping", "--manifest", str(m))
    assert again.stdout.startswith("ALREADY-MANAGED")
    other = manifest_file(tmp_path / "o.json", "billing", job_doc("pong", "0 9 * * 1-5"))
    assert cli(cfg, "adopt", "billing.pong", "--manifest", str(other)).returncode == 7


def _run_the_pod(tmp: Path, spec: dict[str, Any], cron: dict[str, Any], app: AppServer) -> str:
    """What the pod does: the CronJob's command and args, the ConfigMap as the spec directory,
    the Secret as CRONIX_SECRET — run here, for real, against a real app; its stdout is the log."""
    spec_dir = tmp / SPEC_DIR.lstrip("/")
    spec_dir.mkdir(parents=True)
    for key, text in spec["data"].items():
        (spec_dir / key).write_text(text)
    container = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    argv = [*container["command"], *container["args"]]
    argv = [a.replace(SPEC_DIR, str(spec_dir)).replace(RUN_DIR, str(tmp / "run")) for a in argv]
    argv[0] = str(Path(sys.executable).with_name("cronix"))
    env = {"HOME": str(tmp), "CRONIX_SECRET": SECRET, "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_history_shows_each_run_with_its_pod_and_node(
    kmock: KmockServer, namespace: str, tmp_path: Path
) -> None:
    cfg = config(tmp_path, kmock, namespace)
    with AppServer([SECRET]) as app:
        m = manifest_file(tmp_path / "m.json", "billing", job_doc("ping", request={"url": app.url()}))
        assert cli(cfg, "apply", "--manifest", str(m)).returncode == 0
        api = open_k8s(kmock, namespace).api
        cron = api.get("cronjobs", "cronix-billing-ping-0")
        spec = api.get("configmaps", "cronix-billing-ping-0-spec")
        assert cron is not None
        assert spec is not None
        log = _run_the_pod(tmp_path / "pod", spec, cron, app)
        assert [r.verdict for r in app.requests] == ["ok"]
    run_id = app.requests[0].header("X-Cron-Run-Id")
    template = cron["spec"]["jobTemplate"]
    # What the CronJob controller and the kubelet leave behind: two runs, one that never started.
    now = datetime.now(UTC)
    stamp = lambda minutes: (now + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    for job_name, node, ok in (
        ("cronix-billing-ping-0-29400000", "node-a", False),
        ("cronix-billing-ping-0-29400060", "node-b", True),
    ):
        status: dict[str, Any] = {"startTime": stamp(-1) if ok else stamp(-61)}
        if ok:
            status.update(completionTime=stamp(0), conditions=[{"type": "Complete", "status": "True"}])
        else:
            status["conditions"] = [
                {
                    "type": "Failed",
                    "status": "True",
                    "reason": "DeadlineExceeded",
                    "lastTransitionTime": stamp(-55),
                }
            ]
        api.create("jobs", {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": job_name, "labels": template["metadata"]["labels"]}, "spec": template["spec"], "status": status})  # fmt: skip
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": f"{job_name}-x7k2p",
                "labels": {**template["spec"]["template"]["metadata"]["labels"], "batch.kubernetes.io/job-name": job_name},
                "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": job_name, "uid": "u"}],
            },
            "spec": {**template["spec"]["template"]["spec"], "nodeName": node},
            "status": {"phase": "Succeeded", "startTime": status["startTime"]}
            if ok
            else {
                "phase": "Pending",
                "containerStatuses": [
                    {
                        "name": "cronix", "image": IMAGE, "imageID": "", "ready": False, "restartCount": 0,
                        "state": {"waiting": {"reason": "CreateContainerConfigError", "message": 'secret "cronix-secret" not found'}},
                    }
                ],
            },
        }  # fmt: skip
        api.create("pods", pod)
        if ok:
            kmock.pod_log(namespace, pod["metadata"]["name"], log)
    history = cli(
        cfg,
        "history",
        "billing.ping",
        "--backend",
        "kubernetes",
        "--run-log",
        "",
        "--no-journald",
        "-o",
        "json",
    )
    assert history.returncode == 0, history.stderr
    entries = json.loads(history.stdout)["entries"]
    # Oldest first: the run that never started an hour ago, then the fire just made.
    assert [(e["run_id"], e["status"], e["source"], e["pod"], e["node"]) for e in entries] == [
        (
            "cronix-billing-ping-0-29400000",
            "failed",
            "k8s-job",
            "cronix-billing-ping-0-29400000-x7k2p",
            "node-a",
        ),
        (run_id, "ok", "k8s-pod-log", "cronix-billing-ping-0-29400060-x7k2p", "node-b"),
    ]
    assert entries[0]["detail"] == 'CreateContainerConfigError: secret "cronix-secret" not found'
    assert entries[1]["attempt"] == 1
    table = cli(cfg, "history", "billing.ping", "--backend", "kubernetes", "--run-log", "", "--no-journald")
    header, *rows = table.stdout.splitlines()
    assert header.split() == [
        "WHEN",
        "RUN_ID",
        "ATTEMPT",
        "STATUS",
        "HTTP",
        "SOURCE",
        "POD",
        "NODE",
        "DETAIL",
    ]
    assert "node-a" in rows[0]
    assert "node-b" in rows[1]
    failed = json.loads(cli(cfg, "history", "billing.ping", "--backend", "kubernetes", "--run-log", "",
                            "--no-journald", "--status", "failed", "-o", "json").stdout)  # fmt: skip
    assert [e["run_id"] for e in failed["entries"]] == ["cronix-billing-ping-0-29400000"]
    # cronix status: the job as its ConfigMap records it, its last run from the cluster, with
    # the pod and node it ran on (the backend's own history: entries fire in the cluster).
    status = json.loads(cli(cfg, "status", "--run-log", "", "--no-journald", "-o", "json").stdout)
    (row,) = status["jobs"]
    assert (row["backend"], row["app"], row["job"], row["state"]) == (
        "kubernetes",
        "billing",
        "ping",
        "in-sync",
    )
    assert (row["last_run"]["run_id"], row["last_run"]["status"]) == (run_id, "ok")
    assert row["last_run"]["where"] == "cronix-billing-ping-0-29400060-x7k2p@node-b"
    assert row["schedules"] and row["next_fire"] is not None


def test_check_lists_every_missing_permission(kmock: KmockServer, namespace: str, tmp_path: Path) -> None:
    """kmock has no authorizer: its DSL answers the access reviews, denying what the test names."""
    cfg = config(tmp_path, kmock, namespace)
    m = manifest_file(tmp_path / "m.json", "billing", job_doc("ping"))
    kmock.deny(("create", "batch", "cronjobs"), ("patch", "", "configmaps"), ("get", "", "pods/log"))
    try:
        proc = cli(cfg, "apply", "--manifest", str(m))
        assert_one_line_error(
            proc, 3, "may not create cronjobs, patch configmaps in namespace", "docs/kubernetes.md"
        )
        assert open_k8s(kmock, namespace).api.items("configmaps") == []  # nothing was written
        kmock.deny(("get", "", "pods/log"))
        proc = cli(cfg, "plan", "--manifest", str(m))
        assert proc.returncode == 0, proc.stderr
        assert "cronix history will not see runs: the credentials may not get pods/log" in proc.stderr
    finally:
        kmock.deny()


def test_an_unreachable_api_server_is_one_line_and_exit_3(tmp_path: Path) -> None:
    from tests.support.procs import free_port

    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{free_port()}")
    options = {"kubeconfig": str(kubeconfig), "image": IMAGE, "request_timeout_seconds": 5}
    cfg = tmp_path / "cronix.yaml"
    cfg.write_text(json.dumps({"backend": "kubernetes", "backends": {"kubernetes": options}}))
    m = manifest_file(tmp_path / "m.json", "billing", job_doc("ping"))
    assert_one_line_error(
        cli(cfg, "apply", "--manifest", str(m)), 3, "cannot reach the API server at http://127.0.0.1:"
    )
    assert_one_line_error(cli(cfg, "list"), 3, "kubernetes: list cronjobs in namespace default: cannot reach")


def test_no_credentials_is_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "cronix.yaml"
    cfg.write_text(json.dumps({"backend": "kubernetes", "backends": {"kubernetes": {"image": IMAGE}}}))
    assert_one_line_error(cli(cfg, "list"), 3, "no credentials: set backends.kubernetes.kubeconfig")


def test_what_a_cron_job_cannot_run_is_refused_before_anything(
    kmock: KmockServer, namespace: str, tmp_path: Path
) -> None:
    cfg = config(tmp_path, kmock, namespace)
    m = manifest_file(tmp_path / "m.json", "billing", job_doc("ping", "0 * * * *", "@every 5m"))
    assert_one_line_error(
        cli(cfg, "apply", "--manifest", str(m)),
        1,
        'billing.ping schedules/1: a Kubernetes CronJob cannot run "@every 5m"',
        "'*/5 * * * *'",
    )
    assert open_k8s(kmock, namespace).api.items("cronjobs") == []


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({}, "backends.kubernetes.image: required"),
        (
            {"image": IMAGE, "namespace": "Not_A_Namespace"},
            "backends.kubernetes.namespace: must be a DNS-1123 label",
        ),
        ({"image": IMAGE, "secret_as": "literal"}, "backends.kubernetes.secret_as: must be one of env, file"),
        ({"image": IMAGE, "tolerations": "all"}, "backends.kubernetes.tolerations: must be a list"),
    ],
)
def test_bad_options_are_usage_errors(tmp_path: Path, options: dict[str, Any], fragment: str) -> None:
    cfg = tmp_path / "cronix.yaml"
    cfg.write_text(json.dumps({"backend": "kubernetes", "backends": {"kubernetes": options}}))
    assert_one_line_error(cli(cfg, "list"), 2, fragment)


def test_options_from_the_command_line(kmock: KmockServer, namespace: str, tmp_path: Path) -> None:
    m = manifest_file(tmp_path / "m.json", "billing", job_doc("ping"))
    proc = run_cronix(
        "apply", "--manifest", str(m), "--backend", "kubernetes",
        "--backend-config", f"kubeconfig={kmock.kubeconfig}", "--backend-config", f"namespace={namespace}",
        "--backend-config", "image=registry.example.com/cronix:cli", "--backend-config", "secret_as=file",
        env={"HOME": str(tmp_path)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    live = open_k8s(kmock, namespace).api.get("cronjobs", "cronix-billing-ping-0")
    assert live is not None
    pod = live["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"] == "registry.example.com/cronix:cli"
    assert any("secret" in v for v in pod["volumes"])


@pytest.mark.slow
def test_the_backend_passes_the_conformance_suite(
    fresh_kmock: KmockServer, namespace: str, tmp_path: Path
) -> None:
    proc = run_cronix(
        "conformance", "backend", "--backend", "kubernetes",
        "--backend-config", f"kubeconfig={fresh_kmock.kubeconfig}", "--backend-config", f"namespace={namespace}",
        "--backend-config", f"image={IMAGE}",
        env={"HOME": str(tmp_path)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert not [line for line in lines if line.startswith("FAIL")]
    passed = [line for line in lines if line.startswith("PASS")]
    # The seeder plants real CronJobs, so these run rather than being skipped.
    assert any("foreign entries are never listed or touched" in line for line in passed)
    assert any("adopt: dry run" in line for line in passed)
    assert any("per-job timezones" in line for line in passed)
    assert [line for line in lines if line.startswith("SKIP")] == ["SKIP  backend   @every schedules"]


def test_read_only_commands_need_only_read_permissions(
    kmock: KmockServer, namespace: str, tmp_path: Path
) -> None:
    """Issue 16 item 22 on Kubernetes: plan and drift only list and get."""
    cfg = config(tmp_path, kmock, namespace)
    m = manifest_file(tmp_path / "m.json", "billing", job_doc("ping"))
    kmock.deny(("create", "batch", "cronjobs"), ("patch", "", "configmaps"), ("delete", "batch", "cronjobs"))
    try:
        for command in ("plan", "drift"):
            proc = cli(cfg, command, "--manifest", str(m))
            assert proc.returncode == 0, proc.stderr
        assert cli(cfg, "list").returncode == 0
        assert_one_line_error(cli(cfg, "apply", "--manifest", str(m)), 3, "may not create cronjobs")
    finally:
        kmock.deny()
