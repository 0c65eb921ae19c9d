"""``cronix lint`` as a real subprocess: every configured backend at once, time, exit codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cronix.protocol.dst import transitions
from tests.support.cli import CRONIX, assert_one_line_error, run_cronix


def _manifest(tmp_path: Path, *jobs: dict[str, object]) -> str:
    doc = {"version": 1, "app": "billing", "jobs": list(jobs)}
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def _job(name: str, *schedules: str, timezone: str = "UTC") -> dict[str, object]:
    return {
        "name": name,
        "schedules": list(schedules),
        "timezone": timezone,
        "request": {"url": f"https://billing.example.com/api/v1/scheduled/{name}"},
    }


@pytest.fixture
def config(tmp_path: Path) -> str:
    """crontab (with CRON_TZ: any zone) and vercel (hobby plan: at most daily) both configured, in tmp."""
    path = tmp_path / "cronix.yaml"
    path.write_text(
        f"trigger_bin: {CRONIX}\n"
        "backends:\n"
        f"  crontab:\n    path: {tmp_path / 'crontab'}\n    cron_tz: true\n"
        f"  vercel:\n    path: {tmp_path / 'vercel.json'}\n    plan: hobby\n",
        encoding="utf-8",
    )
    return str(path)


def _lint(*args: str) -> tuple[int, dict[str, object], str]:
    proc = run_cronix("lint", *args, "-o", "json")
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def test_a_clean_manifest_exits_0_on_every_configured_backend(tmp_path: Path, config: str) -> None:
    source = _manifest(tmp_path, _job("daily", "0 12 * * *"))
    proc = run_cronix("lint", source, "--config", config)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("backends=crontab, vercel: 0 error(s), 0 warning(s)")


def test_each_backend_validates_every_job_and_says_which_backend(tmp_path: Path, config: str) -> None:
    source = _manifest(tmp_path, _job("often", "*/5 * * * *"))
    code, doc, stderr = _lint(source, "--config", config)
    assert code == 1
    assert doc["backends"] == ["crontab", "vercel"]
    findings = doc["findings"]
    assert isinstance(findings, list)
    by_backend = {f["backend"] for f in findings if f["severity"] == "error"}
    assert by_backend == {"vercel"}, findings  # crontab runs every 5 minutes; hobby plans do not
    assert all(f["job"] == "often" for f in findings)
    assert stderr.strip() == f"cronix: error: lint {source}: 1 error(s), 0 warning(s)"


def test_backend_flag_narrows_and_repeats(tmp_path: Path, config: str) -> None:
    source = _manifest(tmp_path, _job("often", "*/5 * * * *"))
    code, doc, _ = _lint(source, "--config", config, "--backend", "crontab")
    assert (code, doc["backends"], doc["findings"]) == (0, ["crontab"], [])


def test_never_fires_is_an_error_and_dst_is_a_warning_with_its_dates(tmp_path: Path, config: str) -> None:
    source = _manifest(
        tmp_path,
        _job("feb", "0 0 31 2 *"),
        _job("nightly", "30 2 * * *", "30 1 * * *", timezone="America/New_York"),
    )
    code, doc, _ = _lint(source, "--config", config, "--backend", "crontab")
    assert code == 1
    findings = {(f["job"], f["code"]): f for f in doc["findings"]}  # type: ignore[union-attr]
    assert findings["feb", "never_fires"]["severity"] == "error"
    # The dates are the zone's next transitions, as the tz database has them.
    now = datetime.now(UTC)
    spring, autumn = transitions(ZoneInfo("America/New_York"), now, now + timedelta(days=366))[:2]
    gap = spring if spring.is_gap else autumn
    fold = autumn if gap is spring else spring
    skipped, repeated = findings["nightly", "dst_skipped"], findings["nightly", "dst_repeated"]
    assert skipped["severity"] == repeated["severity"] == "warning"
    assert (
        f"02:30 does not exist on {gap.local_from.date().isoformat()} in America/New_York"
        in skipped["message"]
    )
    assert "cron runs it at 03:00 instead" in skipped["message"]
    # New York falls back from 02:00 to 01:00: 01:30 (schedule 1) comes twice, 02:30 never does.
    assert f"01:30 happens twice on {fold.local_to.date().isoformat()}" in repeated["message"]
    assert (skipped["path"], repeated["path"]) == ("schedules/0", "schedules/1")


def test_warnings_pass_unless_strict(tmp_path: Path, config: str) -> None:
    source = _manifest(tmp_path, _job("twice", "0 * * * *", "*/30 * * * *"))
    code, doc, _ = _lint(source, "--config", config, "--backend", "crontab")
    assert code == 0
    assert doc["ok"] is True
    (finding,) = doc["findings"]  # type: ignore[misc]
    assert finding["code"] == "same_minute"
    assert "schedules 0 and 1 both fire at" in finding["message"]
    code, doc, stderr = _lint(source, "--config", config, "--backend", "crontab", "--strict")
    assert (code, doc["ok"]) == (1, False)
    assert "0 error(s), 1 warning(s)" in stderr


def test_a_schedule_more_often_than_once_a_minute(tmp_path: Path, config: str) -> None:
    source = _manifest(tmp_path, _job("fast", "@every 30s"))
    code, doc, _ = _lint(source, "--config", config)
    assert (code, doc["app"]) == (1, "billing")
    (finding,) = doc["findings"]  # type: ignore[misc]
    assert (finding["code"], finding["job"], finding["path"]) == ("sub_minute", "fast", "schedules/0")
    assert "more than once a minute (every 30s)" in finding["message"]


def test_next_fire_times_per_schedule(tmp_path: Path, config: str) -> None:
    source = _manifest(tmp_path, _job("daily", "0 12 * * *", timezone="Etc/GMT-3"))
    code, doc, _ = _lint(source, "--config", config, "--backend", "crontab", "--next", "3")
    assert code == 0
    (fires,) = doc["next_fire_times"]  # type: ignore[misc]
    assert (fires["job"], fires["schedule"], fires["timezone"]) == ("daily", "0 12 * * *", "Etc/GMT-3")
    times = [datetime.fromisoformat(t) for t in fires["times"]]
    assert len(times) == 3 and all(t.hour == 12 and t.minute == 0 for t in times)
    assert all(t.utcoffset() == timedelta(hours=3) for t in times)  # in the job's zone
    proc = run_cronix("lint", source, "--config", config, "--backend", "crontab", "--next", "1")
    assert "next: billing.daily '0 12 * * *' (Etc/GMT-3): " in proc.stdout


def test_a_backend_that_cannot_be_opened_is_exit_3_and_the_others_still_lint(
    tmp_path: Path, config: str
) -> None:
    source = _manifest(tmp_path, _job("often", "*/5 * * * *"))
    env = {"CRONIX_PLUGIN_DIR": str(tmp_path / "no-plugins"), "HOME": str(tmp_path)}
    proc = run_cronix(
        "lint",
        source,
        "--config",
        config,
        "--backend",
        "nosuch",
        "--backend",
        "vercel",
        "-o",
        "json",
        env=env,
    )
    assert proc.returncode == 3, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["incomplete"] == ["nosuch"]
    codes = {(f["backend"], f["code"]) for f in doc["findings"]}
    assert ("nosuch", "backend_unusable") in codes
    assert any(backend == "vercel" for backend, _ in codes)  # vercel was still asked
    assert proc.stderr.strip().startswith(f"cronix: error: lint {source} is incomplete:")


def test_invalid_config_and_missing_source_are_usage_errors(tmp_path: Path) -> None:
    bad = tmp_path / "cronix.yaml"
    bad.write_text("backends:\n  crontab:\n    no_such_key: 1\n", encoding="utf-8")
    source = _manifest(tmp_path, _job("daily", "0 12 * * *"))
    assert_one_line_error(run_cronix("lint", source, "--config", str(bad)), 2, "no_such_key")
    assert_one_line_error(run_cronix("lint", str(tmp_path / "absent.json")), 2, "absent.json")


def test_a_backend_whose_host_prerequisites_fail_still_validates_every_job(tmp_path: Path) -> None:
    """systemd-timer on a host not booted with systemd (this one): the check is a finding, and
    the jobs are validated all the same — lint runs in CI, where the scheduler is not."""
    cfg = tmp_path / "cronix.yaml"
    cfg.write_text(f"trigger_bin: {CRONIX}\nbackends:\n  systemd-timer:\n    unit_dir: {tmp_path}/units\n")
    source = _manifest(tmp_path, _job("nightly", "30 2 * * *", timezone="Europe/Berlin"))
    code, doc, _ = _lint(source, "--config", str(cfg))
    by_code = {f["code"]: f for f in doc["findings"]}  # type: ignore[union-attr]
    if "no_systemd" not in by_code:
        pytest.skip("this host is booted with systemd: the prerequisite holds")
    assert code == 1
    assert (by_code["no_systemd"]["backend"], by_code["no_systemd"]["job"]) == ("systemd-timer", "")
    # systemd's own verdict on the job (it skips a nonexistent time where cron runs it late).
    assert (by_code["dst_semantics"]["backend"], by_code["dst_semantics"]["job"]) == (
        "systemd-timer",
        "nightly",
    )
