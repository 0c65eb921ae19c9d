"""Seeders: how the backend suite plants entries cronix does not own, per backend.

The Backend protocol can only create owned entries, so the "foreign entries are never
touched" and "adopt" vectors need a backend-specific way to write native entries. Each
backend that wants those vectors run registers a factory here (name → settings →
:class:`~cronix.conformance.backend_suite.Seeder`); a backend without one has those
vectors reported as skipped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from cronix.conformance.backend_suite import Seeder

__all__ = ["SEEDERS", "seeder_for"]


def _echo(settings: Mapping[str, str]) -> Seeder:
    from cronix.plugins.echo import EchoSeeder

    return EchoSeeder.from_settings(settings)


#: Backend name → seeder factory taking the backend's settings.
SEEDERS: dict[str, Callable[[Mapping[str, str]], Seeder]] = {
    "echo": _echo,
}


def seeder_for(name: str, settings: Mapping[str, str]) -> Seeder | None:
    factory = SEEDERS.get(name)
    return factory(settings) if factory is not None else None
