"""What the systemd-timer backend says before it writes: job validation and the ownership audit.

Functions over the unit files' contents (name → bytes) and values, so ``plan``,
``apply`` and ``verify-ownership`` ask the same questions of one snapshot:

* :func:`prerequisites` — ``check()``: the trigger path systemd will run, a writable unit
  directory, a systemd that answers (skipped for ``write_units_only``).
* :func:`validate_job` — can every schedule be written as ``OnCalendar=`` (errors), is a
  unit name the job needs taken by a file that is not cronix's or by another app whose
  name and job spell the same unit name (errors: nothing is ever overwritten), does
  systemd know the zone here, and where do systemd's and cron's DST rules part in the
  coming year (warnings with the dates, D-123).
* :func:`audit_units` — owned timers and services that do not form a valid pair.
"""

from __future__ import annotations

import contextlib
import os
import re
from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from cronix.backends.base import Diagnostic
from cronix.backends.systemd_calendar import TranslationError, dst_differences, on_calendar
from cronix.backends.systemd_options import CREDENTIAL_NAME
from cronix.backends.systemd_units import owned_service, read_owned
from cronix.protocol.ownership import RESOURCE_PREFIX, resource_name

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from cronix.backends.systemd_host import Systemctl
    from cronix.protocol.manifest import Job

__all__ = [
    "DST_LOOKAHEAD",
    "ZONEINFO",
    "audit_units",
    "claim_problem",
    "credential_problem",
    "owner",
    "prerequisites",
    "validate_job",
]

#: Where systemd looks up the zone of ``OnCalendar=… Europe/Berlin``.
ZONEINFO = "/usr/share/zoneinfo"
#: How far ahead ``plan`` looks for DST transitions where systemd and cron part.
DST_LOOKAHEAD = timedelta(days=366)


def owner(name: str, data: bytes) -> tuple[str, str, int] | None:
    """``(app, job, index)`` a timer's or service's ownership keys claim, or ``None``."""
    text = data.decode("utf-8", "replace")
    if name.endswith(".service"):
        return owned_service(text)
    unit = read_owned(name.removesuffix(".timer"), text)
    return None if unit is None else (unit.app, unit.job, unit.index)


_UNSAFE_BIN = re.compile(r"[\s%\"'\\;]")


def prerequisites(
    trigger_bin: str, unit_dir: str, systemctl: Systemctl | None, backend: str, *, read_only: bool = False
) -> list[Diagnostic]:
    """``check()``: an executable trigger_bin, a writable unit directory (unless the command only
    reads, ``HostContext.read_only``), and (unless ``None``) systemd (D-150, D-152)."""
    out: list[Diagnostic] = []
    if not os.path.isabs(trigger_bin) or _UNSAFE_BIN.search(trigger_bin):
        out.append(
            Diagnostic(
                "error",
                f'trigger_bin "{trigger_bin}" must be an absolute path without spaces, quotes, ; or % '
                "(systemd would split or expand it)",
                "trigger_bin",
                "invalid_trigger_bin",
            )
        )
    elif not (os.path.isfile(trigger_bin) and os.access(trigger_bin, os.X_OK)):
        out.append(
            Diagnostic(
                "error",
                f"trigger_bin {trigger_bin} is not an executable file, so no timer could run; install cronix "
                "there or set trigger_bin (--trigger-bin) to the cronix executable",
                "trigger_bin",
                "trigger_not_executable",
            )
        )
    probe = unit_dir
    while not os.path.isdir(probe) and os.path.dirname(probe) != probe:
        probe = os.path.dirname(probe)
    if not read_only and not os.access(probe, os.W_OK | os.X_OK):
        out.append(Diagnostic("error", f"{probe} is not writable by this user", "unit_dir", "not_writable"))
    problem = systemctl.probe() if systemctl is not None else None
    if problem is not None:
        out.append(
            Diagnostic(
                "error",
                f"cannot manage systemd: {problem}; set backends.{backend}.write_units_only: true "
                "to only write the unit files",
                "systemctl_command",
                "no_systemd",
            )
        )
    return out


def claim_problem(
    files: Mapping[str, bytes | None], unit_dir: str, base: str, app: str, job: str, index: int
) -> str | None:
    """Why the unit name ``base`` cannot be written for ``(app, job, index)``, or ``None``."""
    for suffix in (".timer", ".service"):
        data = files.get(base + suffix)
        if data is None:
            continue
        claimed = owner(base + suffix, data)
        path = os.path.join(unit_dir, base + suffix)
        if claimed is None:
            return (
                f"{path} exists and is not cronix's (no X-Cronix-* keys); cronix never overwrites it — "
                f"remove or rename it to install {app}.{job}"
            )
        if claimed != (app, job, index):
            return (
                f"{path} belongs to {claimed[0]}.{claimed[1]} (index {claimed[2]}): {app}.{job} needs the "
                "same unit name (app and job names with hyphens spell it alike); rename one of the jobs"
            )
    return None


