"""The aws-scheduler backend against a real moto_server: apply, no-op, update, delete, drift, listing.

Every test drives the real reconciler (:func:`cronix.reconcile.reconcile`) and checks what
landed in EventBridge by reading it back with an independent boto3 client, and which API
calls cronix made by hooking the backend's own client.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cronix.backends.base import DRIFT_SENTINEL, FireSpec, HostContext
from cronix.backends.registry import backend_type
from cronix.errors import BackendError
from cronix.protocol.manifest import Manifest, parse_manifest
from cronix.protocol.ownership import ownership_hashes
from cronix.protocol.specfile import parse_spec_file
from cronix.reconcile import ApplyFailed, reconcile
from tests.aws.conftest import ROLE_ARN, TARGET_ARN, Calls, Moto

REFS = ["ssm:/cronix/billing/secret"]


def manifest(app: str = "billing", **jobs: Any) -> Manifest:
    docs = [
        {"name": name, "request": {"url": f"https://billing.example.com/cron/{name}"}, **spec}
        for name, spec in (jobs or {"nightly": {"schedule": "0 2 * * *"}}).items()
    ]
    return parse_manifest(json.dumps({"version": 1, "app": app, "jobs": docs}))


def open_aws(aws: Moto, **options: Any) -> Any:
    kind = backend_type("aws-scheduler")
    assert kind is not None
    return kind.open(aws.options(**options), HostContext())


def schedules(aws: Moto, group: str = "default") -> dict[str, dict[str, Any]]:
    reader = aws.client("scheduler")
    names = [
        s["Name"]
        for page in reader.get_paginator("list_schedules").paginate(GroupName=group)
        for s in page["Schedules"]
    ]
    out = {n: reader.get_schedule(Name=n, GroupName=group) for n in names}
    for doc in out.values():
        doc.pop("ResponseMetadata")
    return out


def test_apply_writes_one_schedule_per_index_with_every_field(aws: Moto) -> None:
    m = manifest(
        report={"schedules": ["0 9 * * 1-5", "@every 15m"], "timezone": "Europe/Berlin"},
    )
    backend = open_aws(aws, dead_letter_arn="arn:aws:sqs:us-east-1:123456789012:cronix-dlq", retry_attempts=4)
    outcome = reconcile(m, backend, secret_refs=REFS)
    assert outcome.result is not None and outcome.result.created == ["report"]
    found = schedules(aws)
    assert sorted(found) == ["cronix-billing-report-0", "cronix-billing-report-1"]
    hashes = ownership_hashes(m.jobs[0])
    fire = FireSpec.build("billing", m.jobs[0], REFS)
    for i, (expression, tz) in enumerate(
        [("cron(0 9 ? * MON-FRI *)", "Europe/Berlin"), ("cron(0/15 * * * ? *)", "UTC")]
    ):
        s = found[f"cronix-billing-report-{i}"]
        assert s["Description"] == f"cronix-managed app=billing job=report idx={i} hash={hashes[i]}"
        assert (s["ScheduleExpression"], s["ScheduleExpressionTimezone"]) == (expression, tz)
        assert s["FlexibleTimeWindow"] == {"Mode": "OFF"}
        assert s["State"] == "ENABLED"
        target = s["Target"]
        assert (target["Arn"], target["RoleArn"]) == (TARGET_ARN, ROLE_ARN)
        # The spec, and the occurrence EventBridge fills in on every invocation (D-724).
        assert (
            target["Input"] == fire.spec_json(i)[:-1] + ',"scheduled_time":"<aws.scheduler.scheduled-time>"}'
        )
        spec = parse_spec_file(target["Input"])
        assert (spec.app, spec.job.name, spec.schedule_index, spec.secret_refs) == (
            "billing",
            "report",
            i,
            tuple(REFS),
        )
        assert target["RetryPolicy"] == {"MaximumRetryAttempts": 4, "MaximumEventAgeInSeconds": 3600}
        assert target["DeadLetterConfig"] == {"Arn": "arn:aws:sqs:us-east-1:123456789012:cronix-dlq"}
    assert [w for w in outcome.warnings if "rate(" in w] == []  # @every 15m is an exact cron()


def test_a_second_apply_writes_nothing_and_reads_each_schedule_once(aws: Moto) -> None:
    m = manifest(a={"schedule": "0 1 * * *"}, b={"schedules": ["0 2 * * *", "30 3 * * 0"]})
    reconcile(m, open_aws(aws), secret_refs=REFS)
    backend = open_aws(aws)
    calls = Calls(backend.client)
    outcome = reconcile(m, backend, secret_refs=REFS)
    assert outcome.plan.noop and outcome.result is not None and outcome.result.noop
    assert calls.writes == []
    assert calls.count("ListSchedules") == 1
    assert calls.count("GetSchedule") == 3
    assert calls.count("GetScheduleGroup") == 1  # the prerequisite check, once


def test_a_changed_job_is_updated_in_place_and_lost_indices_deleted(aws: Moto) -> None:
    reconcile(
        manifest(a={"schedules": ["0 1 * * *", "0 2 * * *", "0 3 * * *"]}, b={"schedule": "0 4 * * *"}),
        open_aws(aws),
        secret_refs=REFS,
    )
    before = schedules(aws)
    backend = open_aws(aws)
    calls = Calls(backend.client)
    changed = manifest(
        a={"schedules": ["15 1 * * *", "0 2 * * *"], "timezone": "America/New_York"},
        b={"schedule": "0 4 * * *"},
    )
    outcome = reconcile(changed, backend, secret_refs=REFS)
    assert outcome.result is not None and outcome.result.updated == ["a"]
    assert calls.writes == ["UpdateSchedule", "UpdateSchedule", "DeleteSchedule"]
    after = schedules(aws)
    assert sorted(after) == ["cronix-billing-a-0", "cronix-billing-a-1", "cronix-billing-b-0"]
    assert after["cronix-billing-a-0"]["ScheduleExpression"] == "cron(15 1 * * ? *)"
    assert after["cronix-billing-a-0"]["ScheduleExpressionTimezone"] == "America/New_York"
    assert after["cronix-billing-b-0"] == before["cronix-billing-b-0"]  # the other job untouched
    assert after["cronix-billing-a-0"]["CreationDate"] == before["cronix-billing-a-0"]["CreationDate"]
    grown = manifest(
        a={"schedules": ["15 1 * * *", "0 2 * * *", "0 5 * * *"], "timezone": "America/New_York"},
        b={"schedule": "0 4 * * *"},
    )
    calls.clear()
    reconcile(grown, backend, secret_refs=REFS)
    assert calls.writes == ["UpdateSchedule", "UpdateSchedule", "CreateSchedule"]


def test_jobs_gone_from_the_manifest_are_deleted_and_other_apps_untouched(aws: Moto) -> None:
    reconcile(
        manifest(a={"schedule": "0 1 * * *"}, b={"schedule": "0 2 * * *"}), open_aws(aws), secret_refs=REFS
    )
    reconcile(manifest("shop", a={"schedule": "0 1 * * *"}), open_aws(aws), secret_refs=REFS)
    outcome = reconcile(manifest(b={"schedule": "0 2 * * *"}), open_aws(aws), secret_refs=REFS)
    assert outcome.result is not None and outcome.result.deleted == ["a"]
    assert sorted(schedules(aws)) == ["cronix-billing-b-0", "cronix-shop-a-0"]


def test_a_hand_edited_expression_is_drift_and_apply_restores_it(aws: Moto) -> None:
    m = manifest(a={"schedule": "0 1 * * *"})
    reconcile(m, open_aws(aws), secret_refs=REFS)
    editor = aws.client("scheduler")
    live = editor.get_schedule(Name="cronix-billing-a-0")
    editor.update_schedule(
        Name=live["Name"],
        ScheduleExpression="cron(0 7 * * ? *)",
        ScheduleExpressionTimezone=live["ScheduleExpressionTimezone"],
        Description=live["Description"],
        FlexibleTimeWindow=live["FlexibleTimeWindow"],
        Target=live["Target"],
    )
    backend = open_aws(aws)
    (entry,) = backend.list_entries()
    assert entry.hash == DRIFT_SENTINEL
    plan = reconcile(m, backend, dry_run=True, secret_refs=REFS).plan
    assert [(op.action, op.reason) for op in plan.ops] == [("update", "edited by hand")]
    reconcile(m, open_aws(aws), secret_refs=REFS)
    assert schedules(aws)["cronix-billing-a-0"]["ScheduleExpression"] == "cron(0 1 * * ? *)"
    # With the refs apply used: a plan without them would (rightly) rewrite the Input's refs.
    assert reconcile(m, open_aws(aws), secret_refs=REFS, dry_run=True).plan.noop


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(
            lambda t: {**t, "Arn": "arn:aws:lambda:us-east-1:123456789012:function:other"}, id="target"
        ),
        pytest.param(
            lambda t: {**t, "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}},
            id="retry",
        ),
        pytest.param(lambda t: {**t, "Input": t["Input"].replace("https://", "http://")}, id="input"),
    ],
)
def test_other_hand_edits_fail_the_content_check(aws: Moto, edit: Any) -> None:
    m = manifest(a={"schedule": "0 1 * * *"})
    reconcile(m, open_aws(aws), secret_refs=REFS)
    editor = aws.client("scheduler")
    live = editor.get_schedule(Name="cronix-billing-a-0")
    editor.update_schedule(
        Name=live["Name"],
        ScheduleExpression=live["ScheduleExpression"],
        ScheduleExpressionTimezone=live["ScheduleExpressionTimezone"],
        Description=live["Description"],
        FlexibleTimeWindow=live["FlexibleTimeWindow"],
        Target=edit(live["Target"]),
    )
    plan = reconcile(m, open_aws(aws), dry_run=True, secret_refs=REFS).plan
    assert [(op.action, op.reason) for op in plan.ops] == [("update", "edited by hand")]


def test_listing_follows_pages_beyond_the_first(aws: Moto) -> None:
    """cronix asks for pages of 100 (the API's maximum): 102 schedules take two pages."""
    m = manifest(**{f"job-{n:02d}": {"schedules": ["0 1 * * *", "0 2 * * *"]} for n in range(51)})
    reconcile(m, open_aws(aws), secret_refs=REFS)
    backend = open_aws(aws)
    calls = Calls(backend.client)
    entries = backend.list_entries()
    assert len(entries) == 102
    assert calls.count("ListSchedules") == 2  # two pages of one paginated listing
    assert reconcile(m, backend, secret_refs=REFS, dry_run=True).plan.noop


def test_a_missing_group_is_a_clear_error_unless_cronix_may_create_it(aws: Moto) -> None:
    m = manifest()
    with pytest.raises(
        BackendError, match=r"schedule group nightly-jobs does not exist: create it .*create_group: true"
    ):
        reconcile(m, open_aws(aws, schedule_group="nightly-jobs"), secret_refs=REFS)
    reader = aws.client("scheduler")
    assert [g["Name"] for g in reader.list_schedule_groups()["ScheduleGroups"]] == ["default"]
    outcome = reconcile(m, open_aws(aws, schedule_group="nightly-jobs", create_group=True), secret_refs=REFS)
    assert any("does not exist yet; apply creates it" in w for w in outcome.warnings)
    group = reader.get_schedule_group(Name="nightly-jobs")
    assert reader.list_tags_for_resource(ResourceArn=group["Arn"])["Tags"] == [
        {"Key": "managed-by", "Value": "cronix"}
    ]
    assert sorted(schedules(aws, "nightly-jobs")) == ["cronix-billing-nightly-0"]
    # A second apply finds the group and its schedule (it is not re-created, which would empty it).
    assert reconcile(
        m, open_aws(aws, schedule_group="nightly-jobs", create_group=True), secret_refs=REFS
    ).plan.noop


def test_validation_names_what_eventbridge_cannot_do(aws: Moto) -> None:
    backend = open_aws(aws)
    long_job = "j" + "x" * 50
    m = manifest(
        **{
            "either": {"schedule": "0 0 1 * 1"},
            "seconds": {"schedule": "@every 90s"},
            long_job: {"schedule": "0 0 * * *"},
        }
    )
    from cronix.reconcile import BackendInvalid

    with pytest.raises(BackendInvalid) as caught:
        reconcile(m, backend, dry_run=True, secret_refs=REFS)
    text = str(caught.value)
    assert "billing.either schedules/0: both day fields are restricted" in text
    assert 'Split it into two schedules: "0 0 1 * *" and "0 0 * * 1"' in text
    assert "billing.seconds schedules/0: EventBridge Scheduler fires at minute precision" in text
    assert f'name: schedule name "cronix-billing-{long_job}-0" has 68 characters, over EventBridge' in text


def test_rate_and_dst_differences_are_plan_warnings(aws: Moto) -> None:
    m = manifest(
        slow={"schedule": "@every 90m"}, berlin={"schedule": "30 2 * * *", "timezone": "Europe/Berlin"}
    )
    outcome = reconcile(m, open_aws(aws), dry_run=True, secret_refs=REFS)
    assert any(
        'billing.slow schedules/0: "@every 90m" becomes rate(90 minutes)' in w for w in outcome.warnings
    )
    assert any(
        "billing.berlin schedules/0: EventBridge skips times in a spring-forward gap" in w
        for w in outcome.warnings
    )
    reconcile(m, open_aws(aws), secret_refs=REFS)
    assert schedules(aws)["cronix-billing-slow-0"]["ScheduleExpression"] == "rate(90 minutes)"


def test_a_name_taken_by_a_schedule_cronix_does_not_own_is_never_overwritten(aws: Moto) -> None:
    aws.client("scheduler").create_schedule(
        Name="cronix-billing-nightly-0",
        ScheduleExpression="cron(0 5 * * ? *)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": TARGET_ARN, "RoleArn": ROLE_ARN, "Input": "{}"},
    )
    with pytest.raises(
        ApplyFailed,
        match=r"already exists and is not billing\.nightly's \(it has no cronix-managed marker.*cronix adopt billing\.nightly",
    ):
        reconcile(manifest(), open_aws(aws), secret_refs=REFS)
    assert schedules(aws)["cronix-billing-nightly-0"]["ScheduleExpression"] == "cron(0 5 * * ? *)"


