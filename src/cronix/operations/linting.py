"""``cronix lint``: everything that can be known about a manifest before it is applied.

One report, from four kinds of check, each finding with a severity, a stable code and a
path relative to the job (as backend diagnostics have):

* the manifest itself — validation issues (``error``) and the advice of
  :mod:`cronix.protocol.advice` (``warning``); a schedule below the one-minute floor
  (``@every 30s``) is reported as ``sub_minute``;
* every configured backend — each backend named with ``--backend``, else every section of
  ``backends:`` in cronix.yaml, else cronix.yaml's ``backend`` — opened read-only: its
  ``check()`` and its ``validate`` of every job, the checks ``plan`` runs (DESIGN §3 item 1);
  a backend that cannot be opened is reported and the others are still linted;
* time — a schedule that never fires (``never_fires``, ``error``), two schedules of one job
  that fire in the same minute (``same_minute``: two runs with two fire ids), and the local
  times the next year's DST transitions skip or repeat in the job's zone, with the dates
  (``dst_skipped``, ``dst_repeated``; :mod:`cronix.protocol.dst`);
* ``--next N``: the next fire times of every schedule.

Exit status (D-741): 0 clean, or warnings only · 1 any error, or any warning with
``strict`` · 2 usage or config error · 3 a backend could not be opened or checked (the lint
is incomplete).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cronix.errors import (
    EXIT_BACKEND,
    EXIT_ERROR,
    EXIT_OK,
    BackendError,
    ConfigError,
    CronixError,
    UsageError,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from cronix.backends.base import Diagnostic
    from cronix.operations.workspace import Workspace
    from cronix.protocol.manifest import Job, Manifest

__all__ = ["Finding", "LintFailed", "LintReport", "ScheduleTimes", "lint"]

#: How far ahead DST transitions are looked for.
DST_HORIZON = timedelta(days=366)
#: How far ahead two schedules of one job are compared for a shared minute, and at most how
#: many occurrences of each (a ``* * * * *`` schedule has 10,080 in a week).
_OVERLAP_HORIZON = timedelta(days=7)
_OVERLAP_MAX = 20_000
_EVERY = re.compile(r"@every\s*([0-9]+)\s*([smhSMH])")


class LintFailed(CronixError):
    """Lint found errors (or warnings, with ``strict``): exit 1, after the report is shown."""

    exit_code = EXIT_ERROR


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing lint found. ``job`` is ``""`` for the manifest or a backend as a whole."""

    severity: str  # "error" or "warning"
    code: str
    message: str
    job: str = ""
    path: str = ""
    #: Which backend said so (``""``: the manifest or its schedules, whatever the backend).
    backend: str = ""

    def as_json(self) -> dict[str, str]:
        return {
            "severity": self.severity,
            "code": self.code,
            "job": self.job,
            "path": self.path,
            "backend": self.backend,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class ScheduleTimes:
    """The next fire times of one schedule of one job (``--next``), in the job's zone."""

    job: str
    schedule: str
    timezone: str
    times: tuple[datetime, ...]


@dataclass(frozen=True, slots=True)
class LintReport:
    source: str
    app: str  # "" when the manifest could not be parsed
    backends: tuple[str, ...]
    findings: tuple[Finding, ...]
    next_fire_times: tuple[ScheduleTimes, ...] = ()
    #: Backends that could not be opened or checked: their findings are missing.
    incomplete: tuple[str, ...] = ()

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity != "error")

    def exit_code(self, *, strict: bool = False) -> int:
        """See the module docstring (D-741)."""
        if self.incomplete:
            return EXIT_BACKEND
        if self.errors or (strict and self.warnings):
            return EXIT_ERROR
        return EXIT_OK

    @property
    def summary(self) -> str:
        text = f"{self.errors} error(s), {self.warnings} warning(s)"
        if self.incomplete:
            text += f"; incomplete: could not lint on {', '.join(self.incomplete)}"
        return text

    def raise_for_status(self, *, strict: bool = False) -> None:
        """Raise the error whose exit code :meth:`exit_code` says (nothing when it is 0)."""
        code = self.exit_code(strict=strict)
        if code == EXIT_BACKEND:
            raise BackendError(f"lint {self.source} is incomplete: {self.summary}")
        if code:
            raise LintFailed(f"lint {self.source}: {self.summary}")

    def as_json(self, *, strict: bool = False) -> dict[str, Any]:
        return {
            "ok": self.exit_code(strict=strict) == EXIT_OK,
            "source": self.source,
            "app": self.app,
            "backends": list(self.backends),
            "incomplete": list(self.incomplete),
            "errors": self.errors,
            "warnings": self.warnings,
            "findings": [f.as_json() for f in self.findings],
            "next_fire_times": [
                {
                    "job": s.job,
                    "schedule": s.schedule,
                    "timezone": s.timezone,
                    "times": [t.isoformat() for t in s.times],
                }
                for s in self.next_fire_times
            ],
        }


