"""Pause state in ``cronix status`` (issue 15 items 2 and 5): the declared pause shows as paused;
a suspension the backend reports but the manifest does not declare — or a declared pause the
backend does not hold — is drift.

How a backend reports suspension is its own (a commented-out crontab line, a disabled timer,
``suspend: true``, ``State: DISABLED``); every backend puts it on the entries it lists
(``ManagedEntry.paused``, D-721), and the audit and status read it there. The real backends'
pause is tested with them (tests/reconcile, tests/systemd, tests/kubernetes, tests/aws).
"""

from __future__ import annotations

from cronix.backends.base import ManagedEntry
from cronix.operations.job_status import JobStatus, suspension
from cronix.protocol.manifest import Job, Request
from cronix.reconcile.planning import pause_drift


def _job(enabled: bool) -> Job:
    return Job("nightly", ("@daily",), Request("https://example.com/n"), enabled=enabled)


def test_a_backend_that_does_not_say_is_never_drift() -> None:
    plain = [ManagedEntry("billing", "nightly", 0, "h")]
    assert suspension(plain) is None
    assert pause_drift(_job(False), plain) == pause_drift(_job(True), plain) == ""


def test_an_undeclared_suspension_and_an_unheld_pause_are_drift() -> None:
    off = [ManagedEntry("billing", "nightly", 0, "h", paused=True)]
    on = [ManagedEntry("billing", "nightly", 0, "h", paused=False)]
    mixed = [on[0], ManagedEntry("billing", "nightly", 1, "h", paused=True)]
    assert (suspension(off), suspension(on), suspension(mixed)) == (True, False, True)
    assert pause_drift(_job(True), off).startswith("paused on the backend")
    assert pause_drift(_job(False), on).startswith("declared paused (enabled: false)")
    assert pause_drift(_job(False), off) == pause_drift(_job(True), on) == ""


def test_the_pause_column_says_which() -> None:
    def view(enabled: bool, suspended: bool | None) -> str:
        return JobStatus(
            "crontab", "billing", "nightly", _job(enabled), 1, "in-sync", suspended=suspended
        ).pause

    assert view(False, None) == view(False, True) == "paused"
    assert view(False, False) == "paused (backend still active)"
    assert view(True, True) == "suspended (not declared)"
    assert view(True, False) == view(True, None) == ""
