"""A registered job: the validated, normalized job, its handler and its overrides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from cronix.protocol.manifest import Job
    from cronix.sdk.context import JobContext

__all__ = ["RegisteredJob"]


@dataclass(slots=True)
class RegisteredJob:
    """A validated, normalized job, its handler (if bound yet) and its ``skip_verify`` override."""

    job: Job
    handler: Callable[[JobContext], Any] | None = None
    skip_verify: bool | None = None
    #: The job's URL follows ``Cron.base_url`` unless it was given explicitly.
    url_override: bool = False

    @property
    def name(self) -> str:
        return self.job.name
