"""Run-id deduplication, under its original names: the stores are :mod:`cronix.sdk.claims`.

``Cron(idempotency=store)`` is the same as ``Cron(claims=store)``: a trigger request is
claimed before its handler runs — on its ``X-Cron-Fire-Id`` when it carries one, else on
``<app>:<job>:<run id>`` — and a duplicate gets ``200 AlreadyHandled`` (done or
accepted) or ``503 RunInProgress`` (still running). Semantics: ``spec/DECISIONS.md``
D-307 and D-503.
"""

from __future__ import annotations

from cronix.sdk.claims import (
    DEFAULT_DONE_TTL_SECONDS,
    Claim,
    ClaimState,
    ClaimStore,
    MemoryClaimStore,
    RedisClaimStore,
)

__all__ = [
    "DEFAULT_DONE_TTL_SECONDS",
    "Claim",
    "IdempotencyStore",
    "MemoryIdempotencyStore",
    "RedisIdempotencyStore",
    "RunState",
]

IdempotencyStore = ClaimStore
MemoryIdempotencyStore = MemoryClaimStore
RedisIdempotencyStore = RedisClaimStore
RunState = ClaimState
