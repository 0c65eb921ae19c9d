"""The kubernetes backend against a real kmock server process, through the official client over HTTP.

kmock's fidelity gaps met here (``tests/support/kmock_server.py``): it ignores label
selectors, ``limit`` and ``continue`` (so every list is one page, and objects without
cronix's labels come back from a labelled list — the backend must check labels itself);
it assigns no ``resourceVersion`` (the tests that need one use the ``kmock_rv`` process,
which adds exactly that through kmock's extension point, or inject a 409 through kmock's
own response DSL); it has no PUT (the backend updates with JSON patches, which kmock
applies with the ``jsonpatch`` library). Every assertion about API calls reads kmock's
own request log.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from cronix.backends.kubernetes import MAX_CONFLICTS, KubernetesBackend
from cronix.backends.kubernetes_api import KubeApi
from cronix.backends.kubernetes_objects import labels
from cronix.backends.kubernetes_options import KubernetesOptions
from cronix.backends.kubernetes_seeder import cron_job
from cronix.errors import BackendError
from cronix.protocol.ownership import ownership_hashes
from cronix.reconcile import ApplyFailed, compute_plan, reconcile
from tests.kubernetes.conftest import IMAGE, job_doc, manifest, open_k8s, writes
from tests.support.kmock_server import KmockServer


def since(server: KmockServer, mark: int) -> list[dict[str, object]]:
    return server.requests()[mark:]


def test_create_list_update_delete_in_place(kmock: KmockServer, namespace: str) -> None:
    backend = open_k8s(kmock, namespace)
    first = manifest("billing", job_doc("ping", "0 * * * *", "30 6 * * 1"))
    mark = len(kmock.requests())
    outcome = reconcile(first, backend)
    assert outcome.result is not None
    assert outcome.result.created == ["ping"]
    assert sorted(writes(since(kmock, mark))) == sorted(
        [("POST", "configmaps", None)] * 2 + [("POST", "cronjobs", None)] * 2
    )
    entries = sorted((e.app, e.job, e.index, e.hash) for e in open_k8s(kmock, namespace).list_entries())
    hashes = ownership_hashes(first.jobs[0])
    assert entries == [("billing", "ping", 0, hashes[0]), ("billing", "ping", 1, hashes[1])]

    changed = manifest("billing", job_doc("ping", "15 * * * *", "30 6 * * 1"))
    backend = open_k8s(kmock, namespace)
    mark = len(kmock.requests())
    outcome = reconcile(changed, backend)
    assert outcome.result is not None
    assert outcome.result.updated == ["ping"]
    done = writes(since(kmock, mark))
    # In place: patches only, never delete-then-create.
    assert Counter(done) == Counter(
        {
            ("PATCH", "configmaps", "cronix-billing-ping-0-spec"): 1,
            ("PATCH", "configmaps", "cronix-billing-ping-1-spec"): 1,
            ("PATCH", "cronjobs", "cronix-billing-ping-0"): 1,
            ("PATCH", "cronjobs", "cronix-billing-ping-1"): 1,
        }
    )
    live = backend.api.get("cronjobs", "cronix-billing-ping-0")
    assert live is not None
    assert live["spec"]["schedule"] == "15 * * * *"
    assert live["metadata"]["labels"]["cronix.dev/hash"] == ownership_hashes(changed.jobs[0])[0]

    fewer = manifest("billing", job_doc("ping", "15 * * * *"))
    mark = len(kmock.requests())
    reconcile(fewer, open_k8s(kmock, namespace))
    done = writes(since(kmock, mark))
    assert ("DELETE", "cronjobs", "cronix-billing-ping-1") in done
    assert ("DELETE", "configmaps", "cronix-billing-ping-1-spec") in done
    assert not [w for w in done if w[0] == "POST"]

    mark = len(kmock.requests())
    reconcile(manifest("billing"), open_k8s(kmock, namespace))
    assert sorted(writes(since(kmock, mark))) == [
        ("DELETE", "configmaps", "cronix-billing-ping-0-spec"),
        ("DELETE", "cronjobs", "cronix-billing-ping-0"),
    ]
    assert open_k8s(kmock, namespace).list_entries() == []


def test_a_no_op_apply_writes_nothing_and_lists_each_kind_once(kmock: KmockServer, namespace: str) -> None:
    m = manifest("billing", *(job_doc(f"job-{i}", f"{i} * * * *", "0 0 * * *") for i in range(6)))
    reconcile(m, open_k8s(kmock, namespace))
    mark = len(kmock.requests())
    outcome = reconcile(m, open_k8s(kmock, namespace))
    assert outcome.plan.noop
    calls = since(kmock, mark)
    assert writes(calls) == []
    lists = Counter(r["resource"] for r in calls if r["action"] == "LIST")
    assert lists == {"cronjobs": 1, "configmaps": 1}
    # …each with cronix's label selector and a page size (kmock ignores both).
    for r in calls:
        if r["action"] == "LIST":
            assert r["query"] == {"labelSelector": "cronix.dev/managed=true", "limit": "500"}
    # Nothing else but the access reviews of check().
    assert {r["resource"] for r in calls} == {"cronjobs", "configmaps", "selfsubjectaccessreviews"}


def test_a_conflict_is_read_again_and_not_overwritten_blindly(kmock: KmockServer, namespace: str) -> None:
    """kmock answers the first PATCH of the CronJob with 409 through its own response DSL. (Its
    store has applied that patch anyway — kmock applies writes before it answers — so the
    object read again is already right and needs no second patch; the rv test below covers
    the patch after a real conflict.) The backend must read the object again, never delete or
    create it."""
    reconcile(manifest("billing", job_doc("ping", "0 * * * *")), open_k8s(kmock, namespace))
    kmock.fail("patch", "batch/v1/cronjobs", name="cronix-billing-ping-0", namespace=namespace)
    mark = len(kmock.requests())
    outcome = reconcile(manifest("billing", job_doc("ping", "5 * * * *")), open_k8s(kmock, namespace))
    assert outcome.result is not None
    assert outcome.result.updated == ["ping"]
    on_the_cron_job = [
        (r["method"], r["action"]) for r in since(kmock, mark) if r["name"] == "cronix-billing-ping-0"
    ]
    # verify_ownership's read, the refused patch, the fresh read (already as wanted: done).
    assert on_the_cron_job == [("GET", "FETCH"), ("PATCH", "UPDATE"), ("GET", "FETCH")]
    live = open_k8s(kmock, namespace).api.get("cronjobs", "cronix-billing-ping-0")
    assert live is not None
    assert live["spec"]["schedule"] == "5 * * * *"


class RacingApi(KubeApi):
    """The backend's real API connection, with a second real client editing the object just
    before each of the backend's patches — someone who keeps changing it."""

    def __init__(self, options: KubernetesOptions, other: KubeApi) -> None:
        super().__init__(options)
        self.other = other
        self.raced = 0

    def patch(self, resource: str, name: str, ops: list[dict[str, Any]]) -> dict[str, Any]:
        self.raced += 1
        self.other.patch(
            resource,
            name,
            [{"op": "add", "path": "/metadata/annotations", "value": {"edit": str(self.raced)}}],
        )
        return super().patch(resource, name, ops)


