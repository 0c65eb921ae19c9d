"""A real ``kmock`` Kubernetes API emulator, run as a server process, and its client side.

No real kube-apiserver can run on these machines (``shared/environment.md``), so the
kubernetes backend's tests talk HTTP to kmock (an existing, maintained emulator) through
the official ``kubernetes`` client. kmock 0.8 has no server command: run as a script,
this module serves ``kmock.KubernetesEmulator`` on 127.0.0.1 until SIGTERM, printing
``READY <url>`` once it listens.

kmock's fidelity gaps, named so every test that meets one can say so:

* label selectors, field selectors and ``limit`` are ignored, and lists never carry
  ``metadata.continue`` (the backend checks labels client-side anyway);
* no ``resourceVersion``, ``uid`` or ``creationTimestamp`` are assigned;
* ``PUT`` (``replace_*``) answers 404; ``PATCH`` with a JSON patch is applied with the
  ``jsonpatch`` library (RFC 6902), a dict patch is a recursive merge;
* ``SelfSubjectAccessReview`` is stored like any object (a second one is a 409) and never
  answered; pod logs are not modelled (``pods/<name>/log`` returns the pod's JSON).

What the tests need beyond that is configured through kmock's *own* response DSL
(``k8s[criteria] << payload``), from the test process, over HTTP on ``/_kmock/…`` paths
(ignored by the request log the tests read):

* ``POST /_kmock/fail`` — the next N matching requests fail with a Kubernetes ``Status``
  (``kmock.KubernetesError``); as in kmock, the store has already applied a failed write;
* ``POST /_kmock/pages`` — a list of one resource in one namespace is served as the given
  pages, chained by ``metadata.continue`` tokens (what a real server does with ``limit``);
* ``POST /_kmock/access`` — access reviews are answered: allowed unless the attributes are
  on the deny list (default: everything allowed, as for a cluster admin);
* ``POST /_kmock/logs`` — the text ``pods/<name>/log`` returns for one pod;
* ``GET /_kmock/requests`` — kmock's request log: method, path, query, action per request.

``--resource-versions`` adds the one server behaviour optimistic concurrency needs: every
stored write gets a new ``metadata.resourceVersion``, and a ``PATCH`` whose patch asserts
another version than the stored one is refused with 409 before anything is changed (what
kube-apiserver does with a ``resourceVersion`` precondition). It is a subclass through
kmock's documented extension point ("inherit and implement for your cases"), off by
default so most tests run against stock kmock.
"""

from __future__ import annotations

import contextlib
import json
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["KmockServer", "kmock_server", "write_kubeconfig"]

CONTROL = "/_kmock"


# ---------------------------------------------------------------- client side (the tests)


@dataclass(frozen=True)
class KmockServer:
    """A running kmock process: its URL and a kubeconfig that points at it."""

    url: str
    kubeconfig: Path

    def _call(self, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}{CONTROL}/{path}",
            data=data,
            method="GET" if data is None else "POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def requests(self) -> list[dict[str, Any]]:
        """Every Kubernetes API request served so far, in order (control calls left out)."""
        result: list[dict[str, Any]] = self._call("requests")
        return result

    def fail(
        self,
        action: str,
        resource: str,
        *,
        name: str | None = None,
        namespace: str | None = None,
        times: int = 1,
        status: int = 409,
        reason: str = "Conflict",
        message: str = "Operation cannot be fulfilled: the object has been modified",
    ) -> None:
        """The next ``times`` matching requests fail with a Kubernetes ``Status`` of ``status``."""
        self._call(
            "fail",
            {
                "action": action,
                "resource": resource,
                "name": name,
                "namespace": namespace,
                "times": times,
                "status": status,
                "reason": reason,
                "message": message,
            },
        )

    def pages(self, resource: str, namespace: str, pages: list[list[dict[str, Any]]]) -> None:
        """Serve lists of ``resource`` in ``namespace`` as these pages (``metadata.continue`` chained)."""
        self._call("pages", {"resource": resource, "namespace": namespace, "pages": pages})

    def deny(self, *attributes: tuple[str, str, str]) -> None:
        """Access reviews for these ``(verb, group, resource)`` are denied; the rest allowed."""
        self._call("access", {"denied": [list(a) for a in attributes]})

    def pod_log(self, namespace: str, pod: str, text: str) -> None:
        self._call("logs", {"namespace": namespace, "pod": pod, "text": text})


