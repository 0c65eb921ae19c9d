"""apply / plan / drift on a real crontab file: writes, no-writes, mode, owner, drift, deletes."""

from __future__ import annotations

import json
import os
import pwd
import stat

import pytest

from cronix.protocol.manifest import Job
from tests.reconcile.conftest import BIN, REF, Host, another_cronix, job

PING = job("ping", "@hourly")
PONG = job("pong", "@daily")


def test_apply_creates_the_block_then_a_second_apply_writes_nothing(host: Host) -> None:
    m = host.manifest("billing", PING, PONG)
    first = host.apply(m)
    assert first.code == 0, first.err
    assert "created=2" in first.out
    text = host.crontab.read_text()
    assert f"0 * * * * {BIN} trigger billing.ping\n" in text
    assert "# cronix:owned app=billing job=ping hash=b4d36b09619ce838 idx=0\n" in text
    assert "# cronix:owned app=billing job=pong hash=e090e685f0de1edc idx=0\n" in text
    assert stat.S_IMODE(host.crontab.stat().st_mode) == 0o644
    before = host.crontab.stat()
    spec_before = {p.name: p.stat().st_mtime_ns for p in host.spec_dir.iterdir()}
    second = host.apply(m)
    assert second.code == 0
    assert second.out.startswith("Apply: noop")
    after = host.crontab.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    assert {p.name: p.stat().st_mtime_ns for p in host.spec_dir.iterdir()} == spec_before


def test_spec_files_shape_mode_and_removal(host: Host) -> None:
    m = host.manifest("billing", PING, PONG)
    assert host.apply(m, "--secret-ref", "env:CRON_SECRET").code == 0
    spec = host.spec_dir / "billing.ping.json"
    assert stat.S_IMODE(spec.stat().st_mode) == 0o640
    doc = json.loads(spec.read_text())
    assert doc["app"] == "billing"
    assert doc["job"]["schedules"] == ["@hourly"]
    assert doc["secret_refs"] == ["env:CRON_SECRET"]
    assert doc["schedule_index"] == 0
    assert not spec.read_text().endswith("\n")
    m2 = host.manifest("billing", PING)
    result = host.apply(m2, "--secret-ref", "env:CRON_SECRET")
    assert result.code == 0
    assert "deleted=1" in result.out
    assert sorted(p.name for p in host.spec_dir.iterdir()) == ["billing.ping.json"]
    assert "billing.pong" not in host.crontab.read_text()


def test_no_secret_ref_is_refused_before_anything_is_written(host: Host) -> None:
    """Issue 16 item 21: ``"secret_refs": null`` in a spec file makes every fire exit 3."""
    m = host.manifest("billing", PING)
    for command in (["apply", *host.apply_flags()], ["plan", *host.plan_flags()]):
        result = host.run(command[0], "--manifest", str(m), *command[1:])
        assert result.code == 2, result.err
        assert "no secret ref for billing" in result.err
        assert "--secret-ref file:" in result.err
        assert len(result.err.strip().splitlines()) == 1
    assert not host.crontab.exists()
    assert not host.spec_dir.exists()


def test_the_spec_file_records_the_refs(host: Host) -> None:
    assert host.apply(host.manifest("billing", PING)).code == 0
    assert json.loads((host.spec_dir / "billing.ping.json").read_text())["secret_refs"] == [REF]


def test_an_env_ref_on_a_host_backend_is_a_plan_warning(host: Host) -> None:
    """Issue 14 item 1: cron's environment has no CRON_SECRET; say so, and what to use."""
    m = host.manifest("billing", PING)
    result = host.run("plan", "--manifest", str(m), *host.plan_flags(), "--secret-ref", "env:CRON_SECRET")
    assert result.code == 0
    warnings = [line for line in result.err.splitlines() if "env:CRON_SECRET" in line]
    assert len(warnings) == 1, result.err
    assert "scheduler's environment" in warnings[0]
    assert "use file:" in warnings[0]
    applied = host.run(
        "apply", "--manifest", str(m), *host.apply_flags(), "--secret-ref", "env:CRON_SECRET,env:OLD_SECRET"
    )
    assert applied.code == 0
    assert sum("env:CRON_SECRET" in line for line in applied.err.splitlines()) == 1
    assert sum("env:OLD_SECRET" in line for line in applied.err.splitlines()) == 1
    quiet = host.run("plan", "--manifest", str(m), *host.plan_flags(), "--secret-ref", REF)
    assert "scheduler's environment" not in quiet.err


def test_raw_secret_refs_are_refused_for_apply(host: Host) -> None:
    result = host.apply(host.manifest("billing", PING), "--secret-ref", "raw:hunter2")
    assert result.code == 2
    assert "hunter2" not in result.err + result.out
    assert not host.crontab.exists()


def test_mode_and_owner_are_preserved(host: Host) -> None:
    host.crontab.write_text("# mine\n")
    os.chmod(host.crontab, 0o600)
    nobody = pwd.getpwnam("nobody")
    os.chown(host.crontab, nobody.pw_uid, nobody.pw_gid)
    assert host.apply(host.manifest("billing", PING)).code == 0
    st = host.crontab.stat()
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert (st.st_uid, st.st_gid) == (nobody.pw_uid, nobody.pw_gid)
    assert host.crontab.read_text().startswith("# mine\n# BEGIN cronix-managed\n")


