"""The alert rules cronix writes, proved with the real ``promtool``: each fires when it must and only then.

The input series are not written by hand: every scenario replays fires through the
trigger's own metrics code (:class:`cronix.trigger.metrics.JobMetrics`, at virtual times)
and samples the textfile it writes once a minute, as a scrape would, so the test checks the
rules against what the trigger really exports. The rules file is the one
:func:`cronix.reconcile.rules_file.plan_rules` writes. ``promtool test rules`` evaluates
from the Unix epoch, so the scenarios live in January 1970 (Thursday the 1st; Berlin kept
CET all that year).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from cronix.config import PrometheusRulesConfig
from cronix.protocol.manifest import Job, parse_manifest
from cronix.reconcile.alert_rules import FAILED, MISSED, RUNNING_TOO_LONG
from cronix.reconcile.rules_file import apply_rules, plan_rules
from cronix.trigger.logs import JsonLog
from cronix.trigger.metrics import JobMetrics, metrics_file
from cronix.trigger.settings import MetricsSettings
from tests.support.prometheus import promtool

H = 3600
D = 86400
THU, FRI, SAT, SUN, MON = 0, D, 2 * D, 3 * D, 4 * D  # midnights UTC, 1970-01-01 … 05
AT_2_BERLIN = H  # 02:00 CET is 01:00 UTC
SCRAPE = {"job": "node", "instance": "host-1:9100"}


def _job(schedule: str = "0 2 * * 1-5", timezone: str = "Europe/Berlin", **extra: Any) -> Job:
    doc = {
        "name": "report",
        "schedule": schedule,
        "timezone": timezone,
        "request": {"url": "https://b.example/r"},
    }
    doc.update(extra)
    if "schedules" in extra:
        del doc["schedule"]
    return parse_manifest(json.dumps({"version": 1, "app": "billing", "jobs": [doc]})).jobs[0]


@dataclass
class Run:
    """One fire: serves ``occurrence``, starts ``late`` seconds after it and takes ``takes`` seconds."""

    occurrence: int
    late: int = 20
    takes: int | None = 30  # None: killed mid-run, it never ends
    outcome: str = "success"
    #: The host whose trigger ran it (each host has its own textfile and node_exporter).
    host: str = "host-1"


@dataclass
class Scenario:
    runs: list[Run]
    hours: int = 5 * 24 + 6
    #: The exporter disappears at this second (its series go stale).
    gone_at: int | None = None
    events: list[tuple[int, Any]] = field(default_factory=list)


def _series(tmp: Path, job: Job, scenario: Scenario) -> list[dict[str, str]]:
    """Replay the fires through the trigger's metrics code; one sample per minute per series."""
    metrics = {}
    events: list[tuple[int, int, str, Run]] = []
    for i, run in enumerate(scenario.runs):
        events.append((run.occurrence + run.late, i, "start", run))
        if run.takes is not None:
            events.append((run.occurrence + run.late + run.takes, i, "end", run))
    events.sort(key=lambda e: (e[0], e[1]))
    samples: dict[str, list[str]] = {}
    steps = scenario.hours * 60 + 1
    pending = list(events)
    hosts = sorted({run.host for run in scenario.runs} | {"host-1"})
    paths = {h: Path(metrics_file(str(tmp / h), "billing", "report")) for h in hosts}
    for minute in range(steps):
        now = minute * 60
        while pending and pending[0][0] <= now:
            at, i, what, run = pending.pop(0)
            m = metrics.setdefault(
                i, JobMetrics(MetricsSettings(str(tmp / run.host)), "billing", "report", "", JsonLog())
            )
            if what == "start":
                m.started(float(at), job, run.occurrence)
            else:
                m.finished(float(at), run.outcome, job, run.occurrence)
        gone = scenario.gone_at is not None and now >= scenario.gone_at
        first_gone = gone and now - 60 < (scenario.gone_at or 0)
        current = {}
        for h, path in paths.items():
            if not gone and path.exists():
                current.update(_lines(path.read_text(), h))
        for key in set(samples) | set(current):
            # A scrape that fails marks the series stale once; after that there are no samples.
            samples.setdefault(key, ["_"] * minute).append(current.get(key, "stale" if first_gone else "_"))
    return [{"series": key, "values": _compress(values)} for key, values in sorted(samples.items())]


