"""Fire tokens: ``verify_fire_jwt`` against a bare ``jwt.decode``; claim + dispatch per fire with Redis.

``./run bench jwt`` (or ``.venv/bin/python bench/bench_jwt.py [--seconds S] [--fires N]``).

1. bare ``jwt.decode(token, key, algorithms=[alg], audience=…, issuer=…)`` of one token —
   PyJWT's own signature and claim checks, the floor;
2. ``verify_fire_jwt`` of the same token with the key cached (``PinnedKeys``; a warm
   ``JWKSKeys`` answers from the same dict), no replay store: the header, key and algorithm
   checks, every claim rule, the target and body binding. Target: ≤ 1.5× (1);
3. the same with the in-memory ``jti`` replay cache (every token is then new: N minted);
4. ``Cron.handle`` of a token fire, sync mode, a no-op handler, claims in a real
   ``redis-server`` (the ``jti``: begin + finish, the fire id: begin + finish — four round
   trips; ``concurrency: Allow``) — and the same with ``Forbid`` (the job lock: two more),
   and with claims in memory. The claim + dispatch overhead per fire is (4) minus (3); a
   Redis ``PING`` from the same client is printed as the unit it is made of.

ES256 and RS256 (the two families the vectors cover). Tokens are minted before timing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import jwt  # noqa: E402
from tests.sdk.tokens import ISSUER, jwks, mint, private_key  # noqa: E402
from tests.support.redis_server import redis_server  # noqa: E402

from cronix.protocol.fireid import format_fire_id  # noqa: E402
from cronix.sdk import Cron, CronRequest, FireJWT, MemoryClaimStore, PinnedKeys, RedisClaimStore  # noqa: E402
from cronix.sdk.firejwt import verify_fire_jwt  # noqa: E402

URL = "https://bench.example/api/v1/scheduled/job"
TARGET = "/api/v1/scheduled/job"
BODY = b'{"batch":"' + b"x" * 1000 + b'"}'
AUD = "cronix:app:bench"


def _round(fn: Callable[[], object], seconds: float) -> float:
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for _ in range(50):
            fn()
        n += 50
    return (time.perf_counter() - start) / n * 1e6


def interleaved(
    a: Callable[[], object], b: Callable[[], object], seconds: float
) -> tuple[float, float, float]:
    """Median µs per call of ``a`` and ``b`` and the median of the per-round ratios b/a.

    Nine short rounds, alternating which goes first, so a busy machine slows both alike.
    """
    pairs = []
    for i in range(9):
        if i % 2:
            y = _round(b, seconds / 18)
            x = _round(a, seconds / 18)
        else:
            x = _round(a, seconds / 18)
            y = _round(b, seconds / 18)
        pairs.append((x, y))
    return (
        statistics.median(x for x, _ in pairs),
        statistics.median(y for _, y in pairs),
        statistics.median(y / x for x, y in pairs),
    )


def requests(n: int, key: str, alg: str, job: str = "job") -> list[CronRequest]:
    out = []
    for i in range(n):
        token = mint(
            app="bench",
            job=job,
            url=URL.replace("/job", f"/{job}"),
            fire_id=format_fire_id("bench", job, 0, 1767225600 + 60 * i),
            body=BODY,
            key=key,
            alg=alg,
        )
        out.append(
            CronRequest.build("POST", f"/api/v1/scheduled/{job}", BODY, {"Authorization": f"Bearer {token}"})
        )
    return out


def bench_verify(seconds: float, key: str, alg: str, fires: int) -> None:
    keys = PinnedKeys(jwks(key))
    public = private_key(key).public_key()
    [request] = requests(1, key, alg)
    token = request.headers["authorization"][7:]

    def bare() -> object:
        return jwt.decode(token, public, algorithms=[alg], audience=AUD, issuer=ISSUER)

    def ours() -> object:
        return verify_fire_jwt(request, issuer=ISSUER, audience=AUD, keys=keys, url=URL, subject="bench.job")

    assert not hasattr(ours(), "code"), ours()
    floor, mine, ratio = interleaved(bare, ours, seconds)
    fresh = iter(requests(fires, key, alg))  # minted now: tokens live two minutes
    replay = MemoryClaimStore()

    def ours_with_replay() -> object:
        return verify_fire_jwt(
            next(fresh), issuer=ISSUER, audience=AUD, keys=keys, url=URL, subject="bench.job", replay=replay
        )

    with_replay = _once_each(ours_with_replay, fires)
    print(
        f"{alg}: bare jwt.decode {floor:8.1f} µs | verify_fire_jwt (cached key) {mine:8.1f} µs "
        f"= {ratio:.2f}x | + jti replay cache, fresh tokens {with_replay:8.1f} µs"
    )


def _once_each(fn: Callable[[], object], n: int) -> float:
    """µs per call when every call needs a fresh input (``n`` of them, consumed once)."""
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6


def _verifier(
    source: Iterator[CronRequest], keys: PinnedKeys, replay: MemoryClaimStore
) -> Callable[[], object]:
    return lambda: verify_fire_jwt(
        next(source), issuer=ISSUER, audience=AUD, keys=keys, url=URL, subject="bench.job", replay=replay
    )


def _handler(cron: Cron, source: Iterator[CronRequest]) -> Callable[[], object]:
    return lambda: cron.handle(next(source))


def bench_dispatch(fires: int) -> None:
    import redis

    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as server:
        client = redis.Redis.from_url(server.url)
        ping = _once_each(client.ping, fires)
        print(f"Redis round trip (PING, same client library): {ping:8.1f} µs")
        for label, concurrency, store in (
            (
                "claims in Redis, Allow ",
                "Allow",
                lambda: RedisClaimStore(url=server.url, prefix=f"b:{uuid.uuid4()}:"),
            ),
            (
                "claims in Redis, Forbid",
                "Forbid",
                lambda: RedisClaimStore(url=server.url, prefix=f"b:{uuid.uuid4()}:"),
            ),
            ("claims in memory, Allow", "Allow", MemoryClaimStore),
        ):
            cron = Cron(
                app="bench",
                base_url="https://bench.example",
                fire_jwt=FireJWT(issuer=ISSUER, public_keys=jwks("es256-a")),
                fire_mode="sync",
                claims=store(),
            )
            cron.register("job", lambda ctx: None, schedule="@hourly", policy={"concurrency": concurrency})
            batch = iter(requests(fires, "es256-a", "ES256"))
            first = cron.handle(next(batch))
            assert first.status == 200, first.body
            keys = PinnedKeys(jwks("es256-a"))
            verify_only = iter(requests(fires, "es256-a", "ES256"))
            replay = MemoryClaimStore()
            verify_us = _once_each(_verifier(verify_only, keys, replay), fires - 1)
            handle_us = _once_each(_handler(cron, batch), fires - 1)
            print(
                f"Cron.handle, token fire, {label}: {handle_us:8.1f} µs per fire "
                f"(verify alone {verify_us:6.1f} µs; claim + dispatch {handle_us - verify_us:7.1f} µs)"
            )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per verify measurement")
    parser.add_argument("--fires", type=int, default=2000, help="fresh tokens per one-use measurement")
    args = parser.parse_args(argv)
    bench_verify(args.seconds, "es256-a", "ES256", args.fires)
    bench_verify(args.seconds, "rs256-a", "RS256", args.fires)
    bench_dispatch(args.fires)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
