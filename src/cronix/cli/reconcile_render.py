"""How the reconciler commands print plans, apply results and progress.

Plans read like terraform's: a header, one block per job that changes — its mark
(``+`` create, ``~`` update, ``-`` delete), name and reason, then what changes field by field
(``schedules/0  "@hourly" → "*/30 * * * *"``), or the installed entries when the change is
not in the manifest (a hand edit, duplicates) — and a summary line (``Plan: 2 to create,
1 to update, 0 to delete; 3 in sync.``). Jobs in sync are counted, not listed. ``drift``
prints the same with its own words (``missing``, ``changed``, ``not in the manifest``).
Marks are coloured on a terminal (``NO_COLOR`` honoured). Hashes stay in ``-o json``
(``docs/cli-json.md``), which also carries each op's ``changes``. Progress goes to stderr,
and only when stderr is a terminal.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, Literal

from cronix.cli.render import echo

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from cronix.backends.base import ManagedEntry
    from cronix.reconcile import Op, Outcome, Plan
    from cronix.reconcile.planning import Action

__all__ = [
    "ProgressLine",
    "entry_lines",
    "print_deletions",
    "print_outcome",
    "print_plan",
    "print_rules",
    "short",
    "show_plans",
    "summary_line",
]

Mode = Literal["plan", "drift"]
_COLOURS = {"create": "green", "update": "yellow", "delete": "red", "skip": None}
_WORDS: dict[Mode, dict[Action, str]] = {
    "plan": {"create": "to create", "update": "to update", "delete": "to delete"},
    "drift": {"create": "missing", "update": "changed", "delete": "not in the manifest"},
}
_NOTES = {
    "edited by hand": "apply rewrites the entries from the manifest",
    "duplicate entries": "apply keeps one entry per schedule",
    "trigger spec changed (secret refs or fire strategy)": "apply rewrites the spec the entries carry",
}


def short(hashes: Sequence[str]) -> str:
    """The reference's ``short()``: comma-joined, cut to 16 characters, ``(none)`` when empty."""
    joined = ",".join(hashes)
    return "(none)" if not joined else joined[:16]


def summary_line(plan: Plan, mode: Mode = "plan") -> str:
    """``Plan: 2 to create, 1 to update, 0 to delete; 3 in sync.`` (skips are not operations)."""
    words = _WORDS[mode]
    counts = ", ".join(f"{plan.count(action)} {word}" for action, word in words.items())
    return f"{mode.capitalize()}: {counts}; {plan.count('skip')} in sync."


def print_plan(plan: Plan, mode: Mode = "plan") -> None:
    in_sync = plan.count("skip")
    if plan.noop:
        what = "No changes" if mode == "plan" else "No drift"
        echo(f"{what}: {plan.app} on {plan.backend} matches the manifest ({in_sync} in sync).")
        return
    echo(f"{'Plan' if mode == 'plan' else 'Drift'} for {plan.app} on {plan.backend}:", bold=True)
    for op in plan.changes():
        echo()
        echo(f"  {op.mark} {op.app}.{op.job}  ({op.reason})", fg=_COLOURS[op.action])
        for line in _body(op):
            echo(f"      {line}")
    echo()
    echo(summary_line(plan, mode), bold=True)


def _body(op: Op) -> Iterator[str]:
    """The lines under one op: field changes, else the entries it replaces and why."""
    if op.action == "create" and op.desired is not None:
        job = op.desired
        rows = [(f"schedules/{i}", _value(s)) for i, s in enumerate(job.schedules)]
        rows += [("timezone", _value(job.timezone)), ("request", f"{job.request.method} {job.request.url}")]
        yield from _aligned(rows)
        return
    changes = op.changes if op.action == "update" else []
    if changes:
        yield from _aligned([(c.field, f"{_value(c.old)} → {_value(c.new)}") for c in changes])
        return
    yield from entry_lines(op.entries)
    if op.action == "update":
        unknown = "no record of what was applied; apply rewrites the entries from the manifest"
        yield _NOTES.get(op.reason, unknown)


def _aligned(rows: list[tuple[str, str]]) -> Iterator[str]:
    width = max((len(k) for k, _ in rows), default=0)
    for key, value in rows:
        yield f"{key.ljust(width)}  {value}"


