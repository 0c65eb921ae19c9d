"""The app's HMAC secret: a string, a rotation list, or a callable returning either — checked.

A secret that cannot protect anything must stop the app at startup, not at the first
fire: ``secret="abc"`` (a placeholder someone forgot), ``secret=""``, or a callable such
as ``lambda: os.environ.get("CRON_SECRET")`` that returns ``None`` because the variable
is not set. :func:`check_source` runs when the :class:`~cronix.sdk.Cron` is built — it
calls a callable once — and :func:`current` applies the same rules each time the
secrets are read for a request, where a broken source is a ``503 SecretUnavailable``
(the provider may recover; the trigger retries), never a silent "no secret".

The minimum is :data:`MIN_SECRET_BYTES` UTF-8 bytes per secret (``spec/DECISIONS.md``
D-625). Messages name the problem and the length, never the value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from cronix.sdk.errors import CronConfigError

if TYPE_CHECKING:
    from cronix.sdk.logs import SDKLogger

__all__ = ["MIN_SECRET_BYTES", "SecretSource", "UnusableSecret", "check_source", "current"]

SecretSource = str | Sequence[str] | Callable[[], str | Sequence[str]]

#: Shortest secret the SDK accepts: 16 bytes, what ``secrets.token_hex(8)`` gives; the
#: docs generate 32 random bytes (64 hex digits).
MIN_SECRET_BYTES = 16


class UnusableSecret(CronConfigError):
    """The secret (or what a secret callable returned) cannot be used; the message says why."""


def _values(value: object, what: str) -> list[str]:
    if value is None:
        raise UnusableSecret(f"cronix: {what} is None (an unset environment variable?)")
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, (list, tuple)) or not all(isinstance(s, str) for s in values):
        raise UnusableSecret(f"cronix: {what} must be a string or a list of strings")
    if not any(values):
        raise UnusableSecret(f"cronix: {what} must not be empty")
    for index, secret in enumerate(values):
        size = len(secret.encode("utf-8"))
        if secret and size < MIN_SECRET_BYTES:
            which = what if len(values) == 1 else f"{what} (item {index})"
            raise UnusableSecret(
                f"cronix: {which} is {size} bytes; an HMAC secret needs at least {MIN_SECRET_BYTES} "
                "(generate one: python -c 'import secrets; print(secrets.token_hex(32))')"
            )
    return [s for s in values if s]


def current(source: SecretSource | None) -> list[str]:
    """The secrets to verify with now; a callable is called. Raises :class:`UnusableSecret`."""
    if source is None:
        return []
    if callable(source):
        return _values(source(), "the secret callable's result")
    return _values(source, "secret")


def check_source(source: SecretSource | None, logger: SDKLogger) -> None:
    """Refuse, at startup, a secret (or a callable's current answer) that :func:`current` would.

    A callable that *raises* is a provider outage, which may end, or a value that is only
    there when the app serves (``os.environ["CRON_SECRET"]`` in an app that can also print
    its manifest): the app starts, logs it at INFO, and its fires get 503 until the
    callable answers. One that *returns* something
    unusable is a mistake that no retry fixes: :class:`UnusableSecret`.
    """
    if source is None:
        return
    try:
        current(source)
    except UnusableSecret:
        raise
    except Exception as exc:
        logger.info(
            "cronix: the secret callable raised %s at startup; fires get 503 SecretUnavailable "
            "until it answers",
            type(exc).__name__,
        )
