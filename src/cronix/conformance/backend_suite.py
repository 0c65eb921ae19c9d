"""The backend conformance suite: the same behavioural vectors against any Backend.

``spec/vectors/backend-vectors.json`` is data (usable from other languages): named
vectors of steps such as ``apply`` (validate, plan and apply with the reconciler's own
``compute_plan``/``apply_plan``), ``list`` (exact entries with host-computed hashes), ``verify``,
``adopt``, ``seed_foreign``. :func:`run_backend_suite` plays them against one open
backend — an in-tree backend or a plugin proxy, the suite cannot tell — giving each vector
fresh app ids so vectors never see each other's entries, and cleaning up after itself.

Entries cronix does not own cannot be created through the Backend protocol, so vectors
that need them (``requires: ["seeder"]``) use a :class:`Seeder` that writes to the
backend's storage natively; without one they are skipped, and the summary says so.

Expected hashes come from :mod:`cronix.protocol.ownership` (the host's computation,
checked against golden vectors elsewhere), never from the backend under test.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from cronix.backends.base import FireSpec, PausesByOmission, UnsupportedOperation
from cronix.errors import CronixError, PluginError, UsageError
from cronix.protocol.manifest import Manifest, load_manifest_object
from cronix.protocol.ownership import ownership_hashes

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path

    from cronix.backends.base import Backend
    from cronix.protocol.manifest import Job

__all__ = ["BackendVectors", "Check", "Seeder", "load_backend_vectors", "run_backend_suite"]

_ACTIONS = ("create", "update", "skip", "delete")
#: Plugin failure categories after which the plugin is unusable: stop the suite.
_FATAL = frozenset({"crashed", "timeout", "start", "protocol"})


class Seeder(Protocol):
    """Plants entries cronix does not own, natively, in the backend's storage."""

    def seed_foreign(self, schedule: str, command: str) -> None: ...

    def foreign_snapshot(self) -> object:
        """Something comparable that changes if any foreign entry changed."""
        ...

    def seed_unmarked(self, app: str, job: Job, schedules: Sequence[str]) -> None:
        """Unmarked entries running ``cronix trigger <app>.<job>`` (adoption candidates)."""
        ...

    def cleanup(self) -> None:
        """Remove everything this seeder planted."""
        ...


@dataclass(frozen=True, slots=True)
class Check:
    """The verdict on one vector (or one protocol check)."""

    suite: str
    name: str
    status: Literal["pass", "fail", "skip"]
    detail: str = ""

    def line(self) -> str:
        text = f"{self.status.upper():<5} {self.suite:<8}  {self.name}"
        return f"{text}\n      {self.detail}" if self.detail else text


@dataclass(frozen=True, slots=True)
class BackendVectors:
    jobs: Mapping[str, Job]
    foreign: Mapping[str, str]
    vectors: Sequence[Mapping[str, Any]]


def load_backend_vectors(path: Path) -> BackendVectors:
    """Read and check the vector file (``UsageError`` when it cannot be used)."""
    try:
        doc = json.loads(path.read_bytes())
        jobs = {key: _job(raw) for key, raw in doc["jobs"].items()}
        return BackendVectors(jobs=jobs, foreign=dict(doc["foreign"]), vectors=list(doc["vectors"]))
    except (OSError, ValueError, KeyError, TypeError, CronixError) as exc:
        raise UsageError(f"cannot read backend vectors {path}: {exc}") from None


def _job(raw: Mapping[str, Any]) -> Job:
    return load_manifest_object({"version": 1, "app": "vectors", "jobs": [raw]}).jobs[0]


class _Failed(Exception):
    pass


