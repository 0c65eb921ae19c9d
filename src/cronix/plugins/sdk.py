"""The plugin SDK: ``cronix.plugins.serve(MyBackend)`` turns a Backend class into a plugin.

A plugin author writes a class that implements :class:`cronix.backends.base.Backend`
(the same recipe as an in-tree backend), with class attributes ``name``, ``version``,
``capabilities``, ``fire_strategies``, ``fires_on_host`` and ``local_state`` (a class
that still sets only the 1.1 ``host_local`` gets it for both traits), and a constructor
taking the settings mapping (and, if it accepts a second argument, the
:class:`~cronix.backends.base.HostContext`), and ends the executable with
``serve(MyBackend)``. Everything else of the protocol is done
here:

* refuses to run when started by hand (no magic cookie), with a message saying so;
* binds the gRPC server on ``$CRONIX_PLUGIN_SOCKET_DIR/plugin.sock`` (length-checked),
  registers ``cronix.plugin.v1.Backend`` and ``grpc.health.v1`` (``""`` and the service
  name SERVING), prints the handshake, then points fd 1 at stderr so a stray ``print``
  cannot corrupt the protocol channel;
* GetMetadata from the class attributes; Configure builds the instance exactly once (a
  second Configure fails with FAILED_PRECONDITION; a ``ValueError`` from the constructor
  becomes an ERROR diagnostic); every other RPC before Configure fails with
  FAILED_PRECONDITION;
* error mapping: :class:`~cronix.plugins.errors.RpcFailure` → its code and reason,
  ``UnsupportedOperation`` → UNIMPLEMENTED, other ``BackendError`` → UNAVAILABLE,
  ``ValueError`` → INVALID_ARGUMENT, anything else → INTERNAL with the traceback on stderr;
* Shutdown, SIGTERM, the parent-death watchdog (the parent pid changed or the host pid is
  gone — polled every 0.2 s) and the idle watchdog (``$CRONIX_PLUGIN_IDLE_TIMEOUT``
  seconds without an RPC) all end in the same graceful stop and exit status 0. The stop
  lasts at most the grace period: RPCs still inside the backend then are abandoned (and
  ``close()`` is skipped, since it could block on what they hold), and the process ends
  with ``os._exit`` — never through interpreter shutdown, which would join a thread stuck
  in the backend. Writes to the broken stderr pipe a killed host leaves are dropped.
  Every process the backend started is ended with it, however it detached: the plugin
  is a child subreaper, so even a double-forked setsid process is found below it in /proc.

``prctl(PR_SET_PDEATHSIG)`` is deliberately not used: Linux sends it when the *thread*
that forked the plugin ends, so a host that launches from a short-lived worker thread
would see its plugin killed mid-command.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from cronix.backends.base import (
    CAPABILITIES,
    FIRE_STRATEGIES,
    LOCAL_SHIM,
    Diagnostic,
    SupportsValidateMany,
    SupportsVerifyMany,
    UnsupportedOperation,
)
from cronix.errors import BackendError
from cronix.plugins import proctree
from cronix.plugins.contract import (
    DEFAULT_IDLE_TIMEOUT,
    ENV_IDLE_TIMEOUT,
    ENV_MAGIC_COOKIE,
    ENV_PARENT_PID,
    ENV_SOCKET_DIR,
    MAGIC_COOKIE,
    NAME_PATTERN,
    PROTOCOL_MINOR,
    PROTOCOL_VERSION,
    SERVICE_NAME,
    SHUTDOWN_GRACE,
    SOCKET_NAME,
)
from cronix.plugins.errors import RpcFailure
from cronix.plugins.handshake import format_handshake

if TYPE_CHECKING:
    import grpc

    from cronix.backends.base import Backend, Capability
    from cronix.plugins.v1 import backend_pb2 as pb

__all__ = ["BackendFactory", "log", "serve"]

_WATCH_INTERVAL = 0.2
#: Seconds past the grace period for gRPC to cancel what is left, and for close().
_STOP_MARGIN = 1.0
_CLOSE_LIMIT = 5.0
_SUN_PATH_MAX = 107


#: What ``serve`` takes: a Backend class (or any callable) turning settings — and, if it
#: takes a second argument, the :class:`~cronix.backends.base.HostContext` — into a Backend.
BackendFactory = Callable[..., "Backend"]


@dataclass(frozen=True, slots=True)
class _Metadata:
    """What GetMetadata answers, read from the factory's class attributes."""

    name: str
    version: str
    capabilities: tuple[Capability, ...]
    fire_strategies: tuple[str, ...]
    fires_on_host: bool
    local_state: bool

    @classmethod
    def of(cls, factory: BackendFactory) -> _Metadata:
        name = getattr(factory, "name", None)
        version = getattr(factory, "version", None)
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            _die(f"the backend class needs a 'name' attribute matching {NAME_PATTERN.pattern}, got {name!r}")
        if not isinstance(version, str) or not version:
            _die(f"the backend class needs a non-empty 'version' attribute, got {version!r}")
        offered: object = getattr(factory, "capabilities", frozenset())
        strategies: object = getattr(factory, "fire_strategies", frozenset({LOCAL_SHIM}))
        legacy = bool(getattr(factory, "host_local", False))  # a 1.1 plugin class
        return cls(
            name=name,
            version=version,
            capabilities=tuple(
                c for c in CAPABILITIES if isinstance(offered, (set, frozenset)) and c in offered
            ),
            fire_strategies=tuple(
                s for s in FIRE_STRATEGIES if isinstance(strategies, (set, frozenset)) and s in strategies
            ),
            fires_on_host=bool(getattr(factory, "fires_on_host", legacy)),
            local_state=bool(getattr(factory, "local_state", legacy)),
        )