def _lines(text: str, host: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name_labels, value = line.rsplit(" ", 1)
            name, labels = name_labels[:-1].split("{", 1)
            extra = ",".join(f'{k}="{v}"' for k, v in {**SCRAPE, "instance": f"{host}:9100"}.items())
            out[f"{name}{{{labels},{extra}}}"] = value
    return out


def _compress(values: list[str]) -> str:
    """promtool's expanding notation: ``VxN`` is V and N more of it, but ``_xN`` is N blanks."""
    out: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[i] and values[i] != "stale":
            j += 1
        run = j - i + 1
        if run == 1:
            out.append(values[i])
        else:
            out.append(f"_x{run}" if values[i] == "_" else f"{values[i]}x{run - 1}")
        i = j + 1
    return " ".join(out)


def _at(seconds: int) -> str:
    return f"{seconds // 60}m"


def _rules(tmp: Path, job: Job, **config: Any) -> Path:
    path = tmp / "rules.yml"
    cfg = PrometheusRulesConfig(path=str(path), **config)
    plan = plan_rules(
        cfg,
        {"billing": [job]},
        default_start_grace=300,
        default_run_grace=60,
        now=datetime(1970, 1, 1, tzinfo=UTC),
    )
    apply_rules(plan, cfg)
    return path


def _labels(job: Job, rule: str, *, series: bool) -> dict[str, str]:
    """The labels an alert of ``rule`` carries: the rule's own, plus the series' when it came from one."""
    labels = {"app": "billing", "job_name": job.name}
    if series and rule == MISSED:  # the newest next occurrence of any host: no scrape labels
        from cronix.protocol.metrics import schedule_hash

        labels["schedule_hash"] = schedule_hash(job.schedules, job.timezone)
    elif series:
        labels.update(SCRAPE)
    return labels


def humanize_duration(v: float) -> str:
    """Prometheus's ``humanizeDuration`` (template.go), for the values these tests produce."""
    if v == 0:
        return "0s"
    whole = int(v)
    days, rest = divmod(whole, D)
    hours, rest = divmod(rest, H)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes}m {seconds}s"
    if hours:
        return f"{hours}h {minutes}m {seconds}s"
    if minutes:
        return f"{minutes}m {seconds}s"
    return f"{v:.4g}s"


def humanize_timestamp(v: float) -> str:
    """Prometheus's ``humanizeTimestamp``: Go's ``time.Time.String()`` in UTC."""
    return datetime.fromtimestamp(v, UTC).strftime("%Y-%m-%d %H:%M:%S +0000 UTC")


@dataclass(frozen=True)
class Fires:
    """An alert expected to be firing: from a series (its labels) or from the rule alone, with ``$value``."""

    value: float
    series: bool = True


Check = tuple[int, str, Fires | None]


def _annotations(rules: Path, alert: str, value: float) -> dict[str, str]:
    doc = yaml.safe_load(rules.read_text())
    (rule,) = [r for g in doc["groups"] for r in g["rules"] if r["alert"] == alert]
    notes: dict[str, str] = dict(rule["annotations"])
    for key, text in notes.items():
        text = text.replace("{{ $value | humanizeDuration }}", humanize_duration(value))
        notes[key] = text.replace("{{ $value | humanizeTimestamp }}", humanize_timestamp(value))
    return notes


def _prove(
    tmp: Path, job: Job, scenario: Scenario, checks: list[Check], *, exported: Job | None = None
) -> None:
    """``checks``: (eval second, alert name, ``None`` = silent or :class:`Fires`).

    ``exported`` is the job as the trigger knew it when it fired (default: ``job``).
    """
    rules = _rules(tmp, job)
    proc = promtool("check", "rules", str(rules))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tests = []
    for at, alert, firing in checks:
        expected = []
        if firing is not None:
            labels = _labels(job, alert, series=firing.series)
            expected = [{"exp_labels": labels, "exp_annotations": _annotations(rules, alert, firing.value)}]
        tests.append({"eval_time": _at(at), "alertname": alert, "exp_alerts": expected})
    doc = {
        "rule_files": [rules.name],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": _series(tmp, exported or job, scenario),
                "alert_rule_test": tests,
            }
        ],
    }
    (tmp / "test.yml").write_text(yaml.safe_dump(doc, sort_keys=False, width=1 << 30))
    proc = promtool("test", "rules", "test.yml", cwd=tmp)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ------------------------------------------------------------ missed


