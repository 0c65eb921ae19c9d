"""The Prometheus rules file as text: its groups with their place in the text, and a splice.

:mod:`cronix.reconcile.rules_file` plans and writes; this module reads and rewrites the text
so that every group cronix does not own keeps its bytes. PyYAML's node marks give each
group's span in the file (the line of its ``-`` up to its last non-blank, non-comment line,
so comments between groups stay where they are); a group is replaced in place, cut out, or
appended after the last group at the same indentation. Only a ``groups`` list in flow style
(``groups: [...]``) cannot be spliced: the file is then re-serialised, which keeps every
group's meaning but not comments or formatting.

A group is cronix's when its name is ``cronix:<app>[.<job>]`` **and** every rule in it
carries the ``cronix_managed`` annotation of that app (and job): :func:`owner_of`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cronix.errors import BackendError
from cronix.protocol.identifiers import is_valid_id
from cronix.reconcile.alert_rules import MANAGED

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["PREFIX", "Group", "RulesText", "owner_of", "read_rules", "splice"]

PREFIX = "cronix:"
_HEADER = (
    "# Prometheus alert rules. The groups named cronix:... are written by `cronix apply`\n"
    "# from each job's schedule (docs/monitoring.md); every other group is left as it is.\n"
)


@dataclass(slots=True)
class Group:
    """One item of the ``groups`` list: its value, its owner, its span in the text."""

    doc: Any
    owner: str | None  # the app, for a group cronix owns
    start: int = -1  # the item's text: [start, end) of the file (-1: not spliceable)
    end: int = -1

    @property
    def name(self) -> str:
        return str(self.doc.get("name", "")) if isinstance(self.doc, dict) else ""


@dataclass(slots=True)
class RulesText:
    """A rules file's text and its groups (none for a missing or empty file)."""

    text: str
    groups: list[Group]
    #: The indentation of the block list of groups; ``None``: no list to splice into.
    indent: int | None = None


def owner_of(doc: Any) -> str | None:
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


def read_rules(path: str) -> RulesText:
    """The file at ``path`` (missing: empty); :class:`BackendError` when it is not a rules file."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        return RulesText("", [])
    except (OSError, UnicodeDecodeError) as exc:
        raise BackendError(
            f"cannot read the rules file {path}: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    return _parse(path, text)


def _parse(path: str, text: str) -> RulesText:
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
        return RulesText(text, [])
    groups = doc.get("groups") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or not isinstance(groups, (list, type(None))):
        raise BackendError(
            f"the rules file {path} is not a Prometheus rules file (a mapping with a groups: list); "
            "nothing was changed"
        )
    found = [Group(g, owner_of(g)) for g in groups or []]
    out = RulesText(text, found)
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


def splice(
    current: RulesText, desired: Mapping[str, Any], owned: set[str], path: str
) -> tuple[str, list[str]]:
    """The file with the ``owned`` groups replaced by ``desired``: spliced when possible, else
    re-serialised (and a warning saying so)."""
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
        return "".join(out), []
    foreign = [g.doc for g in current.groups if g.name not in owned]
    warnings = []
    if foreign:
        warnings.append(
            f"{path}: its groups are not a block list, so the file is re-serialised: every group "
            "keeps its meaning, but comments and formatting are not kept"
        )
    groups = [*foreign, *(desired[n] for n in sorted(desired))]
    return _HEADER + ("groups:\n" + _dump(groups, 2) if groups else "groups: []\n"), warnings
