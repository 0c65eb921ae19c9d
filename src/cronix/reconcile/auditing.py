"""Audits without applying: ``verify-ownership`` and ``global-status``.

Both need to know what an installed entry *should* be. With a manifest that is the
manifest's job; without one, the *recorded* job (:func:`known_jobs`): what the entries
themselves carry (``SupportsRecordedJobs``: a ConfigMap, a schedule's ``Input``),
else, for backends that fire on this host, the trigger spec files apply last wrote. An
entry is *in sync* when its marker hash is the recorded job's hash for its index and the
backend confirms the artifact is what it would write; *drifted* when either check fails
or the backend itself reports a hand edit; *unverified* when no recorded job exists.

On backends that fire on this host the trigger spec files are applied state as well
(D-156, :func:`spec_problems`): an entry whose spec file is missing, unreadable, edited by
hand, or different from the manifest is drifted, and a spec file of an app that no entry
of that job runs is a left-over finding of its own.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cronix.backends.base import (
    DRIFT_SENTINEL,
    SupportsContentCheck,
    SupportsMarkerAudit,
    SupportsRecordedJobs,
    SupportsUnownedTriggers,
)
from cronix.protocol.ownership import ownership_hashes
from cronix.reconcile.planning import pause_drift
from cronix.reconcile.specfiles import expected_spec, left_over_jobs, read_spec, read_spec_path

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cronix.backends.base import Backend, ManagedEntry, UnownedTrigger
    from cronix.protocol.manifest import Job

__all__ = [
    "EntryStatus",
    "Finding",
    "classify_entries",
    "known_jobs",
    "recorded_jobs",
    "spec_problems",
    "stray_triggers",
    "verify_ownership",
]

#: ``(app, job)`` → what is wrong with its trigger spec file.
SpecProblems = dict[tuple[str, str], str]


def recorded_jobs(spec_dir: str) -> dict[tuple[str, str], Job]:
    """The jobs recorded in ``spec_dir`` (unreadable or foreign files are skipped here;
    :func:`spec_problems` reports them)."""
    out: dict[tuple[str, str], Job] = {}
    try:
        names = sorted(os.listdir(spec_dir))
    except OSError:
        return out
    for name in names:
        if not name.endswith(".json") or name.startswith("."):
            continue
        spec = read_spec_path(os.path.join(spec_dir, name)).parsed()  # never blocks on a FIFO
        if spec is not None:
            out[(spec.app, spec.job.name)] = spec.job
    return out


def known_jobs(backend: Backend, spec_dir: str) -> dict[tuple[str, str], Job]:
    """What the installed entries should be when there is no manifest (empty: unknown)."""
    if isinstance(backend, SupportsRecordedJobs):
        return backend.recorded_jobs()
    if backend.fires_on_host:
        return recorded_jobs(spec_dir)
    return {}


@dataclass(frozen=True, slots=True)
class EntryStatus:
    entry: ManagedEntry
    state: str  # in-sync | drifted | unverified
    detail: str = ""


def spec_problems(
    backend: Backend,
    entries: list[ManagedEntry],
    spec_dir: str,
    manifest_jobs: Mapping[tuple[str, str], Job] | None = None,
) -> SpecProblems:
    """What is wrong with the trigger spec files of the owned jobs (empty: nothing, or n/a).

    Each owned job's file must be a readable regular file that parses, names that job, is
    byte for byte what apply writes for what it records, and — given the manifest — records
    the manifest's job. Files of an app with owned entries whose job has none are left over.
    """
    if not backend.fires_on_host or not spec_dir:
        return {}
    owned = sorted({(e.app, e.job) for e in entries})
    out: SpecProblems = {}
    for app, name in owned:
        problem = _spec_problem(spec_dir, app, name, (manifest_jobs or {}).get((app, name)))
        if problem:
            out[(app, name)] = problem
    for app in sorted({a for a, _ in owned}):
        for name in left_over_jobs(spec_dir, app, {j for a, j in owned if a == app}):
            out[(app, name)] = (
                "trigger spec file left over: no entry runs this job (apply or prune removes it)"
            )
    return out


def stray_triggers(
    backend: Backend, entries: list[ManagedEntry], jobs: Mapping[tuple[str, str], Job]
) -> list[UnownedTrigger]:
    """Native entries that run ``cronix trigger`` for a managed job — one with owned entries or
    a recorded job — without being its entry: each one fires the job a second time (D-157)."""
    if not isinstance(backend, SupportsUnownedTriggers):
        return []
    managed = {(e.app, e.job) for e in entries} | set(jobs)
    return [u for u in backend.unowned_triggers() if (u.app, u.job) in managed]


def _spec_problem(spec_dir: str, app: str, name: str, desired: Job | None) -> str:
    found = read_spec(spec_dir, app, name)
    if found.data is None:
        return f"trigger spec file {found.problem}"
    spec = found.parsed()
    if spec is None:
        return "trigger spec file is not a valid spec file"
    if (spec.app, spec.job.name) != (app, name):
        return f"trigger spec file records {spec.app}.{spec.job.name}"
    if found.problem:
        return f"trigger spec file {found.problem}"
    if found.data != expected_spec(spec.app, spec.job, spec.secret_refs):
        return "trigger spec file was edited: it is not what apply writes"
    if desired is not None and spec.job != desired:
        return "trigger spec file differs from the manifest"
    return ""


def classify_entries(
    backend: Backend,
    entries: list[ManagedEntry],
    jobs: Mapping[tuple[str, str], Job],
    specs: SpecProblems | None = None,
) -> list[EntryStatus]:
    check = backend if isinstance(backend, SupportsContentCheck) else None
    hashes = {key: ownership_hashes(job) for key, job in jobs.items()}
    specs = specs or {}
    out = []
    for e in entries:
        key = (e.app, e.job)
        if e.hash == DRIFT_SENTINEL:
            out.append(EntryStatus(e, "drifted", "edited by hand"))
        elif key in specs:
            out.append(EntryStatus(e, "drifted", specs[key]))
        elif key not in jobs:
            out.append(EntryStatus(e, "unverified", "no recorded job"))
        elif e.index >= len(hashes[key]) or hashes[key][e.index] != e.hash:
            out.append(EntryStatus(e, "drifted", "marker hash does not match the recorded job"))
        elif paused := pause_drift(jobs[key], [e]):
            out.append(EntryStatus(e, "drifted", paused))
        elif check is not None and not check.entry_matches(e.app, jobs[key], e):
            out.append(EntryStatus(e, "drifted", "installed entry differs from what cronix wrote"))
        else:
            out.append(EntryStatus(e, "in-sync"))
    return out


@dataclass(frozen=True, slots=True)
class Finding:
    problem: str
    app: str = ""
    job: str = ""
    index: int | None = None
    severity: str = "error"

    def render(self) -> str:
        where = f"{self.app}.{self.job}" + (f"[{self.index}]" if self.index is not None else "")
        return f"{where}: {self.problem}" if self.app else self.problem

    def as_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "app": self.app,
            "job": self.job,
            "index": self.index,
            "problem": self.problem,
        }


def verify_ownership(
    backend: Backend,
    jobs: Mapping[tuple[str, str], Job],
    *,
    spec_dir: str = "",
    manifest_jobs: Mapping[tuple[str, str], Job] | None = None,
) -> tuple[int, list[Finding]]:
    """Audit every owned entry (and, for host-firing backends, the spec files in ``spec_dir``);
    return ``(entries audited, findings)``."""
    findings: list[Finding] = []
    if isinstance(backend, SupportsMarkerAudit):
        findings += [Finding(d.message) for d in backend.audit_markers()]
    entries = backend.list_entries()
    specs = spec_problems(backend, entries, spec_dir, manifest_jobs)
    owned = {(e.app, e.job) for e in entries}
    findings += [
        Finding(problem, app, job) for (app, job), problem in specs.items() if (app, job) not in owned
    ]
    findings += [
        Finding(
            f"{u.where} also runs it, outside its owned entry, so it fires twice "
            f"(cronix adopt {u.app}.{u.job} takes the line over; or delete it)",
            u.app,
            u.job,
        )
        for u in stray_triggers(backend, entries, jobs)
    ]
    counts = Counter((e.app, e.job, e.index) for e in entries)
    for (app, job, index), n in sorted(counts.items()):
        if n > 1:
            findings.append(Finding(f"{n} entries claim this identity", app, job, index))
    for e in entries:
        if not backend.verify_ownership(e):
            findings.append(
                Finding("the backend no longer confirms cronix owns this entry", e.app, e.job, e.index)
            )
    for status in classify_entries(backend, entries, jobs, specs):
        e = status.entry
        if status.state == "drifted":
            findings.append(Finding(status.detail, e.app, e.job, e.index))
        elif status.state == "unverified":
            findings.append(
                Finding(
                    "no manifest or spec file records this job; hash not checked",
                    e.app,
                    e.job,
                    e.index,
                    "warning",
                )
            )
    return len(entries), findings