def test_a_healthy_weekdays_only_job_is_silent_over_the_weekend(tmp_path: Path) -> None:
    job = _job()
    runs = [Run(day + AT_2_BERLIN) for day in (THU, FRI, MON)]
    checks = [
        (t, MISSED, None) for t in (THU + 2 * H, FRI + 2 * H, SAT + 12 * H, SUN + 23 * H, MON + H + 240)
    ]
    checks += [(MON + 2 * H, MISSED, None), (MON + 2 * H, FAILED, None), (SUN, RUNNING_TOO_LONG, None)]
    _prove(tmp_path, job, Scenario(runs), checks)


def test_a_missed_monday_fires_after_the_grace_and_not_before(tmp_path: Path) -> None:
    job = _job()
    runs = [Run(day + AT_2_BERLIN) for day in (THU, FRI)]  # nothing on Monday
    checks = [
        (SAT + 12 * H, MISSED, None),
        (SUN + 23 * H, MISSED, None),
        (MON + H + 300, MISSED, None),  # 5 minutes exactly: still within the grace
        (MON + H + 360, MISSED, Fires(360)),  # the Monday occurrence is 6 minutes old
        (MON + 5 * H, MISSED, Fires(4 * H)),
    ]
    _prove(tmp_path, job, Scenario(runs), checks)


def test_a_job_that_never_fired_is_missed_from_its_first_occurrence(tmp_path: Path) -> None:
    job = _job()
    first = THU + AT_2_BERLIN
    checks = [(first + 300, MISSED, None), (first + 360, MISSED, Fires(360, series=False))]
    checks += [(SAT, MISSED, Fires(SAT - first, series=False))]
    _prove(tmp_path, job, Scenario([], hours=48), checks)


def test_a_late_start_within_the_grace_is_not_missed(tmp_path: Path) -> None:
    job = _job(monitoring={"start_grace_seconds": 1800})
    runs = [Run(THU + AT_2_BERLIN, late=1500), Run(FRI + AT_2_BERLIN, late=1700)]
    checks = [(THU + H + 1560, MISSED, None), (FRI + H + 1740, MISSED, None), (SAT, MISSED, None)]
    _prove(tmp_path, job, Scenario(runs, hours=48), checks)


def test_an_hourly_job_misses_one_hour(tmp_path: Path) -> None:
    job = _job(schedule="0 * * * *", timezone="UTC")
    runs = [Run(h * H) for h in range(1, 10) if h != 5]  # 05:00 never ran
    checks = [(5 * H + 300, MISSED, None), (5 * H + 360, MISSED, Fires(360)), (6 * H + 120, MISSED, None)]
    _prove(tmp_path, job, Scenario(runs, hours=10), checks)


def test_vanished_series_count_as_missed_after_the_grace(tmp_path: Path) -> None:
    job = _job()
    runs = [Run(THU + AT_2_BERLIN), Run(FRI + AT_2_BERLIN)]
    gone = FRI + 12 * H
    checks = [(gone + 240, MISSED, None), (gone + 360, MISSED, Fires(gone + 360 - AT_2_BERLIN, series=False))]
    _prove(tmp_path, job, Scenario(runs, hours=48, gone_at=gone), checks)


def test_a_series_from_the_old_schedule_does_not_count(tmp_path: Path) -> None:
    """A fire before the apply that changed the schedule exported a next occurrence computed from
    the old one (03:00 daily, next due Friday): the rule for the new schedule does not read it."""
    old = _job(schedule="0 3 * * *")
    first = THU + AT_2_BERLIN
    checks = [(first + 360, MISSED, Fires(360, series=False))]
    _prove(tmp_path, _job(), Scenario([Run(THU + 2 * H)], hours=30), checks, exported=old)


