"""How the jobs of one apply are fired: the settings every ``FireSpec`` is built from.

Shared by the planner (does each entry still carry the spec apply would give it?) and the
applier (the spec each create/update receives).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cronix.backends.base import LOCAL_SHIM, FireSpec

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cronix.protocol.manifest import Job

__all__ = ["FireSettings"]


@dataclass(frozen=True, slots=True)
class FireSettings:
    """How the jobs of one apply are fired: the operator's secret refs and fire strategy.

    ``job_strategies`` overrides ``strategy`` per job name. :meth:`spec` builds the
    :class:`~cronix.backends.base.FireSpec` each create/update/adopt receives.
    """

    secret_refs: tuple[str, ...] | None = None
    strategy: str = LOCAL_SHIM
    job_strategies: Mapping[str, str] = field(default_factory=dict)

    def spec(self, app: str, job: Job) -> FireSpec:
        strategy = self.job_strategies.get(job.name, self.strategy)
        return FireSpec.build(app, job, self.secret_refs, strategy)
