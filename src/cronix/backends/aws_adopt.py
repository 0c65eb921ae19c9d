"""``cronix adopt`` on EventBridge: take over unmarked schedules that already carry cronix's names.

A pure function over values: the backend scans the job's names, this decides, and the
backend writes through its own ``UpdateSchedule`` path (in place; never delete + create).

A *candidate* is a schedule named ``cronix-<app>-<job>-<index>`` without a cronix marker
(created by hand, by Terraform, or by a tool that dropped the ``Description``). The name is
the schedule's identity in EventBridge — there is no command line to compare, as crontab
has — so schedules under other names are not candidates. Adoption requires the candidates
to be exactly indices ``0..n-1`` for the job's ``n`` schedules and each to fire as the
manifest's translation does (expression and zone); anything else is a divergence, reported
without writing. The takeover rewrites each candidate with the marker, the trigger spec
and the configured target and retry policy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cronix.backends.aws_expressions import AwsTranslationError, translate
from cronix.backends.aws_schedules import name_prefix
from cronix.backends.base import AdoptResult, ManagedEntry

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from cronix.backends.aws_schedules import LiveSchedule
    from cronix.protocol.manifest import Job

__all__ = ["plan_adoption"]


def plan_adoption(
    app: str,
    job: Job,
    hashes: Sequence[str],
    found: Mapping[str, LiveSchedule],
    managed: Mapping[int, LiveSchedule],
) -> AdoptResult:
    """The outcome of adopting ``job``; ``adopted=True`` means the backend should now write it."""
    prefix = name_prefix(app, job.name)
    candidates = {
        int(live.name[len(prefix) :]): live
        for live in found.values()
        if live.name.startswith(prefix) and live.name[len(prefix) :].isdigit() and live.marker is None
    }
    if not candidates:
        return AdoptResult(already_managed=bool(managed) and len(managed) == len(job.schedules))
    problems: list[str] = []
    if managed:
        problems.append(f"{len(managed)} schedule(s) of this job are already managed by cronix")
    if sorted(candidates) != list(range(len(job.schedules))):
        problems.append(
            f"unmarked schedules exist for indices {sorted(candidates)}, "
            f"but the manifest has {len(job.schedules)} schedule(s)"
        )
    for index, live in sorted(candidates.items()):
        if index >= len(job.schedules):
            continue
        try:
            want = translate(job.schedules[index], job.timezone)
        except AwsTranslationError as exc:
            problems.append(f"schedules/{index}: {exc}")
            continue
        if (live.expression, live.timezone) != (want.expression, want.timezone):
            problems.append(
                f"{live.name} fires on {live.expression} in {live.timezone}, the manifest's schedule "
                f'"{job.schedules[index]}" is {want.expression} in {want.timezone}'
            )
    if problems:
        return AdoptResult(found=True, diverged=True, divergences=tuple(problems))
    entries = tuple(ManagedEntry(app, job.name, i, h, candidates[i].raw()) for i, h in enumerate(hashes))
    return AdoptResult(found=True, adopted=True, entries=entries)
