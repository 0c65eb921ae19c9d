"""The backend conformance suite: the same behavioural vectors against any Backend.

``spec/vectors/backend-vectors.json`` is data (usable from other languages): named
vectors of steps such as ``apply`` (validate, plan against ``list_entries``, verify
ownership, mutate), ``list`` (exact entries with host-computed hashes), ``verify``,
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

from cronix.backends.base import UnsupportedOperation
from cronix.errors import CronixError, PluginError, UsageError
from cronix.protocol.manifest import load_manifest_object
from cronix.protocol.ownership import ownership_hashes

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path

    from cronix.backends.base import Backend, ManagedEntry
    from cronix.protocol.manifest import Job

__all__ = ["BackendVectors", "Check", "Seeder", "load_backend_vectors", "run_backend_suite"]

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

    def op_create(self, step: Mapping[str, Any]) -> None:
        job = self.job(step["job"])
        self.backend.create(self.app(step), job, ownership_hashes(job))

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
        app = self.app(step)
        desired = {job.name: job for job in (self.job(k) for k in step["jobs"])}
        for job in desired.values():
            errors = [d.render() for d in self.backend.validate(app, job) if d.severity == "error"]
            if errors:
                raise _Failed(f"validate({job.name}) reported errors: {'; '.join(errors)}")
        current: dict[str, list[ManagedEntry]] = {}
        for entry in self.backend.list_entries():
            if entry.app == app:
                current.setdefault(entry.job, []).append(entry)
        plan: dict[str, list[str]] = {"create": [], "update": [], "skip": [], "delete": []}
        for name, job in desired.items():
            if name not in current:
                plan["create"].append(name)
                continue
            have = [e.hash for e in sorted(current[name], key=lambda e: e.index)]
            plan["skip" if have == list(ownership_hashes(job)) else "update"].append(name)
        plan["delete"] = [name for name in current if name not in desired]
        plan = {k: sorted(v) for k, v in plan.items()}
        expected = {k: sorted(step["expect"].get(k, [])) for k in plan}
        if plan != expected:
            raise _Failed(f"plan {plan} differs from the expected {expected}")
        if step.get("dry_run"):
            return
        for name in plan["update"] + plan["delete"]:
            for entry in current[name]:
                if not self.backend.verify_ownership(entry):
                    raise _Failed(f"verify_ownership({app}.{name}#{entry.index}) is False for a listed entry")
        for name in plan["delete"]:
            self.backend.delete(app, name)
        for name in plan["update"]:
            self.backend.update(app, desired[name], ownership_hashes(desired[name]))
        for name in plan["create"]:
            self.backend.create(app, desired[name], ownership_hashes(desired[name]))

    def op_adopt(self, step: Mapping[str, Any]) -> None:
        job = self.job(step["job"])
        try:
            result = self.backend.adopt(
                self.app(step), job, ownership_hashes(job), dry_run=bool(step.get("dry_run"))
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
    for vector in vectors.vectors:
        name = vector["name"]
        missing = sorted(set(vector.get("requires", ())) - have)
        if missing:
            yield Check(suite, name, "skip", f"needs {', '.join(missing)}")
            continue
        if set(vector.get("unless", ())) & have:
            continue
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