def validate_job(
    app: str, job: Job, files: Mapping[str, bytes | None], unit_dir: str, now: datetime
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    zone: ZoneInfo | None = None
    if job.timezone not in ("", "UTC"):
        if not os.path.exists(os.path.join(ZONEINFO, job.timezone)):
            out.append(
                Diagnostic(
                    "warning",
                    f"{job.timezone} is not in {ZONEINFO} here; systemd reads zones from there "
                    "(install tzdata where the timers run)",
                    "timezone",
                    "zone_missing",
                )
            )
        with contextlib.suppress(ValueError, OSError):
            zone = ZoneInfo(job.timezone)
    for i, schedule in enumerate(job.schedules):
        try:
            on_calendar(schedule, job.timezone)
        except TranslationError as exc:
            out.append(Diagnostic("error", str(exc), f"schedules/{i}", "untranslatable"))
            continue
        problem = claim_problem(files, unit_dir, resource_name(app, job.name, i), app, job.name, i)
        if problem is not None:
            out.append(Diagnostic("error", problem, f"schedules/{i}", "unit_name_taken"))
        if zone is not None:
            warning = dst_warning(schedule, zone, now)
            if warning:
                out.append(Diagnostic("warning", warning, f"schedules/{i}", "dst_semantics"))
    return out


def dst_warning(schedule: str, zone: ZoneInfo, now: datetime) -> str:
    """One line naming the dates in the coming year where systemd and cron part, or ``""``."""
    found = dst_differences(schedule, zone, now, now + DST_LOOKAHEAD)
    if not found:
        return ""
    shifted = sorted({d.instant.strftime("%Y-%m-%d %H:%M %Z") for d in found if d.kind == "shifted"})
    repeated = sorted({d.instant.strftime("%Y-%m-%d %H:%M %Z") for d in found if d.kind == "repeated"})
    parts = []
    if shifted:
        parts.append(
            "when the clocks spring forward systemd skips a time that does not exist, where cron runs it "
            f"late: no run at {_listing(shifted)}"
        )
    if repeated:
        parts.append(
            "when the clocks fall back systemd runs a repeated time once, where cron runs it again: "
            f"no run at {_listing(repeated)}"
        )
    return f'"{schedule}" in {zone.key}: ' + "; ".join(parts) + " (spec/DECISIONS.md D-123)"


def _listing(items: Sequence[str], most: int = 3) -> str:
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def audit_units(files: Mapping[str, bytes | None], unit_dir: str) -> list[Diagnostic]:
    """Owned timers that are misnamed or lack their service, and owned services without a timer."""
    out = []
    timers = set()
    for name in sorted(files):
        data = files[name]
        if not name.endswith(".timer") or not name.startswith(RESOURCE_PREFIX) or data is None:
            continue
        unit = read_owned(name.removesuffix(".timer"), data.decode("utf-8", "replace"))
        if unit is None:
            continue
        timers.add(unit.name)
        if unit.name != resource_name(unit.app, unit.job, unit.index):
            out.append(
                _finding(
                    unit_dir,
                    f"{name} claims {unit.app}.{unit.job} index {unit.index}, whose unit has another name",
                    "misnamed_unit",
                )
            )
        service = files.get(unit.name + ".service")
        if service is None or owned_service(service.decode("utf-8", "replace")) is None:
            out.append(_finding(unit_dir, f"{name} has no cronix service beside it", "missing_service"))
    for name, data in sorted(files.items()):
        orphan = name.endswith(".service") and name.removesuffix(".service") not in timers
        if orphan and data is not None and owned_service(data.decode("utf-8", "replace")) is not None:
            out.append(_finding(unit_dir, f"{name} is cronix's but its timer is missing", "orphan_service"))
    return out


def credential_problem(refs: Sequence[str], credentials: Mapping[str, str], backend: str) -> str | None:
    """Why the services could not resolve a ``credential:`` secret ref, or ``None``."""
    for ref in refs:
        scheme, _, name = ref.partition(":")
        if scheme != "credential" or name in credentials:
            continue
        if not CREDENTIAL_NAME.fullmatch(name):
            return f'secret ref "{ref}": "{name}" is not a credential name'
        return (
            f'secret ref "{ref}" names a systemd credential the services do not load; add it to '
            f'backends.{backend}.credentials ("{name}": /path/to/secret, or "" for /etc/credstore)'
        )
    return None


def _finding(unit_dir: str, message: str, code: str) -> Diagnostic:
    return Diagnostic("error", f"{unit_dir}: {message}", "", code)
