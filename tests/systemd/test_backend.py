"""The systemd-timer backend on real unit files under tmp, through the real CLI, checked by systemd-analyze."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cronix.protocol.manifest import parse_manifest
from cronix.protocol.ownership import ownership_hashes
from tests.support.cli import CRONIX, assert_one_line_error, run_cronix
from tests.support.systemd_analyze import verify_units
from tests.systemd.conftest import UnitHost, job, manifest_doc


def _pairs(units: UnitHost) -> list[tuple[Path, Path]]:
    return [(t, t.with_suffix(".service")) for t in sorted(units.units.glob("cronix-*.timer"))]


def test_apply_writes_unit_pairs_that_systemd_analyze_accepts_silently(units: UnitHost) -> None:
    secret = units.root / "secret"
    secret.write_text("s3cret")
    units.options = {
        "credentials": {"cron-secret": str(secret), "store": ""},
        "environment_file": "/etc/cronix/env",
    }
    m = units.manifest(
        "billing",
        job("report", "30 6 * * 1-5", "0 0 1,15 * 5", tz="Europe/Berlin"),
        job("tick", "@every 5m", policy={"timeout_seconds": 20, "retries": {"max_attempts": 1}}),
        job("weekly", "@weekly", tz="America/New_York"),
    )
    result = units.apply(m, "--secret-ref", "credential:cron-secret")
    assert result.code == 0, result.err
    pairs = _pairs(units)
    assert [p[0].name for p in pairs] == [
        "cronix-billing-report-0.timer",
        "cronix-billing-report-1.timer",
        "cronix-billing-tick-0.timer",
        "cronix-billing-weekly-0.timer",
    ]
    for timer, service in pairs:
        assert verify_units(timer, service) == "", timer.name
    report = (units.units / "cronix-billing-report-1.timer").read_text()
    # The day-of-month/day-of-week OR of cron: two calendar lines, each in the job's zone.
    assert (
        "OnCalendar=*-*-01,15 00:00:00 Europe/Berlin\nOnCalendar=Fri *-*-* 00:00:00 Europe/Berlin\n" in report
    )
    assert "X-Cronix-OnCalendar=*-*-01,15 00:00:00 Europe/Berlin\n" in report
    tick = (units.units / "cronix-billing-tick-0.service").read_text()
    assert f"ExecStart={CRONIX} trigger billing.tick\n" in tick
    assert "TimeoutStartSec=50\n" in tick  # one attempt of 20 s + 30 s
    assert "LoadCredential=cron-secret:" + str(secret) in tick and "LoadCredential=store\n" in tick
    assert "s3cret" not in "".join(p.read_text() for pair in pairs for p in pair)
    assert (
        "Sun *-*-* 00:00:00 America/New_York" in (units.units / "cronix-billing-weekly-0.timer").read_text()
    )
    # write_units_only enables the timers the way systemctl enable would.
    wants = units.units / "timers.target.wants"
    assert sorted(os.readlink(p) for p in wants.iterdir()) == [f"../{p[0].name}" for p in pairs]
    spec = json.loads((units.spec_dir / "billing.tick.json").read_text())
    assert spec["secret_refs"] == ["credential:cron-secret"]


def test_a_second_apply_writes_nothing(units: UnitHost) -> None:
    m = units.manifest("app", job("a", "*/15 * * * *"), job("b", "0 3 * * *", "0 4 * * 0"))
    assert units.apply(m).code == 0
    before = units.state()
    again = units.apply(m)
    assert again.code == 0 and "Apply: noop" in again.out
    assert units.state() == before


def test_hand_edits_of_the_schedule_or_the_command_are_drift(units: UnitHost) -> None:
    m = units.manifest("app", job("a", "0 3 * * *"), job("b", "0 4 * * *"))
    assert units.apply(m).code == 0
    assert units.run("drift", "--manifest", str(m), "--exit-on-drift").code == 0
    timer = units.unit("cronix-app-a-0.timer")
    timer.write_text(timer.read_text().replace("\nOnCalendar=*-*-* 03:00:00", "\nOnCalendar=*-*-* 05:00:00"))
    service = units.unit("cronix-app-b-0.service")
    service.write_text(service.read_text().replace(" trigger app.b", " trigger app.b --fire-time 0"))
    drift = units.run("drift", "--manifest", str(m), "--exit-on-drift")
    assert drift.code == 5
    assert "  ~ app.a  (edited by hand)" in drift.out and "  ~ app.b  (edited by hand)" in drift.out
    # Without a manifest the schedule edit still shows: OnCalendar= ≠ X-Cronix-OnCalendar=.
    listed = units.run("list", "-o", "json").json()["entries"]
    assert {e["job"]: e["hash"] for e in listed}["a"] == "drift-spec-edited"
    drifted = units.run("global-status", "-o", "json")
    status = drifted.json()["backends"][0]
    assert (status["owned"], status["drifted"], drifted.code) == (2, 2, 5)
    assert units.apply(m).code == 0
    assert "03:00:00" in timer.read_text() and "--fire-time" not in service.read_text()
    assert units.run("drift", "--manifest", str(m), "--exit-on-drift").code == 0


def test_a_timer_disabled_by_hand_is_drift(units: UnitHost) -> None:
    m = units.manifest("app", job("a", "0 3 * * *"))
    assert units.apply(m).code == 0
    (units.units / "timers.target.wants" / "cronix-app-a-0.timer").unlink()
    assert units.run("drift", "--manifest", str(m), "--exit-on-drift").code == 5
    assert units.apply(m).code == 0
    assert (units.units / "timers.target.wants" / "cronix-app-a-0.timer").is_symlink()


def test_foreign_units_are_never_touched(units: UnitHost) -> None:
    units.units.mkdir(parents=True)
    foreign = {
        "backup.timer": "[Timer]\nOnCalendar=daily\n",
        "backup.service": "[Service]\nExecStart=/usr/bin/backup\n",
        # cronix's name shape, but no ownership keys: still not cronix's.
        "cronix-app-old-0.timer": "[Timer]\nOnCalendar=hourly\n",
        "cronix-app-old-0.service": "[Service]\nExecStart=/usr/bin/old\n",
    }
    for name, text in foreign.items():
        (units.units / name).write_text(text)
    m = units.manifest("app", job("a", "0 3 * * *"), job("b", "0 4 * * *"))
    assert units.apply(m).code == 0
    assert units.apply(units.manifest("app", job("a", "0 5 * * *"), name="v2.json")).code == 0
    assert units.run("prune", "--yes").code == 0
    assert sorted(p.name for p in units.units.iterdir() if p.is_file()) == sorted(foreign)
    assert all((units.units / n).read_text() == t for n, t in foreign.items())


def test_a_foreign_unit_at_a_name_cronix_needs_is_a_validation_error(units: UnitHost) -> None:
    units.units.mkdir(parents=True)
    squatter = units.unit("cronix-app-a-0.service")
    squatter.write_text("[Service]\nExecStart=/usr/bin/true\n")
    result = units.apply(units.manifest("app", job("a", "0 3 * * *")))
    assert result.code == 1
    assert "is not cronix's" in result.err and "never overwrites it" in result.err
    assert sorted(p.name for p in units.units.iterdir()) == ["cronix-app-a-0.service"]


def test_deletes_use_exact_names_never_a_prefix(units: UnitHost) -> None:
    both = units.manifest("app", job("foo", "0 1 * * *"), job("foo-bar", "0 2 * * *"))
    assert units.apply(both).code == 0
    assert units.apply(units.manifest("app", job("foo-bar", "0 2 * * *"), name="only.json")).code == 0
    assert sorted(p.name for p in units.units.glob("cronix-*")) == [
        "cronix-app-foo-bar-0.service",
        "cronix-app-foo-bar-0.timer",
    ]


def test_apps_whose_names_spell_the_same_unit_do_not_overwrite_each_other(units: UnitHost) -> None:
    assert units.apply(units.manifest("a-b", job("c", "0 1 * * *"))).code == 0
    before = units.state()
    clash = units.apply(units.manifest("a", job("b-c", "0 2 * * *")))
    assert clash.code == 1
    assert "belongs to a-b.c" in clash.err and "rename one of the jobs" in clash.err
    assert units.state() == before


def test_units_written_by_the_reference_are_recognised_and_converge(units: UnitHost) -> None:
    """The Go reference's exact bytes (reference §3.2.1–3.2.2) list under their hash, then converge."""
    doc = manifest_doc("billing", job("nightly", "0 2 * * *"))
    (job_,) = parse_manifest(json.dumps(doc).encode()).jobs
    (digest,) = ownership_hashes(job_)
    units.units.mkdir(parents=True)
    name = "cronix-billing-nightly-0"
    reference_timer = (
        f"[Unit]\nDescription=cronix timer: billing.nightly (idx=0)\nPartOf={name}.service\n"
        "X-Cronix-App=billing\nX-Cronix-Job=nightly\nX-Cronix-Index=0\nX-Cronix-OnCalendar=*-*-* 2:0:00\n"
        f"X-Cronix-Hash={digest}\n\n[Timer]\nOnCalendar=*-*-* 2:0:00\nUnit={name}.service\nPersistent=true\n\n"
        "[Install]\nWantedBy=timers.target\n"
    )
    reference_service = (
        "[Unit]\nDescription=cronix: billing.nightly (idx=0)\nAfter=network-online.target\n"
        f"X-Cronix-App=billing\nX-Cronix-Job=nightly\nX-Cronix-Index=0\nX-Cronix-Hash={digest}\n\n"
        f"[Service]\nType=oneshot\nExecStart={CRONIX} trigger billing.nightly\nRuntimeMaxSec=90\n"
    )
    units.unit(f"{name}.timer").write_text(reference_timer)
    units.unit(f"{name}.service").write_text(reference_service)
    # Why the reference's service is rewritten: systemd ignores its run bound.
    assert "RuntimeMaxSec= has no effect in combination with Type=oneshot" in verify_units(
        units.unit(f"{name}.timer"), units.unit(f"{name}.service")
    )
    listed = units.run("list", "-o", "json").json()["entries"]
    assert [(e["app"], e["job"], e["index"], e["hash"]) for e in listed] == [
        ("billing", "nightly", 0, digest)
    ]
    m = units.root / "m.json"
    m.write_text(json.dumps(doc))
    assert units.apply(m).code == 0
    assert "TimeoutStartSec=" in units.unit(f"{name}.service").read_text()
    assert verify_units(units.unit(f"{name}.timer"), units.unit(f"{name}.service")) == ""
    assert "Apply: noop" in units.apply(m).out


