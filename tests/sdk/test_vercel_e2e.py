"""End to end: the ``vercel.json`` the real ``cronix apply --backend vercel`` writes, replayed as Vercel does.

The shop app (:mod:`tests.sdk.vercel_app`) serves its manifest; ``cronix apply`` (the
console script, a subprocess) writes its ``crons`` entries into a ``vercel.json`` that
already holds a foreign entry; then every owned entry is sent exactly as Vercel Cron
sends it — ``GET <path>`` with ``Authorization: Bearer $CRON_SECRET`` — to two uvicorn
replicas of the app sharing a real Redis claim store, the second call being the duplicate
Vercel may send. Every schedule of every job runs exactly once.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from tests.sdk.conftest import REPO
from tests.sdk.signer import Sender, http_sender
from tests.sdk.test_vercel_servers import same_minute
from tests.sdk.vercel_app import ENV_SHOP_BASE, ENV_SHOP_REDIS, build_shop
from tests.support.cli import run_cronix
from tests.support.procs import free_port, running
from tests.support.redis_server import RedisServer

BASE = "https://shop.example"


def _answers(port: int) -> bool:
    """Whether anything HTTP listens on the port (the app answers every path, 401 included)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=0.5)
        try:
            conn.request("GET", "/.well-known/cron-manifest")
            return conn.getresponse().status > 0
        finally:
            conn.close()
    except OSError:
        return False


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _apply(tmp_path: Path) -> list[str]:
    """``cronix apply --backend vercel`` of the shop's manifest; the paths of the entries it owns."""
    manifest = tmp_path / "manifest.json"
    manifest.write_bytes(build_shop(BASE).manifest_json())
    vercel_json = tmp_path / "vercel.json"
    foreign = {"path": "/api/cleanup", "schedule": "0 3 * * *"}
    vercel_json.write_text(json.dumps({"framework": "nextjs", "crons": [foreign]}))
    applied = run_cronix(
        "apply", "--backend", "vercel", "--manifest", str(manifest),
        "--backend-config", f"path={vercel_json}", "--lock-path", str(tmp_path / "apply.lock"),
    )  # fmt: skip
    assert applied.returncode == 0, applied.stderr
    crons = json.loads(vercel_json.read_text())["crons"]
    assert crons[0] == foreign
    return [str(entry["path"]) for entry in crons[1:]]


def test_every_entry_cronix_apply_wrote_runs_its_job_once(tmp_path: Path, redis: RedisServer) -> None:
    owned = _apply(tmp_path)
    assert len(owned) == 4  # sync-stock, cleanup, weekly-digest's two schedules
    secret = secrets.token_urlsafe(24)
    record = tmp_path / "record.jsonl"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "CRON_SECRET": secret,
        "SDK_TEST_RECORD": str(record),
        ENV_SHOP_BASE: BASE,
        ENV_SHOP_REDIS: redis.url,
    }
    with contextlib.ExitStack() as stack:
        replicas: list[Sender] = []
        for name in ("a", "b"):
            port = free_port()
            argv = [sys.executable, "-m", "uvicorn", "--factory", "tests.sdk.vercel_app:make_shop_app",
                    "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
            log = tmp_path / f"replica-{name}.log"
            stack.enter_context(running(argv, ready=lambda p=port: _answers(p), log=log, env=env, timeout=30))
            replicas.append(http_sender(f"http://127.0.0.1:{port}"))
        bearer = {"Authorization": f"Bearer {secret}"}
        for path in owned:
            same_minute()
            first = replicas[0]("GET", path, b"", bearer)
            duplicate = replicas[1]("GET", path, b"", bearer)
            assert first.status == 200, (path, first.body)
            assert (duplicate.status, json.loads(duplicate.body)["code"]) == (200, "AlreadyHandled")
        wrong = replicas[0]("GET", owned[0], b"", {"Authorization": "Bearer " + "x" * 32})
        assert wrong.status == 401
        logs = "".join((tmp_path / f"replica-{n}.log").read_text() for n in ("a", "b"))
    ran = _records(record)
    assert sorted((r["job"], r["fire_id"].split("@")[0]) for r in ran) == [
        ("cleanup", "shop.cleanup#0"),
        ("sync-stock", "shop.sync-stock#0"),
        ("weekly-digest", "shop.weekly-digest#0"),
        ("weekly-digest", "shop.weekly-digest#1"),
    ]
    assert {r["auth"] for r in ran} == {"vercel"}
    assert {r["path"] for r in ran} == set(owned)
    assert secret not in logs
