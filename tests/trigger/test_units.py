"""Small pure pieces of the shim: log timestamps, the intended fire time, URL targets."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from cronix.trigger.firetime import intended_fire_time, parse_fire_time
from cronix.trigger.http import parse_target
from cronix.trigger.logs import JsonLog, rfc3339_local


@pytest.fixture
def kolkata(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_log_time_is_go_rfc3339nano_in_the_local_offset(kolkata: None) -> None:
    base = int(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()) * 10**9
    assert rfc3339_local(base + 640_000_000) == "2026-01-02T08:34:05.64+05:30"
    assert rfc3339_local(base) == "2026-01-02T08:34:05+05:30"
    assert rfc3339_local(base + 1) == "2026-01-02T08:34:05.000000001+05:30"


def test_log_key_order_is_time_level_msg_bound_then_call() -> None:
    out = io.StringIO()
    JsonLog(out).bind(app="a", job="j", run_id="r").warn("trigger: server error", attempt=1, status=503)
    assert list(json.loads(out.getvalue())) == [
        "time",
        "level",
        "msg",
        "app",
        "job",
        "run_id",
        "attempt",
        "status",
    ]


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


@pytest.mark.parametrize(
    ("schedules", "tz", "now", "expected"),
    [
        (["0 * * * *"], "UTC", "2026-03-01T12:00:01.6+00:00", "2026-03-01T12:00:00+00:00"),
        (["0 * * * *"], "UTC", "2026-03-01T12:00:59+00:00", "2026-03-01T12:00:00+00:00"),
        (["0 * * * *"], "UTC", "2026-03-01T12:01:00+00:00", "2026-03-01T12:01:00+00:00"),  # manual run: now
        (["30 2 * * *"], "Asia/Kolkata", "2026-03-01T21:00:02+00:00", "2026-03-01T21:00:00+00:00"),
        (["@hourly", "*/15 * * * *"], "UTC", "2026-03-01T12:15:03+00:00", "2026-03-01T12:15:00+00:00"),
        (["@every 90s"], "UTC", "2026-03-01T12:00:01+00:00", "2026-03-01T12:00:00+00:00"),
        (["not a schedule"], "UTC", "2026-03-01T12:00:05+00:00", "2026-03-01T12:00:05+00:00"),
    ],
)
def test_intended_fire_time(schedules: list[str], tz: str, now: str, expected: str) -> None:
    assert intended_fire_time(schedules, tz, _ts(now)) == int(_ts(expected))


def test_parse_fire_time() -> None:
    assert parse_fire_time("1767323040") == 1767323040
    assert parse_fire_time("2026-01-02T03:04:00Z") == 1767323040
    assert parse_fire_time("2026-01-02T04:04:00+01:00") == 1767323040
    for bad in ("2026-01-02T03:04:00", "-5", "soon"):
        with pytest.raises(ValueError, match="fire time"):
            parse_fire_time(bad)


def test_target_path_is_the_path_and_query_as_written() -> None:
    assert (
        parse_target("https://h.example/api/v1/scheduled/x?a=1&b=%2F").path == "/api/v1/scheduled/x?a=1&b=%2F"
    )
    assert parse_target("http://h.example?x=1").path == "/?x=1"
    assert parse_target("http://h.example").path == "/"
    target = parse_target("HTTP://[::1]:8080/p")
    assert (target.https, target.host, target.port) == (False, "::1", 8080)
    for bad in ("ftp://h/x", "http://u:p@h/x", "http://h/x#frag", "http://h:99999/", "http:///x"):
        with pytest.raises(ValueError, match=r"^URL"):
            parse_target(bad)