def test_adopt_takes_over_timers_that_already_run_the_job(units: UnitHost) -> None:
    units.units.mkdir(parents=True)
    units.unit("billing-report.timer").write_text(
        "[Timer]\nOnCalendar=Mon *-*-* 6:30\n[Install]\nWantedBy=timers.target\n"
    )
    units.unit("billing-report.service").write_text(
        f"[Service]\nType=oneshot\nExecStart={CRONIX} trigger billing.report\n"
    )
    m = units.manifest("billing", job("report", "30 6 * * 1"))
    other = units.manifest("billing", job("report", "30 7 * * 1"), name="other.json")
    diverged = units.run("adopt", "billing.report", "--manifest", str(other))
    assert diverged.code == 6 and "billing-report.timer" in diverged.out
    dry = units.run("adopt", "billing.report", "--manifest", str(m), "--dry-run")
    assert dry.code == 0 and "WOULD-ADOPT" in dry.out
    assert units.unit("billing-report.timer").exists()
    adopted = units.run("adopt", "billing.report", "--manifest", str(m))
    assert adopted.code == 0 and "ADOPTED" in adopted.out
    assert (
        not units.unit("billing-report.timer").exists() and not units.unit("billing-report.service").exists()
    )
    assert units.unit("cronix-billing-report-0.timer").exists()
    assert units.apply(m).code == 0
    assert "Apply: noop" in units.apply(m).out
    assert units.run("adopt", "billing.report", "--manifest", str(m)).out.startswith("ALREADY-MANAGED")
    assert (
        units.run("adopt", "billing.ghost", "--manifest", str(units.manifest("billing", job("ghost")))).code
        == 7
    )


