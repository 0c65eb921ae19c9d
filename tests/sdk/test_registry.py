"""Registering jobs and building the manifest: bad definitions fail at registration, with every issue."""

from __future__ import annotations

import logging

import pytest

from cronix.protocol.manifest import parse_manifest
from cronix.sdk import Cron, CronConfigError, Hooks, JobContext, JobDefinitionError

BASE = "https://billing.internal"


def make(**kwargs: object) -> Cron:
    options: dict[str, object] = {
        "app": "billing",
        "base_url": BASE,
        "secret": "s3cret-of-the-registry-tests",
    }
    options.update(kwargs)
    return Cron(**options)  # type: ignore[arg-type]


def noop(ctx: JobContext) -> None:
    return None


def test_decorator_and_direct_registration_bind_handlers() -> None:
    cron = make()

    @cron.job("reconcile-payments", schedule="*/15 * * * *")
    def reconcile(ctx: JobContext) -> None: ...

    assert cron.register("nightly", noop, schedule="@daily") is noop
    declared = cron.register("later", schedule="@hourly")
    assert cron.get("later") is not None
    assert cron.get("later").handler is None  # type: ignore[union-attr]
    declared(noop)
    assert cron.get("later").handler is noop  # type: ignore[union-attr]
    assert cron.get("reconcile-payments").handler is reconcile  # type: ignore[union-attr]
    assert [j.name for j in cron.jobs()] == ["later", "nightly", "reconcile-payments"]


def test_invalid_job_fails_at_registration_listing_every_issue() -> None:
    cron = make()
    with pytest.raises(JobDefinitionError) as info:
        cron.register(
            "reconcile",
            noop,
            schedule="61 * * * *",
            policy={"timeout_seconds": 0, "retries": {"max_attempts": 11}},
            method="FETCH",
        )
    message = str(info.value)
    assert message.startswith("cronix: invalid job definition for reconcile: ")
    for part in (
        "schedule: invalid cron expression",
        "request/method: method must be one of GET POST PUT PATCH DELETE",
        "policy/timeout_seconds: timeout_seconds must be between 1 and 600",
        "policy/retries/max_attempts: max_attempts must be between 1 and 10",
    ):
        assert part in message
    assert {"/".join(i.path) for i in info.value.issues} >= {
        "jobs/0/schedule",
        "jobs/0/policy/timeout_seconds",
    }
    assert cron.get("reconcile") is None  # nothing half-registered


@pytest.mark.parametrize(
    ("name", "options", "fragment"),
    [
        ("Bad_Name", {"schedule": "@daily"}, "name:"),
        ("no-schedule", {}, "schedule"),
        ("both", {"schedule": "@daily", "schedules": ["@hourly"]}, "schedule"),
        ("every", {"schedule": "@every 10s"}, "schedule:"),
        ("tz", {"schedule": "@daily", "timezone": "Mars/Olympus"}, "timezone:"),
        ("url", {"schedule": "@daily", "url": "ftp://x/y"}, "request/url: url must be http(s)"),
        ("refs", {"schedule": "@daily", "secret_refs": ["9lives"]}, "auth/secret_refs/0: invalid secret ref"),
    ],
)
def test_manifest_rules_apply_at_registration(name: str, options: dict[str, object], fragment: str) -> None:
    with pytest.raises(JobDefinitionError, match="invalid job definition") as info:
        make().register(name, noop, **options)  # type: ignore[arg-type]
    assert fragment in str(info.value)


def test_duplicate_and_unknown_names() -> None:
    cron = make()
    cron.register("a", noop, schedule="@daily")
    with pytest.raises(JobDefinitionError, match="job already registered: a"):
        cron.register("a", noop, schedule="@daily")
    with pytest.raises(JobDefinitionError, match="no job registered named b"):
        cron.bind("b", noop)
    with pytest.raises(JobDefinitionError, match="skip_verify for job c must be a bool"):
        cron.register("c", noop, schedule="@daily", skip_verify="yes")  # type: ignore[typeddict-item]


