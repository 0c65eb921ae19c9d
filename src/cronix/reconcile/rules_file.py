"""The Prometheus rules file as a reconcile target: cronix's groups in, everyone else's untouched.

``monitor.prometheus_rules.path`` in cronix.yaml names a rules file (listed under
``rule_files:`` in prometheus.yml). ``cronix apply`` keeps the groups of the apps it applies
in step with their jobs (:mod:`cronix.reconcile.alert_rules`) and never touches any other
group. Like every scheduler entry, a group cronix writes is marked: its name is
``cronix:<app>.<job>`` (``group_by: job``) or ``cronix:<app>`` (``group_by: app``) **and** every
rule in it carries the annotation ``cronix_managed: <app>.<job>`` — a group with only the name
is someone else's, and one of those in the way of a name cronix needs is an error, never
overwritten.

Foreign groups survive byte for byte: the file is rewritten by splicing, not re-serialised.
PyYAML's node marks give each group's place in the text; a group cronix keeps is kept as
it was written, a changed one is replaced in place, a removed one is cut out (with the
lines before it, comments included, left where they were), new ones go after the last
group at the same indentation. Only when the ``groups`` list is not a block list (written
in flow style, ``groups: [...]``) is the file re-serialised, which keeps every foreign
group's meaning but not its comments, and the plan warns. No change, no write. A write is
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

from cronix.errors import ApplyError, BackendError
from cronix.protocol.identifiers import is_valid_id
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

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import datetime

    from cronix.config import PrometheusRulesConfig
    from cronix.protocol.manifest import Job

__all__ = ["PREFIX", "RuleChange", "RulesOutcome", "RulesPlan", "apply_rules", "plan_rules"]

PREFIX = "cronix:"
_HEADER = (
    "# Prometheus alert rules. The groups named cronix:... are written by `cronix apply`\n"
    "# from each job's schedule (docs/monitoring.md); every other group is left as it is.\n"
)

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


# ---------------------------------------------------------------- reading the file


@dataclass(slots=True)
class _Group:
    doc: Any
    owner: str | None  # the app, for a group cronix owns
    start: int = -1  # the item's text: [start, end) of the file (-1: not spliceable)
    end: int = -1

    @property
    def name(self) -> str:
        return str(self.doc.get("name", "")) if isinstance(self.doc, dict) else ""


@dataclass(slots=True)
class _File:
    text: str
    groups: list[_Group]
    #: The indentation of the block list of groups; ``None``: no list to splice into.
    indent: int | None = None


def _owner(doc: Any) -> str | None:
    """The app of a group cronix wrote (name *and* every rule marked), else ``None``."""
    if not isinstance(doc, dict):
        return None
    name, rules = doc.get("name"), doc.get("rules")
    if not isinstance(name, str) or not name.startswith(PREFIX) or not isinstance(rules, list) or not rules:
        return None
    app, _, job = name[len(PREFIX) :].partition(".")
    if not is_valid_id(app) or (job and not is_valid_id(job)):
        return None
    for rule in rules:
        notes = rule.get("annotations") if isinstance(rule, dict) else None
        managed = notes.get(MANAGED) if isinstance(notes, dict) else None
        if not isinstance(managed, str):
            return None
        rule_app, _, rule_job = managed.partition(".")
        if rule_app != app or (job and rule_job != job):
            return None
    return app


def _read(path: str) -> _File:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        return _File("", [])
    except (OSError, UnicodeDecodeError) as exc:
        raise BackendError(
            f"cannot read the rules file {path}: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    return _parse(path, text)


def _parse(path: str, text: str) -> _File:
    import yaml

    try:
        doc = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise BackendError(
            f"the rules file {path} is not valid YAML{where}: fix it or point monitor.prometheus_rules.path "
            "elsewhere; nothing was changed"
        ) from None
    if doc is None:
        return _File(text, [])
    groups = doc.get("groups") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or not isinstance(groups, (list, type(None))):
        raise BackendError(
            f"the rules file {path} is not a Prometheus rules file (a mapping with a groups: list); "
            "nothing was changed"
        )
    found = [_Group(g, _owner(g)) for g in groups or []]
    out = _File(text, found)
    pairs = root.value if isinstance(root, yaml.MappingNode) else []
    seq = next((v for k, v in pairs if isinstance(k, yaml.ScalarNode) and k.value == "groups"), None)
    if isinstance(seq, yaml.SequenceNode) and not seq.flow_style and found and len(seq.value) == len(found):
        starts = [_item_start(text, item.start_mark.index) for item in seq.value]
        ends = [*starts[1:], _sequence_end(text, seq.end_mark.index)]
        for group, start, end in zip(found, starts, ends, strict=True):
            group.start, group.end = start, _content_end(text, start, end)
        out.indent = _dash_column(text, starts[0])
    return out


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _item_start(text: str, index: int) -> int:
    """The start of the line holding the ``-`` of the list item whose content starts at ``index``."""
    j = index - 1
    while j >= 0 and text[j] in " \t\r\n":
        j -= 1
    return _line_start(text, j if j >= 0 and text[j] == "-" else index)


def _dash_column(text: str, line: int) -> int:
    return len(text[line:]) - len(text[line:].lstrip(" "))


def _sequence_end(text: str, index: int) -> int:
    return len(text) if index >= len(text) else _line_start(text, index)


def _content_end(text: str, start: int, end: int) -> int:
    """``end``, less the blank and comment-only lines that close the item (they stay in place)."""
    lines = text[start:end].splitlines(keepends=True)
    while len(lines) > 1 and (not lines[-1].strip() or lines[-1].lstrip().startswith("#")):
        lines.pop()
    return start + sum(len(line) for line in lines)


# ---------------------------------------------------------------- planning


def _dump(groups: Iterable[Any], indent: int) -> str:
    """Groups as a block list at ``indent``: nested lists indented, no anchors, never wrapped."""
    import yaml

    class Dumper(yaml.SafeDumper):
        def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
            super().increase_indent(flow, False)

        def ignore_aliases(self, data: Any) -> bool:
            return True

    text = yaml.dump(list(groups), Dumper=Dumper, sort_keys=False, allow_unicode=True, width=1 << 30)
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in text.splitlines(keepends=True))


def _kept_first(current: Sequence[_Group], who: str, key: str) -> int | None:
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
    current = _read(path)
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
        plan.text = _new_text(current, desired, {g.name for g in owned}, plan)
    return plan


def _jobs_of(doc: Any) -> list[str]:
    names = [r.get("annotations", {}).get(MANAGED, "") for r in doc.get("rules") or [] if isinstance(r, dict)]
    return sorted({n.partition(".")[2] for n in names if n})


def _new_text(current: _File, desired: Mapping[str, Any], owned: set[str], plan: RulesPlan) -> str:
    """The file with the owned groups replaced: spliced when possible, else re-serialised."""
    text = current.text
    if current.indent is not None:
        out: list[str] = []
        pos = 0
        placed: set[str] = set()
        for group in current.groups:
            out.append(text[pos : group.start])  # what precedes the group (comments) stays
            original = text[group.start : group.end]
            pos = group.end
            if group.name not in owned:
                out.append(original)
            elif group.name in desired and group.name not in placed:
                placed.add(group.name)
                new = desired[group.name]
                out.append(original if group.doc == new else _dump([new], current.indent))
        fresh = [desired[n] for n in sorted(desired) if n not in placed]
        if fresh:
            if not "".join(out).endswith("\n"):
                out.append("\n")
            out.append(_dump(fresh, current.indent))
        out.append(text[pos:])
        return "".join(out)
    foreign = [g.doc for g in current.groups if g.name not in owned]
    if foreign:
        plan.warnings.append(
            f"{plan.path}: its groups are not a block list, so the file is re-serialised: every group "
            "keeps its meaning, but comments and formatting are not kept"
        )
    groups = [*foreign, *(desired[n] for n in sorted(desired))]
    return _HEADER + ("groups:\n" + _dump(groups, 2) if groups else "groups: []\n")


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
