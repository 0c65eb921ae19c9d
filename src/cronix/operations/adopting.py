"""``adopt``: put existing entries that already run ``cronix trigger <app>.<job>`` under management.

The job comes from ``--manifest`` or from the ``manifest_sources`` entry of its app. On
success the adopted job's trigger spec file is written too (on backends that fire on this
host), since the adopted entries run ``cronix trigger`` and need it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cronix.backends.base import UnsupportedOperation
from cronix.errors import AdoptDiverged, AdoptNoCandidate, CronixError, UsageError
from cronix.operations.workspace import parse_target
from cronix.protocol.ownership import ownership_hashes
from cronix.reconcile import FireSettings, hold_apply_lock, sync_spec_files

if TYPE_CHECKING:
    from cronix.backends.base import AdoptResult
    from cronix.operations.workspace import LoadedManifest, Workspace

__all__ = ["Adoption", "adopt"]


@dataclass(frozen=True, slots=True)
class Adoption:
    app: str
    job: str
    dry_run: bool
    result: AdoptResult

    def failure(self) -> CronixError | None:
        """The exit status as an error (6 diverged, 7 nothing to adopt), or ``None`` for success."""
        if self.result.diverged:
            return AdoptDiverged(
                f"adopt {self.app}.{self.job}: the existing entries diverge from the manifest"
            )
        if not self.result.found and not self.result.already_managed:
            return AdoptNoCandidate(
                f"adopt {self.app}.{self.job}: no entry runs cronix trigger {self.app}.{self.job}"
            )
        return None


def adopt(ws: Workspace, target: str, *, dry_run: bool = False) -> Adoption:
    app, name = parse_target(target)
    loaded = _manifest_of(ws, app)
    job = loaded.manifest.job(name)
    if job is None:
        raise UsageError(f'job "{name}" is not in the manifest of {app} ({loaded.source})')
    with ws.open_backend(read_only=dry_run) as backend:
        if "adopt" not in backend.capabilities:
            raise UnsupportedOperation(f"backend {backend.name} does not support adopt")
        with hold_apply_lock(None if dry_run else ws.lock(), local_state=backend.local_state):
            fire = FireSettings(loaded.secret_refs).spec(app, job)
            result = backend.adopt(app, job, ownership_hashes(job), fire, dry_run=dry_run)
            if result.adopted and backend.fires_on_host:
                sync_spec_files(ws.spec_dir, app, [job], [], loaded.secret_refs)
    return Adoption(app, name, dry_run, result)


def _manifest_of(ws: Workspace, app: str) -> LoadedManifest:
    """``--manifest`` (which must declare ``app``), else the configured source of ``app``."""
    if ws.overrides.manifest:
        loaded = ws.manifests()[0]
        if loaded.manifest.app != app:
            raise UsageError(f'manifest declares app "{loaded.manifest.app}", not "{app}"')
        return loaded
    if not any(src.app == app for src in ws.config.manifest_sources):
        raise UsageError(
            f"adopt needs the manifest of {app}: pass --manifest SOURCE, or list it in manifest_sources"
        )
    return ws.manifests(app=app)[0]
