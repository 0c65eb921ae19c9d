"""The cron → EventBridge translation fires exactly when the protocol says, for random expressions.

Next fire times of the translated expression come from :mod:`tests.aws.aws_cron` (an
evaluator of AWS's documented ``cron()`` semantics, independent of the translator) and are
compared with :mod:`cronix.protocol.firetimes`. Deterministic Hypothesis (the suite's
profile); ``HYPOTHESIS_PROFILE=explore`` searches fresh examples.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cronix.backends.aws_expressions import AwsTranslationError, dst_differences, translate
from cronix.protocol.firetimes import next_fire_times
from cronix.protocol.schedule import parse_schedule, schedule_error
from tests.aws import aws_cron

pytestmark = pytest.mark.slow

COUNT = 6
HORIZON = timedelta(days=366 * 30)
# No DST: the translation alone decides. Whole, half and quarter hours; both signs.
FIXED_ZONES = ["UTC", "Etc/GMT+5", "Etc/GMT-14", "Asia/Kolkata", "Asia/Kathmandu", "America/Phoenix"]
DST_ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "America/Santiago",
    "Australia/Lord_Howe",
]

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


@st.composite
def _element(draw: st.DrawFn, lo: int, hi: int, names: list[str] | None) -> str:
    def value() -> str:
        n = draw(st.integers(lo, hi))
        if names is not None and draw(st.booleans()):
            return names[n - lo] if draw(st.booleans()) else names[n - lo].upper()
        return str(n)

    kind = draw(st.sampled_from(["one", "one", "range", "range", "step", "rangestep", "starstep", "star"]))
    if kind == "one":
        return value()
    if kind == "star":
        return draw(st.sampled_from(["*", "?"]))
    step = draw(st.integers(1, max(1, (hi - lo) // 2 + 1)))
    if kind == "starstep":
        return f"*/{step}"
    a, b = sorted((draw(st.integers(lo, hi)), draw(st.integers(lo, hi))))
    if kind == "range":
        return f"{a}-{b}"
    if kind == "step":
        return f"{a}/{step}"
    return f"{a}-{b}/{step}"


def _field(lo: int, hi: int, names: list[str] | None = None) -> st.SearchStrategy[str]:
    return st.lists(_element(lo, hi, names), min_size=1, max_size=3).map(",".join)


MINUTES, HOURS = _field(0, 59), _field(0, 23)
DOM, MONTH, DOW = _field(1, 31), _field(1, 12, MONTHS), _field(0, 6, DAYS)
UNRESTRICTED = st.sampled_from(["*", "?", "*/1"])
FULL_DOM = st.sampled_from(["*", "?", "1-31", "*/1"])
FULL_DOW = st.sampled_from(["*", "?", "0-6", "sun-sat"])


@st.composite
def expressible(draw: st.DrawFn, hours: st.SearchStrategy[str] = HOURS) -> str:
    """Cron expressions in which at least one day field covers every day (AWS can say those)."""
    if draw(st.booleans()):
        dom, dow = draw(FULL_DOM), draw(st.one_of(UNRESTRICTED, DOW))
    else:
        dom, dow = draw(st.one_of(UNRESTRICTED, DOM)), draw(FULL_DOW)
    return f"{draw(MINUTES)} {draw(hours)} {dom} {draw(st.one_of(UNRESTRICTED, MONTH))} {dow}"


ANY_EXPRESSION = st.builds(lambda *f: " ".join(f), MINUTES, HOURS, DOM, MONTH, DOW)
STARTS = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2150, 12, 31), timezones=st.just(UTC)
)


def _transitions(zone: str) -> list[datetime]:
    """UTC hours in 2024-2030 at which ``zone``'s offset changes (found by hourly sampling)."""
    tz, out = ZoneInfo(zone), []
    hour = datetime(2024, 1, 1, tzinfo=UTC)
    offset = hour.astimezone(tz).utcoffset()
    while hour.year < 2031:
        hour += timedelta(hours=1)
        now = hour.astimezone(tz).utcoffset()
        if now != offset:
            out.append(hour)
        offset = now
    return out


TRANSITIONS = {zone: _transitions(zone) for zone in DST_ZONES}


@st.composite
def near_transition(draw: st.DrawFn) -> tuple[str, datetime]:
    """A DST zone and a start time up to two days before one of its transitions."""
    zone = draw(st.sampled_from(DST_ZONES))
    transition = draw(st.sampled_from(TRANSITIONS[zone]))
    return zone, transition - timedelta(minutes=draw(st.integers(0, 48 * 60)))


