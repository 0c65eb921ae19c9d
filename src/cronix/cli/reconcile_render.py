"""How the reconciler commands print plans, apply results and progress.

Table lines keep the reference's shape (``Plan: backend=… noop=… ops=…`` and one
``+ create  app.job  (old → new)`` line per op) so eyes and scripts used to it still
work; JSON shapes are documented in ``docs/cli-json.md``. Progress goes to stderr, and
only when stderr is a terminal.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from cronix.cli.render import echo

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cronix.reconcile import Op, Outcome, Plan

__all__ = ["ProgressLine", "print_outcome", "print_plan", "short", "show_plans"]


def short(hashes: Sequence[str]) -> str:
    """The reference's ``short()``: comma-joined, cut to 16 characters, ``(none)`` when empty."""
    joined = ",".join(hashes)
    return "(none)" if not joined else joined[:16]


def print_plan(plan: Plan) -> None:
    noop = "true" if plan.noop else "false"
    echo(f"Plan: backend={plan.backend} noop={noop} ops={len(plan.ops)}")
    for op in plan.ops:
        reason = "" if op.action == "skip" else f"  {op.reason}"
        echo(
            f"  {op.mark} {op.action:<7} {op.app}.{op.job}  "
            f"({short(op.old_hashes)} → {short(op.new_hashes)}){reason}"
        )


def show_plans(outcomes: Sequence[Outcome], output: str) -> None:
    """The plans of a dry run: one JSON document (an array for several manifests) or tables."""
    from cronix.cli.render import emit_json

    if output == "json":
        docs = [o.plan.as_json() for o in outcomes]
        emit_json(docs[0] if len(docs) == 1 else docs)
        return
    for outcome in outcomes:
        for w in outcome.warnings:
            echo(f"cronix: warning: {w}", err=True)
        print_plan(outcome.plan)


def print_outcome(outcome: Outcome) -> None:
    result = outcome.result
    if result is None:
        print_plan(outcome.plan)
        return
    if result.noop:
        echo("Apply: noop (nothing to change)")
    else:
        echo(
            f"Apply: backend={result.backend} created={len(result.created)} updated={len(result.updated)} "
            f"deleted={len(result.deleted)} skipped={result.skipped}"
        )
        for op in outcome.plan.changes():
            echo(f"  {op.mark} {op.action:<7} {op.app}.{op.job}  {op.reason}")
    specs = outcome.specs
    if specs is not None and (specs.written or specs.removed):
        echo(
            f"Spec files: {len(specs.written)} written, {len(specs.removed)} removed, "
            f"{specs.unchanged} unchanged"
        )


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
