"""``cronix-backend-echo``: the reference backend plugin, and the template for new ones.

It stores entries in a JSON state file named by its ``state_path`` setting (so separate
commands see the same state), supports every capability, and logs every RPC to stderr.
It is what the host's own tests and the conformance suite run against: no external
system is needed.

State file (``"version": 1``)::

    {"version": 1,
     "entries": [{"schedule": "0 * * * *", "timezone": "UTC", "command": "cronix trigger billing.hourly",
                  "marker": {"owner": "cronix-echo", "app": "billing", "job": "hourly", "index": 0,
                             "hash": "…16 hex…", "schedule": "0 * * * *", "timezone": "UTC"}},
                 {"schedule": "5 4 * * *", "command": "/usr/local/bin/backup"}],     ← foreign
     "runs": [{"app": "billing", "job": "hourly", "run_id": "…", "status": "ok", …}]}

An entry is owned only when its ``marker.owner`` is ``cronix-echo``; every other entry is
foreign and is never listed, changed or removed. An owned entry whose live ``schedule`` or
``timezone`` differs from what the marker recorded was edited by hand: it is listed with
the drift sentinel. Owned entries run the host's trigger command (``HostContext``) with
``<app>.<job>``; unmarked entries whose command ends in ``trigger <app>.<job>`` are
adoption candidates. Writes are atomic (temp file, fsync, rename) under a lock file, so a
crash mid-RPC leaves each job either fully old or fully new.

Misbehaviour for tests. Settings (at Configure): ``fail_rpc=<Rpc>`` with ``fail_code``
(a gRPC code name, default UNAVAILABLE), ``fail_message`` and ``fail_reason``;
``crash_on=<Rpc>`` (the process exits with status 70 inside that RPC); ``hang_on=<Rpc>``;
``malformed_on=List`` (adds an entry with an invalid hash); ``disown=<app>.<job>``
(VerifyOwnership answers "not owned"). Before the handshake (from the environment,
``CRONIX_PLUGIN_ECHO_FAULT``): ``noise`` (a line on stdout first), ``exit`` (exit 3),
``hang``, ``wrong-protocol`` (claims protocol 2), ``wrong-name``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cronix.backends.base import (
    CAPABILITIES,
    DRIFT_SENTINEL,
    FIRE_STRATEGIES,
    AdoptResult,
    Capability,
    Diagnostic,
    FireSpec,
    HistoryEntry,
    HistoryQuery,
    HostContext,
    ManagedEntry,
)
from cronix.fileio import write_atomic
from cronix.plugins.errors import RpcFailure

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    from cronix.protocol.manifest import Job

__all__ = ["ECHO_VERSION", "OWNER", "EchoBackend", "EchoSeeder", "main"]

ECHO_VERSION = "1.0.0"
OWNER = "cronix-echo"
FAULT_ENV = "CRONIX_PLUGIN_ECHO_FAULT"
_FAULTS = (
    "fail_rpc",
    "fail_code",
    "fail_message",
    "fail_reason",
    "crash_on",
    "hang_on",
    "malformed_on",
    "disown",
)
_SETTINGS = frozenset({"state_path", *_FAULTS})


class EchoBackend:
    """A Backend over a JSON file; see the module docstring."""

    name: str = "echo"
    version: str = ECHO_VERSION
    capabilities: frozenset[Capability] = frozenset(CAPABILITIES)
    fire_strategies: frozenset[str] = frozenset(FIRE_STRATEGIES)
    #: A remote scheduler stand-in: its entries carry their trigger spec (``FireSpec``).
    fires_on_host = False
    local_state = False

    def __init__(self, settings: Mapping[str, str], host: HostContext | None = None) -> None:
        unknown = sorted(set(settings) - _SETTINGS)
        if unknown:
            raise ValueError(f"unknown setting {unknown[0]!r} (known: {', '.join(sorted(_SETTINGS))})")
        path = settings.get("state_path", "")
        if not path:
            raise ValueError("state_path is required: the JSON file where echo keeps its entries")
        self.state = _StateFile(Path(path))
        self._settings = dict(settings)
        self._trigger = (host or HostContext()).trigger_command
        #: The host's command only reads: write access is no prerequisite then.
        self._read_only = (host or HostContext()).read_only

    # ------------------------------------------------------------------ Backend

    def check(self) -> list[Diagnostic]:
        self._fault("Health")
        directory = self.state.path.parent
        if not directory.is_dir():
            return [
                Diagnostic("error", f"state directory {directory} does not exist", code="state_dir_missing")
            ]
        if not self._read_only and not os.access(directory, os.W_OK):
            return [
                Diagnostic("error", f"state directory {directory} is not writable", code="state_dir_readonly")
            ]
        return []

    def validate(self, app: str, job: Job) -> list[Diagnostic]:
        self._fault("Validate")
        return []  # echo can store any valid job: every schedule kind, every timezone

    def validate_many(self, app: str, jobs: Sequence[Job]) -> list[list[Diagnostic]]:
        self._fault("ValidateMany")
        return [self.validate(app, job) for job in jobs]

    def list_entries(self) -> list[ManagedEntry]:
        self._fault("List")
        with self.state.locked() as doc:
            entries = [self._managed(e) for e in doc["entries"] if _owned(e)]
        entries.sort(key=lambda m: (m.app, m.job, m.index))
        if self._settings.get("malformed_on") == "List" and entries:
            first = entries[0]
            entries.append(ManagedEntry(first.app, first.job, first.index + 100, "not-a-hash"))
        return entries

    def create(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        self._fault("Create")
        self._write_job(app, job, hashes, fire)

    def update(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        self._fault("Update")
        self._write_job(app, job, hashes, fire)

    def delete(self, app: str, job: str) -> None:
        self._fault("Delete")
        with self.state.locked(write=True) as doc:
            doc["entries"] = [e for e in doc["entries"] if not _owned_by(e, app, job)]

    def verify_ownership(self, entry: ManagedEntry) -> bool:
        self._fault("VerifyOwnership")
        if self._settings.get("disown") == f"{entry.app}.{entry.job}":
            return False
        with self.state.locked() as doc:
            return any(
                _owned_by(e, entry.app, entry.job) and e["marker"]["index"] == entry.index
                for e in doc["entries"]
            )

    def verify_ownership_many(self, entries: Sequence[ManagedEntry]) -> list[bool]:
        self._fault("VerifyOwnershipMany")
        return [self.verify_ownership(entry) for entry in entries]

    def adopt(
        self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec, *, dry_run: bool
    ) -> AdoptResult:
        self._fault("Adopt")
        with self.state.locked(write=not dry_run) as doc:
            owned = [self._managed(e) for e in doc["entries"] if _owned_by(e, app, job.name)]
            if owned:
                return AdoptResult(found=False, already_managed=True, entries=tuple(owned))
            candidates = [e for e in doc["entries"] if e.get("marker") is None and _runs(e, app, job.name)]
            if not candidates:
                return AdoptResult()
            divergences = _divergences(candidates, job)
            if divergences:
                return AdoptResult(found=True, diverged=True, divergences=tuple(divergences))
            by_schedule = {e["schedule"]: e for e in candidates}
            adopted = []
            for index, (schedule, digest) in enumerate(zip(job.schedules, hashes, strict=True)):
                entry = by_schedule[schedule]
                if not dry_run:
                    entry["marker"] = _marker(app, job, index, digest)
                    entry["fire"] = {"strategy": fire.strategy, "spec": fire.spec_json(index)}
                adopted.append(ManagedEntry(app, job.name, index, digest, _raw(entry)))
            return AdoptResult(found=True, adopted=not dry_run, entries=tuple(adopted))

    def history(self, query: HistoryQuery) -> list[HistoryEntry]:
        self._fault("History")
        with self.state.locked() as doc:
            runs = [r for r in doc.get("runs", []) if r.get("app") == query.app and r.get("job") == query.job]
        found = [_run(r) for r in runs]
        found = [
            h
            for h in found
            if (query.status is None or h.status == query.status)
            and (query.since is None or (h.started_at is not None and h.started_at >= query.since))
            and (query.until is None or (h.started_at is not None and h.started_at < query.until))
        ]
        found.sort(key=lambda h: h.started_at.isoformat() if h.started_at else "", reverse=True)
        return found[: query.limit] if query.limit else found

    def close(self) -> None:
        return None

    # ------------------------------------------------------------------ internals

    def _write_job(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        if len(hashes) != len(job.schedules):
            raise ValueError(f"{len(hashes)} hashes for {len(job.schedules)} schedules")
        with self.state.locked(write=True) as doc:
            kept = [e for e in doc["entries"] if not _owned_by(e, app, job.name)]
            written = [
                {
                    "schedule": schedule,
                    "timezone": job.timezone,
                    "command": f"{self._trigger} {app}.{job.name}",
                    "url": job.request.url,
                    "marker": _marker(app, job, index, digest),
                    # How the entry fires: the strategy and the trigger spec it carries.
                    "fire": {"strategy": fire.strategy, "spec": fire.spec_json(index)},
                }
                for index, (schedule, digest) in enumerate(zip(job.schedules, hashes, strict=True))
            ]
            doc["entries"] = kept + written

    def _managed(self, entry: dict[str, Any]) -> ManagedEntry:
        marker = entry["marker"]
        edited = entry.get("schedule") != marker.get("schedule") or entry.get("timezone") != marker.get(
            "timezone"
        )
        return ManagedEntry(
            marker["app"],
            marker["job"],
            marker["index"],
            DRIFT_SENTINEL if edited else marker["hash"],
            _raw(entry),
        )

    def _fault(self, rpc: str) -> None:
        settings = self._settings
        if settings.get("crash_on") == rpc:
            sys.stderr.write(f"echo: crashing in {rpc} as configured (crash_on={rpc})\n")
            sys.stderr.flush()
            os._exit(70)
        if settings.get("hang_on") == rpc:
            sys.stderr.write(f"echo: hanging in {rpc} as configured (hang_on={rpc})\n")
            sys.stderr.flush()
            time.sleep(3600)
        if settings.get("fail_rpc") == rpc:
            raise RpcFailure(
                settings.get("fail_code", "UNAVAILABLE"),
                settings.get("fail_message", f"injected failure of {rpc}"),
                settings.get("fail_reason", ""),
            )


class _StateFile:
    """The JSON state, read and written under an exclusive lock file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def locked(self, *, write: bool = False) -> Iterator[dict[str, Any]]:
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            lock = open(lock_path, "a")  # noqa: SIM115 - closed by the with below
        except OSError as exc:
            if write or not lock_path.exists():
                raise RpcFailure("FAILED_PRECONDITION", f"cannot open {lock_path}: {exc.strerror}") from None
            lock = open(lock_path)  # noqa: SIM115 - a reader on a read-only directory; flock works on it
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            doc = self._read()
            yield doc
            if write:
                self._write(doc)

    def _read(self) -> dict[str, Any]:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"version": 1, "entries": [], "runs": []}
        if not isinstance(doc, dict) or doc.get("version") != 1 or not isinstance(doc.get("entries"), list):
            raise RpcFailure("FAILED_PRECONDITION", f"{self.path} is not an echo state file (version 1)")
        doc.setdefault("runs", [])
        return doc

    def _write(self, doc: dict[str, Any]) -> None:
        write_atomic(str(self.path), json.dumps(doc, indent=1, sort_keys=True).encode("utf-8"), mode=0o600)