def write_kubeconfig(path: Path, url: str, *, namespace: str = "default", context: str = "kmock") -> Path:
    """A kubeconfig whose current context is the kmock server (no credentials: kmock has no auth)."""
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kmock", "cluster": {"server": url}}],
        "users": [{"name": "tester", "user": {"token": "kmock-does-not-check-tokens"}}],
        "contexts": [
            {"name": context, "context": {"cluster": "kmock", "user": "tester", "namespace": namespace}}
        ],
        "current-context": context,
    }
    path.write_text(json.dumps(doc, indent=2))
    return path


@contextlib.contextmanager
def kmock_server(workdir: Path, *, resource_versions: bool = False) -> Iterator[KmockServer]:
    """Run the emulator as a real process until the block ends."""
    from tests.support.procs import running

    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "kmock.log"
    argv = [sys.executable, str(Path(__file__).resolve())]
    if resource_versions:
        argv.append("--resource-versions")

    def ready() -> bool:
        return log.exists() and "READY " in log.read_text(errors="replace")

    with running(argv, ready=ready, log=log, timeout=30):
        url = next(line.split()[1] for line in log.read_text().splitlines() if line.startswith("READY "))
        yield KmockServer(url.rstrip("/"), write_kubeconfig(workdir / "kubeconfig", url.rstrip("/")))


# ---------------------------------------------------------------- server side (the process)


def _describe(request: Any) -> dict[str, Any]:
    resource = request.resource
    return {
        "method": str(request.method.value),
        "path": request.url.path,
        "query": dict(request.params or {}),
        "action": request.action.value if request.action is not None else None,
        "resource": resource.plural if resource is not None else None,
        "namespace": request.namespace,
        "name": request.name,
        "subresource": request.subresource,
    }


def _emulator_class(resource_versions: bool) -> Any:
    import aiohttp.web
    import kmock

    if not resource_versions:
        return kmock.KubernetesEmulator

    class VersionedEmulator(kmock.KubernetesEmulator):  # type: ignore[misc]
        """kmock plus resourceVersion: assigned on every write, enforced as a PATCH precondition."""

        counter = 0

        async def _handle(self, request: Any) -> Any:
            action = request.action
            key = (request.resource, request.namespace, request.name)
            if action == kmock.action.UPDATE and key in self.objects and not self.objects[key].deleted:
                stored = self.objects[key].raw.get("metadata", {}).get("resourceVersion")
                asserted = _asserted_version(request.data)
                if asserted is not None and asserted != stored:
                    raise kmock.KubernetesError(
                        status=409,
                        reason="Conflict",
                        message=f'Operation cannot be fulfilled on {request.resource.plural} "{request.name}": '
                        "the object has been modified; please apply your changes to the latest version "
                        "and try again",
                    )
            response = await super()._handle(request)
            if action not in (kmock.action.CREATE, kmock.action.UPDATE) or response.status >= 300:
                return response
            if action == kmock.action.CREATE:
                meta = request.data.get("metadata", {})
                key = (request.resource, request.namespace or meta.get("namespace"), meta.get("name"))
            if key not in self.objects or self.objects[key].deleted:
                return response
            VersionedEmulator.counter += 1
            self.objects[key].patch({"metadata": {"resourceVersion": str(VersionedEmulator.counter)}})
            return aiohttp.web.json_response(self.objects[key].raw, status=response.status)

    return VersionedEmulator


