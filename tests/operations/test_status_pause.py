"""Pause state in ``cronix status`` (issue 15 items 2 and 5): the declared pause shows as paused;
a suspension the backend reports but the manifest does not declare — or a declared pause the
backend does not hold — is drift.

How a backend reports suspension is its own (a commented-out crontab line, a disabled timer,
``suspend: true``, ``State: DISABLED``); status reads a ``suspended`` flag on the entries it
lists, so these entries carry one the way such a backend's do.
"""

from __future__ import annotations

from dataclasses import dataclass

from cronix.backends.base import ManagedEntry
from cronix.operations.job_status import JobStatus, pause_drift, suspension
from cronix.protocol.manifest import Job, Request


@dataclass(frozen=True, slots=True)
class PausableEntry(ManagedEntry):
    suspended: bool | None = None


def _job(enabled: bool) -> Job:
    return Job("nightly", ("@daily",), Request("https://example.com/n"), enabled=enabled)


def test_a_backend_that_does_not_say_is_never_drift() -> None:
    plain = [ManagedEntry("billing", "nightly", 0, "h")]
    assert suspension(plain) is None
    assert pause_drift(_job(False), None) == pause_drift(_job(True), None) == ""


def test_an_undeclared_suspension_and_an_unheld_pause_are_drift() -> None:
    off = [PausableEntry("billing", "nightly", 0, "h", suspended=True)]
    on = [PausableEntry("billing", "nightly", 0, "h", suspended=False)]
    mixed = [on[0], PausableEntry("billing", "nightly", 1, "h", suspended=True)]
    assert (suspension(off), suspension(on), suspension(mixed)) == (True, False, True)
    assert pause_drift(_job(True), True) == "paused on the backend, not declared"
    assert pause_drift(_job(False), False) == "declared paused, active on the backend"
    assert pause_drift(_job(False), True) == pause_drift(_job(True), False) == ""


def test_the_pause_column_says_which() -> None:
    def view(enabled: bool, suspended: bool | None) -> str:
        return JobStatus(
            "crontab", "billing", "nightly", _job(enabled), 1, "in-sync", suspended=suspended
        ).pause

    assert view(False, None) == view(False, True) == "paused"
    assert view(False, False) == "paused (backend still active)"
    assert view(True, True) == "suspended (not declared)"
    assert view(True, False) == view(True, None) == ""