def log(level: str, msg: str, **fields: object) -> None:
    """One JSON log line on stderr; the host relays it at ``level`` under the plugin's name.

    A host that was killed leaves a broken pipe behind: the line is then dropped, since
    raising here would turn a clean stop into an exit through interpreter shutdown.
    """
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(json.dumps({"level": level, "msg": msg, **fields}, default=str) + "\n")
        sys.stderr.flush()


def _print_exc() -> None:
    """``traceback.print_exc()`` that survives a broken stderr (see :func:`log`)."""
    with contextlib.suppress(OSError, ValueError):
        traceback.print_exc()


def serve(
    factory: BackendFactory,
    *,
    description: str = "",
    log_rpcs: bool = False,
    protocol_version: int = PROTOCOL_VERSION,
) -> NoReturn:
    """Serve ``factory`` as a cronix backend plugin until Shutdown; never returns.

    ``log_rpcs`` logs every RPC (name, app, job) to stderr. ``protocol_version`` exists so
    tests can build a plugin that claims another major; leave it alone.
    """
    meta = _Metadata.of(factory)
    if os.environ.get(ENV_MAGIC_COOKIE) != MAGIC_COOKIE:
        sys.stderr.write(
            f"cronix-backend-{meta.name} is a cronix backend plugin: cronix starts it when a command "
            f"uses --backend {meta.name}; it is not meant to be run by hand (see docs/plugins.md)\n"
        )
        sys.exit(2)
    socket_dir = os.environ.get(ENV_SOCKET_DIR, "")
    path = os.path.join(socket_dir, SOCKET_NAME)
    if not socket_dir or not os.path.isdir(socket_dir):
        _die(f"{ENV_SOCKET_DIR} is not set to an existing directory ({socket_dir!r})")
    if len(os.fsencode(path)) > _SUN_PATH_MAX:
        _die(f"socket path {path} is longer than {_SUN_PATH_MAX} bytes")
    try:
        import grpc
        from grpc_health.v1 import health, health_pb2, health_pb2_grpc

        from cronix.plugins.v1 import backend_pb2_grpc
    except ImportError:
        from cronix.protocol.extras import install_hint

        _die(f"the plugin needs the 'plugins' extra: {install_hint('plugins')}")

    from concurrent.futures import ThreadPoolExecutor

    # Orphans of whatever the backend starts are re-parented here, not to init, so the
    # stop below finds them however they detached (setsid, double fork).
    proctree.set_child_subreaper()
    state = _State(
        parent_pid=_env_int(ENV_PARENT_PID, os.getppid()),
        idle=_env_int(ENV_IDLE_TIMEOUT, DEFAULT_IDLE_TIMEOUT),
    )
    servicer = _make_servicer(
        backend_pb2_grpc.BackendServicer, factory, meta, state, description, log_rpcs, protocol_version
    )
    server = grpc.server(ThreadPoolExecutor(max_workers=8, thread_name_prefix="rpc"))
    backend_pb2_grpc.add_BackendServicer_to_server(servicer, server)
    health_servicer = health.HealthServicer()
    for service in ("", SERVICE_NAME):
        health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    # Before the handshake: the host may signal the plugin as soon as it has read it.
    signal.signal(signal.SIGTERM, lambda *_: state.stop("SIGTERM"))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        server.add_insecure_port(f"unix:{path}")
    except RuntimeError as exc:
        _die(f"cannot bind {path}: {exc}")
    server.start()

    sys.stdout.write(format_handshake(path, proto=protocol_version, pid=os.getpid()) + "\n")
    sys.stdout.flush()
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    state.watch()
    try:
        _stop(server, health_servicer, servicer.backend, state, path)
    finally:
        _exit()


