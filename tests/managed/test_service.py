"""``cronix-managed-ref`` as a process: the API rules of spec/managed-scheduler.md and delivery.

Deliveries go to a real app — the SDK behind wsgiref, in a thread — that verifies every
token against the service's JWKS and answers what the test queued.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from cronix.protocol.fireid import format_fire_id
from cronix.protocol.managed import Arm, Retry, Schedule
from cronix.sdk import Cron, FireJWT, JobContext, Response, SchedulerError
from cronix.sdk.wsgi import CronWSGI
from tests.managed.conftest import Service, service, wait_for
from tests.sdk.serve import ThreadingWSGIServer
from tests.support.httpserver import serving

pytestmark = pytest.mark.slow


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class App:
    def __init__(self, svc: Service, *, issuer: str | None = None) -> None:
        self.replies: list[Response] = []
        self.seen: list[JobContext] = []
        self.times: list[float] = []
        self.lock = threading.Lock()
        self.server: WSGIServer = make_server("127.0.0.1", 0, lambda e, s: [], ThreadingWSGIServer, _Quiet)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        cron = Cron(
            app="svc-test",
            base_url=self.base,
            fire_jwt=FireJWT(issuer=issuer, public_keys=svc.call("GET", "/.well-known/jwks.json")[1])
            if issuer
            else FireJWT(issuer=svc.url, jwks_url=f"{svc.url}/.well-known/jwks.json"),
            fire_mode="sync",
        )
        cron.register("job", self._handler, schedule="@hourly", policy={"concurrency": "Allow"})
        self.server.set_app(CronWSGI(cron=cron))

    def _handler(self, ctx: JobContext) -> Response:
        with self.lock:
            self.seen.append(ctx)
            self.times.append(time.monotonic())
            return self.replies.pop(0) if self.replies else Response(200)

    def arm(self, when: int, **kw: Any) -> Arm:
        url = f"{self.base}/api/v1/scheduled/job"
        return Arm(
            "svc-test", "job", 0, format_fire_id("svc-test", "job", 0, when), when, url, "0" * 16, **kw
        )


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[Service]:
    with service(tmp_path / "svc") as running:
        yield running


@pytest.fixture
def app(svc: Service) -> Iterator[App]:
    served = App(svc)
    with serving(served.server):
        yield served


def test_the_api_needs_the_token_but_info_and_jwks_are_public(svc: Service) -> None:
    assert svc.call("GET", "/v1/info")[1]["api"] == "cronix-managed-scheduler"
    assert svc.call("GET", "/.well-known/jwks.json")[1]["keys"][0]["kty"] == "EC"
    svc.token = "wrong"
    assert svc.call("GET", "/v1/arms") == (
        401,
        {"error": "unauthorized", "message": "a valid Authorization: Bearer token is required"},
    )


def test_bad_arms_are_400_naming_the_field(svc: Service, app: App) -> None:
    arm = app.arm(int(time.time()) + 600).to_json()
    status, doc = svc.call("PUT", "/v1/arms/svc-test/job/0", {**arm, "hash": "xyz"})
    assert (status, doc["message"]) == (400, "hash: must be 16 lowercase hex digits")
    status, doc = svc.call("PUT", "/v1/arms/svc-test/other/0", arm)
    assert status == 400 and "does not" in doc["message"]
    status, doc = svc.call("PUT", "/v1/arms/svc-test/job/0", {**arm, "fire_at": "2030-01-01T00:00:00Z"})
    assert (status, doc["message"]) == (400, "fire_at must be the time in fire_id")


def test_dedup_replaces_and_slot_kinds(svc: Service, app: App) -> None:
    client = svc.client
    later = int(time.time()) + 3600
    first = app.arm(later)
    assert client.arm(first) == "armed"
    assert client.arm(first) == "unchanged"
    second = app.arm(later + 3600)
    with pytest.raises(SchedulerError) as conflict:  # compare-and-set: the slot holds `first`
        client.arm(second.replace(replaces=format_fire_id("svc-test", "job", 0, later - 3600)))
    assert conflict.value.status == 409
    assert client.arm(second.replace(replaces=first.fire_id)) == "armed"
    schedule = Schedule("svc-test", "job", 0, "@hourly", "UTC", first.callback_url, "0" * 16)
    with pytest.raises(SchedulerError, match="holds a one-shot arm"):
        client.schedule(schedule)


def test_delivery_retries_5xx_honouring_retry_after_with_a_fresh_token_each_time(
    svc: Service, app: App
) -> None:
    app.replies = [Response(503, headers=(("retry-after", "1"),)), Response(500), Response(200)]
    due = int(time.time()) + 1
    arm = app.arm(due, retry=Retry(5, 0, 1))
    svc.client.arm(arm)
    delivered = svc.wait_delivered(arm.fire_id)
    assert (delivered["status"], delivered["attempts"], delivered["http_status"]) == ("delivered", 3, 200)
    assert app.times[1] - app.times[0] >= 0.9  # Retry-After: 1 outweighs the backoff of 0 s
    assert {c.fire_id for c in app.seen} == {arm.fire_id} and len({c.run_id for c in app.seen}) == 1
    assert [c.attempt for c in app.seen] == [1, 2, 3]
    assert len({c.token.claims["jti"] for c in app.seen if c.token}) == 3
    assert svc.client.arm(arm) == "already_fired"  # the dedup key: never armed again


def test_a_4xx_is_not_retried(svc: Service, app: App) -> None:
    app.replies = [Response(422)]
    arm = app.arm(int(time.time()) + 1, retry=Retry(5, 0, 1))
    svc.client.arm(arm)
    assert svc.wait_delivered(arm.fire_id)["status"] == "failed"
    time.sleep(0.5)
    assert len(app.seen) == 1


def test_a_paused_arm_does_not_fire_and_a_past_due_one_expires_on_resume(svc: Service, app: App) -> None:
    arm = app.arm(int(time.time()) + 1)
    svc.client.arm(arm)
    assert svc.call("POST", "/v1/arms/svc-test/job/0/pause")[1]["status"] == "paused"
    assert svc.client.arm(arm.replace(body="changed")) == "paused"  # an upsert keeps the pause
    time.sleep(2)
    assert app.seen == []
    assert svc.call("POST", "/v1/arms/svc-test/job/0/resume")[1]["status"] == "expired"
    assert svc.client.arms("svc-test") == []


def test_state_survives_a_restart_and_a_past_due_arm_fires_late(tmp_path: Path) -> None:
    issuer = ("--issuer", "https://ref.test")  # the same issuer and keys across both runs
    with service(tmp_path / "svc", *issuer) as svc:
        served = App(svc, issuer="https://ref.test")
        arm = served.arm(int(time.time()) + 2)
        svc.client.arm(arm)
        os.kill(svc.proc.pid, signal.SIGTERM)
        assert svc.proc.wait(10) == 0  # SIGTERM: a clean stop
    state = json.loads((tmp_path / "svc" / "state.json").read_text())
    assert [a["fire_id"] for a in state["arms"]] == [arm.fire_id]
    time.sleep(2.5)  # the arm falls due while the service is down
    with serving(served.server), service(tmp_path / "svc", *issuer) as again:
        wait_for(lambda: len(served.seen) == 1, timeout=10)
        assert served.seen[0].fire_id == arm.fire_id
        assert again.wait_delivered(arm.fire_id)["status"] == "delivered"
