"""Reconcile a manifest onto a backend: validate, plan, apply, record — backend-agnostic.

Public entry points: :func:`reconcile` (plan and apply under the apply lock, then write
trigger spec files), :func:`compute_plan` and :func:`apply_plan` (the two halves), and the
audits :func:`verify_ownership` and :func:`classify_entries`. The reconciler cannot tell
an in-tree backend from a plugin: it only speaks :class:`cronix.backends.base.Backend`.
"""

from __future__ import annotations

from cronix.reconcile.applying import ApplyFailed, ApplyResult, apply_plan
from cronix.reconcile.applylock import ApplyLockTimeout, LockSettings, apply_lock, hold_apply_lock
from cronix.reconcile.auditing import (
    EntryStatus,
    Finding,
    classify_entries,
    known_jobs,
    recorded_jobs,
    spec_problems,
    stray_triggers,
    verify_ownership,
)
from cronix.reconcile.firing import FireSettings
from cronix.reconcile.planning import BackendInvalid, Op, Plan, SpecFiles, compute_plan, validate_jobs
from cronix.reconcile.session import Outcome, Target, check_backend, reconcile, reconcile_all
from cronix.reconcile.specfiles import SpecSync, SpecWrite, sync_spec_files

__all__ = [
    "ApplyFailed",
    "ApplyLockTimeout",
    "ApplyResult",
    "BackendInvalid",
    "EntryStatus",
    "Finding",
    "FireSettings",
    "LockSettings",
    "Op",
    "Outcome",
    "Plan",
    "SpecFiles",
    "SpecSync",
    "SpecWrite",
    "Target",
    "apply_lock",
    "apply_plan",
    "check_backend",
    "classify_entries",
    "compute_plan",
    "hold_apply_lock",
    "known_jobs",
    "reconcile",
    "reconcile_all",
    "recorded_jobs",
    "spec_problems",
    "stray_triggers",
    "sync_spec_files",
    "validate_jobs",
    "verify_ownership",
]
