"""The root of cronix's error tree and the errors of the wire protocol.

Every failure cronix reports to a user is a :class:`CronixError`. Each class carries the
exit code the CLI uses for it, so the mapping from failure to exit code lives in the
classes and is applied in exactly one place (``cronix.cli``)::

    CronixError (exit 1)
    ├── ManifestError (ValueError)
    │   ├── ManifestSyntaxError      the bytes are not a JSON object (size, UTF-8, JSON, depth)
    │   └── ManifestInvalid          a JSON object that breaks manifest rules; carries every Issue
    ├── ScheduleError (ValueError)   one schedule expression is invalid
    └── SignatureError (ValueError)  an X-Cron-Signature failed: code is one of SIGNATURE_ERROR_CODES

Operational errors (usage, backends, fetch, drift, plugins) extend this tree in
:mod:`cronix.errors`; this module stays here because :mod:`cronix.protocol` may import
only the standard library.
"""

from __future__ import annotations

from typing import ClassVar, Literal, NamedTuple

__all__ = [
    "SIGNATURE_ERROR_CODES",
    "CronixError",
    "Issue",
    "ManifestError",
    "ManifestInvalid",
    "ManifestSyntaxError",
    "ScheduleError",
    "SignatureError",
    "SignatureErrorCode",
]


class CronixError(Exception):
    """Base of every error cronix reports; ``exit_code`` is what the CLI exits with."""

    exit_code: ClassVar[int] = 1
    #: Where the failure was found (a file, a URL); the CLI prints it before the message.
    source: str | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Issue(NamedTuple):
    """One validation problem, located by a path of segments (array indices as decimal strings).

    ``code`` is a stable machine-readable category (``invalid_format``, ``too_small`` …);
    ``message`` is for humans and matches the reference implementation's wording where
    one exists.
    """

    path: tuple[str, ...]
    message: str
    code: str

    @property
    def location(self) -> str:
        """The path joined by ``/`` (``jobs/0/name``); the empty path is ``""``."""
        return "/".join(self.path)

    def render(self) -> str:
        """``jobs/0/name: message (code)``, with ``(root)`` for the empty path."""
        return f"{self.location or '(root)'}: {self.message} ({self.code})"

    def as_json(self) -> dict[str, object]:
        return {"path": list(self.path), "message": self.message, "code": self.code}


class ManifestError(CronixError, ValueError):
    """The manifest could not be accepted."""

    @property
    def issues(self) -> tuple[Issue, ...]:
        raise NotImplementedError


class ManifestSyntaxError(ManifestError):
    """The input is not a manifest at all: too large, not UTF-8, not JSON, too deep, not an object.

    It is reported as one issue at the root so conformance runners and ``-o json`` see a
    path like any other manifest problem.
    """

    def __init__(self, message: str, code: str = "invalid_json") -> None:
        super().__init__(message)
        self.code = code

    @property
    def issues(self) -> tuple[Issue, ...]:
        return (Issue((), self.message, self.code),)


class ManifestInvalid(ManifestError):
    """A JSON object that breaks one or more manifest rules; all of them are listed."""

    def __init__(self, issues: tuple[Issue, ...] | list[Issue]) -> None:
        self._issues = tuple(issues)
        rendered = "; ".join(f"{i.location}: {i.message}" for i in self._issues)
        super().__init__(f"manifest invalid: {rendered}" if rendered else "manifest invalid")

    @property
    def issues(self) -> tuple[Issue, ...]:
        return self._issues


class ScheduleError(CronixError, ValueError):
    """A schedule expression is invalid; the message is the reference's wording."""


SignatureErrorCode = Literal["MalformedHeader", "StaleTimestamp", "SignatureMismatch"]
SIGNATURE_ERROR_CODES: tuple[SignatureErrorCode, ...] = (
    "MalformedHeader",
    "StaleTimestamp",
    "SignatureMismatch",
)


class SignatureError(CronixError, ValueError):
    """An ``X-Cron-Signature`` header failed verification (or could not be produced)."""

    def __init__(self, code: SignatureErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: SignatureErrorCode = code
