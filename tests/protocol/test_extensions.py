"""The two manifest extensions, ``enabled`` (D-720) and ``policy.jitter_seconds`` (D-722).

A job that does not use them keeps the reference's canonical bytes and ownership hash (the
vectors check the bytes; here the hash against the independent implementation); a job
that does travels through spec files and the SDK unchanged, and pausing changes the hash,
so an apply rewrites the entry.
"""

from __future__ import annotations

import json

import pytest

from cronix.protocol.errors import ManifestInvalid
from cronix.protocol.manifest import Job, load_manifest_object
from cronix.protocol.ownership import ownership_hash
from cronix.protocol.specfile import parse_spec_file, render_spec_file
from cronix.sdk import Cron
from tests.reconcile.refhash import normalized_job, reference_hash

URL = "https://billing.example/api/v1/scheduled/nightly"


def _job(**extra: object) -> dict[str, object]:
    return {"name": "nightly", "schedule": "0 2 * * *", "request": {"url": URL}, **extra}


def _load(**extra: object) -> Job:
    return load_manifest_object({"version": 1, "app": "billing", "jobs": [_job(**extra)]}).jobs[0]


@pytest.mark.parametrize(
    "extra", [{}, {"enabled": True}, {"enabled": None}, {"policy": {"jitter_seconds": 0}}]
)
def test_a_job_without_extensions_has_the_reference_hash(extra: dict[str, object]) -> None:
    job = _load(**extra)
    assert ownership_hash(job, 0) == reference_hash(normalized_job("nightly", ["0 2 * * *"], URL), 0)


def test_pausing_or_jitter_changes_the_hash() -> None:
    plain = ownership_hash(_load(), 0)
    assert ownership_hash(_load(enabled=False), 0) != plain
    assert ownership_hash(_load(policy={"jitter_seconds": 30}), 0) != plain


def test_spec_files_carry_both_extensions() -> None:
    job = _load(enabled=False, policy={"jitter_seconds": 45})
    text = render_spec_file("billing", job, ["file:/etc/cronix/secret"])
    doc = json.loads(text)
    assert doc["job"]["enabled"] is False and doc["job"]["policy"]["jitter_seconds"] == 45
    back = parse_spec_file(text).job
    assert back == job and not back.enabled and back.policy.jitter_seconds == 45


def test_a_spec_file_of_the_reference_reads_as_enabled_without_jitter() -> None:
    plain = render_spec_file("billing", _load(), None)
    job = parse_spec_file(plain).job
    assert job.enabled and job.policy.jitter_seconds == 0


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ({"enabled": "no"}, "jobs/0/enabled"),
        ({"policy": {"jitter_seconds": 3601}}, "jobs/0/policy/jitter_seconds"),
        ({"policy": {"jitter_seconds": -5}}, "jobs/0/policy/jitter_seconds"),
    ],
)
def test_bad_values_are_issues_with_their_path(extra: dict[str, object], path: str) -> None:
    with pytest.raises(ManifestInvalid) as info:
        _load(**extra)
    assert [i.location for i in info.value.issues] == [path]


def test_the_sdk_declares_a_paused_job_with_jitter() -> None:
    cron = Cron(app="billing", secret="s" * 32, base_url="https://billing.example")

    @cron.job("nightly", schedule="0 2 * * *", enabled=False, policy={"jitter_seconds": 60})
    def nightly(ctx: object) -> None:
        return None

    job = json.loads(cron.manifest_json())["jobs"][0]
    assert job["enabled"] is False and job["policy"]["jitter_seconds"] == 60
