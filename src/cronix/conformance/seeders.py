"""Seeders: how the backend suite plants entries cronix does not own, per backend.

The Backend protocol can only create owned entries, so the "foreign entries are never
touched" and "adopt" vectors need a backend-specific way to write native entries. Each
backend that wants those vectors run registers a factory here (name → settings →
:class:`~cronix.conformance.backend_suite.Seeder`); a backend without one has those
vectors reported as skipped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from cronix.backends.crontab import CrontabBackend
    from cronix.conformance.backend_suite import Seeder
    from cronix.protocol.manifest import Job

__all__ = ["SEEDERS", "CrontabSeeder", "seeder_for"]


def _echo(settings: Mapping[str, str], backend: object) -> Seeder:
    from cronix.plugins.echo import EchoSeeder

    return EchoSeeder.from_settings(settings)


def _crontab(settings: Mapping[str, str], backend: object) -> Seeder:
    from cronix.backends.crontab import CrontabBackend

    if not isinstance(backend, CrontabBackend):  # pragma: no cover - the registry guarantees it
        raise TypeError("the crontab seeder needs the crontab backend")
    return CrontabSeeder(backend)


class CrontabSeeder:
    """Plants lines cronix does not own in the crontab the backend manages, as an operator would.

    Foreign lines and unmarked ``cronix trigger`` lines (adoption candidates) are appended
    at the end of the file, outside the managed block, in the target's line format.
    """

    def __init__(self, backend: CrontabBackend) -> None:
        self.backend = backend
        self._planted: list[str] = []

    def _who(self) -> str:
        user = self.backend.user_field
        return f"{user} " if user else ""

    def seed_foreign(self, schedule: str, command: str) -> None:
        self._plant([f"{schedule} {self._who()}{command}"])

    def seed_unmarked(self, app: str, job: Job, schedules: Sequence[str]) -> None:
        from cronix.backends.crontab_format import render_entry_line, translate

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


#: Backend name → seeder factory taking the backend's settings and the opened backend.
SEEDERS: dict[str, Callable[[Mapping[str, str], object], Seeder]] = {
    "echo": _echo,
    "crontab": _crontab,
}


def seeder_for(name: str, settings: Mapping[str, str], backend: object = None) -> Seeder | None:
    """A seeder for backend ``name`` (``backend``: the instance under test, when there is one)."""
    factory = SEEDERS.get(name)
    return factory(settings, backend) if factory is not None else None
