"""Opening a plugin backend: discover → verify → launch → handshake → connect → describe → configure.

:func:`open_plugin_backend` is what the backend registry calls when a name is not built
in. Each step fails with a one-line error and its own exit code, and nothing is executed
before the file passed the safety check and its SHA-256 pin::

    find_plugin       no such plugin (2) · unsafe file (4)
    enforce_pin       unpinned under strict trust, or pin mismatch (4)
    PluginProcess     cannot exec · exits, hangs or prints garbage before the handshake (3)
    connect           socket not ready · grpc.health not SERVING (3)
    GetMetadata       wrong name · protocol major this cronix does not speak (3)
    Configure         ERROR diagnostics (2) · the call fails (3)

On any failure after the launch the process group is ended before the error propagates.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from cronix._version import __version__
from cronix.backends.base import HostContext
from cronix.errors import MissingDependencyError
from cronix.plugins.contract import PROTOCOL_VERSION, SERVICE_NAME
from cronix.plugins.discovery import find_plugin, search_dirs
from cronix.plugins.errors import PluginConfigInvalid, PluginFailure, PluginIdentity
from cronix.plugins.process import PluginProcess, Timeouts
from cronix.plugins.trust import enforce_pin

if TYPE_CHECKING:
    from collections.abc import Mapping

    import grpc

    from cronix.config import Config, PluginsConfig
    from cronix.plugins.proxy import PluginBackend
    from cronix.plugins.v1 import backend_pb2 as pb

__all__ = [
    "get_metadata",
    "health_status",
    "launch_backend",
    "open_channel",
    "open_plugin_backend",
    "plugin_settings",
    "require_grpc",
    "resolve_plugin",
    "start_plugin",
]

_log = logging.getLogger("cronix.plugins")
_MAX_MESSAGE = 64 * 1024 * 1024


def open_plugin_backend(
    name: str,
    config: Config,
    overrides: Mapping[str, str] | None = None,
    *,
    host: HostContext | None = None,
) -> PluginBackend:
    """A configured :class:`~cronix.plugins.proxy.PluginBackend` for plugin ``name``; ``close()`` it.

    ``overrides`` are the ``--backend-config key=value`` flags; they win over
    ``plugins.config.<name>`` from cronix.yaml. ``host`` is the same context in-tree
    backends get (default: from ``config``).
    """
    identity = resolve_plugin(name, config.plugins)
    host = host or HostContext(trigger_bin=config.trigger_bin, spec_dir=config.spec_dir)
    return launch_backend(identity, plugin_settings(name, config.plugins, overrides), host=host)


def resolve_plugin(name: str, section: PluginsConfig) -> PluginIdentity:
    """Find ``name`` and check its safety and pin; nothing is executed."""
    candidate = find_plugin(name, search_dirs(section.dirs))
    enforce_pin(name, candidate.resolved, section.pins, section.trust)
    return PluginIdentity(name=name, path=candidate.resolved)


def plugin_settings(
    name: str, section: PluginsConfig, overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``plugins.config.<name>`` merged under the ``--backend-config`` flags (flags win)."""
    return {**section.config.get(name, {}), **(overrides or {})}


def launch_backend(
    identity: PluginIdentity,
    settings: Mapping[str, str],
    *,
    host: HostContext | None = None,
    timeouts: Timeouts | None = None,
) -> PluginBackend:
    """Launch an already verified plugin and Configure it exactly once."""
    from cronix.plugins.proxy import PluginBackend

    limits = timeouts or Timeouts.from_env()
    process, channel, metadata = start_plugin(identity, timeouts=limits)
    backend = PluginBackend(process, channel, metadata, limits)
    try:
        diagnostics = backend.configure(settings, host)
        for d in diagnostics:
            if d.severity == "warning":
                _log.warning("%s: configuration: %s", process.identity, d.render())
        errors = [d.render() for d in diagnostics if d.severity == "error"]
        if errors:
            raise PluginConfigInvalid.rejected(process.identity, errors)
    except BaseException:
        backend.close()
        raise
    return backend


