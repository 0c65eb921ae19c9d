"""The objects the kubernetes backend writes, as plain dicts: rendering, identity, comparison.

Pure functions over values (no client, no I/O), so every rule can be tested and the
objects validated offline (``kubernetes-validate``). Per ``(app, job, index)`` cronix owns
two objects in one namespace (DESIGN §3 item 5, reference reconciler §3.3):

* a ``batch/v1`` CronJob ``cronix-<app>-<job>-<index>`` that runs ``cronix trigger
  <app>.<job> --spec-dir /etc/cronix/jobs`` in the configured image;
* a ConfigMap ``<cronjob>-spec`` whose one key ``<app>.<job>.json`` is the trigger spec
  (compact, ``schedule_index = index``), mounted read-only at ``/etc/cronix/jobs``.

Both, the CronJob's job template and its pod template carry the reference's five labels
``cronix.dev/{managed,app,job,hash,index}``, so objects either implementation wrote are
recognised by the other. Labels are the ownership marker; they are always checked here,
client-side, whatever a server's label selector returned.

The HMAC secret is never written into an object: the pod reads it from a Kubernetes
Secret (``secretKeyRef`` env or a mounted file), and the spec's ``secret_refs`` point at
that (``env:CRONIX_SECRET`` / ``file:/var/run/secrets/cronix/<key>``).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, NamedTuple

from cronix.backends.base import Diagnostic
from cronix.backends.crontab_format import canonical_cron
from cronix.backends.crontab_format import translate as cron_translate
from cronix.protocol.errors import ScheduleError
from cronix.protocol.identifiers import is_valid_id
from cronix.protocol.ownership import resource_name
from cronix.protocol.schedule import parse_schedule
from cronix.protocol.specfile import render_spec_file, spec_file_name

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cronix.backends.kubernetes_options import KubernetesOptions
    from cronix.protocol.manifest import Job

__all__ = [
    "APP",
    "CONTAINER",
    "HASH",
    "INDEX",
    "JOB",
    "MANAGED",
    "MAX_CRONJOB_NAME",
    "SPEC_DIR",
    "Identity",
    "UnsupportedSchedule",
    "active_deadline",
    "config_map_name",
    "identity",
    "labels",
    "matches",
    "owner",
    "pod_secret_refs",
    "render_config_map",
    "render_cron_job",
    "selector",
    "translate",
    "trigger_args",
    "trigger_target",
    "update_ops",
    "validate_job",
]

MANAGED = "cronix.dev/managed"
APP = "cronix.dev/app"
JOB = "cronix.dev/job"
HASH = "cronix.dev/hash"
INDEX = "cronix.dev/index"

CONTAINER = "cronix"
SPEC_DIR = "/etc/cronix/jobs"
#: Scratch space of the trigger (its lock files), an emptyDir: the root filesystem is read-only.
RUN_DIR = "/var/run/cronix"
SECRET_DIR = "/var/run/secrets/cronix"
SECRET_ENV = "CRONIX_SECRET"
TRIGGER_CONFIG = "/etc/cronix/cronix.yaml"
#: The CronJob controller appends an 11-character suffix to name each run's Job (≤ 63).
MAX_CRONJOB_NAME = 52
#: An object (and so a ConfigMap's data) may not exceed 1 MiB in etcd.
MAX_CONFIGMAP_BYTES = 1024 * 1024 - 4096
#: The uid and gid of the image the Dockerfile builds; the pods run as non-root.
IMAGE_USER = 10001


class UnsupportedSchedule(ValueError):
    """The schedule is valid but a CronJob cannot run it."""


class Identity(NamedTuple):
    """Who an object belongs to, read from its labels."""

    app: str
    job: str
    idx: int
    hash: str


def config_map_name(cron_job_name: str) -> str:
    return f"{cron_job_name}-spec"


def labels(app: str, job: str, hash_: str, index: int) -> dict[str, str]:
    """The reference's five labels, identical on every object of one entry."""
    return {MANAGED: "true", APP: app, JOB: job, HASH: hash_, INDEX: str(index)}


def selector(app: str | None = None, job: str | None = None) -> str:
    """A label selector for cronix's objects (of one app, or one job)."""
    parts = [f"{MANAGED}=true"]
    if app is not None:
        parts.append(f"{APP}={app}")
    if job is not None:
        parts.append(f"{JOB}={job}")
    return ",".join(parts)


