"""Quiet fires under cron: a success prints nothing, a failure one line a human can act on (D-621).

cron mails whatever a job writes to stdout or stderr (to ``MAILTO``, else the crontab's
owner) — or logs "No MTA installed, discarding output". The trigger's JSON log lines on
stdout meant one mail per fire. Under cron nobody else reads that stdout: history comes
from the run log, which records every fire either way. So a quiet fire writes no JSON
lines, prints nothing when it succeeds, and prints exactly one line on stderr when it does
not, which makes ``MAILTO`` a failure notification.

Everywhere else stdout *is* the record and stays as it is: systemd passes it to journald,
Kubernetes to the pod log, Lambda to CloudWatch, and ``cronix history`` folds those lines
(``cronix.runlog.fold_shim_logs``). So quiet is chosen, in order, by ``--quiet``; by
``$CRONIX_TRIGGER_QUIET`` (``1``/``true``/``yes`` or ``0``/``false``/``no``); otherwise it
is on only when stdout is not a terminal, not the journal (``$JOURNAL_STREAM``), and one of
the trigger's ancestors (its shell, cron's child, the daemon) is a cron daemon — which is
how every crontab line runs, without a change to the line. A Forbid fire that finds the
previous run still going (exit 4) is cron working as designed, logged at INFO by the
reference: quiet about it too. Every other non-zero exit prints its line.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cronix.trigger.run import FireResult

__all__ = ["CRON_DAEMONS", "Discard", "failure_line", "quiet_wanted", "under_cron"]

#: Process names (``/proc/<pid>/comm``) of the cron daemons that mail a job's output.
CRON_DAEMONS = frozenset({"cron", "crond", "cronie", "fcron", "anacron", "dcron"})
_ANCESTORS = 6  # the shell, cron's forked child, the daemon — and a little room
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class Discard:
    """A text stream that keeps nothing: the quiet fire's stdout log."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def quiet_wanted(flag: bool, environ: Mapping[str, str]) -> bool:
    """Whether this fire is quiet: the flag, else the environment variable, else under cron."""
    if flag:
        return True
    setting = environ.get("CRONIX_TRIGGER_QUIET", "").strip().lower()
    if setting in _TRUE:
        return True
    if setting in _FALSE:
        return False
    return under_cron(environ)


def under_cron(environ: Mapping[str, str]) -> bool:
    """stdout goes to a cron daemon's mail, not to a terminal or a log system."""
    try:
        if os.isatty(1):
            return False
        st = os.fstat(1)
    except OSError:
        return False
    if environ.get("JOURNAL_STREAM") == f"{st.st_dev}:{st.st_ino}":
        return False  # systemd connected stdout to the journal
    pid = os.getppid()
    for _ in range(_ANCESTORS):
        if pid <= 1:
            return False
        found = _comm_and_parent(pid)
        if found is None:
            return False
        comm, pid = found
        if comm in CRON_DAEMONS:
            return True
    return False


def _comm_and_parent(pid: int) -> tuple[str, int] | None:
    """``(comm, ppid)`` of ``pid`` from ``/proc/<pid>/stat`` (``None`` without procfs)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read(4096).decode("utf-8", "replace")
    except OSError:
        return None
    # "pid (comm) state ppid …": comm may hold spaces and parentheses; it ends at the last ")".
    start, end = stat.find("("), stat.rfind(")")
    fields = stat[end + 2 :].split()
    if start < 0 or end < start or len(fields) < 2 or not fields[1].isdigit():
        return None
    return stat[start + 1 : end], int(fields[1])


_WHAT = {
    "app_rejected": "the app rejected it",
    "retries_exhausted": "no attempt succeeded",
    "lock_contended": "another fire holds its lock",
    "lock_lost": "its lock was lost",
    "internal_error": "it could not run",
    "terminated": "it was terminated",
}


def failure_line(app: str, job: str, result: FireResult) -> str:
    """The one line a quiet failed fire prints (what, why, the run id, where to look); ``""`` if none."""
    from cronix.trigger.run import FORBID_CONTENDED

    if result.exit_code == 0 or (result.outcome == "lock_contended" and result.detail == FORBID_CONTENDED):
        return ""
    what = _WHAT.get(result.outcome, result.outcome)
    detail = f": {result.detail}" if result.detail else ""
    plural = "s" if result.attempts != 1 else ""
    counted = result.outcome == "retries_exhausted"  # its detail already says how many
    tries = f" after {result.attempts} attempt{plural}" if result.attempts and not counted else ""
    return (
        f"cronix trigger {app}.{job} failed (exit {result.exit_code}): {what}{detail}{tries}; "
        f"run {result.run_id}, see cronix history {app}.{job}"
    )
