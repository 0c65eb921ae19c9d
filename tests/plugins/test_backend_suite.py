"""The backend conformance suite passes a correct backend and catches broken ones.

Run in-process against the echo backend class (no gRPC), so each broken variant below is
a one-method change of a backend that otherwise passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from cronix.backends.base import AdoptResult, FireSpec, ManagedEntry
from cronix.conformance.backend_suite import BackendVectors, load_backend_vectors, run_backend_suite
from cronix.errors import UsageError
from cronix.plugins.echo import EchoBackend, EchoSeeder
from cronix.protocol.manifest import Job
from tests.plugins.helpers import REPO

VECTORS = REPO / "spec" / "vectors" / "backend-vectors.json"


@pytest.fixture(scope="module")
def vectors() -> BackendVectors:
    return load_backend_vectors(VECTORS)


def _verdicts(backend: EchoBackend, vectors: BackendVectors, seeder: EchoSeeder | None) -> dict[str, str]:
    return {c.name: c.status for c in run_backend_suite(backend, vectors, seeder=seeder)}


def test_echo_passes_every_vector(tmp_path: Path, vectors: BackendVectors) -> None:
    state = str(tmp_path / "state.json")
    verdicts = _verdicts(EchoBackend({"state_path": state}), vectors, EchoSeeder(state))
    assert set(verdicts.values()) == {"pass"}
    # Capability-gated "unsupported" vectors do not run for a backend that has the capability.
    assert "adopt is refused as unsupported when not advertised" not in verdicts
    assert len(verdicts) == 13


def test_the_suite_cleans_up_after_itself(tmp_path: Path, vectors: BackendVectors) -> None:
    state = str(tmp_path / "state.json")
    backend = EchoBackend({"state_path": state})
    _verdicts(backend, vectors, EchoSeeder(state))
    assert backend.list_entries() == []
    assert EchoSeeder(state).foreign_snapshot() == []


def test_without_a_seeder_the_seeded_vectors_are_skipped(tmp_path: Path, vectors: BackendVectors) -> None:
    verdicts = _verdicts(EchoBackend({"state_path": str(tmp_path / "s.json")}), vectors, None)
    assert verdicts["foreign entries are never listed or touched"] == "skip"
    assert verdicts["adopt: dry run, adopt, already managed, divergence, no candidate"] == "skip"
    assert verdicts["lifecycle: create, list, skip, update, delete"] == "pass"


class _ListsForeign(EchoBackend):
    def list_entries(self) -> list[ManagedEntry]:
        with self.state.locked() as doc:
            foreign = [e for e in doc["entries"] if not e.get("marker")]
        extra = [ManagedEntry(self._app_hint, "foreign", i, "0" * 16) for i, _ in enumerate(foreign)]
        return super().list_entries() + extra

    _app_hint = ""

    def create(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        self._app_hint = app
        super().create(app, job, hashes, fire)


class _DeletesTooMuch(EchoBackend):
    def delete(self, app: str, job: str) -> None:
        super().delete(app, job)
        with self.state.locked(write=True) as doc:
            doc["entries"] = [e for e in doc["entries"] if e.get("marker")]


class _FirstScheduleOnly(EchoBackend):
    def update(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        super().update(app, job._replace(schedules=job.schedules[:1]), hashes[:1], fire)


class _OwnsEverything(EchoBackend):
    def verify_ownership(self, entry: ManagedEntry) -> bool:
        return True


class _NoDryRun(EchoBackend):
    def adopt(
        self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec, *, dry_run: bool
    ) -> AdoptResult:
        return super().adopt(app, job, hashes, fire, dry_run=False)


@pytest.mark.parametrize(
    ("broken", "vector"),
    [
        (_ListsForeign, "foreign entries are never listed or touched"),
        (_DeletesTooMuch, "foreign entries are never listed or touched"),
        (_FirstScheduleOnly, "multi-schedule: one entry per schedule, update replaces them all"),
        (_OwnsEverything, "ownership verification"),
        (_NoDryRun, "adopt: dry run, adopt, already managed, divergence, no candidate"),
    ],
)
def test_broken_backends_fail(
    tmp_path: Path, vectors: BackendVectors, broken: type[EchoBackend], vector: str
) -> None:
    state = str(tmp_path / "state.json")
    verdicts = _verdicts(broken({"state_path": state}), vectors, EchoSeeder(state))
    assert verdicts[vector] == "fail"


def test_failure_details_name_the_step(tmp_path: Path, vectors: BackendVectors) -> None:
    state = str(tmp_path / "state.json")
    checks = list(
        run_backend_suite(_OwnsEverything({"state_path": state}), vectors, seeder=EchoSeeder(state))
    )
    (failed,) = [c for c in checks if c.status == "fail"]
    assert failed.detail.startswith("step 3 (verify): verify_ownership(")
    assert failed.line().startswith("FAIL  backend   ownership verification\n      step 3")


def test_unreadable_vectors_are_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "v.json"
    bad.write_text('{"jobs": {}, "vectors": []}')
    with pytest.raises(UsageError, match="cannot read backend vectors"):
        load_backend_vectors(bad)
    bad.write_text('{"jobs": {"x": {"name": "BAD"}}, "foreign": {}, "vectors": []}')
    with pytest.raises(UsageError, match="cannot read backend vectors"):
        load_backend_vectors(bad)
