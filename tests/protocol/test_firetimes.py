"""Next fire times, checked against the independent cronsim library and hand-derived DST cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from cronsim import CronSim, CronSimError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cronix.protocol.firetimes import next_fire_times

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Sao_Paulo",  # historical DST transitions at midnight
    "Pacific/Chatham",  # +12:45 / +13:45
    "Asia/Kolkata",  # no DST, half-hour offset
]
BERLIN = ZoneInfo("Europe/Berlin")


def _ambiguous_or_imaginary(dt: datetime) -> bool:
    naive = dt.replace(tzinfo=None)
    tz = dt.tzinfo
    assert tz is not None
    a, b = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    roundtrip = a.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return a.utcoffset() != b.utcoffset() or roundtrip != naive


def _field(lo: int, hi: int) -> st.SearchStrategy[str]:
    value = st.integers(lo, hi)
    single = value.map(str)
    rng = st.tuples(value, value).map(lambda t: f"{min(t)}-{max(t)}")
    step = st.tuples(st.sampled_from(["*", f"{lo}"]), st.integers(1, hi - lo + 1)).map(
        lambda t: f"{t[0]}/{t[1]}"
    )
    # cronsim reads "a-a/step" like "a/step" (a to the maximum); robfig and Vixie cron do not.
    ranged_step = (
        st.tuples(value, value, st.integers(1, 5))
        .filter(lambda t: t[0] != t[1])
        .map(lambda t: f"{min(t[0], t[1])}-{max(t[0], t[1])}/{t[2]}")
    )
    term = st.one_of(single, rng, step, ranged_step)
    lst = st.lists(term, min_size=2, max_size=3).map(",".join)
    return st.one_of(st.just("*"), term, lst)


EXPRESSIONS = st.tuples(_field(0, 59), _field(0, 23), _field(1, 31), _field(1, 12), _field(0, 6)).map(
    " ".join
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    expr=EXPRESSIONS,
    zone=st.sampled_from(ZONES),
    start=st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2030, 12, 31)),
)
def test_agrees_with_cronsim(expr: str, zone: str, start: datetime) -> None:
    tz = ZoneInfo(zone)
    begin = start.replace(microsecond=0, tzinfo=UTC).astimezone(tz)
    if _ambiguous_or_imaginary(begin):
        return  # cronsim reads the start as a naive wall-clock time there; no common ground
    ours = next_fire_times(expr, tz, begin, 6)
    expected = []
    try:
        for dt in CronSim(expr, begin):
            expected.append(dt)
            if len(expected) == 6:
                break
    except CronSimError:
        pass  # cronsim refuses a day that no chosen month has (e.g. Feb 30); it never fires
    assert [t.astimezone(UTC) for t in ours] == [t.astimezone(UTC) for t in expected], (expr, zone, begin)


@pytest.mark.parametrize(
    ("expr", "start", "expected"),
    [
        # Spring forward in Berlin: 2026-03-29 02:00 CET -> 03:00 CEST.
        # A fixed-time job in the gap runs at the first minute after it, once.
        (
            "30 2 * * *",
            "2026-03-28T12:00:00+01:00",
            ["2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"],
        ),
        # An hourly job has no 02:xx that day: 01:15 CET, then 03:15 CEST.
        (
            "15 * * * *",
            "2026-03-29T01:00:00+01:00",
            ["2026-03-29T01:15:00+01:00", "2026-03-29T03:15:00+02:00"],
        ),
        # Fall back: 2026-10-25 03:00 CEST -> 02:00 CET. A fixed-time job runs once...
        (
            "30 2 * * *",
            "2026-10-25T00:00:00+02:00",
            ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"],
        ),
        # ...an hourly job runs in both 02:xx hours.
        (
            "15 * * * *",
            "2026-10-25T01:30:00+02:00",
            ["2026-10-25T02:15:00+02:00", "2026-10-25T02:15:00+01:00", "2026-10-25T03:15:00+01:00"],
        ),
    ],
)
def test_dst_transitions_in_berlin(expr: str, start: str, expected: list[str]) -> None:
    got = next_fire_times(expr, BERLIN, datetime.fromisoformat(start), len(expected))
    assert [t.isoformat() for t in got] == expected


def test_half_hour_dst_shift_on_lord_howe() -> None:
    # 2015-04-05 02:00 (+11:00) -> 01:30 (+10:30). The first local 02:00 after the shift is
    # 02:00+10:30 (15:30Z). cronsim answers 02:30 here (it steps whole hours), so this case
    # is derived by hand rather than compared.
    tz = ZoneInfo("Australia/Lord_Howe")
    got = next_fire_times("* 2-3 * 4 0", tz, datetime(2015, 4, 5, 0, 0, tzinfo=tz), 2)
    assert [t.isoformat() for t in got] == ["2015-04-05T02:00:00+10:30", "2015-04-05T02:01:00+10:30"]


def test_both_day_fields_restricted_means_either() -> None:
    # 2026-11: the 1st is a Sunday. "day 13 OR Friday".
    got = next_fire_times("0 0 13 * 5", UTC, datetime(2026, 11, 1, tzinfo=UTC), 4)
    assert [t.day for t in got] == [6, 13, 20, 27]


def test_a_star_day_field_means_both_must_match() -> None:
    # "*/2" starts with "*": Vixie cron treats the day-of-month as unrestricted -> AND.
    got = next_fire_times("0 0 */2 * 5", UTC, datetime(2026, 11, 1, tzinfo=UTC), 3)
    assert all(t.weekday() == 4 and t.day % 2 == 1 for t in got)


def test_every_is_anchored_to_the_epoch() -> None:
    got = next_fire_times("@every 7m", UTC, datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC), 2)
    assert [int(t.timestamp()) % 420 for t in got] == [0, 0]
    assert got[1] - got[0] == timedelta(minutes=7)


def test_a_schedule_that_never_fires_yields_nothing() -> None:
    assert next_fire_times("0 0 30 2 *", UTC, datetime(2026, 1, 1, tzinfo=UTC), 3) == []


def test_results_are_strictly_after_the_start_and_in_the_zone() -> None:
    start = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    got = next_fire_times("0 12 * * *", BERLIN, start, 1)
    assert got[0] > start
    assert got[0].tzinfo is BERLIN


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_fire_times("@hourly", UTC, datetime(2026, 1, 1), 1)
