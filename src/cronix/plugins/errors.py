"""Plugin failures: gRPC status → error category → exit code, in one table.

A plugin reports problems with the user's input as diagnostics inside an OK response; a
gRPC status other than OK means the call failed. The host turns every failure into one
of the classes below, whose base class in :mod:`cronix.errors` fixes the exit code::

    PluginFailure (PluginError)          3  the RPC failed, the plugin crashed, hung, broke
                                            the protocol or returned a malformed entry
    UnsupportedOperation (BackendError)  3  UNIMPLEMENTED for adopt/history
    PluginNotFound (UsageError)          2  no executable cronix-backend-<name>
    PluginConfigInvalid (ConfigError)    2  Configure answered with ERROR diagnostics
    PluginUntrusted (PluginIntegrityError) 4  unpinned (strict), pin mismatch, unsafe file

Every message is one line naming the plugin and its version and ending with the tail of
the plugin's stderr, so the operator sees why without digging through logs.

Plugin authors raise :class:`RpcFailure` to fail an RPC with a chosen status code and
reason (:func:`cronix.plugins.serve` turns it into the gRPC status).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from cronix.errors import ConfigError, PluginError, PluginIntegrityError, UsageError

__all__ = [
    "GRPC_CATEGORIES",
    "Category",
    "PluginConfigInvalid",
    "PluginFailure",
    "PluginIdentity",
    "PluginNotFound",
    "PluginUntrusted",
    "RpcFailure",
    "category_of",
]

Category = Literal[
    "invalid_request",
    "precondition",
    "ownership",
    "not_found",
    "conflict",
    "throttled",
    "unreachable",
    "timeout",
    "auth",
    "unsupported",
    "cancelled",
    "plugin_internal",
    "crashed",
    "start",
    "protocol",
    "malformed",
]

#: gRPC status code name → category. Every plugin RPC failure exits 3 whatever its
#: category; the category is what ``-o json`` and the message report.
GRPC_CATEGORIES: Final[dict[str, Category]] = {
    "INVALID_ARGUMENT": "invalid_request",
    "OUT_OF_RANGE": "invalid_request",
    "FAILED_PRECONDITION": "precondition",
    "NOT_FOUND": "not_found",
    "ALREADY_EXISTS": "conflict",
    "ABORTED": "conflict",
    "RESOURCE_EXHAUSTED": "throttled",
    "UNAVAILABLE": "unreachable",
    "DEADLINE_EXCEEDED": "timeout",
    "UNAUTHENTICATED": "auth",
    "PERMISSION_DENIED": "auth",
    "UNIMPLEMENTED": "unsupported",
    "CANCELLED": "cancelled",
    "UNKNOWN": "plugin_internal",
    "INTERNAL": "plugin_internal",
    "DATA_LOSS": "plugin_internal",
}


def category_of(code: str, reason: str = "") -> Category:
    """The category of a failed call (``NOT_OWNED`` refines a precondition to ownership)."""
    if reason == "NOT_OWNED":
        return "ownership"
    return GRPC_CATEGORIES.get(code, "plugin_internal")


@dataclass(frozen=True, slots=True)
class PluginIdentity:
    """Who a message is about: ``plugin echo 1.2.0`` (or ``plugin echo (version unknown)``)."""

    name: str
    path: str
    version: str = ""

    def __str__(self) -> str:
        return (
            f"plugin {self.name} {self.version}" if self.version else f"plugin {self.name} (version unknown)"
        )


class PluginFailure(PluginError):
    """A plugin call or the plugin process failed (exit 3)."""

    def __init__(
        self,
        plugin: PluginIdentity,
        what: str,
        *,
        category: Category,
        stderr_tail: str = "",
        code: str = "",
        reason: str = "",
    ) -> None:
        tail = stderr_tail or "(empty)"
        super().__init__(f"{plugin}: {what} [stderr: {tail}]")
        self.plugin = plugin
        self.category: Category = category
        self.code = code
        self.reason = reason
        self.stderr_tail = stderr_tail


class PluginNotFound(UsageError):
    """No usable ``cronix-backend-<name>`` was found (exit 2)."""


class PluginConfigInvalid(ConfigError):
    """The plugin rejected its settings at Configure (exit 2)."""

    @classmethod
    def rejected(cls, plugin: PluginIdentity, errors: list[str]) -> PluginConfigInvalid:
        """The one message for settings a plugin refused, saying where settings come from."""
        return cls(
            f"{plugin} rejected its settings: {'; '.join(errors)} (set them with --backend-config "
            f"KEY=VALUE or plugins.config.{plugin.name} in cronix.yaml)"
        )


class PluginUntrusted(PluginIntegrityError):
    """Unpinned in strict mode, pin mismatch, or an unsafe file (exit 4); nothing was executed."""


class RpcFailure(Exception):
    """Raised by a plugin's backend to fail the current RPC with a gRPC status.

    ``code`` is a gRPC status code name (``"FAILED_PRECONDITION"``, ``"UNAVAILABLE"`` …);
    ``reason`` a stable upper-case word sent as the ``cronix-reason`` trailing metadata.
    """

    def __init__(self, code: str, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
