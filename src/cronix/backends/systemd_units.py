"""The unit files of the systemd-timer backend: a ``.timer`` and a ``.service`` per schedule.

For schedule ``i`` of ``<app>.<job>`` the names are ``cronix-<app>-<job>-<i>.timer`` and
``.service`` (the reference's names). Ownership is recorded *inside* the files, in the
reference's keys, so units either implementation wrote are recognised by the other:
``X-Cronix-App``, ``X-Cronix-Job``, ``X-Cronix-Index``, ``X-Cronix-Hash`` in ``[Unit]`` of
both files, and in the timer one ``X-Cronix-OnCalendar`` per ``OnCalendar=`` line, as
written, so a hand edit of the schedule shows without a manifest. systemd ignores ``X-``
keys; ``systemd-analyze verify`` prints nothing for a rendered pair (tested).

Beyond the reference: the calendar comes from the correct translation
(:mod:`cronix.backends.systemd_calendar`, one or two ``OnCalendar=`` lines with the job's
zone), ``AccuracySec=1s`` (systemd's default of one minute would start jobs up to a
minute late), and the service is ``Type=oneshot`` bounded by ``TimeoutStartSec=`` —
``RuntimeMaxSec=``, which the reference writes, is ignored for oneshot services — set
to the longest a fire may take under the job's policy plus 30 s (:func:`run_time_bound`).
Secrets never appear in a unit: the trigger reads the operator's references from its
spec file, ``LoadCredential=`` names systemd credentials (the ``credential:`` scheme) and
``EnvironmentFile=`` an optional file for ``env:`` references.

Parsing follows systemd's syntax where it matters for reading back: sections, ``#``/``;``
comments, backslash continuations, and an empty assignment (``OnCalendar=``) resetting
the list before it.
"""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cronix.protocol.ownership import RESOURCE_PREFIX, resource_name
from cronix.protocol.runbounds import longest_fire_seconds

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cronix.protocol.manifest import Policy

__all__ = [
    "SLACK_SECONDS",
    "OwnedUnit",
    "ServiceSettings",
    "exec_argv",
    "is_cronix_name",
    "owned_service",
    "parse_unit",
    "read_owned",
    "render_service",
    "render_timer",
    "run_time_bound",
    "unit_values",
]

SLACK_SECONDS = 30
_INDEX = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """What every service of one backend instance runs and loads (the same for all jobs)."""

    trigger_bin: str
    #: ``(credential name, source)``: ``LoadCredential=name`` or ``name:source``.
    credentials: tuple[tuple[str, str], ...] = ()
    #: ``EnvironmentFile=-<path>`` (optional file) when set.
    environment_file: str = ""


def run_time_bound(policy: Policy) -> int:
    """Seconds a fire may take under ``policy`` (:func:`longest_fire_seconds`), plus :data:`SLACK_SECONDS`.

    A one-attempt job is bounded at ``timeout + 30``, the reference's figure.
    """
    return math.ceil(longest_fire_seconds(policy)) + SLACK_SECONDS


def _ownership(app: str, job: str, index: int, hash_: str, calendars: Sequence[str] = ()) -> list[str]:
    return [
        f"X-Cronix-App={app}",
        f"X-Cronix-Job={job}",
        f"X-Cronix-Index={index}",
        *(f"X-Cronix-OnCalendar={c}" for c in calendars),
        f"X-Cronix-Hash={hash_}",
    ]


def render_timer(
    app: str, job: str, index: int, hash_: str, calendars: Sequence[str], jitter_seconds: int = 0
) -> str:
    """The ``.timer`` file (keys in the reference's order).

    ``jitter_seconds`` (``policy.jitter_seconds``, D-723) is systemd's own randomized
    delay: ``RandomizedDelaySec=`` with ``FixedRandomDelay=true`` (systemd ≥ 247), which
    derives the delay from the machine id and the timer's name — stable on one host, spread
    across hosts, as the trigger's own jitter is.
    """
    name = resource_name(app, job, index)
    delay = [f"RandomizedDelaySec={jitter_seconds}", "FixedRandomDelay=true"] if jitter_seconds else []
    lines = [
        "[Unit]",
        f"Description=cronix timer: {app}.{job} (idx={index})",
        *_ownership(app, job, index, hash_, calendars),
        "",
        "[Timer]",
        *(f"OnCalendar={c}" for c in calendars),
        f"Unit={name}.service",
        "Persistent=true",
        "AccuracySec=1s",
        *delay,
        "",
        "[Install]",
        "WantedBy=timers.target",
    ]
    return "\n".join(lines) + "\n"


