"""Token fires and claims through ``Cron.handle``/``handle_async``: what each situation answers.

Tokens are minted with PyJWT and the fixed test keys; the cross-implementation rules are
in ``spec/vectors/fire-jwt-vectors.json`` (``tests/protocol/test_vectors.py``). Here: the
dispatch around them — async 202 and background runs, sync results, duplicates, claim
store outages, authentication before job existence, the ``Forbid`` lock, the HMAC path's
fire-id claims and signature replay protection (issue 16 item 2), and re-arming against
the real reference service.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import redis as redis_py
from hypothesis import given
from hypothesis import strategies as st
from redis.backoff import NoBackoff
from redis.retry import Retry

from cronix.protocol.fireid import format_fire_id
from cronix.protocol.managed import next_fire_at
from cronix.sdk import (
    Cron,
    CronRequest,
    FireJWT,
    JobContext,
    ManagedScheduler,
    MemoryClaimStore,
    RedisClaimStore,
)
from tests.sdk.signer import fresh_timestamp, signature
from tests.sdk.tokens import ISSUER, jwks, mint
from tests.support.procs import free_port, wait_until

BASE = "https://shop.example"
T = "/api/v1/scheduled/"
SECRET = "hmac-secret-1-of-the-test"
FIRE = format_fire_id("shop", "job", 0, 1767225600)


def make(*, mode: str = "async", secret: str | None = SECRET, **kw: Any) -> tuple[Cron, list[JobContext]]:
    ran: list[JobContext] = []
    cron = Cron(
        app="shop",
        base_url=BASE,
        secret=secret,
        fire_jwt=FireJWT(issuer=ISSUER, public_keys=jwks("es256-a", "es256-b")),
        fire_mode=mode,  # type: ignore[arg-type]
        **kw,
    )

    @cron.job("job", schedule="@hourly", policy={"concurrency": "Allow"})
    def job(ctx: JobContext) -> dict[str, str]:
        ran.append(ctx)
        if ctx.body == b"boom":
            raise RuntimeError("handler failed on purpose")
        return {"ran": ctx.fire_id}

    return cron, ran


def token_request(job: str = "job", *, body: bytes = b"", fire_id: str = FIRE, **kw: Any) -> CronRequest:
    url = f"{BASE}{T}{job}"
    token = mint(app="shop", job=job, url=url, fire_id=fire_id, body=body, **kw)
    return CronRequest.build("POST", T + job, body, {"Authorization": f"Bearer {token}"})


def hmac_request(
    job: str = "job",
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    timestamp: int | None = None,
) -> CronRequest:
    ts = fresh_timestamp("POST", T + job, body) if timestamp is None else timestamp
    sent = {"X-Cron-Signature": signature(SECRET, "POST", T + job, body, ts), **(headers or {})}
    return CronRequest.build("POST", T + job, body, sent)


def code(response: Any) -> str | None:
    import json

    try:
        return json.loads(response.body).get("code")
    except ValueError:
        return None


def test_async_mode_answers_202_then_runs_in_the_background_once() -> None:
    cron, ran = make()
    first = cron.handle(token_request())
    assert first.status == 202
    assert b'"status":"accepted"' in first.body and FIRE.encode() in first.body
    wait_until(lambda: len(ran) == 1)
    ctx = ran[0]
    assert (ctx.auth, ctx.fire_id, ctx.attempt, ctx.unverified) == ("jwt", FIRE, 1, False)
    assert ctx.token is not None and ctx.token.kid == "es256-a"
    assert ctx.fire_time is not None and int(ctx.fire_time.timestamp()) == 1767225600
    duplicate = cron.handle(token_request(attempt=2))
    assert (duplicate.status, code(duplicate)) == (200, "AlreadyHandled")
    time.sleep(0.1)
    assert len(ran) == 1


def test_async_mode_under_asyncio_runs_a_tracked_task() -> None:
    cron, ran = make()

    async def go() -> int:
        response = await cron.handle_async(token_request())
        for _ in range(100):
            if ran:
                break
            await asyncio.sleep(0.01)
        return response.status

    assert asyncio.run(go()) == 202
    assert len(ran) == 1


def test_sync_mode_answers_the_handlers_result_and_a_failure_releases_the_claim() -> None:
    cron, ran = make(mode="sync")
    failed = cron.handle(token_request(body=b"boom"))
    assert (failed.status, code(failed)) == (500, "HandlerError")
    retried = cron.handle(token_request(body=b"boom"))  # a redelivery is allowed to run again
    assert retried.status == 500
    ok_fire = format_fire_id("shop", "job", 0, 1767229200)
    assert cron.handle(token_request(fire_id=ok_fire)).body == f'{{"ran":"{ok_fire}"}}'.encode()
    assert len(ran) == 3


def test_a_running_sync_fire_makes_its_duplicate_retry_later() -> None:
    started, release = threading.Event(), threading.Event()
    cron = Cron(
        app="shop", base_url=BASE, fire_jwt=FireJWT(issuer=ISSUER, public_keys=jwks()), fire_mode="sync"
    )

    @cron.job("job", schedule="@hourly", policy={"concurrency": "Allow"})
    def job(ctx: JobContext) -> None:
        started.set()
        release.wait(5)

    results: list[Any] = []
    worker = threading.Thread(target=lambda: results.append(cron.handle(token_request())))
    worker.start()
    assert started.wait(5)
    duplicate = cron.handle(token_request())
    release.set()
    worker.join()
    assert (duplicate.status, code(duplicate), duplicate.header("retry-after")) == (503, "RunInProgress", "5")
    assert results[0].status == 200


def test_a_claim_store_outage_is_503_with_retry_after_and_nothing_runs() -> None:
    dead = redis_py.Redis(host="127.0.0.1", port=free_port(), retry=Retry(NoBackoff(), 0))
    cron, ran = make(claims=RedisClaimStore(dead), replay=MemoryClaimStore())
    response = cron.handle(token_request())
    assert (response.status, code(response), response.header("Retry-After")) == (503, "ClaimUnavailable", "5")
    assert ran == []


def test_authentication_comes_before_any_answer_about_jobs() -> None:
    cron, _ = make()
    forged = mint(app="shop", job="nope", url=f"{BASE}{T}nope", fire_id=FIRE, key="es256-rogue")
    unknown = cron.handle(CronRequest.build("POST", T + "nope", b"", {"Authorization": f"Bearer {forged}"}))
    assert (unknown.status, code(unknown)) == (401, "UnknownKey")
    real = cron.handle(token_request("nope", fire_id=format_fire_id("shop", "nope", 0, 1767225600)))
    assert (real.status, code(real)) == (404, "UnknownJob")  # only now: the caller proved who it is


def test_a_token_for_one_job_cannot_fire_another() -> None:
    cron, ran = make()
    token = mint(app="shop", job="other", url=f"{BASE}{T}other", fire_id=FIRE)
    response = cron.handle(CronRequest.build("POST", T + "job", b"", {"Authorization": f"Bearer {token}"}))
    assert (response.status, code(response)) == (401, "TargetMismatch")
    assert ran == []


def test_a_replayed_token_is_not_run() -> None:
    cron, ran = make()
    request = token_request(jti="fixed-jti")
    assert cron.handle(request).status == 202
    again = cron.handle(request)
    assert (again.status, code(again)) == (200, "TokenReplayed")
    wait_until(lambda: len(ran) == 1)
    time.sleep(0.05)
    assert len(ran) == 1


def test_forbid_skips_a_new_occurrence_while_the_job_runs() -> None:
    started, release = threading.Event(), threading.Event()
    cron = Cron(app="shop", base_url=BASE, fire_jwt=FireJWT(issuer=ISSUER, public_keys=jwks()))

    @cron.job("job", schedule="@hourly")  # concurrency: Forbid (the default)
    def job(ctx: JobContext) -> None:
        started.set()
        release.wait(5)

    assert cron.handle(token_request()).status == 202
    assert started.wait(5)
    later = cron.handle(token_request(fire_id=format_fire_id("shop", "job", 0, 1767229200)))
    release.set()
    assert (later.status, code(later)) == (409, "LockContended")


def test_a_jwt_only_app_asks_for_a_token() -> None:
    cron, _ = make(secret=None)
    response = cron.handle(CronRequest.build("POST", T + "job", b"", {}))
    assert (response.status, code(response)) == (401, "MissingToken")


def test_the_same_app_still_takes_hmac_fires() -> None:
    cron, ran = make()
    response = cron.handle(hmac_request())
    assert response.status == 200
    assert ran[-1].auth == "hmac"


# ---------------------------------------------------------------------- HMAC: fire ids and replays


def test_hmac_fires_with_one_fire_id_run_once_even_from_two_trigger_runs() -> None:
    cron, ran = make(claims=MemoryClaimStore())
    headers = {"X-Cron-Fire-Id": FIRE}
    first = cron.handle(hmac_request(headers={**headers, "X-Cron-Run-Id": "run-a"}))
    second = cron.handle(
        hmac_request(headers={**headers, "X-Cron-Run-Id": "run-b"})
    )  # a second host's trigger
    assert (first.status, second.status, code(second)) == (200, 200, "AlreadyHandled")
    assert len(ran) == 1 and ran[0].fire_id == FIRE


@pytest.mark.parametrize(
    ("fire_id", "fragment"),
    [
        ("not-a-fire-id", b"not a fire id"),
        (format_fire_id("shop", "other", 0, 1767225600), b"names shop.other"),
    ],
)
def test_a_bad_fire_id_header_is_400(fire_id: str, fragment: bytes) -> None:
    cron, ran = make()
    response = cron.handle(hmac_request(headers={"X-Cron-Fire-Id": fire_id}))
    assert (response.status, code(response)) == (400, "BadFireId")
    assert fragment in response.body and ran == []


def test_a_captured_signed_request_replayed_is_refused_even_with_a_new_run_id() -> None:
    """Issue 16 item 2: 4 runs from one signature before; one now, without claims configured."""
    cron = Cron(app="shop", base_url=BASE, secret=SECRET)
    ran: list[str] = []
    cron.register("job", lambda ctx: ran.append(ctx.run_id), schedule="@hourly")
    ts = fresh_timestamp("POST", T + "job", b"")
    answers = [
        cron.handle(hmac_request(timestamp=ts, headers={"X-Cron-Run-Id": f"run-{i}"})) for i in range(4)
    ]
    assert [a.status for a in answers] == [200, 200, 200, 200]
    assert [code(a) for a in answers[1:]] == ["SignatureReplayed"] * 3
    assert ran == ["run-0"]
    assert cron.handle(hmac_request()).status == 200  # the trigger's next attempt signs afresh
    assert len(ran) == 2


def test_a_failed_fire_frees_its_signature_for_a_reference_trigger_retry() -> None:
    """The Go trigger re-sends the same signature on retry: after a 5xx it must run again."""
    cron, ran = make()
    ts = fresh_timestamp("POST", T + "job", b"boom")
    assert cron.handle(hmac_request(body=b"boom", timestamp=ts)).status == 500
    assert cron.handle(hmac_request(body=b"boom", timestamp=ts)).status == 500
    assert len(ran) == 2


def test_replays_are_refused_across_replicas_sharing_redis(redis: Any) -> None:
    import uuid

    prefix = f"r:{uuid.uuid4()}:"
    a = Cron(app="shop", base_url=BASE, secret=SECRET, replay=RedisClaimStore(url=redis.url, prefix=prefix))
    b = Cron(app="shop", base_url=BASE, secret=SECRET, replay=RedisClaimStore(url=redis.url, prefix=prefix))
    ran: list[str] = []
    for cron in (a, b):
        cron.register("job", lambda ctx: ran.append("x"), schedule="@hourly")
    request = hmac_request()
    assert a.handle(request).status == 200
    assert code(b.handle(request)) == "SignatureReplayed"
    assert ran == ["x"]


def test_the_manifest_can_be_fetched_twice_in_one_second() -> None:
    cron, _ = make()
    ts = fresh_timestamp("GET", "/.well-known/cron-manifest", b"")
    fetch = CronRequest.build(
        "GET",
        "/.well-known/cron-manifest",
        b"",
        {"X-Cron-Signature": signature(SECRET, "GET", "/.well-known/cron-manifest", b"", ts)},
    )
    assert cron.handle(fetch).status == 200
    assert cron.handle(fetch).status == 200  # manifest reads are not fires: no replay guard


# ---------------------------------------------------------------------- re-arm, against the real service


def test_a_claimed_fire_rearms_the_next_occurrence_and_a_lost_claim_does_not(tmp_path: Path) -> None:
    from tests.managed.conftest import service

    with service(tmp_path / "svc") as svc:
        cron, ran = make(mode="sync", scheduler=ManagedScheduler(svc.url, token=svc.token))
        fired = cron.handle(token_request())
        assert fired.status == 200
        # The next occurrence after both the fired one and now: a late fire sets off no burst.
        following = format_fire_id("shop", "job", 0, next_fire_at("@hourly", "UTC", int(time.time())) or 0)
        assert [a.fire_id for a in svc.client.arms("shop")] == [following]
        assert svc.client.arms("shop")[0].owner == "cronix"
        svc.client.cancel("arms", "shop", "job", 0)
        assert code(cron.handle(token_request())) == "AlreadyHandled"  # lost claim: no re-arm
        assert svc.client.arms("shop") == []
        gone = cron.handle(token_request("gone", fire_id=format_fire_id("shop", "gone", 0, 1767225600)))
        assert gone.status == 404 and svc.client.arms("shop") == []  # the job is gone: no re-arm
        assert len(ran) == 1


# ---------------------------------------------------------------------- hostile tokens never raise

_SEGMENT = st.one_of(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/.", max_size=60),
    st.sampled_from(
        ["eyJhbGciOiJub25lIn0", "eyJhbGciOiJFUzI1NiIsImtpZCI6ImVzMjU2LWEifQ", "e30", "W10", "bnVsbA"]
    ),
)


@given(st.lists(_SEGMENT, min_size=0, max_size=5).map(".".join), st.sampled_from(["Bearer ", "bearer ", ""]))
def test_any_authorization_header_is_a_structured_answer(token: str, scheme: str) -> None:
    cron, ran = _HOSTILE
    response = cron.handle(CronRequest.build("POST", T + "job", b"", {"Authorization": scheme + token}))
    assert response.status in (401, 503) and code(response) is not None
    assert ran == []


_HOSTILE = make(mode="sync")