def _command(app: str, job: str) -> str:
    return f"cronix trigger {app}.{job}"


def _runs(entry: dict[str, Any], app: str, job: str) -> bool:
    """Whether the entry's command is ``… trigger <app>.<job>`` (whatever the cronix path)."""
    return str(entry.get("command", "")).split()[-2:] == ["trigger", f"{app}.{job}"]


def _marker(app: str, job: Job, index: int, digest: str) -> dict[str, Any]:
    return {
        "owner": OWNER,
        "app": app,
        "job": job.name,
        "index": index,
        "hash": digest,
        "schedule": job.schedules[index],
        "timezone": job.timezone,
    }


def _owned(entry: dict[str, Any]) -> bool:
    marker = entry.get("marker")
    return isinstance(marker, dict) and marker.get("owner") == OWNER


def _owned_by(entry: dict[str, Any], app: str, job: str) -> bool:
    return _owned(entry) and entry["marker"].get("app") == app and entry["marker"].get("job") == job


def _raw(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: entry.get(k) for k in ("schedule", "timezone", "command")}


def _divergences(candidates: list[dict[str, Any]], job: Job) -> list[str]:
    found = [e.get("schedule", "") for e in candidates]
    problems = [f"entry schedule {s!r} is not in the manifest" for s in found if s not in job.schedules]
    problems += [f"manifest schedule {s!r} has no entry" for s in job.schedules if s not in found]
    problems += [
        f"entry timezone {e.get('timezone', 'UTC')!r} differs from the manifest's {job.timezone!r}"
        for e in candidates
        if e.get("timezone", "UTC") != job.timezone
    ]
    return problems


