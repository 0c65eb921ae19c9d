"""The objects the kubernetes backend renders: shape, labels, validation, and strict schema checks.

Every object is validated with ``kubernetes-validate`` in strict mode (unknown fields and
wrong types are errors) against Kubernetes 1.28 — the oldest version whose CronJob has a
GA ``timeZone`` — and against the newest version the installed package knows. That
package checks the OpenAPI schema, not the cron string or the zone name; those are
covered by the tests of :func:`translate` and by the real-cluster tier.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import kubernetes_validate
import pytest

from cronix.backends.base import FireSpec
from cronix.backends.kubernetes_objects import (
    CONTAINER,
    IMAGE_USER,
    SPEC_DIR,
    Identity,
    UnsupportedSchedule,
    identity,
    labels,
    matches,
    pod_secret_refs,
    render_config_map,
    render_cron_job,
    translate,
    trigger_target,
    update_ops,
    validate_job,
)
from cronix.backends.kubernetes_options import KubernetesOptions
from cronix.protocol.ownership import ownership_hashes
from cronix.protocol.specfile import parse_spec_file
from tests.kubernetes.conftest import IMAGE, job_doc, manifest

VERSIONS = ("1.28.0", kubernetes_validate.latest_version())
EVERYTHING = KubernetesOptions(
    image=IMAGE,
    namespace="jobs",
    image_pull_policy="IfNotPresent",
    image_pull_secrets=("registry",),
    service_account="cronix-runner",
    secret_as="file",
    secret_name="billing-hmac",
    secret_key="current",
    env_from_secrets=("redis-password",),
    trigger_config_map="cronix-trigger",
    node_selector={"kubernetes.io/os": "linux"},
    tolerations=({"key": "batch", "operator": "Exists", "effect": "NoSchedule"},),
    pod_annotations={"sidecar.istio.io/inject": "false"},
    resources={"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
    active_deadline_seconds=900,
)


def rendered(options: KubernetesOptions, **job: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    m = manifest("billing", job_doc("reconcile", "*/15 * * * *", "0 9 * * MON-FRI", **job))
    j = m.jobs[0]
    h = ownership_hashes(j)
    spec = FireSpec.build("billing", j, pod_secret_refs(options)).spec_json(1)
    return render_cron_job("billing", j, 1, h[1], options), render_config_map(
        "billing", j.name, 1, h[1], spec, options.namespace
    )


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "options", [KubernetesOptions(image=IMAGE), EVERYTHING], ids=["defaults", "every-option"]
)
def test_every_object_passes_strict_schema_validation(options: KubernetesOptions, version: str) -> None:
    cron_job, config_map = rendered(options, timezone="Europe/Berlin", policy={"concurrency": "Replace"})
    for obj in (cron_job, config_map):
        kubernetes_validate.validate(obj, version, strict=True)


@pytest.mark.parametrize("version", VERSIONS)
def test_strict_validation_catches_what_it_should(version: str) -> None:
    """The checker is not vacuous: a misspelled field is an error."""
    cron_job, _ = rendered(KubernetesOptions(image=IMAGE))
    cron_job["spec"]["jobTemplate"]["spec"]["backofflimit"] = 0
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(cron_job, version, strict=True)


def test_cron_job_shape() -> None:
    cron_job, config_map = rendered(
        KubernetesOptions(image=IMAGE), timezone="Europe/Berlin", policy={"concurrency": "Allow"}
    )
    want = labels("billing", "reconcile", cron_job["metadata"]["labels"]["cronix.dev/hash"], 1)
    assert set(want) == {
        "cronix.dev/managed",
        "cronix.dev/app",
        "cronix.dev/job",
        "cronix.dev/hash",
        "cronix.dev/index",
    }
    spec = cron_job["spec"]
    template = spec["jobTemplate"]["spec"]["template"]
    # The five labels on the CronJob, its job template, the pod template and the ConfigMap.
    for meta in (
        cron_job["metadata"],
        spec["jobTemplate"]["metadata"],
        template["metadata"],
        config_map["metadata"],
    ):
        assert meta["labels"] == want
    assert cron_job["metadata"]["name"] == "cronix-billing-reconcile-1"
    assert config_map["metadata"]["name"] == "cronix-billing-reconcile-1-spec"
    assert spec["schedule"] == "0 9 * * 1-5"  # names become numbers (D-104), as for crontab
    assert spec["timeZone"] == "Europe/Berlin"
    assert spec["concurrencyPolicy"] == "Allow"
    assert spec["jobTemplate"]["spec"]["backoffLimit"] == 0
    assert spec["startingDeadlineSeconds"] == 300
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (3, 3)
    # timeout 60 s × 3 attempts + 2 backoffs of at most 60 s + a minute
    assert spec["jobTemplate"]["spec"]["activeDeadlineSeconds"] == 60 * 3 + 60 * 2 + 60
    container = template["spec"]["containers"][0]
    assert container["name"] == CONTAINER
    assert container["image"] == IMAGE
    assert [*container["command"], *container["args"][:4]] == [
        "cronix", "trigger", "billing.reconcile", "--spec-dir", SPEC_DIR,
    ]  # fmt: skip
    assert template["spec"]["restartPolicy"] == "Never"
    assert template["spec"]["automountServiceAccountToken"] is False
    assert template["spec"]["securityContext"]["runAsNonRoot"] is True
    assert template["spec"]["securityContext"]["fsGroup"] == IMAGE_USER
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts[SPEC_DIR]["readOnly"] is True
    volumes = {v["name"]: v for v in template["spec"]["volumes"]}
    assert volumes[mounts[SPEC_DIR]["name"]]["configMap"]["name"] == config_map["metadata"]["name"]
    assert trigger_target(cron_job) == "billing.reconcile"
    # The Job's name (<cronjob>-<Unix minutes>) reaches the trigger: its occurrence (D-724).
    # The cronjob-scheduled-timestamp annotation is on the Job only; a pod's downward API
    # sees the pod's labels, and the Job controller labels every pod with its Job's name.
    env = {e["name"]: e for e in container["env"]}
    assert env["CRONIX_KUBERNETES_JOB"]["valueFrom"] == {
        "fieldRef": {"fieldPath": "metadata.labels['batch.kubernetes.io/job-name']"}
    }
    assert "suspend" not in spec  # the server's default false; a declared pause sets it (D-721)
    jittered, _ = rendered(KubernetesOptions(image=IMAGE), policy={"jitter_seconds": 120})
    deadline = jittered["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"]
    assert deadline == spec["jobTemplate"]["spec"]["activeDeadlineSeconds"] + 120  # the pod waits it (D-723)


def test_the_config_map_is_the_trigger_spec_the_pod_reads() -> None:
    _, config_map = rendered(KubernetesOptions(image=IMAGE))
    ((key, text),) = config_map["data"].items()
    assert key == "billing.reconcile.json"
    spec = parse_spec_file(text)
    assert (spec.app, spec.job.name, spec.schedule_index) == ("billing", "reconcile", 1)
    assert spec.secret_refs == ("env:CRONIX_SECRET",)
    assert "\n" not in text  # compact, as FireSpec renders it


@pytest.mark.parametrize(
    ("options", "refs"),
    [
        (KubernetesOptions(image=IMAGE), ("env:CRONIX_SECRET",)),
        (EVERYTHING, ("file:/var/run/secrets/cronix/current",)),
    ],
)
def test_the_secret_comes_from_a_kubernetes_secret_never_a_literal(
    options: KubernetesOptions, refs: tuple[str, ...]
) -> None:
    cron_job, config_map = rendered(options)
    container = cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    if options.secret_as == "env":
        assert env["CRONIX_SECRET"] == {
            "name": "CRONIX_SECRET",
            "valueFrom": {"secretKeyRef": {"name": "cronix-secret", "key": "secret"}},
        }
    else:
        assert "CRONIX_SECRET" not in env
        volumes = cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["volumes"]
        secret = next(v["secret"] for v in volumes if "secret" in v)
        assert secret["secretName"] == "billing-hmac"
        assert secret["items"] == [{"key": "current", "path": "current"}]
    assert all("value" not in e or e["name"] != "CRONIX_SECRET" for e in container["env"])
    assert parse_spec_file(next(iter(config_map["data"].values()))).secret_refs == refs


def test_options_reach_the_pod() -> None:
    cron_job, _ = rendered(EVERYTHING)
    pod = cron_job["spec"]["jobTemplate"]["spec"]["template"]
    container = pod["spec"]["containers"][0]
    assert pod["metadata"]["annotations"] == {"sidecar.istio.io/inject": "false"}
    assert pod["spec"]["serviceAccountName"] == "cronix-runner"
    assert pod["spec"]["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["spec"]["tolerations"] == [{"key": "batch", "operator": "Exists", "effect": "NoSchedule"}]
    assert pod["spec"]["imagePullSecrets"] == [{"name": "registry"}]
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["envFrom"] == [{"secretRef": {"name": "redis-password"}}]
    assert container["resources"]["limits"] == {"memory": "256Mi"}
    assert cron_job["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] == 900
    config = next(m for m in container["volumeMounts"] if m["name"] == "trigger-config")
    assert (config["mountPath"], config["subPath"]) == ("/etc/cronix/cronix.yaml", "cronix.yaml")
    no_deadline = dataclasses.replace(EVERYTHING, starting_deadline_seconds=0)
    assert "startingDeadlineSeconds" not in rendered(no_deadline)[0]["spec"]


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@yearly", "0 0 1 1 *"),
        ("*/15 * * * *", "*/15 * * * *"),
        ("0 9 ? JAN-MAR mon-fri", "0 9 * 1-3 1-5"),
        ("5/10 * * * *", "5-59/10 * * * *"),
    ],
)
def test_translate(schedule: str, expected: str) -> None:
    assert translate(schedule) == expected


def test_every_is_refused_with_an_equivalent_where_there_is_one() -> None:
    with pytest.raises(UnsupportedSchedule, match=r"cannot run \"@every 5m\".*'\*/5 \* \* \* \*'"):
        translate("@every 5m")
    with pytest.raises(
        UnsupportedSchedule, match=r"cannot run \"@every 7m\": write it as a cron expression$"
    ):
        translate("@every 7m")


def test_validation_names_the_problem_and_where() -> None:
    options = KubernetesOptions(image=IMAGE)
    long_name = "reconcile-payments-for-every-region"
    job = manifest(
        "billing-service",
        job_doc(long_name, "0 * * * *", "@every 10m", policy={"concurrency_scope": "global"}),
    ).jobs[0]
    found = {(d.path, d.code): d.message for d in validate_job("billing-service", job, options)}
    assert set(found) == {
        ("name", "name_too_long"),
        ("schedules/1", "untranslatable"),
        ("policy/concurrency_scope", "needs_trigger_config"),
    }
    assert f'"cronix-billing-service-{long_name}-1" has 60 characters' in found[("name", "name_too_long")]
    assert "at most 52" in found[("name", "name_too_long")]
    with_config = dataclasses.replace(options, trigger_config_map="cronix-trigger")
    ok = manifest("billing", job_doc("ping", "0 * * * *", policy={"concurrency_scope": "global"})).jobs[0]
    assert validate_job("billing", ok, with_config) == []


def test_a_name_of_exactly_52_characters_is_accepted() -> None:
    app = "a" * (52 - len("cronix--x-0"))
    job = manifest(app, job_doc("x")).jobs[0]
    assert validate_job(app, job, KubernetesOptions(image=IMAGE)) == []
    job2 = manifest(app + "b", job_doc("x")).jobs[0]
    assert [d.code for d in validate_job(app + "b", job2, KubernetesOptions(image=IMAGE))] == [
        "name_too_long"
    ]


def test_ids_that_cannot_be_label_values_are_refused() -> None:
    job = manifest("billing", job_doc("ping-")).jobs[0]
    problems = validate_job("billing", job, KubernetesOptions(image=IMAGE))
    assert [(d.path, d.code) for d in problems] == [("name", "invalid_label_value")]
    assert 'job name "ping-"' in problems[0].message


def test_identity_is_read_from_labels_and_checked() -> None:
    obj = {"metadata": {"labels": labels("billing", "ping", "0123456789abcdef", 2)}}
    assert identity(obj) == Identity("billing", "ping", 2, "0123456789abcdef")
    for broken in ({"cronix.dev/managed": "false"}, {"cronix.dev/index": "x"}, {"cronix.dev/app": "Bad App"}):
        assert identity({"metadata": {"labels": {**obj["metadata"]["labels"], **broken}}}) is None
    assert identity({"metadata": {}}) is None


def test_trigger_target_reads_command_and_args() -> None:
    def cj(**container: Any) -> dict[str, Any]:
        return {"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [container]}}}}}}

    assert trigger_target(cj(args=["trigger", "a.b"])) == "a.b"  # the reference: image entrypoint
    assert trigger_target(cj(command=["/usr/local/bin/cronix", "trigger", "a.b"])) == "a.b"
    assert trigger_target(cj(command=["sh", "-c"], args=["echo trigger a.b"])) is None
    assert trigger_target(cj(command=["backup", "trigger", "a.b"])) is None


def test_matches_allows_server_defaults_but_not_edits() -> None:
    cron_job, _ = rendered(KubernetesOptions(image=IMAGE))
    live = json.loads(json.dumps(cron_job))
    pod = live["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    pod["dnsPolicy"] = "ClusterFirst"  # what an API server adds
    pod["containers"][0]["terminationMessagePath"] = "/dev/termination-log"
    live["spec"]["suspend"] = True  # a pause: compared through ManagedEntry.paused (D-721), not here
    assert matches(cron_job, live)
    for edit in (
        lambda o: o["spec"].update(schedule="1 * * * *"),
        lambda o: o["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0].update(image="other"),
        lambda o: o["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"].append("-v"),
        lambda o: o["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"].append(
            {"name": "X", "value": "1"}
        ),
        lambda o: o["spec"].update(timeZone="Europe/Paris"),
        lambda o: o["spec"].update(concurrencyPolicy="Allow"),
    ):
        edited = json.loads(json.dumps(live))
        edit(edited)
        assert not matches(cron_job, edited)


def test_update_ops_replace_the_body_merge_labels_and_assert_the_version() -> None:
    cron_job, _ = rendered(KubernetesOptions(image=IMAGE))
    live = {
        "metadata": {"name": "x", "labels": {"team": "payments"}, "resourceVersion": "41"},
        "spec": {"suspend": True, "schedule": "stale"},
    }
    ops = update_ops(cron_job, live, "spec")
    assert ops[0] == {
        "op": "add",
        "path": "/metadata/labels",
        "value": {"team": "payments", **cron_job["metadata"]["labels"]},
    }
    assert ops[1]["path"] == "/spec"
    assert ops[1]["value"] == cron_job["spec"]  # an undeclared suspend is not kept (D-721)
    assert ops[2] == {"op": "add", "path": "/metadata/resourceVersion", "value": "41"}
    assert [op["path"] for op in update_ops(cron_job, {"metadata": {}}, "spec")] == [
        "/metadata/labels",
        "/spec",
    ]
