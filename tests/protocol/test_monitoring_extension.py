"""The ``monitoring`` extension (D-700): accepted, carried through spec files, never hashed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cronix.protocol.errors import ManifestInvalid
from cronix.protocol.manifest import Monitoring, canonical_json, parse_manifest
from cronix.protocol.ownership import ownership_hashes
from cronix.protocol.specfile import parse_spec_file, render_spec_file
from cronix.sdk import Cron
from cronix.sdk.errors import JobDefinitionError


def _doc(**job: Any) -> dict[str, Any]:
    base = {
        "name": "report",
        "schedules": ["0 2 * * 1-5", "30 6 * * 6"],
        "request": {"url": "https://a.example/r"},
    }
    return {"version": 1, "app": "billing", "jobs": [{**base, **job}]}


def test_a_grace_never_changes_the_ownership_hash() -> None:
    plain = parse_manifest(json.dumps(_doc())).jobs[0]
    graced = parse_manifest(json.dumps(_doc(monitoring={"start_grace_seconds": 900}))).jobs[0]
    assert graced.monitoring == Monitoring(start_grace_seconds=900)
    assert ownership_hashes(graced) == ownership_hashes(plain)
    assert canonical_json(parse_manifest(json.dumps(_doc()))).find("monitoring") == -1


def test_the_canonical_form_writes_it_last_and_reads_back_the_same() -> None:
    manifest = parse_manifest(
        json.dumps(_doc(monitoring={"run_grace_seconds": 30, "start_grace_seconds": 60}))
    )
    text = canonical_json(manifest)
    assert text.endswith(
        ',"auth":{"secret_refs":[]},"monitoring":{"start_grace_seconds":60,"run_grace_seconds":30}}]}'
    )
    assert parse_manifest(text) == manifest


def test_spec_files_carry_it_so_status_knows_each_jobs_grace() -> None:
    job = parse_manifest(json.dumps(_doc(monitoring={"start_grace_seconds": 120}))).jobs[0]
    spec = parse_spec_file(render_spec_file("billing", job, ["env:S"]))
    assert spec.job.monitoring == Monitoring(120, None)
    assert spec.job == job


def test_a_spec_file_without_it_is_byte_for_byte_what_it_was() -> None:
    job = parse_manifest(json.dumps(_doc())).jobs[0]
    assert "monitoring" not in render_spec_file("billing", job, ["env:S"])
    assert job.monitoring is None


@pytest.mark.parametrize(
    ("monitoring", "path"),
    [
        ({"start_grace_seconds": 0}, "jobs/0/monitoring/start_grace_seconds"),
        ({"run_grace_seconds": True}, "jobs/0/monitoring/run_grace_seconds"),
        ({"start_grace": 5}, "jobs/0/monitoring/start_grace"),
        ([], "jobs/0/monitoring"),
    ],
)
def test_bad_values_are_issues_at_their_path(monitoring: Any, path: str) -> None:
    with pytest.raises(ManifestInvalid) as info:
        parse_manifest(json.dumps(_doc(monitoring=monitoring)))
    assert ["/".join(i.path) for i in info.value.issues] == [path]


def test_the_sdk_declares_it_and_serves_it() -> None:
    cron = Cron(app="billing", base_url="https://billing.internal", secret="s" * 32)
    cron.register("report", lambda ctx: None, schedule="@daily", monitoring={"start_grace_seconds": 600})
    served = json.loads(cron.manifest_json())
    assert served["jobs"][0]["monitoring"] == {"start_grace_seconds": 600}
    with pytest.raises(JobDefinitionError, match="monitoring/run_grace_seconds"):
        cron.register("bad", lambda ctx: None, schedule="@daily", monitoring={"run_grace_seconds": -1})
