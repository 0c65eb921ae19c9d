"""``X-Cron-Fire-Id`` (D-500) and a signature of its own on every attempt (D-502), from the real trigger."""

from __future__ import annotations

import pytest

from cronix.protocol.fireid import parse_fire_id
from cronix.trigger.firetime import occurrence_index
from tests.trigger.app_server import AppServer, Reply
from tests.trigger.conftest import Host, write_spec

NO_WAIT = {"retries": {"max_attempts": 4, "min_seconds": 0, "max_seconds": 1}}


def test_every_attempt_carries_the_same_fire_id_and_a_different_signature(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url(), policy=NO_WAIT)
    app.replies = [Reply(503), Reply(503), Reply(503), Reply(200)]  # four attempts within a second or so
    proc = host.trigger("billing.ping", "--fire-time", "2026-01-01T00:00:00Z")
    assert proc.returncode == 0, proc.stdout
    assert [r.verdict for r in app.requests] == ["ok"] * 4
    assert {r.header("X-Cron-Fire-Id") for r in app.requests} == {"billing.ping#0@2026-01-01T00:00:00Z"}
    signatures = [r.header("X-Cron-Signature") for r in app.requests]
    assert len(set(signatures)) == 4  # no attempt replays another's signature
    stamps = [int((s or "").split(",")[0][2:]) for s in signatures]
    assert stamps == sorted(stamps) and len(set(stamps)) == 4


def test_the_fire_id_names_the_schedule_that_fires(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url(), schedule=None, schedules=["0 3 * * *", "30 * * * *"])
    assert host.trigger("billing.ping", "--fire-time", "2026-01-01T05:30:00Z").returncode == 0
    fire = parse_fire_id(app.requests[0].header("X-Cron-Fire-Id") or "")
    assert (fire.index, fire.scheduled) == (1, 1767245400)


@pytest.mark.parametrize(
    ("schedules", "when", "preferred", "expected"),
    [
        (["0 3 * * *", "30 * * * *"], 1767245400, 0, 1),  # crontab spec (index 0): the schedule that fires
        (["0 * * * *", "*/30 * * * *"], 1767225600, 1, 1),  # both fire; the spec's own index wins (k8s)
        (["0 * * * *", "*/30 * * * *"], 1767225600, 0, 0),
        (["0 3 * * *"], 1767225601, 0, 0),  # a manual run off the schedule: the spec's index
        (["0 3 * * *"], 10**13, 0, 0),  # beyond what datetime can say: no crash
    ],
)
def test_occurrence_index(schedules: list[str], when: int, preferred: int, expected: int) -> None:
    assert occurrence_index(schedules, "UTC", when, preferred) == expected