def test_at_most_256_jobs() -> None:
    cron = make()
    for i in range(256):
        cron.register(f"job-{i}", noop, schedule="@daily")
    with pytest.raises(JobDefinitionError, match="at most 256 jobs"):
        cron.register("one-too-many", noop, schedule="@daily")


def test_manifest_is_normalized_and_served_bytes_are_exact() -> None:
    cron = make()
    cron.register(
        "reconcile-payments",
        noop,
        schedules=("*/15 * * * *", " 0 2 * * * "),
        timezone="Europe/Berlin",
        headers={"X-B": "2", "Content-Type": "application/json"},
        body='{"source":"cron"}',
        policy={"timeout_seconds": 120, "retries": {"max_attempts": 5}},
        secret_refs=("env:CRON_SECRET",),
    )
    cron.register(
        "heartbeat", noop, schedule="@every 5m", method="GET", url="https://other.example/hb?a=1&b=2"
    )
    # Written by hand from the reference's canonical form (fire-time.md §5.2).
    expected = (
        '{"version":1,"app":"billing","jobs":['
        '{"name":"heartbeat","schedules":["@every 5m"],"timezone":"UTC",'
        '"request":{"method":"GET","url":"https://other.example/hb?a=1\\u0026b=2","headers":{},"body":""},'
        '"policy":{"concurrency":"Forbid","concurrency_scope":"host","timeout_seconds":60,'
        '"retries":{"max_attempts":3,"min_seconds":1,"max_seconds":60}},"auth":{"secret_refs":[]}},'
        '{"name":"reconcile-payments","schedules":["*/15 * * * *","0 2 * * *"],"timezone":"Europe/Berlin",'
        '"request":{"method":"POST","url":"https://billing.internal/api/v1/scheduled/reconcile-payments",'
        '"headers":{"Content-Type":"application/json","X-B":"2"},"body":"{\\"source\\":\\"cron\\"}"},'
        '"policy":{"concurrency":"Forbid","concurrency_scope":"host","timeout_seconds":120,'
        '"retries":{"max_attempts":5,"min_seconds":1,"max_seconds":60}},'
        '"auth":{"secret_refs":["env:CRON_SECRET"]}}]}'
    )
    assert cron.manifest_json().decode() == expected
    # The served bytes are valid reconciler input that normalizes to the registry's manifest.
    assert parse_manifest(cron.manifest_json()) == cron.manifest()


def test_base_url_can_change_after_registration() -> None:
    cron = make(base_url="http://127.0.0.1:8000/")
    cron.register("derived", noop, schedule="@daily")
    cron.register("fixed", noop, schedule="@daily", url="https://fixed.example/run")
    first = cron.manifest_json()
    cron.base_url = "http://127.0.0.1:9000/prefix/"
    urls = {j.name: j.request.url for j in cron.manifest().jobs}
    assert urls == {
        "derived": "http://127.0.0.1:9000/prefix/api/v1/scheduled/derived",
        "fixed": "https://fixed.example/run",
    }
    assert cron.manifest_json() != first


@pytest.mark.parametrize(
    "base_url", ["ftp://x", "billing.internal", "https://x/?a=1", "https://x/#f", "https://x y", "http://"]
)
def test_unusable_base_url_is_refused(base_url: str) -> None:
    with pytest.raises(CronConfigError, match="base_url"):
        make(base_url=base_url)


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"app": "Billing"}, "app id 'Billing' must match"),
        ({"secret": None}, "secret is required"),
        ({"secret": ""}, "secret must not be empty"),
        ({"secret": ["", ""]}, "secret must not be empty"),
        ({"secret": [1]}, "secret must be a string"),
        ({"secret": "abc"}, "secret is 3 bytes; an HMAC secret needs at least 16"),
        ({"secret": ["a-long-enough-secret", "short"]}, "secret (item 1) is 5 bytes"),
        ({"secret": lambda: None}, "the secret callable's result is None (an unset environment variable?)"),
        ({"secret": lambda: "abc"}, "the secret callable's result is 3 bytes"),
        ({"secret": list}, "the secret callable's result must not be empty"),
        ({"replay_window_seconds": 29}, "replay_window_seconds must be >= 30, got 29"),
        ({"replay_window_seconds": 30.5}, "must be an int"),
        ({"max_body_bytes": 0}, "max_body_bytes must be positive"),
        ({"hooks": {"on_trigger_start": print}}, "hooks must be a cronix.sdk.Hooks"),
    ],
)
def test_bad_options_fail_at_construction(options: dict[str, object], fragment: str) -> None:
    with pytest.raises(CronConfigError) as info:
        make(**options)
    assert fragment in str(info.value)


