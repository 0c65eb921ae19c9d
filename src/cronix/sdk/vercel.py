"""Vercel Cron's own invocations: the fire strategy ``vercel-native`` on the app's side.

The ``vercel`` backend writes ``vercel.json`` ``crons`` entries whose path is
``<prefix><job>?cronix=<app>.<index>.<hash>``; Vercel then calls ``GET <path>`` on the
production deployment with ``Authorization: Bearer $CRON_SECRET`` — a static project
secret, no signature, no fire id, no retries, sometimes twice (``spec/DECISIONS.md``
D-760…D-766). An app accepts those calls only when it says so
(``Cron(vercel_cron_secret=...)``); then:

* the bearer is compared in constant time with every configured secret (current and
  next while rotating, as ``secret=`` allows), **before** the method, path or job are
  looked at (D-301), so a wrong bearer gets the same 401 for every job name;
* only ``GET`` is a Vercel call; the job comes from the route; a ``cronix=`` query, when
  present, must name this app and one of the job's schedules (it gives the index);
* the occurrence is ``<app>.<job>#<index>@<minute of arrival, UTC>``
  (:mod:`cronix.protocol.fireid`), claimed in ``Cron.claims`` like any fire id, so a
  duplicate invocation within the same minute runs nothing.

A static bearer replayed by whoever saw it cannot be told from Vercel's own call; the
claim store only stops a replay from re-running an occurrence that already ran. Like the
rest of the SDK core, this module needs only the standard library and :mod:`cronix.protocol`.
"""

from __future__ import annotations

import hmac
import os
import re
import time
from typing import TYPE_CHECKING

from cronix.protocol.fireid import format_fire_id
from cronix.protocol.identifiers import ID_PATTERN
from cronix.sdk.errors import CronConfigError
from cronix.sdk.firejwt import bearer_token
from cronix.sdk.results import Rejection, rejection

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cronix.sdk.incoming import CronRequest
    from cronix.sdk.jobs import RegisteredJob
    from cronix.sdk.logs import SDKLogger

__all__ = [
    "CRON_SECRET_ENV",
    "MIN_SECRET_LENGTH",
    "QUERY_KEY",
    "VercelCron",
    "authenticate",
    "env_secret",
    "occurrence",
]

#: The project environment variable Vercel sends as the bearer.
CRON_SECRET_ENV = "CRON_SECRET"
#: Vercel recommends at least 16 random characters; a shorter secret is refused (D-762).
MIN_SECRET_LENGTH = 16
#: The query parameter the vercel backend writes into each entry's path.
QUERY_KEY = "cronix"
_MARKER = re.compile(rf"({ID_PATTERN.pattern})\.(0|[1-9][0-9]?)\.([0-9a-f]{{16}})")