def test_endless_conflicts_fail_the_apply_with_one_clear_line(kmock_rv: KmockServer, namespace: str) -> None:
    reconcile(manifest("billing", job_doc("ping", "0 * * * *")), open_k8s(kmock_rv, namespace))
    plain = open_k8s(kmock_rv, namespace)
    backend = KubernetesBackend(
        plain.options, api=RacingApi(plain.options, open_k8s(kmock_rv, namespace).api)
    )
    with pytest.raises(ApplyFailed) as failed:
        reconcile(manifest("billing", job_doc("ping", "5 * * * *")), backend)
    message = str(failed.value)
    assert "configmap cronix-billing-ping-0-spec" in message
    assert f"changed {MAX_CONFLICTS} times" in message
    assert "nothing of it was overwritten" in message
    assert "\n" not in message
    assert backend.api.raced == MAX_CONFLICTS  # type: ignore[attr-defined]
    live = plain.api.get("configmaps", "cronix-billing-ping-0-spec")
    assert live is not None
    assert '"0 * * * *"' in live["data"]["billing.ping.json"]  # the other writer's object, as it left it


def test_a_stale_resource_version_is_refused_and_the_change_kept_then_overwritten_in_place(
    kmock_rv: KmockServer, namespace: str
) -> None:
    """With resourceVersion semantics (the ``kmock_rv`` process): someone edits the CronJob between
    the backend's list and its patch. The patch asserting the listed version is refused (409),
    the backend reads the edited object, sees it is still its own, and patches it at the new
    version — the edit is overwritten by an update, never by delete-and-create."""
    reconcile(manifest("billing", job_doc("ping", "0 * * * *")), open_k8s(kmock_rv, namespace))
    backend = open_k8s(kmock_rv, namespace)
    plan = compute_plan(backend, manifest("billing", job_doc("ping", "5 * * * *")))
    listed = backend.api.get("cronjobs", "cronix-billing-ping-0")
    assert listed is not None
    before = listed["metadata"]["resourceVersion"]
    # Another writer (a second client, a person) changes the image meanwhile.
    other = open_k8s(kmock_rv, namespace)
    other.api.patch(
        "cronjobs",
        "cronix-billing-ping-0",
        [
            {
                "op": "add",
                "path": "/spec/jobTemplate/spec/template/spec/containers/0/image",
                "value": "hand:edit",
            }
        ],
    )
    assert plan.ops[0].action == "update"
    from cronix.reconcile import apply_plan

    backend._cron_jobs = {
        **(backend._cron_jobs or {}),
        "cronix-billing-ping-0": listed,
    }  # the view of the plan
    mark = len(kmock_rv.requests())
    apply_plan(plan, _without_verify(backend))
    calls = [(r["method"]) for r in since(kmock_rv, mark) if r["name"] == "cronix-billing-ping-0"]
    assert calls == ["PATCH", "GET", "PATCH"]
    live = other.api.get("cronjobs", "cronix-billing-ping-0")
    assert live is not None
    assert int(live["metadata"]["resourceVersion"]) > int(before) + 1
    assert live["spec"]["schedule"] == "5 * * * *"
    assert live["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGE


def _without_verify(backend: object) -> object:
    """The backend, with verify_ownership answered from the plan's view (so the race stays open).

    The reconciler re-reads every entry right before it writes (``verify_ownership``), which
    would close the window this test needs; a subclass instance keeps everything else real.
    """
    from cronix.backends.kubernetes import KubernetesBackend

    class Racing(KubernetesBackend):
        def verify_ownership(self, entry: object) -> bool:
            return True

    racing = Racing(backend.options, api=backend.api)  # type: ignore[attr-defined]
    racing._cron_jobs, racing._config_maps = backend._cron_jobs, backend._config_maps  # type: ignore[attr-defined]
    return racing


def test_lists_follow_continue_tokens(kmock: KmockServer, namespace: str) -> None:
    """kmock has no pagination; its response DSL serves the list as two pages chained by
    ``metadata.continue``, and the backend must read both, with its page size and the token."""
    m = manifest("billing", job_doc("a"), job_doc("b"), job_doc("c"))
    reconcile(m, open_k8s(kmock, namespace))
    backend = open_k8s(kmock, namespace, page_size=2)
    stored = backend.api.items("cronjobs")
    assert len(stored) == 3
    kmock.pages("batch/v1/cronjobs", namespace, [stored[:2], stored[2:]])
    mark = len(kmock.requests())
    assert sorted(e.job for e in backend.list_entries()) == ["a", "b", "c"]
    pages = [r["query"] for r in since(kmock, mark) if r["resource"] == "cronjobs" and r["action"] == "LIST"]
    assert pages == [
        {"labelSelector": "cronix.dev/managed=true", "limit": "2"},
        {"labelSelector": "cronix.dev/managed=true", "limit": "2", "continue": "page-1"},
    ]


def test_labels_are_checked_client_side(kmock: KmockServer, namespace: str) -> None:
    """kmock returns every CronJob for a labelled list: only well-labelled ones are entries."""
    backend = open_k8s(kmock, namespace)
    reconcile(manifest("billing", job_doc("ping")), backend)
    backend.api.create("cronjobs", cron_job("nightly-backup", "5 4 * * *", ["backup"], "backup:1"))
    forged = cron_job("cronix-billing-pong-0", "0 * * * *", ["cronix", "trigger", "billing.pong"], IMAGE)
    forged["metadata"]["labels"] = {**labels("billing", "pong", "0" * 16, 0), "cronix.dev/index": "zero"}
    backend.api.create("cronjobs", forged)
    copied = cron_job("copy-of-ping", "0 * * * *", ["cronix", "trigger", "billing.ping"], IMAGE)
    copied["metadata"]["labels"] = labels("billing", "ping", "0" * 16, 0)
    backend.api.create("cronjobs", copied)
    fresh = open_k8s(kmock, namespace)
    assert [(e.app, e.job, e.index) for e in fresh.list_entries()] == [("billing", "ping", 0)]
    problems = {d.code: d.message for d in fresh.audit_markers()}
    assert "cronjob cronix-billing-pong-0" in problems["malformed_marker"]
    assert "copy-of-ping" in problems["misnamed"]
    # A plan never touches what is not an entry.
    assert [op.action for op in compute_plan(fresh, manifest("billing")).ops] == ["delete"]
    reconcile(manifest("billing"), fresh)
    left = sorted(o["metadata"]["name"] for o in fresh.api.items("cronjobs"))
    assert left == ["copy-of-ping", "cronix-billing-pong-0", "nightly-backup"]


def test_an_ambiguous_name_is_never_taken_from_its_owner(kmock: KmockServer, namespace: str) -> None:
    """App ``a-b`` job ``c`` and app ``a`` job ``b-c`` share the name cronix-a-b-c-0 (reference §11)."""
    reconcile(manifest("a-b", job_doc("c", "0 * * * *")), open_k8s(kmock, namespace))
    with pytest.raises(ApplyFailed) as failed:
        reconcile(manifest("a", job_doc("b-c", "30 * * * *")), open_k8s(kmock, namespace))
    assert "cronix-a-b-c-0" in str(failed.value)
    assert "it belongs to a-b.c" in str(failed.value)
    live = open_k8s(kmock, namespace).api.get("cronjobs", "cronix-a-b-c-0")
    assert live is not None
    assert live["spec"]["schedule"] == "0 * * * *"
    assert live["metadata"]["labels"]["cronix.dev/app"] == "a-b"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("/spec/schedule", "59 * * * *"),
        ("/spec/jobTemplate/spec/template/spec/containers/0/image", "evil:latest"),
        ("/spec/jobTemplate/spec/template/spec/containers/0/command", ["sh", "-c", "curl evil"]),
        ("/spec/timeZone", "Asia/Tokyo"),
    ],
    ids=["schedule", "image", "command", "timezone"],
)
def test_hand_edits_are_drift_and_apply_puts_them_back(
    kmock: KmockServer, namespace: str, path: str, value: object
) -> None:
    m = manifest("billing", job_doc("ping", "0 * * * *"))
    backend = open_k8s(kmock, namespace)
    reconcile(m, backend)
    backend.api.patch("cronjobs", "cronix-billing-ping-0", [{"op": "replace", "path": path, "value": value}])
    plan = compute_plan(open_k8s(kmock, namespace), m)
    assert [(op.action, op.reason) for op in plan.ops] == [("update", "edited by hand")]
    reconcile(m, open_k8s(kmock, namespace))
    assert compute_plan(open_k8s(kmock, namespace), m).noop