def test_untranslatable_every_is_a_validation_error_naming_the_schedule(units: UnitHost) -> None:
    result = units.run("plan", "--manifest", str(units.manifest("app", job("odd", "0 1 * * *", "@every 7m"))))
    assert result.code == 1
    assert (
        "app.odd schedules/1" in result.err and '"@every 7m" has no systemd calendar equivalent' in result.err
    )
    assert not units.units.exists()


def test_plan_warns_where_systemd_and_cron_part_at_dst(units: UnitHost) -> None:
    m = units.manifest(
        "app", job("night", "30 2 * * *", tz="Europe/Berlin"), job("half", "30 * * * *", tz="Europe/Berlin")
    )
    result = units.run("plan", "--manifest", str(m))
    assert result.code == 0
    night = next(line for line in result.err.splitlines() if "app.night" in line)
    assert "spring forward systemd skips" in night and "03:00 CEST" in night and "D-123" in night
    half = next(line for line in result.err.splitlines() if "app.half" in line)
    assert "fall back systemd runs a repeated time once" in half and "02:30 CET" in half
    utc = units.run(
        "plan", "--manifest", str(units.manifest("app", job("night", "30 2 * * *"), name="utc.json"))
    )
    assert "warning" not in utc.err


def test_a_credential_ref_the_services_do_not_load_is_refused(units: UnitHost) -> None:
    result = units.apply(units.manifest("app", job("a", "0 3 * * *")), "--secret-ref", "credential:missing")
    assert result.code == 1
    assert (
        "add it to backends.systemd-timer.credentials" in result.err and "nothing was changed" in result.err
    )
    assert not units.units.exists() or not list(units.units.glob("cronix-*"))


