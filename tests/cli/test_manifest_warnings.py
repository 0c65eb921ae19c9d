"""Valid jobs that will misbehave get a warning (issue 16 items 16, 17; issue 14's smaller items).

A GET with a body (the upstream SDK never sees it: 401 SignatureMismatch at every fire), a
non-ASCII static header value, a step that leaves one value (``*/61``) and a day that none
of the months has (``0 0 31 2 *``) are valid — the reference accepts them (D-002) — but
``validate``, ``plan`` and ``apply`` say what will happen.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cronix.protocol.advice import job_warnings
from cronix.protocol.manifest import canonical_json, parse_manifest
from tests.reconcile.conftest import REF, Host, job
from tests.support.cli import CRONIX


def _warnings(*schedules: str, **request: object) -> list[str]:
    doc = {"version": 1, "app": "a", "jobs": [job("j", *schedules)]}
    doc["jobs"][0]["request"].update(request)
    return [w.code for w in job_warnings(parse_manifest(json.dumps(doc)).jobs[0])]


@pytest.mark.parametrize(
    ("schedule", "codes"),
    [
        ("*/61 * * * *", ["step_too_large"]),
        ("5/60 * * * *", ["step_too_large"]),
        ("0 */24 * * *", ["step_too_large"]),
        ("0 0 31 2 *", ["never_fires"]),
        ("0 0 30,31 2 *", ["never_fires"]),
        ("0 0 31 4,6,9,11 *", ["never_fires"]),
        ("0 0 31 2 */2", ["never_fires"]),  # day-of-week starts with *: both must match
        ("0 0 29 2 *", []),  # leap years
        ("0 0 31 2 mon", []),  # both restricted: every Monday in February
        ("*/30 */12 * * *", []),
        ("@every 61m", []),
        ("@hourly", []),
    ],
)
def test_schedule_warnings(schedule: str, codes: list[str]) -> None:
    assert _warnings(schedule) == codes


def test_request_warnings() -> None:
    assert _warnings("@hourly", method="GET", body="x") == ["get_with_body"]
    assert _warnings("@hourly", method="GET") == []
    assert _warnings("@hourly", method="POST", body="x") == []
    assert _warnings("@hourly", headers={"X-Note": "😀 ok", "X-Plain": "ok"}) == ["non_ascii_header"]


def _hostile_manifest(host: Host) -> Path:
    ping = job("ping", "0 2 * * mon-fri", "0 6 * * sat,sun")
    ping["request"].update(method="GET", body='{"full": true}', headers={"X-Note": "😀 ok"})
    return host.manifest("billing", ping, job("leap", "*/61 * * * *", "0 0 31 2 *"))


def test_validate_warns_and_still_succeeds(host: Host) -> None:
    m = _hostile_manifest(host)
    result = host.run("validate", str(m), "--next", "2")
    assert result.code == 0, result.err
    warnings = result.err.splitlines()
    assert len(warnings) == 4
    assert all(w.startswith("cronix: warning: billing.") for w in warnings)
    assert any(
        "billing.ping request/body: a GET request has a body" in w and "SignatureMismatch" in w
        for w in warnings
    )
    assert any("billing.ping request/headers/X-Note: header value is not ASCII" in w for w in warnings)
    assert any("billing.leap schedules/0: step in */61" in w and "0 only" in w for w in warnings)
    assert any("billing.leap schedules/1: never fires" in w for w in warnings)
    assert 'schedules=["0 2 * * mon-fri", "0 6 * * sat,sun"]' in result.out
    assert "      0 0 31 2 *: never" in result.out.splitlines()
    doc = host.run("validate", str(m), "-o", "json").json()
    assert sorted(w["code"] for w in doc["warnings"]) == [
        "get_with_body", "never_fires", "non_ascii_header", "step_too_large",
    ]  # fmt: skip
    assert doc["warnings"][0].keys() == {"job", "path", "message", "code"}


def test_plan_and_apply_carry_the_warnings(host: Host) -> None:
    m = _hostile_manifest(host)
    plan = host.plan(m)
    assert plan.code == 0, plan.err
    assert plan.err.count("cronix: warning: billing.") == 4
    doc = host.run(
        "plan", "--manifest", str(m), *host.backend_flags(), "--secret-ref", REF, "-o", "json"
    ).json()
    assert any("never fires" in w for w in doc["warnings"])
    applied = host.apply(m, "--secret-ref", REF)
    assert applied.code == 0 and applied.err.count("SignatureMismatch") == 1


def test_canonical_output_is_byte_exact_into_a_pipe(tmp_path: Path) -> None:
    """``--canonical`` is data: DEL and C1 characters in a body are Go-canonical raw bytes."""
    doc = {"version": 1, "app": "a", "jobs": [job("j", "@hourly")]}
    doc["jobs"][0]["request"]["body"] = "a\x7fb\x85c"
    path = tmp_path / "m.json"
    path.write_text(json.dumps(doc))
    proc = subprocess.run([CRONIX, "validate", "--canonical", str(path)], capture_output=True, check=False)
    assert proc.returncode == 0
    assert proc.stdout == canonical_json(parse_manifest(path.read_bytes())).encode() + b"\n"
