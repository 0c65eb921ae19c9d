"""The operations layer: one function per command, over a :class:`Workspace`.

The CLI parses flags into :class:`Overrides`, builds a workspace, calls one function here
and renders what it returns; nothing below the CLI knows about flags or terminals. Every
function opens at most one backend (built-in first, then a plugin) and closes it exactly
once. Layering (DESIGN §4): ``cli → operations → (conformance, reconcile, plugins,
trigger) → backends → protocol``.

=====================  ======================================================
command                function
=====================  ======================================================
plan / diff / drift    :func:`plan_all` (+ :func:`drifted_jobs`)
apply                  :func:`apply_all`
list                   :func:`list_owned`
show                   :func:`show_job`
verify-ownership       :func:`audit`
global-status          :func:`status`
status                 :func:`job_status` (+ :mod:`~cronix.operations.missed`)
prune                  :func:`prune`
adopt                  :func:`adopt`
history                :func:`history`
lint                   :func:`lint`
run                    :func:`run_job`
plugins list/pin/check :func:`plugin_rows`, :func:`pin_plugin`, :func:`check_plugin`
conformance backend    :func:`backend_conformance`
=====================  ======================================================
"""

from __future__ import annotations

from cronix.operations.adopting import Adoption, adopt
from cronix.operations.conformance import backend_conformance
from cronix.operations.history import HistoryRequest, history
from cronix.operations.inspecting import (
    AuditResult,
    BackendStatus,
    JobView,
    Owned,
    ScheduleFires,
    audit,
    list_owned,
    show_job,
    status,
)
from cronix.operations.job_status import JobStatus, StatusReport, StatusRequest, job_status
from cronix.operations.linting import Finding, LintReport, lint
from cronix.operations.plugins import PinResult, PluginCheck, check_plugin, pin_plugin, plugin_rows
from cronix.operations.pruning import PrunePlan, prune
from cronix.operations.reconciling import apply_all, drifted_jobs, plan_all
from cronix.operations.running import RunFailed, RunRequest, RunResult, run_job
from cronix.operations.workspace import LoadedManifest, Overrides, Workspace, parse_target

__all__ = [
    "Adoption",
    "AuditResult",
    "BackendStatus",
    "Finding",
    "HistoryRequest",
    "JobStatus",
    "JobView",
    "LintReport",
    "LoadedManifest",
    "Overrides",
    "Owned",
    "PinResult",
    "PluginCheck",
    "PrunePlan",
    "RunFailed",
    "RunRequest",
    "RunResult",
    "ScheduleFires",
    "StatusReport",
    "StatusRequest",
    "Workspace",
    "adopt",
    "apply_all",
    "audit",
    "backend_conformance",
    "check_plugin",
    "drifted_jobs",
    "history",
    "job_status",
    "lint",
    "list_owned",
    "parse_target",
    "pin_plugin",
    "plan_all",
    "plugin_rows",
    "prune",
    "run_job",
    "show_job",
    "status",
]