def identity(obj: Mapping[str, Any]) -> Identity | None:
    """The owner of ``obj`` from its labels; ``None`` unless they are cronix's and well formed.

    A server may ignore a label selector (kmock does; a proxy could): this is the check
    that counts.
    """
    found = _labels_of(obj)
    if found.get(MANAGED) != "true":
        return None
    app, job, index = found.get(APP, ""), found.get(JOB, ""), found.get(INDEX, "")
    if not (is_valid_id(app) and is_valid_id(job) and index.isdigit() and index.isascii()):
        return None
    return Identity(app, job, int(index), found.get(HASH, ""))


def owner(obj: Mapping[str, Any], *, config_map: bool = False) -> Identity | None:
    """:func:`identity`, but only for the object cronix names so: an entry's CronJob or ConfigMap.

    An object that copies cronix's labels under another name is not an entry: it is never
    listed, updated or deleted (``verify-ownership`` reports it).
    """
    who = identity(obj)
    if who is None:
        return None
    name = resource_name(who.app, who.job, who.idx)
    expected = config_map_name(name) if config_map else name
    return who if (obj.get("metadata") or {}).get("name") == expected else None


def _labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    raw = (obj.get("metadata") or {}).get("labels") or {}
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


# ---------------------------------------------------------------- schedules and validation


def translate(schedule: str) -> str:
    """``spec.schedule`` for a manifest schedule: five fields, as the reference matrix says.

    Shortcuts become their five fields and cron fields are written in plain numbers (as
    for crontab, D-104); the CronJob controller's parser (robfig/cron) reads both. It has
    no ``@every``: that is an :class:`UnsupportedSchedule`.
    """
    try:
        parsed = parse_schedule(schedule)
    except ScheduleError as exc:
        raise UnsupportedSchedule(exc.message) from None
    if parsed.every_seconds is not None:
        hint = ""
        with contextlib.suppress(ValueError):  # no equivalent crontab form either
            hint = f" (for example {cron_translate(parsed.source)!r})"
        raise UnsupportedSchedule(
            f'a Kubernetes CronJob cannot run "{parsed.source}": write it as a cron expression{hint}'
        )
    assert parsed.cron is not None
    return canonical_cron(parsed.cron.raw)


def pod_secret_refs(options: KubernetesOptions) -> tuple[str, ...]:
    """Where the trigger finds the HMAC secret inside the pod (what the spec's ``secret_refs`` say)."""
    if options.secret_as == "file":
        return (f"file:{SECRET_DIR}/{options.secret_key}",)
    return (f"env:{SECRET_ENV}",)


def _label_value_problem(kind: str, value: str) -> str | None:
    if len(value) > 63 or not value[-1:].isalnum():
        return (
            f'{kind} "{value}" cannot be a Kubernetes label value (at most 63 characters, '
            "ending with a letter or digit)"
        )
    return None


def validate_job(app: str, job: Job, options: KubernetesOptions) -> list[Diagnostic]:
    """Everything about ``job`` a CronJob cannot express, each with a path and a reason."""
    out: list[Diagnostic] = []
    for kind, value in (("app id", app), ("job name", job.name)):
        problem = _label_value_problem(kind, value)
        if problem:
            out.append(Diagnostic("error", problem, "name", "invalid_label_value"))
    longest = resource_name(app, job.name, len(job.schedules) - 1)
    if len(longest) > MAX_CRONJOB_NAME:
        out.append(
            Diagnostic(
                "error",
                f'CronJob name "{longest}" has {len(longest)} characters; Kubernetes allows at most '
                f"{MAX_CRONJOB_NAME} (its Job names append a suffix) — shorten the app id or the job name "
                "(cronix never truncates names)",
                "name",
                "name_too_long",
            )
        )
    for i, schedule in enumerate(job.schedules):
        try:
            translate(schedule)
        except UnsupportedSchedule as exc:
            out.append(Diagnostic("error", str(exc), f"schedules/{i}", "untranslatable"))
    if job.policy.concurrency_scope == "global" and not options.trigger_config_map:
        out.append(
            Diagnostic(
                "error",
                "concurrency_scope global locks in Redis at fire time: set backends.kubernetes."
                "trigger_config_map to a ConfigMap whose cronix.yaml has locks.redis",
                "policy/concurrency_scope",
                "needs_trigger_config",
            )
        )
    size = len(render_spec_file(app, job, pod_secret_refs(options), indent=False).encode())
    if size > MAX_CONFIGMAP_BYTES:
        out.append(
            Diagnostic(
                "error",
                f"the trigger spec is {size} bytes; a ConfigMap holds at most {MAX_CONFIGMAP_BYTES}",
                "request/body",
                "spec_too_large",
            )
        )
    return out