def test_a_raw_secret_ref_is_never_stored_in_a_schedule(aws: Moto) -> None:
    with pytest.raises(ApplyFailed, match="raw: secret ref"):
        reconcile(manifest(), open_aws(aws), secret_refs=["raw:hunter2"])
    assert schedules(aws) == {}


def test_prerequisites_name_the_missing_arns(aws: Moto) -> None:
    kind = backend_type("aws-scheduler")
    assert kind is not None
    backend = kind.open({"endpoint_url": aws.url}, HostContext())
    problems = {d.path: d.message for d in backend.check() if d.severity == "error"}
    assert problems["target_arn"].startswith("target_arn is required")
    assert problems["role_arn"].startswith("role_arn is required")


def test_an_unreachable_endpoint_is_one_line(aws: Moto) -> None:
    from tests.support.procs import free_port

    backend = open_aws(aws, endpoint_url=f"http://127.0.0.1:{free_port()}", api_max_attempts=1)
    (problem,) = [d for d in backend.check() if d.severity == "error"]
    assert problem.message.startswith(
        "cannot reach EventBridge Scheduler: aws-scheduler: get schedule group default:"
    )
    assert "\n" not in problem.message


def test_without_boto3_the_extra_is_named(aws: Moto, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from cronix.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 now raises ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install 'cronix-py\[aws\]'"):
        open_aws(aws)


def test_read_only_commands_need_no_arns(aws: Moto) -> None:
    """Issue 16 item 22: listing needs no Lambda or role; only writes do."""
    kind = backend_type("aws-scheduler")
    assert kind is not None
    backend = kind.open({"endpoint_url": aws.url}, HostContext(read_only=True))
    assert [
        d for d in backend.check() if d.severity == "error" and d.path in ("target_arn", "role_arn")
    ] == []


def test_a_changed_secret_ref_reaches_existing_schedules(aws: Moto) -> None:
    """The hash covers the job, not the operator's refs: the Input must follow the refs anyway."""
    reconcile(manifest(), open_aws(aws), secret_refs=REFS)
    rotated = ["secretsmanager:cronix/billing"]
    backend = open_aws(aws)
    plan = reconcile(manifest(), backend, secret_refs=rotated, dry_run=True).plan
    assert [(op.action, op.reason) for op in plan.ops] == [
        ("update", "trigger spec changed (secret refs or fire strategy)")
    ]
    reconcile(manifest(), open_aws(aws), secret_refs=rotated)
    (doc,) = schedules(aws).values()
    assert parse_spec_file(doc["Target"]["Input"]).secret_refs == tuple(rotated)
    assert reconcile(manifest(), open_aws(aws), secret_refs=rotated, dry_run=True).plan.noop


def test_a_declared_pause_is_disabled_and_an_undeclared_one_is_drift(aws: Moto) -> None:
    """Issue 15 item 5 (D-721): ``enabled: false`` writes ``State: DISABLED``; a schedule
    disabled in the console for a job the manifest runs is drift, and apply enables it."""
    from cronix.reconcile import compute_plan

    paused = manifest(nightly={"schedule": "0 2 * * *", "enabled": False})
    reconcile(paused, open_aws(aws), secret_refs=REFS)
    (doc,) = schedules(aws).values()
    assert doc["State"] == "DISABLED"
    assert [e.paused for e in open_aws(aws).list_entries()] == [True]
    assert compute_plan(open_aws(aws), paused).noop
    running = manifest()
    reconcile(running, open_aws(aws), secret_refs=REFS)
    (doc,) = schedules(aws).values()
    assert doc["State"] == "ENABLED"
    reader = aws.client("scheduler")
    live = reader.get_schedule(Name="cronix-billing-nightly-0")
    reader.update_schedule(
        Name=live["Name"],
        GroupName=live["GroupName"],
        ScheduleExpression=live["ScheduleExpression"],
        ScheduleExpressionTimezone=live["ScheduleExpressionTimezone"],
        Description=live["Description"],
        FlexibleTimeWindow=live["FlexibleTimeWindow"],
        Target=live["Target"],
        State="DISABLED",
    )
    (op,) = compute_plan(open_aws(aws), running).ops
    assert op.action == "update" and "paused on the backend" in op.reason
    reconcile(running, open_aws(aws), secret_refs=REFS)
    (doc,) = schedules(aws).values()
    assert doc["State"] == "ENABLED"


def test_jitter_is_eventbridges_flexible_window(aws: Moto) -> None:
    """Issue 15 item 6 (D-723): EventBridge spreads the start itself; the Lambda does not wait."""
    m = manifest(nightly={"schedule": "0 2 * * *", "policy": {"jitter_seconds": 90}})
    reconcile(m, open_aws(aws), secret_refs=REFS)
    (doc,) = schedules(aws).values()
    assert doc["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 2}
    from cronix.reconcile import compute_plan

    assert compute_plan(open_aws(aws), m).noop
