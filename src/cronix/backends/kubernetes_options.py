"""Options of the kubernetes backend: ``backends.<name>`` with ``type: kubernetes`` in cronix.yaml.

Each field's ``metadata["doc"]`` is its documentation (``docs/config.md`` and ``cronix
init`` are generated from it). Fields marked ``cli=False`` (mappings and lists of
mappings) are set in cronix.yaml only; the others also have a ``--kubernetes-<field>``
flag once the per-backend flags are generated, and work today as
``--backend-config <field>=<value>``. The reference's flag names (``--k8s-image``,
``--k8s-namespace``, ``--kubeconfig``, ``--in-cluster``) are kept where one existed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping  # noqa: TC003 - the strict config decoder reads the field types
from dataclasses import dataclass, field
from typing import Any, Literal

from cronix.config import documented as _doc

__all__ = ["KubernetesOptions"]

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?")
_SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]+")


def _dns_label(value: Any) -> str | None:
    if len(value) > 63 or not _DNS_LABEL.fullmatch(value):
        return f"must be a DNS-1123 label (lowercase letters, digits and -, at most 63), got {value!r}"
    return None


def _object_name(value: Any) -> str | None:
    if value and (len(value) > 253 or not _DNS_SUBDOMAIN.fullmatch(value)):
        return f"must be a Kubernetes object name (lowercase letters, digits, - and .), got {value!r}"
    return None


def _object_names(value: Any) -> str | None:
    return next((problem for v in value if (problem := _object_name(v))), None)


def _secret_key(value: Any) -> str | None:
    return None if _SECRET_KEY.fullmatch(value) else f"must be a Secret key ([-._a-zA-Z0-9]+), got {value!r}"


def _not_blank(value: Any) -> str | None:
    return None if value.strip() else "must not be empty"


def _at_least(lo: int) -> Any:
    def check(value: Any) -> str | None:
        return None if value >= lo else f"must be >= {lo}, got {value}"

    return check


def _command(value: Any) -> str | None:
    return None if value and all(v for v in value) else "must name the cronix executable, e.g. [cronix]"


@dataclass(frozen=True, slots=True)
class KubernetesOptions:
    """Options of the kubernetes backend (``backends.<name>`` with ``type: kubernetes``)."""

    image: str = field(
        default="",
        metadata=_doc(
            "Container image the CronJobs run; it must contain cronix (Dockerfile, docs/kubernetes.md).",
            required=True,
            check=_not_blank,
            flag="--k8s-image",
        ),
    )
    namespace: str = field(
        default="default",
        metadata=_doc("Namespace of the CronJobs and ConfigMaps.", check=_dns_label, flag="--k8s-namespace"),
    )
    kubeconfig: str = field(
        default="",
        metadata=_doc(
            "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod's service account).",
            flag="--kubeconfig",
        ),
    )
    context: str = field(default="", metadata=_doc("kubeconfig context (default: its current-context)."))
    in_cluster: bool = field(
        default=False,
        metadata=_doc(
            "Use the service account of the pod cronix apply runs in; wins over kubeconfig.",
            flag="--in-cluster",
        ),
    )
    command: tuple[str, ...] = field(
        default=("cronix",),
        metadata=_doc("The cronix executable inside the image (the container's command).", check=_command),
    )
    image_pull_policy: Literal["", "Always", "IfNotPresent", "Never"] = field(
        default="", metadata=_doc("imagePullPolicy of the container (empty: the cluster's default).")
    )
    image_pull_secrets: tuple[str, ...] = field(
        default=(), metadata=_doc("Secrets for pulling the image (imagePullSecrets).", check=_object_names)
    )
    service_account: str = field(
        default="",
        metadata=_doc(
            "serviceAccountName of the pods (the trigger needs no API access; its token is not mounted).",
            check=_object_name,
        ),
    )
    secret_name: str = field(
        default="cronix-secret",
        metadata=_doc(
            "Kubernetes Secret holding the HMAC secret the trigger signs with (never copied into any "
            "object: the pod reads it).",
            check=lambda v: _not_blank(v) or _object_name(v),
        ),
    )
    secret_key: str = field(
        default="secret", metadata=_doc("Key of the HMAC secret in that Secret.", check=_secret_key)
    )
    secret_as: Literal["env", "file"] = field(
        default="env",
        metadata=_doc(
            "How the pod gets the secret: env (CRONIX_SECRET from a secretKeyRef) or file "
            "(mounted under /var/run/secrets/cronix)."
        ),
    )
    env_from_secrets: tuple[str, ...] = field(
        default=(),
        metadata=_doc(
            "Secrets whose keys become environment variables of the trigger (envFrom), e.g. a Redis "
            "password referenced as env:NAME from the trigger config.",
            check=_object_names,
        ),
    )
    trigger_config_map: str = field(
        default="",
        metadata=_doc(
            "ConfigMap with a key cronix.yaml mounted as the trigger's /etc/cronix/cronix.yaml "
            "(needed for concurrency_scope: global, which locks in Redis).",
            check=_object_name,
        ),
    )
    starting_deadline_seconds: int = field(
        default=300,
        metadata=_doc(
            "startingDeadlineSeconds: a run that could not start this long after its time is skipped "
            "(0: no deadline).",
            check=_at_least(0),
        ),
    )
    active_deadline_seconds: int = field(
        default=0,
        metadata=_doc(
            "activeDeadlineSeconds of each run's Job (0: derived from the job's timeout and retries, "
            "plus a minute).",
            check=_at_least(0),
        ),
    )
    successful_jobs_history_limit: int = field(
        default=3,
        metadata=_doc("Finished successful Jobs kept (their pods' logs are history).", check=_at_least(0)),
    )
    failed_jobs_history_limit: int = field(default=3, metadata=_doc("Failed Jobs kept.", check=_at_least(0)))
    resources: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        metadata=_doc(
            "Container resources (requests/limits); write quantities as the API server prints them "
            "(100m, 64Mi), or every apply sees a difference.",
            cli=False,
        ),
    )
    node_selector: Mapping[str, str] = field(
        default_factory=dict, metadata=_doc("nodeSelector of the pods.", cli=False)
    )
    tolerations: tuple[Mapping[str, Any], ...] = field(
        default=(), metadata=_doc("tolerations of the pods, as in a pod spec.", cli=False)
    )
    pod_annotations: Mapping[str, str] = field(
        default_factory=dict,
        metadata=_doc('Annotations of the pods (e.g. sidecar.istio.io/inject: "false").', cli=False),
    )
    page_size: int = field(
        default=500, metadata=_doc("Objects per page when listing (limit).", check=_at_least(1))
    )
    request_timeout_seconds: int = field(
        default=30, metadata=_doc("Timeout of each API request.", check=_at_least(1))
    )