class EnvSecret:
    """A secret provider that reads one environment variable on every call (never cached)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self) -> str:
        value = os.environ.get(self.name, "")
        if not value:
            raise LookupError(f"the environment variable {self.name} is not set")
        return value

    def __repr__(self) -> str:  # the name only, never the value
        return f"env_secret({self.name!r})"


def env_secret(name: str = CRON_SECRET_ENV) -> Callable[[], str]:
    """``vercel_cron_secret=env_secret()``: Vercel's ``CRON_SECRET``, read when a call arrives.

    Read per call rather than at import so a deployment whose variable is missing answers
    503 with a log line naming the variable, instead of failing to start.
    """
    if not isinstance(name, str) or not name:
        raise CronConfigError("cronix: env_secret needs the name of an environment variable")
    return EnvSecret(name)


def _values(value: object, what: str) -> list[str]:
    values = [value] if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) else None
    if values is None or not values or not all(isinstance(v, str) for v in values):
        raise TypeError(f"{what} must be a string or a non-empty list of strings")
    short = [i for i, v in enumerate(values) if len(v) < MIN_SECRET_LENGTH]
    if short:
        raise ValueError(
            f"{what} has a value shorter than {MIN_SECRET_LENGTH} characters (index {short[0]}); "
            "Vercel recommends at least 16 random characters: generate one with `openssl rand -hex 32`"
        )
    return values


class VercelCron:
    """The secret(s) a Vercel call must present, and the clock its occurrence is read from.

    ``source`` is a string, a list (every entry verifies: rotate by adding the new secret
    first, then dropping the old one) or a callable returning either, called on every
    call (:func:`env_secret` reads ``CRON_SECRET``). Static values are checked at once
    (:class:`CronConfigError`); a callable's values on each call (a bad value is 503).
    ``clock`` gives the arrival time whose minute names the occurrence.
    """

    __slots__ = ("_source", "clock")

    def __init__(
        self,
        source: str | Sequence[str] | Callable[[], str | Sequence[str]],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not callable(source):
            try:
                _values(source, "cronix: vercel_cron_secret")
            except (TypeError, ValueError) as exc:
                raise CronConfigError(str(exc)) from None
        self._source = source
        self.clock = clock

    def secrets(self) -> list[str]:
        """The secrets accepted now (raises when a provider fails or returns something unusable)."""
        source = self._source
        return _values(source() if callable(source) else source, "the vercel_cron_secret provider's value")

    def match(self, bearer: str) -> int | None:
        """The index of the secret equal to ``bearer`` (compared in constant time), or None."""
        given = bearer.encode("utf-8", "surrogateescape")
        found: int | None = None
        for index, secret in enumerate(self.secrets()):
            # Every secret is compared, so the time taken says nothing about which matched.
            if hmac.compare_digest(given, secret.encode("utf-8")) and found is None:
                found = index
        return found


def authenticate(
    vercel: VercelCron, request: CronRequest, *, app: str, logger: SDKLogger, others: bool, tokens: bool
) -> int | Rejection | None:
    """The index of the secret a Vercel call presented, its rejection, or None: not a Vercel call.

    ``others``: the app also takes HMAC or tokens; ``tokens``: it has ``fire_jwt``. None
    hands the request back to those: it has no bearer and ``others`` (today's
    ``MissingSignature``/``MissingToken``), or its bearer is not a Vercel secret but has a
    JWT's shape and ``tokens``. The static secret is compared first: it is cheaper than
    parsing a token (D-763). (Plain arguments, not the ``Cron``: the contract names this
    module, so this module must not name the contract.)
    """
    bearer = bearer_token(request)
    looks_like_jwt = bearer is not None and bearer.count(".") == 2 and tokens
    if bearer is None:
        if others:
            return None
        return rejection("MissingToken", "missing Authorization: Bearer header (Vercel's CRON_SECRET)")
    try:
        index = vercel.match(bearer)
    except Exception:
        if looks_like_jwt:
            return None
        # Names the app, never a value; the provider's own message may name the variable.
        logger.exception("cronix: the vercel_cron_secret provider of app %s failed", app)
        return rejection("SecretUnavailable", "the app could not load its Vercel cron secret")
    if index is not None:
        return index
    if looks_like_jwt:
        return None
    return rejection("BearerMismatch", "the bearer token is not this app's Vercel cron secret")


def occurrence(vercel: VercelCron, request: CronRequest, app: str, entry: RegisteredJob) -> str | Rejection:
    """The fire id of a Vercel call of ``entry``: its schedule index, the minute it arrived."""
    query = request.target.partition("?")[2]
    given = [value for key, _, value in (p.partition("=") for p in query.split("&")) if key == QUERY_KEY]
    index = 0
    if len(given) > 1:
        return rejection("BadFireId", f"the path has {len(given)} {QUERY_KEY}= parameters; expected one")
    if given:
        match = _MARKER.fullmatch(given[0])
        if match is None:
            return rejection(
                "BadFireId",
                f"{QUERY_KEY}= must be <app>.<index>.<hash> as the vercel backend writes it, "
                f"got {given[0][:80]!r}",
            )
        if match[1] != app:
            return rejection("BadFireId", f"{QUERY_KEY}= names app {match[1]}, not {app}")
        index = int(match[2])
        count = len(entry.job.schedules)
        if index >= count:
            return rejection(
                "BadFireId", f"{QUERY_KEY}= names schedule {index}; job {entry.name} has {count}"
            )
    minute = int(vercel.clock()) // 60 * 60
    return format_fire_id(app, entry.name, index, minute)