def start_plugin(
    identity: PluginIdentity, *, timeouts: Timeouts
) -> tuple[PluginProcess, grpc.Channel, pb.GetMetadataResponse]:
    """Launch, handshake, connect, and validate metadata (name, protocol major); not configured."""
    require_grpc()
    process = PluginProcess(identity)
    channel: grpc.Channel | None = None
    try:
        handshake = process.wait_handshake(timeouts.start)
        if handshake.protocol is not None and handshake.protocol != PROTOCOL_VERSION:
            raise _wrong_protocol(process, handshake.protocol)
        channel = open_channel(process, handshake.socket_path, timeouts.connect)
        status = health_status(process, channel, SERVICE_NAME, timeouts.connect)
        if status != "SERVING":
            raise process.failure(
                f"grpc.health reports {SERVICE_NAME} {status}, not SERVING", category="protocol"
            )
        metadata = get_metadata(process, channel, timeouts.connect)
        _check_metadata(process, metadata)
        process.identity = replace(identity, version=metadata.version)
    except BaseException:
        if channel is not None:
            channel.close()
        process.kill()
        raise
    return process, channel, metadata


def open_channel(process: PluginProcess, socket_path: str, timeout: float) -> grpc.Channel:
    """A channel to the plugin's socket, ready within ``timeout`` (else :class:`PluginFailure`)."""
    import grpc

    channel = grpc.insecure_channel(
        f"unix:{socket_path}",
        options=[
            ("grpc.enable_http_proxy", 0),
            ("grpc.max_receive_message_length", _MAX_MESSAGE),
            ("grpc.max_send_message_length", _MAX_MESSAGE),
        ],
    )
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        channel.close()
        raise process.failure(
            f"socket {socket_path} not ready within {timeout:g} s", category="start"
        ) from None
    return channel


def health_status(process: PluginProcess, channel: grpc.Channel, service: str, timeout: float) -> str:
    """The grpc.health.v1 status name of ``service`` (``SERVING``, ``NOT_FOUND`` …)."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    try:
        reply = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=timeout
        )
    except grpc.RpcError as exc:
        return _code_name(exc)
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


def get_metadata(process: PluginProcess, channel: grpc.Channel, timeout: float) -> pb.GetMetadataResponse:
    import grpc

    from cronix.plugins.v1 import backend_pb2 as pb
    from cronix.plugins.v1 import backend_pb2_grpc

    request = pb.GetMetadataRequest(host_version=__version__, protocol_versions=[PROTOCOL_VERSION])
    try:
        reply: pb.GetMetadataResponse = backend_pb2_grpc.BackendStub(channel).GetMetadata(
            request, timeout=timeout
        )
    except grpc.RpcError as exc:
        raise process.failure(f"GetMetadata failed: {_code_name(exc)}", category="protocol") from None
    return reply


def _code_name(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    return str(code().name) if callable(code) else type(exc).__name__


def require_grpc() -> None:
    try:
        import grpc  # noqa: F401
        import grpc_health.v1.health_pb2  # noqa: F401
    except ImportError:
        raise MissingDependencyError("backend plugins", "plugins") from None


def _check_metadata(process: PluginProcess, metadata: pb.GetMetadataResponse) -> None:
    name = process.identity.name
    if metadata.protocol_version != PROTOCOL_VERSION:
        process.identity = replace(process.identity, version=metadata.version)
        raise _wrong_protocol(process, metadata.protocol_version)
    if metadata.name != name:
        raise process.failure(
            f"GetMetadata says its name is {metadata.name!r}, but it was started as {name!r}",
            category="protocol",
        )
    if not metadata.version:
        raise process.failure("GetMetadata has no version", category="protocol")


def _wrong_protocol(process: PluginProcess, major: int) -> PluginFailure:
    return process.failure(
        f"speaks plugin protocol {major}; this cronix {__version__} speaks {PROTOCOL_VERSION} "
        f"(install a plugin release for protocol {PROTOCOL_VERSION})",
        category="protocol",
    )
