"""The systemd the timers run under: ``systemctl`` and ``journalctl``, as configured argv prefixes.

Both commands are options (``systemctl_command``, ``journalctl_command``) split into words,
so a host can manage the systemd of a container (``nsenter -t PID -a systemctl``) or a
test can record what would have run. Every call names exact units (``enable --now
cronix-billing-report-0.timer``), never a glob, and a failure is one line naming the
command and systemctl's own words (:class:`~cronix.errors.BackendError`, exit 3).
``enable``/``disable`` run with ``--no-reload`` (they would reload systemd themselves):
the backend reloads once per apply, and only when a unit file changed.

:func:`calendar_keys` compares calendar expressions the way systemd reads them
(``systemd-analyze calendar``'s normalized form), for adoption.

"Is systemd there?" (:meth:`Systemctl.probe`): with the stock command, a host not booted
with systemd has no ``/run/systemd/system`` (systemd's own ``sd_booted()`` test); otherwise
``systemctl show --property=Version`` must answer.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cronix.errors import BackendError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

__all__ = ["Journal", "Systemctl", "calendar_keys"]

_TIMEOUT = 120.0
#: systemctl's words for a unit that is not loaded (stopping it is then a no-op, not an error).
_NOT_LOADED = ("not loaded", "does not exist")


def _one_line(text: str) -> str:
    return " / ".join(line.strip() for line in text.strip().splitlines() if line.strip()) or "no output"


@dataclass(frozen=True, slots=True)
class Systemctl:
    command: str = "systemctl"
    user: bool = False

    @property
    def argv(self) -> list[str]:
        return [*shlex.split(self.command), *(["--user"] if self.user else [])]

    def probe(self) -> str | None:
        """Why systemd cannot be managed from here, or ``None`` when it can."""
        if self.command == "systemctl" and not self.user and not os.path.isdir("/run/systemd/system"):
            return "this host is not booted with systemd (/run/systemd/system does not exist)"
        proc = self._run(["show", "--property=Version", "--value"])
        if proc.returncode != 0:
            return f"{self._shown(['show'])} failed: {_one_line(proc.stdout + proc.stderr)}"
        return None

    def daemon_reload(self) -> None:
        self._check(["daemon-reload"])

    def enable_now(self, timers: Sequence[str]) -> None:
        if timers:
            self._check(["enable", "--now", "--no-reload", "--", *timers])

    def disable_now(self, timers: Sequence[str]) -> None:
        """Stop and disable ``timers``; a timer systemd never loaded is only disabled."""
        if timers:
            self._check(["disable", "--now", "--no-reload", "--", *timers], tolerate=_NOT_LOADED)

    def _check(self, args: list[str], tolerate: tuple[str, ...] = ()) -> None:
        proc = self._run(args)
        if proc.returncode == 0:
            return
        errors = [
            line for line in proc.stderr.splitlines() if line.strip() and not line.startswith("Removed")
        ]
        if tolerate and errors and all(any(t in line for t in tolerate) for line in errors):
            return
        raise BackendError(
            f"systemd-timer: {self._shown(args)} failed (exit {proc.returncode}): "
            f"{_one_line(proc.stderr or proc.stdout)}"
        )

    def _shown(self, args: list[str]) -> str:
        words = [*self.argv, *args]
        shown = " ".join(words[:8])
        return shown + (f" … ({len(words) - 8} more)" if len(words) > 8 else "")

    def _run(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        argv = [*self.argv, *args]
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=_TIMEOUT, check=False)
        except FileNotFoundError:
            raise BackendError(
                f"systemd-timer: {argv[0]} not found (install systemd, or set "
                "backends.systemd-timer.systemctl_command; write_units_only: true writes units without it)"
            ) from None
        except subprocess.TimeoutExpired:
            raise BackendError(
                f"systemd-timer: {self._shown(args)} did not finish within {_TIMEOUT:.0f} s"
            ) from None


@dataclass(frozen=True, slots=True)
class Journal:
    command: str = "journalctl"
    user: bool = False

    def lines(
        self, units: Sequence[str], *, since: datetime | None = None, until: datetime | None = None
    ) -> list[str]:
        """``journalctl --output=json`` records of ``units``; empty when there is no journal to read."""
        argv = [*shlex.split(self.command), *(["--user"] if self.user else [])]
        argv += ["--output=json", "--no-pager", "--quiet"]
        if since is not None:
            argv.append(f"--since=@{int(since.timestamp())}")
        if until is not None:
            argv.append(f"--until=@{int(until.timestamp())}")
        for unit in units:
            argv += ["-u", unit]
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return []
        return proc.stdout.splitlines() if proc.returncode == 0 else []


def calendar_keys() -> Callable[[Sequence[str]], list[str]]:
    """Comparison keys for calendar expressions: systemd's normalized form (``systemd-analyze``,
    else the text) with the zone made explicit — a zone-less calendar runs in the host's zone —
    and compared by its rules, so ``UTC`` and ``Etc/UTC`` agree."""
    import hashlib
    import shutil

    from cronix.backends.timezones import host_timezone, zone_rules

    analyze = shutil.which("systemd-analyze")

    def key(form: str) -> str:
        body, _, last = form.rpartition(" ")
        if ":" in last or not body:  # the last word is the time: no zone given
            body, last = form, host_timezone()
        rules = zone_rules(last)
        return f"{body} @{hashlib.sha256(rules).hexdigest() if rules else last}"

    def normalize(expressions: Sequence[str]) -> list[str]:
        forms = [" ".join(e.split()) for e in expressions]
        if analyze is not None and expressions:
            proc = subprocess.run(
                [analyze, "calendar", *expressions],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
                env={**os.environ, "TZ": "UTC"},
            )
            found = [
                line.split(":", 1)[1].strip()
                for line in proc.stdout.splitlines()
                if "Normalized form:" in line
            ]
            if proc.returncode == 0 and len(found) == len(expressions):
                forms = found
        return [key(f) for f in forms]

    return normalize
