"""Open a backend by name for a command: built-in types, configured instances, then plugins.

A name is looked up in ``backends:`` of cronix.yaml first (an entry may set ``type:`` to
define a second instance of a type); otherwise the name is the type. Command-line flags
of that type (``--crontab-path`` …) override the configured options. This lives in the
CLI layer because the plugin fallback needs ``cronix.plugins``, which ``cronix.backends``
may not import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cronix.backends.registry import BUILTIN_BACKENDS, is_builtin, open_builtin
from cronix.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cronix.backends.base import Backend
    from cronix.config import Config

__all__ = ["backend_type", "open_backend"]


def backend_type(name: str, config: Config) -> str:
    return config.backend_options(name)[0]


def open_backend(
    name: str | None,
    overrides: Mapping[str, Mapping[str, Any]],
    config: Config,
    *,
    trigger_bin: str | None = None,
) -> Backend:
    """The backend called ``name`` (default: the config's ``backend``).

    ``overrides`` maps a backend type to option values from flags; ``None`` values are
    "not given" and leave the configured value in place.
    """
    name = name or config.backend
    kind, options = config.backend_options(name)
    merged = dict(options)
    merged.update({k: v for k, v in overrides.get(kind, {}).items() if v is not None})
    if is_builtin(kind):
        return open_builtin(kind, name, merged, trigger_bin=trigger_bin or config.trigger_bin)
    # -- plugins: the lead calls cronix.plugins.open_plugin_backend(name, kind, merged, config) here
    #    once the plugin branch is merged; until then an unknown name is a usage error.
    raise UsageError(f'unknown backend "{name}" (built in: {", ".join(sorted(BUILTIN_BACKENDS))})')
