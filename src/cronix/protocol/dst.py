"""Daylight-saving transitions, and the local times of a schedule they skip or repeat.

A schedule is written in wall-clock time; twice a year most zones make some wall-clock
times disappear (spring forward: 02:30 does not exist) or happen twice (fall back: 01:30
comes round again). What a scheduler does then differs — Debian cron runs a fixed-time job
(``30 2 * * *``) at the first minute after a gap and once in a repeated hour, but an hourly
job not at all inside the gap and twice in the repeat (:mod:`cronix.protocol.firetimes`) —
so ``cronix lint`` names every such time with its date, and says what cron does.

Pure functions over :mod:`zoneinfo`-style ``tzinfo`` values; standard library only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, NamedTuple

from cronix.protocol.firetimes import wall_time_matches
from cronix.protocol.schedule import parse_schedule

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["DstEvent", "Transition", "dst_events", "transitions"]

_STEP = timedelta(hours=1)
_MINUTE = timedelta(minutes=1)


class Transition(NamedTuple):
    """One change of a zone's UTC offset, at the UTC instant ``at`` (to the second)."""

    at: datetime
    before: timedelta
    after: timedelta

    @property
    def is_gap(self) -> bool:
        """Clocks go forward: the local times in ``[at+before, at+after)`` do not exist."""
        return self.after > self.before

    @property
    def local_from(self) -> datetime:
        """The naive local time the clocks show just before the change."""
        return (self.at + self.before).replace(tzinfo=None)

    @property
    def local_to(self) -> datetime:
        """The naive local time the clocks show just after the change."""
        return (self.at + self.after).replace(tzinfo=None)


class DstEvent(NamedTuple):
    """Local times of one schedule that a transition skips (``skipped``) or repeats (``repeated``)."""

    kind: str
    day: date
    times: tuple[datetime, ...]  # naive local wall-clock times, in order
    transition: Transition
    fixed_time: bool  # a fixed-time job: cron runs it once (see the module docstring)

    def describe(self, zone: str) -> str:
        """One sentence: what happens, when, in which zone, and what cron does about it."""
        shown = ", ".join(t.strftime("%H:%M") for t in self.times[:3])
        if len(self.times) > 3:
            shown += f" and {len(self.times) - 3} more"
        t = self.transition
        way = "forward" if t.is_gap else "back"
        clocks = f"clocks go {way} from {t.local_from:%H:%M} to {t.local_to:%H:%M}"
        if self.kind == "skipped":
            verb = "does not exist" if len(self.times) == 1 else "do not exist"
            then = (
                f"cron runs it at {t.local_to:%H:%M} instead"
                if self.fixed_time
                else "cron does not run it then"
            )
        else:
            verb = "happens twice" if len(self.times) == 1 else "happen twice"
            then = "cron runs it once, the first time" if self.fixed_time else "cron runs it twice"
        noun = "local time" if len(self.times) == 1 else "local times"
        return f"{noun} {shown} {verb} on {self.day.isoformat()} in {zone} ({clocks}): {then}"


def transitions(tz: tzinfo, start: datetime, end: datetime) -> list[Transition]:
    """Every offset change of ``tz`` in ``[start, end)`` (aware datetimes), in order.

    Sampled hourly, then bisected to the second: a zone whose offset changes twice within
    one hour (none in the tz database does) would be missed.
    """
    out: list[Transition] = []
    cursor = start.astimezone(UTC)
    stop = end.astimezone(UTC)
    previous = _offset(tz, cursor)
    while cursor < stop:
        step = min(cursor + _STEP, stop)
        current = _offset(tz, step)
        if current != previous:
            out.append(Transition(_bisect(tz, cursor, step, previous), previous, current))
            previous = current
        cursor = step
    return out


def dst_events(schedule: str, tz: tzinfo, start: datetime, end: datetime) -> list[DstEvent]:
    """The local times of ``schedule`` that a transition in ``[start, end)`` skips or repeats.

    ``@every`` schedules count real seconds, not wall-clock time: they have none.
    """
    cron = parse_schedule(schedule).cron
    if cron is None:
        return []
    out = []
    for t in transitions(tz, start, end):
        low, high = (t.local_from, t.local_to) if t.is_gap else (t.local_to, t.local_from)
        matched = tuple(wall for wall in _minutes(low, high) if wall_time_matches(cron, wall))
        if matched:
            kind = "skipped" if t.is_gap else "repeated"
            out.append(DstEvent(kind, matched[0].date(), matched, t, cron.fixed_time))
    return out


def _offset(tz: tzinfo, when: datetime) -> timedelta:
    offset = when.astimezone(tz).utcoffset()
    return offset if offset is not None else timedelta(0)


def _bisect(tz: tzinfo, low: datetime, high: datetime, before: timedelta) -> datetime:
    """The first second in ``(low, high]`` at which the offset is no longer ``before``."""
    lo, hi = int(low.timestamp()), int(high.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset(tz, datetime.fromtimestamp(mid, UTC)) == before:
            lo = mid
        else:
            hi = mid
    return datetime.fromtimestamp(hi, UTC)


def _minutes(low: datetime, high: datetime) -> Iterator[datetime]:
    """Whole minutes in ``[low, high)`` (naive), ``low`` rounded up to its minute."""
    wall = low.replace(second=0, microsecond=0)
    if wall < low:
        wall += _MINUTE
    while wall < high:
        yield wall
        wall += _MINUTE
