"""What answering a request needs from a :class:`~cronix.sdk.Cron`: one structural type.

Verification (:mod:`cronix.sdk.verifying`), claims (:mod:`cronix.sdk.claiming`) and
dispatch (:mod:`cronix.sdk.dispatch`) are written against :class:`CronLike`, never against
``Cron`` itself, so ``app.py`` can import them without them importing it back: the SDK
has no import circle, not even one hidden behind ``TYPE_CHECKING``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from cronix.sdk.claims import ClaimStore
    from cronix.sdk.firejwt import FireJWT
    from cronix.sdk.hooks import Hooks
    from cronix.sdk.incoming import CronRequest
    from cronix.sdk.jobs import RegisteredJob
    from cronix.sdk.logs import SDKLogger
    from cronix.sdk.results import Rejection, Response
    from cronix.sdk.scheduler import ManagedScheduler
    from cronix.sdk.vercel import VercelCron

__all__ = ["CronLike", "FireMode"]

#: How a token fire is answered: ``async`` — 202 once claimed, the handler runs in the
#: background; ``sync`` — the handler's own response (D-507). HMAC fires are always sync.
FireMode = Literal["async", "sync"]


class CronLike(Protocol):
    app: str
    logger: SDKLogger
    hooks: Hooks
    max_body_bytes: int
    replay_window_seconds: int
    skip_verify: bool
    claims: ClaimStore | None
    replay: ClaimStore
    fire_jwt: FireJWT | None
    fire_mode: FireMode
    scheduler: ManagedScheduler | None
    vercel: VercelCron | None

    def get(self, name: str) -> RegisteredJob | None: ...

    def secrets(self) -> list[str]: ...

    def has_secret(self) -> bool: ...

    def error(self, failure: Rejection, request: CronRequest | None = None) -> Response: ...

    def skips_verification(self, entry: RegisteredJob) -> bool: ...

    def manifest_json(self) -> bytes: ...

    def trigger_url(self, name: str) -> str: ...
