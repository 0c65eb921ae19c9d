"""``prune``: delete the entries cronix owns (all, or one app's), safely.

Under the apply lock (for local state), every listed entry is confirmed with
``verify_ownership`` before anything is deleted — the same rule as apply — and the deletes
run in the backend's transaction where it has one, so a failure deletes nothing. The
caller decides whether to go ahead after seeing exactly what would go (``confirm``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cronix.backends.base import SupportsTransaction, SupportsVerifyMany
from cronix.errors import BackendError, UsageError
from cronix.reconcile import hold_apply_lock, sync_spec_files

if TYPE_CHECKING:
    from collections.abc import Callable

    from cronix.backends.base import Backend, ManagedEntry
    from cronix.operations.workspace import Workspace

__all__ = ["PrunePlan", "prune"]


@dataclass(frozen=True, slots=True)
class PrunePlan:
    """What prune deletes (or deleted): every owned entry of these ``(app, job)`` pairs."""

    backend: str
    entries: list[ManagedEntry]
    jobs: list[tuple[str, str]]


def prune(
    ws: Workspace, *, only_app: str | None = None, confirm: Callable[[PrunePlan], bool] | None = None
) -> PrunePlan:
    """Delete the owned entries (and their spec files); ``confirm`` may refuse (nothing is deleted)."""
    with ws.open_backend() as backend, hold_apply_lock(ws.lock(), local_state=backend.local_state):
        entries = [e for e in backend.list_entries() if only_app is None or e.app == only_app]
        plan = PrunePlan(backend.name, entries, list(dict.fromkeys((e.app, e.job) for e in entries)))
        if not plan.jobs:
            return plan
        if confirm is not None and not confirm(plan):
            raise UsageError("prune: aborted, nothing was deleted")
        _confirm_ownership(backend, entries)
        batch = (
            backend.transaction() if isinstance(backend, SupportsTransaction) else contextlib.nullcontext()
        )
        with batch:
            for app, job in plan.jobs:
                backend.delete(app, job)
        if backend.fires_on_host:
            for app in dict.fromkeys(a for a, _ in plan.jobs):
                sync_spec_files(ws.spec_dir, app, [], [j for a, j in plan.jobs if a == app], None)
    return plan


def _confirm_ownership(backend: Backend, entries: list[ManagedEntry]) -> None:
    verdicts = (
        backend.verify_ownership_many(entries)
        if isinstance(backend, SupportsVerifyMany)
        else [backend.verify_ownership(e) for e in entries]
    )
    lost = [e for e, owned in zip(entries, verdicts, strict=True) if not owned]
    if lost:
        e = lost[0]
        raise BackendError(
            f"entry {e.index} of {e.app}.{e.job} is no longer confirmed as cronix's "
            f"({len(lost)} in all); nothing was deleted — run prune again"
        )
