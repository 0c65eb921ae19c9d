"""The fixed names and numbers of the plugin protocol, shared by host and plugin side.

Everything here is part of the language-neutral contract (``docs/plugins.md``): a plugin
in any language reads the same environment variables and prints the same handshake. The
module imports nothing heavy, so discovery and ``cronix plugins list`` stay cheap.
"""

from __future__ import annotations

import re
from typing import Final

from cronix.backends.base import HostContext
from cronix.backends.registry import RESERVED_BACKEND_NAMES

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "ENV_IDLE_TIMEOUT",
    "ENV_LOG_LEVEL",
    "ENV_MAGIC_COOKIE",
    "ENV_NAME",
    "ENV_PARENT_PID",
    "ENV_PROTOCOL_VERSIONS",
    "ENV_SOCKET_DIR",
    "EXECUTABLE_PREFIX",
    "HANDSHAKE_TOKEN",
    "MAGIC_COOKIE",
    "NAME_PATTERN",
    "PROTOCOL_MINOR",
    "PROTOCOL_VERSION",
    "RESERVED_BACKEND_NAMES",
    "SERVICE_NAME",
    "SHUTDOWN_GRACE",
    "SOCKET_NAME",
    "HostContext",
    "plugin_env_prefix",
]

# A plugin never takes a name in RESERVED_BACKEND_NAMES (the registry's in-tree and
# reserved names); one that does is never used.

#: Executables are named ``cronix-backend-<name>``.
EXECUTABLE_PREFIX: Final = "cronix-backend-"
#: What ``<name>`` may be (same shape as an app id, shorter).
NAME_PATTERN: Final = re.compile(r"[a-z][a-z0-9-]{0,39}")

#: First token of the handshake line: the launch/handshake ("core") version. It changes
#: only if the launch mechanics change, never for RPC changes.
HANDSHAKE_TOKEN: Final = "CRONIX-PLUGIN-V1"
#: The plugin-protocol major (the ``v1`` of ``cronix.plugin.v1``) and the minor this
#: cronix was written against (informational; features are detected by capability).
PROTOCOL_VERSION: Final = 1
PROTOCOL_MINOR: Final = 2  # 1.1: ValidateMany, VerifyOwnershipMany; 1.2: FireSpec, traits, strategies
#: Fully qualified gRPC service name; also the grpc.health.v1 service name checked.
SERVICE_NAME: Final = "cronix.plugin.v1.Backend"
#: The socket file inside the host-made directory (short: ``sun_path`` holds 107 bytes).
SOCKET_NAME: Final = "plugin.sock"

#: A UX guard, not security: a plugin started by hand (without it) explains itself and exits.
MAGIC_COOKIE: Final = "d3b5c6f0e1a2cronix-backend-plugin-v1"

ENV_MAGIC_COOKIE: Final = "CRONIX_PLUGIN_MAGIC_COOKIE"
ENV_PROTOCOL_VERSIONS: Final = "CRONIX_PLUGIN_PROTOCOL_VERSIONS"
ENV_SOCKET_DIR: Final = "CRONIX_PLUGIN_SOCKET_DIR"
ENV_NAME: Final = "CRONIX_PLUGIN_NAME"
ENV_PARENT_PID: Final = "CRONIX_PLUGIN_PARENT_PID"
ENV_IDLE_TIMEOUT: Final = "CRONIX_PLUGIN_IDLE_TIMEOUT"
ENV_LOG_LEVEL: Final = "CRONIX_PLUGIN_LOG_LEVEL"

#: Seconds without an RPC after which a plugin exits by itself (orphan defence).
DEFAULT_IDLE_TIMEOUT: Final = 600
#: Seconds a plugin gets to exit after Shutdown before the host signals its process group.
SHUTDOWN_GRACE: Final = 5.0


def plugin_env_prefix(name: str) -> str:
    """``CRONIX_PLUGIN_<NAME>_``: operator variables passed through to plugin ``name`` only."""
    return f"CRONIX_PLUGIN_{name.upper().replace('-', '_')}_"
