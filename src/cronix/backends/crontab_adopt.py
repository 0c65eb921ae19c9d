"""Adopting crontab lines that already run ``cronix trigger <app>.<job>`` (reference §3.1.1).

A *candidate* is a foreign line whose command is ``<trigger_bin> trigger <app>.<job>``
(after the user field in system format; runs of blanks count as one space). Schedules are matched to
candidates greedily, in index order, by their five cron fields (compared in canonical
form, so ``MON`` matches ``1``). Every schedule must find a line — or, for a job that is
partly managed already, have its owned entry — and every candidate must match a schedule,
otherwise the result is *diverged* and nothing is written. So a line whose marker was
deleted by hand, which fires the job a second time once apply re-creates the entry, is
taken over (D-157). On success the candidate lines are replaced by owned entries inside
the block — the same schedules, now with markers — in the backend's own transaction (one
atomic write).

:func:`plan_adoption` is a pure function over the parsed document; the backend applies
its answer through its own staging (:meth:`CrontabBackend.adopt`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cronix.backends.base import AdoptResult, ManagedEntry
from cronix.backends.crontab_format import CrontabDocument, TranslationError, translate

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cronix.protocol.manifest import Job

__all__ = ["Adoption", "plan_adoption"]

#: ``(five fields, user field, command)`` of a line that looks like a cron entry, or None.
Splitter = Callable[[str], "tuple[str, str | None, str] | None"]


@dataclass(frozen=True, slots=True)
class Adoption:
    """What adopting would do: the result to report and the foreign lines to drop."""

    result: AdoptResult
    #: Indices into ``doc.foreign`` of the candidate lines the owned entries replace.
    drop: frozenset[int] = frozenset()


def plan_adoption(
    doc: CrontabDocument, split: Splitter, trigger_command: str, app: str, job: Job, hashes: Sequence[str]
) -> Adoption:
    """Match ``job``'s schedules to unmarked candidate lines of ``doc`` (nothing is changed)."""
    expected_tail = f"{trigger_command} {app}.{job.name}"
    wanted: list[str] = []
    for i, schedule in enumerate(job.schedules):
        try:
            wanted.append(translate(schedule))
        except TranslationError:
            return Adoption(
                AdoptResult(
                    diverged=True,
                    divergences=(f'schedules[{i}] ("{schedule}") cannot be translated to 5-field crontab',),
                )
            )
    candidates: list[tuple[int, str]] = []  # (index into doc.foreign, five fields)
    for k, line in enumerate(doc.foreign):
        parts = split(line.rstrip("\r\n"))
        if parts is not None and " ".join(parts[2].split()) == expected_tail:
            candidates.append((k, parts[0]))
    managed = [e for e in doc.entries if (e.app, e.job) == (app, job.name)]
    if not candidates:
        if managed and len(managed) == len(job.schedules):
            return Adoption(AdoptResult(already_managed=True))
        return Adoption(AdoptResult())
    managed_at = {e.index: e for e in managed}
    used: set[int] = set()
    raw: dict[int, str] = {}
    divergences: list[str] = []
    for i, cron5 in enumerate(wanted):
        hit = next((c for c in range(len(candidates)) if c not in used and candidates[c][1] == cron5), None)
        if hit is not None:
            used.add(hit)
            raw[i] = doc.foreign[candidates[hit][0]].rstrip("\r\n")
        elif i in managed_at:
            raw[i] = managed_at[i].line
        else:
            divergences.append(
                f'schedules[{i}] ("{job.schedules[i]}" → "{cron5}"): '
                "no candidate crontab line with this 5-field cron"
            )
    for c, (k, cron5) in enumerate(candidates):
        if c in used:
            continue
        if managed and cron5 in wanted:
            used.add(c)  # a second copy of a schedule the job already has: taken over too
            continue
        divergences.append(
            f'line {doc.foreign_lineno[k]} (cron "{cron5}") invokes {expected_tail} '
            "but does not match any manifest schedule"
        )
    if divergences:
        return Adoption(AdoptResult(found=True, diverged=True, divergences=tuple(divergences)))
    entries = tuple(ManagedEntry(app, job.name, i, hashes[i], raw[i]) for i in range(len(wanted)))
    return Adoption(AdoptResult(found=True, entries=entries), frozenset(candidates[c][0] for c in used))
