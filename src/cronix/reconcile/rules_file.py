"""The Prometheus rules file as a reconcile target: cronix's groups in, everyone else's untouched.

``monitor.prometheus_rules.path`` in cronix.yaml names a rules file (listed under
``rule_files:`` in prometheus.yml). ``cronix apply`` keeps the groups of the apps it applies
in step with their jobs (:mod:`cronix.reconcile.alert_rules`) and never touches any other
group. Like every scheduler entry, a group cronix writes is marked: its name is
``cronix:<app>.<job>`` (``group_by: job``) or ``cronix:<app>`` (``group_by: app``) **and** every
rule in it carries the annotation ``cronix_managed: <app>.<job>`` — a group with only the name
is someone else's, and one of those in the way of a name cronix needs is an error, never
overwritten.

Foreign groups survive byte for byte: the file is rewritten by splicing its text, not
re-serialised (:mod:`cronix.reconcile.rules_text`; a flow-style ``groups: [...]`` is the one
exception, and the plan warns). No change, no write. A write is
atomic (:func:`cronix.fileio.write_atomic`, mode and owner kept); with ``promtool`` set the
new text is first checked with ``promtool check rules``, and with ``reload_url`` Prometheus
is asked to reload afterwards.

The first occurrence a job's missed rule counts from is read back from the group it
already has (``cronix_first_expected``), as long as its schedules did not change: the file
is the state, as the entries are everywhere else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from cronix.errors import ApplyError
from cronix.reconcile.alert_rules import (
    FIRST_EXPECTED,
    MANAGED,
    MISSED,
    SCHEDULE_HASH,
    Graces,
    first_expected,
    parse_utc,
    rules_for,
)
from cronix.reconcile.rules_text import PREFIX, Group, read_rules, splice

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from cronix.config import PrometheusRulesConfig
    from cronix.protocol.manifest import Job

__all__ = ["PREFIX", "RuleChange", "RulesOutcome", "RulesPlan", "apply_rules", "plan_rules"]


RuleAction = Literal["create", "update", "delete"]


@dataclass(frozen=True, slots=True)
class RuleChange:
    action: RuleAction
    group: str
    app: str
    jobs: tuple[str, ...]

    @property
    def mark(self) -> str:
        return {"create": "+", "update": "~", "delete": "-"}[self.action]

    def as_json(self) -> dict[str, Any]:
        return {"action": self.action, "group": self.group, "app": self.app, "jobs": list(self.jobs)}


@dataclass(slots=True)
class RulesOutcome:
    """What the rules file gets (or got) for one app: its path, the group changes, warnings."""

    path: str
    changes: list[RuleChange]
    unchanged: int
    written: bool = False
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "changes": [c.as_json() for c in self.changes],
            "unchanged": self.unchanged,
            "written": self.written,
            "warnings": self.warnings,
        }


@dataclass(slots=True)
class RulesPlan:
    """Every app's changes to one rules file, and the file's new text (``None``: unchanged)."""

    path: str
    changes: list[RuleChange]
    unchanged: dict[str, int]
    text: str | None
    warnings: list[str] = field(default_factory=list)

    def for_app(self, app: str) -> RulesOutcome:
        mine = [c for c in self.changes if c.app == app]
        return RulesOutcome(self.path, mine, self.unchanged.get(app, 0), warnings=list(self.warnings))


# ---------------------------------------------------------------- planning


def _kept_first(current: Sequence[Group], who: str, key: str) -> int | None:
    """The ``cronix_first_expected`` of ``who``'s missed rule, if it was computed from ``key``."""
    for group in current:
        for rule in group.doc.get("rules") or []:
            notes = rule.get("annotations") if isinstance(rule, dict) else None
            if not isinstance(notes, dict) or rule.get("alert") != MISSED or notes.get(MANAGED) != who:
                continue
            if notes.get(SCHEDULE_HASH) == key:
                return parse_utc(notes.get(FIRST_EXPECTED))
    return None