def lint(
    ws: Workspace,
    source: str,
    *,
    backends: Sequence[str] = (),
    next_count: int = 0,
    now: datetime | None = None,
) -> LintReport:
    """Lint the manifest at ``source`` on ``backends`` (default: every configured one)."""
    from cronix.protocol.errors import ManifestError

    now = now or datetime.now(UTC)
    names = tuple(dict.fromkeys(backends)) or _configured(ws)
    data, name = _read(ws, source)
    try:
        manifest = _parse(data)
    except ManifestError as exc:
        doc = _raw(data)
        app = _lookup(doc, ("app",))
        return LintReport(name, app if isinstance(app, str) else "", names, tuple(_manifest_issues(exc, doc)))
    findings = [*_advice(manifest), *_time_findings(manifest, now)]
    incomplete: list[str] = []
    for backend_name in names:
        try:
            findings.extend(_backend_findings(ws, backend_name, manifest))
        except BackendError as exc:
            incomplete.append(backend_name)
            findings.append(Finding("error", "backend_unusable", str(exc), backend=backend_name))
    fires = tuple(_next_times(manifest, now, next_count)) if next_count else ()
    return LintReport(name, manifest.app, names, tuple(findings), fires, tuple(incomplete))


def _configured(ws: Workspace) -> tuple[str, ...]:
    """Every backend section of cronix.yaml, else its default backend."""
    return tuple(ws.config.backends) or (ws.backend_name,)


def _read(ws: Workspace, source: str) -> tuple[bytes, str]:
    from cronix.secrets import resolve_secrets
    from cronix.sources import read_source

    refs = ws.overrides.secret_refs

    def secret() -> str:
        return resolve_secrets(refs or (), warn=ws.notify)[0]

    loaded = read_source(source, secret=secret if refs else None)
    return loaded.data, loaded.name


def _parse(data: bytes) -> Manifest:
    from cronix.protocol.manifest import parse_manifest

    return parse_manifest(data)


# ---------------------------------------------------------------- the manifest


def _raw(data: bytes) -> Any:
    """The manifest as plain JSON (for naming the jobs of an invalid one), else ``None``."""
    import json

    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def _manifest_issues(exc: CronixError, doc: Any) -> Iterator[Finding]:
    """Validation issues as findings, a schedule below the one-minute floor named as such."""
    for issue in getattr(exc, "issues", ()):
        path = "/".join(issue.path[2:] if issue.path[:1] == ("jobs",) else issue.path)
        every = _every_seconds(_lookup(doc, issue.path))
        if every is not None and every < 60:
            yield Finding(
                "error",
                "sub_minute",
                f"fires more than once a minute (every {every}s): no backend can run it, and the "
                "manifest floor is 60 s; use @every 1m or a cron expression",
                _job_name(doc, issue.path),
                path,
            )
            continue
        yield Finding("error", issue.code, issue.message, _job_name(doc, issue.path), path)


def _lookup(doc: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        elif isinstance(doc, dict) and part in doc:
            doc = doc[part]
        else:
            return None
    return doc


def _job_name(doc: Any, path: tuple[str, ...]) -> str:
    if len(path) >= 2 and path[0] == "jobs":
        name = _lookup(doc, ("jobs", path[1], "name"))
        return name if isinstance(name, str) else f"jobs/{path[1]}"
    return ""


def _every_seconds(expr: Any) -> int | None:
    if not isinstance(expr, str):
        return None
    m = _EVERY.fullmatch(expr.strip())
    if m is None:
        return None
    return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600}[m.group(2).lower()]