class _Run:
    """One vector against one backend."""

    def __init__(self, backend: Backend, vectors: BackendVectors, seeder: Seeder | None) -> None:
        self.backend = backend
        self.vectors = vectors
        self.seeder = seeder
        base = f"cxconf-{secrets.token_hex(4)}"
        self.apps = {"main": base, "other": f"{base}-b"}
        from cronix.reconcile.strategies import FireSelection, choose_strategies

        # The strategy an apply would choose with nothing asked (local-shim, or a managed
        # backend's only one), so every backend is graded firing the way it fires.
        self.strategy = choose_strategies(FireSelection().for_backend(backend), []).strategy

    def app(self, step: Mapping[str, Any]) -> str:
        return self.apps[step.get("app", "main")]

    def job(self, key: str) -> Job:
        return self.vectors.jobs[key]

    def expected_entries(
        self, app: str, specs: Sequence[Mapping[str, Any]]
    ) -> list[tuple[str, str, int, str]]:
        out = []
        for spec in specs:
            job = self.job(spec["hash_of"])
            out.append((app, spec["job"], int(spec["index"]), ownership_hashes(job)[int(spec["index"])]))
        return sorted(out)

    def listed(self, app: str) -> list[tuple[str, str, int, str]]:
        return sorted((e.app, e.job, e.index, e.hash) for e in self.backend.list_entries() if e.app == app)

    # -- ops

    def op_check(self, step: Mapping[str, Any]) -> None:
        errors = [d.render() for d in self.backend.check() if d.severity == "error"]
        if errors:
            raise _Failed(f"check() reported errors: {'; '.join(errors)}")

    def op_list(self, step: Mapping[str, Any]) -> None:
        app = self.app(step)
        want = self.expected_entries(app, step["expect"])
        got = self.listed(app)
        if got != want:
            raise _Failed(f"list_entries() for the app gave {got}, expected {want}")
        # "paused" (D-721): a backend that reports the state must report the declared one.
        states = {(e.job, e.index): e.paused for e in self.backend.list_entries() if e.app == app}
        for spec in step["expect"]:
            state = states.get((spec["job"], int(spec["index"])))
            if "paused" in spec and state is not None and state != spec["paused"]:
                where = f"{spec['job']}#{spec['index']}"
                raise _Failed(f"{where} lists paused={state}, expected {spec['paused']}")

    def op_create(self, step: Mapping[str, Any]) -> None:
        app, job = self.app(step), self.job(step["job"])
        self.backend.create(app, job, ownership_hashes(job), FireSpec.build(app, job, strategy=self.strategy))

    def op_delete(self, step: Mapping[str, Any]) -> None:
        self.backend.delete(self.app(step), self.job(step["job"]).name)

    def op_verify(self, step: Mapping[str, Any]) -> None:
        from cronix.backends.base import ManagedEntry

        spec = step["entry"]
        digest = ownership_hashes(self.job(spec["hash_of"]))[int(spec["index"])]
        entry = ManagedEntry(self.app(step), spec["job"], int(spec["index"]), digest)
        got = self.backend.verify_ownership(entry)
        if got is not bool(step["expect"]):
            raise _Failed(f"verify_ownership({entry.app}.{entry.job}#{entry.index}) gave {got}")

    def op_apply(self, step: Mapping[str, Any]) -> None:
        """Validate, plan and apply with the reconciler itself (``compute_plan``/``apply_plan``)."""
        from cronix.reconcile import BackendInvalid, FireSettings, apply_plan, compute_plan

        app = self.app(step)
        desired = {job.name: job for job in (self.job(k) for k in step["jobs"])}
        manifest = Manifest(app, tuple(desired[name] for name in sorted(desired)))
        try:
            plan = compute_plan(self.backend, manifest)
        except BackendInvalid as exc:
            raise _Failed(f"validation failed: {exc}") from None
        got = {a: sorted(op.job for op in plan.ops if op.action == a) for a in _ACTIONS}
        expected = {a: sorted(step["expect"].get(a, [])) for a in _ACTIONS}
        if got != expected:
            raise _Failed(f"plan {got} differs from the expected {expected}")
        if not step.get("dry_run"):
            apply_plan(plan, self.backend, fire=FireSettings(strategy=self.strategy))

    def op_adopt(self, step: Mapping[str, Any]) -> None:
        app, job = self.app(step), self.job(step["job"])
        try:
            result = self.backend.adopt(
                app,
                job,
                ownership_hashes(job),
                FireSpec.build(app, job, strategy=self.strategy),
                dry_run=bool(step.get("dry_run")),
            )
        except UnsupportedOperation:
            if step["expect"] == "unsupported":
                return
            raise
        if step["expect"] == "unsupported":
            raise _Failed("adopt() did not raise UnsupportedOperation")
        got = {k: getattr(result, k) for k in ("found", "adopted", "already_managed", "diverged")}
        if got != step["expect"]:
            raise _Failed(f"adopt({job.name}) gave {got}, expected {step['expect']}")
        if result.diverged and not result.divergences:
            raise _Failed(f"adopt({job.name}) diverged without saying how")

    def op_history(self, step: Mapping[str, Any]) -> None:
        from cronix.backends.base import HistoryQuery

        app, job = self.app(step), self.job(step["job"]).name
        try:
            found = self.backend.history(HistoryQuery(app=app, job=job, limit=10))
        except UnsupportedOperation:
            if step.get("expect") == "unsupported":
                return
            raise
        if step.get("expect") == "unsupported":
            raise _Failed("history() did not raise UnsupportedOperation")
        strays = [h for h in found if (h.app, h.job) != (app, job)]
        if strays or len(found) > 10:
            raise _Failed(f"history() returned {len(found)} runs, {len(strays)} of another job")

    def op_seed_foreign(self, step: Mapping[str, Any]) -> None:
        assert self.seeder is not None
        self.seeder.seed_foreign(self.vectors.foreign["schedule"], self.vectors.foreign["command"])
        self.foreign_before = self.seeder.foreign_snapshot()

    def op_foreign_intact(self, step: Mapping[str, Any]) -> None:
        assert self.seeder is not None
        if self.seeder.foreign_snapshot() != self.foreign_before:
            raise _Failed("a foreign entry was changed or removed")

    def op_seed_unmarked(self, step: Mapping[str, Any]) -> None:
        assert self.seeder is not None
        job = self.job(step["job"])
        self.seeder.seed_unmarked(self.app(step), job, step.get("schedules", job.schedules))

    def cleanup(self) -> None:
        for app in self.apps.values():
            for name in sorted({e.job for e in self.backend.list_entries() if e.app == app}):
                self.backend.delete(app, name)
        if self.seeder is not None:
            self.seeder.cleanup()


