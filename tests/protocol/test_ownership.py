"""Ownership hashes and names: golden values verified against the reference (reconciler.md §2.3)."""

from __future__ import annotations

import json

import pytest

from cronix.protocol.manifest import Job, load_manifest_object
from cronix.protocol.ownership import hash_input, ownership_hash, ownership_hashes, resource_name


def _job(app: str, raw: dict[str, object]) -> Job:
    return load_manifest_object({"version": 1, "app": app, "jobs": [raw]}).jobs[0]


MINIMAL = _job(
    "billing-service",
    {
        "name": "reconcile-payments",
        "schedule": "*/15 * * * *",
        "request": {"url": "https://billing.internal/api/v1/scheduled/reconcile-payments"},
    },
)


def test_hash_input_is_the_one_job_manifest_with_the_placeholder_app() -> None:
    expected = (
        '{"version":1,"app":"_hash_","jobs":[{"name":"reconcile-payments","schedules":["*/15 * * * *"],'
        '"timezone":"UTC","request":{"method":"POST","url":"https://billing.internal/api/v1/scheduled/'
        'reconcile-payments","headers":{},"body":""},"policy":{"concurrency":"Forbid","concurrency_scope":'
        '"host","timeout_seconds":60,"retries":{"max_attempts":3,"min_seconds":1,"max_seconds":60}},'
        '"auth":{"secret_refs":[]}}]}'
    )
    assert hash_input(MINIMAL) == expected.encode()


@pytest.mark.parametrize(
    ("app", "raw", "index", "expected"),
    [
        ("billing-service", MINIMAL, 0, "21c1b02a51242d12"),
        (
            "billing",
            {
                "name": "ping",
                "schedules": ["@hourly"],
                "request": {"url": "https://billing.example.com/api/v1/scheduled/ping?a=1&b=<x>"},
            },
            0,
            "4d35ea5e8505604c",
        ),
        (
            "billing",
            {
                "name": "ping",
                "schedule": "@hourly",
                "request": {"url": "https://billing.example.com/api/v1/scheduled/ping"},
            },
            0,
            "b4d36b09619ce838",
        ),
        (
            "billing",
            {
                "name": "pong",
                "schedule": "@daily",
                "request": {"url": "https://billing.example.com/api/v1/scheduled/pong"},
            },
            0,
            "e090e685f0de1edc",
        ),
    ],
)
def test_golden_hashes_from_the_reference(app: str, raw: object, index: int, expected: str) -> None:
    job = raw if isinstance(raw, Job) else _job(app, raw)  # type: ignore[arg-type]
    assert ownership_hash(job, index) == expected


def test_the_app_id_is_not_part_of_the_hash() -> None:
    raw = {"name": "ping", "schedule": "@hourly", "request": {"url": "https://x.example/p"}}
    assert ownership_hash(_job("one", raw), 0) == ownership_hash(_job("two", raw), 0)


def test_every_field_of_the_job_changes_the_hash() -> None:
    base = {"name": "ping", "schedule": "@hourly", "request": {"url": "https://x.example/p"}}
    variants = [
        {**base, "schedule": "@daily"},
        {**base, "timezone": "Europe/Berlin"},
        {**base, "request": {"url": "https://x.example/q"}},
        {**base, "request": {"url": "https://x.example/p", "body": "x"}},
        {**base, "policy": {"timeout_seconds": 61}},
        {**base, "auth": {"secret_refs": ["env:X"]}},
    ]
    hashes = {ownership_hash(_job("a", v), 0) for v in [base, *variants]}
    assert len(hashes) == len(variants) + 1


def test_per_index_hashes_match_single_computation_and_differ() -> None:
    job = _job(
        "ops",
        {
            "name": "w",
            "schedules": ["*/5 9-17 * * 1-5", "0 * * * 0,6"],
            "request": {"url": "https://o.example/w"},
        },
    )
    many = ownership_hashes(job)
    assert many == (ownership_hash(job, 0), ownership_hash(job, 1))
    assert many[0] != many[1]
    assert all(len(h) == 16 and int(h, 16) >= 0 for h in many)


def test_resource_name_is_the_reference_form() -> None:
    assert resource_name("billing", "reconcile", 0) == "cronix-billing-reconcile-0"


def test_hash_input_is_valid_json_of_the_job() -> None:
    doc = json.loads(hash_input(MINIMAL))
    assert doc["app"] == "_hash_" and doc["jobs"][0]["name"] == "reconcile-payments"
