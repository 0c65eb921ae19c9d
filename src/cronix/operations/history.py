"""``history``: the past runs of a job from every source that records them, merged by run id.

The trigger's own run log (works on every host), journald (when there), and — when asked —
the backend's native record (journald units, a CronJob's Jobs and pods, CloudWatch, a
plugin's History).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cronix.backends.base import HistoryQuery, UnsupportedOperation
from cronix.errors import UsageError
from cronix.runlog import collect_history, merge_runs

if TYPE_CHECKING:
    from datetime import datetime

    from cronix.backends.base import Backend, HistoryEntry
    from cronix.operations.workspace import Workspace

__all__ = ["HistoryRequest", "history", "native_runs"]


@dataclass(frozen=True, slots=True)
class HistoryRequest:
    #: ``None``: every app / job.
    app: str | None
    job: str | None
    since: datetime | None = None
    until: datetime | None = None
    status: str | None = None
    limit: int = 50
    #: ``None``: ``trigger.run_log`` of cronix.yaml; ``""``: do not read a run log.
    run_log: str | None = None
    journald: bool = True
    #: Also ask this backend for its native history.
    backend: str | None = None


def history(ws: Workspace, request: HistoryRequest) -> tuple[str, list[HistoryEntry]]:
    """``(run log read, runs oldest first)``."""
    r = request
    path = r.run_log if r.run_log is not None else ws.config.trigger.run_log
    runs = collect_history(
        r.app,
        r.job,
        run_log=path,
        since=r.since,
        until=r.until,
        status=r.status,
        limit=r.limit,
        journald=r.journald,
    )
    if r.backend:
        if r.app is None or r.job is None:
            raise UsageError("history --backend needs a job: cronix history <app>.<job> --backend NAME")
        query = HistoryQuery(r.app, r.job, r.since, r.until, r.status, r.limit)
        with ws.open_backend(r.backend, read_only=True) as backend:
            native = native_runs(backend, query)
        runs = merge_runs(runs, native, limit=r.limit)
    return path, runs


def native_runs(backend: Backend, query: HistoryQuery) -> list[HistoryEntry]:
    """The backend's own record of a job's runs (empty where it keeps none)."""
    try:
        return backend.history(query)
    except UnsupportedOperation:
        return []
