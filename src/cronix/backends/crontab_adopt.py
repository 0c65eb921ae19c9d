"""Adopting crontab lines that already run ``cronix trigger <app>.<job>`` (reference §3.1.1).

A *candidate* is a foreign line whose command is ``<trigger_bin> trigger <app>.<job>``
(after the user field in system format; runs of blanks count as one space). Schedules are matched to
candidates greedily, in index order, by their five cron fields (compared in canonical
form, so ``MON`` matches ``1``). Every schedule must find a line and every candidate must
be used, otherwise the result is *diverged* and nothing is written. On success the
candidate lines are replaced by owned entries inside the block — the same schedules,
now with markers — in one atomic write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cronix.backends.base import AdoptResult, ManagedEntry
from cronix.backends.crontab_format import CrontabDocument, TranslationError, translate

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cronix.backends.crontab import CrontabBackend
    from cronix.protocol.manifest import Job

__all__ = ["adopt"]


def adopt(
    backend: CrontabBackend, app: str, job: Job, hashes: Sequence[str], *, dry_run: bool
) -> AdoptResult:
    data = backend.target.read()
    doc = CrontabDocument.parse(data.decode("utf-8", "surrogateescape"))
    expected_tail = f"{backend.trigger_bin} trigger {app}.{job.name}"
    wanted: list[str] = []
    for i, schedule in enumerate(job.schedules):
        try:
            wanted.append(translate(schedule))
        except TranslationError:
            return AdoptResult(
                diverged=True,
                divergences=(f'schedules[{i}] ("{schedule}") cannot be translated to 5-field crontab',),
            )
    candidates: list[tuple[int, str]] = []  # (index into doc.foreign, five fields)
    for k, line in enumerate(doc.foreign):
        split = backend.split_candidate(line.rstrip("\r\n"))
        if split is not None and " ".join(split[2].split()) == expected_tail:
            candidates.append((k, split[0]))
    managed = [e for e in doc.entries if (e.app, e.job) == (app, job.name)]
    if not candidates:
        if managed and len(managed) == len(job.schedules):
            return AdoptResult(already_managed=True)
        return AdoptResult()
    used: set[int] = set()
    matched: dict[int, int] = {}
    divergences: list[str] = []
    for i, cron5 in enumerate(wanted):
        hit = next((c for c in range(len(candidates)) if c not in used and candidates[c][1] == cron5), None)
        if hit is None:
            divergences.append(
                f'schedules[{i}] ("{job.schedules[i]}" → "{cron5}"): '
                "no candidate crontab line with this 5-field cron"
            )
        else:
            used.add(hit)
            matched[i] = hit
    for c, (k, cron5) in enumerate(candidates):
        if c not in used:
            divergences.append(
                f'line {doc.foreign_lineno[k]} (cron "{cron5}") invokes {expected_tail} '
                "but does not match any "
                "manifest schedule"
            )
    if managed:
        divergences.append(
            f"{len(managed)} entr{'y' if len(managed) == 1 else 'ies'} of this job already managed"
        )
    if divergences:
        return AdoptResult(found=True, diverged=True, divergences=tuple(divergences))
    rendered = backend.render_job(app, job, hashes)
    entries = tuple(
        ManagedEntry(app, job.name, i, hashes[i], doc.foreign[candidates[matched[i]][0]].rstrip("\r\n"))
        for i in range(len(wanted))
    )
    if dry_run:
        return AdoptResult(found=True, entries=entries)
    drop = {candidates[c][0] for c in matched.values()}
    doc.foreign = [line for k, line in enumerate(doc.foreign) if k not in drop]
    if doc.anchor is not None:
        doc.anchor -= sum(1 for k in drop if k < doc.anchor)
    backend.write_document(doc, [*doc.entries, *rendered], data)
    return AdoptResult(
        found=True,
        adopted=True,
        entries=tuple(ManagedEntry(app, job.name, e.index, e.hash, e.line) for e in rendered),
    )
