"""The cron → OnCalendar= translation fires exactly when cron does, proven by the real systemd-analyze.

For random cron expressions (deterministic Hypothesis) across DST and non-DST zones, the
next 50 elapses that ``systemd-analyze calendar --iterations=50`` prints for the
translated expressions equal :mod:`cronix.protocol.firetimes`' fire times — except at the
instants :func:`dst_differences` names (where cron and systemd part at a DST transition,
D-123), and those instants are checked to be exactly the ones systemd does not fire.
No part of systemd is reimplemented here: systemd-analyze is the oracle.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cronix.backends.systemd_calendar import dst_differences, on_calendar
from cronix.protocol.firetimes import fire_times
from tests.support.systemd_analyze import calendar_iterations

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",  # southern hemisphere
    "America/Santiago",  # transitions at midnight: the day starts at 01:00 once a year
    "Australia/Lord_Howe",  # 30-minute DST shift
    "Asia/Kolkata",  # half-hour offset, no DST
    "America/Havana",  # transitions at 00:00 and 01:00
]
ITERATIONS = 50
#: cronix.protocol looks 50 years ahead for the next match; compare within 40.
HORIZON = timedelta(days=40 * 365)
BATCH = 25
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def _bases(zone: str) -> list[datetime]:
    """Start times near each DST transition of 2026-2027 in ``zone`` (and two ordinary ones)."""
    tz = ZoneInfo(zone)
    # Ordinary days, and the ends of a month and of a year (where systemd carries fields over).
    out = [datetime(2026, 1, 7, 12, tzinfo=UTC), datetime(2027, 6, 30, 3, 17, tzinfo=UTC)]
    out += [datetime(2026, 3, 31, 19, tzinfo=UTC), datetime(2026, 12, 31, 20, 30, tzinfo=UTC)]
    hour = datetime(2026, 1, 1, tzinfo=UTC)
    previous = hour.astimezone(tz).utcoffset()
    while hour < datetime(2028, 1, 1, tzinfo=UTC):
        offset = hour.astimezone(tz).utcoffset()
        if offset != previous:
            out += [hour - timedelta(hours=3), hour - timedelta(days=1, minutes=7), hour - timedelta(days=9)]
        previous = offset
        hour += timedelta(hours=1)
    return out


BASES = {zone: _bases(zone) for zone in ZONES}


def _field(
    lo: int, hi: int, names: list[str] | None = None, *, hot: tuple[int, ...] = ()
) -> st.SearchStrategy[str]:
    """One cron field: ``*``, ``?``, numbers (``hot`` ones more often), names, lists, ranges, steps."""
    value = st.one_of(st.sampled_from(hot), st.integers(lo, hi)) if hot else st.integers(lo, hi)

    def show(v: int, name: bool, upper: bool) -> str:
        if names is None or not name:
            return str(v)
        text = names[v - lo]
        return text.upper() if upper else text.capitalize()

    number = st.builds(show, value, st.booleans(), st.booleans())
    pair = st.tuples(value, value).map(sorted)
    rng = st.builds(
        lambda p, a, b: f"{show(p[0], a, b)}-{show(p[1], a, b)}", pair, st.booleans(), st.booleans()
    )
    step = st.integers(1, max(1, (hi - lo) // 2))
    star_step = step.map(lambda s: f"*/{s}")
    start_step = st.tuples(value, step).map(lambda t: f"{t[0]}/{t[1]}")  # robfig: start to the maximum
    range_step = st.tuples(pair, step).map(lambda t: f"{t[0][0]}-{t[0][1]}/{t[1]}")
    term = st.one_of(number, rng, star_step, start_step, range_step)
    return st.one_of(
        st.just("*"),
        st.just("?"),
        term,
        st.lists(term, min_size=2, max_size=3).map(",".join),
    )


CRON = st.tuples(
    _field(0, 59, hot=(0, 30, 45)),
    _field(0, 23, hot=(0, 1, 2, 3)),
    st.one_of(st.just("*"), _field(1, 31, hot=(1, 29, 30, 31))),
    st.one_of(st.just("*"), _field(1, 12, MONTHS)),
    st.one_of(st.just("*"), _field(0, 6, DAYS)),
).map(" ".join)
SHORTCUTS = st.sampled_from(
    ["@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually",
     "@every 1m", "@every 5m", "@every 120s", "@every 60m", "@every 2h", "@every 12h", "@every 24h"]
)  # fmt: skip
SCHEDULES = st.one_of(CRON, CRON, CRON, CRON, SHORTCUTS)


def _expected(schedule: str, zone: ZoneInfo, base: datetime, limit: datetime) -> list[datetime]:
    times = []
    for when in islice(fire_times(schedule, zone, base), 3 * ITERATIONS + 200):
        if when > limit:
            break
        times.append(when.astimezone(UTC))
    return times


def _check(schedules: list[str], zone_name: str, base: datetime, stats: dict[str, int]) -> None:
    zone = ZoneInfo(zone_name)
    calendars = [on_calendar(s, zone_name) for s in schedules]
    flat = [c for group in calendars for c in group]
    elapses = iter(calendar_iterations(flat, base, ITERATIONS))
    for schedule, group in zip(schedules, calendars, strict=True):
        lists = [next(elapses) for _ in group]
        # The union of the expressions' elapses is known up to the end of the shortest full list.
        full = [times[-1] for times in lists if len(times) == ITERATIONS]
        limit = min([*full, base + HORIZON])
        systemd = sorted({t for times in lists for t in times if t <= limit})
        ours = _expected(schedule, zone, base, limit)
        excluded = {d.instant.astimezone(UTC) for d in dst_differences(schedule, zone, base, limit)}
        context = (schedule, zone_name, base.isoformat(), group)
        assert excluded <= set(ours), context  # differences are instants cron really fires at
        assert not excluded & set(systemd), ("systemd fires at an excluded instant", *context)
        assert [t for t in ours if t not in excluded] == systemd, context
        stats["cases"] += 1
        stats["excluded"] += len(excluded)
        stats["two_expressions"] += len(group) == 2


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_translation_fires_exactly_when_cron_does() -> None:
    stats = {"cases": 0, "excluded": 0, "two_expressions": 0}

    @settings(
        max_examples=44,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        zone=st.sampled_from(ZONES),
        pick=st.integers(0, 10_000),
        schedules=st.lists(SCHEDULES, min_size=BATCH, max_size=BATCH),
    )
    def check(zone: str, pick: int, schedules: list[str]) -> None:
        bases = BASES[zone]
        _check(schedules, zone, bases[pick % len(bases)], stats)

    check()
    # The property really ran on ≥ 1,000 expressions, met DST differences and day-field ORs.
    assert stats["cases"] >= 1000, stats
    assert stats["excluded"] > 0, stats
    assert stats["two_expressions"] > 0, stats


@pytest.mark.parametrize(
    ("schedule", "zone", "base", "kind", "instant"),
    [
        # Spring forward in Berlin: 02:30 does not exist on 2026-03-29; cron runs at 03:00.
        ("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00+00:00", "shifted", "2026-03-29T01:00:00+00:00"),
        # Fall back in Berlin: 02:30 happens twice on 2026-10-25; an hourly job runs twice in cron.
        ("30 * * * *", "Europe/Berlin", "2026-10-24T12:00:00+00:00", "repeated", "2026-10-25T01:30:00+00:00"),
        # Santiago springs forward at midnight (2026-09-06): the day starts at 01:00.
        (
            "0 0 * * *",
            "America/Santiago",
            "2026-09-05T12:00:00+00:00",
            "shifted",
            "2026-09-06T04:00:00+00:00",
        ),
    ],
)
def test_known_dst_differences_are_what_systemd_does(
    schedule: str, zone: str, base: str, kind: str, instant: str
) -> None:
    start, moment = datetime.fromisoformat(base), datetime.fromisoformat(instant)
    found = dst_differences(schedule, ZoneInfo(zone), start, start + timedelta(days=3))
    assert [(d.kind, d.instant.astimezone(UTC)) for d in found] == [(kind, moment)]
    (systemd,) = calendar_iterations(on_calendar(schedule, zone), start, 80)
    assert moment in set(_expected(schedule, ZoneInfo(zone), start, start + timedelta(days=3)))
    assert moment not in systemd


def test_steps_that_do_not_divide_the_field_survive_a_month_boundary() -> None:
    """systemd 252 skips Apr 1 00:00 for an open ``00/5`` hour after Mar 31 20:00 (the reason
    progressions are written with their end); the translation must not."""
    base = datetime(2026, 3, 31, 19, tzinfo=UTC)
    (open_form,) = calendar_iterations(["*-*-* 00/5:00:00 UTC"], base, 3)
    assert datetime(2026, 4, 1, tzinfo=UTC) not in open_form  # the systemd behaviour worked around
    (ours,) = calendar_iterations(on_calendar("0 */5 * * *", "UTC"), base, 3)
    assert ours == _expected("0 */5 * * *", ZoneInfo("UTC"), base, ours[-1])
    assert datetime(2026, 4, 1, tzinfo=UTC) in ours


def test_translations_are_systemds_normalized_form() -> None:
    """What the unit says is what systemd reads back (``Normalized form:``), so edits stand out."""
    import subprocess

    cases = ["*/15 9-17 * * mon-fri", "0 0 1,15 * 5", "5/10 */3 */2 jan-mar,dec ?", "@weekly", "@every 2h"]
    exprs = [c for s in cases for c in on_calendar(s, "Europe/Berlin")]
    proc = subprocess.run(
        ["systemd-analyze", "calendar", *exprs], capture_output=True, text=True, check=True, env={"TZ": "UTC"}
    )
    normalized = [
        line.split(":", 1)[1].strip() for line in proc.stdout.splitlines() if "Normalized form" in line
    ]
    assert normalized == exprs