def _asserted_version(patch: Any) -> str | None:
    """The resourceVersion a JSON patch or merge patch sets (its precondition), if any."""
    if isinstance(patch, list):
        for op in patch:
            if isinstance(op, dict) and op.get("path") == "/metadata/resourceVersion" and "value" in op:
                return str(op["value"])
        return None
    if isinstance(patch, dict):
        value = patch.get("metadata", {}).get("resourceVersion")
        return None if value is None else str(value)
    return None


def _install_controls(k8s: Any) -> None:
    import kmock

    denied: set[tuple[str, str, str]] = set()

    def requests(_: Any) -> list[dict[str, Any]]:
        return [_describe(r) for r in list(k8s) if not r.url.path.startswith(CONTROL)]

    def fail(req: Any) -> dict[str, Any]:
        spec = req.data
        criteria: list[Any] = [spec["action"], kmock.resource(spec["resource"])]
        if spec.get("name"):
            criteria.append(kmock.name(spec["name"]))
        if spec.get("namespace"):
            criteria.append(kmock.namespace(spec["namespace"]))
        error = kmock.KubernetesError(status=spec["status"], reason=spec["reason"], message=spec["message"])
        # A view's slice counts every matching request since the start, so "the next N" is
        # the slice after the ones it has already seen.
        view = k8s[tuple(criteria)]
        seen = len(list(view))
        view[seen : seen + int(spec["times"])] << error
        return {}

    def pages(req: Any) -> dict[str, Any]:
        spec = req.data
        chain: list[list[dict[str, Any]]] = spec["pages"]

        def page(list_request: Any) -> dict[str, Any]:
            token = (list_request.params or {}).get("continue", "")
            index = int(token.removeprefix("page-")) if token else 0
            following = f"page-{index + 1}" if index + 1 < len(chain) else ""
            return {"apiVersion": "v1", "metadata": {"continue": following}, "items": chain[index]}

        k8s["list", kmock.resource(spec["resource"]), kmock.namespace(spec["namespace"])] << page
        return {}

    def access(req: Any) -> dict[str, Any]:
        denied.clear()
        denied.update(tuple(a) for a in req.data["denied"])
        return {}

    def review(req: Any) -> dict[str, Any]:
        # kmock stores the review like an object; forget it so the next one is not a 409.
        with contextlib.suppress(KeyError):
            del k8s.objects[req.resource, req.namespace, req.name]
        attrs = req.data.get("spec", {}).get("resourceAttributes", {})
        resource = attrs.get("resource", "")
        if attrs.get("subresource"):
            resource = f"{resource}/{attrs['subresource']}"
        allowed = (attrs.get("verb", ""), attrs.get("group", ""), resource) not in denied
        return {**req.data, "status": {"allowed": allowed, "reason": "" if allowed else "denied by the test"}}

    def logs(req: Any) -> dict[str, Any]:
        spec = req.data
        criteria = (
            "get",
            kmock.resource("v1/pods"),
            kmock.namespace(spec["namespace"]),
            kmock.name(spec["pod"]),
            kmock.subresource("log"),
        )
        k8s[criteria] << spec["text"].encode()
        return {}

    k8s[f"get {CONTROL}/requests"] << requests
    k8s[f"post {CONTROL}/fail"] << fail
    k8s[f"post {CONTROL}/pages"] << pages
    k8s[f"post {CONTROL}/access"] << access
    k8s[f"post {CONTROL}/logs"] << logs
    k8s["create", kmock.resource("authorization.k8s.io/v1/selfsubjectaccessreviews")] << review


async def _serve(resource_versions: bool) -> None:
    import asyncio

    import kmock

    emulator = _emulator_class(resource_versions)
    async with emulator() as k8s, kmock.Server(k8s, host="127.0.0.1", port=0) as server:
        k8s.resources.load_bundled()  # else a LIST before any CREATE is a 404
        _install_controls(k8s)
        print(f"READY {server.url}", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str]) -> int:
    import asyncio
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    asyncio.run(_serve("--resource-versions" in argv))
    return 0


if __name__ == "__main__":
    # Run by path from the tests and the benchmark: make ``tests.support`` importable.
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.exit(main(sys.argv[1:]))