def test_other_apps_entries_are_never_touched(host: Host) -> None:
    assert host.apply(host.manifest("other", job("keep", "5 5 * * *"))).code == 0
    assert host.apply(host.manifest("billing", PING)).code == 0
    assert host.apply(host.manifest("billing", PONG)).code == 0
    text = host.crontab.read_text()
    assert "trigger other.keep" in text
    assert "trigger billing.pong" in text
    assert "trigger billing.ping" not in text


def test_plan_orders_ops_and_shows_reference_hashes(host: Host) -> None:
    assert host.apply(host.manifest("billing", PONG, job("zeta"), job("alpha"))).code == 0
    plan = host.plan(host.manifest("billing", PING, PONG), "-o", "json")
    assert plan.code == 0
    doc = plan.json()
    assert [(o["action"], o["job"]) for o in doc["ops"]] == [
        ("create", "ping"),
        ("skip", "pong"),
        ("delete", "alpha"),
        ("delete", "zeta"),
    ]
    assert doc["ops"][0]["new_hashes"] == ["b4d36b09619ce838"]
    assert doc["ops"][1]["old_hashes"] == ["e090e685f0de1edc"]
    assert doc["noop"] is False
    assert doc["summary"] == {"create": 1, "update": 0, "delete": 2, "skip": 1}
    table = host.plan(host.manifest("billing", PING, PONG))
    assert "  + billing.ping  (new job)" in table.out
    assert "  - billing.alpha  (not in the manifest)" in table.out
    assert "pong" not in table.out
    assert table.out.splitlines()[-1] == "Plan: 1 to create, 0 to update, 2 to delete; 1 in sync."


def test_hand_edited_schedule_line_is_drift_and_apply_repairs_it(host: Host) -> None:
    m = host.manifest("billing", PING)
    assert host.apply(m).code == 0
    original = host.crontab.read_text()
    host.crontab.write_text(original.replace("0 * * * * /", "7 * * * * /"))
    drift = host.drift(m, "--exit-on-drift")
    assert drift.code == 5
    assert "edited by hand" in drift.out
    assert "drift detected" in drift.err
    assert host.apply(m).code == 0
    assert host.crontab.read_text() == original


def test_changing_trigger_bin_rewrites_the_lines(host: Host) -> None:
    m = host.manifest("billing", PING)
    assert host.apply(m).code == 0
    other = another_cronix(host.root / "opt" / "cronix" / "bin" / "cronix")
    result = host.apply(m, "--trigger-bin", other)
    assert result.code == 0
    assert "updated=1" in result.out
    assert f"0 * * * * {other} trigger billing.ping" in host.crontab.read_text()


def test_system_format_has_a_user_field(host: Host) -> None:
    m = host.manifest("billing", PING)
    assert host.apply(m, "--crontab-format", "system", "--crontab-run-as", "daemon").code == 0
    assert f"0 * * * * daemon {BIN} trigger billing.ping\n" in host.crontab.read_text()
    assert host.plan(m, "--crontab-format", "system", "--crontab-run-as", "daemon", "-o", "json").json()[
        "noop"
    ]
    # switching the format is a visible change, not silent drift
    assert host.plan(m, "-o", "json").json()["ops"][0]["reason"] == "edited by hand"


@pytest.mark.parametrize(
    ("path", "user_field"),
    [
        ("/etc/crontab", "root"),
        ("/etc/cron.d/cronix", "root"),
        ("/var/spool/cron/crontabs/x", None),
        ("/tmp/ct", None),
    ],
)
def test_line_format_follows_the_target(path: str, user_field: str | None) -> None:
    from cronix.backends.crontab import CrontabBackend, CrontabOptions

    assert CrontabBackend(CrontabOptions(path=path)).user_field == user_field


def test_cron_d_file_with_a_dot_is_refused(host: Host) -> None:
    from cronix.backends.crontab import CrontabBackend, CrontabOptions

    problems = CrontabBackend(CrontabOptions(path="/etc/cron.d/cronix.tab")).check()
    assert any(d.code == "ignored_by_cron" and d.severity == "error" for d in problems)


def test_a_job_in_another_zone_installs_a_guarded_union_line(host: Host) -> None:
    """Issue 14 item 3: one job in America/New_York made ``plan`` fail for the whole app on Debian
    cron. Now it installs at the host times that can be its occurrences, guarded (D-725)."""
    m = host.manifest(
        "billing",
        job("a", "@every 7m"),
        job("b", "30 7 * * *", tz="America/New_York"),
        job("c", "@hourly", tz="Etc/UTC"),
    )
    result = host.apply(m, "--crontab-run-as", "root")
    assert result.code == 1
    assert result.err.count("\n") == 1  # one line
    assert "billing.a schedules/0: crontab cannot express" in result.err
    assert "billing.b" not in result.err and "billing.c" not in result.err
    assert not host.crontab.exists()
    m = host.manifest(
        "billing", job("b", "30 7 * * *", tz="America/New_York"), job("c", "@hourly", tz="Etc/UTC")
    )
    result = host.apply(m)
    assert result.code == 0, result.err
    text = host.crontab.read_text()
    # 07:30 in New York is 11:30 UTC in summer (EDT) and 12:30 UTC in winter (EST).
    assert f"30 11,12 * * * {BIN} trigger billing.b --guard 0\n" in text
    assert f"0 * * * * {BIN} trigger billing.c\n" in text  # Etc/UTC has the host's rules: no guard
    assert "CRON_TZ" not in text
    assert host.plan(m, "-o", "json").json()["noop"]