# ---------------------------------------------------------------- rendering


def render_config_map(
    app: str, job: str, index: int, hash_: str, spec_json: str, namespace: str
) -> dict[str, Any]:
    """The ConfigMap that carries one schedule's trigger spec to its pods."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": config_map_name(resource_name(app, job, index)),
            "namespace": namespace,
            "labels": labels(app, job, hash_, index),
        },
        "data": {spec_file_name(app, job): spec_json},
    }


def trigger_args(app: str, job: str) -> list[str]:
    """The container's arguments after ``command``: the fire, with every path inside the pod."""
    return [
        "trigger",
        f"{app}.{job}",
        "--spec-dir",
        SPEC_DIR,
        "--lock-dir",
        f"{RUN_DIR}/locks",
        # Pod logs are the run log (history reads them); no state survives a pod anyway.
        "--run-log",
        "",
        "--state-dir",
        "",
        "--backend",
        "kubernetes",
    ]


def active_deadline(job: Job, options: KubernetesOptions) -> int:
    """How long one run may take before Kubernetes stops it: every attempt, every backoff, the
    jitter, a minute."""
    if options.active_deadline_seconds:
        return options.active_deadline_seconds
    policy = job.policy
    attempts = max(policy.retries.max_attempts, 1)
    busy = policy.timeout_seconds * attempts + policy.retries.max_seconds * (attempts - 1)
    return busy + policy.jitter_seconds + 60  # the trigger waits its jitter in the pod (D-723)


def render_cron_job(app: str, job: Job, index: int, hash_: str, options: KubernetesOptions) -> dict[str, Any]:
    """The CronJob for ``job.schedules[index]`` (:func:`translate` must accept the schedule)."""
    name = resource_name(app, job.name, index)
    marks = labels(app, job.name, hash_, index)
    spec: dict[str, Any] = {
        "schedule": translate(job.schedules[index]),
        "timeZone": job.timezone or "UTC",
        "concurrencyPolicy": job.policy.concurrency,
        "successfulJobsHistoryLimit": options.successful_jobs_history_limit,
        "failedJobsHistoryLimit": options.failed_jobs_history_limit,
        "jobTemplate": {
            "metadata": {"labels": dict(marks)},
            "spec": {
                # The trigger retries inside one run; Kubernetes must not start it again.
                "backoffLimit": 0,
                "activeDeadlineSeconds": active_deadline(job, options),
                "template": {
                    "metadata": _pod_metadata(marks, options),
                    "spec": _pod_spec(app, job, name, options),
                },
            },
        },
    }
    if options.starting_deadline_seconds:
        spec["startingDeadlineSeconds"] = options.starting_deadline_seconds
    if not job.enabled:
        spec["suspend"] = True  # a declared pause (D-721); absent is the server's false
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": options.namespace, "labels": marks},
        "spec": spec,
    }


def _pod_metadata(marks: Mapping[str, str], options: KubernetesOptions) -> dict[str, Any]:
    meta: dict[str, Any] = {"labels": dict(marks)}
    if options.pod_annotations:
        meta["annotations"] = dict(options.pod_annotations)
    return meta


