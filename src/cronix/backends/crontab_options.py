"""Options of the crontab backend: ``backends.<name>`` with ``type: crontab`` in cronix.yaml.

Each field's ``metadata["doc"]`` is its documentation (``docs/config.md`` and ``cronix
init`` are generated from it); the command-line flags ``--crontab-path``,
``--crontab-format``, ``--crontab-user``, ``--crontab-run-as``, ``--cron-tz``,
``--accept-timezone-shift`` and ``--trigger-bin`` override the fields of the same meaning.
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
        default="", metadata=_doc("Install into this user's crontab through crontab(1) instead of path.")
    )
    crontab_command: str = field(default="crontab", metadata=_doc("The crontab(1) program for crontab_user."))
    trigger_bin: str = field(
        default="", metadata=_doc("The cronix executable entries run (default: the top-level trigger_bin).")
    )
    cron_tz: bool = field(
        default=False,
        metadata=_doc(
            "The cron daemon honours CRON_TZ (cronie does, Debian's cron does not): write CRON_TZ=<zone> "
            "before each entry so jobs fire in their own timezone."
        ),
    )
    accept_timezone_shift: bool = field(
        default=False,
        metadata=_doc(
            "Install jobs whose timezone differs from the host's anyway; they fire in the host's zone."
        ),
    )
    host_timezone: str = field(
        default="", metadata=_doc("The cron daemon's timezone (default: read from /etc/localtime).")
    )
