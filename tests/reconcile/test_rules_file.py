"""``cronix apply`` keeps the Prometheus rules file (``monitor.prometheus_rules``) in step, owning only its groups.

Through the real CLI (in-process) on a crontab under tmp, with a real cronix.yaml, and the
real ``promtool`` checking what was written. Foreign groups must survive byte for byte,
comments included; a foreign group in the way of a cronix name is an error that changes
nothing; a bad file is a one-line error that changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cronix.reconcile.alert_rules import FAILED, FIRST_EXPECTED, MANAGED, MISSED, RUNNING_TOO_LONG
from tests.reconcile.conftest import Host, job
from tests.support.prometheus import promtool

FOREIGN = """\
# Team rules: hand-written, must stay as they are.
groups:
  - name: node   # the host itself
    rules:
      - alert: NodeDown
        expr: up{job="node"} == 0
        for: 5m   # a comment inside a foreign group

  # A comment between groups.
  - name: cronix:billing.fake
    rules:
      - alert: Imposter
        expr: vector(1)
"""


def _config(host: Host, rules: Path, **extra: Any) -> Path:
    cfg = host.root / "cronix.yaml"
    settings = {"path": str(rules), "promtool": "/usr/bin/promtool", **extra}
    cfg.write_text(yaml.safe_dump({"monitor": {"prometheus_rules": settings}}))
    return cfg


def _groups(path: Path) -> dict[str, Any]:
    return {g["name"]: g for g in yaml.safe_load(path.read_text())["groups"]}


def _checked(path: Path) -> None:
    proc = promtool("check", "rules", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_apply_writes_a_group_per_job_and_keeps_foreign_groups_byte_for_byte(host: Host) -> None:
    rules = host.root / "rules.yml"
    foreign = FOREIGN.replace("cronix:billing.fake", "team")  # a foreign group, no cronix name
    rules.write_text(foreign)
    cfg = _config(host, rules)
    manifest = host.manifest("billing", job("report", "0 2 * * 1-5"), job("sync"))

    result = host.apply(manifest, "--config", str(cfg))
    assert result.code == 0, result.err
    assert "Rules written in" in result.out and "+ cronix:billing.report" in result.out
    text = rules.read_text()
    assert text.startswith(foreign)  # every foreign byte, comments included, in place
    _checked(rules)
    groups = _groups(rules)
    assert set(groups) == {"node", "team", "cronix:billing.report", "cronix:billing.sync"}
    report = groups["cronix:billing.report"]["rules"]
    assert [r["alert"] for r in report] == [MISSED, FAILED, RUNNING_TOO_LONG]
    assert all(r["annotations"][MANAGED] == "billing.report" for r in report)

    # Nothing changed: no write, the plan says so, and the first expected occurrence is kept.
    before = rules.stat().st_mtime_ns
    again = host.apply(manifest, "--config", str(cfg))
    assert again.code == 0 and rules.stat().st_mtime_ns == before
    plan = host.plan(manifest, "--config", str(cfg))
    assert "in sync" in plan.out, plan.out

    # A job removed: its group goes, the foreign ones stay exactly.
    smaller = host.manifest("billing", job("report", "0 2 * * 1-5"))
    assert host.apply(smaller, "--config", str(cfg)).code == 0
    assert set(_groups(rules)) == {"node", "team", "cronix:billing.report"}
    assert rules.read_text().startswith(foreign)
    _checked(rules)


def test_a_changed_schedule_updates_its_group_in_place(host: Host) -> None:
    rules = host.root / "rules.yml"
    cfg = _config(host, rules, group_by="app")
    host.apply(host.manifest("billing", job("report", "0 2 * * *")), "--config", str(cfg))
    first = _groups(rules)["cronix:billing"]["rules"][0]["annotations"][FIRST_EXPECTED]
    plan = host.plan(host.manifest("billing", job("report", "0 3 * * *")), "--config", str(cfg))
    assert "~ cronix:billing" in plan.out, plan.out
    result = host.apply(host.manifest("billing", job("report", "0 3 * * *")), "--config", str(cfg))
    assert result.code == 0, result.err
    missed = _groups(rules)["cronix:billing"]["rules"][0]
    assert missed["annotations"][FIRST_EXPECTED] != first
    assert missed["annotations"][FIRST_EXPECTED].endswith(":00:00Z")
    _checked(rules)


def test_other_apps_groups_are_left_alone(host: Host) -> None:
    rules = host.root / "rules.yml"
    cfg = _config(host, rules)
    assert host.apply(host.manifest("billing", job("report")), "--config", str(cfg)).code == 0
    assert host.apply(host.manifest("mail", job("digest")), "--config", str(cfg)).code == 0
    assert set(_groups(rules)) == {"cronix:billing.report", "cronix:mail.digest"}


def test_a_foreign_group_with_a_cronix_name_is_refused_and_nothing_changes(host: Host) -> None:
    rules = host.root / "rules.yml"
    rules.write_text(FOREIGN.replace("billing.fake", "billing.report"))
    cfg = _config(host, rules)
    result = host.apply(host.manifest("billing", job("report")), "--config", str(cfg))
    assert result.code != 0
    assert "did not write" in result.err and "cronix:billing.report" in result.err
    assert rules.read_text() == FOREIGN.replace("billing.fake", "billing.report")


def test_an_unmarked_group_named_like_cronix_is_not_owned_and_survives(host: Host) -> None:
    rules = host.root / "rules.yml"
    rules.write_text(FOREIGN)  # cronix:billing.fake has no cronix_managed annotation
    cfg = _config(host, rules)
    assert host.apply(host.manifest("billing", job("report")), "--config", str(cfg)).code == 0
    assert rules.read_text().startswith(FOREIGN)
    assert "cronix:billing.fake" in _groups(rules)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("groups: [\n", "not valid YAML"), ("- a\n- b\n", "not a Prometheus rules file")],
    ids=["yaml", "shape"],
)
def test_a_broken_rules_file_is_one_line_and_left_as_it_was(host: Host, text: str, fragment: str) -> None:
    rules = host.root / "rules.yml"
    rules.write_text(text)
    cfg = _config(host, rules)
    result = host.apply(host.manifest("billing", job("report")), "--config", str(cfg))
    assert result.code != 0
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in result.err
    assert rules.read_text() == text


def test_a_hand_edited_group_is_drift_and_apply_restores_it(host: Host) -> None:
    rules = host.root / "rules.yml"
    cfg = _config(host, rules)
    manifest = host.manifest("billing", job("report", "0 2 * * 1-5"))
    assert host.apply(manifest, "--config", str(cfg)).code == 0
    written = rules.read_text()
    rules.write_text(written.replace("> 300", "> 99999", 1))  # someone loosened the grace

    drift = host.drift(manifest, "--config", str(cfg), "--exit-on-drift", "-o", "json")
    assert drift.code == 5, drift.err
    monitor = drift.json()["monitor"]
    assert monitor["changes"] == [
        {"action": "update", "group": "cronix:billing.report", "app": "billing", "jobs": ["report"]}
    ]
    assert monitor["written"] is False

    applied = host.apply(manifest, "--config", str(cfg), "-o", "json")
    assert applied.code == 0, applied.err
    assert applied.json()["monitor"]["written"] is True
    assert rules.read_text() == written


def test_a_candidate_promtool_refuses_is_not_written(host: Host) -> None:
    rules = host.root / "rules.yml"
    rules.write_text(FOREIGN)
    cfg = _config(host, rules, promtool="/bin/false")  # a checker that refuses everything
    result = host.apply(host.manifest("billing", job("report")), "--config", str(cfg))
    assert result.code == 1
    assert "promtool check rules refused" in result.err and "the backend was applied" in result.err
    assert rules.read_text() == FOREIGN


def test_a_flow_style_file_is_reserialised_with_a_warning_and_keeps_its_groups(host: Host) -> None:
    rules = host.root / "rules.yml"
    rules.write_text('groups: [{name: node, rules: [{alert: NodeDown, expr: "up == 0"}]}]\n')
    cfg = _config(host, rules)
    result = host.apply(host.manifest("billing", job("report")), "--config", str(cfg))
    assert result.code == 0, result.err
    assert "re-serialised" in result.err
    groups = _groups(rules)
    assert groups["node"] == {"name": "node", "rules": [{"alert": "NodeDown", "expr": "up == 0"}]}
    assert "cronix:billing.report" in groups
    _checked(rules)