def _exit() -> NoReturn:
    """End what the backend started, then the process — never through interpreter shutdown,
    which would join an RPC thread stuck in the backend."""
    with contextlib.suppress(Exception):
        proctree.kill_descendants(os.getpid(), timeout=1.0)
    os._exit(0)


def _stop(server: Any, health: Any, backend: Backend | None, state: _State, path: str) -> None:
    """End serving within the grace period; close the backend unless an RPC is still inside it."""
    # From here on the process ends within grace + _CLOSE_LIMIT seconds, whatever hangs.
    threading.Thread(target=_exit_after, args=(state.grace + _CLOSE_LIMIT, state), daemon=True).start()
    health.enter_graceful_shutdown()
    # gRPC cancels what is still running once the grace period is over; a handler stuck in
    # the backend keeps its thread, which is why the process must end by os._exit.
    server.stop(state.grace).wait(state.grace + _STOP_MARGIN)
    busy = state.in_flight()
    if busy:
        # close() could block on whatever the stuck handler holds; the process is ending.
        log("debug", f"abandoning {busy} RPC(s) still running after the {state.grace:g} s grace period")
    elif backend is not None:
        try:
            backend.close()
        except Exception:
            _print_exc()
    # The directory is this run's alone; the host removes it too, unless it was killed.
    with contextlib.suppress(OSError):
        os.unlink(path)
    with contextlib.suppress(OSError):
        os.rmdir(os.path.dirname(path))
    log("debug", f"stopped: {state.reason}")


