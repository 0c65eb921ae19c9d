"""Crontabs written by the reference (Go) CLI: markers without a fence, hashes of reference §2.3."""

from __future__ import annotations

from tests.reconcile.conftest import BIN, Host, job
from tests.reconcile.refhash import normalized_job, reference_hash

# The reference's minimal-job-single-schedule vector and its golden hash (reference §2.3).
MINIMAL = {
    "name": "reconcile-payments",
    "schedule": "*/15 * * * *",
    "request": {"url": "https://billing.internal/api/v1/scheduled/reconcile-payments"},
}
REFERENCE_CRONTAB = (
    "SHELL=/bin/sh\n"
    "17 * * * * root cd / && run-parts --report /etc/cron.hourly\n"
    f"*/15 * * * * {BIN} trigger billing-service.reconcile-payments\n"
    "# cronix:owned app=billing-service job=reconcile-payments hash=21c1b02a51242d12 idx=0\n"
)


def test_reference_crontab_plans_as_a_noop_and_is_not_rewritten(host: Host) -> None:
    host.crontab.write_text(REFERENCE_CRONTAB)
    m = host.manifest("billing-service", MINIMAL)
    host.record_specs(m)  # the reference's apply wrote them, byte for byte what we write
    plan = host.plan(m, "-o", "json")
    assert plan.code == 0, plan.err
    doc = plan.json()
    assert doc["noop"] is True
    assert doc["ops"][0]["old_hashes"] == ["21c1b02a51242d12"]
    before = host.crontab.stat().st_mtime_ns
    assert host.apply(m).code == 0
    assert host.crontab.stat().st_mtime_ns == before
    assert host.crontab.read_text() == REFERENCE_CRONTAB


def test_reference_plan_example_hashes(host: Host) -> None:
    # reference §5.2.1: ping (@hourly) to create, pong (@daily) already installed by the Go CLI
    host.crontab.write_text(
        f"0 0 * * * {BIN} trigger billing.pong\n"
        "# cronix:owned app=billing job=pong hash=e090e685f0de1edc idx=0\n"
    )
    m = host.manifest("billing", job("ping", "@hourly"), job("pong", "@daily"))
    host.record_specs(host.manifest("billing", job("pong", "@daily"), name="installed.json"))
    doc = host.plan(m, "-o", "json").json()
    assert [(o["action"], o["job"], o["old_hashes"], o["new_hashes"]) for o in doc["ops"]] == [
        ("create", "ping", [], ["b4d36b09619ce838"]),
        ("skip", "pong", ["e090e685f0de1edc"], ["e090e685f0de1edc"]),
    ]
    assert host.plan(m).out.splitlines()[-1] == "Plan: 1 to create, 0 to update, 0 to delete; 1 in sync."


def test_reference_entries_move_into_the_block_on_the_next_write(host: Host) -> None:
    host.crontab.write_text(REFERENCE_CRONTAB)
    m = host.manifest("billing-service", MINIMAL, job("other", "@daily"))
    assert host.apply(m).code == 0
    OTHER_HASH = reference_hash(
        normalized_job("other", ["@daily"], "https://billing.example.com/api/v1/scheduled/other"), 0
    )
    assert host.crontab.read_text() == (
        "SHELL=/bin/sh\n"
        "17 * * * * root cd / && run-parts --report /etc/cron.hourly\n"
        "# BEGIN cronix-managed\n"
        "# Managed by cronix apply: hand edits here are reported as drift and overwritten.\n"
        f"*/15 * * * * {BIN} trigger billing-service.reconcile-payments\n"
        "# cronix:owned app=billing-service job=reconcile-payments hash=21c1b02a51242d12 idx=0\n"
        f"0 0 * * * {BIN} trigger billing-service.other\n"
        f"# cronix:owned app=billing-service job=other hash={OTHER_HASH} idx=0\n"
        "# END cronix-managed\n"
    )


def test_reference_spelling_of_names_is_not_drift(host: Host) -> None:
    # The Go CLI writes schedules verbatim ("mon-fri"); cronix writes numbers. Same schedule.
    sched = "0 9 * * mon-fri"
    m = host.manifest("ops", job("watch", sched))
    h = reference_hash(
        normalized_job("watch", [sched], "https://billing.example.com/api/v1/scheduled/watch"), 0
    )
    host.crontab.write_text(
        f"{sched} {BIN} trigger ops.watch\n# cronix:owned app=ops job=watch hash={h} idx=0\n"
    )
    host.record_specs(m)
    assert host.plan(m, "-o", "json").json()["noop"] is True


def test_independent_hash_reproduces_the_reference_golden_values() -> None:
    minimal = normalized_job(
        "reconcile-payments", ["*/15 * * * *"], "https://billing.internal/api/v1/scheduled/reconcile-payments"
    )
    assert reference_hash(minimal, 0) == "21c1b02a51242d12"
    ping = normalized_job("ping", ["@hourly"], "https://billing.example.com/api/v1/scheduled/ping")
    assert reference_hash(ping, 0) == "b4d36b09619ce838"
