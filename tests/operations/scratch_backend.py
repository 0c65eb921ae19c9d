"""A throwaway backend type, defined the way docs/backends.md says a new backend is added.

One options dataclass with documented fields and one :func:`register` call: everything
else — flags, the cronix.yaml section, docs/config.md, ``cronix init``, the conformance
suite, every command — must come from the registry. The behaviour itself reuses cronix's
in-tree memory backend (a real, complete Backend), so the test is about the seam.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from cronix.backends.base import Diagnostic, HostContext
from cronix.backends.memory import MemoryEntry, MemoryOptions, TransactionalMemoryBackend
from cronix.backends.registry import BACKEND_TYPES, BackendType, register
from cronix.config import documented

if TYPE_CHECKING:
    from cronix.protocol.manifest import Job

NAME = "scratch"


@dataclass(frozen=True, slots=True)
class ScratchOptions:
    """Options of the scratch backend."""

    label: str = field(default="default", metadata=documented("A label shown by list."))
    max_schedules: int = field(default=4, metadata=documented("Schedules a job may have here."))
    mode: Literal["fast", "careful"] = field(default="fast", metadata=documented("How carefully to write."))
    strict_zones: bool = field(default=False, metadata=documented("Only UTC jobs."))


#: The "scheduler" behind every scratch backend of this process, by label: like a real
#: scheduler, what one command writes the next one reads.
STORES: dict[str, list[MemoryEntry]] = {}


class ScratchBackend(TransactionalMemoryBackend):
    name = NAME

    def __init__(self, options: ScratchOptions, host: HostContext) -> None:
        super().__init__(options=MemoryOptions(), host=host)
        self.scratch = options
        self.store = STORES.setdefault(options.label, [])

    def validate(self, app: str, job: Job) -> list[Diagnostic]:
        out = super().validate(app, job)
        if len(job.schedules) > self.scratch.max_schedules:
            out.append(Diagnostic("error", f"more than {self.scratch.max_schedules} schedules", "schedules"))
        if self.scratch.strict_zones and job.timezone != "UTC":
            out.append(Diagnostic("error", "only UTC", "timezone", "unsupported_timezone"))
        return out


def open_backend(options: ScratchOptions, host: HostContext) -> ScratchBackend:
    return ScratchBackend(options, host)


def register_scratch() -> BackendType:
    """Register the type (idempotent); the one line a new backend adds to the registry."""
    return BACKEND_TYPES.get(NAME) or register(
        BackendType(
            name=NAME,
            summary="A throwaway backend type for the seam tests.",
            opener=f"{__name__}:open_backend",
            options=f"{__name__}:ScratchOptions",
            capabilities=frozenset({"adopt", "drift-detection", "every", "history", "timezones"}),
            seeder="cronix.backends.memory:MemorySeeder",
        )
    )


def unregister_scratch() -> None:
    BACKEND_TYPES.pop(NAME, None)
    STORES.clear()
