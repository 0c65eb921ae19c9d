"""Options of the systemd-timer backend: ``backends.<name>`` with ``type: systemd-timer`` in cronix.yaml.

Each field's documentation is rendered into ``docs/config.md`` and ``cronix init``; on the
command line every field is also ``--systemd-timer-<field>`` (``--backend-config
key=value`` works too).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping  # noqa: TC003 - the options decoder resolves the hint at run time
from dataclasses import dataclass, field
from typing import Any

from cronix.config import documented as _doc

__all__ = ["CREDENTIAL_NAME", "SystemdOptions"]

#: A systemd credential name as cronix accepts it (``LoadCredential=NAME``, ``credential:NAME``).
CREDENTIAL_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}")


def _command(value: Any) -> str | None:
    try:
        argv = shlex.split(value)
    except ValueError as exc:
        return f"cannot split {value!r} into words: {exc}"
    return None if argv else "must name a program"


def _credentials(value: Any) -> str | None:
    for name, source in value.items():
        if not CREDENTIAL_NAME.fullmatch(name):
            return f"{name!r} is not a credential name (letters, digits, _ . -)"
        if not isinstance(source, str) or (source and not source.startswith("/")) or "\n" in source:
            return f"{name}: the source must be an absolute path, or empty for systemd's credential store"
    return None


@dataclass(frozen=True, slots=True)
class SystemdOptions:
    """Options of the systemd-timer backend (``backends.<name>`` with ``type: systemd-timer``)."""

    unit_dir: str = field(
        default="",
        metadata=_doc(
            "Directory of the unit files (default: /etc/systemd/system, or ~/.config/systemd/user "
            "with user: true). Inside an image or container root, that root's etc/systemd/system."
        ),
    )
    user: bool = field(
        default=False,
        metadata=_doc("Manage the user's own timers (systemctl --user, journalctl --user)."),
    )
    trigger_bin: str = field(
        default="",
        metadata=_doc("The cronix executable services run (default: the top-level trigger_bin)."),
    )
    write_units_only: bool = field(
        default=False,
        metadata=_doc(
            "Only write unit files and their timers.target.wants links, never run systemctl: for "
            "images built offline, or a host that is not booted with systemd."
        ),
    )
    systemctl_command: str = field(
        default="systemctl",
        metadata=_doc(
            "The systemctl command, split into words: e.g. 'nsenter -t PID -a systemctl' for a "
            "container's systemd.",
            check=_command,
        ),
    )
    journalctl_command: str = field(
        default="journalctl",
        metadata=_doc("The journalctl command history reads, split into words.", check=_command),
    )
    credentials: Mapping[str, str] = field(
        default_factory=dict,
        metadata=_doc(
            "systemd credentials every service loads (LoadCredential=): name → source file, or '' "
            "for systemd's credential store (/etc/credstore …). A credential:NAME secret ref reads "
            "$CREDENTIALS_DIRECTORY/NAME in the service; the secret never enters a unit.",
            check=_credentials,
            cli=False,
        ),
    )
    environment_file: str = field(
        default="",
        metadata=_doc(
            "An environment file every service reads (EnvironmentFile=-PATH), so env:NAME secret refs "
            "resolve without putting the secret into a unit."
        ),
    )
