"""Every fire carries its occurrence (issue 15 item 4, D-724), and the SDK runs it once.

* Two real ``cronix trigger`` processes on two hosts firing the same occurrence at a real
  SDK app (served by a real WSGI server) whose claim store is a real redis-server: the
  handler runs once; both triggers succeed (the loser is answered ``AlreadyHandled``).
* Kubernetes: the pod knows its Job's name (downward API); the real trigger turns
  ``cronix-<app>-<job>-<i>-<minutes>`` into the occurrence and its fire id.
* EventBridge: the Lambda handler reads ``scheduled_time`` from the Input (moto does not
  invoke targets, so the test fills the placeholder in as EventBridge does).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from cronix.sdk import Cron, JobContext, RedisClaimStore
from cronix.sdk.wsgi import CronWSGI
from cronix.trigger.occurrence import event_occurrence, kubernetes_occurrence
from tests.support.httpserver import serving
from tests.support.redis_server import RedisServer
from tests.trigger.app_server import AppServer
from tests.trigger.conftest import SECRET, Host, finish, write_spec

RETRY_FAST = {"retries": {"max_attempts": 6, "min_seconds": 0, "max_seconds": 1}, "concurrency": "Allow"}


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class SdkApp:
    """``billing.ping`` in a real SDK app; the handler takes a moment, so two fires overlap."""

    def __init__(self, redis: RedisServer) -> None:
        self.server = make_server("127.0.0.1", 0, lambda environ, start: [], WSGIServer, _Quiet)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        store = RedisClaimStore(url=redis.url, prefix=f"t:{uuid.uuid4()}:")
        self.cron = Cron(app="billing", base_url=self.url, secret=SECRET, claims=store)
        self.runs: list[str] = []
        self._lock = threading.Lock()

        @self.cron.job("ping", schedule="*/5 * * * *", policy=RETRY_FAST)
        def ping(ctx: JobContext) -> None:
            with self._lock:
                self.runs.append(ctx.fire_id)
            time.sleep(0.8)

        self.server.set_app(CronWSGI(cron=self.cron))


@pytest.fixture
def sdk_app(redis: RedisServer) -> Iterator[SdkApp]:
    app = SdkApp(redis)
    with serving(app.server):
        yield app


def test_two_triggers_firing_one_occurrence_run_the_handler_once(tmp_path: Path, sdk_app: SdkApp) -> None:
    """Two replicas (each its own host: own lock directory) fire 10:05 UTC; Redis decides."""
    hosts = [Host(tmp_path / "web-1"), Host(tmp_path / "web-2")]
    for h in hosts:
        write_spec(
            h.spec_dir, f"{sdk_app.url}/api/v1/scheduled/ping", policy=RETRY_FAST, schedule="*/5 * * * *"
        )
    procs = [h.spawn("billing.ping", "--fire-time", "2026-03-01T10:05:00Z") for h in hosts]
    results = [finish(p) for p in procs]
    assert [code for code, _ in results] == [0, 0], results
    assert sdk_app.runs == ["billing.ping#0@2026-03-01T10:05:00Z"]
    statuses = sorted(r["status"] for h in hosts for r in h.runs())
    assert statuses == ["ok", "ok"]


def test_a_kubernetes_job_name_is_the_occurrence(host: Host, app: AppServer) -> None:
    """The CronJob controller names the Job ``<cronjob>-<Unix minutes>``; the pod reads it."""
    write_spec(host.spec_dir, app.url(), schedule="*/5 * * * *")
    minutes = 29_533_505  # 2026-02-25T09:05:00Z
    env = host.env(CRONIX_KUBERNETES_JOB=f"cronix-billing-ping-0-{minutes}")
    proc = host.trigger("billing.ping", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (request,) = app.requests
    assert request.header("X-Cron-Fire-Time") == str(minutes * 60)
    assert request.header("X-Cron-Fire-Id") == "billing.ping#0@2026-02-25T09:05:00Z"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cronix-billing-ping-0-29533505", 29_533_505 * 60),
        ("cronix-billing-ping-12-29533505", 29_533_505 * 60),
        ("cronix-billing-ping-0-29533505-x7k2q", None),  # a pod name, not the Job's
        ("cronix-billing-ping-b-0-29533505", None),  # job "ping-b"'s Job, not ping's
        ("manual-run-1", None),  # kubectl create job --from=cronjob/…: the clock decides
        ("cronix-billing-ping-0-", None),
        ("", None),
    ],
)
def test_kubernetes_occurrence(name: str, expected: int | None) -> None:
    assert kubernetes_occurrence("billing", "ping", {"CRONIX_KUBERNETES_JOB": name}) == expected


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"scheduled_time": "2026-03-22T18:55:00Z"}, 1774205700),
        ('{"scheduled_time": "2026-03-22T18:55:00Z"}', 1774205700),
        ({"scheduled_time": "<aws.scheduler.scheduled-time>"}, None),  # not filled in (a test invoke)
        ({"scheduled_time": "yesterday"}, None),
        ({}, None),
        ("not json", None),
    ],
)
def test_event_occurrence(event: object, expected: int | None) -> None:
    assert event_occurrence(event) == expected


def test_the_backends_write_what_the_trigger_reads() -> None:
    """The pod's variable and the Input's key are spelled once on each side of the seam."""
    from cronix.backends.aws_schedules import SCHEDULED_TIME_KEY as AWS_KEY
    from cronix.backends.kubernetes_objects import _pod_spec
    from cronix.backends.kubernetes_options import KubernetesOptions
    from cronix.protocol.manifest import Job, Request
    from cronix.trigger.occurrence import KUBERNETES_JOB_ENV, SCHEDULED_TIME_KEY

    job = Job("ping", ("*/5 * * * *",), Request("https://billing.example/ping"))
    pod = _pod_spec("billing", job, "cronix-billing-ping-0", KubernetesOptions(image="cronix:1"))
    assert KUBERNETES_JOB_ENV in {e["name"] for e in pod["containers"][0]["env"]}
    assert AWS_KEY == SCHEDULED_TIME_KEY
