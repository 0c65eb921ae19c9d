"""The ``memory`` backend: a complete, stateful Backend that lives in the process.

The kind of fake a well-made library ships (httpx's ``MockTransport``): the planner and
operations tests run against it, and ``cronix conformance backend --backend memory``
proves it behaves like every other backend. It is hidden from help and docs; the CLI
opens it only when named explicitly, and its state ends with the process.

It models a scheduler honestly: each owned entry records the schedule, timezone and
command it was written with plus its ownership hash and trigger spec; foreign entries
(no marker) sit beside them and are never touched; a hand edit (:meth:`MemoryBackend.edit`)
changes the live fields, so the entry lists with the drift sentinel (schedule or
timezone) or fails the content check (command). :class:`TransactionalMemoryBackend` (the
default when opened by name) also stages every change of an apply and commits at once.

Test hooks, all public: ``calls`` (every mutating call, in order), ``fail_on`` (raise
``BackendError`` on that call, e.g. ``"create nightly"``), ``disowned`` (identities
``verify_ownership`` denies), ``invalid`` (job name → validation error) and ``runs``
(what ``history`` returns).
"""

from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cronix.backends.base import (
    DRIFT_SENTINEL,
    FIRE_STRATEGIES,
    LOCAL_SHIM,
    AdoptResult,
    Capability,
    Diagnostic,
    FireSpec,
    HistoryEntry,
    HistoryQuery,
    HostContext,
    ManagedEntry,
)
from cronix.config import documented
from cronix.errors import BackendError
from cronix.protocol.specfile import SpecFileError, parse_spec_file

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from cronix.protocol.manifest import Job

__all__ = [
    "MemoryBackend",
    "MemoryEntry",
    "MemoryOptions",
    "MemorySeeder",
    "TransactionalMemoryBackend",
    "open_backend",
]


def _strategies(value: Any) -> str | None:
    bad = [s for s in value if s not in FIRE_STRATEGIES]
    return f"unknown fire strategy {bad[0]!r} (known: {', '.join(FIRE_STRATEGIES)})" if bad else None


@dataclass(frozen=True, slots=True)
class MemoryOptions:
    """Options of the memory backend: which kind of scheduler it pretends to be."""

    fires_on_host: bool = field(
        default=False,
        metadata=documented("Behave like a backend whose entries run cronix trigger here (spec files)."),
    )
    local_state: bool = field(
        default=False, metadata=documented("Behave like a backend whose state is a local file (apply lock).")
    )
    fire_strategies: tuple[str, ...] = field(
        default=(LOCAL_SHIM,), metadata=documented("Fire strategies it offers.", check=_strategies)
    )
    transactional: bool = field(
        default=True, metadata=documented("Stage an apply's writes and commit them at once.")
    )


def open_backend(options: MemoryOptions, host: HostContext) -> MemoryBackend:
    kind = TransactionalMemoryBackend if options.transactional else MemoryBackend
    return kind(options=options, host=host)


@dataclass(slots=True)
class MemoryEntry:
    """One stored entry; ``hash`` is ``None`` for a foreign (unmarked) one."""

    app: str
    job: str
    index: int
    hash: str | None
    schedule: str | None
    timezone: str | None
    command: str
    #: The trigger spec the entry carries (``None`` when it was seeded without one).
    spec: str | None = None
    #: Schedule and timezone as written, so a hand edit of the live fields shows.
    written: tuple[str | None, str | None] = (None, None)
    #: Installed but not firing (a declared pause, or a hand edit: ``edit(..., paused=True)``).
    paused: bool = False

    def raw(self) -> dict[str, Any]:
        return {"schedule": self.schedule, "timezone": self.timezone, "command": self.command}