def test_replay_window_minimum_is_accepted() -> None:
    assert make(replay_window_seconds=30).replay_window_seconds == 30


def test_hooks_must_be_synchronous_callables() -> None:
    async def later(ctx: JobContext) -> None: ...

    with pytest.raises(CronConfigError, match="hook on_trigger_start is async"):
        Hooks(on_trigger_start=later)
    with pytest.raises(CronConfigError, match="hook on_trigger_error must be callable"):
        Hooks(on_trigger_error="nope")  # type: ignore[arg-type]


def test_skip_verify_warns_loudly(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="cronix.sdk"):
        cron = make(skip_verify=True, secret=None)
        cron.register("open", noop, schedule="@daily")
        make().register("public", noop, schedule="@daily", skip_verify=True)
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("skip_verify=True for app billing" in m and "NOT authenticated" in m for m in messages)
    assert any("skip_verify=True for job billing.public" in m for m in messages)
    assert not any("billing.open" in m for m in messages)  # inherits the instance setting: warned once


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timezon": "Europe/Berlin"}, "unknown option timezon= for job a; did you mean timezone=?"),
        ({"schedual": "@daily"}, "unknown option schedual= for job a; did you mean schedule=?"),
        ({"tz": "Europe/Berlin"}, "unknown option tz= for job a; did you mean timezone=?"),
        ({"retries": 5}, "unknown option retries= for job a; it belongs in policy: policy={'retries': …}"),
        (
            {"timeout_seconds": 30},
            "unknown option timeout_seconds= for job a; it belongs in policy: policy={'timeout_seconds': …}",
        ),
        (
            {"max_attempts": 5},
            "unknown option max_attempts= for job a; it belongs in policy: policy={'retries': {'max_attempts': …}}",
        ),
        ({"flavour": "x"}, "unknown option flavour= for job a (options: body, enabled, headers,"),
    ],
)
def test_unknown_job_options_are_refused_by_name(options: dict[str, object], message: str) -> None:
    cron = make()
    with pytest.raises(JobDefinitionError) as info:
        cron.register("a", noop, schedule="@hourly", **options)  # type: ignore[call-overload]
    assert str(info.value).startswith("cronix: " + message)
    assert info.value.name == "a"
    assert cron.get("a") is None  # not registered with the defaults, as it used to be


def test_a_misspelt_policy_field_gets_a_did_you_mean() -> None:
    cron = make()
    policy = {"timeot_seconds": 3, "retries": {"max_atempts": 2}}
    with pytest.raises(JobDefinitionError) as info:
        cron.register("a", noop, schedule="@hourly", policy=policy)  # type: ignore[call-overload]
    message = str(info.value)
    assert 'policy/timeot_seconds: unknown field "timeot_seconds"; did you mean timeout_seconds?' in message
    assert 'policy/retries/max_atempts: unknown field "max_atempts"; did you mean max_attempts?' in message


def test_a_short_secret_is_refused_without_echoing_it() -> None:
    with pytest.raises(CronConfigError) as info:
        make(secret="fifteen-bytes!!")
    assert "secret is 15 bytes; an HMAC secret needs at least 16" in str(info.value)
    assert "fifteen" not in str(info.value)
    assert make(secret="sixteen-bytes!!!").has_secret()
    assert make(secret="é" * 8).has_secret()  # counted in UTF-8 bytes, as HMAC keys them
