"""Verification order and results, in-process: the signature first, then method, path and job."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from cronix.sdk import Cron, CronRequest, Hooks, JobContext, Rejection, TriggerVerified, Verified
from tests.sdk.signer import fresh_timestamp, signature

SECRET = "first-secret-of-the-tests"
T = "/api/v1/scheduled/"
MANIFEST = "/.well-known/cron-manifest"


def make(**kwargs: object) -> Cron:
    options: dict[str, object] = {"app": "billing", "base_url": "https://b.example", "secret": SECRET}
    options.update(kwargs)
    cron = Cron(**options)  # type: ignore[arg-type]
    cron.register("reconcile", lambda ctx: None, schedule="@daily")
    return cron


def request(
    method: str,
    target: str,
    body: bytes = b"",
    *,
    secret: str | None = SECRET,
    timestamp: int | None = None,
    headers: dict[str, str] | None = None,
) -> CronRequest:
    sent = dict(headers or {})
    if secret is not None:
        ts = fresh_timestamp(method, target, body) if timestamp is None else timestamp
        sent["X-Cron-Signature"] = signature(secret, method, target, body, ts)
    return CronRequest.build(method, target, body, sent)


@pytest.mark.parametrize(
    ("req", "status", "code"),  # built when the test runs: a signature goes stale in 300 s
    [
        (lambda: request("POST", T + "nope", secret=None), 401, "MissingSignature"),
        (lambda: request("POST", T + "a/b", secret=None), 401, "MissingSignature"),
        (lambda: request("POST", T + "nope", secret="wrong"), 401, "SignatureMismatch"),
        (lambda: request("POST", T + "nope", timestamp=int(time.time()) - 400), 401, "StaleTimestamp"),
        (lambda: request("POST", T + "x", secret=None, headers={"X-Cron-Signature": ""}), 401, "MalformedHeader"),
        (lambda: request("POST", T + "x", secret=None, headers={"x-cron-signature": "t=+1"}), 401, "MalformedHeader"),
        (lambda: request("POST", T + "nope"), 404, "UnknownJob"),
        (lambda: request("POST", T + "a/b"), 404, "BadPath"),
        (lambda: request("POST", T), 404, "BadPath"),
    ],
)  # fmt: skip
def test_trigger_rejections_in_order(req: Callable[[], CronRequest], status: int, code: str) -> None:
    result = make().verify_trigger(req())
    assert isinstance(result, Rejection)
    assert (result.status, result.code) == (status, code)


def test_verified_trigger_carries_the_context() -> None:
    headers = {
        "X-Cron-Run-Id": "0190a7c4-0000-7000-8000-000000000001",
        "X-Cron-Attempt": "3",
        "X-Cron-Fire-Time": "1730000000",
        "X-Cron-Fire-Time-Actual": "1730000001.5",
        "X-Cron-Previous-Success-Time": "1729999100",
    }
    result = make().verify_trigger(request("put", T + "reconcile?x=1", b'{"a":1}', headers=headers))
    assert isinstance(result, TriggerVerified)
    ctx = result.context
    assert (ctx.app, ctx.name, ctx.run_id, ctx.attempt) == (
        "billing",
        "reconcile",
        headers["X-Cron-Run-Id"],
        3,
    )
    assert ctx.fire_time == datetime(2024, 10, 27, 3, 33, 20, tzinfo=UTC)
    assert ctx.fire_time_actual == datetime(2024, 10, 27, 3, 33, 21, 500000, tzinfo=UTC)
    assert ctx.previous_success_time == datetime(2024, 10, 27, 3, 18, 20, tzinfo=UTC)
    assert (ctx.method, ctx.path, ctx.unverified, ctx.secret_index) == ("PUT", T + "reconcile?x=1", False, 0)
    assert ctx.json() == {"a": 1}
    assert ctx.headers["x-cron-attempt"] == "3"


@pytest.mark.parametrize(
    ("attempt", "expected"), [(None, 1), ("", 1), ("0", 1), ("abc", 1), ("2abc", 1), ("-2", 1), ("7", 7)]
)
def test_attempt_parsing_is_forgiving(attempt: str | None, expected: int) -> None:
    headers = {} if attempt is None else {"X-Cron-Attempt": attempt}
    result = make().verify_trigger(request("POST", T + "reconcile", headers=headers))
    assert isinstance(result, TriggerVerified)
    assert result.context.attempt == expected


@pytest.mark.parametrize("value", ["", " ", "abc", "1e9", "-5", "nan", "１２３", "99999999999999999"])
def test_unusable_fire_times_are_none(value: str) -> None:
    result = make().verify_trigger(request("POST", T + "reconcile", headers={"X-Cron-Fire-Time": value}))
    assert isinstance(result, TriggerVerified)
    assert result.context.fire_time is None


def test_manifest_order_signature_then_method_then_path() -> None:
    cron = make()
    unsigned_post = cron.verify_manifest(request("POST", MANIFEST, secret=None))
    assert isinstance(unsigned_post, Rejection)
    assert unsigned_post.code == "MissingSignature"
    signed_post = cron.verify_manifest(request("POST", MANIFEST))
    assert isinstance(signed_post, Rejection)
    assert (signed_post.status, signed_post.code) == (400, "BadMethod")
    signed_elsewhere = cron.verify_manifest(request("GET", "/manifest.json"))
    assert isinstance(signed_elsewhere, Rejection)
    assert (signed_elsewhere.status, signed_elsewhere.code) == (
        404,
        "BadPath",
    )
    ok = cron.verify_manifest(request("GET", MANIFEST))
    assert ok == Verified(0)


def test_rotation_reports_the_matching_secret_and_callables_are_read_each_time() -> None:
    current = ["new-secret-0123456789", "old-secret-0123456789"]
    cron = make(secret=lambda: list(current))
    old = cron.verify_trigger(request("POST", T + "reconcile", secret="old-secret-0123456789"))
    assert isinstance(old, TriggerVerified)
    assert old.secret_index == 1
    current.remove("old-secret-0123456789")
    retired = cron.verify_trigger(request("POST", T + "reconcile", secret="old-secret-0123456789"))
    assert isinstance(retired, Rejection)
    assert retired.code == "SignatureMismatch"


def test_secret_provider_failure_is_503_and_logged_without_secrets(caplog: pytest.LogCaptureFixture) -> None:
    def vault() -> str:
        raise ConnectionError("vault down")

    with caplog.at_level(logging.INFO, logger="cronix.sdk"):
        cron = make(secret=vault)  # an outage at startup may end: the app starts, and says so
    assert "secret callable raised ConnectionError at startup" in caplog.text
    with caplog.at_level(logging.ERROR, logger="cronix.sdk"):
        result = cron.verify_trigger(request("POST", T + "reconcile"))
    assert isinstance(result, Rejection)
    assert (result.status, result.code) == (503, "SecretUnavailable")
    assert "secret provider of app billing raised" in caplog.text
    assert SECRET not in caplog.text


def test_a_secret_callable_that_stops_answering_usably_is_503_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    answers: list[object] = [SECRET]
    cron = make(secret=lambda: answers[-1])
    for broken, problem in ((None, "result is None"), ([], "must not be empty"), ("abc", "is 3 bytes")):
        answers.append(broken)
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="cronix.sdk"):
            result = cron.verify_trigger(request("POST", T + "reconcile"))
        assert isinstance(result, Rejection)
        assert (result.status, result.code) == (503, "SecretUnavailable")  # the trigger retries
        assert problem in caplog.text
        assert SECRET not in caplog.text


def test_skip_verify_precedence() -> None:
    cron = Cron(app="billing", base_url="https://b.example", secret=SECRET, skip_verify=True)
    cron.register("open", lambda ctx: None, schedule="@daily")
    cron.register("strict", lambda ctx: None, schedule="@daily", skip_verify=False)
    strict = Cron(app="billing", base_url="https://b.example", secret=SECRET)
    strict.register("public", lambda ctx: None, schedule="@daily", skip_verify=True)

    opened = cron.verify_trigger(request("POST", T + "open", secret=None))
    assert isinstance(opened, TriggerVerified)
    assert opened.context.unverified
    assert opened.secret_index == -1
    refused = cron.verify_trigger(request("POST", T + "strict", secret=None))
    assert isinstance(refused, Rejection)
    assert refused.code == "MissingSignature"
    # Skipping verification never reveals which other names exist.
    unknown = cron.verify_trigger(request("POST", T + "nope", secret=None))
    assert isinstance(unknown, Rejection)
    assert unknown.code == "MissingSignature"
    public = strict.verify_trigger(request("POST", T + "public", secret=None))
    assert isinstance(public, TriggerVerified)
    assert public.context.unverified
    assert cron.verify_manifest(request("GET", MANIFEST, secret=None)) == Verified(-1)
    assert strict.verify_manifest(request("GET", MANIFEST, secret=None)) == Rejection(
        401, "MissingSignature", "missing X-Cron-Signature header"
    )


def test_verify_failure_hook_sees_every_rejection_and_manifest_hook_every_success() -> None:
    seen: list[tuple[str, str]] = []
    hooks = Hooks(
        on_verify_failure=lambda failure, req: seen.append((failure.code, req.target)),
        on_manifest_request=lambda req: seen.append(("manifest", req.target)),
    )
    cron = make(hooks=hooks)
    cron.verify_trigger(request("POST", T + "x", secret=None))
    cron.verify_manifest(request("POST", MANIFEST))
    cron.verify_manifest(request("GET", MANIFEST))
    assert seen == [("MissingSignature", T + "x"), ("BadMethod", MANIFEST), ("manifest", MANIFEST)]


def test_query_and_target_are_verified_exactly_as_received() -> None:
    cron = make()
    target = T + "reconcile?b=2&a=%2F"
    assert isinstance(cron.verify_trigger(request("POST", target)), TriggerVerified)
    swapped = CronRequest.build(
        "POST",
        T + "reconcile?a=%2F&b=2",
        b"",
        {"X-Cron-Signature": signature(SECRET, "POST", target, b"", fresh_timestamp("POST", target, b""))},
    )
    assert isinstance(cron.verify_trigger(swapped), Rejection)


def test_route_relative_to_a_mount_point_signature_over_the_full_target() -> None:
    cron = make()
    full = "/cron" + T + "reconcile"
    mounted = CronRequest.build(
        "POST", full, b"", {"X-Cron-Signature": signature(SECRET, "POST", full, b"", fresh_timestamp("POST", full, b""))},
        route=T + "reconcile",
    )  # fmt: skip
    result = cron.verify_trigger(mounted)
    assert isinstance(result, TriggerVerified)
    assert (result.context.name, result.context.path) == ("reconcile", full)


def test_job_context_text_is_strict_utf8() -> None:
    ctx = JobContext("a", "b", b"\xff", {}, "POST", "/", 0)
    with pytest.raises(UnicodeDecodeError):
        ctx.text()
