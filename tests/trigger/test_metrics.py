"""Prometheus metrics from real ``cronix trigger`` fires: the textfile, its counters, the Pushgateway.

Every file the trigger writes is checked by the real ``promtool check metrics`` (the
exposition-format linter of the Prometheus project), and pushes go to a real
``prometheus-pushgateway``.
"""

from __future__ import annotations

import calendar
import concurrent.futures
import json
import time
from pathlib import Path

from cronix.protocol import metrics as m
from cronix.trigger.metrics import Sample, metrics_file, parse
from tests.support.procs import free_port, wait_until
from tests.support.prometheus import get, promtool, pushgateway
from tests.trigger.app_server import AppServer, Reply
from tests.trigger.conftest import Host, log_lines, write_spec


def _utc(text: str) -> int:
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def _sample(directory: Path, job: str = "ping") -> Sample:
    return parse(Path(metrics_file(str(directory), "billing", job)).read_text())


def _lint(path: Path) -> None:
    """``promtool check metrics``: exits 0 for a well-formed exposition (lint warnings aside)."""
    proc = promtool("check", "metrics", stdin=path.read_text())
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_successful_fire_writes_every_series(host: Host, app: AppServer, tmp_path: Path) -> None:
    out = tmp_path / "textfile"
    write_spec(host.spec_dir, app.url(), schedule="0 2 * * 1-5", timezone="Europe/Berlin")
    # Friday 2026-01-02 02:00 in Berlin is 01:00 UTC; the next weekday occurrence is Monday's.
    before = time.time()
    proc = host.trigger("billing.ping", "--metrics-dir", str(out), "--fire-time", "2026-01-02T01:00:00Z")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    path = Path(metrics_file(str(out), "billing", "ping"))
    _lint(path)
    text = path.read_text()
    assert text.endswith("\n")  # node_exporter drops a file without a final newline
    for name, (kind, _help) in m.HELP.items():
        assert f"# TYPE {name} {kind}\n" in text
    s = parse(text)
    assert before <= s.last_start <= s.last_success <= time.time()
    assert s.last_failure == 0
    assert s.running == 0
    assert 0 <= s.duration < 30
    assert s.last_fire == _utc("2026-01-02T01:00:00Z")
    assert s.next_fire == _utc("2026-01-05T01:00:00Z")  # over the weekend, to Monday
    assert s.schedule_hash == m.schedule_hash(("0 2 * * 1-5",), "Europe/Berlin")
    assert dict(s.runs) == {o: int(o == "success") for o in m.OUTCOMES}
    assert f'{m.NEXT_FIRE}{{app="billing",job_name="ping",schedule_hash="{s.schedule_hash}"}} ' in text
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    assert sorted(p.name for p in out.iterdir()) == [
        ".cronix-billing.ping.prom.lock",
        "cronix-billing.ping.prom",
    ]


def test_counters_survive_fires_and_failures_are_timestamped(
    host: Host, app: AppServer, tmp_path: Path
) -> None:
    out = tmp_path / "textfile"
    write_spec(host.spec_dir, app.url(), policy={"retries": {"max_attempts": 1}})
    app.replies = [Reply(200), Reply(400), Reply(503), Reply(200)]
    codes = [host.trigger("billing.ping", "--metrics-dir", str(out)).returncode for _ in range(4)]
    assert codes == [0, 1, 2, 0]
    s = _sample(out)
    assert s.count("success") == 2
    assert s.count("app_rejected") == 1
    assert s.count("retries_exhausted") == 1
    assert 0 < s.last_failure < s.last_success  # the latest run succeeded: not "failed"
    app.replies = [Reply(500)]
    assert host.trigger("billing.ping", "--metrics-dir", str(out)).returncode == 2
    s = _sample(out)
    assert s.last_failure > s.last_success
    _lint(Path(metrics_file(str(out), "billing", "ping")))


def test_running_is_one_while_the_run_is_in_progress(host: Host, app: AppServer, tmp_path: Path) -> None:
    out = tmp_path / "textfile"
    write_spec(host.spec_dir, app.url())
    app.replies = [Reply(200, delay=2.0)]
    proc = host.spawn("billing.ping", "--metrics-dir", str(out))
    try:
        assert app.arrived.wait(20)
        s = _sample(out)
        assert s.running == 1
        assert s.last_start > 0
        assert s.last_success == 0
        assert dict(s.runs) == dict.fromkeys(m.OUTCOMES, 0)
    finally:
        proc.communicate(timeout=30)
    assert proc.returncode == 0
    s = _sample(out)
    assert (s.running, s.count("success")) == (0, 1)
    assert s.duration >= 1.5