def test_an_edited_config_map_is_drift(kmock: KmockServer, namespace: str) -> None:
    m = manifest("billing", job_doc("ping"))
    backend = open_k8s(kmock, namespace)
    reconcile(m, backend)
    spec = backend.api.get("configmaps", "cronix-billing-ping-0-spec")
    assert spec is not None
    text = spec["data"]["billing.ping.json"].replace("billing.example.com", "evil.example.com")
    backend.api.patch(
        "configmaps",
        spec["metadata"]["name"],
        [{"op": "replace", "path": "/data/billing.ping.json", "value": text}],
    )
    assert [op.reason for op in compute_plan(open_k8s(kmock, namespace), m).ops] == ["edited by hand"]


def test_a_declared_pause_suspends_and_an_undeclared_one_is_drift(kmock: KmockServer, namespace: str) -> None:
    """Issue 15 item 5 (D-721): ``enabled: false`` is ``suspend: true``; a suspend made with
    kubectl for a job the manifest runs is drift, and apply resumes it."""
    backend = open_k8s(kmock, namespace)
    paused = manifest("billing", {**job_doc("ping", "0 * * * *"), "enabled": False})
    reconcile(paused, backend)
    live = backend.api.get("cronjobs", "cronix-billing-ping-0")
    assert live is not None and live["spec"]["suspend"] is True
    listed = open_k8s(kmock, namespace).list_entries()
    assert [e.paused for e in listed] == [True]
    assert compute_plan(open_k8s(kmock, namespace), paused).noop
    running = manifest("billing", job_doc("ping", "0 * * * *"))
    reconcile(running, open_k8s(kmock, namespace))
    live = backend.api.get("cronjobs", "cronix-billing-ping-0")
    assert live is not None and not live["spec"].get("suspend")
    backend.api.patch(
        "cronjobs", "cronix-billing-ping-0", [{"op": "add", "path": "/spec/suspend", "value": True}]
    )
    (op,) = compute_plan(open_k8s(kmock, namespace), running).ops
    assert op.action == "update" and "paused on the backend" in op.reason
    reconcile(running, open_k8s(kmock, namespace))
    live = backend.api.get("cronjobs", "cronix-billing-ping-0")
    assert live is not None and not live["spec"].get("suspend")


