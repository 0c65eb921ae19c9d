"""Which seeder the backend conformance suite uses for a backend.

The Backend protocol can only create owned entries, so the "foreign entries are never
touched" and "adopt" vectors need a backend-specific way to write native entries. An
in-tree backend names its seeder in its :class:`~cronix.backends.registry.BackendType`;
the reference plugins shipped with cronix name theirs in
:mod:`cronix.plugins.reference`. A backend without one has those vectors reported as
skipped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from cronix.backends.registry import backend_type

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cronix.backends.base import Backend
    from cronix.conformance.backend_suite import Seeder

__all__ = ["seeder_for"]


def seeder_for(name: str, settings: Mapping[str, str], backend: Backend | None = None) -> Seeder | None:
    """A seeder for the backend under test: its in-tree type's, else a reference plugin's."""
    kind = backend_type(backend.name if backend is not None else name)
    if kind is not None:
        if backend is None:  # pragma: no cover - in-tree backends are always opened first
            return None
        return cast("Seeder | None", kind.seeder_for(backend))
    from cronix.plugins.reference import reference_seeder

    return cast("Seeder | None", reference_seeder(name, settings))
