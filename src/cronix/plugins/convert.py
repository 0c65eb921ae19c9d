"""Converting between the Backend protocol's values and the ``cronix.plugin.v1`` messages.

Used by both sides: the host proxy (:mod:`cronix.plugins.proxy`) and the plugin SDK
(:mod:`cronix.plugins.sdk`), so a value survives the round trip exactly. A job travels
as typed identity fields plus its normalized JSON, which is authoritative and is exactly
what the host hashed; a ``ManagedEntry.raw`` travels as JSON text.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from google.protobuf.timestamp_pb2 import Timestamp

from cronix.backends.base import (
    LOCAL_SHIM,
    AdoptResult,
    Diagnostic,
    FireSpec,
    HistoryEntry,
    HistoryQuery,
    HostContext,
    ManagedEntry,
)
from cronix.plugins.v1 import backend_pb2 as pb
from cronix.protocol.gojson import go_json_dumps
from cronix.protocol.manifest import job_from_json

if TYPE_CHECKING:
    from collections.abc import Iterable

    from cronix.protocol.manifest import Job

__all__ = [
    "adopt_from_proto",
    "adopt_to_proto",
    "diagnostics_from_proto",
    "diagnostics_to_proto",
    "entry_from_proto",
    "entry_to_proto",
    "fire_spec_from_proto",
    "fire_spec_to_proto",
    "history_entry_from_proto",
    "history_entry_to_proto",
    "history_query_from_proto",
    "history_query_to_proto",
    "host_context_from_proto",
    "host_context_to_proto",
    "job_from_proto",
    "job_to_proto",
    "traits_from_metadata",
]

_SEVERITY_TO_PROTO = {"error": pb.Diagnostic.SEVERITY_ERROR, "warning": pb.Diagnostic.SEVERITY_WARNING}


def job_to_proto(job: Job) -> pb.Job:
    return pb.Job(
        name=job.name,
        schedules=list(job.schedules),
        timezone=job.timezone,
        normalized_json=go_json_dumps(job.to_json()),
    )


def job_from_proto(msg: pb.Job) -> Job:
    """The job from its authoritative normalized JSON; ValueError when it is missing or bad."""
    if not msg.normalized_json:
        raise ValueError("job has no normalized_json")
    doc = json.loads(msg.normalized_json)
    if not isinstance(doc, dict):
        raise ValueError("job normalized_json is not a JSON object")
    return job_from_json(doc)


def fire_spec_to_proto(fire: FireSpec) -> pb.FireSpec:
    return pb.FireSpec(
        strategy=fire.strategy,
        secret_refs=list(fire.secret_refs or ()),
        has_secret_refs=fire.secret_refs is not None,
        specs=list(fire.specs),
    )


def fire_spec_from_proto(msg: pb.FireSpec | None, app: str, job: Job) -> FireSpec:
    """The FireSpec the host sent, or — from a 1.0/1.1 host, which sends none — one built from the job."""
    if msg is None:
        return FireSpec.build(app, job)
    refs = tuple(msg.secret_refs) if msg.has_secret_refs else None
    return FireSpec(msg.strategy or LOCAL_SHIM, refs, tuple(msg.specs))


def host_context_to_proto(host: HostContext) -> pb.HostContext:
    return pb.HostContext(
        trigger_command=host.trigger_command,
        spec_dir=host.spec_dir,
        trigger_bin=host.trigger_bin,
        fire_strategy=host.fire_strategy,
        read_only=host.read_only,
    )


def host_context_from_proto(msg: pb.HostContext) -> HostContext:
    """A 1.0/1.1 host sends only ``trigger_command``: the executable is what precedes `` trigger``."""
    default = HostContext()
    trigger_bin = msg.trigger_bin or msg.trigger_command.removesuffix(" trigger") or default.trigger_bin
    return HostContext(
        trigger_bin=trigger_bin,
        spec_dir=msg.spec_dir,
        fire_strategy=msg.fire_strategy or LOCAL_SHIM,
        read_only=msg.read_only,
    )


def traits_from_metadata(msg: pb.GetMetadataResponse) -> tuple[frozenset[str], bool, bool]:
    """Strategies and traits; a 1.0/1.1 plugin has only ``host_local``, meaning both traits."""
    strategies = frozenset(msg.fire_strategies) or frozenset({LOCAL_SHIM})
    if msg.protocol_minor < 2:
        return strategies, msg.host_local, msg.host_local
    return strategies, msg.fires_on_host, msg.local_state


def entry_to_proto(entry: ManagedEntry) -> pb.ManagedEntry:
    raw = "" if entry.raw is None else json.dumps(entry.raw, ensure_ascii=False, default=str)
    return pb.ManagedEntry(app=entry.app, job=entry.job, index=entry.index, hash=entry.hash, raw_json=raw)


def entry_from_proto(msg: pb.ManagedEntry) -> ManagedEntry:
    """ValueError when ``raw_json`` is not JSON (the host reports a malformed entry).

    A plugin reports an entry's pause state as a boolean ``paused`` in its raw JSON object
    (D-721; the managed plugin does): ``ManagedEntry.paused``, ``None`` when absent.
    """
    raw: Any = json.loads(msg.raw_json) if msg.raw_json else None
    paused = raw.get("paused") if isinstance(raw, dict) else None
    return ManagedEntry(
        app=msg.app,
        job=msg.job,
        index=msg.index,
        hash=msg.hash,
        raw=raw,
        paused=paused if isinstance(paused, bool) else None,
    )


def diagnostics_to_proto(diagnostics: Iterable[Diagnostic]) -> list[pb.Diagnostic]:
    return [
        pb.Diagnostic(severity=_SEVERITY_TO_PROTO[d.severity], message=d.message, path=d.path, code=d.code)
        for d in diagnostics
    ]


def diagnostics_from_proto(msgs: Iterable[pb.Diagnostic]) -> list[Diagnostic]:
    """Unknown or unspecified severities count as errors (fail closed)."""
    return [
        Diagnostic(
            severity="warning" if m.severity == pb.Diagnostic.SEVERITY_WARNING else "error",
            message=m.message,
            path=m.path,
            code=m.code,
        )
        for m in msgs
    ]


def adopt_to_proto(result: AdoptResult) -> pb.AdoptResponse:
    return pb.AdoptResponse(
        found=result.found,
        adopted=result.adopted,
        already_managed=result.already_managed,
        diverged=result.diverged,
        divergences=list(result.divergences),
        entries=[entry_to_proto(e) for e in result.entries],
    )


def adopt_from_proto(msg: pb.AdoptResponse) -> AdoptResult:
    return AdoptResult(
        found=msg.found,
        adopted=msg.adopted,
        already_managed=msg.already_managed,
        diverged=msg.diverged,
        divergences=tuple(msg.divergences),
        entries=tuple(entry_from_proto(e) for e in msg.entries),
    )


def history_query_to_proto(query: HistoryQuery) -> pb.HistoryRequest:
    msg = pb.HistoryRequest(app=query.app, job=query.job, limit=max(query.limit, 0))
    if query.since is not None:
        msg.since.CopyFrom(_timestamp(query.since))
    if query.until is not None:
        msg.until.CopyFrom(_timestamp(query.until))
    if query.status is not None:
        msg.status = query.status
    return msg


def history_query_from_proto(msg: pb.HistoryRequest) -> HistoryQuery:
    return HistoryQuery(
        app=msg.app,
        job=msg.job,
        since=_datetime(msg.since) if msg.HasField("since") else None,
        until=_datetime(msg.until) if msg.HasField("until") else None,
        status=msg.status if msg.HasField("status") else None,
        limit=msg.limit,
    )


def history_entry_to_proto(entry: HistoryEntry) -> pb.HistoryEntry:
    msg = pb.HistoryEntry(
        app=entry.app,
        job=entry.job,
        run_id=entry.run_id,
        attempt=max(entry.attempt, 0),
        status=entry.status,
        source=entry.source,
        detail=entry.detail,
    )
    if entry.started_at is not None:
        msg.started_at.CopyFrom(_timestamp(entry.started_at))
    if entry.finished_at is not None:
        msg.finished_at.CopyFrom(_timestamp(entry.finished_at))
    return msg


def history_entry_from_proto(msg: pb.HistoryEntry) -> HistoryEntry:
    return HistoryEntry(
        app=msg.app,
        job=msg.job,
        run_id=msg.run_id,
        attempt=msg.attempt,
        started_at=_datetime(msg.started_at) if msg.HasField("started_at") else None,
        finished_at=_datetime(msg.finished_at) if msg.HasField("finished_at") else None,
        status=msg.status,
        source=msg.source,
        detail=msg.detail,
    )


def _timestamp(value: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(value if value.tzinfo else value.replace(tzinfo=UTC))
    return ts


def _datetime(ts: Timestamp) -> datetime:
    return ts.ToDatetime(tzinfo=UTC)
