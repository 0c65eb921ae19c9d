"""``policy.jitter_seconds`` (issue 15 item 6, D-723): a stable per-(host, job) delay.

The delay is the same on every run of one host and spread across hosts; the trigger waits
it after the occurrence is known and before the lock, so the fire id and
``X-Cron-Fire-Time`` stay the occurrence's and only the actual time moves. Where the
scheduler delays on its own (systemd's ``RandomizedDelaySec=``), the trigger does not
wait again and still finds its occurrence from its late start.
"""

from __future__ import annotations

import io
import socket
from datetime import UTC, datetime

import pytest

from cronix.trigger.jitter import NATIVE_ENV, delay_seconds
from cronix.trigger.logs import JsonLog
from cronix.trigger.run import Clock, fire
from tests.trigger.app_server import AppServer
from tests.trigger.conftest import SECRET, Host, write_spec

OCCURRENCE = datetime(2026, 5, 4, 0, 0, tzinfo=UTC).timestamp()


class VirtualClock(Clock):
    """Time that moves only when the fire sleeps; every sleep is recorded."""

    def __init__(self, at: float) -> None:
        self.at = at
        self.slept: list[float] = []

    def now(self) -> float:
        return self.at

    def sleep(self, seconds: float, lock: object) -> bool:
        self.slept.append(seconds)
        self.at += max(seconds, 0.0)
        return False


def test_the_delay_is_stable_per_host_and_job_and_spread_across_hosts() -> None:
    assert delay_seconds("web-1", "billing", "ping", 300) == delay_seconds("web-1", "billing", "ping", 300)
    delays = [delay_seconds(f"web-{i}", "billing", "ping", 300) for i in range(2000)]
    assert all(0 <= d <= 300 for d in delays)
    assert len(set(delays)) > 1900  # millisecond resolution: hosts rarely share a delay
    # Spread over the window: every tenth of it is used by roughly a tenth of the hosts.
    buckets = [sum(1 for d in delays if k * 30 <= d < (k + 1) * 30) for k in range(10)]
    assert min(buckets) > 120 and max(buckets) < 280, buckets
    assert delay_seconds("web-1", "billing", "ping", 300) != delay_seconds("web-1", "billing", "other", 300)
    assert delay_seconds("web-1", "billing", "ping", 0) == 0.0


def _fire(host: Host, clock: VirtualClock, app: AppServer, environ: dict[str, str]) -> object:
    options = host.options()
    return fire(options, log=JsonLog(io.StringIO()), clock=clock, environ={"CRON_SECRET": SECRET, **environ})


def test_the_trigger_waits_its_delay_and_keeps_the_occurrence(
    host: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(NATIVE_ENV, raising=False)
    clock = VirtualClock(OCCURRENCE + 1.3)  # cron started it at 00:00:01
    with AppServer([SECRET], now=clock.now) as app:
        write_spec(host.spec_dir, app.url(), schedule="0 0 * * *", policy={"jitter_seconds": 600})
        result = _fire(host, clock, app, {})
    assert result.outcome == "success"  # type: ignore[attr-defined]
    wanted = delay_seconds(socket.gethostname(), "billing", "ping", 600)
    assert clock.slept[0] == wanted
    (request,) = app.requests
    assert request.header("X-Cron-Fire-Id") == "billing.ping#0@2026-05-04T00:00:00Z"
    assert request.header("X-Cron-Fire-Time") == str(int(OCCURRENCE))
    assert int(request.header("X-Cron-Fire-Time-Actual") or 0) == int(OCCURRENCE + 1.3 + wanted)


def test_a_scheduler_that_delayed_already_is_not_waited_for_again(
    host: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    """systemd started the service 7 minutes late (RandomizedDelaySec=600, CRONIX_JITTER_NATIVE)."""
    monkeypatch.setenv(NATIVE_ENV, "1")
    clock = VirtualClock(OCCURRENCE + 420.5)
    with AppServer([SECRET], now=clock.now) as app:
        write_spec(host.spec_dir, app.url(), schedule="0 0 * * *", policy={"jitter_seconds": 600})
        result = _fire(host, clock, app, {})
    assert result.outcome == "success"  # type: ignore[attr-defined]
    assert clock.slept == []
    (request,) = app.requests
    assert request.header("X-Cron-Fire-Id") == "billing.ping#0@2026-05-04T00:00:00Z"


def test_without_jitter_nothing_waits(host: Host, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NATIVE_ENV, raising=False)
    clock = VirtualClock(OCCURRENCE + 1.0)
    with AppServer([SECRET], now=clock.now) as app:
        write_spec(host.spec_dir, app.url(), schedule="0 0 * * *")
        assert _fire(host, clock, app, {}).outcome == "success"  # type: ignore[attr-defined]
    assert clock.slept == []
