"""Open a backend by name for a command: built-in types, configured instances, then plugins.

A name is looked up in ``backends:`` of cronix.yaml first (an entry may set ``type:`` to
define a second instance of a type); otherwise the name is the type. Command-line flags
of that type (``--crontab-path`` …) override the configured options. This lives in the
CLI layer because the plugin fallback needs ``cronix.plugins``, which ``cronix.backends``
may not import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cronix.backends.base import HostContext
from cronix.backends.registry import RESERVED_BACKEND_NAMES, selectable_types
from cronix.backends.registry import backend_type as registered_type
from cronix.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from cronix.backends.base import Backend
    from cronix.config import Config

__all__ = ["backend_type", "open_backend", "parse_backend_config"]


def backend_type(name: str, config: Config) -> str:
    return config.backend_options(name)[0]


def parse_backend_config(pairs: Iterable[str]) -> dict[str, str]:
    """``--backend-config KEY=VALUE`` flags → a dict (a bad pair is a usage error, exit 2)."""
    settings: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--backend-config expects KEY=VALUE, got {pair!r}")
        settings[key.strip()] = value
    return settings


def open_backend(
    name: str | None,
    overrides: Mapping[str, Mapping[str, Any]],
    config: Config,
    *,
    trigger_bin: str | None = None,
    settings: Mapping[str, str] | None = None,
) -> Backend:
    """The backend called ``name`` (default: the config's ``backend``); ``close()`` it.

    ``overrides`` maps a backend type to option values from typed flags; ``None`` values
    are "not given" and leave the configured value in place. ``settings`` are the
    ``--backend-config KEY=VALUE`` flags, which win over everything else. A name that is
    not built in is an out-of-tree plugin (``cronix-backend-<name>``): its settings are
    ``plugins.config.<name>``, then ``backends.<name>``, then the flags.
    """
    name = name or config.backend
    kind, options = config.backend_options(name)
    merged = dict(options)
    merged.update({k: v for k, v in overrides.get(kind, {}).items() if v is not None})
    host = HostContext(trigger_bin=trigger_bin or config.trigger_bin, spec_dir=config.spec_dir)
    found = registered_type(kind)
    if found is not None:
        merged.update({k: _scalar(v) for k, v in (settings or {}).items()})
        return found.open(merged, host, instance=name)
    if kind in RESERVED_BACKEND_NAMES:
        raise UsageError(
            f'backend "{kind}" is not available in this version of cronix (built in: {_builtins()})'
        )
    from cronix.plugins import open_plugin_backend

    merged.update(settings or {})  # plugin settings are strings, passed through as given
    return open_plugin_backend(kind, config, {k: str(v) for k, v in merged.items()}, host=host)


def _scalar(text: str) -> Any:
    """A ``--backend-config`` value for a typed built-in option: ``true``, ``5`` or a string."""
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, (bool, int, float, str)) else text


def _builtins() -> str:
    return ", ".join(t.name for t in selectable_types())
