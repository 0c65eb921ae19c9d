"""Out-of-tree backend plugins: executables that serve the Backend protocol over gRPC.

Host side — what the backend registry calls on a name that is not built in::

    from cronix.plugins import open_plugin_backend
    backend = open_plugin_backend("echo", config, {"state_path": "/tmp/echo.json"})
    try:
        entries = backend.list_entries()
    finally:
        backend.close()

Plugin side — the SDK a plugin author calls at the end of the executable::

    from cronix.plugins import serve
    serve(MyBackend)

The protocol (handshake, RPCs, errors, lifecycle, trust) is in ``docs/plugins.md`` and
``spec/plugin/backend.proto``. ``grpc`` is imported only when a plugin is launched or
served, never by importing this package (the ``plugins`` extra installs it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cronix.plugins.contract import RESERVED_BACKEND_NAMES
    from cronix.plugins.errors import RpcFailure
    from cronix.plugins.host import open_plugin_backend
    from cronix.plugins.sdk import serve

__all__ = ["RESERVED_BACKEND_NAMES", "RpcFailure", "open_plugin_backend", "serve"]

_EXPORTS = {
    "RESERVED_BACKEND_NAMES": "cronix.plugins.contract",
    "RpcFailure": "cronix.plugins.errors",
    "open_plugin_backend": "cronix.plugins.host",
    "serve": "cronix.plugins.sdk",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cronix.plugins' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)
