"""Library-level fires with a clock the test controls: long retry schedules in milliseconds."""

from __future__ import annotations

import io
import time

from cronix.trigger.locks import LockHandle
from cronix.trigger.logs import JsonLog
from cronix.trigger.retry import backoff_seconds, jittered
from cronix.trigger.run import Clock, FireOptions, fire
from tests.trigger.app_server import AppServer, Reply
from tests.trigger.conftest import SECRET, Host, log_lines, write_spec


class VirtualClock(Clock):
    """Real time plus whatever the fire has 'slept'; sleeping costs no wall time."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return time.time() + self.offset

    def sleep(self, seconds: float, lock: LockHandle | None) -> bool:
        self.sleeps.append(seconds)
        self.offset += seconds
        return False


def _options(host: Host) -> FireOptions:
    return host.options()


def test_retries_past_300_seconds_still_verify(host: Host) -> None:
    clock = VirtualClock()
    with AppServer([SECRET], now=clock.now) as app:
        app.replies = [Reply(503), Reply(503), Reply(503)]
        write_spec(
            host.spec_dir,
            app.url(),
            policy={
                "timeout_seconds": 30,
                "retries": {"max_attempts": 4, "min_seconds": 100, "max_seconds": 300},
            },
        )
        out = io.StringIO()
        result = fire(
            _options(host), log=JsonLog(out), clock=clock, environ={"CRON_SECRET": SECRET}, rand=lambda: 0.5
        )
    assert result.exit_code == 0, out.getvalue()
    assert clock.sleeps == [105.0, 210.0, 315.0]  # 100·2^(n−1) capped at 300, plus 5 % (rand 0.5 of 10 %)
    assert [r.verdict for r in app.requests] == ["ok"] * 4
    stamps = [int((r.header("X-Cron-Signature") or "")[2:].split(",")[0]) for r in app.requests]
    assert stamps[-1] - stamps[0] >= 630  # the last attempt is > 300 s after the fire, and verifies
    actual = {r.header("X-Cron-Fire-Time-Actual") for r in app.requests}
    assert len(actual) == 1  # the fire's own times stay constant across attempts
    assert [line["msg"] for line in log_lines(out.getvalue())][-1] == "trigger: success"


def test_backoff_curve_and_bounds() -> None:
    assert [backoff_seconds(n, 1, 60) for n in range(1, 10)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert [backoff_seconds(n, 0, 60) for n in range(1, 4)] == [0, 0, 0]
    assert jittered(10, lambda: 0.0) == 10
    assert jittered(10, lambda: 0.999) < 11
