"""Built-in backends by name, imported only when one is opened.

``BUILTIN_BACKENDS`` maps a backend type to ``module:function``; the function takes the
backend's instance name, its options mapping (``backends.<name>`` in cronix.yaml with
command-line overrides applied) and the top-level ``trigger_bin``, validates the options
strictly and returns a :class:`~cronix.backends.base.Backend`. Names that are not built
in are out-of-tree plugins, resolved a layer above (``cronix.cli.backend_select``)
because backends may not import ``cronix.plugins``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from cronix.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cronix.backends.base import Backend

__all__ = ["BUILTIN_BACKENDS", "RESERVED_BACKEND_NAMES", "is_builtin", "open_builtin", "options_class"]

# type -> (factory "module:function", options dataclass "module:Class").
# One line per backend; later issues add systemd-timer, kubernetes, aws-scheduler, vercel.
BUILTIN_BACKENDS: dict[str, tuple[str, str]] = {
    "crontab": ("cronix.backends.crontab:open_backend", "cronix.backends.crontab_options:CrontabOptions"),
}

#: Names a plugin may never take: today's built-ins and the ones the design reserves.
RESERVED_BACKEND_NAMES: frozenset[str] = frozenset(
    {*BUILTIN_BACKENDS, "crontab", "systemd-timer", "kubernetes", "aws-scheduler", "vercel"}
)


def is_builtin(kind: str) -> bool:
    return kind in BUILTIN_BACKENDS


def _load(ref: str) -> Any:
    module, _, attr = ref.partition(":")
    return getattr(import_module(module), attr)


def options_class(kind: str) -> type:
    """The options dataclass of a built-in backend (for validation and generated docs)."""
    cls: type = _load(BUILTIN_BACKENDS[kind][1])
    return cls


def open_builtin(kind: str, name: str, options: Mapping[str, Any], *, trigger_bin: str) -> Backend:
    """Open the built-in backend ``kind`` configured as ``backends.<name>``."""
    if kind not in BUILTIN_BACKENDS:
        raise UsageError(f'unknown backend "{kind}" (built in: {", ".join(sorted(BUILTIN_BACKENDS))})')
    backend: Backend = _load(BUILTIN_BACKENDS[kind][0])(name, options, trigger_bin=trigger_bin)
    return backend
