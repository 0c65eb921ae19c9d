"""The crontab backend's conformance seeder: lines cronix does not own, planted as an operator would.

Foreign lines and unmarked ``cronix trigger`` lines (adoption candidates) are appended at
the end of the file, outside the managed block, in the target's line format. Registered
as the crontab :class:`~cronix.backends.registry.BackendType`'s ``seeder``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cronix.backends.crontab_format import render_entry_line, translate

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cronix.backends.crontab import CrontabBackend
    from cronix.protocol.manifest import Job

__all__ = ["CrontabSeeder"]


class CrontabSeeder:
    """Plants and removes foreign and unmarked lines in the crontab ``backend`` manages."""

    def __init__(self, backend: CrontabBackend) -> None:
        self.backend = backend
        self._planted: list[str] = []

    def _who(self) -> str:
        user = self.backend.user_field
        return f"{user} " if user else ""

    def seed_foreign(self, schedule: str, command: str) -> None:
        self._plant([f"{schedule} {self._who()}{command}"])

    def seed_unmarked(self, app: str, job: Job, schedules: Sequence[str]) -> None:
        user, bin_ = self.backend.user_field, self.backend.trigger_bin
        self._plant([render_entry_line(translate(s), user, bin_, app, job.name) for s in schedules])

    def foreign_snapshot(self) -> object:
        """The planted lines still present, in file order (a changed line drops out)."""
        planted = set(self._planted)
        return [line for line in self._lines() if line in planted]

    def cleanup(self) -> None:
        planted = set(self._planted)
        self._write([line for line in self._lines() if line not in planted])
        self._planted.clear()

    def _lines(self) -> list[str]:
        return self.backend.target.read().decode("utf-8").splitlines()

    def _plant(self, lines: list[str]) -> None:
        self._write(self._lines() + lines)
        self._planted.extend(lines)

    def _write(self, lines: list[str]) -> None:
        self.backend.target.write(("\n".join(lines) + "\n").encode("utf-8") if lines else b"")