def test_a_deleted_object_is_created_again(kmock: KmockServer, namespace: str) -> None:
    m = manifest("billing", job_doc("ping"))
    backend = open_k8s(kmock, namespace)
    reconcile(m, backend)
    backend.api.delete("configmaps", "cronix-billing-ping-0-spec")
    assert [op.reason for op in compute_plan(open_k8s(kmock, namespace), m).ops] == ["edited by hand"]
    reconcile(m, open_k8s(kmock, namespace))
    assert open_k8s(kmock, namespace).api.get("configmaps", "cronix-billing-ping-0-spec") is not None


def test_api_errors_are_one_line_backend_errors(kmock: KmockServer, namespace: str) -> None:
    kmock.fail(
        "list", "batch/v1/cronjobs", namespace=namespace, status=403, reason="Forbidden",
        message='cronjobs.batch is forbidden: User "ci" cannot list resource "cronjobs"',
    )  # fmt: skip
    with pytest.raises(BackendError) as failed:
        open_k8s(kmock, namespace).list_entries()
    assert str(failed.value) == (
        f"kubernetes: list cronjobs in namespace {namespace}: 403 Forbidden: forbidden (grant the Role in "
        "docs/kubernetes.md; `cronix plan` lists what is missing): cronjobs.batch is forbidden: "
        'User "ci" cannot list resource "cronjobs"'
    )