def render_service(
    app: str,
    job: str,
    index: int,
    hash_: str,
    timeout_seconds: int,
    settings: ServiceSettings,
    *,
    native_jitter: bool = False,
) -> str:
    """The ``.service`` file: one ``cronix trigger`` run, bounded by ``TimeoutStartSec=``.

    ``native_jitter``: the timer delays the start itself, so the trigger must not wait again
    (``CRONIX_JITTER_NATIVE``, :mod:`cronix.trigger.jitter`).
    """
    lines = [
        "[Unit]",
        f"Description=cronix: {app}.{job} (idx={index})",
        "After=network-online.target",
        *_ownership(app, job, index, hash_),
        "",
        "[Service]",
        "Type=oneshot",
        f"ExecStart={settings.trigger_bin} trigger {app}.{job}",
        f"TimeoutStartSec={timeout_seconds}",
        *(f"LoadCredential={n}:{src}" if src else f"LoadCredential={n}" for n, src in settings.credentials),
    ]
    if native_jitter:
        lines.append("Environment=CRONIX_JITTER_NATIVE=1")
    if settings.environment_file:
        lines.append(f"EnvironmentFile=-{settings.environment_file}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- reading


def parse_unit(text: str) -> list[tuple[str, str, str]]:
    """``(section, key, value)`` of every assignment, in file order."""
    out: list[tuple[str, str, str]] = []
    section = ""
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.strip() if pending else raw.strip()
        pending = ""
        if not line or line[0] in "#;":
            continue
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        if sep:
            out.append((section, key.strip(), value.strip()))
    return out


def unit_values(entries: Sequence[tuple[str, str, str]], section: str, key: str) -> list[str]:
    """The values of a list setting as systemd reads them (an empty assignment resets)."""
    values: list[str] = []
    for sec, k, v in entries:
        if sec == section and k == key:
            if v:
                values.append(v)
            else:
                values.clear()
    return values


def _first(entries: Sequence[tuple[str, str, str]], key: str) -> str | None:
    """The first value of ``key`` in any section (how the reference reads its markers)."""
    return next((v for _, k, v in entries if k == key and v), None)


@dataclass(frozen=True, slots=True)
class OwnedUnit:
    """A timer that carries cronix's ownership keys, as read from disk."""

    name: str
    app: str
    job: str
    index: int
    hash: str
    #: ``OnCalendar=`` as systemd will read it, and ``X-Cronix-OnCalendar=`` as cronix wrote it.
    calendars: tuple[str, ...]
    recorded: tuple[str, ...]

    @property
    def edited(self) -> bool:
        """The schedule differs from what cronix recorded (a hand edit)."""
        return bool(self.recorded) and self.calendars != self.recorded


def read_owned(name: str, text: str) -> OwnedUnit | None:
    """The ownership of timer ``name`` (no suffix), or ``None`` when it is not cronix's."""
    entries = parse_unit(text)
    app, job, index = (
        _first(entries, "X-Cronix-App"),
        _first(entries, "X-Cronix-Job"),
        _first(entries, "X-Cronix-Index"),
    )
    if not app or not job or index is None or not _INDEX.fullmatch(index):
        return None
    return OwnedUnit(
        name=name,
        app=app,
        job=job,
        index=int(index),
        hash=_first(entries, "X-Cronix-Hash") or "",
        calendars=tuple(unit_values(entries, "Timer", "OnCalendar")),
        recorded=tuple(v for _, k, v in entries if k == "X-Cronix-OnCalendar" and v),
    )


def owned_service(text: str) -> tuple[str, str, int] | None:
    """``(app, job, index)`` a service's ownership keys claim, or ``None``."""
    entries = parse_unit(text)
    app, job, index = (
        _first(entries, "X-Cronix-App"),
        _first(entries, "X-Cronix-Job"),
        _first(entries, "X-Cronix-Index"),
    )
    if not app or not job or index is None or not _INDEX.fullmatch(index):
        return None
    return app, job, int(index)


def exec_argv(text: str) -> list[str] | None:
    """The command of a service's (first) ``ExecStart=``, split like a shell would, or ``None``."""
    commands = unit_values(parse_unit(text), "Service", "ExecStart")
    if not commands:
        return None
    value = commands[0].lstrip("-@:+!")
    try:
        return shlex.split(value)
    except ValueError:
        return None


def is_cronix_name(name: str) -> bool:
    """Whether a unit base name has the shape cronix gives its units."""
    return name.startswith(RESOURCE_PREFIX)