def run_backend_suite(
    backend: Backend, vectors: BackendVectors, *, seeder: Seeder | None = None, suite: str = "backend"
) -> Iterator[Check]:
    """Play every vector against ``backend``; yield one :class:`Check` per vector.

    A plugin that crashed, hung or broke the protocol cannot be tested further: its
    :class:`~cronix.errors.PluginError` propagates (exit 3).
    """
    have = set(backend.capabilities) | ({"seeder"} if seeder is not None else set())
    if isinstance(backend, PausesByOmission):
        have.add("pauses-by-omission")
    for vector in vectors.vectors:
        name = vector["name"]
        missing = sorted(set(vector.get("requires", ())) - have)
        if missing:
            yield Check(suite, name, "skip", f"needs {', '.join(missing)}")
            continue
        if set(vector.get("unless", ())) & have or set(vector.get("only", ())) - have:
            continue  # not this backend's behaviour (a capability it has, a trait it lacks)
        yield _play(backend, vectors, seeder, suite, vector)


def _play(
    backend: Backend, vectors: BackendVectors, seeder: Seeder | None, suite: str, vector: Mapping[str, Any]
) -> Check:
    run = _Run(backend, vectors, seeder)
    name = vector["name"]
    try:
        for i, step in enumerate(vector["steps"], 1):
            try:
                getattr(run, f"op_{step['op']}")(step)
            except _Failed as exc:
                return Check(suite, name, "fail", f"step {i} ({step['op']}): {exc}")
            except PluginError as exc:
                if getattr(exc, "category", "") in _FATAL:
                    raise
                return Check(suite, name, "fail", f"step {i} ({step['op']}): {exc}")
            except CronixError as exc:
                return Check(suite, name, "fail", f"step {i} ({step['op']}): {type(exc).__name__}: {exc}")
        return Check(suite, name, "pass")
    finally:
        try:
            run.cleanup()
        except CronixError as exc:
            if isinstance(exc, PluginError) and getattr(exc, "category", "") in _FATAL:
                raise
