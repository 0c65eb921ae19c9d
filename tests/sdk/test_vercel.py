"""Vercel Cron's own calls (``vercel_cron_secret=``), in-process: authentication, routing, occurrences.

What Vercel sends is a bare ``GET <path>`` with ``Authorization: Bearer $CRON_SECRET``
(``docs/vercel.md``); these tests build exactly that request. The adapters' handling of
the header under real servers is in ``test_vercel_servers.py``.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cronix.protocol.fireid import format_fire_id
from cronix.sdk import (
    Cron,
    CronConfigError,
    CronRequest,
    FileClaimStore,
    FireJWT,
    Hooks,
    JobContext,
    Rejection,
    TriggerVerified,
    env_secret,
)
from tests.sdk.signer import fresh_timestamp, signature
from tests.sdk.tokens import ISSUER, jwks, mint

BASE = "https://shop.example"
T = "/api/v1/scheduled/"
VERCEL = secrets.token_hex(16)
NEXT = secrets.token_hex(16)
HMAC = "hmac-secret-for-the-trigger"
NOW = 1767225630.0  # 2026-01-01T00:00:30Z
MINUTE = 1767225600


def make(**kwargs: Any) -> tuple[Cron, list[JobContext]]:
    ran: list[JobContext] = []
    options: dict[str, Any] = {"app": "shop", "base_url": BASE, "vercel_cron_secret": VERCEL}
    options.update(kwargs)
    cron = Cron(**options)
    if cron.vercel is not None:
        cron.vercel.clock = lambda: NOW

    @cron.job("sync-stock", schedule="*/15 * * * *")
    def sync_stock(ctx: JobContext) -> dict[str, str]:
        ran.append(ctx)
        return {"fire_id": ctx.fire_id}

    @cron.job("digest", schedules=["0 7 * * 1", "0 9 1 * *"])
    def digest(ctx: JobContext) -> None:
        ran.append(ctx)

    return cron, ran


def vercel_call(
    path: str, *, bearer: str | None = VERCEL, method: str = "GET", **headers: str
) -> CronRequest:
    sent = dict(headers)
    if bearer is not None:
        sent["Authorization"] = f"Bearer {bearer}"
    return CronRequest.build(method, path, b"", sent)


def rejected(result: object) -> Rejection:
    assert isinstance(result, Rejection), result
    return result


def test_a_vercel_call_runs_its_job_once_with_the_minute_as_its_occurrence() -> None:
    cron, ran = make()
    response = cron.handle(vercel_call(T + "sync-stock?cronix=shop.0.fb8b2e4bfb9c5f67"))
    assert response.status == 200
    assert [ctx.name for ctx in ran] == ["sync-stock"]
    ctx = ran[0]
    assert ctx.auth == "vercel"
    assert ctx.fire_id == "shop.sync-stock#0@2026-01-01T00:00:00Z"
    assert ctx.fire_time == datetime(2026, 1, 1, tzinfo=UTC)
    assert (ctx.secret_index, ctx.method, ctx.unverified) == (0, "GET", False)


def test_the_cronix_parameter_gives_the_schedule_index() -> None:
    cron, ran = make()
    assert cron.handle(vercel_call(T + "digest?cronix=shop.1.3e41170eef975f12")).status == 200
    assert cron.handle(vercel_call(T + "digest?cronix=shop.0.3e41180eef9760c5")).status == 200
    assert [ctx.fire_id for ctx in ran] == [
        format_fire_id("shop", "digest", 1, MINUTE),
        format_fire_id("shop", "digest", 0, MINUTE),
    ]
    # A path written by hand, without the parameter, is schedule 0.
    verified = cron.verify_trigger(vercel_call(T + "sync-stock"))
    assert isinstance(verified, TriggerVerified)
    assert verified.context.fire_id == format_fire_id("shop", "sync-stock", 0, MINUTE)


def test_a_second_call_in_the_same_minute_runs_nothing_and_the_next_minute_runs_again() -> None:
    cron, ran = make()
    assert cron.vercel is not None
    path = T + "sync-stock?cronix=shop.0.fb8b2e4bfb9c5f67"
    assert cron.handle(vercel_call(path)).status == 200
    cron.vercel.clock = lambda: NOW + 29.9  # 00:00:59.9, still the same minute
    second = cron.handle(vercel_call(path))
    assert (second.status, b"AlreadyHandled" in second.body) == (200, True)
    assert len(ran) == 1
    cron.vercel.clock = lambda: NOW + 30  # 00:01:00: another occurrence
    assert cron.handle(vercel_call(path)).status == 200
    assert [ctx.fire_id for ctx in ran] == [
        format_fire_id("shop", "sync-stock", 0, MINUTE),
        format_fire_id("shop", "sync-stock", 0, MINUTE + 60),
    ]


def test_two_replicas_sharing_a_file_claim_store_run_a_duplicate_once(tmp_path: Path) -> None:
    first, ran_first = make(claims=FileClaimStore(tmp_path / "claims"))
    second, ran_second = make(claims=FileClaimStore(tmp_path / "claims"))
    path = T + "sync-stock?cronix=shop.0.fb8b2e4bfb9c5f67"
    assert first.handle(vercel_call(path)).status == 200
    assert b"AlreadyHandled" in second.handle(vercel_call(path)).body
    assert (len(ran_first), len(ran_second)) == (1, 0)


def test_a_failed_run_is_released_so_a_second_call_in_the_minute_runs_it() -> None:
    cron, _ = make()
    calls: list[int] = []

    @cron.job("flaky", schedule="0 * * * *")
    def flaky(ctx: JobContext) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("fails on purpose")

    assert cron.handle(vercel_call(T + "flaky")).status == 500
    assert cron.handle(vercel_call(T + "flaky")).status == 200
    assert len(calls) == 2


@pytest.mark.parametrize("bearer", [None, "wrong-" + VERCEL, VERCEL + "x", VERCEL[:-1], ""])
@pytest.mark.parametrize("path", [T + "sync-stock", T + "no-such-job", T + "a/b", T])
def test_a_wrong_or_missing_bearer_is_401_whatever_the_job(bearer: str | None, path: str) -> None:
    cron, ran = make()
    result = rejected(cron.verify_trigger(vercel_call(path, bearer=bearer)))
    expected = "MissingToken" if not bearer else "BearerMismatch"
    assert (result.status, result.code) == (401, expected)
    assert VERCEL not in result.message
    assert cron.handle(vercel_call(path, bearer=bearer)).status == 401
    assert ran == []


def test_other_authorization_schemes_are_not_a_bearer() -> None:
    cron, _ = make()
    request = CronRequest.build("GET", T + "sync-stock", b"", {"Authorization": f"Basic {VERCEL}"})
    assert rejected(cron.verify_trigger(request)).code == "MissingToken"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_only_get_is_a_vercel_call(method: str) -> None:
    cron, ran = make()
    result = rejected(cron.verify_trigger(vercel_call(T + "sync-stock", method=method)))
    assert (result.status, result.code) == (400, "BadMethod")
    # Authentication still comes first: a wrong bearer is 401 whatever the method.
    assert (
        rejected(cron.verify_trigger(vercel_call(T + "sync-stock", method=method, bearer="x" * 32))).status
        == 401
    )
    assert ran == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("cronix=billing.0.fb8b2e4bfb9c5f67", "names app billing, not shop"),
        ("cronix=shop.5.fb8b2e4bfb9c5f67", "names schedule 5; job sync-stock has 1"),
        ("cronix=shop.0", "must be <app>.<index>.<hash>"),
        ("cronix=shop.0.fb8b2e4bfb9c5f67&cronix=shop.0.fb8b2e4bfb9c5f67", "2 cronix= parameters"),
    ],
)
def test_a_cronix_parameter_of_another_app_or_schedule_is_refused(query: str, message: str) -> None:
    cron, ran = make()
    result = rejected(cron.verify_trigger(vercel_call(f"{T}sync-stock?{query}")))
    assert (result.status, result.code) == (400, "BadFireId")
    assert message in result.message
    assert ran == []


def test_unknown_jobs_and_bad_paths_are_answered_only_after_the_bearer() -> None:
    cron, _ = make()
    assert rejected(cron.verify_trigger(vercel_call(T + "no-such-job"))).code == "UnknownJob"
    assert rejected(cron.verify_trigger(vercel_call(T + "a/b"))).code == "BadPath"


def test_without_the_option_a_bearer_is_refused_as_before() -> None:
    hmac_only, ran = make(vercel_cron_secret=None, secret=HMAC)
    assert rejected(hmac_only.verify_trigger(vercel_call(T + "sync-stock"))).code == "MissingSignature"
    tokens, _ = make(vercel_cron_secret=None, fire_jwt=FireJWT(issuer=ISSUER, public_keys=jwks()))
    assert rejected(tokens.verify_trigger(vercel_call(T + "sync-stock"))).code == "MalformedToken"
    assert hmac_only.vercel is None and ran == []


def test_rotation_accepts_every_listed_secret_and_says_which() -> None:
    cron, ran = make(vercel_cron_secret=[NEXT, VERCEL])
    assert cron.handle(vercel_call(T + "sync-stock", bearer=VERCEL)).status == 200
    assert cron.handle(vercel_call(T + "digest", bearer=NEXT)).status == 200
    assert [ctx.secret_index for ctx in ran] == [1, 0]


def test_a_signed_request_is_still_checked_as_hmac() -> None:
    cron, ran = make(secret=HMAC)
    target = T + "sync-stock"
    ts = fresh_timestamp("POST", target, b"")
    good = CronRequest.build(
        "POST", target, b"", {"X-Cron-Signature": signature(HMAC, "POST", target, b"", ts)}
    )
    verified = cron.verify_trigger(good)
    assert isinstance(verified, TriggerVerified) and verified.context.auth == "hmac"
    # A bad signature is not rescued by a valid Vercel bearer next to it.
    bad = CronRequest.build(
        "GET",
        target,
        b"",
        {"X-Cron-Signature": signature("wrong", "GET", target, b"", ts), "Authorization": f"Bearer {VERCEL}"},
    )
    assert rejected(cron.verify_trigger(bad)).code == "SignatureMismatch"
    # Without a signature, the app's missing-credential answer is still HMAC's.
    assert rejected(cron.verify_trigger(vercel_call(target, bearer=None))).code == "MissingSignature"
    assert ran == []


def test_with_fire_tokens_too_the_static_secret_is_compared_first_then_a_jwt_is_verified() -> None:
    cron, _ = make(fire_jwt=FireJWT(issuer=ISSUER, public_keys=jwks()), fire_mode="sync")
    verified = cron.verify_trigger(vercel_call(T + "sync-stock"))
    assert isinstance(verified, TriggerVerified) and verified.context.auth == "vercel"
    fire_id = format_fire_id("shop", "sync-stock", 0, MINUTE)
    token = mint(app="shop", job="sync-stock", url=f"{BASE}{T}sync-stock", fire_id=fire_id)
    as_token = cron.verify_trigger(
        CronRequest.build("POST", T + "sync-stock", b"", {"Authorization": f"Bearer {token}"})
    )
    assert isinstance(as_token, TriggerVerified) and as_token.context.auth == "jwt"
    # Two dots: verified as a token, and refused with the token's own code.
    assert (
        rejected(cron.verify_trigger(vercel_call(T + "sync-stock", bearer="a.b.c"))).code == "MalformedToken"
    )
    # No dots: a wrong static secret.
    assert (
        rejected(cron.verify_trigger(vercel_call(T + "sync-stock", bearer="x" * 32))).code == "BearerMismatch"
    )


@pytest.mark.parametrize("bad", ["", "short", ["x" * 16, "too-short"], [], 42])
def test_a_static_secret_shorter_than_16_characters_or_not_a_string_is_a_config_error(bad: Any) -> None:
    with pytest.raises(CronConfigError, match="vercel_cron_secret"):
        Cron(app="shop", base_url=BASE, vercel_cron_secret=bad)


def test_env_secret_reads_cron_secret_per_call(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("CRON_SECRET", raising=False)
    cron, ran = make(vercel_cron_secret=env_secret())
    with caplog.at_level(logging.ERROR, logger="cronix.sdk"):
        result = rejected(cron.verify_trigger(vercel_call(T + "sync-stock")))
    assert (result.status, result.code) == (503, "SecretUnavailable")
    assert "CRON_SECRET is not set" in caplog.text
    monkeypatch.setenv("CRON_SECRET", VERCEL)
    assert cron.handle(vercel_call(T + "sync-stock")).status == 200
    monkeypatch.setenv("CRON_SECRET", "short")  # a provider's value is checked on each call
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="cronix.sdk"):
        assert rejected(cron.verify_trigger(vercel_call(T + "digest"))).code == "SecretUnavailable"
    assert "shorter than 16" in caplog.text and "short'" not in caplog.text
    assert len(ran) == 1 and repr(env_secret()) == "env_secret('CRON_SECRET')"


def test_rejections_reach_the_hook_and_no_log_line_holds_the_bearer(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []
    cron, _ = make(hooks=Hooks(on_verify_failure=lambda failure, request: seen.append(failure.code)))
    with caplog.at_level(logging.DEBUG):
        cron.handle(vercel_call(T + "sync-stock", bearer="guess-" + VERCEL))
        cron.handle(vercel_call(T + "sync-stock", method="POST"))
        cron.handle(vercel_call(T + "sync-stock?cronix=other.0.fb8b2e4bfb9c5f67"))
        cron.handle(vercel_call(T + "sync-stock"))
        cron.handle(vercel_call(T + "sync-stock"))
    assert seen == ["BearerMismatch", "BadMethod", "BadFireId"]
    assert VERCEL not in caplog.text


def test_a_forbid_job_still_running_skips_another_occurrence() -> None:
    """``concurrency: Forbid`` holds the job lock across Vercel calls, as across token fires."""
    cron, _ = make()
    assert cron.vercel is not None
    vercel = cron.vercel
    inner: list[int] = []

    @cron.job("long", schedule="* * * * *", policy={"concurrency": "Forbid"})
    def long(ctx: JobContext) -> None:
        vercel.clock = lambda: NOW + 60  # the next minute's call arrives while this one runs
        inner.append(cron.handle(vercel_call(T + "long")).status)

    assert cron.handle(vercel_call(T + "long")).status == 200
    assert inner == [409]
