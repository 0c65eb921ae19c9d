"""``conformance backend``: the backend vectors against a backend opened as every command opens it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from cronix.conformance.backend_suite import Check
    from cronix.operations.workspace import Workspace

__all__ = ["backend_conformance"]


def backend_conformance(ws: Workspace, vectors_path: Path) -> Iterator[Check]:
    """Play the vectors against the workspace's backend (in-tree or plugin); one check each."""
    from cronix.conformance.backend_suite import load_backend_vectors, run_backend_suite
    from cronix.conformance.seeders import seeder_for
    from cronix.plugins.host import plugin_settings

    vectors = load_backend_vectors(vectors_path)
    name = ws.backend_name
    with ws.open_backend() as backend:
        settings = {**plugin_settings(name, ws.config.plugins), **ws.backend_settings(name)}
        seeder = seeder_for(name, {k: str(v) for k, v in settings.items()}, backend)
        yield from run_backend_suite(backend, vectors, seeder=seeder)
