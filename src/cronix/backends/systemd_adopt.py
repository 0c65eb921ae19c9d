"""Adopting timers that already run ``cronix trigger <app>.<job>`` (the systemd side of ``cronix adopt``).

A *candidate* is a timer in the unit directory without cronix's ownership keys whose
service (its ``Unit=``, else the timer's own name) runs exactly ``<cronix> trigger
<app>.<job>`` — the configured trigger_bin, or any executable named ``cronix``. Each
schedule of the job is matched, in index order, to an unused candidate whose
``OnCalendar=`` set equals the schedule's translation (both compared in systemd's
normalized form when ``systemd-analyze`` is there, so ``Mon *-*-* 6:30`` matches
``Mon *-*-* 06:30:00``). Every schedule must find a timer and every candidate must be
used, otherwise the result is *diverged* and nothing is written. On success the
candidates' files are replaced by cronix's own units (same schedules, now owned), in the
backend's transaction: the old timers are disabled, their files removed — a service file
another timer still uses is kept — and the new ones enabled.

:func:`plan_adoption` is a pure function over file contents; the backend applies its
answer through its own staging (:meth:`SystemdBackend.adopt`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cronix.backends.base import AdoptResult, ManagedEntry
from cronix.backends.systemd_units import exec_argv, parse_unit, read_owned, unit_values
from cronix.protocol.ownership import resource_name

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cronix.protocol.manifest import Job

__all__ = ["Adoption", "Candidate", "entries_of", "find_candidates", "plan_adoption"]

#: Calendar expressions → their normalized forms (same order).
Normalizer = Callable[["Sequence[str]"], "list[str]"]


@dataclass(frozen=True, slots=True)
class Candidate:
    timer: str
    service: str
    calendars: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Adoption:
    """What adopting would do: the result to report and the files to remove (timers first)."""

    result: AdoptResult
    timers: tuple[str, ...] = ()
    services: tuple[str, ...] = ()


def _service_of(timer: str, text: str) -> str:
    units = unit_values(parse_unit(text), "Timer", "Unit")
    return units[-1] if units else timer.removesuffix(".timer") + ".service"


def find_candidates(
    files: Mapping[str, bytes | None], trigger_bin: str, app: str, job: str
) -> list[Candidate]:
    """Unowned timers whose service runs ``cronix trigger <app>.<job>``, in name order."""
    wanted = ["trigger", f"{app}.{job}"]
    out = []
    for name in sorted(n for n in files if n.endswith(".timer")):
        data = files[name]
        if data is None:
            continue
        text = data.decode("utf-8", "replace")
        if read_owned(name.removesuffix(".timer"), text) is not None:
            continue
        service = _service_of(name, text)
        service_text = files.get(service)
        argv = exec_argv(service_text.decode("utf-8", "replace")) if service_text else None
        if (
            not argv
            or argv[1:] != wanted
            or not (argv[0] == trigger_bin or os.path.basename(argv[0]) == "cronix")
        ):
            continue
        out.append(Candidate(name, service, tuple(unit_values(parse_unit(text), "Timer", "OnCalendar"))))
    return out


def plan_adoption(
    files: Mapping[str, bytes | None],
    candidates: Sequence[Candidate],
    wanted: Sequence[Sequence[str]],
    schedules: Sequence[str],
    managed: int,
    normalize: Normalizer,
) -> Adoption:
    """Match ``wanted[i]`` (the calendars of ``schedules[i]``) to ``candidates`` (nothing is changed)."""
    if not candidates:
        return Adoption(AdoptResult(already_managed=bool(managed) and managed == len(schedules)))
    flat = [c for cand in candidates for c in cand.calendars] + [c for w in wanted for c in w]
    normal = dict(zip(flat, normalize(flat), strict=True))
    have = [frozenset(normal[c] for c in cand.calendars) for cand in candidates]
    used: set[int] = set()
    divergences: list[str] = []
    for i, calendars in enumerate(wanted):
        want = frozenset(normal[c] for c in calendars)
        hit = next((k for k in range(len(candidates)) if k not in used and have[k] == want), None)
        if hit is None:
            shown = "; ".join(calendars)
            divergences.append(
                f'schedules[{i}] ("{schedules[i]}" → OnCalendar={shown}): '
                "no candidate timer with these calendars"
            )
        else:
            used.add(hit)
    for k, cand in enumerate(candidates):
        if k not in used:
            shown = "; ".join(cand.calendars) or "none"
            divergences.append(
                f"{cand.timer} (OnCalendar={shown}) runs the job but matches no manifest schedule"
            )
    if managed:
        divergences.append(f"{managed} entr{'y' if managed == 1 else 'ies'} of this job already managed")
    if divergences:
        return Adoption(AdoptResult(found=True, diverged=True, divergences=tuple(divergences)))
    timers = tuple(c.timer for c in candidates)
    services = tuple(sorted({c.service for c in candidates} - _services_kept(files, set(timers))))
    return Adoption(AdoptResult(found=True), timers, services)


def _services_kept(files: Mapping[str, bytes | None], leaving: set[str]) -> set[str]:
    """Services that a timer staying in the directory still activates."""
    kept = set()
    for name, data in files.items():
        if name.endswith(".timer") and name not in leaving and data is not None:
            kept.add(_service_of(name, data.decode("utf-8", "replace")))
    return kept


def entries_of(result: AdoptResult, app: str, job: Job, hashes: Sequence[str], unit_dir: str) -> AdoptResult:
    """``result`` with the owned entries adopting would leave (or left), when it found a match."""
    if not result.found or result.diverged:
        return result
    entries = tuple(
        ManagedEntry(app, job.name, i, h, os.path.join(unit_dir, resource_name(app, job.name, i) + ".timer"))
        for i, h in enumerate(hashes)
    )
    return AdoptResult(found=True, adopted=result.adopted, entries=entries)
