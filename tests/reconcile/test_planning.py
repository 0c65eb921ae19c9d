"""Plan and apply logic against the in-tree ``memory`` backend (cronix's own fake, not a stub
of another system); it records calls so ordering, stop-at-first-failure and ownership
checks can be observed exactly.
"""

from __future__ import annotations

import pytest

from cronix.backends.base import DRIFT_SENTINEL, Backend, ManagedEntry
from cronix.backends.memory import MemoryBackend
from cronix.protocol.manifest import Manifest, load_manifest_object
from cronix.protocol.ownership import ownership_hashes
from cronix.reconcile import ApplyFailed, BackendInvalid, apply_plan, compute_plan
from tests.reconcile.conftest import job, manifest_doc


def _manifest(*jobs: dict[str, object]) -> Manifest:
    return load_manifest_object(manifest_doc("billing", *jobs))


def _installed(m: Manifest, name: str, app: str = "billing") -> list[ManagedEntry]:
    j = m.job(name)
    assert j is not None
    return [ManagedEntry(app, name, i, h) for i, h in enumerate(ownership_hashes(j))]


def test_memory_backend_satisfies_the_protocol() -> None:
    assert isinstance(MemoryBackend(), Backend)


def test_apply_order_and_a_converged_backend_gets_no_writes() -> None:
    old = _manifest(job("gone-b"), job("gone-a"), job("changed", "@daily"), job("same"))
    new = _manifest(job("changed", "@hourly"), job("same"), job("fresh"))
    backend = MemoryBackend(
        [e for n in ("gone-b", "gone-a", "changed", "same") for e in _installed(old, n)]
        + _installed(old, "same", app="other")
    )
    plan = compute_plan(backend, new)
    assert [(op.action, op.job) for op in plan.ops] == [
        ("update", "changed"),
        ("create", "fresh"),
        ("skip", "same"),
        ("delete", "gone-a"),
        ("delete", "gone-b"),
    ]
    result = apply_plan(plan, backend)
    assert backend.calls == ["list", "delete gone-a", "delete gone-b", "update changed", "create fresh"]
    assert (result.created, result.updated, result.deleted, result.skipped) == (
        ["fresh"],
        ["changed"],
        ["gone-a", "gone-b"],
        1,
    )
    assert any(e.app == "other" for e in backend.store)  # another app's entry is never touched
    backend.calls.clear()
    again = compute_plan(backend, new)
    assert again.noop
    assert apply_plan(again, backend).noop
    assert backend.calls == ["list"]


def test_first_failure_stops_and_says_what_was_and_was_not_done() -> None:
    old = _manifest(job("gone"), job("changed", "@daily"))
    new = _manifest(job("changed", "@hourly"), job("fresh"))
    backend = MemoryBackend(_installed(old, "gone") + _installed(old, "changed"), fail_on="update changed")
    with pytest.raises(ApplyFailed) as caught:
        apply_plan(compute_plan(backend, new), backend)
    err = caught.value
    assert err.exit_code == 1
    assert str(err) == (
        "apply on memory failed at update billing.changed: memory: update changed failed; "
        "done: delete gone; not done: update changed, create fresh"
    )
    assert err.result.deleted == ["gone"]
    assert "create fresh" not in backend.calls


def test_an_entry_that_changed_hands_is_not_touched() -> None:
    old = _manifest(job("changed", "@daily"))
    backend = MemoryBackend(_installed(old, "changed"))
    backend.disowned.add(("billing", "changed", 0))
    with pytest.raises(ApplyFailed, match="changed since the plan was made"):
        apply_plan(compute_plan(backend, _manifest(job("changed", "@hourly"))), backend)
    assert backend.calls == ["list"]


def test_validation_errors_abort_before_listing_and_name_every_job() -> None:
    backend = MemoryBackend()
    backend.invalid = {"a": "nope", "c": "also nope"}
    with pytest.raises(BackendInvalid) as caught:
        compute_plan(backend, _manifest(job("a"), job("b"), job("c")))
    assert str(caught.value) == (
        "backend memory cannot run this manifest (2 issues): "
        "billing.a schedules/0: nope; billing.c schedules/0: also nope"
    )
    assert caught.value.exit_code == 1
    assert backend.calls == []


@pytest.mark.parametrize(
    ("installed", "reason"),
    [
        (lambda hs: [ManagedEntry("billing", "j", 0, hs[0])], "changed in the manifest"),  # index 1 missing
        (
            lambda hs: (
                [ManagedEntry("billing", "j", i, h) for i, h in enumerate(hs)]
                + [ManagedEntry("billing", "j", 1, hs[1])]
            ),
            "duplicate entries",
        ),
        (
            lambda hs: [
                ManagedEntry("billing", "j", 0, hs[0]),
                ManagedEntry("billing", "j", 1, DRIFT_SENTINEL),
            ],
            "edited by hand",
        ),
    ],
)
def test_partial_duplicate_and_hand_edited_jobs_are_updated(installed: object, reason: str) -> None:
    m = _manifest(job("j", "@hourly", "@daily"))
    j = m.job("j")
    assert j is not None
    backend = MemoryBackend(installed(ownership_hashes(j)))  # type: ignore[operator]
    (op,) = compute_plan(backend, m).ops
    assert (op.action, op.reason) == ("update", reason)