def plan_rules(
    config: PrometheusRulesConfig,
    apps: Mapping[str, Sequence[Job]],
    *,
    default_start_grace: int,
    default_run_grace: int,
    now: datetime,
    paused: Mapping[tuple[str, str], bool] | None = None,
) -> RulesPlan:
    """The changes that make the groups of ``apps`` (app → its jobs that fire through the trigger) match.

    Groups of apps not in ``apps`` are left alone, as every backend leaves other apps' entries.
    """
    from cronix.protocol.metrics import schedule_hash

    path = config.path
    current = read_rules(path)
    owned = [g for g in current.groups if g.owner in apps]
    desired: dict[str, dict[str, Any]] = {}
    members: dict[str, tuple[str, list[str]]] = {}
    for app, jobs in sorted(apps.items()):
        for job in sorted(jobs, key=lambda j: j.name):
            who = f"{app}.{job.name}"
            first = _kept_first(owned, who, schedule_hash(job.schedules, job.timezone))
            if first is None:
                first = first_expected(job, now)
            graces = Graces.of(job, default_start_grace, default_run_grace)
            rules = rules_for(
                app, job, graces, first, config.labels, paused=(paused or {}).get((app, job.name), False)
            )
            name = f"{PREFIX}{app}" if config.group_by == "app" else f"{PREFIX}{who}"
            group = desired.setdefault(name, {"name": name, "rules": []})
            group["rules"].extend(rules.rules)
            members.setdefault(name, (app, []))[1].append(job.name)
    taken = {g.name for g in current.groups if g.owner is None}
    clash = sorted(taken & set(desired))
    if clash:
        raise ApplyError(
            f"the rules file {path} has a group named {clash[0]} that cronix did not write (its rules lack "
            f"the {MANAGED} annotation): rename or remove it; nothing was changed"
        )
    changes: list[RuleChange] = []
    unchanged: dict[str, int] = {}
    seen: set[str] = set()
    for old in owned:
        owner = old.owner or ""
        if old.name in seen or old.name not in desired:
            changes.append(RuleChange("delete", old.name, owner, tuple(_jobs_of(old.doc))))
            continue
        seen.add(old.name)
        if old.doc == desired[old.name]:
            unchanged[owner] = unchanged.get(owner, 0) + 1
        else:
            changes.append(RuleChange("update", old.name, owner, tuple(members[old.name][1])))
    for name in sorted(set(desired) - seen):
        changes.append(RuleChange("create", name, members[name][0], tuple(members[name][1])))
    plan = RulesPlan(path, changes, unchanged, None)
    if changes:
        plan.text, warnings = splice(current, desired, {g.name for g in owned}, path)
        plan.warnings += warnings
    return plan


def _jobs_of(doc: Any) -> list[str]:
    names = [r.get("annotations", {}).get(MANAGED, "") for r in doc.get("rules") or [] if isinstance(r, dict)]
    return sorted({n.partition(".")[2] for n in names if n})


# ---------------------------------------------------------------- writing


def apply_rules(plan: RulesPlan, config: PrometheusRulesConfig) -> list[str]:
    """Write the new text (checked by promtool first when configured), then ask for a reload.

    Returns warnings (a failed reload: the file is written, Prometheus reads it at its next
    reload); raises :class:`~cronix.errors.ApplyError` when the file cannot be written or
    promtool refuses it — the old file is then left as it was.
    """
    if plan.text is None:
        return []
    if config.promtool:
        _check(plan.text, config.promtool, plan.path)
    from cronix.fileio import write_atomic

    try:
        write_atomic(plan.path, plan.text.encode("utf-8"), mode=0o644, keep_mode_and_owner=True)
    except OSError as exc:
        raise ApplyError(
            f"cannot write the rules file {plan.path}: {exc.strerror or exc}; it was left as it was"
        ) from None
    return _reload(config.reload_url) if config.reload_url else []


def _check(text: str, promtool: str, path: str) -> None:
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cronix-rules-") as tmp:
        candidate = os.path.join(tmp, os.path.basename(path) or "rules.yml")
        with open(candidate, "w", encoding="utf-8") as fh:
            fh.write(text)
        try:
            proc = subprocess.run(
                [promtool, "check", "rules", candidate],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ApplyError(f"monitor.prometheus_rules.promtool: cannot run {promtool}: {exc}") from None
    if proc.returncode != 0:
        detail = " ".join((proc.stdout + proc.stderr).replace(candidate, path).split())[:500]
        raise ApplyError(f"promtool check rules refused the new {path}, so it was not written: {detail}")


def _reload(url: str) -> list[str]:
    from cronix.httpio import HttpError, parse_target, request

    what = f"monitor.prometheus_rules.reload_url: {url}"
    try:
        response = request(parse_target(url), "POST", [], b"", timeout=10.0, max_body=4096)
    except (ValueError, HttpError) as exc:
        return [f"{what}: {exc} (the rules file was written)"]
    if not 200 <= response.status < 300:
        return [f"{what} answered HTTP {response.status} (the rules file was written)"]
    return []