def _value(value: Any) -> str:
    return "(none)" if value is None else json.dumps(value, ensure_ascii=False)


def entry_lines(entries: Sequence[ManagedEntry]) -> list[str]:
    """``entry 0  0 9 * * 1 /usr/local/bin/cronix trigger billing.old``, aligned."""
    return list(_aligned([(f"entry {e.index}", _raw(e)) for e in entries]))


def _raw(entry: ManagedEntry) -> str:
    raw = entry.raw
    text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str)
    return text if len(text) <= 160 else text[:159] + "…"


def show_plans(outcomes: Sequence[Outcome], output: str, mode: Mode = "plan") -> None:
    """The plans of a dry run: one JSON document (an array for several manifests) or tables."""
    from cronix.cli.render import emit_json

    if output == "json":
        docs = [_plan_json(o) for o in outcomes]
        emit_json(docs[0] if len(docs) == 1 else docs)
        return
    for i, outcome in enumerate(outcomes):
        for w in outcome.warnings:
            echo(f"cronix: warning: {w}", err=True)
        if i:
            echo()
        print_plan(outcome.plan, mode)
        print_rules(outcome, mode)


def _plan_json(outcome: Outcome) -> dict[str, Any]:
    doc = outcome.plan.as_json()
    if outcome.monitor is not None:
        doc["monitor"] = outcome.monitor.as_json()
    return doc


def print_rules(outcome: Outcome, mode: Mode | None = None) -> None:
    """The app's groups in the Prometheus rules file: what changes (or changed), one line each."""
    rules = outcome.monitor
    if rules is None:
        return
    if not rules.changes:
        if mode is not None:
            echo(f"Rules: {outcome.plan.app}'s {rules.unchanged} group(s) in {rules.path} are in sync.")
        return
    verb = {"plan": "Rules to change", "drift": "Rules that differ", None: "Rules written"}[mode]
    echo(f"{verb} in {rules.path}:", bold=mode is not None)
    for change in rules.changes:
        colour = _COLOURS[change.action]
        echo(f"  {change.mark} {change.group}  ({change.action}: {', '.join(change.jobs)})", fg=colour)


def print_deletions(plans: Sequence[Plan]) -> int:
    """List every job the plans delete, with its entries; return how many."""
    deletes = [op for plan in plans for op in plan.ops if op.action == "delete"]
    for op in deletes:
        echo(f"  - {op.app}.{op.job}  ({op.reason}) on {plans[0].backend}", err=True, fg="red")
        for line in entry_lines(op.entries):
            echo(f"      {line}", err=True)
    return len(deletes)


def print_outcome(outcome: Outcome) -> None:
    result = outcome.result
    if result is None:
        print_plan(outcome.plan)
        print_rules(outcome, "plan")
        return
    if result.noop:
        echo("Apply: noop (nothing to change)")
    else:
        echo(
            f"Apply: backend={result.backend} created={len(result.created)} updated={len(result.updated)} "
            f"deleted={len(result.deleted)} skipped={result.skipped}"
        )
        for op in outcome.plan.changes():
            echo(f"  {op.mark} {op.action:<7} {op.app}.{op.job}  {op.reason}", fg=_COLOURS[op.action])
    specs = outcome.specs
    if specs is not None and (specs.written or specs.removed):
        echo(
            f"Spec files: {len(specs.written)} written, {len(specs.removed)} removed, "
            f"{specs.unchanged} unchanged"
        )
    print_rules(outcome)


class ProgressLine:
    """``[ 12/256] update billing.report`` on stderr, rewritten in place; silent off a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self._shown = False

    def __call__(self, done: int, total: int, op: Op) -> None:
        if not self.enabled or total < 2:
            return
        width = len(str(total))
        text = (
            f"[{done:>{width}}/{total}] {op.action} {op.app}.{op.job}"
            if done < total
            else f"[{total}/{total}] done"
        )
        sys.stderr.write(f"\r\x1b[2K{text}")
        sys.stderr.flush()
        self._shown = True
        if done >= total:
            sys.stderr.write("\n")
            self._shown = False

    def close(self) -> None:
        if self._shown:
            sys.stderr.write("\n")
            self._shown = False
