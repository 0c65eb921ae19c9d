"""The EventBridge Scheduler calls the aws-scheduler backend makes, each failure one clear line.

A thin layer over one boto3 ``scheduler`` client (botocore's retry mode inside every call,
:mod:`cronix.awsclients`): it knows which answers are expected — a schedule that is gone
when deleted or read, a group that exists when created — and turns every other failure
into ``BackendError("aws-scheduler: <what>: <code>: <message>")`` (exit 3). The backend
decides what to call; this module only calls.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, NoReturn

from cronix.awsclients import error_code, error_text, is_aws_error
from cronix.backends.aws_schedules import GROUP_TAGS, LiveSchedule
from cronix.errors import BackendError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["PAGE_SIZE", "ScheduleConflict", "SchedulerApi"]

#: ``ListSchedules`` returns at most 100 schedules a page (the API's maximum ``MaxResults``).
PAGE_SIZE = 100
_NOT_FOUND = "ResourceNotFoundException"
_CONFLICT = "ConflictException"


class ScheduleConflict(BackendError):
    """``CreateSchedule`` found a schedule of that name already there."""


class SchedulerApi:
    def __init__(self, client: Any, group: str, concurrency: int) -> None:
        self.client = client
        self.group = group
        self.concurrency = concurrency

    def list_names(self, prefix: str, *, missing_group: str) -> list[str]:
        """Every schedule name in the group starting with ``prefix`` (paginated ``ListSchedules``)."""
        names: list[str] = []
        pages = self.client.get_paginator("list_schedules").paginate(
            GroupName=self.group, NamePrefix=prefix, PaginationConfig={"PageSize": PAGE_SIZE}
        )
        try:
            for page in pages:
                names += [str(s["Name"]) for s in page.get("Schedules", ())]
        except Exception as exc:
            if error_code(exc) == _NOT_FOUND:
                raise BackendError(f"aws-scheduler: {missing_group}") from None
            self._fail(exc, f"list schedules in {self.group}")
        return names

    def get(self, name: str) -> LiveSchedule | None:
        """The schedule as it is now, or ``None`` when there is none of that name."""
        try:
            return LiveSchedule.from_api(self.client.get_schedule(Name=name, GroupName=self.group))
        except Exception as exc:
            if error_code(exc) == _NOT_FOUND:
                return None
            self._fail(exc, f"get schedule {name}")

    def get_many(self, names: Sequence[str]) -> list[LiveSchedule | None]:
        """:meth:`get` for each name, ``concurrency`` calls in flight (the list lacks what drift needs)."""
        if len(names) <= 1:
            return [self.get(n) for n in names]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(names))) as pool:
            return list(pool.map(self.get, names))

    def create(self, request: Mapping[str, Any]) -> str:
        """Create a schedule; its ARN. :class:`ScheduleConflict` when the name is taken."""
        try:
            return str(self.client.create_schedule(**request).get("ScheduleArn", ""))
        except Exception as exc:
            if error_code(exc) == _CONFLICT:
                raise ScheduleConflict(f"aws-scheduler: schedule {request['Name']} already exists") from None
            self._fail(exc, f"create schedule {request['Name']}")

    def update(self, request: Mapping[str, Any]) -> str:
        """Replace every field of a schedule in place (``UpdateSchedule`` resets what it omits)."""
        try:
            return str(self.client.update_schedule(**request).get("ScheduleArn", ""))
        except Exception as exc:
            self._fail(exc, f"update schedule {request['Name']}")

    def delete(self, name: str) -> None:
        """Delete a schedule; one that is already gone is fine."""
        try:
            self.client.delete_schedule(Name=name, GroupName=self.group)
        except Exception as exc:
            if error_code(exc) != _NOT_FOUND:
                self._fail(exc, f"delete schedule {name}")

    def group_exists(self) -> bool:
        try:
            self.client.get_schedule_group(Name=self.group)
        except Exception as exc:
            if error_code(exc) == _NOT_FOUND:
                return False
            self._fail(exc, f"get schedule group {self.group}")
        return True

    def create_group(self) -> None:
        """Create the group, tagged ``managed-by=cronix``; another creator winning the race is fine.

        Called only after :meth:`group_exists` said no: creating a group that exists is never
        attempted (moto even empties it).
        """
        try:
            self.client.create_schedule_group(Name=self.group, Tags=list(GROUP_TAGS))
        except Exception as exc:
            if error_code(exc) != _CONFLICT:
                self._fail(exc, f"create schedule group {self.group}")

    @staticmethod
    def _fail(exc: Exception, what: str) -> NoReturn:
        if not is_aws_error(exc):
            raise exc
        raise BackendError(f"aws-scheduler: {what}: {error_text(exc)}") from None