def test_a_contended_fire_counts_but_leaves_the_running_fire_alone(
    host: Host, app: AppServer, tmp_path: Path
) -> None:
    out = tmp_path / "textfile"
    write_spec(host.spec_dir, app.url())  # Forbid
    app.replies = [Reply(200, delay=2.0)]
    first = host.spawn("billing.ping", "--metrics-dir", str(out))
    try:
        assert app.arrived.wait(20)
        started = _sample(out).last_start
        second = host.trigger("billing.ping", "--metrics-dir", str(out))
        assert second.returncode == 4
        s = _sample(out)
        assert s.count("lock_contended") == 1
        assert (s.running, s.last_start, s.last_failure) == (1, started, 0)  # still the first run's
    finally:
        first.communicate(timeout=30)
    s = _sample(out)
    assert (s.running, s.count("success"), s.count("lock_contended")) == (0, 1, 1)


def test_concurrent_fires_of_one_job_lose_no_count(host: Host, app: AppServer, tmp_path: Path) -> None:
    out = tmp_path / "textfile"
    write_spec(host.spec_dir, app.url(), policy={"concurrency": "Allow"})
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = list(
            pool.map(lambda _: host.trigger("billing.ping", "--metrics-dir", str(out)).returncode, range(8))
        )
    assert codes == [0] * 8
    assert _sample(out).count("success") == 8


def test_jobs_have_files_of_their_own(host: Host, app: AppServer, tmp_path: Path) -> None:
    out = tmp_path / "textfile"
    write_spec(host.spec_dir, app.url())
    write_spec(host.spec_dir, app.url(), name="other")
    assert host.trigger("billing.ping", "--metrics-dir", str(out)).returncode == 0
    assert host.trigger("billing.other", "--metrics-dir", str(out)).returncode == 0
    assert _sample(out, "ping").count("success") == _sample(out, "other").count("success") == 1
    assert 'job_name="ping"' not in Path(metrics_file(str(out), "billing", "other")).read_text()


def test_a_spec_that_cannot_be_read_is_a_failure_without_a_start(host: Host, tmp_path: Path) -> None:
    out = tmp_path / "textfile"
    proc = host.trigger("billing.ping", "--metrics-dir", str(out))
    assert proc.returncode == 3
    s = _sample(out)
    assert s.count("internal_error") == 1
    assert s.last_failure > 0
    assert (s.last_start, s.next_fire) == (0, 0)  # nothing ran, and no schedule is known
    assert m.NEXT_FIRE + "{" not in Path(metrics_file(str(out), "billing", "ping")).read_text()


def test_a_metrics_path_that_is_a_file_is_a_warning_not_a_failure(
    host: Host, app: AppServer, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    write_spec(host.spec_dir, app.url())
    proc = host.trigger("billing.ping", "--metrics-dir", str(blocker))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    warnings = [line for line in log_lines(proc.stdout) if line["msg"] == "trigger: metrics"]
    assert warnings and warnings[0]["level"] == "WARN"
    assert str(blocker) in warnings[0]["err"]
    assert host.runs()[-1]["status"] == "ok"


def _config(tmp_path: Path, **metrics: object) -> Path:
    path = tmp_path / "cronix.yaml"
    path.write_text(json.dumps({"trigger": {"metrics": metrics}}))  # JSON is YAML
    return path


def test_pushes_reach_a_real_pushgateway(host: Host, app: AppServer, tmp_path: Path) -> None:
    write_spec(host.spec_dir, app.url())
    with pushgateway(tmp_path / "pg") as gw:
        config = _config(tmp_path, pushgateway_url=gw.url, push_instance="web-1")
        proc = host.trigger("billing.ping", "--config", str(config))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert not [line for line in log_lines(proc.stdout) if line["msg"] == "trigger: metrics"]
        status, body = get(f"{gw.url}/metrics")
    assert status == 200
    grouping = 'app="billing",instance="web-1",job="cronix",job_name="ping"'
    assert f"{m.LAST_SUCCESS}{{{grouping}}}" in body
    assert f'{m.RUNS}{{{grouping},outcome="success"}} 1' in body
    # Counts come from <state_dir>/billing.ping.prom when no textfile directory is set.
    assert _sample(host.state_dir).count("success") == 1


def test_a_failing_push_is_a_warning_and_the_fire_succeeds(
    host: Host, app: AppServer, tmp_path: Path
) -> None:
    write_spec(host.spec_dir, app.url())
    config = _config(tmp_path, pushgateway_url=f"http://127.0.0.1:{free_port()}", push_timeout_seconds=1)
    proc = host.trigger("billing.ping", "--config", str(config))
    assert proc.returncode == 0
    warnings = [line for line in log_lines(proc.stdout) if line["msg"] == "trigger: metrics"]
    assert len(warnings) == 2  # the start and the end push
    assert all("push to http://127.0.0.1:" in w["err"] for w in warnings)
    wait_until(lambda: host.runs() != [])
    assert host.runs()[-1]["status"] == "ok"
