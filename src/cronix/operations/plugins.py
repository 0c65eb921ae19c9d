"""``plugins list``, ``plugins pin`` and ``plugins check``: see, trust and try backend plugins.

``list`` runs a plugin to ask its version only when the trust policy would let it run
anyway (pinned and matching, or unpinned under ``trust: warn``); ``pin`` records through
the config module (:func:`cronix.config.record_plugin_pin`); ``check`` starts a plugin
exactly as apply would (same host context) and runs its prerequisite check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cronix.errors import CronixError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cronix.backends.base import Diagnostic
    from cronix.config import Config
    from cronix.operations.workspace import Workspace
    from cronix.plugins.discovery import Candidate

__all__ = ["PinResult", "PluginCheck", "check_plugin", "pin_plugin", "plugin_rows"]


def plugin_rows(ws: Workspace, *, run: bool) -> tuple[list[str], list[dict[str, Any]]]:
    """``(directories searched, one row per candidate in search order)``."""
    from cronix.plugins.discovery import scan, search_dirs

    dirs = search_dirs(ws.config.plugins.dirs)
    return dirs, [_describe(c, ws.config, run=run) for c in scan(dirs)]


@dataclass(frozen=True, slots=True)
class PinResult:
    digest: str
    resolved: str
    #: The config file the pin was recorded in (``None`` when not asked to write).
    written_to: str | None = None
    #: ``name version`` of the distribution whose RECORD the pin covers too, or "".
    distribution: str = ""
    #: An editable install: its RECORD lists only the import hook, not the source tree.
    editable: bool = False


def pin_plugin(config_path: str | None, name: str, *, write: bool) -> PinResult:
    """The pin of the plugin that would run; with ``write``, recorded in cronix.yaml.

    For an entry-point plugin the pin covers its distribution's RECORD too, and a
    distribution whose files no longer match their RECORD is refused (exit 4): pinning it
    would bless whatever changed them.
    """
    import os

    from cronix.config import Config, load_config, record_plugin_pin
    from cronix.config import config_path as resolve_config_path
    from cronix.plugins.discovery import find_plugin, search_dirs
    from cronix.plugins.errors import PluginUntrusted
    from cronix.plugins.trust import current_pin

    path = resolve_config_path(config_path)
    # --write may create the file; reading it first only makes sense when it exists.
    config = Config() if write and path is not None and not os.path.exists(path) else load_config(config_path)
    candidate = find_plugin(name, search_dirs(config.plugins.dirs))
    digest, dist = current_pin(candidate.resolved)
    problems = dist.problems() if dist is not None else []
    if dist is not None and problems:
        raise PluginUntrusted(
            f"not pinning plugin {name} at {candidate.resolved}: {'; '.join(problems)}: the files of "
            f"{dist} changed after installation; reinstall it"
        )
    written = record_plugin_pin(name, digest, config_path) if write else None
    return PinResult(
        digest,
        candidate.resolved,
        written,
        distribution="" if dist is None else str(dist),
        editable=dist is not None and dist.editable,
    )


@dataclass(frozen=True, slots=True)
class PluginCheck:
    name: str
    version: str
    path: str
    description: str
    capabilities: list[str]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    entries: int = 0

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


def check_plugin(ws: Workspace, name: str, settings: Mapping[str, str]) -> PluginCheck:
    """Start plugin ``name`` as apply would, run its prerequisite check, count its entries."""
    from cronix.plugins.host import open_plugin_backend

    backend = open_plugin_backend(name, ws.config, settings, host=ws.host)
    try:
        diagnostics = backend.check()
        errors = [d for d in diagnostics if d.severity == "error"]
        entries = [] if errors else backend.list_entries()
    finally:
        backend.close()
    return PluginCheck(
        name=backend.name,
        version=backend.version,
        path=backend.process.identity.path,
        description=str(backend),
        capabilities=sorted(backend.capabilities),
        diagnostics=diagnostics,
        entries=len(entries),
    )


def _describe(candidate: Candidate, config: Config, *, run: bool) -> dict[str, Any]:
    from cronix.plugins.trust import check_pin

    row: dict[str, Any] = {
        "name": candidate.name,
        "path": candidate.path,
        "resolved": candidate.resolved,
        "status": candidate.status,
        "detail": candidate.detail,
        "pin": "",
        "sha256": "",
        "distribution": "",
        "version": "",
        "description": "",
    }
    if candidate.status != "active":
        return row
    verdict = check_pin(candidate.name, candidate.resolved, config.plugins.pins)
    row.update(pin=verdict.status, sha256=verdict.actual, distribution=verdict.distribution)
    if verdict.status == "pinned" and verdict.distribution and verdict.covers == "executable":
        row["pin"] = "pinned (launcher only)"
    allowed = verdict.status == "pinned" or (verdict.status == "unpinned" and config.plugins.trust == "warn")
    if run and allowed:
        try:
            row.update(_metadata(candidate))
        except CronixError as exc:
            row["detail"] = f"could not ask its version: {exc}"
    return row


def _metadata(candidate: Candidate) -> dict[str, str]:
    from cronix.plugins.errors import PluginIdentity
    from cronix.plugins.host import start_plugin
    from cronix.plugins.process import Timeouts
    from cronix.plugins.proxy import PluginBackend

    timeouts = Timeouts.from_env()
    process, channel, meta = start_plugin(
        PluginIdentity(candidate.name, candidate.resolved), timeouts=timeouts
    )
    PluginBackend(process, channel, meta, timeouts).close()
    return {"version": meta.version, "description": meta.description}
