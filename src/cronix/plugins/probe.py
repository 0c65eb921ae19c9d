"""Step-by-step access to a plugin for ``cronix conformance plugin``: the protocol checks.

:func:`~cronix.plugins.host.start_plugin` stops at the first problem, which is right for
running a plugin but not for grading one. :class:`PluginProbe` exposes each step of the
lifecycle separately and returns plain values (status code names, dicts), so the checks
in :mod:`cronix.conformance.plugin_checks` stay free of gRPC. It runs the file given —
no discovery, no pin: conformance is a tool for the plugin's author.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

from cronix.plugins.contract import EXECUTABLE_PREFIX
from cronix.plugins.errors import PluginIdentity
from cronix.plugins.host import get_metadata, health_status, open_channel, require_grpc
from cronix.plugins.process import PluginProcess, Timeouts

if TYPE_CHECKING:
    from collections.abc import Mapping

    import grpc

    from cronix.backends.base import Diagnostic
    from cronix.plugins.handshake import Handshake
    from cronix.plugins.proxy import PluginBackend

__all__ = ["PluginProbe", "orphan_check"]


class PluginProbe:
    """One plugin process, driven one protocol step at a time."""

    def __init__(self, path: str, *, timeouts: Timeouts | None = None) -> None:
        require_grpc()
        base = os.path.basename(path)
        name = base[len(EXECUTABLE_PREFIX) :] if base.startswith(EXECUTABLE_PREFIX) else base
        self.timeouts = timeouts or Timeouts.from_env()
        self.process = PluginProcess(PluginIdentity(name=name, path=os.path.abspath(path)))
        self.channel: grpc.Channel | None = None
        self.backend: PluginBackend | None = None

    @property
    def name(self) -> str:
        return self.process.identity.name

    def handshake(self) -> tuple[str, Handshake]:
        """The raw first stdout line and its parse (raises ``PluginFailure``)."""
        parsed = self.process.wait_handshake(self.timeouts.start)
        return self.process.handshake_line.decode("utf-8", "replace"), parsed

    def connect(self, handshake: Handshake) -> None:
        self.channel = open_channel(self.process, handshake.socket_path, self.timeouts.connect)

    def health(self, service: str) -> str:
        return health_status(self.process, self._channel(), service, self.timeouts.connect)

    def metadata(self) -> dict[str, Any]:
        reply = get_metadata(self.process, self._channel(), self.timeouts.connect)
        self._reply = reply
        return {
            "name": reply.name,
            "version": reply.version,
            "protocol_version": reply.protocol_version,
            "protocol_minor": reply.protocol_minor,
            "capabilities": list(reply.capabilities),
            "fire_strategies": list(reply.fire_strategies),
            "fires_on_host": reply.fires_on_host,
            "local_state": reply.local_state,
            "host_local": reply.host_local,
        }

    def status_before_configure(self, rpc: str) -> str:
        """The status code name an RPC with an empty request gets (``OK`` if it succeeds)."""
        return self._raw_status(rpc)

    def configure(self, settings: Mapping[str, str], metadata: Mapping[str, Any]) -> list[Diagnostic]:
        """Configure through the host proxy (which the backend suite then uses)."""
        from cronix.plugins.proxy import PluginBackend
        from cronix.plugins.v1 import backend_pb2 as pb

        reply = getattr(self, "_reply", None) or pb.GetMetadataResponse(
            name=metadata["name"],
            version=metadata["version"],
            protocol_version=metadata["protocol_version"],
            capabilities=metadata["capabilities"],
        )
        self.process.identity = PluginIdentity(self.name, self.process.identity.path, metadata["version"])
        self.backend = PluginBackend(self.process, self._channel(), reply, self.timeouts)
        return self.backend.configure(settings)

    def configure_again(self, settings: Mapping[str, str]) -> str:
        """What a second Configure gets (the proxy itself never sends one)."""
        return self._raw_status("Configure", settings=dict(settings))

    def shutdown(self) -> tuple[int | None, float]:
        """Send Shutdown and wait up to 5 s: (exit status or None, seconds taken)."""
        from cronix.plugins.v1 import backend_pb2 as pb
        from cronix.plugins.v1 import backend_pb2_grpc

        started = time.monotonic()
        stub: Any = backend_pb2_grpc.BackendStub(self._channel())
        with contextlib.suppress(Exception):  # the exit status below says whether it worked
            stub.Shutdown(pb.ShutdownRequest(grace_ms=5000), timeout=self.timeouts.shutdown)
        status = self.process.wait_exit(self.timeouts.shutdown)
        return status, time.monotonic() - started

    def close(self) -> None:
        if self.channel is not None:
            self.channel.close()
        self.process.stop(grace=0.0 if self.process.exit_status() is None else 1.0)

    def _channel(self) -> grpc.Channel:
        if self.channel is None:
            raise RuntimeError("connect() first")
        return self.channel

    def _raw_status(self, rpc: str, **fields: Any) -> str:
        import grpc

        from cronix.plugins.v1 import backend_pb2 as pb
        from cronix.plugins.v1 import backend_pb2_grpc

        requests = {
            "Configure": pb.ConfigureRequest,
            "List": pb.ListRequest,
            "Validate": pb.ValidateRequest,
            "Create": pb.MutateRequest,
            "Delete": pb.DeleteRequest,
            "Health": pb.HealthRequest,
        }
        stub: Any = backend_pb2_grpc.BackendStub(self._channel())
        try:
            getattr(stub, rpc)(requests[rpc](**fields), timeout=self.timeouts.quick)
        except grpc.RpcError as exc:
            code: Any = exc
            return str(code.code().name)
        return "OK"


_INTERMEDIATE = """
import os, subprocess, sys
from cronix.plugins.process import make_socket_dir, plugin_environment
name, path, idle = sys.argv[1], sys.argv[2], int(sys.argv[3])
sock = make_socket_dir()
env = plugin_environment(name, sock, idle_timeout=idle)
proc = subprocess.Popen([path], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL, cwd=sock, env=env, start_new_session=True)
print(proc.pid, flush=True)
print(sock, flush=True)
print(proc.stdout.readline().decode().strip(), flush=True)
import time
time.sleep(600)
"""


def orphan_check(path: str, *, wait: float = 5.0) -> tuple[bool, str]:
    """Start the plugin from a throw-away parent, SIGKILL that parent: does the plugin exit?

    Returns (passed, detail). The plugin's socket directory is removed afterwards.
    """
    import shutil
    import signal

    base = os.path.basename(path)
    name = base[len(EXECUTABLE_PREFIX) :] if base.startswith(EXECUTABLE_PREFIX) else base
    parent = subprocess.Popen(
        [sys.executable, "-c", _INTERMEDIATE, name, os.path.abspath(path), "600"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert parent.stdout is not None
    try:
        pid = int(parent.stdout.readline() or b"0")
        socket_dir = parent.stdout.readline().decode("utf-8", "replace").strip()
        line = parent.stdout.readline().decode("utf-8", "replace").strip()
    finally:
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()
        parent.stdout.close()
    if not pid or not line:
        return False, "the plugin did not start under the throw-away parent"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and _running(pid):
        time.sleep(0.05)
    gone = not _running(pid)
    if not gone:
        os.kill(pid, signal.SIGKILL)
    if os.path.isabs(socket_dir) and os.path.basename(socket_dir).startswith("cx-"):
        shutil.rmtree(socket_dir, ignore_errors=True)
    if gone:
        return True, ""
    return False, f"pid {pid} was still running {wait:g} s after its parent was killed"


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state != "Z"
