"""The Backend protocol over a running plugin: what the reconciler sees.

:class:`PluginBackend` implements :class:`cronix.backends.base.Backend` by calling the
plugin's ``cronix.plugin.v1.Backend`` service, every call with a deadline. It also
enforces two host-side rules so that a buggy plugin cannot hurt entries it does not own:

* every entry :meth:`~PluginBackend.list_entries` returns is checked (valid app and job
  ids, a 16-hex hash or the drift sentinel, JSON ``raw``, no duplicates); a malformed one
  fails the command;
* before any Update or Delete, each existing entry of that job must have been confirmed
  by VerifyOwnership in this process — the reconciler normally asks first; if it did not,
  the proxy asks itself, and refuses the mutation when the plugin says "not mine".

A failed call raises :class:`~cronix.plugins.errors.PluginFailure` (exit 3) naming the
plugin, its version and its stderr tail; a crash is told apart from an error reply by
looking at the process, not at the status code.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import grpc

from cronix._version import __version__
from cronix.backends.base import CAPABILITIES, DRIFT_SENTINEL, HostContext, ManagedEntry, UnsupportedOperation
from cronix.plugins import convert
from cronix.plugins.errors import PluginFailure, category_of
from cronix.plugins.process import describe_status
from cronix.plugins.v1 import backend_pb2 as pb
from cronix.plugins.v1 import backend_pb2_grpc
from cronix.protocol.validation import is_valid_id

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from google.protobuf.message import Message

    from cronix.backends.base import (
        AdoptResult,
        Capability,
        Diagnostic,
        FireSpec,
        HistoryEntry,
        HistoryQuery,
    )
    from cronix.plugins.process import PluginProcess, Timeouts
    from cronix.protocol.manifest import Job

__all__ = ["PluginBackend"]

_HASH = re.compile(r"[0-9a-f]{16}")
_log = logging.getLogger("cronix.plugins")
# Status codes a dying process produces; on these, look whether it is still alive.
_DEATH_CODES = frozenset({"UNAVAILABLE", "CANCELLED", "UNKNOWN", "INTERNAL"})
_Key = tuple[str, str, int, str]


class PluginBackend:
    """A :class:`~cronix.backends.base.Backend` served by a plugin process.

    Its traits and fire strategies are the plugin's answer to GetMetadata (protocol 1.2);
    a 1.0/1.1 plugin's ``host_local`` means both traits (:func:`convert.traits_from_metadata`).
    """

    def __init__(
        self,
        process: PluginProcess,
        channel: grpc.Channel,
        metadata: pb.GetMetadataResponse,
        timeouts: Timeouts,
    ) -> None:
        self.name: str = metadata.name
        self.version: str = metadata.version
        self.capabilities: frozenset[Capability] = frozenset(
            c for c in CAPABILITIES if c in metadata.capabilities
        )
        self.fire_strategies, self.fires_on_host, self.local_state = convert.traits_from_metadata(metadata)
        self.protocol_minor: int = metadata.protocol_minor
        self.process = process
        self._channel = channel
        self._stub: Any = backend_pb2_grpc.BackendStub(channel)
        self._timeouts = timeouts
        self._known: dict[tuple[str, str], list[ManagedEntry]] | None = None
        self._verified: set[_Key] = set()
        self._dead: PluginFailure | None = None
        self._configured = False
        self._closed = False
        # After a call timed out, in-flight work is abandoned: Shutdown needs no grace.
        self._abandoned = False
        # ValidateMany and VerifyOwnershipMany are protocol 1.1; a 1.0 plugin answers
        # UNIMPLEMENTED once and is then asked one job or entry at a time.
        self._batch_validate = True
        self._batch_verify = True

    def configure(self, settings: Mapping[str, str], host: HostContext | None = None) -> list[Diagnostic]:
        """Send Configure — exactly once per process — and return its diagnostics."""
        if self._configured:
            raise self.process.failure(
                "already configured; Configure is sent once per process", category="protocol"
            )
        self._configured = True
        request = pb.ConfigureRequest(
            host_version=__version__,
            settings=dict(settings),
            host=convert.host_context_to_proto(host or HostContext()),
        )
        reply = self._call("Configure", request, self._timeouts.configure)
        return convert.diagnostics_from_proto(reply.diagnostics)

    # ------------------------------------------------------------------ Backend

    def check(self) -> list[Diagnostic]:
        reply = self._call("Health", pb.HealthRequest(), self._timeouts.quick)
        return convert.diagnostics_from_proto(reply.diagnostics)

    def validate(self, app: str, job: Job) -> list[Diagnostic]:
        request = pb.ValidateRequest(app=app, job=convert.job_to_proto(job))
        reply = self._call("Validate", request, self._timeouts.quick)
        return convert.diagnostics_from_proto(reply.diagnostics)

    def validate_many(self, app: str, jobs: Sequence[Job]) -> list[list[Diagnostic]]:
        """Every job's diagnostics in one round trip; one Validate per job for a 1.0 plugin."""
        if not self._batch_validate:
            return [self.validate(app, job) for job in jobs]
        request = pb.ValidateManyRequest(app=app, jobs=[convert.job_to_proto(job) for job in jobs])
        try:
            reply = self._call("ValidateMany", request, self._timeouts.call)
        except UnsupportedOperation:
            self._batch_validate = False
            return [self.validate(app, job) for job in jobs]
        if len(reply.results) != len(jobs):
            raise self._malformed("ValidateMany", f"{len(reply.results)} results for {len(jobs)} jobs")
        return [convert.diagnostics_from_proto(r.diagnostics) for r in reply.results]

    def list_entries(self) -> list[ManagedEntry]:
        reply = self._call("List", pb.ListRequest(), self._timeouts.call)
        entries = [self._checked_entry(i, msg) for i, msg in enumerate(reply.entries)]
        seen: set[tuple[str, str, int]] = set()
        known: dict[tuple[str, str], list[ManagedEntry]] = {}
        for entry in entries:
            key = (entry.app, entry.job, entry.index)
            if key in seen:
                raise self._malformed("List", f"entry {entry.app}.{entry.job}#{entry.index} is listed twice")
            seen.add(key)
            known.setdefault((entry.app, entry.job), []).append(entry)
        self._known = known
        return entries

    def create(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        self._mutate("Create", app, job, hashes, fire)

    def update(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        self._ensure_owned("Update", app, job.name)
        self._mutate("Update", app, job, hashes, fire)

    def delete(self, app: str, job: str) -> None:
        self._ensure_owned("Delete", app, job)
        try:
            self._call("Delete", pb.DeleteRequest(app=app, job=job), self._timeouts.call)
        except PluginFailure as exc:
            if exc.code != "NOT_FOUND":  # already gone is what we wanted
                raise
        if self._known is not None:
            self._known.pop((app, job), None)

    def verify_ownership(self, entry: ManagedEntry) -> bool:
        request = pb.VerifyOwnershipRequest(entry=convert.entry_to_proto(entry))
        reply = self._call("VerifyOwnership", request, self._timeouts.quick)
        self._note_ownership(entry, reply)
        return bool(reply.owned)

    def _note_ownership(self, entry: ManagedEntry, reply: pb.VerifyOwnershipResponse) -> None:
        if reply.owned:
            self._verified.add((entry.app, entry.job, entry.index, entry.hash))
        else:
            _log.info("%s: %s.%s#%d is not owned: %s", self, entry.app, entry.job, entry.index, reply.reason)

    def verify_ownership_many(self, entries: Sequence[ManagedEntry]) -> list[bool]:
        """Every entry's ownership in one round trip; one VerifyOwnership each for a 1.0 plugin."""
        if not self._batch_verify:
            return [self.verify_ownership(entry) for entry in entries]
        request = pb.VerifyOwnershipManyRequest(entries=[convert.entry_to_proto(e) for e in entries])
        try:
            reply = self._call("VerifyOwnershipMany", request, self._timeouts.call)
        except UnsupportedOperation:
            self._batch_verify = False
            return [self.verify_ownership(entry) for entry in entries]
        if len(reply.results) != len(entries):
            raise self._malformed(
                "VerifyOwnershipMany", f"{len(reply.results)} results for {len(entries)} entries"
            )
        for entry, result in zip(entries, reply.results, strict=True):
            self._note_ownership(entry, result)
        return [bool(r.owned) for r in reply.results]

    def adopt(
        self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec, *, dry_run: bool
    ) -> AdoptResult:
        if "adopt" not in self.capabilities:
            raise UnsupportedOperation(f"{self.process.identity} does not support adopt")
        _refuse_raw(fire)
        request = pb.AdoptRequest(
            app=app,
            job=convert.job_to_proto(job),
            hashes=list(hashes),
            dry_run=dry_run,
            fire=convert.fire_spec_to_proto(fire),
        )
        reply = self._call("Adopt", request, self._timeouts.call)
        try:
            result = convert.adopt_from_proto(reply)
        except ValueError as exc:
            raise self._malformed("Adopt", f"an adopted entry has invalid raw_json ({exc})") from None
        if result.adopted and self._known is not None:
            self._known[(app, job.name)] = list(result.entries)
            self._verified.update((e.app, e.job, e.index, e.hash) for e in result.entries)
        return result

    def history(self, query: HistoryQuery) -> list[HistoryEntry]:
        if "history" not in self.capabilities:
            raise UnsupportedOperation(f"{self.process.identity} does not support history")
        reply = self._call("History", convert.history_query_to_proto(query), self._timeouts.call)
        try:
            return [convert.history_entry_from_proto(m) for m in reply.entries]
        except (ValueError, OverflowError) as exc:  # e.g. a timestamp no datetime can hold
            raise self._malformed("History", str(exc)) from None

    def close(self) -> None:
        """Shutdown (5 s grace), then SIGTERM/SIGKILL the process group; idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._dead is None and self.process.exit_status() is None:
            self.process.note_descendants()
            grace_ms = 0 if self._abandoned else int(self._timeouts.shutdown * 1000)
            try:
                self._stub.Shutdown(pb.ShutdownRequest(grace_ms=grace_ms), timeout=self._timeouts.shutdown)
            except grpc.RpcError as exc:
                _log.info("%s: Shutdown failed (%s); signalling it", self, exc.code())
        self._channel.close()
        status = self.process.stop(grace=self._timeouts.shutdown)
        if status != 0 and self._dead is None:
            _log.warning("%s exited with %s after Shutdown", self, describe_status(status))

    def __enter__(self) -> PluginBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __str__(self) -> str:
        return str(self.process.identity)

    # ------------------------------------------------------------------ internals

    def _mutate(self, rpc: str, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        _refuse_raw(fire)
        if len(hashes) != len(job.schedules):
            raise self.process.failure(
                f"refusing to send {rpc} {app}.{job.name}: {len(hashes)} hashes for "
                f"{len(job.schedules)} schedules",
                category="invalid_request",
            )
        request = pb.MutateRequest(
            app=app, job=convert.job_to_proto(job), hashes=list(hashes), fire=convert.fire_spec_to_proto(fire)
        )
        self._call(rpc, request, self._timeouts.call)
        if self._known is not None:
            written = [ManagedEntry(app, job.name, i, h) for i, h in enumerate(hashes)]
            self._known[(app, job.name)] = written
            self._verified.update((app, job.name, i, h) for i, h in enumerate(hashes))

    def _ensure_owned(self, rpc: str, app: str, job: str) -> None:
        if self._known is None:
            self.list_entries()
        assert self._known is not None
        for entry in self._known.get((app, job), []):
            if (entry.app, entry.job, entry.index, entry.hash) in self._verified:
                continue
            if not self.verify_ownership(entry):
                raise self.process.failure(
                    f"refusing to {rpc.lower()} {app}.{job}: "
                    f"VerifyOwnership says entry #{entry.index} is not owned",
                    category="ownership",
                )

    def _checked_entry(self, position: int, msg: pb.ManagedEntry) -> ManagedEntry:
        problem = ""
        if not is_valid_id(msg.app):
            problem = f"app {msg.app!r} is not a valid id"
        elif not is_valid_id(msg.job):
            problem = f"job {msg.job!r} is not a valid id"
        elif not (_HASH.fullmatch(msg.hash) or msg.hash == DRIFT_SENTINEL):
            problem = f"hash {msg.hash!r} is neither 16 lowercase hex digits nor {DRIFT_SENTINEL!r}"
        if not problem:
            try:
                return convert.entry_from_proto(msg)
            except ValueError as exc:
                problem = f"raw_json is not JSON ({exc})"
        raise self._malformed("List", f"entry {position} ({msg.app}.{msg.job}#{msg.index}): {problem}")

    def _malformed(self, rpc: str, what: str) -> PluginFailure:
        return self.process.failure(f"{rpc} returned a malformed entry: {what}", category="malformed")

    def _call(self, rpc: str, request: Message, timeout: float) -> Any:
        if self._dead is not None:
            raise self._dead
        if self._closed:
            raise self.process.failure(f"{rpc} called after close()", category="protocol")
        try:
            return getattr(self._stub, rpc)(request, timeout=timeout)
        except grpc.RpcError as exc:
            raise self._failure(rpc, exc, timeout) from None

    def _failure(self, rpc: str, exc: grpc.RpcError, timeout: float) -> PluginFailure | UnsupportedOperation:
        call: Any = exc
        code: str = call.code().name
        details: str = call.details() or ""
        reason = next((str(v) for k, v in (call.trailing_metadata() or ()) if k == "cronix-reason"), "")
        status = self.process.wait_exit(0.5) if code in _DEATH_CODES else self.process.exit_status()
        if status is not None:
            self._dead = self.process.failure(
                f"crashed during {rpc} ({describe_status(status)})", category="crashed"
            )
            return self._dead
        if code == "UNIMPLEMENTED" and rpc in ("Adopt", "History", "ValidateMany", "VerifyOwnershipMany"):
            return UnsupportedOperation(f"{self.process.identity} does not support {rpc.lower()}")
        if code == "DEADLINE_EXCEEDED":
            self._abandoned = True
            return self.process.failure(f"{rpc} timed out after {timeout:g} s", category="timeout", code=code)
        why = f" ({reason})" if reason else ""
        return self.process.failure(
            f"{rpc} failed: {code}{why}: {details}",
            category=category_of(code, reason),
            code=code,
            reason=reason,
        )


def _refuse_raw(fire: FireSpec) -> None:
    """A ``raw:`` ref is the secret itself: it never leaves cronix for a plugin's storage."""
    if any(ref.lower().startswith("raw:") for ref in fire.secret_refs or ()):
        from cronix.errors import UsageError

        raise UsageError(
            "a raw: secret ref would be sent to the plugin inside the trigger spec (it is the secret "
            "itself); use file:/path or env:NAME for apply"
        )
