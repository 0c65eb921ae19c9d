"""The claims a fire takes before its handler runs, and what a loser is answered.

In this order, each in its store (:mod:`cronix.sdk.claims`), releasing what was taken
when a later one is refused (D-501, D-503, D-507):

====================  ===================================  ======================================
claim                 when                                 a loser gets
====================  ===================================  ======================================
``sig:<app>:<hex>``   HMAC fires (``Cron.replay``)          done → 200 ``SignatureReplayed``;
                                                           running → 503 ``RunInProgress``
``fire:<fire_id>``    a fire id is known (``Cron.claims``)  done or accepted → 200 ``AlreadyHandled``;
or ``<app>:<job>:``   else HMAC fires with a run id        running → 503 ``RunInProgress``
``<run id>``
``lock:<app>:<job>``  token and Vercel fires of             running → 409 ``LockContended``
                      ``Forbid`` jobs
====================  ===================================  ======================================

A store that fails answers 503 ``ClaimUnavailable`` and nothing runs. After the handler:
a 2xx outcome finishes the signature and occurrence claims (kept until the signature
leaves the replay window, and for the store's TTL), anything else releases them so a
retry can run; the job lock is always released. Every 503 carries ``Retry-After``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from cronix.sdk.claims import Claim
from cronix.sdk.results import Response, rejection

if TYPE_CHECKING:
    from cronix.sdk.claims import ClaimState, ClaimStore
    from cronix.sdk.context import JobContext
    from cronix.sdk.contract import CronLike
    from cronix.sdk.jobs import RegisteredJob
    from cronix.sdk.results import Rejection, TriggerVerified

__all__ = ["LEASE_MARGIN_SECONDS", "RETRY_AFTER_SECONDS", "Claimed", "acquire", "blocking"]

#: Margin on top of the job's timeout before an unfinished claim may be taken again.
LEASE_MARGIN_SECONDS = 60
#: What a 503 from the claim step tells the sender to wait.
RETRY_AFTER_SECONDS = 5
Kind = Literal["replay", "fire", "lock"]


@dataclass(frozen=True, slots=True)
class _Want:
    kind: Kind
    store: ClaimStore
    key: str
    keep: float | None = None


@dataclass(slots=True)
class Claimed:
    """The claims one fire holds; :meth:`settle` once the handler is done."""

    held: list[tuple[_Want, Claim]] = field(default_factory=list)

    def settle(self, cron: CronLike, ok: bool) -> None:
        for want, claim in reversed(self.held):
            try:
                if ok and want.kind != "lock":
                    want.store.finish(claim, keep_seconds=want.keep)
                else:
                    want.store.release(claim)
            except Exception as exc:
                cron.logger.error("cronix: claim store failed to settle %s: %r", want.key, exc)
        self.held.clear()


def is_token_fire(ctx: JobContext) -> bool:
    return ctx.auth in ("jwt", "google-oidc")


def _wanted(cron: CronLike, verified: TriggerVerified, entry: RegisteredJob) -> list[_Want]:
    ctx = verified.context
    wants: list[_Want] = []
    if verified.replay_key:
        wants.append(_Want("replay", cron.replay, verified.replay_key, verified.replay_keep_seconds))
    store = cron.claims
    if store is not None:
        if ctx.fire_id:
            wants.append(_Want("fire", store, f"fire:{ctx.fire_id}"))
        elif ctx.auth == "hmac" and ctx.run_id:
            wants.append(_Want("fire", store, f"{cron.app}:{ctx.name}:{ctx.run_id}"))
        if (is_token_fire(ctx) or ctx.auth == "vercel") and entry.job.policy.concurrency != "Allow":
            wants.append(_Want("lock", store, f"lock:{cron.app}:{ctx.name}"))
    return wants


def blocking(cron: CronLike, verified: TriggerVerified, entry: RegisteredJob) -> bool:
    """Whether acquiring (or settling) talks to a store that blocks (call it off the loop)."""
    return any(w.store.blocking for w in _wanted(cron, verified, entry))


def acquire(
    cron: CronLike, verified: TriggerVerified, entry: RegisteredJob, *, accepted: bool
) -> Claimed | Response:
    """Take every claim the fire needs, or the response that ends it (nothing held then)."""
    ctx = verified.context
    lease = float(entry.job.policy.timeout_seconds + LEASE_MARGIN_SECONDS)
    claimed = Claimed()
    for want in _wanted(cron, verified, entry):
        try:
            got = want.store.begin(want.key, lease_seconds=lease, accepted=accepted and want.kind == "fire")
        except Exception as exc:
            cron.logger.error("cronix: claim store failed for %s.%s: %r", cron.app, ctx.name, exc)
            claimed.settle(cron, ok=False)
            failure = rejection(
                "ClaimUnavailable",
                "the fire could not be claimed; retry later",
                retry_after=RETRY_AFTER_SECONDS,
            )
            return cron.error(failure)
        if isinstance(got, Claim):
            claimed.held.append((want, got))
            continue
        claimed.settle(cron, ok=False)
        return cron.error(_loser(cron, ctx, want.kind, got))
    return claimed


def _loser(cron: CronLike, ctx: JobContext, kind: Kind, state: ClaimState) -> Rejection:
    which = f"fire {ctx.fire_id}" if ctx.fire_id else f"run {ctx.run_id or '-'}"
    cron.logger.info("cronix: %s of %s.%s refused: %s is %s", which, cron.app, ctx.name, kind, state)
    if kind == "lock":
        return rejection("LockContended", f"job {ctx.name} is still running (concurrency: Forbid); skipped")
    if state == "in_progress":
        return rejection(
            "RunInProgress", f"{which} of job {ctx.name} is still running", retry_after=RETRY_AFTER_SECONDS
        )
    if kind == "replay":
        return rejection(
            "SignatureReplayed", "this signed request was already accepted; it was not run again"
        )
    return rejection("AlreadyHandled", f"{which} of job {ctx.name} was already handled")
