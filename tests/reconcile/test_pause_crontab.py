"""Declared pause on crontab (issue 15 item 5, D-721): ``enabled: false`` comments the entry out.

The entry stays owned (its marker follows it, apply and audits recognise it), cron never
runs it, resuming writes the line back, and a line an operator commented out by hand for
a job the manifest does not pause is drift that apply repairs.
"""

from __future__ import annotations

from tests.reconcile.conftest import BIN, Host, job


def _line(host: Host, name: str) -> str:
    (line,) = [ln for ln in host.crontab.read_text().splitlines() if f"trigger billing.{name}" in ln]
    return line


def test_a_paused_job_is_commented_out_and_still_owned(host: Host) -> None:
    m = host.manifest("billing", job("a", "0 2 * * *", enabled=False), job("b", "0 3 * * *"))
    assert host.apply(m).code == 0
    assert _line(host, "a") == f"# cronix:paused 0 2 * * * {BIN} trigger billing.a"
    assert _line(host, "b") == f"0 3 * * * {BIN} trigger billing.b"
    assert host.plan(m, "-o", "json").json()["noop"]
    listed = host.run("list", *host.backend_flags(), "--spec-dir", str(host.spec_dir), "-o", "json").json()
    rows = {(e["job"], e["paused"], e["next_fire_time"] is None) for e in listed["entries"]}
    assert rows == {("a", True, True), ("b", False, False)}
    assert host.run("verify-ownership", *host.plan_flags()).code == 0


def test_resuming_writes_the_line_back(host: Host) -> None:
    paused = host.manifest("billing", job("a", "0 2 * * *", enabled=False))
    assert host.apply(paused).code == 0
    resumed = host.manifest("billing", job("a", "0 2 * * *"))
    plan = host.plan(resumed, "-o", "json").json()
    assert [(op["action"], op["job"]) for op in plan["ops"]] == [("update", "a")]
    assert host.apply(resumed).code == 0
    assert _line(host, "a") == f"0 2 * * * {BIN} trigger billing.a"


def test_a_pause_made_by_hand_is_drift_and_apply_undoes_it(host: Host) -> None:
    m = host.manifest("billing", job("a", "0 2 * * *"))
    assert host.apply(m).code == 0
    text = host.crontab.read_text()
    host.crontab.write_text(text.replace(f"0 2 * * * {BIN}", f"#0 2 * * * {BIN}"))
    drift = host.drift(m, "--exit-on-drift", "-o", "json")
    assert drift.code == 5
    (op,) = drift.json()["ops"]
    assert op["action"] == "update" and "paused on the backend" in op["reason"]
    assert host.apply(m).code == 0
    assert _line(host, "a") == f"0 2 * * * {BIN} trigger billing.a"
    assert host.plan(m, "-o", "json").json()["noop"]


def test_show_and_validate_say_a_paused_job_does_not_fire(host: Host) -> None:
    m = host.manifest("billing", job("a", "0 2 * * *", enabled=False))
    assert host.apply(m).code == 0
    shown = host.run("show", "billing.a", "--manifest", str(m), *host.plan_flags())
    assert "NEXT 0 2 * * *  paused (enabled: false)" in shown.out
    as_json = host.run("show", "billing.a", "--manifest", str(m), *host.plan_flags(), "-o", "json").json()
    assert as_json["next_fire_times"][0]["times"] == []
    assert [e["paused"] for e in as_json["entries"]] == [True]
    validated = host.run("validate", str(m), "--next", "2")
    assert "0 2 * * *: paused (enabled: false)" in validated.out
