"""Errors the SDK raises at boot — never while answering a request.

A bad option or a bad job definition is a programming error that must surface when the
app imports its jobs, not at the first fire at 3 a.m.; requests themselves are answered
with structured results (:mod:`cronix.sdk.results`) and never raise::

    CronixError (cronix.protocol.errors)
    └── CronConfigError (ValueError)     a bad Cron(...) option or hook
        └── JobDefinitionError           a job that would not validate, or a duplicate name
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cronix.protocol.errors import CronixError

if TYPE_CHECKING:
    from cronix.protocol.errors import Issue

__all__ = ["CronConfigError", "JobDefinitionError"]


class CronConfigError(CronixError, ValueError):
    """An SDK option is invalid (replay window, secret, base URL, hooks …)."""


class JobDefinitionError(CronConfigError):
    """A job cannot be registered; ``issues`` lists every manifest rule it breaks."""

    def __init__(self, name: str, message: str, issues: tuple[Issue, ...] = ()) -> None:
        super().__init__(message)
        self.name = name
        self.issues = issues
