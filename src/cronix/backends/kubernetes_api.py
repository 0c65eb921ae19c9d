"""The Kubernetes API as the kubernetes backend uses it: a few verbs over plain dicts.

A thin layer over the official ``kubernetes`` client (imported here and only here, when
a backend is opened; ``cronix --help`` and ``cronix trigger`` never load it). Responses
are read raw (``_preload_content=False``) and parsed as JSON: the backend renders and
compares plain dicts, and skipping the client's model classes keeps a 256-job list cheap.

Errors become one-line :class:`~cronix.errors.BackendError` messages (exit 3) that name
the verb, the object and the namespace; a 409, 404 or 410 keeps its status so the
backend can react (retry on conflict, create when missing, restart a stale page chain).

Credentials, in order: ``in_cluster`` → ``kubeconfig`` → ``$KUBECONFIG`` →
``~/.kube/config`` → the pod's service account when running in one. A kubeconfig is
never written back (``persist_config=False``), so a refreshed token stays in memory.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cronix.errors import BackendError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cronix.backends.kubernetes_options import KubernetesOptions

__all__ = ["KIND_API", "ApiError", "Kind", "KubeApi"]

#: Log bytes read per pod (the trigger writes a few lines per attempt).
_LOG_LIMIT = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind the backend reads or writes: its client class, method suffix and RBAC names."""

    api: str
    suffix: str
    group: str
    resource: str
    label: str


KIND_API: dict[str, Kind] = {
    k.resource: k
    for k in (
        Kind("BatchV1Api", "namespaced_cron_job", "batch", "cronjobs", "cronjob"),
        Kind("CoreV1Api", "namespaced_config_map", "", "configmaps", "configmap"),
        Kind("BatchV1Api", "namespaced_job", "batch", "jobs", "job"),
        Kind("CoreV1Api", "namespaced_pod", "", "pods", "pod"),
        Kind("CoreV1Api", "namespaced_event", "", "events", "event"),
    )
}