def _run(doc: dict[str, Any]) -> HistoryEntry:
    def when(key: str) -> datetime | None:
        value = doc.get(key)
        return datetime.fromisoformat(value) if isinstance(value, str) else None

    return HistoryEntry(
        app=doc["app"],
        job=doc["job"],
        run_id=str(doc.get("run_id", "")),
        attempt=int(doc.get("attempt", 1)),
        started_at=when("started_at"),
        finished_at=when("finished_at"),
        status=str(doc.get("status", "")),
        source="echo",
        detail=str(doc.get("detail", "")),
    )


# ---------------------------------------------------------------------- seeding (conformance)


class EchoSeeder:
    """Plants entries cronix does not own in an echo state file (a conformance ``Seeder``)."""

    def __init__(self, state_path: str) -> None:
        self.state = _StateFile(Path(state_path))
        self._planted: list[dict[str, Any]] = []

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> EchoSeeder:
        if not settings.get("state_path"):
            raise ValueError("state_path is required: the JSON file where echo keeps its entries")
        return cls(settings["state_path"])

    def seed_foreign(self, schedule: str, command: str) -> None:
        self._plant([{"schedule": schedule, "timezone": "UTC", "command": command}])

    def seed_unmarked(self, app: str, job: Job, schedules: Sequence[str]) -> None:
        self._plant(
            [{"schedule": s, "timezone": job.timezone, "command": _command(app, job.name)} for s in schedules]
        )

    def seed_runs(self, runs: Sequence[Mapping[str, Any]]) -> None:
        with self.state.locked(write=True) as doc:
            doc["runs"].extend(dict(r) for r in runs)

    def foreign_snapshot(self) -> object:
        """Every entry echo does not own, as stored."""
        with self.state.locked() as doc:
            return [e for e in doc["entries"] if not _owned(e)]

    def cleanup(self) -> None:
        with self.state.locked(write=True) as doc:
            doc["entries"] = [e for e in doc["entries"] if _strip_marker(e) not in self._planted]
        self._planted.clear()

    def _plant(self, entries: list[dict[str, Any]]) -> None:
        with self.state.locked(write=True) as doc:
            doc["entries"].extend(entries)
        self._planted.extend(entries)


def _strip_marker(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k != "marker"}


# ---------------------------------------------------------------------- executable


def main() -> None:
    """Entry point of ``cronix-backend-echo``."""
    fault = os.environ.get(FAULT_ENV, "")
    if fault == "noise":
        print("echo: starting up", flush=True)  # exactly what a plugin must never do
    elif fault == "exit":
        sys.stderr.write("echo: exiting before the handshake as configured\n")
        sys.exit(3)
    elif fault == "hang":
        sys.stderr.write("echo: hanging before the handshake as configured\n")
        sys.stderr.flush()
        time.sleep(3600)
    from cronix.plugins.sdk import serve

    factory: type[EchoBackend] = EchoBackend
    if fault == "wrong-name":
        factory = type("MisnamedEcho", (EchoBackend,), {"name": "not-echo"})
    serve(
        factory,
        description="reference plugin: keeps entries in a JSON file (state_path)",
        log_rpcs=True,
        protocol_version=2 if fault == "wrong-protocol" else 1,
    )