def _pod_spec(app: str, job: Job, name: str, options: KubernetesOptions) -> dict[str, Any]:
    env: list[dict[str, Any]] = [
        {"name": "CRONIX_JOB_SPEC_DIR", "value": SPEC_DIR},  # the reference's, read by both triggers
        {"name": "CRONIX_RUN_FROM_KUBERNETES", "value": "true"},
        # The Job's name says its occurrence (<cronjob>-<Unix minutes>): the fire id (D-724).
        {
            "name": "CRONIX_KUBERNETES_JOB",
            "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['batch.kubernetes.io/job-name']"}},
        },
    ]
    mounts: list[dict[str, Any]] = [
        {"name": "job-spec", "mountPath": SPEC_DIR, "readOnly": True},
        {"name": "run", "mountPath": RUN_DIR},
    ]
    volumes: list[dict[str, Any]] = [
        {"name": "job-spec", "configMap": {"name": config_map_name(name)}},
        {"name": "run", "emptyDir": {"sizeLimit": "1Mi"}},
    ]
    if options.secret_as == "env":
        env.append(
            {
                "name": SECRET_ENV,
                "valueFrom": {"secretKeyRef": {"name": options.secret_name, "key": options.secret_key}},
            }
        )
    else:
        mounts.append({"name": "hmac-secret", "mountPath": SECRET_DIR, "readOnly": True})
        volumes.append(
            {
                "name": "hmac-secret",
                "secret": {
                    "secretName": options.secret_name,
                    "items": [{"key": options.secret_key, "path": options.secret_key}],
                    "defaultMode": 0o440,
                },
            }
        )
    if options.trigger_config_map:
        mounts.append(
            {
                "name": "trigger-config",
                "mountPath": TRIGGER_CONFIG,
                "subPath": "cronix.yaml",
                "readOnly": True,
            }
        )
        volumes.append({"name": "trigger-config", "configMap": {"name": options.trigger_config_map}})
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": options.image,
        "command": list(options.command),
        "args": trigger_args(app, job.name),
        "env": env,
        "volumeMounts": mounts,
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    if options.image_pull_policy:
        container["imagePullPolicy"] = options.image_pull_policy
    if options.env_from_secrets:
        container["envFrom"] = [{"secretRef": {"name": s}} for s in options.env_from_secrets]
    if options.resources:
        container["resources"] = {k: dict(v) for k, v in options.resources.items()}
    pod: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        # The group may read the mounted secret (mode 0440); the image runs as this user.
        "securityContext": {
            "runAsNonRoot": True,
            "fsGroup": IMAGE_USER,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": volumes,
    }
    if options.service_account:
        pod["serviceAccountName"] = options.service_account
    if options.node_selector:
        pod["nodeSelector"] = dict(options.node_selector)
    if options.tolerations:
        pod["tolerations"] = [dict(t) for t in options.tolerations]
    if options.image_pull_secrets:
        pod["imagePullSecrets"] = [{"name": s} for s in options.image_pull_secrets]
    return pod


# ---------------------------------------------------------------- reading live objects


def trigger_target(cron_job: Mapping[str, Any]) -> str | None:
    """``<app>.<job>`` that the CronJob's containers run ``cronix trigger`` for, if any.

    ``command`` + ``args`` of each container are read as one argv (an image entrypoint
    of ``cronix`` with ``args: [trigger, …]`` is the reference's form); the word after
    ``trigger`` is the target.
    """
    pod = (((cron_job.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
    for container in (pod.get("spec") or {}).get("containers") or ():
        argv = [str(a) for a in [*(container.get("command") or ()), *(container.get("args") or ())]]
        for i, word in enumerate(argv[:-1]):
            if word == "trigger" and (i == 0 or argv[i - 1].rsplit("/", 1)[-1] == "cronix"):
                return argv[i + 1]
    return None


def matches(want: Any, have: Any) -> bool:
    """``have`` (a live object) has everything ``want`` (what cronix renders) sets, with equal values.

    Maps may carry more keys (the server's defaults: ``terminationMessagePath``,
    ``defaultMode``, …); lists must have the same length, element by element, so an
    added container or environment variable is a difference.
    """
    if isinstance(want, dict):
        return isinstance(have, dict) and all(k in have and matches(v, have[k]) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(have, list) and len(want) == len(have) and all(map(matches, want, have))
    return bool(want == have) and type(want) is type(have)


def update_ops(desired: Mapping[str, Any], live: Mapping[str, Any], body: str) -> list[dict[str, Any]]:
    """A JSON patch (RFC 6902) that makes ``live`` what cronix renders, in place.

    ``body`` (``spec`` or ``data``) is replaced whole, labels are merged (others' labels
    stay, cronix's win), every other part of the object (annotations, owner references,
    finalizers, status) is left as it is. When the live object has a ``resourceVersion``
    the patch asserts it: the server refuses the patch with 409 if the object changed
    since it was read, instead of overwriting that change.
    """
    meta = live.get("metadata") or {}
    merged = {**(meta.get("labels") or {}), **desired["metadata"]["labels"]}
    # A suspend the manifest does not declare is drift (D-721): replacing the spec resumes it.
    value = dict(desired[body])
    ops: list[dict[str, Any]] = [
        {"op": "add", "path": "/metadata/labels", "value": merged},
        {"op": "add", "path": f"/{body}", "value": value},
    ]
    if meta.get("resourceVersion"):
        ops.append({"op": "add", "path": "/metadata/resourceVersion", "value": meta["resourceVersion"]})
    return ops
