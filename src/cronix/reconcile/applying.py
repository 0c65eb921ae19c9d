"""Execute a plan: deletes, then updates, then creates; stop at the first failure.

Operations that change only a trigger spec file (``Op.spec_only``; the caller writes the
file) are recorded but never sent to the backend.

Before an existing entry is updated or deleted the backend confirms it still carries
cronix's marker (``verify_ownership``), so an entry that changed hands since the plan is
never overwritten. Backends that support transactions (crontab) stage every change and
commit once: a failure anywhere means nothing was changed. Otherwise the error says
exactly which operations were done and which were not.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cronix.backends.base import CommitIncomplete, SupportsTransaction, SupportsVerifyMany
from cronix.errors import ApplyError, BackendError, CronixError
from cronix.reconcile.firing import FireSettings

if TYPE_CHECKING:
    from cronix.backends.base import Backend, ManagedEntry
    from cronix.reconcile.planning import Op, Plan

__all__ = ["ApplyFailed", "ApplyResult", "Progress", "apply_plan"]

#: Called before each operation with (number done so far, total, the operation).
Progress = Callable[[int, int, "Op"], None]
_ORDER = {"delete": 0, "update": 1, "create": 2}


@dataclass(slots=True)
class ApplyResult:
    backend: str
    app: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    skipped: int = 0

    @property
    def noop(self) -> bool:
        return not (self.created or self.updated or self.deleted)

    def record(self, op: Op) -> None:
        {"create": self.created, "update": self.updated, "delete": self.deleted}[op.action].append(op.job)

    def as_json(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "app": self.app,
            "noop": self.noop,
            "created": len(self.created),
            "updated": len(self.updated),
            "deleted": len(self.deleted),
            "skipped": self.skipped,
            "jobs": {"created": self.created, "updated": self.updated, "deleted": self.deleted},
        }


class ApplyFailed(ApplyError):
    """An apply stopped; ``result`` holds what was done before the failure."""

    def __init__(self, message: str, result: ApplyResult) -> None:
        super().__init__(message)
        self.result = result


def apply_plan(
    plan: Plan, backend: Backend, *, fire: FireSettings | None = None, progress: Progress | None = None
) -> ApplyResult:
    """Carry out ``plan`` on ``backend`` (which must be the backend it was computed for)."""
    fire = fire or FireSettings()
    ops = sorted(plan.changes(), key=lambda op: _ORDER[op.action])
    result = ApplyResult(plan.backend, plan.app, skipped=plan.count("skip"))
    if not ops:
        return result
    spec_only = [op for op in ops if op.spec_only]
    ops = [op for op in ops if not op.spec_only]
    if not ops:
        for op in spec_only:
            result.record(op)
        return result
    owned = _verdicts(backend, [entry for op in ops for entry in op.entries])
    transactional = isinstance(backend, SupportsTransaction)
    batch = backend.transaction() if isinstance(backend, SupportsTransaction) else contextlib.nullcontext()
    staged: list[Op] = []
    current: Op | None = None
    try:
        with batch:
            for i, op in enumerate(ops):
                current = op
                if progress is not None:
                    progress(i, len(ops), op)
                _execute(backend, op, owned, fire)
                staged.append(op)
                if not transactional:
                    result.record(op)
            current = None
    except (CronixError, OSError) as exc:
        raise ApplyFailed(_failure_message(plan, ops, staged, current, exc, transactional), result) from exc
    if transactional:
        for op in staged:
            result.record(op)
    for op in spec_only:
        result.record(op)
    if progress is not None:
        progress(len(ops), len(ops), ops[-1])
    return result


def _verdicts(backend: Backend, entries: list[ManagedEntry]) -> dict[int, bool] | None:
    """Ownership of every entry the plan touches (by ``id``), asked at once where the backend can.

    A plugin pays a round trip per call; one batched question keeps a large apply fast.
    """
    if not entries or not isinstance(backend, SupportsVerifyMany):
        return None
    verdicts = backend.verify_ownership_many(entries)
    return {id(entry): ok for entry, ok in zip(entries, verdicts, strict=True)}


def _execute(backend: Backend, op: Op, owned: dict[int, bool] | None, fire: FireSettings) -> None:
    for entry in op.entries:
        if not (owned[id(entry)] if owned is not None else backend.verify_ownership(entry)):
            raise BackendError(
                f"entry {entry.index} of {op.app}.{op.job} changed since the plan was made "
                "(its marker or line differs); nothing of it was touched — run apply again"
            )
    if op.action == "delete":
        backend.delete(op.app, op.job)
    elif op.action == "update":
        assert op.desired is not None
        backend.update(op.app, op.desired, op.new_hashes, fire.spec(op.app, op.desired))
    else:
        assert op.desired is not None
        backend.create(op.app, op.desired, op.new_hashes, fire.spec(op.app, op.desired))


def _failure_message(
    plan: Plan, ops: list[Op], staged: list[Op], current: Op | None, exc: BaseException, transactional: bool
) -> str:
    what = f"{current.action} {current.app}.{current.job}" if current is not None else "writing the changes"
    reason = getattr(exc, "message", None) or str(exc)
    if transactional and isinstance(exc, CommitIncomplete):
        return f"apply on {plan.backend} failed at {what}: {reason}"  # the backend says what was done
    if transactional:
        return f"apply on {plan.backend} failed at {what}: {reason}; nothing was changed"
    done = ", ".join(f"{op.action} {op.job}" for op in staged) or "nothing"
    rest = [op for op in ops if op not in staged]
    not_done = ", ".join(f"{op.action} {op.job}" for op in rest)
    return f"apply on {plan.backend} failed at {what}: {reason}; done: {done}; not done: {not_done}"