class ApiError(BackendError):
    """A request the API server answered with an error status (``status`` 0: no answer)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class KubeApi:
    """The backend's connection: opened on first use, closed by :meth:`close`."""

    def __init__(self, options: KubernetesOptions) -> None:
        self.options = options
        self.namespace = options.namespace
        self._client: Any = None
        self._apis: dict[str, Any] = {}
        self.server = ""

    # ------------------------------------------------------------ connection

    def _connect(self) -> Any:
        if self._client is not None:
            return self._client
        from kubernetes.config.config_exception import ConfigException

        from kubernetes import client, config

        opts = self.options
        try:
            if opts.in_cluster:
                self._client = _in_cluster(client, config)
            else:
                path = _kubeconfig_path(opts.kubeconfig)
                if path is None:
                    if not os.environ.get("KUBERNETES_SERVICE_HOST"):
                        raise BackendError(
                            "kubernetes: no credentials: set backends.kubernetes.kubeconfig, $KUBECONFIG "
                            "or ~/.kube/config, or run in a pod with in_cluster: true"
                        )
                    self._client = _in_cluster(client, config)
                else:
                    self._client = config.new_client_from_config(  # type: ignore[no-untyped-call]
                        config_file=path, context=opts.context or None, persist_config=False
                    )
        except (ConfigException, OSError, ValueError, TypeError) as exc:
            where = "the pod's service account" if opts.in_cluster else (opts.kubeconfig or "the kubeconfig")
            raise BackendError(
                f"kubernetes: cannot load credentials from {where}: {_first_line(exc)}"
            ) from None
        self.server = str(self._client.configuration.host)
        return self._client

    def _api(self, name: str) -> Any:
        found = self._apis.get(name)
        if found is None:
            from kubernetes import client

            found = self._apis[name] = getattr(client, name)(self._connect())
        return found

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
            self._apis.clear()

    # ------------------------------------------------------------ calls

    def _call(self, what: str, fn: Any, *args: Any, raw: bool = False, **kwargs: Any) -> Any:
        """Call ``fn``; the parsed JSON body (the text with ``raw``); failures as :class:`ApiError`."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError as Urllib3Error

        kwargs.setdefault("_request_timeout", self.options.request_timeout_seconds)
        try:
            response = fn(*args, _preload_content=False, **kwargs)
        except ApiException as exc:
            raise ApiError(f"kubernetes: {what}: {_status_text(exc)}", int(exc.status or 0)) from None
        except (Urllib3Error, OSError) as exc:
            raise ApiError(
                f"kubernetes: {what}: cannot reach the API server at {self.server}: {_reason(exc)}"
            ) from None
        data = response.data
        if raw:
            return (data or b"").decode("utf-8", "replace")
        if not data:
            return None
        try:
            return json.loads(data)
        except ValueError:
            return data.decode("utf-8", "replace")

    def items(self, resource: str, selector: str | None = None) -> list[dict[str, Any]]:
        """Every object of ``resource`` in the namespace, following ``metadata.continue`` pages.

        A continue token that expired while paging (410 Gone) restarts the list once; the
        caller still checks every object's labels (the server may ignore ``selector``).
        """
        for attempt in (1, 2):
            try:
                return list(self._pages(resource, selector))
            except ApiError as exc:
                if exc.status != 410 or attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _pages(self, resource: str, selector: str | None) -> Iterator[dict[str, Any]]:
        kind = KIND_API[resource]
        fn = getattr(self._api(kind.api), f"list_{kind.suffix}")
        token = ""
        while True:
            kwargs: dict[str, Any] = {"limit": self.options.page_size}
            if selector:
                kwargs["label_selector"] = selector
            if token:
                kwargs["_continue"] = token
            page = self._call(
                f"list {kind.resource} in namespace {self.namespace}", fn, self.namespace, **kwargs
            )
            if not isinstance(page, dict):
                raise ApiError(f"kubernetes: list {kind.resource}: the API server answered no list")
            yield from (item for item in page.get("items") or () if isinstance(item, dict))
            token = str((page.get("metadata") or {}).get("continue") or "")
            if not token:
                return

    def get(self, resource: str, name: str) -> dict[str, Any] | None:
        kind = KIND_API[resource]
        try:
            found = self._call(
                self._where("read", kind, name),
                getattr(self._api(kind.api), f"read_{kind.suffix}"),
                name,
                self.namespace,
            )
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        return found if isinstance(found, dict) else None

    def create(self, resource: str, body: dict[str, Any]) -> dict[str, Any]:
        kind = KIND_API[resource]
        name = body["metadata"]["name"]
        fn = getattr(self._api(kind.api), f"create_{kind.suffix}")
        result = self._call(self._where("create", kind, name), fn, self.namespace, body)
        return result if isinstance(result, dict) else body

    def patch(self, resource: str, name: str, ops: list[dict[str, Any]]) -> dict[str, Any]:
        """Apply a JSON patch (RFC 6902); a 409 means the asserted resourceVersion is stale."""
        kind = KIND_API[resource]
        fn = getattr(self._api(kind.api), f"patch_{kind.suffix}")
        result = self._call(
            self._where("update", kind, name),
            fn,
            name,
            self.namespace,
            ops,
            _content_type="application/json-patch+json",
        )
        return result if isinstance(result, dict) else {}

    def delete(self, resource: str, name: str, *, propagation: str = "Background", version: str = "") -> bool:
        """Delete one object; ``False`` when it was already gone. ``version`` is a precondition."""
        kind = KIND_API[resource]
        body: dict[str, Any] = {"propagationPolicy": propagation}
        if version:
            body["preconditions"] = {"resourceVersion": version}
        fn = getattr(self._api(kind.api), f"delete_{kind.suffix}")
        try:
            self._call(self._where("delete", kind, name), fn, name, self.namespace, body=body)
        except ApiError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def allowed(self, verb: str, group: str, resource: str, subresource: str = "") -> bool:
        """A SelfSubjectAccessReview: may these credentials do ``verb`` on ``resource`` here?"""
        attributes = {"verb": verb, "group": group, "resource": resource, "namespace": self.namespace}
        if subresource:
            attributes["subresource"] = subresource
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attributes},
        }
        api = self._api("AuthorizationV1Api")
        review = self._call("access review", api.create_self_subject_access_review, body)
        return bool(isinstance(review, dict) and (review.get("status") or {}).get("allowed"))

    def pod_log(self, pod: str, container: str) -> str:
        """The container's log ("" when the pod has none yet or it was garbage-collected)."""
        api = self._api("CoreV1Api")
        try:
            text = self._call(
                f"read the log of pod {pod}",
                api.read_namespaced_pod_log,
                pod,
                self.namespace,
                container=container,
                limit_bytes=_LOG_LIMIT,
                raw=True,
            )
        except ApiError as exc:
            if exc.status in (400, 404):  # not started yet, or gone
                return ""
            raise
        return str(text)

    def _where(self, verb: str, kind: Kind, name: str) -> str:
        return f"{verb} {kind.label} {name} in namespace {self.namespace}"


def _in_cluster(client: Any, config: Any) -> Any:
    configuration = client.Configuration()
    config.load_incluster_config(client_configuration=configuration)
    return client.ApiClient(configuration)


def _kubeconfig_path(explicit: str) -> str | None:
    if explicit:
        return os.path.expanduser(explicit)
    env = os.environ.get("KUBECONFIG")
    if env:
        return env
    default = os.path.expanduser("~/.kube/config")
    return default if os.path.exists(default) else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    text = _first_line(reason if isinstance(reason, BaseException) else exc)
    # urllib3 prefixes its own object reprs: keep the operating system's words.
    return text.rsplit(": ", 1)[-1] if "Errno" in text or "Failed to establish" in text else text


_HINTS = {
    401: "the credentials were refused (check the kubeconfig or the token)",
    403: "forbidden (grant the Role in docs/kubernetes.md; `cronix plan` lists what is missing)",
}


def _status_text(exc: Any) -> str:
    status = int(exc.status or 0)
    message = ""
    try:
        body = json.loads(exc.body or b"{}")
        message = str(body.get("message") or "") if isinstance(body, dict) else ""
    except (TypeError, ValueError):
        pass
    text = f"{status} {exc.reason or ''}".strip()
    if status in _HINTS:
        text += f": {_HINTS[status]}"
    if message:
        text += f": {message.splitlines()[0]}"
    return text
