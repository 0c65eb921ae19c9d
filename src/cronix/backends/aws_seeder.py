"""The aws-scheduler backend's conformance seeder: schedules cronix does not own, made through boto3.

Planted as an operator (or another tool) would create them, through the backend's own
client in its schedule group:

* foreign — two schedules running the foreign command: one under an unrelated name, one
  under a ``cronix-`` name whose ``Description`` is not a cronix marker (ownership must come
  from the marker, never from the name);
* unmarked — ``cronix-<app>-<job>-<index>`` schedules with the job's translated expression
  and no marker: adoption candidates.

Registered as the aws-scheduler :class:`~cronix.backends.registry.BackendType`'s ``seeder``.
"""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING

from cronix.backends.aws_expressions import translate
from cronix.backends.aws_schedules import schedule_name

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cronix.backends.aws_scheduler import AwsSchedulerBackend
    from cronix.protocol.manifest import Job

__all__ = ["AwsSchedulerSeeder"]


class AwsSchedulerSeeder:
    """Plants and removes foreign and unmarked schedules in the backend's schedule group."""

    def __init__(self, backend: AwsSchedulerBackend) -> None:
        self.backend = backend
        self._planted: list[str] = []

    def seed_foreign(self, schedule: str, command: str) -> None:
        token = secrets.token_hex(3)
        for name in (f"backup-{token}", f"cronix-backup-{token}"):
            self._plant(name, schedule, "UTC", json.dumps({"command": command}), f"nightly job: {command}")

    def seed_unmarked(self, app: str, job: Job, schedules: Sequence[str]) -> None:
        for i, schedule in enumerate(schedules):
            spec = json.dumps({"app": app, "job": job.name, "created": "by hand"})
            self._plant(schedule_name(app, job.name, i), schedule, job.timezone, spec, "")

    def foreign_snapshot(self) -> object:
        """What each planted schedule says now (a change or a deletion shows)."""
        lives = self.backend.api.get_many(self._planted)
        return [None if live is None else live.content() for live in lives]

    def cleanup(self) -> None:
        for name in self._planted:
            self.backend.api.delete(name)
        self._planted.clear()

    def _plant(self, name: str, schedule: str, timezone: str, payload: str, description: str) -> None:
        aws = translate(schedule, timezone)
        options = self.backend.options
        self.backend.api.create(
            {
                "Name": name,
                "GroupName": options.schedule_group,
                "ScheduleExpression": aws.expression,
                "ScheduleExpressionTimezone": aws.timezone,
                "Description": description,
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "Target": {"Arn": options.target_arn, "RoleArn": options.role_arn, "Input": payload},
            }
        )
        self._planted.append(name)