class _State:
    """Why and when to stop: Shutdown, SIGTERM, the parent going away, or idleness."""

    def __init__(self, *, parent_pid: int, idle: int) -> None:
        self.parent_pid = parent_pid
        self.original_ppid = os.getppid()
        self.idle = idle
        self.grace = SHUTDOWN_GRACE
        self.reason = ""
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._in_flight = 0
        self._last = time.monotonic()

    def stop(self, reason: str, grace: float | None = None) -> None:
        if not self.stopping.is_set():
            self.reason = reason
            if grace is not None:
                self.grace = grace
            self.stopping.set()

    def begin(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._last = time.monotonic()

    def end(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._last = time.monotonic()

    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def watch(self) -> None:
        """Block until something asks the plugin to stop."""
        while not self.stopping.wait(_WATCH_INTERVAL):
            if os.getppid() != self.original_ppid or not _alive(self.parent_pid):
                self.stop("the cronix process that started this plugin is gone", grace=1.0)
            with self._lock:
                idle_for = time.monotonic() - self._last if self._in_flight == 0 else 0.0
            if self.idle > 0 and idle_for > self.idle:
                self.stop(f"idle for {self.idle} s", grace=1.0)


def _make_servicer(
    base: type[Any],
    factory: BackendFactory,
    meta: _Metadata,
    state: _State,
    description: str,
    log_rpcs: bool,
    protocol_version: int,
) -> Any:
    """An instance of a subclass of the generated ``BackendServicer`` bound to ``factory``."""
    import grpc

    from cronix.plugins import convert
    from cronix.plugins.v1 import backend_pb2 as pb

    wants_host = _accepts_host(factory)

    class Servicer(base):  # type: ignore[misc]
        def __init__(self) -> None:
            self.backend: Backend | None = None
            self._configure_lock = threading.Lock()
            self._configure_called = False

        # -- the RPCs that work before Configure

        def GetMetadata(self, request: pb.GetMetadataRequest, context: grpc.ServicerContext) -> Any:
            return self._run("GetMetadata", request, context, self._metadata, configured=False)

        def Configure(self, request: pb.ConfigureRequest, context: grpc.ServicerContext) -> Any:
            return self._run(
                "Configure", request, context, lambda: self._configure(request), configured=False
            )

        def Shutdown(self, request: pb.ShutdownRequest, context: grpc.ServicerContext) -> Any:
            grace = request.grace_ms / 1000 if request.grace_ms else SHUTDOWN_GRACE
            state.stop("Shutdown", grace=grace)
            return pb.ShutdownResponse()

        # -- the Backend protocol

        def Health(self, request: pb.HealthRequest, context: grpc.ServicerContext) -> Any:
            def call(b: Backend) -> Any:
                return pb.HealthResponse(diagnostics=convert.diagnostics_to_proto(b.check()))

            return self._run("Health", request, context, call)

        def Validate(self, request: pb.ValidateRequest, context: grpc.ServicerContext) -> Any:
            def call(b: Backend) -> Any:
                found = b.validate(request.app, convert.job_from_proto(request.job))
                return pb.ValidateResponse(diagnostics=convert.diagnostics_to_proto(found))

            return self._run("Validate", request, context, call)

        def ValidateMany(self, request: pb.ValidateManyRequest, context: grpc.ServicerContext) -> Any:
            def call(b: Backend) -> Any:
                jobs = [convert.job_from_proto(j) for j in request.jobs]
                if isinstance(b, SupportsValidateMany):
                    found = b.validate_many(request.app, jobs)
                else:
                    found = [b.validate(request.app, job) for job in jobs]
                results = [pb.ValidateResponse(diagnostics=convert.diagnostics_to_proto(d)) for d in found]
                return pb.ValidateManyResponse(results=results)

            return self._run("ValidateMany", request, context, call)

        def List(self, request: pb.ListRequest, context: grpc.ServicerContext) -> Any:
            def call(b: Backend) -> Any:
                return pb.ListResponse(entries=[convert.entry_to_proto(e) for e in b.list_entries()])

            return self._run("List", request, context, call)

        def Create(self, request: pb.MutateRequest, context: grpc.ServicerContext) -> Any:
            def call(b: Backend) -> Any:
                job = convert.job_from_proto(request.job)
                self._call_with_fire(b.create, request, job, tuple(request.hashes))
                return pb.MutateResponse()

            return self._run("Create", request, context, call)

        def Update(self, request: pb.MutateRequest, context: grpc.ServicerContext) -> Any:
            def call(b: Backend) -> Any:
                job = convert.job_from_proto(request.job)
                self._call_with_fire(b.update, request, job, tuple(request.hashes))
                return pb.MutateResponse()

            return self._run("Update", request, context, call)

        def Delete(self, request: pb.DeleteRequest, context: grpc.ServicerContext) -> Any:
            def call(b: Backend) -> Any:
                b.delete(request.app, request.job)
                return pb.MutateResponse()

            return self._run("Delete", request, context, call)

        def Adopt(self, request: pb.AdoptRequest, context: grpc.ServicerContext) -> Any:
            def call(b: Backend) -> Any:
                job = convert.job_from_proto(request.job)
                hashes = tuple(request.hashes)
                result = self._call_with_fire(b.adopt, request, job, hashes, dry_run=request.dry_run)
                return convert.adopt_to_proto(result)

            return self._run("Adopt", request, context, call)

        def History(self, request: pb.HistoryRequest, context: grpc.ServicerContext) -> Any:
            def call(b: Backend) -> Any:
                found = b.history(convert.history_query_from_proto(request))
                return pb.HistoryResponse(entries=[convert.history_entry_to_proto(e) for e in found])

            return self._run("History", request, context, call)

        def VerifyOwnership(self, request: pb.VerifyOwnershipRequest, context: grpc.ServicerContext) -> Any:
            def call(b: Backend) -> Any:
                owned = b.verify_ownership(convert.entry_from_proto(request.entry))
                return pb.VerifyOwnershipResponse(owned=owned, reason="" if owned else "no ownership marker")

            return self._run("VerifyOwnership", request, context, call)

        def VerifyOwnershipMany(
            self, request: pb.VerifyOwnershipManyRequest, context: grpc.ServicerContext
        ) -> Any:
            def call(b: Backend) -> Any:
                entries = [convert.entry_from_proto(e) for e in request.entries]
                if isinstance(b, SupportsVerifyMany):
                    owned = b.verify_ownership_many(entries)
                else:
                    owned = [b.verify_ownership(entry) for entry in entries]
                results = [
                    pb.VerifyOwnershipResponse(owned=o, reason="" if o else "no ownership marker")
                    for o in owned
                ]
                return pb.VerifyOwnershipManyResponse(results=results)

            return self._run("VerifyOwnershipMany", request, context, call)

        # -- machinery

        def _call_with_fire(
            self, method: Callable[..., Any], request: Any, job: Any, *args: Any, **kw: Any
        ) -> Any:
            """Call create/update/adopt with the FireSpec — unless the class predates 1.2."""
            if _takes_fire(method):
                return method(request.app, job, *args, _fire(request, job), **kw)
            return method(request.app, job, *args, **kw)

        def _metadata(self) -> Any:
            return pb.GetMetadataResponse(
                name=meta.name,
                version=meta.version,
                protocol_version=protocol_version,
                protocol_minor=PROTOCOL_MINOR,
                capabilities=list(meta.capabilities),
                host_local=meta.fires_on_host,  # what a 1.0/1.1 host reads (spec files, lock)
                description=description,
                fire_strategies=list(meta.fire_strategies),
                fires_on_host=meta.fires_on_host,
                local_state=meta.local_state,
            )

        def _configure(self, request: pb.ConfigureRequest) -> Any:
            with self._configure_lock:
                if self._configure_called:
                    raise RpcFailure(
                        "FAILED_PRECONDITION", "Configure was already called; it is accepted once per process"
                    )
                self._configure_called = True
            host = convert.host_context_from_proto(request.host)
            try:
                self.backend = (
                    factory(dict(request.settings), host) if wants_host else factory(dict(request.settings))
                )
            except ValueError as exc:
                bad = Diagnostic("error", str(exc), code="invalid_settings")
                return pb.ConfigureResponse(diagnostics=convert.diagnostics_to_proto([bad]))
            return pb.ConfigureResponse()

        def _run(  # noqa: RET503 - context.abort() raises
            self,
            rpc: str,
            request: Any,
            context: grpc.ServicerContext,
            fn: Callable[..., Any],
            *,
            configured: bool = True,
        ) -> Any:
            if state.stopping.is_set():
                context.abort(grpc.StatusCode.UNAVAILABLE, "plugin is shutting down")
            if log_rpcs:
                log("info", f"rpc {rpc}", **_identity_fields(request))
            backend = self.backend
            if configured and backend is None:
                context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"{rpc} before a successful Configure")
            state.begin()
            try:
                return fn(backend) if configured else fn()
            except RpcFailure as exc:
                code, message, reason = exc.code, exc.message, exc.reason
            except UnsupportedOperation as exc:
                code, message, reason = "UNIMPLEMENTED", str(exc), ""
            except BackendError as exc:
                code, message, reason = "UNAVAILABLE", str(exc), ""
            except ValueError as exc:
                code, message, reason = "INVALID_ARGUMENT", str(exc), ""
            except Exception as exc:
                _print_exc()
                code, message, reason = "INTERNAL", f"{type(exc).__name__}: {exc}", ""
            finally:
                state.end()
            if reason:
                context.set_trailing_metadata((("cronix-reason", reason),))
            status = grpc.StatusCode.__members__.get(code, grpc.StatusCode.UNKNOWN)
            context.abort(status, message)

    return Servicer()


def _fire(request: Any, job: Any) -> Any:
    """The request's FireSpec; a 1.0/1.1 host sends none, so it is built from the job."""
    from cronix.plugins import convert

    return convert.fire_spec_from_proto(request.fire if request.HasField("fire") else None, request.app, job)


def _takes_fire(method: Callable[..., Any]) -> bool:
    """Whether a bound create/update/adopt takes the 1.2 ``fire`` argument (4 positional)."""
    import inspect

    try:
        parameters = list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 4 or any(p.kind is p.VAR_POSITIONAL for p in parameters)


def _accepts_host(factory: BackendFactory) -> bool:
    """Whether the factory takes a second argument: the :class:`HostContext`."""
    import inspect

    try:
        parameters = list(inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in parameters)


def _identity_fields(request: Any) -> dict[str, str]:
    """``app``/``job`` of a request for the RPC log (the job may be a message or an entry's)."""
    source = getattr(request, "entry", request)
    job = getattr(source, "job", "")
    fields = {"app": getattr(source, "app", ""), "job": job if isinstance(job, str) else job.name}
    return {k: v for k, v in fields.items() if isinstance(v, str) and v}


def _exit_after(seconds: float, state: _State) -> None:
    """The last resort of a stop: end the process even if cleanup itself hangs."""
    time.sleep(seconds)
    log("warning", f"stop ({state.reason}) did not finish within {seconds:g} s; exiting")
    _exit()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.isdigit() else default


def _die(message: str) -> NoReturn:
    sys.stderr.write(f"cronix plugin: {message}\n")
    sys.exit(1)