def _advice(manifest: Manifest) -> Iterator[Finding]:
    from cronix.protocol.advice import job_warnings

    for job in manifest.jobs:
        for w in job_warnings(job):
            if w.code != "never_fires":  # lint's own check says it, as an error
                yield Finding("warning", w.code, w.message, job.name, w.location)


# ---------------------------------------------------------------- time


def _time_findings(manifest: Manifest, now: datetime) -> Iterator[Finding]:
    from zoneinfo import ZoneInfo

    from cronix.protocol.dst import dst_events
    from cronix.protocol.firetimes import next_fire_times

    for job in manifest.jobs:
        tz = ZoneInfo(job.timezone)
        for i, schedule in enumerate(job.schedules):
            path = f"schedules/{i}"
            if not next_fire_times(schedule, tz, now, 1):
                yield Finding(
                    "error",
                    "never_fires",
                    f"{schedule!r} never fires: no date matches it (check the day of month and month)",
                    job.name,
                    path,
                )
                continue
            for event in dst_events(schedule, tz, now, now + DST_HORIZON):
                yield Finding("warning", f"dst_{event.kind}", event.describe(job.timezone), job.name, path)
        yield from _same_minute(job, tz, now)


def _same_minute(job: Job, tz: Any, now: datetime) -> Iterator[Finding]:
    """Two schedules of one job firing in the same minute run it twice (two fire ids)."""
    from itertools import islice

    from cronix.protocol.firetimes import fire_times

    if len(job.schedules) < 2:
        return
    end = now + _OVERLAP_HORIZON
    seen: dict[datetime, int] = {}
    reported: set[tuple[int, int]] = set()
    for i, schedule in enumerate(job.schedules):
        for when in islice(fire_times(schedule, tz, now), _OVERLAP_MAX):
            if when >= end:
                break
            minute = when.astimezone(UTC).replace(second=0)
            first = seen.setdefault(minute, i)
            if first != i and (first, i) not in reported:
                reported.add((first, i))
                yield Finding(
                    "warning",
                    "same_minute",
                    f"schedules {first} and {i} both fire at {when.isoformat()}: the job runs twice that "
                    "minute, once per schedule (each occurrence has its own fire id)",
                    job.name,
                    f"schedules/{i}",
                )


def _next_times(manifest: Manifest, now: datetime, count: int) -> Iterator[ScheduleTimes]:
    from zoneinfo import ZoneInfo

    from cronix.protocol.firetimes import next_fire_times

    for job in manifest.jobs:
        tz = ZoneInfo(job.timezone)
        for schedule in job.schedules:
            times = tuple(next_fire_times(schedule, tz, now, count))
            yield ScheduleTimes(job.name, schedule, job.timezone, times)


# ---------------------------------------------------------------- backends


def _backend_findings(ws: Workspace, name: str, manifest: Manifest) -> list[Finding]:
    """The backend's ``check()`` and ``validate`` of every job; :class:`BackendError` if unusable."""
    from cronix.reconcile.planning import job_diagnostics

    try:
        with ws.open_backend(name, read_only=True) as backend:
            # Prerequisites of this host (a daemon, a writable directory) are findings, and the
            # jobs are validated all the same: lint runs in CI, on hosts that lack them.
            found = [_diagnostic(d, "", name) for d in backend.check()]
            per_job = job_diagnostics(backend, manifest.app, manifest.jobs)
            for job, diagnostics in zip(manifest.jobs, per_job, strict=True):
                found.extend(_diagnostic(d, job.name, name) for d in diagnostics)
            return found
    except ConfigError:
        raise
    except UsageError as exc:  # a missing extra, a name no backend has: this backend only
        raise BackendError(str(exc)) from None


def _diagnostic(diag: Diagnostic, job: str, backend: str) -> Finding:
    severity = "error" if diag.severity == "error" else "warning"
    return Finding(severity, diag.code, diag.message, job, diag.path, backend)
