"""The reference plugins shipped with cronix, and how the conformance suite seeds them.

``cronix-backend-echo`` (:mod:`cronix.plugins.echo`) is the template for plugin authors
and what the host's own tests run against; ``cronix-backend-managed``
(:mod:`cronix.plugins.managed`) puts jobs on a managed scheduler (``managed-jwt``). A
reference plugin keeps its foreign-entry seeder next to it; this table is how
``cronix conformance plugin`` finds it by name.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from cronix.plugins.errors import PluginConfigInvalid

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["REFERENCE_SEEDERS", "reference_seeder"]

#: Plugin name → ``"module:Class"`` whose ``from_settings(settings)`` builds its seeder.
REFERENCE_SEEDERS: dict[str, str] = {
    "echo": "cronix.plugins.echo:EchoSeeder",
    "managed": "cronix.plugins.managed:ManagedSeeder",
}


def reference_seeder(name: str, settings: Mapping[str, str]) -> object | None:
    """The seeder of reference plugin ``name`` configured with ``settings``, or ``None``.

    A seeder refusing its settings (``ValueError``) is :class:`PluginConfigInvalid` (exit 2).
    """
    ref = REFERENCE_SEEDERS.get(name)
    if ref is None:
        return None
    module, _, attr = ref.partition(":")
    try:
        seeder: object = getattr(import_module(module), attr).from_settings(settings)
    except ValueError as exc:  # a missing or bad setting: the operator's to fix (exit 2)
        raise PluginConfigInvalid(f"plugin {name}: {exc} (set it with --backend-config KEY=VALUE)") from None
    return seeder