def test_show_history_and_verify_ownership(units: UnitHost) -> None:
    m = units.manifest("app", job("a", "0 3 * * *", "0 4 * * *"))
    assert units.apply(m).code == 0
    shown = units.run("show", "app.a", "-o", "json").json()
    assert shown["found"] and shown["in_sync"] and len(shown["entries"]) == 2
    assert units.run("verify-ownership").code == 0
    (units.root / "runs.jsonl").write_text(
        json.dumps({"v": 1, "app": "app", "job": "a", "run_id": "r1", "status": "ok", "attempts": 1,
                    "started_at": "2026-01-01T03:00:00Z", "finished_at": "2026-01-01T03:00:01Z"}) + "\n"
    )  # fmt: skip
    history = units.run("history", "app.a", "--backend", "systemd-timer", "-o", "json")
    assert history.code == 0 and [e["run_id"] for e in history.json()["entries"]] == ["r1"]
    units.unit("cronix-app-a-1.timer").unlink()
    audit = units.run("verify-ownership")
    assert (
        audit.code == 5
        and "cronix-app-a-1.service is cronix's but its timer is missing" in audit.out + audit.err
    )


def test_user_units_default_to_the_users_config_dir(units: UnitHost) -> None:
    units.options = {"unit_dir": "", "user": True}
    m = units.manifest("app", job("a", "0 3 * * *"))
    assert units.apply(m).code == 0
    assert (units.root / "home" / ".config" / "systemd" / "user" / "cronix-app-a-0.timer").exists()


@pytest.mark.skipif(os.path.isdir("/run/systemd/system"), reason="this host is booted with systemd")
def test_a_host_not_booted_with_systemd_is_exit_3(tmp_path: Path) -> None:
    m = tmp_path / "m.json"
    m.write_text(json.dumps(manifest_doc("app", job("a", "0 3 * * *"))))
    for extra in ([], ["--backend-config", "systemctl_command=systemctl --no-ask-password"]):
        proc = run_cronix(
            "apply", "--manifest", str(m), "--backend", "systemd-timer", "--trigger-bin", CRONIX,
            "--secret-ref", "file:/etc/cronix/secret",
            "--backend-config", f"unit_dir={tmp_path}/units", "--spec-dir", str(tmp_path / "jobs"),
            "--lock-path", str(tmp_path / "lock"), *extra,
            env={"HOME": str(tmp_path)},
        )  # fmt: skip
        assert_one_line_error(proc, 3, "cannot manage systemd", "write_units_only: true")
        assert not (tmp_path / "units").exists()


def test_the_backend_conformance_suite_passes(tmp_path: Path) -> None:
    proc = run_cronix(
        "conformance", "backend", "--backend", "systemd-timer",
        "--backend-config", "unit_dir={tmp}/units", "--backend-config", "write_units_only=true",
        "--backend-config", f"trigger_bin={CRONIX}",
        env={"HOME": str(tmp_path)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 failed / 0 skipped" in proc.stdout