def test_any_hosts_fire_serves_the_occurrence(tmp_path: Path) -> None:
    """Two hosts fire the job behind one lock; host-2 takes over on Friday. host-1's file keeps
    Friday's occurrence as the next one forever, yet nothing is missed while host-2 fires."""
    job = _job()
    runs = [
        Run(THU + AT_2_BERLIN),
        Run(FRI + AT_2_BERLIN, host="host-2"),
        Run(MON + AT_2_BERLIN, host="host-2"),
    ]
    checks = [(t, MISSED, None) for t in (FRI + H + 600, SAT + 12 * H, MON + H + 600, MON + 6 * H)]
    _prove(tmp_path, job, Scenario(runs), checks)


# ------------------------------------------------------------ failed and stuck


def test_a_failed_run_alerts_until_the_next_success(tmp_path: Path) -> None:
    job = _job()
    runs = [Run(THU + AT_2_BERLIN, outcome="app_rejected"), Run(FRI + AT_2_BERLIN)]
    checks = [
        (THU + H, FAILED, None),
        (THU + H + 120, FAILED, Fires(THU + H + 50)),  # the failure time: it ended 50 s after 01:00
        (THU + 20 * H, FAILED, Fires(THU + H + 50)),
        (FRI + H + 120, FAILED, None),
        (THU + 20 * H, MISSED, None),  # it ran: a failure is not a missed run
    ]
    _prove(tmp_path, job, Scenario(runs, hours=30), checks)


def test_a_run_that_never_ends_is_running_too_long_past_its_policys_worst_case(tmp_path: Path) -> None:
    # timeout 60 s, 3 attempts, backoff cap 60 s (+10 %): 3*60 + 2*66 = 312 s, + 60 s run grace = 372 s.
    job = _job()
    start = THU + AT_2_BERLIN + 20
    checks = [
        (start + 340, RUNNING_TOO_LONG, None),
        (start + 400, RUNNING_TOO_LONG, Fires(400)),
        (FRI, RUNNING_TOO_LONG, Fires(FRI - start)),
        (FRI, FAILED, None),
    ]
    _prove(tmp_path, job, Scenario([Run(THU + AT_2_BERLIN, takes=None)], hours=30), checks)


def test_a_long_run_within_its_policy_is_not_stuck(tmp_path: Path) -> None:
    job = _job(policy={"timeout_seconds": 600, "retries": {"max_attempts": 1}})
    runs = [Run(THU + AT_2_BERLIN, takes=590)]
    checks = [(THU + H + 540, RUNNING_TOO_LONG, None), (THU + H + 660, RUNNING_TOO_LONG, None)]
    _prove(tmp_path, job, Scenario(runs, hours=3), checks)


# ------------------------------------------------------------ every generated file checks


@pytest.mark.parametrize(
    "config",
    [{}, {"group_by": "app"}, {"labels": {"severity": "page", "team": "billing"}}],
    ids=["per-job", "per-app", "labels"],
)
def test_promtool_accepts_every_generated_file(tmp_path: Path, config: dict[str, Any]) -> None:
    jobs = [
        _job(),
        _job(schedule="@every 90m", timezone="UTC")._replace(name="every"),
        _job(schedules=["0 0 29 2 *", "*/15 * * * *"], timezone="America/St_Johns")._replace(name="many"),
        _job(schedule="0 0 30 2 *")._replace(name="never"),  # no occurrence: no missed rule
    ]
    path = tmp_path / "rules.yml"
    cfg = PrometheusRulesConfig(path=str(path), **config)
    plan = plan_rules(
        cfg, {"billing": jobs}, default_start_grace=300, default_run_grace=60, now=datetime.now(UTC)
    )
    apply_rules(plan, cfg)
    proc = promtool("check", "rules", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = yaml.safe_load(path.read_text())
    alerts = [r["alert"] for g in doc["groups"] for r in g["rules"]]
    assert alerts.count(MISSED) == 3
    assert alerts.count(FAILED) == alerts.count(RUNNING_TOO_LONG) == 4
    if "labels" in config:
        assert all(r["labels"]["severity"] == "page" for g in doc["groups"] for r in g["rules"])
