"""The systemd-timer backend's conformance seeder: units cronix does not own, written as an operator would.

Foreign units are a timer and a service named ``zz-operator-<n>`` running the vector's
command; adoption candidates are ``<app>-<job>-manual-<i>`` timers whose service runs
``<trigger_bin> trigger <app>.<job>``, with the schedule's own calendar and no ownership
keys. Registered as the systemd-timer :class:`~cronix.backends.registry.BackendType`'s
``seeder``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from cronix.backends.systemd_calendar import on_calendar

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cronix.backends.systemd import SystemdBackend
    from cronix.protocol.manifest import Job

__all__ = ["SystemdSeeder"]


class SystemdSeeder:
    """Plants and removes foreign and unmarked units in the directory ``backend`` manages."""

    def __init__(self, backend: SystemdBackend) -> None:
        self.backend = backend
        self._foreign: list[str] = []
        self._planted: list[str] = []

    def seed_foreign(self, schedule: str, command: str) -> None:
        base = f"zz-operator-{len(self._planted)}"
        self._plant(base, on_calendar(schedule, "UTC"), command)
        self._foreign += [f"{base}.timer", f"{base}.service"]

    def seed_unmarked(self, app: str, job: Job, schedules: Sequence[str]) -> None:
        for i, schedule in enumerate(schedules):
            command = f"{self.backend.trigger_bin} trigger {app}.{job.name}"
            self._plant(f"{app}-{job.name}-manual-{i}", on_calendar(schedule, job.timezone), command)

    def foreign_snapshot(self) -> object:
        """The planted foreign files still present, with their bytes (any change shows)."""
        return [(name, self.backend.files.read(name)) for name in self._foreign]

    def cleanup(self) -> None:
        for name in self._planted:
            path = os.path.join(self.backend.unit_dir, name)
            if os.path.lexists(path):
                os.unlink(path)
        self._planted.clear()
        self._foreign.clear()

    def _plant(self, base: str, calendars: Sequence[str], command: str) -> None:
        timer = (
            "[Timer]\n"
            + "".join(f"OnCalendar={c}\n" for c in calendars)
            + "\n[Install]\nWantedBy=timers.target\n"
        )
        service = f"[Service]\nType=oneshot\nExecStart={command}\n"
        os.makedirs(self.backend.unit_dir, exist_ok=True)
        for name, text in ((f"{base}.timer", timer), (f"{base}.service", service)):
            with open(os.path.join(self.backend.unit_dir, name), "w", encoding="utf-8") as fh:
                fh.write(text)
            self._planted.append(name)