# Times of day near the transitions (00:00-03:59), so the compared fires reach them.
NIGHT_HOURS = st.one_of(
    HOURS, st.lists(st.integers(0, 3), min_size=1, max_size=3).map(lambda hs: ",".join(map(str, hs)))
)


def _protocol(expr: str, tz: str, start: datetime) -> list[datetime]:
    times = next_fire_times(expr, ZoneInfo(tz), start, COUNT)
    return [t.astimezone(UTC) for t in times if t < start + HORIZON]


def _aws(expr: str, tz: str, start: datetime) -> list[datetime]:
    aws = translate(expr, tz)
    return aws_cron.next_fires(aws.expression, aws.timezone, start, COUNT, start + HORIZON)


@settings(max_examples=1000, deadline=None)
@given(expr=expressible(), tz=st.sampled_from(FIXED_ZONES), start=STARTS)
def test_translated_cron_fires_at_the_protocols_times(expr: str, tz: str, start: datetime) -> None:
    if schedule_error(expr) is not None:
        return  # not a valid manifest schedule (e.g. a range written high-low)
    assert _aws(expr, tz, start) == _protocol(expr, tz, start)


@settings(max_examples=300, deadline=None)
@given(expr=ANY_EXPRESSION, tz=st.sampled_from(FIXED_ZONES), start=STARTS)
def test_only_two_restricted_day_fields_are_refused(expr: str, tz: str, start: datetime) -> None:
    if schedule_error(expr) is not None:
        return
    cron = parse_schedule(expr).cron
    assert cron is not None
    inexpressible = len(cron.days) < 31 and len(cron.weekdays) < 7
    try:
        aws = _aws(expr, tz, start)
    except AwsTranslationError as exc:
        assert inexpressible, f"{expr!r} refused: {exc}"
        assert "day" in str(exc)
        return
    assert not inexpressible, f"{expr!r} translated though both day fields are restricted"
    assert aws == _protocol(expr, tz, start)


@settings(max_examples=300, deadline=None)
@given(expr=expressible(hours=NIGHT_HOURS), where=near_transition())
def test_dst_differences_are_exactly_the_ones_reported(expr: str, where: tuple[str, datetime]) -> None:
    """In zones with DST the fire times agree except on the transition days dst_differences names."""
    tz, start = where
    if schedule_error(expr) is not None:
        return
    want, got = _protocol(expr, tz, start), _aws(expr, tz, start)
    last = max([*want, *got, start])
    years = (last - start).days // 365 + 2
    reported = dst_differences(expr, tz, start=start, years=years)
    zone = ZoneInfo(tz)
    if want == got:
        # Nothing differed among the fires compared: no difference is reported between them.
        span = (start.astimezone(zone).date(), last.astimezone(zone).date())
        assert not [d for d in reported if span[0] + timedelta(days=1) < d < span[1] - timedelta(days=1)]
        return
    first_difference = next(a or b for a, b in zip([*want, None], [*got, None], strict=False) if a != b)
    assert first_difference is not None
    local = first_difference.astimezone(zone).date()
    assert any(abs((d - local).days) <= 1 for d in reported), (expr, tz, want, got, reported)


@settings(max_examples=300, deadline=None)
@given(
    seconds=st.one_of(
        st.integers(1, 60 * 24 * 30).map(lambda m: m * 60), st.sampled_from([60, 900, 3600, 7200, 604800])
    ),
    start=STARTS,
)
def test_every_is_cron_when_the_protocols_times_allow_it_else_rate(seconds: int, start: datetime) -> None:
    expr = f"@every {seconds}s"
    aws = translate(expr, "Europe/Berlin")
    assert aws.timezone == "UTC"  # the epoch alignment does not depend on the job's zone
    if aws.expression.startswith("cron("):
        assert not aws.warning
        got = aws_cron.next_fires(aws.expression, aws.timezone, start, COUNT, start + HORIZON)
        assert got == _protocol(expr, "UTC", start)
    else:
        assert aws_cron.rate_period(aws.expression) == timedelta(seconds=seconds)
        assert "created" in aws.warning
        # rate() only where no single cron() fires at the epoch multiples: the interval does not
        # divide an hour, is not a whole number of hours dividing a day, and is not a week.
        minutes = seconds // 60
        assert 60 % minutes != 0
        assert minutes % 60 != 0 or 24 % (minutes // 60) != 0
        assert minutes != 7 * 24 * 60


def test_the_issues_examples() -> None:
    assert translate("@every 15m", "UTC").expression == "cron(0/15 * * * ? *)"
    assert translate("0 9 * * 1-5", "UTC").expression == "cron(0 9 ? * MON-FRI *)"
    assert translate("@weekly", "UTC").expression == "cron(0 0 ? * SUN *)"
