"""managed-jwt end to end, every part a real process (issue 13 item 6).

``cronix apply --backend managed`` (the real CLI, the real ``cronix-backend-managed``
plugin over gRPC) arms the running ``cronix-managed-ref``; the service fires JWT requests
at an app built with the SDK under uvicorn (ASGI) and gunicorn (WSGI), two worker
processes each; the app claims every occurrence in a real ``redis-server`` and re-arms
its next one. Handlers count their runs in Redis, so "exactly once" is checked across
processes, duplicates, redeliveries and a ``kill -9``.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from cronix.protocol.fireid import format_fire_id, parse_fire_id
from cronix.protocol.managed import Arm, Retry, next_fire_at
from tests.managed.conftest import Operator, app_server, service, wait_for
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.slow
SECRET = "app-manifest-secret-0001"


def _arm(app: str, job: str, url: str, when: int, **kw: object) -> Arm:
    return Arm(app, job, 0, format_fire_id(app, job, 0, when), when, url, "0123456789abcdef", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["uvicorn", "gunicorn"])
def test_apply_arms_the_service_fires_on_time_the_app_claims_and_rearms(
    kind: str, tmp_path: Path, redis: RedisServer
) -> None:
    with (
        service(tmp_path / "svc") as svc,
        app_server(kind, tmp_path, svc, redis, APP_SECRET=SECRET, MANAGED_TOKEN=svc.token) as app,
    ):
        name = app.env["APP_ID"]
        op = Operator(tmp_path, svc, {"APP_SECRET": SECRET})
        manifest = f"{app.base_url}/.well-known/cron-manifest"
        before = int(time.time())
        applied = op.run("apply", "--manifest", manifest, "--secret-ref", "env:APP_SECRET")
        after = int(time.time())
        assert applied.returncode == 0, applied.stderr
        arms = {a.job: a for a in svc.client.arms(name)}
        assert set(arms) == {"ping", "slow"} and all(a.owner == "cronix" for a in arms.values())
        expected = {next_fire_at("*/5 * * * *", "UTC", t) for t in (before, after)}
        assert arms["ping"].fire_at in expected  # the schedule's next occurrence
        again = op.run("plan", "--manifest", manifest, "--secret-ref", "env:APP_SECRET")
        assert again.returncode == 0 and again.stdout.startswith("No changes: "), again.stdout + again.stderr

        # On time: an occurrence armed 2 s ahead is delivered within a second of it.
        due = int(time.time()) + 2
        svc.client.arm(
            _arm(name, "ping", f"{app.base_url}/api/v1/scheduled/ping", due, body='{"hello":"world"}')
        )
        fire_id = format_fire_id(name, "ping", 0, due)
        assert svc.wait_delivered(fire_id)["status"] == "delivered"
        wait_for(lambda: app.count("done", fire_id) == 1)
        assert 0 <= int(app.redis.get(f"late_ms:{fire_id}") or -1) < 1000
        entry = app.redis.lrange(f"fires:{name}", 0, -1)[0].decode().split("|")
        assert entry[1:4:2] == ["jwt", "1"] and entry[2]  # authenticated by token, attempt 1, a run id

        # The app re-armed the next occurrence after the one that fired, replacing it.
        following = format_fire_id(name, "ping", 0, next_fire_at("*/5 * * * *", "UTC", due) or 0)
        wait_for(lambda: {a.job: a.fire_id for a in svc.client.arms(name)}.get("ping") == following)

        # A redelivery of the same occurrence runs nothing.
        status, _ = svc.call("POST", f"/v1/fires/{fire_id.replace('#', '%23')}/redeliver")
        assert status == 202
        wait_for(lambda: (svc.fire(fire_id) or {}).get("status") == "delivered")
        time.sleep(0.3)
        assert (app.count("started", fire_id), app.count("done", fire_id)) == (1, 1)

        # A lost arm is drift; apply arms it again.
        svc.client.cancel("arms", name, "ping", 0)
        drift = op.run("drift", "--manifest", manifest, "--secret-ref", "env:APP_SECRET", "--exit-on-drift")
        assert drift.returncode == 5, drift.stdout + drift.stderr
        assert op.run("apply", "--manifest", manifest, "--secret-ref", "env:APP_SECRET").returncode == 0
        assert "ping" in {a.job for a in svc.client.arms(name)}


@pytest.mark.parametrize("kind", ["uvicorn", "gunicorn"])
def test_eight_concurrent_duplicates_of_each_of_100_occurrences_run_each_once(
    kind: str, tmp_path: Path, redis: RedisServer
) -> None:
    with (
        service(tmp_path / "svc", "--duplicate-deliveries", "8") as svc,
        app_server(kind, tmp_path, svc, redis, JOBS="100") as app,
    ):
        name = app.env["APP_ID"]
        due = int(time.time()) + 2
        fire_ids = []
        for i in range(100):
            arm = _arm(name, f"j{i}", f"{app.base_url}/api/v1/scheduled/j{i}", due)
            svc.client.arm(arm)
            fire_ids.append(arm.fire_id)
        wait_for(lambda: sum(app.count("done", f) for f in fire_ids) >= 100, timeout=90)
        for f in fire_ids:
            assert svc.wait_delivered(f)["status"] == "delivered"
        time.sleep(0.5)  # any late duplicate would have run by now
        runs = [(app.count("started", f), app.count("done", f)) for f in fire_ids]
        assert runs == [(1, 1)] * 100
        pids = {e.decode().split("|")[-1] for e in app.redis.lrange(f"fires:{name}", 0, -1)}
        assert len(pids) == 2  # both worker processes ran fires: the claims really were shared


def test_killing_the_app_mid_fire_then_redelivering_runs_it_once(tmp_path: Path, redis: RedisServer) -> None:
    """Sync mode (the service waits for the handler): kill -9 both workers mid-handler.

    The service's delivery loses its connection and retries; the restarted app finds the
    dead process's claim, waits out its heartbeat lease (2 s here) answering 503 with
    Retry-After, then runs the occurrence once. A final explicit redelivery runs nothing.
    """
    env = {"FIRE_MODE": "sync", "CLAIM_HEARTBEAT": "2", "SLOW_SECONDS": "3", "APP_ID": "crashy"}
    with service(tmp_path / "svc") as svc:
        port = None
        with app_server("gunicorn", tmp_path, svc, redis, **env) as app:
            port = int(app.base_url.rsplit(":", 1)[1])
            due = int(time.time()) + 1
            arm = _arm(
                "crashy",
                "slow",
                f"{app.base_url}/api/v1/scheduled/slow",
                due,
                timeout_seconds=30,
                retry=Retry(10, 1, 2),
            )
            app.redis.delete(f"started:{arm.fire_id}", f"done:{arm.fire_id}")
            svc.client.arm(arm)
            wait_for(lambda: app.count("started", arm.fire_id) == 1)
            assert app.proc is not None
            os.killpg(app.proc.pid, signal.SIGKILL)
            app.proc.wait()
        assert app.count("done", arm.fire_id) == 0
        with app_server("gunicorn", tmp_path, svc, redis, port=port, **env) as restarted:
            delivered = svc.wait_delivered(arm.fire_id, timeout=60)
            assert delivered["status"] == "delivered", delivered
            assert (restarted.count("started", arm.fire_id), restarted.count("done", arm.fire_id)) == (2, 1)
            status, _ = svc.call("POST", f"/v1/fires/{arm.fire_id.replace('#', '%23')}/redeliver")
            assert status == 202
            wait_for(lambda: (svc.fire(arm.fire_id) or {}).get("status") == "delivered")
            time.sleep(0.3)
            assert (restarted.count("started", arm.fire_id), restarted.count("done", arm.fire_id)) == (2, 1)


def test_an_unusable_fire_strategy_fails_apply_with_exit_2(tmp_path: Path) -> None:
    manifest = tmp_path / "m.json"
    manifest.write_text(
        '{"version":1,"app":"shop","jobs":[{"name":"ping","schedule":"@hourly",'
        '"request":{"url":"https://shop.example/api/v1/scheduled/ping"}}]}'
    )
    with service(tmp_path / "svc") as svc:
        op = Operator(tmp_path, svc)
        proc = op.run("apply", "--manifest", str(manifest), "--fire-strategy", "local-shim")
        assert proc.returncode == 2, proc.stderr
        assert "fire strategy local-shim cannot be used" in proc.stderr
        assert "backend managed does not support local-shim (it supports: managed-jwt)" in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
        assert svc.client.arms() == []  # nothing was armed


def test_cold_start_rebuilds_idempotently_and_pauses_follow_the_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "m.json"
    doc = (
        '{"version":1,"app":"shop","jobs":[{"name":"ping","schedules":["*/5 * * * *","0 3 * * *"],'
        '"request":{"url":"https://shop.example/api/v1/scheduled/ping","body":"%s"}}]}'
    )
    manifest.write_text(doc % "v1")
    with service(tmp_path / "one") as svc:
        op = Operator(tmp_path, svc)
        assert op.run("apply", "--manifest", str(manifest)).returncode == 0
        first = sorted(a.fire_id for a in svc.client.arms("shop"))
        assert [parse_fire_id(f).index for f in first] == [0, 1]
    with service(tmp_path / "two") as svc:  # a service that lost everything
        op = Operator(tmp_path, svc)
        assert op.run("apply", "--manifest", str(manifest)).returncode == 0
        assert op.run("apply", "--manifest", str(manifest)).returncode == 0
        rebuilt = sorted(a.fire_id for a in svc.client.arms("shop"))
        if parse_fire_id(rebuilt[0]).scheduled == parse_fire_id(first[0]).scheduled:
            assert rebuilt == first  # same occurrences, same dedup keys
        plan = op.run("plan", "--manifest", str(manifest))
        assert plan.stdout.startswith("No changes: "), plan.stdout + plan.stderr
        assert svc.call("POST", "/v1/arms/shop/ping/1/pause")[0] == 200
        # A pause the manifest does not declare is drift (D-721); apply resumes the slot.
        drift = op.run("drift", "--manifest", str(manifest), "--exit-on-drift")
        assert drift.returncode == 5, drift.stdout + drift.stderr
        manifest.write_text(doc % "v2")  # the job changed: both slots are re-armed
        applied = op.run("apply", "--manifest", str(manifest))
        assert applied.returncode == 0 and "updated=1" in applied.stdout, applied.stdout + applied.stderr
        arms = {a.index: a for a in svc.client.arms("shop")}
        assert (arms[0].paused, arms[1].paused) == (False, False)
        assert {a.body for a in arms.values()} == {"v2"}
        # enabled: false pauses every slot of the job; the plan is then a no-op.
        manifest.write_text((doc % "v2").replace('"name":"ping",', '"name":"ping","enabled":false,'))
        assert op.run("apply", "--manifest", str(manifest)).returncode == 0
        assert [a.paused for a in svc.client.arms("shop")] == [True, True]
        plan = op.run("plan", "--manifest", str(manifest))
        assert plan.stdout.startswith("No changes: "), plan.stdout + plan.stderr
