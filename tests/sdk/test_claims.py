"""Claim stores: one semantics in memory, in files and in a real redis-server; dead holders recover.

``test_idempotency.py`` covers the run-id behaviour shared with the old names; here are
what claims added: the ``accepted`` state, per-claim ``keep_seconds``, the file store
across processes (a killed holder's claim is taken over at once), and the Redis
heartbeat (a live holder keeps its claim past one heartbeat; a killed one loses it
within one).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from cronix.sdk import Claim, ClaimStore, FileClaimStore, MemoryClaimStore, RedisClaimStore
from tests.support.procs import wait_until
from tests.support.redis_server import RedisServer

REPO = Path(__file__).resolve().parents[2]
Factory = Callable[..., ClaimStore]


@pytest.fixture(params=["memory", "file", "redis"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Factory:
    if request.param == "memory":
        return lambda **kw: MemoryClaimStore(**kw)
    if request.param == "file":
        return lambda **kw: FileClaimStore(tmp_path / "claims", **kw)
    server: RedisServer = request.getfixturevalue("redis")
    prefix = f"t:{uuid.uuid4()}:"
    return lambda **kw: RedisClaimStore(url=server.url, prefix=prefix, **kw)


def test_accepted_claims_say_so_and_finish_as_done(make: Factory) -> None:
    store = make()
    claim = store.begin("fire:x", lease_seconds=30, accepted=True)
    assert isinstance(claim, Claim)
    assert store.begin("fire:x", lease_seconds=30) == "accepted"
    store.finish(claim)
    assert store.begin("fire:x", lease_seconds=30) == "done"


def test_keep_seconds_overrides_the_ttl_per_claim(make: Factory) -> None:
    store = make(ttl_seconds=3600)
    claim = store.begin("sig:a", lease_seconds=30)
    assert isinstance(claim, Claim)
    store.finish(claim, keep_seconds=0.2)
    assert store.begin("sig:a", lease_seconds=30) == "done"
    time.sleep(0.4)
    assert isinstance(store.begin("sig:a", lease_seconds=30), Claim)


def test_released_then_reclaimed_by_another_instance(make: Factory) -> None:
    a, b = make(), make()
    claim = a.begin("k", lease_seconds=30)
    assert isinstance(claim, Claim)
    if isinstance(a, MemoryClaimStore):
        return  # two memory stores share nothing, by design
    assert b.begin("k", lease_seconds=30) == "in_progress"
    a.release(claim)
    assert isinstance(b.begin("k", lease_seconds=30), Claim)


HOLDER = """
import sys, time
sys.path.insert(0, {repo!r})
from cronix.sdk import FileClaimStore, RedisClaimStore
kind, where, key = sys.argv[1:4]
store = FileClaimStore(where) if kind == "file" else RedisClaimStore(url=where, prefix="h:", heartbeat_seconds=0.6)
claim = store.begin(key, lease_seconds=600)
print("claimed" if not isinstance(claim, str) else claim, flush=True)
time.sleep(600)
"""


def _holder(tmp: Path, kind: str, where: str, key: str) -> subprocess.Popen[str]:
    script = tmp / "holder.py"
    script.write_text(textwrap.dedent(HOLDER.format(repo=str(REPO))))
    proc = subprocess.Popen(
        [sys.executable, str(script), kind, where, key],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "claimed"
    return proc


def _kill(proc: subprocess.Popen[str]) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.stdout is not None
    proc.stdout.close()


def test_file_store_takes_over_a_killed_holders_claim_at_once(tmp_path: Path) -> None:
    directory = str(tmp_path / "claims")
    holder = _holder(tmp_path, "file", directory, "fire:a")
    store = FileClaimStore(directory)
    try:
        assert store.begin("fire:a", lease_seconds=600) == "in_progress"  # alive: not ours
    finally:
        _kill(holder)
    taken = store.begin("fire:a", lease_seconds=600)  # its lease runs 10 more minutes, but it is dead
    assert isinstance(taken, Claim)
    store.finish(taken)
    assert FileClaimStore(directory).begin("fire:a", lease_seconds=600) == "done"


def test_redis_heartbeat_keeps_a_live_claim_and_frees_a_dead_one(tmp_path: Path, redis: RedisServer) -> None:
    key = f"fire:{uuid.uuid4()}"
    holder = _holder(tmp_path, "redis", redis.url, key)
    store = RedisClaimStore(url=redis.url, prefix="h:", heartbeat_seconds=0.6)
    try:
        time.sleep(1.5)  # more than two heartbeats: only renewals keep it
        assert store.begin(key, lease_seconds=600) == "in_progress"
    finally:
        _kill(holder)
    wait_until(lambda: isinstance(store.begin(key, lease_seconds=600), Claim), timeout=3)


def test_a_claim_is_renewed_only_for_its_lease(redis: RedisServer) -> None:
    store = RedisClaimStore(url=redis.url, prefix=f"l:{uuid.uuid4()}:", heartbeat_seconds=0.3)
    claim = store.begin("k", lease_seconds=0.8)  # a hung handler: held 0.8 s, then let go
    assert isinstance(claim, Claim)
    time.sleep(0.5)
    assert store.begin("k", lease_seconds=5) == "in_progress"
    wait_until(lambda: isinstance(store.begin("k", lease_seconds=5), Claim), timeout=3)


def test_file_store_purges_expired_done_claims(tmp_path: Path) -> None:
    store = FileClaimStore(tmp_path / "c", ttl_seconds=0.1, purge_every=1)
    for i in range(5):
        claim = store.begin(f"k{i}", lease_seconds=5)
        assert isinstance(claim, Claim)
        store.finish(claim)
    time.sleep(0.2)
    store.begin("trigger-purge", lease_seconds=5)
    assert len([p for p in (tmp_path / "c").iterdir() if p.suffix == ".claim"]) == 1


def test_remember_is_begin_and_finish_in_one(make: Factory) -> None:
    store = make()
    assert store.remember("jti:a", keep_seconds=0.3) is True
    assert store.remember("jti:a", keep_seconds=0.3) is False
    assert store.begin("jti:a", lease_seconds=5) == "done"
    time.sleep(0.5)
    assert store.remember("jti:a", keep_seconds=5) is True
