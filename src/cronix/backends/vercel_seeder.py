"""The vercel backend's conformance seeder: ``crons`` entries cronix does not own, added as a developer would.

A foreign entry is ``{"path": "/api/<command's program name>", "schedule": …}``; an
unmarked entry for a job is the plain ``<prefix><job>`` path (how the reference and
people write them). Registered as the vercel :class:`~cronix.backends.registry.BackendType`'s
``seeder``.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from cronix.protocol.schedule import canonical_cron, parse_schedule

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cronix.backends.vercel import VercelBackend
    from cronix.protocol.manifest import Job

__all__ = ["VercelSeeder"]


class VercelSeeder:
    """Plants and removes foreign entries in the ``vercel.json`` ``backend`` manages."""

    def __init__(self, backend: VercelBackend) -> None:
        self.backend = backend
        self._planted: list[dict[str, str]] = []

    def seed_foreign(self, schedule: str, command: str) -> None:
        name = os.path.basename(command.split()[0]) or "task"
        self._plant([{"path": f"/api/{name}", "schedule": schedule}])

    def seed_unmarked(self, app: str, job: Job, schedules: Sequence[str]) -> None:
        crons = []
        for schedule in schedules:
            parsed = parse_schedule(schedule)
            text = canonical_cron(parsed.cron.raw) if parsed.cron is not None else parsed.source
            crons.append({"path": f"{self.backend.prefix}{job.name}", "schedule": text})
        self._plant(crons)

    def foreign_snapshot(self) -> object:
        """The planted entries still present, in file order, with every key (any change shows)."""
        return [e for e in self._crons() if e in self._planted]

    def cleanup(self) -> None:
        doc = self._read()
        doc["crons"] = [e for e in self._crons() if e not in self._planted]
        self._write(doc)
        self._planted.clear()

    def _plant(self, entries: list[dict[str, str]]) -> None:
        doc = self._read()
        doc["crons"] = [*self._crons(), *entries]
        self._write(doc)
        self._planted.extend(entries)

    def _read(self) -> dict[str, Any]:
        try:
            with open(self.backend.path, encoding="utf-8") as fh:
                text = fh.read()
        except FileNotFoundError:
            return {}
        doc: dict[str, Any] = json.loads(text) if text.strip() else {}
        return doc

    def _crons(self) -> list[Any]:
        crons: list[Any] = self._read().get("crons", [])
        return crons

    def _write(self, doc: dict[str, Any]) -> None:
        with open(self.backend.path, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(doc, indent=4) + "\n")