class MemoryBackend:
    """See the module docstring."""

    name = "memory"
    capabilities: frozenset[Capability] = frozenset(
        {"adopt", "drift-detection", "every", "history", "timezones"}
    )

    def __init__(
        self,
        entries: Sequence[ManagedEntry] = (),
        *,
        options: MemoryOptions | None = None,
        host: HostContext | None = None,
        fail_on: str | None = None,
    ) -> None:
        self.options = options or MemoryOptions()
        self.host = host or HostContext()
        self.fires_on_host = self.options.fires_on_host
        self.local_state = self.options.local_state
        self.fire_strategies: frozenset[str] = frozenset(self.options.fire_strategies)
        self.store: list[MemoryEntry] = [
            MemoryEntry(e.app, e.job, e.index, e.hash, None, None, self._command(e.app, e.job))
            for e in entries
        ]
        self.runs: list[HistoryEntry] = []
        self.calls: list[str] = []
        self.fail_on = fail_on
        self.disowned: set[tuple[str, str, int]] = set()
        self.invalid: dict[str, str] = {}
        self.closed = 0
        self._staged: list[MemoryEntry] | None = None

    # ------------------------------------------------------------ Backend

    def check(self) -> list[Diagnostic]:
        return []

    def validate(self, app: str, job: Job) -> list[Diagnostic]:
        problem = self.invalid.get(job.name)
        return [Diagnostic("error", problem, "schedules/0", "invalid")] if problem else []

    def list_entries(self) -> list[ManagedEntry]:
        self.calls.append("list")
        return [self._managed(e) for e in self._entries() if e.hash is not None]

    def create(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        self._record(f"create {job.name}")
        self._write(app, job, hashes, fire)

    def update(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        self._record(f"update {job.name}")
        self._write(app, job, hashes, fire)

    def delete(self, app: str, job: str) -> None:
        self._record(f"delete {job}")
        entries = self._entries()
        entries[:] = [e for e in entries if e.hash is None or (e.app, e.job) != (app, job)]

    def verify_ownership(self, entry: ManagedEntry) -> bool:
        if (entry.app, entry.job, entry.index) in self.disowned:
            return False
        return any(
            e.hash == entry.hash or (e.hash is not None and entry.hash == DRIFT_SENTINEL)
            for e in self._entries()
            if (e.app, e.job, e.index) == (entry.app, entry.job, entry.index)
        )

    def entry_matches(self, app: str, job: Job, entry: ManagedEntry) -> bool:
        """The live entry is what this backend would write for ``job`` (seeded ones are trusted)."""
        if entry.index >= len(job.schedules):
            return False
        raw = entry.raw if isinstance(entry.raw, dict) else None
        if raw is None or raw.get("schedule") is None:
            return True
        want = (job.schedules[entry.index], job.timezone, self._command(app, job.name))
        return (raw["schedule"], raw["timezone"], raw["command"]) == want

    def fire_matches(self, app: str, job: Job, entry: ManagedEntry, fire: FireSpec) -> bool:
        """The stored entry carries exactly this trigger spec (seeded ones are trusted)."""
        stored = next(
            (
                e
                for e in self._entries()
                if e.hash is not None and (e.app, e.job, e.index) == (app, job.name, entry.index)
            ),
            None,
        )
        if stored is None or stored.spec is None:
            return True
        return entry.index < len(fire.specs) and stored.spec == fire.spec_json(entry.index)

    def adopt(
        self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec, *, dry_run: bool
    ) -> AdoptResult:
        command = self._command(app, job.name)
        candidates = [e for e in self._entries() if e.hash is None and e.command == command]
        managed = [e for e in self._entries() if e.hash is not None and (e.app, e.job) == (app, job.name)]
        if not candidates:
            return AdoptResult(already_managed=len(managed) == len(job.schedules) and bool(managed))
        by_schedule = sorted(e.schedule or "" for e in candidates)
        if by_schedule != sorted(job.schedules) or managed:
            problems = [
                f"candidate schedules {by_schedule} differ from the manifest's {sorted(job.schedules)}"
            ]
            if managed:
                problems.append(f"{len(managed)} entries of this job already managed")
            return AdoptResult(found=True, diverged=True, divergences=tuple(problems))
        entries = tuple(
            ManagedEntry(app, job.name, i, h, {"schedule": s, "timezone": job.timezone, "command": command})
            for i, (s, h) in enumerate(zip(job.schedules, hashes, strict=True))
        )
        if dry_run:
            return AdoptResult(found=True, entries=entries)
        self._record(f"adopt {job.name}")
        store = self._entries()
        store[:] = [e for e in store if e not in candidates]
        self._write(app, job, hashes, fire)
        return AdoptResult(found=True, adopted=True, entries=entries)

    def history(self, query: HistoryQuery) -> list[HistoryEntry]:
        runs = [r for r in self.runs if (r.app, r.job) == (query.app, query.job)]
        return runs[-query.limit :]

    def recorded_jobs(self) -> dict[tuple[str, str], Job]:
        """The jobs as the entries' trigger specs record them."""
        out: dict[tuple[str, str], Job] = {}
        for e in self._entries():
            if e.hash is not None and e.spec is not None:
                with contextlib.suppress(SpecFileError):
                    spec = parse_spec_file(e.spec)
                    out[(spec.app, spec.job.name)] = spec.job
        return out

    def close(self) -> None:
        self.closed += 1

    # ------------------------------------------------------------ test hooks

    def edit(self, app: str, job: str, index: int, **fields: str | bool) -> None:
        """A hand edit of the live entry (``schedule=``, ``timezone=``, ``command=``, ``paused=``)."""
        for e in self.store:
            if (e.app, e.job, e.index) == (app, job, index) and e.hash is not None:
                for key, value in fields.items():
                    setattr(e, key, value)
                return
        raise KeyError(f"{app}.{job}#{index}")

    # ------------------------------------------------------------ internals

    def _entries(self) -> list[MemoryEntry]:
        return self._staged if self._staged is not None else self.store

    def _command(self, app: str, job: str) -> str:
        return " ".join(self.host.trigger_argv(app, job))

    def _record(self, call: str) -> None:
        self.calls.append(call)
        if call == self.fail_on:
            raise BackendError(f"memory: {call} failed")

    def _write(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        if len(hashes) != len(job.schedules):
            raise BackendError(
                f"memory: {app}.{job.name}: {len(hashes)} hashes for {len(job.schedules)} schedules"
            )
        store = self._entries()
        store[:] = [e for e in store if e.hash is None or (e.app, e.job) != (app, job.name)]
        command = self._command(app, job.name)
        for i, (schedule, digest) in enumerate(zip(job.schedules, hashes, strict=True)):
            store.append(
                MemoryEntry(
                    app,
                    job.name,
                    i,
                    digest,
                    schedule,
                    job.timezone,
                    command,
                    fire.spec_json(i) if i < len(fire.specs) else None,
                    (schedule, job.timezone),
                    not job.enabled,
                )
            )

    def _managed(self, e: MemoryEntry) -> ManagedEntry:
        assert e.hash is not None
        edited = e.schedule is not None and (e.schedule, e.timezone) != e.written
        return ManagedEntry(e.app, e.job, e.index, DRIFT_SENTINEL if edited else e.hash, e.raw(), e.paused)


class TransactionalMemoryBackend(MemoryBackend):
    """A memory backend that also stages the writes of an apply (``SupportsTransaction``)."""

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Stage every change; commit them together, or none when an exception escapes."""
        if self._staged is not None:
            raise BackendError("memory: nested transactions are not supported")
        self._staged = copy.deepcopy(self.store)
        try:
            yield
        except BaseException:
            self._staged = None
            raise
        self.store[:], self._staged = self._staged, None  # in place: the store may be shared
        self.calls.append("commit")


class MemorySeeder:
    """Plants foreign and unmarked entries in a :class:`MemoryBackend` (the conformance seeder)."""

    def __init__(self, backend: MemoryBackend) -> None:
        self.backend = backend
        self._planted: list[MemoryEntry] = []

    def seed_foreign(self, schedule: str, command: str) -> None:
        self._plant(MemoryEntry("", "", 0, None, schedule, "UTC", command))

    def seed_unmarked(self, app: str, job: Job, schedules: Sequence[str]) -> None:
        command = self.backend._command(app, job.name)
        for i, schedule in enumerate(schedules):
            self._plant(MemoryEntry(app, job.name, i, None, schedule, job.timezone, command))

    def foreign_snapshot(self) -> object:
        return [(e.schedule, e.command) for e in self.backend.store if e in self._planted]

    def cleanup(self) -> None:
        self.backend.store[:] = [e for e in self.backend.store if e not in self._planted]
        self._planted.clear()

    def _plant(self, entry: MemoryEntry) -> None:
        self.backend.store.append(entry)
        self._planted.append(entry)
