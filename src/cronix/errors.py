"""The error tree and the exit codes of the ``cronix`` CLI (DESIGN §3 item 8).

Every failure a user can see is a :class:`CronixError` whose class decides the exit code;
``cronix.cli`` catches them in one place, prints the one-line message and exits with
``exc.exit_code``::

    CronixError                          1  error (invalid manifest, failed apply)
    ├── ManifestError  (protocol)        1  manifest bytes/rules (see cronix.protocol.errors)
    ├── ScheduleError  (protocol)        1
    ├── SignatureError (protocol)        1
    ├── ApplyError                       1  a backend write failed mid-apply
    ├── NotFound                         1  the job named on the command line exists nowhere
    ├── UsageError                       2  bad flags, arguments, or a source that cannot be read
    │   └── ConfigError                  2  cronix.yaml is missing, unreadable or invalid
    ├── BackendError                     3  backend unreachable, or a backend/plugin failure
    │   ├── PluginError                  3
    │   └── SourceUnreachable            3  a manifest URL cannot be fetched (connection, TLS, HTTP 5xx)
    ├── FetchAuthError                   4  the app refused the signed manifest fetch (401/403)
    │   └── PluginIntegrityError         4  a plugin binary failed its checksum pin
    ├── DriftDetected                    5  ``drift --exit-on-drift`` found differences
    ├── MissedRuns                       5  ``status --missed``: an expected run has no success
    ├── AdoptDiverged                    6  adopt: the candidate entry differs from the manifest
    └── AdoptNoCandidate                 7  adopt: nothing to adopt

``cronix trigger`` has its own exit map (0 ok · 1 app rejected · 2 retries exhausted ·
3 internal · 4 lock contended or 75) and lives in :mod:`cronix.trigger`.
"""

from __future__ import annotations

from typing import ClassVar

from cronix.protocol.errors import (
    CronixError,
    Issue,
    ManifestError,
    ManifestInvalid,
    ManifestSyntaxError,
    ScheduleError,
    SignatureError,
)
from cronix.protocol.extras import DISTRIBUTION, install_hint

__all__ = [
    "DISTRIBUTION",
    "EXIT_ADOPT_DIVERGED",
    "EXIT_ADOPT_NO_CANDIDATE",
    "EXIT_AUTH",
    "EXIT_BACKEND",
    "EXIT_DRIFT",
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_USAGE",
    "AdoptDiverged",
    "AdoptNoCandidate",
    "ApplyError",
    "BackendError",
    "ConfigError",
    "CronixError",
    "DriftDetected",
    "FetchAuthError",
    "Issue",
    "ManifestError",
    "ManifestInvalid",
    "ManifestSyntaxError",
    "MissedRuns",
    "MissingDependencyError",
    "NotFound",
    "PluginError",
    "PluginIntegrityError",
    "ScheduleError",
    "SignatureError",
    "SourceUnreachable",
    "UsageError",
]


EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_BACKEND = 3
EXIT_AUTH = 4
EXIT_DRIFT = 5
EXIT_ADOPT_DIVERGED = 6
EXIT_ADOPT_NO_CANDIDATE = 7


class ApplyError(CronixError):
    """A backend write failed during apply; the message says what was and was not done."""

    exit_code: ClassVar[int] = EXIT_ERROR


class NotFound(CronixError):
    """What the command names exists nowhere (``cronix show`` of a job no one declares)."""

    exit_code: ClassVar[int] = EXIT_ERROR


class UsageError(CronixError):
    """The command line is wrong, or names something that cannot be read."""

    exit_code: ClassVar[int] = EXIT_USAGE


class ConfigError(UsageError):
    """The operator config (cronix.yaml) is unreadable or invalid."""


class MissingDependencyError(UsageError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, feature: str, extra: str) -> None:
        super().__init__(f"{feature} needs the '{extra}' extra: {install_hint(extra)}")


class BackendError(CronixError):
    """A backend is unreachable or failed."""

    exit_code: ClassVar[int] = EXIT_BACKEND


class PluginError(BackendError):
    """An out-of-tree backend plugin failed (crash, hang, protocol error)."""


class SourceUnreachable(BackendError):
    """A manifest URL could not be fetched: connection refused, DNS, TLS, timeout, HTTP error.

    Exit 3 like an unreachable backend; a local file that cannot be read is a
    :class:`UsageError` (exit 2) instead, because it is the command line that is wrong.
    """


class FetchAuthError(CronixError):
    """The app refused the signed manifest fetch (HTTP 401/403)."""

    exit_code: ClassVar[int] = EXIT_AUTH


class PluginIntegrityError(FetchAuthError):
    """A plugin binary is unpinned or does not match its pinned SHA-256."""


class DriftDetected(CronixError):
    """The backend differs from the manifest (``drift --exit-on-drift``)."""

    exit_code: ClassVar[int] = EXIT_DRIFT


class MissedRuns(CronixError):
    """``status --missed`` found expected occurrences without a successful run (a watchdog's signal)."""

    exit_code: ClassVar[int] = EXIT_DRIFT


class AdoptDiverged(CronixError):
    exit_code: ClassVar[int] = EXIT_ADOPT_DIVERGED


class AdoptNoCandidate(CronixError):
    exit_code: ClassVar[int] = EXIT_ADOPT_NO_CANDIDATE
