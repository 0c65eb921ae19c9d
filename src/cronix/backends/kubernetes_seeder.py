"""The kubernetes backend's conformance seeder: CronJobs cronix does not own, made as an operator would.

Foreign CronJobs (another program, no cronix labels) and unmarked CronJobs that run
``cronix trigger <app>.<job>`` (adoption candidates, named as a person would name them)
are created through the same API connection the backend uses. Registered as the
kubernetes :class:`~cronix.backends.registry.BackendType`'s ``seeder``.
"""

from __future__ import annotations

import secrets
import shlex
from typing import TYPE_CHECKING, Any

from cronix.backends.kubernetes_objects import translate

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cronix.backends.kubernetes import KubernetesBackend
    from cronix.protocol.manifest import Job

__all__ = ["KubernetesSeeder", "cron_job"]


def cron_job(
    name: str, schedule: str, command: Sequence[str], image: str, *, zone: str = "UTC"
) -> dict[str, Any]:
    """A plain CronJob without cronix's labels."""
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/name": "seeded-by-conformance"}},
        "spec": {
            "schedule": schedule,
            "timeZone": zone,
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "OnFailure",
                            "containers": [{"name": "main", "image": image, "command": list(command)}],
                        }
                    }
                }
            },
        },
    }


class KubernetesSeeder:
    """Plants and removes CronJobs without cronix's labels in the backend's namespace."""

    def __init__(self, backend: KubernetesBackend) -> None:
        self.backend = backend
        self._planted: list[str] = []

    def seed_foreign(self, schedule: str, command: str) -> None:
        name = f"foreign-{secrets.token_hex(4)}"
        self._plant(cron_job(name, schedule, shlex.split(command), self.backend.options.image))

    def seed_unmarked(self, app: str, job: Job, schedules: Sequence[str]) -> None:
        argv = [*self.backend.options.command, "trigger", f"{app}.{job.name}"]
        for i, schedule in enumerate(schedules):
            name = f"{app}-{job.name}-by-hand-{i}"
            self._plant(
                cron_job(name, translate(schedule), argv, self.backend.options.image, zone=job.timezone)
            )

    def foreign_snapshot(self) -> object:
        """Labels and spec of every planted CronJob still there (a changed one compares unequal)."""
        found = []
        for name in self._planted:
            obj = self.backend.api.get("cronjobs", name)
            if obj is not None:
                found.append((name, (obj.get("metadata") or {}).get("labels"), obj.get("spec")))
        return found

    def cleanup(self) -> None:
        for name in self._planted:
            self.backend.api.delete("cronjobs", name)
        self._planted.clear()

    def _plant(self, obj: dict[str, Any]) -> None:
        self.backend.api.create("cronjobs", obj)
        self._planted.append(obj["metadata"]["name"])
