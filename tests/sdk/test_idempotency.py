"""Run-id dedup stores: the same semantics in memory and in a real redis-server."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis as redis_py
from redis.backoff import NoBackoff
from redis.retry import Retry

from cronix.sdk import (
    Claim,
    Cron,
    CronRequest,
    IdempotencyStore,
    MemoryIdempotencyStore,
    RedisIdempotencyStore,
)
from tests.sdk.signer import fresh_timestamp, signature
from tests.support.procs import free_port
from tests.support.redis_server import RedisServer

StoreFactory = Callable[..., IdempotencyStore]


@pytest.fixture
def redis_client(redis: RedisServer) -> Iterator[redis_py.Redis]:
    client = redis_py.Redis(host=redis.host, port=redis.port)
    yield client
    client.close()


@pytest.fixture(params=["memory", "redis"])
def make_store(request: pytest.FixtureRequest) -> StoreFactory:
    if request.param == "memory":
        return lambda ttl_seconds=60.0: MemoryIdempotencyStore(ttl_seconds=ttl_seconds)
    client = request.getfixturevalue("redis_client")
    prefix = f"test:{uuid.uuid4()}:"
    return lambda ttl_seconds=60.0: RedisIdempotencyStore(client, prefix=prefix, ttl_seconds=ttl_seconds)


def test_claim_then_duplicates_then_done(make_store: StoreFactory) -> None:
    store = make_store()
    claim = store.begin("app:job:r1", lease_seconds=30)
    assert isinstance(claim, Claim)
    assert store.begin("app:job:r1", lease_seconds=30) == "in_progress"
    assert isinstance(store.begin("app:job:r2", lease_seconds=30), Claim)  # other runs are independent
    store.finish(claim)
    assert store.begin("app:job:r1", lease_seconds=30) == "done"


def test_release_makes_the_run_claimable_again(make_store: StoreFactory) -> None:
    store = make_store()
    claim = store.begin("k", lease_seconds=30)
    assert isinstance(claim, Claim)
    store.release(claim)
    again = store.begin("k", lease_seconds=30)
    assert isinstance(again, Claim)
    assert again.token != claim.token


def test_an_expired_lease_is_claimable_and_the_stale_holder_cannot_settle(make_store: StoreFactory) -> None:
    store = make_store()
    stale = store.begin("k", lease_seconds=0.15)
    assert isinstance(stale, Claim)
    time.sleep(0.3)
    fresh = store.begin("k", lease_seconds=30)
    assert isinstance(fresh, Claim)
    store.finish(stale)  # the old holder finishing late must not mark the new run done
    store.release(stale)  # nor free it
    assert store.begin("k", lease_seconds=30) == "in_progress"
    store.finish(fresh)
    assert store.begin("k", lease_seconds=30) == "done"


def test_done_runs_expire_after_the_ttl(make_store: StoreFactory) -> None:
    store = make_store(ttl_seconds=0.15)
    claim = store.begin("k", lease_seconds=30)
    assert isinstance(claim, Claim)
    store.finish(claim)
    assert store.begin("k", lease_seconds=30) == "done"
    time.sleep(0.3)
    assert isinstance(store.begin("k", lease_seconds=30), Claim)


def test_memory_store_is_bounded_dropping_expired_then_oldest() -> None:
    now = [0.0]
    store = MemoryIdempotencyStore(ttl_seconds=100, max_entries=3, clock=lambda: now[0])
    short = store.begin("short", lease_seconds=1)
    assert isinstance(short, Claim)
    for key in ("a", "b"):
        c = store.begin(key, lease_seconds=50)
        assert isinstance(c, Claim)
        store.finish(c)
    now[0] = 5.0  # "short" has expired
    assert isinstance(store.begin("c", lease_seconds=50), Claim)
    assert len(store) == 3
    assert store.begin("a", lease_seconds=50) == "done"
    assert isinstance(store.begin("d", lease_seconds=50), Claim)  # evicts the oldest: "a"
    assert len(store) == 3
    assert isinstance(store.begin("a", lease_seconds=50), Claim)


def test_redis_keys_use_the_prefix_and_carry_ttls(redis_client: redis_py.Redis) -> None:
    prefix = f"cronix:run:{uuid.uuid4()}:"
    store = RedisIdempotencyStore(redis_client, prefix=prefix, ttl_seconds=3600)
    claim = store.begin("billing:reconcile:r", lease_seconds=120)
    assert isinstance(claim, Claim)
    assert claim.key == prefix + "billing:reconcile:r"
    assert 0 < int(redis_client.pttl(claim.key)) <= 120_000
    store.finish(claim)
    assert redis_client.get(claim.key) == b"done"
    assert 120_000 < int(redis_client.pttl(claim.key)) <= 3_600_000


def test_redis_store_from_url(redis: RedisServer) -> None:
    store = RedisIdempotencyStore(url=redis.url, prefix=f"t:{uuid.uuid4()}:")
    assert isinstance(store.begin("k", lease_seconds=5), Claim)
    with pytest.raises(ValueError, match="exactly one"):
        RedisIdempotencyStore()


def _replica(store: IdempotencyStore, calls: list[str], name: str) -> Cron:
    cron = Cron(app="billing", base_url="https://b.example", secret="s" * 16, idempotency=store)
    cron.register("reconcile", lambda ctx: calls.append(name), schedule="@daily")
    return cron


def _fire(run_id: str) -> CronRequest:
    target = "/api/v1/scheduled/reconcile"
    headers = {
        "X-Cron-Signature": signature("s" * 16, "POST", target, b"", fresh_timestamp("POST", target, b"")),
        "X-Cron-Run-Id": run_id,
    }
    return CronRequest.build("POST", target, b"", headers)


def test_two_replicas_sharing_redis_run_a_run_id_once(redis_client: redis_py.Redis) -> None:
    calls: list[str] = []
    prefix = f"t:{uuid.uuid4()}:"
    a = _replica(RedisIdempotencyStore(redis_client, prefix=prefix), calls, "a")
    b = _replica(RedisIdempotencyStore(redis_client, prefix=prefix), calls, "b")
    assert a.handle(_fire("run-1")).status == 200
    duplicate = asyncio.run(b.handle_async(_fire("run-1")))  # async path: the store is called off-loop
    assert (duplicate.status, b"AlreadyHandled" in duplicate.body) == (200, True)
    assert asyncio.run(b.handle_async(_fire("run-2"))).status == 200
    assert calls == ["a", "b"]


def test_redis_outage_is_503_not_a_double_run() -> None:
    dead = redis_py.Redis(host="127.0.0.1", port=free_port(), retry=Retry(NoBackoff(), 0))
    calls: list[Any] = []
    cron = _replica(RedisIdempotencyStore(dead), calls, "x")
    response = cron.handle(_fire("r"))
    assert response.status == 503
    assert calls == []
