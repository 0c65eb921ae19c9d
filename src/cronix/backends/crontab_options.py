"""Options of the crontab backend: ``backends.<name>`` with ``type: crontab`` in cronix.yaml.

Each field's ``metadata["doc"]`` is its documentation, and each becomes a command-line
flag (``--crontab-<field>``, or the historical name in ``flag``: ``--crontab-user``,
``--cron-tz``, ``--accept-timezone-shift``, ``--crontab-command``); ``docs/config.md``,
``cronix init`` and the flags are all generated from these fields. ``trigger_bin`` has no
flag of its own: the top-level ``--trigger-bin`` sets the host's, which this defaults to.

Every value that ends up in the crontab (``run_as``, ``trigger_bin``, the ``CRON_TZ`` zone)
or names what is run or written (``path``, ``crontab_user``, ``crontab_command``) has a
:class:`~cronix.config.Rule` as its ``check``: the strict decoder refuses a newline or
any other control character before a single byte is written (``spec/DECISIONS.md``
D-151), and the generated docs state each rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cronix.config import FILE_PATH, IANA_ZONE, PROGRAM, SCHEDULER_PATH, USER_NAME
from cronix.config import documented as _doc

__all__ = ["CrontabOptions"]


@dataclass(frozen=True, slots=True)
class CrontabOptions:
    """Options of the crontab backend (``backends.<name>`` with ``type: crontab``)."""

    path: str = field(
        default="/etc/cron.d/cronix",
        metadata=_doc(
            "Crontab file to manage (a symlink is written through to its target). In /etc/cron.d the "
            "name must have no dot (cron ignores such files).",
            check=FILE_PATH,
        ),
    )
    format: Literal["auto", "system", "user"] = field(
        default="auto",
        metadata=_doc(
            "Line format: system (with a user field) or user. auto: system for /etc/crontab and "
            "/etc/cron.d/*, user otherwise and for crontab_user."
        ),
    )
    run_as: str = field(default="root", metadata=_doc("User field of system-format lines.", check=USER_NAME))
    crontab_user: str = field(
        default="",
        metadata=_doc(
            "Install into this user's crontab through crontab(1) instead of path.",
            flag="--crontab-user",
            check=USER_NAME.empty_allowed(),
        ),
    )
    crontab_command: str = field(
        default="crontab",
        metadata=_doc("The crontab(1) program for crontab_user.", flag="--crontab-command", check=PROGRAM),
    )
    trigger_bin: str = field(
        default="",
        metadata=_doc(
            "The cronix executable entries run (default: the top-level trigger_bin).",
            cli=False,
            check=SCHEDULER_PATH.empty_allowed(),
        ),
    )
    cron_tz: bool = field(
        default=False,
        metadata=_doc(
            "The cron daemon honours CRON_TZ (cronie does, Debian's cron does not): write CRON_TZ=<zone> "
            "before each entry instead of a guarded union line. Without it, a job in another zone than "
            "cron's is installed at every host time that can be one of its occurrences and its line runs "
            "cronix trigger … --guard N, which skips the other starts: it fires at its own local times "
            "on any cron, across DST.",
            flag="--cron-tz",
        ),
    )
    accept_timezone_shift: bool = field(
        default=False,
        metadata=_doc(
            "Deprecated, no effect: jobs in another zone than cron's fire at their own local times "
            "(a guarded union line). Accepted so old configurations keep working; check() warns.",
            flag="--accept-timezone-shift",
        ),
    )
    host_timezone: str = field(
        default="",
        metadata=_doc(
            "The cron daemon's timezone (default: read from /etc/localtime).", check=IANA_ZONE.empty_allowed()
        ),
    )