def test_show_prints_the_times_the_guarded_line_really_fires(host: Host) -> None:
    """Issue 14 item 3: ``show`` printed 07:30 New York for a line that fired 07:30 UTC. Every
    time it prints now is a minute the installed line matches on the host's clock and the
    trigger's guard passes: the job's own local times."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from cronix.protocol.firetimes import fire_times
    from cronix.protocol.manifest import Request
    from cronix.trigger.guard import guarded_occurrence

    m = host.manifest("billing", job("b", "30 7 * * *", tz="America/New_York"))
    assert host.apply(m, "--crontab-host-timezone", "UTC").code == 0
    shown = host.run(
        "show",
        "billing.b",
        "--manifest",
        str(m),
        *host.plan_flags(),
        "--next",
        "5",
        "-o",
        "json",
        "--crontab-host-timezone",
        "UTC",
    )
    (fires,) = shown.json()["next_fire_times"]
    times = [datetime.fromisoformat(t) for t in fires["times"]]
    assert len(times) == 5 and all((t.hour, t.minute) == (7, 30) for t in times)
    (line,) = [ln for ln in host.crontab.read_text().splitlines() if "trigger billing.b" in ln]
    fields = " ".join(line.split()[:5])
    utc = ZoneInfo("UTC")
    j = Job("b", ("30 7 * * *",), Request("https://app.example/b"), timezone="America/New_York")
    for t in times:
        instant = t.timestamp()
        # cron (UTC here) starts the line at that minute, and the guard passes it.
        assert (
            next(iter(fire_times(fields, utc, datetime.fromtimestamp(instant - 1, utc)))).timestamp()
            == instant
        )
        assert guarded_occurrence(j, 0, instant + 1.5) == int(instant)


def test_accept_timezone_shift_is_deprecated_and_changes_nothing(host: Host) -> None:
    m = host.manifest("billing", job("b", "@hourly", tz="Asia/Kolkata"))
    result = host.apply(m, "--accept-timezone-shift")
    assert result.code == 0
    assert "accept_timezone_shift is deprecated and has no effect" in result.err
    # +05:30 all year: the hourly job fires at half past every UTC hour, exactly.
    assert f"30 * * * * {BIN} trigger billing.b --guard 0\n" in host.crontab.read_text()
    assert host.plan(m, "-o", "json").json()["noop"]


def test_cron_tz_support_writes_the_zone(host: Host) -> None:
    m = host.manifest("billing", job("b", "@hourly", tz="Europe/Berlin"))
    assert host.apply(m, "--cron-tz").code == 0
    text = host.crontab.read_text()
    assert f"CRON_TZ=Europe/Berlin\n0 * * * * {BIN} trigger billing.b\n" in text
    assert host.plan(m, "--cron-tz", "-o", "json").json()["noop"]


def test_lock_timeout_fails_clearly_and_changes_nothing(host: Host) -> None:
    import fcntl

    lock = host.root / "apply.lock"
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        result = host.apply(host.manifest("billing", PING), "--lock-timeout", "0.2")
    assert result.code == 1
    assert "another cronix apply" in result.err
    assert str(lock) in result.err
    assert not host.crontab.exists()


def test_dry_run_changes_nothing(host: Host) -> None:
    result = host.apply(host.manifest("billing", PING), "--dry-run")
    assert result.code == 0
    assert result.out.startswith("Plan for billing on crontab:")
    assert not host.crontab.exists()
    assert not host.spec_dir.exists()


def test_a_warning_shared_by_many_jobs_is_said_once() -> None:
    """Issue 14 (smaller items): the timezone warning repeated for every job of every command."""
    from cronix.backends.base import Diagnostic
    from cronix.backends.memory import MemoryBackend
    from cronix.protocol.manifest import load_manifest_object
    from cronix.reconcile.planning import validate_jobs

    class Warns(MemoryBackend):
        def validate(self, app: str, job: Job) -> list[Diagnostic]:
            return [Diagnostic("warning", "Europe/Berlin differs", "timezone", "shared")]

    doc = {"version": 1, "app": "billing", "jobs": [job(f"j{i}", "@hourly") for i in range(5)]}
    warnings = validate_jobs(Warns(), load_manifest_object(doc))
    assert warnings == [
        "billing.j0, billing.j1, billing.j2, billing.j3, billing.j4 timezone: Europe/Berlin differs"
    ]
