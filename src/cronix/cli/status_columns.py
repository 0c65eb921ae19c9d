"""The columns of ``cronix status``: one table drives the terminal table and the HTML page.

Adding a column is one :class:`Column` line in :data:`COLUMNS`: a header and a function from
a :class:`~cronix.operations.job_status.JobStatus` to its cell text (``""`` shows as ``-``).
The JSON document is the structured ``JobStatus.as_json``, not these cells.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable

    from cronix.operations.job_status import JobStatus
    from cronix.operations.missed import Missed

__all__ = ["COLUMNS", "MISSED_COLUMNS", "Column", "clock", "duration"]


def clock(when: datetime | None) -> str:
    """``2026-12-01T10:00:00Z``: second precision is what a person reads (JSON keeps ms)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when is not None else ""


def duration(ms: int | None) -> str:
    """``84ms``, ``3.2s``, ``4m05s``, ``2h03m``."""
    if ms is None:
        return ""
    if ms < 1000:
        return f"{ms}ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Column(NamedTuple):
    header: str
    cell: Callable[[JobStatus], str]
    #: Never shortened to fit the terminal (identifiers).
    whole: bool = False


def _last(attr: str) -> Callable[[JobStatus], str]:
    def cell(s: JobStatus) -> str:
        run = s.last_run
        if run is None:
            return ""
        if attr == "when":
            return clock(run.started_at or run.finished_at)
        if attr == "duration":
            return duration(run.duration_ms)
        return str(getattr(run, attr))

    return cell


COLUMNS: tuple[Column, ...] = (
    Column("BACKEND", lambda s: s.backend),
    Column("JOB", lambda s: s.target, whole=True),
    Column("SCHEDULE", lambda s: ", ".join(s.job.schedules) if s.job else ""),
    Column("TZ", lambda s: s.job.timezone if s.job else ""),
    Column("LAST", _last("status")),
    Column("LAST-START", _last("when")),
    Column("TOOK", _last("duration")),
    Column("WHERE", _last("where")),
    Column("NEXT", lambda s: clock(s.next_fire) if s.next_fire else ("paused" if s.declared_pause else "")),
    Column("JITTER", lambda s: s.jitter_window),
    Column("PAUSE", lambda s: s.pause),
    Column("STATE", lambda s: s.state),
    Column("MISSED", lambda s: str(len(s.missed)) if s.missed else ""),
    Column("DETAIL", lambda s: s.detail),
)


class MissedColumn(NamedTuple):
    header: str
    cell: Callable[[Missed], str]
    whole: bool = False


MISSED_COLUMNS: tuple[MissedColumn, ...] = (
    MissedColumn("JOB", lambda m: f"{m.app}.{m.job}", whole=True),
    MissedColumn("SCHEDULE", lambda m: m.schedule),
    MissedColumn("SCHEDULED", lambda m: clock(m.scheduled), whole=True),
    MissedColumn("RECORDED", lambda m: m.last),
    MissedColumn("FIRE-ID", lambda m: m.fire_id, whole=True),
)
