"""Options of the crontab backend: ``backends.<name>`` with ``type: crontab`` in cronix.yaml.

Each field's ``metadata["doc"]`` is its documentation, and each becomes a command-line
flag (``--crontab-<field>``, or the historical name in ``flag``: ``--crontab-user``,
``--cron-tz``, ``--accept-timezone-shift``, ``--crontab-command``); ``docs/config.md``,
``cronix init`` and the flags are all generated from these fields. ``trigger_bin`` has no
flag of its own: the top-level ``--trigger-bin`` sets the host's, which this defaults to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cronix.config import documented as _doc

__all__ = ["CrontabOptions"]


@dataclass(frozen=True, slots=True)
class CrontabOptions:
    """Options of the crontab backend (``backends.<name>`` with ``type: crontab``)."""

    path: str = field(
        default="/etc/cron.d/cronix",
        metadata=_doc(
            "Crontab file to manage. In /etc/cron.d the name must have no dot (cron ignores such files)."
        ),
    )
    format: Literal["auto", "system", "user"] = field(
        default="auto",
        metadata=_doc(
            "Line format: system (with a user field) or user. auto: system for /etc/crontab and "
            "/etc/cron.d/*, user otherwise and for crontab_user."
        ),
    )
    run_as: str = field(default="root", metadata=_doc("User field of system-format lines."))
    crontab_user: str = field(
        default="",
        metadata=_doc(
            "Install into this user's crontab through crontab(1) instead of path.", flag="--crontab-user"
        ),
    )
    crontab_command: str = field(
        default="crontab",
        metadata=_doc("The crontab(1) program for crontab_user.", flag="--crontab-command"),
    )
    trigger_bin: str = field(
        default="",
        metadata=_doc("The cronix executable entries run (default: the top-level trigger_bin).", cli=False),
    )
    cron_tz: bool = field(
        default=False,
        metadata=_doc(
            "The cron daemon honours CRON_TZ (cronie does, Debian's cron does not): write CRON_TZ=<zone> "
            "before each entry so jobs fire in their own timezone.",
            flag="--cron-tz",
        ),
    )
    accept_timezone_shift: bool = field(
        default=False,
        metadata=_doc(
            "Install jobs whose timezone differs from the host's anyway; they fire in the host's zone.",
            flag="--accept-timezone-shift",
        ),
    )
    host_timezone: str = field(
        default="", metadata=_doc("The cron daemon's timezone (default: read from /etc/localtime).")
    )
