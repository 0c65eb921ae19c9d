"""Opt-in: the aws-scheduler backend against a real AWS account (moto does not validate expressions).

Runs only when ``CRONIX_E2E_AWS_PROFILE`` names an AWS profile; also needs
``CRONIX_E2E_AWS_TARGET_ARN`` (a Lambda function, e.g. the packaged cronix trigger) and
``CRONIX_E2E_AWS_ROLE_ARN`` (a role EventBridge Scheduler may assume to invoke it), and
optionally ``CRONIX_E2E_AWS_REGION``. Everything happens in a fresh schedule group named
``cronix-e2e-<random>``, deleted at the end (with its schedules). IAM needed: the apply
policy of docs/aws.md plus ``scheduler:DeleteScheduleGroup``.

What it proves that moto cannot: EventBridge accepts every expression form the
translator writes (day names, ``?``, ``a/b`` steps, lists, ranges, ``rate()``, zones).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from cronix.backends.base import HostContext
from cronix.backends.registry import backend_type
from cronix.protocol.manifest import parse_manifest
from cronix.reconcile import reconcile

PROFILE = os.environ.get("CRONIX_E2E_AWS_PROFILE", "")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not PROFILE, reason="CRONIX_E2E_AWS_PROFILE is not set (opt-in tier against a real AWS account)"
    ),
]

SCHEDULES = [
    "*/15 * * * *",
    "0 9 * * 1-5",
    "30 6 1,15 * *",
    "0 0 * * sun",
    "5 4 */2 jan-jun *",
    "@every 90m",
    "@every 2h",
    "@weekly",
]


@pytest.fixture
def options() -> Iterator[dict[str, Any]]:
    for name in ("CRONIX_E2E_AWS_TARGET_ARN", "CRONIX_E2E_AWS_ROLE_ARN"):
        if not os.environ.get(name):
            pytest.fail(f"{name} must be set with CRONIX_E2E_AWS_PROFILE (see this module's docstring)")
    group = f"cronix-e2e-{secrets.token_hex(4)}"
    opts = {
        "profile": PROFILE,
        "region": os.environ.get("CRONIX_E2E_AWS_REGION", ""),
        "target_arn": os.environ["CRONIX_E2E_AWS_TARGET_ARN"],
        "role_arn": os.environ["CRONIX_E2E_AWS_ROLE_ARN"],
        "schedule_group": group,
        "create_group": True,
    }
    try:
        yield opts
    finally:
        import boto3

        session = boto3.session.Session(profile_name=PROFILE, region_name=opts["region"] or None)
        client = session.client("scheduler")
        with contextlib.suppress(client.exceptions.ResourceNotFoundException):
            client.delete_schedule_group(Name=group)


def test_real_eventbridge_accepts_every_translation_and_converges(options: dict[str, Any]) -> None:
    kind = backend_type("aws-scheduler")
    assert kind is not None
    doc = {
        "version": 1,
        "app": "e2e",
        "jobs": [
            {
                "name": "mixed",
                "schedules": SCHEDULES,
                "timezone": "Europe/Berlin",
                "request": {"url": "https://example.com/cron/mixed"},
            }
        ],
    }
    manifest = parse_manifest(json.dumps(doc))
    first = reconcile(manifest, kind.open(options, HostContext()), secret_refs=["ssm:/cronix/e2e"])
    assert first.result is not None and first.result.created == ["mixed"]
    assert reconcile(
        manifest, kind.open(options, HostContext()), secret_refs=["ssm:/cronix/e2e"], dry_run=True
    ).plan.noop
    doc["jobs"][0]["schedules"] = SCHEDULES[:3]
    changed = parse_manifest(json.dumps(doc))
    second = reconcile(changed, kind.open(options, HostContext()), secret_refs=["ssm:/cronix/e2e"])
    assert second.result is not None and second.result.updated == ["mixed"]
    backend = kind.open(options, HostContext())
    assert sorted(e.index for e in backend.list_entries()) == [0, 1, 2]
    backend.delete("e2e", "mixed")
    assert backend.list_entries() == []
