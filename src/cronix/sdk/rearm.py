"""One-shot arms: after a claimed fire, arm the job's next occurrence (the app owns the time).

With a managed scheduler holding one-shot arms (``spec/managed-scheduler.md`` §3), each
delivered occurrence consumes its arm; the app that claimed it arms the next one — the
schedule's first occurrence after the one that fired, so a late or redelivered fire
never skips or repeats an occurrence — replacing exactly the arm that fired
(``replaces``), so a slot someone else already moved on (an ``apply``, another replica)
is left alone. No re-arm when the claim was lost (a duplicate: the winner re-arms), when
the job is gone (the fire was refused), or for a schedule index the job no longer has.
A failure is logged, never raised: the handler still runs, ``cronix drift`` reports the
missing arm and ``cronix apply`` arms it again (D-510).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from cronix.protocol.fireid import parse_fire_id
from cronix.protocol.firejwt import audience_for

if TYPE_CHECKING:
    from cronix.sdk.context import JobContext
    from cronix.sdk.contract import CronLike
    from cronix.sdk.jobs import RegisteredJob

__all__ = ["rearm", "wants_rearm"]


def wants_rearm(cron: CronLike, ctx: JobContext) -> bool:
    return cron.scheduler is not None and ctx.auth == "jwt" and bool(ctx.fire_id)


def rearm(cron: CronLike, entry: RegisteredJob, ctx: JobContext) -> None:
    """Arm the occurrence after ``ctx.fire_id``; log (never raise) what happened."""
    from cronix.sdk.scheduler import SchedulerError

    scheduler = cron.scheduler
    assert scheduler is not None
    fired = parse_fire_id(ctx.fire_id)
    if fired.index >= len(entry.job.schedules):
        cron.logger.info(
            "cronix: %s: the job has no schedule %d any more; not re-armed", ctx.fire_id, fired.index
        )
        return
    audience = (cron.fire_jwt.audience if cron.fire_jwt is not None else None) or audience_for(cron.app)
    try:
        after = max(fired.scheduled, int(time.time()))
        status = scheduler.arm_next(
            cron.app, entry.job, fired.index, after=after, replaces=ctx.fire_id, audience=audience
        )
    except (SchedulerError, ValueError) as exc:
        cron.logger.error(
            "cronix: %s: the next occurrence was not armed (%s); "
            "cronix drift reports it and cronix apply arms it",
            ctx.fire_id,
            exc,
        )
        return
    cron.logger.info("cronix: %s: next occurrence %s", ctx.fire_id, status)
