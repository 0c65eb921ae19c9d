"""``adopt``: put existing entries that already run ``cronix trigger <app>.<job>`` under management.

The job comes from ``--manifest`` or from the ``manifest_sources`` entry of its app. The
adopted job's trigger spec file is written first (on backends that fire on this host),
since the adopted entries run ``cronix trigger`` and need it, and put back when nothing
was adopted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cronix.backends.base import LOCAL_SHIM, UnsupportedOperation
from cronix.errors import AdoptDiverged, AdoptNoCandidate, CronixError, UsageError
from cronix.operations.workspace import parse_target
from cronix.protocol.ownership import ownership_hashes
from cronix.reconcile import FireSettings, SpecWrite, hold_apply_lock
from cronix.reconcile.firecheck import check_fire_settings
from cronix.reconcile.strategies import choose_strategies

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
            request = ws.fire_selection(app).for_backend(backend)
            choice = choose_strategies(request, [name])  # adopted jobs fire as apply would fire them
            strategy = choice.for_job(name)
            for warning in check_fire_settings(
                [(app, loaded.secret_refs, strategy == LOCAL_SHIM)], backend, writes_specs=not dry_run
            ):
                ws.notify(warning)
            fire = FireSettings(loaded.secret_refs, strategy).spec(app, job)
            # The spec file goes first: the adopted entries read it from their first fire on.
            writer = SpecWrite(ws.spec_dir) if backend.fires_on_host and not dry_run else None
            if writer is not None:
                writer.write(app, [job], loaded.secret_refs)
            try:
                result = backend.adopt(app, job, ownership_hashes(job), fire, dry_run=dry_run)
            except BaseException:
                if writer is not None:
                    writer.rollback()
                raise
            if writer is not None and not result.adopted:
                writer.rollback()
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
