"""Launching a plugin process, reading its handshake, relaying its output, and ending it.

One plugin process per command. It runs in its own session (so a terminal Ctrl-C does not
reach it and the host can signal its whole process group), with ``stdin`` closed, a
private 0700 socket directory under a short temp path (``sun_path`` holds 107 bytes) as
its working directory, and a filtered environment: ``PATH``, ``HOME``, ``LANG``, ``LC_*``,
``TZ``, the operator's ``CRONIX_PLUGIN_<NAME>_*`` variables, and the protocol variables
the host sets — never the rest of the operator's environment, where secrets live.

Its first stdout line is the handshake; later stdout lines are drained and logged (the
pipe must never fill). Every stderr line is relayed to the ``cronix.plugin.<name>``
logger and kept in a ring buffer whose tail goes into every error message. Both are
bounded whatever the plugin writes: a line is cut at :data:`MAX_LINE_BYTES` (the rest is
read and dropped, so an endless line costs no memory) and the buffer keeps 64 lines.

Ending it: the caller sends Shutdown first; :meth:`PluginProcess.stop` then waits up to
the grace period, sends SIGTERM to the process group, then SIGKILLs everything the plugin
started — held in a cgroup, or found by walking the process tree, so a process that
called setsid(2) or was double-forked away is not missed (:mod:`cronix.plugins.containment`)
— and sweeps the group once more before reaping the leader (the leader's unreaped pid
keeps the group id from being reused, so the sweep cannot hit a stranger). Live processes
are also ended at interpreter exit; if cronix is killed outright, the plugin's own parent
watchdog (:mod:`cronix.plugins.sdk`) makes it exit, ending its descendants too.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import queue
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from cronix.plugins.containment import Containment
from cronix.plugins.contract import (
    DEFAULT_IDLE_TIMEOUT,
    ENV_IDLE_TIMEOUT,
    ENV_LOG_LEVEL,
    ENV_MAGIC_COOKIE,
    ENV_NAME,
    ENV_PARENT_PID,
    ENV_PROTOCOL_VERSIONS,
    ENV_SOCKET_DIR,
    MAGIC_COOKIE,
    PROTOCOL_VERSION,
    SHUTDOWN_GRACE,
    SOCKET_NAME,
    plugin_env_prefix,
)
from cronix.plugins.errors import Category, PluginFailure, PluginIdentity
from cronix.plugins.handshake import MAX_HANDSHAKE_BYTES, Handshake, HandshakeError, parse_handshake

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

__all__ = [
    "MAX_LINE_BYTES",
    "PluginProcess",
    "Timeouts",
    "describe_status",
    "make_socket_dir",
    "plugin_environment",
    "read_lines",
]

#: Longest stderr or stdout line relayed and kept; the rest of a longer line is dropped.
MAX_LINE_BYTES = 4096
_DISCARD_CHUNK = 64 * 1024
#: stderr lines kept for error messages (each at most MAX_LINE_BYTES).
_TAIL_LINES = 64
_PASSTHROUGH = frozenset({"PATH", "HOME", "LANG", "TZ"})
_SUN_PATH_MAX = 107
_LEVELS = {
    "trace": logging.DEBUG,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Host-side deadlines in seconds (``CRONIX_PLUGIN_START_TIMEOUT`` / ``_CALL_TIMEOUT`` override)."""

    #: exec → handshake line.
    start: float = 10.0
    #: socket ready + grpc.health SERVING + GetMetadata.
    connect: float = 5.0
    configure: float = 30.0
    #: Validate, VerifyOwnership, Health.
    quick: float = 10.0
    #: List, Create, Update, Delete, Adopt, History.
    call: float = 60.0
    #: Shutdown RPC plus the wait for the process to exit before signals.
    shutdown: float = SHUTDOWN_GRACE

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Timeouts:
        env = os.environ if environ is None else environ
        base = cls()
        start = _seconds(env.get("CRONIX_PLUGIN_START_TIMEOUT"), base.start)
        call = env.get("CRONIX_PLUGIN_CALL_TIMEOUT")
        if call is None:
            return cls(start=start)
        value = _seconds(call, base.call)
        return cls(start=start, configure=value, quick=value, call=value)


def _seconds(raw: str | None, default: float) -> float:
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default


def plugin_environment(
    name: str,
    socket_dir: str,
    *,
    idle_timeout: int = DEFAULT_IDLE_TIMEOUT,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The whole environment a plugin starts with (see the module docstring)."""
    env = os.environ if environ is None else environ
    own = plugin_env_prefix(name)
    kept = {k: v for k, v in env.items() if k in _PASSTHROUGH or k.startswith(("LC_", own))}
    level = logging.getLogger(f"cronix.plugin.{name}").getEffectiveLevel()
    kept.update(
        {
            ENV_MAGIC_COOKIE: MAGIC_COOKIE,
            ENV_PROTOCOL_VERSIONS: str(PROTOCOL_VERSION),
            ENV_SOCKET_DIR: socket_dir,
            ENV_NAME: name,
            ENV_PARENT_PID: str(os.getpid()),
            ENV_IDLE_TIMEOUT: str(idle_timeout),
            ENV_LOG_LEVEL: logging.getLevelName(level).lower(),
        }
    )
    return kept


def describe_status(status: int) -> str:
    """``exit status 3`` or ``killed by signal SIGKILL`` from a Popen-style return code."""
    if status < 0:
        try:
            return f"killed by signal {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    return f"exit status {status}"


class PluginProcess:
    """A running plugin: its process group, socket directory and output relays."""

    def __init__(self, identity: PluginIdentity, *, idle_timeout: int = DEFAULT_IDLE_TIMEOUT) -> None:
        self.identity = identity
        self.socket_dir = make_socket_dir()
        env = plugin_environment(identity.name, self.socket_dir, idle_timeout=idle_timeout)
        self._contain = Containment.choose()
        try:
            self._proc = subprocess.Popen(
                [identity.path],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self.socket_dir,
                env=env,
                start_new_session=True,
                close_fds=True,
                preexec_fn=self._contain.preexec(),
            )
        except OSError as exc:
            self._contain.release()
            shutil.rmtree(self.socket_dir, ignore_errors=True)
            raise PluginFailure(
                identity, f"cannot execute {identity.path}: {exc.strerror}", category="start"
            ) from None
        assert self._proc.stdout is not None
        assert self._proc.stderr is not None
        self.pid = self._proc.pid
        self._contain.started(self.pid)
        self._stderr = _StderrRelay(self._proc.stderr, identity.name)
        self._first_line: queue.Queue[bytes] = queue.Queue(maxsize=1)
        self._stdout = threading.Thread(
            target=_drain_stdout, args=(self._proc.stdout, self._first_line, identity.name), daemon=True
        )
        self._stderr.start()
        self._stdout.start()
        self._stopped = False
        #: The raw first stdout line, once :meth:`wait_handshake` has read it.
        self.handshake_line = b""
        _LIVE.add(self)

    @property
    def socket_path(self) -> str:
        return os.path.join(self.socket_dir, SOCKET_NAME)

    # ------------------------------------------------------------------ handshake

    def wait_handshake(self, timeout: float) -> Handshake:
        """The parsed handshake, checked against the socket directory, or :class:`PluginFailure`."""
        try:
            line = self._first_line.get(timeout=timeout)
        except queue.Empty:
            raise self.failure(f"no handshake within {timeout:g} s", category="start") from None
        self.handshake_line = line
        if not line:
            status = self.wait_exit(2.0)
            how = describe_status(status) if status is not None else "closed its stdout"
            raise self.failure(f"exited before the handshake ({how})", category="start")
        try:
            handshake = parse_handshake(line)
        except HandshakeError as exc:
            raise self.failure(str(exc), category="protocol") from None
        problem = _socket_problem(handshake.socket_path, self.socket_dir)
        if problem:
            raise self.failure(problem, category="protocol")
        return handshake

    # ------------------------------------------------------------------ state

    def exit_status(self) -> int | None:
        """The exit status if the process has ended (without reaping it), else None."""
        if self._proc.returncode is not None:
            return self._proc.returncode
        try:
            info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return self._proc.wait()
        if info is None or info.si_pid == 0:
            return None
        return -info.si_status if info.si_code in (os.CLD_KILLED, os.CLD_DUMPED) else info.si_status

    def wait_exit(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while True:
            status = self.exit_status()
            if status is not None or time.monotonic() >= deadline:
                return status
            time.sleep(0.01)

    def stderr_tail(self, settle: float = 0.0) -> str:
        """The last stderr lines on one line; ``settle`` waits for the relay to reach EOF."""
        if settle:
            self._stderr.join(settle)
        return self._stderr.tail()

    def failure(self, what: str, *, category: Category, code: str = "", reason: str = "") -> PluginFailure:
        """A :class:`PluginFailure` for this plugin, with the stderr tail (after exit if it died)."""
        status = self.exit_status()
        if status is not None and category not in ("start", "crashed"):
            what = f"{what}; the plugin exited ({describe_status(status)})"
        settle = 1.0 if status is not None else 0.05
        return PluginFailure(
            self.identity,
            what,
            category=category,
            stderr_tail=self.stderr_tail(settle),
            code=code,
            reason=reason,
        )

    # ------------------------------------------------------------------ ending

    def stop(self, grace: float = SHUTDOWN_GRACE) -> int:
        """Wait ``grace`` for a voluntary exit, then SIGTERM, then SIGKILL the group; clean up."""
        if self._stopped:
            return self._proc.returncode if self._proc.returncode is not None else 0
        self._stopped = True
        self.note_descendants()
        status = self.wait_exit(grace)
        if status is None:
            self._signal_group(signal.SIGTERM)
            status = self.wait_exit(2.0)
        # Everything it started (cgroup or process tree), then whatever is left in its group,
        # while the leader is still unreaped: its pid keeps the group id from being reused.
        self._contain.end(self.pid, alive=status is None)
        self._signal_group(signal.SIGKILL)
        code = self._proc.wait()
        self._contain.release()
        for relay in (self._stderr, self._stdout):
            relay.join(2.0)
        for stream, relay in ((self._proc.stdout, self._stdout), (self._proc.stderr, self._stderr)):
            # A process that still holds the pipe keeps the relay inside readline(), and
            # close() would wait for that read forever; the daemon thread is left to it.
            if stream is not None and not relay.is_alive():
                stream.close()
        shutil.rmtree(self.socket_dir, ignore_errors=True)
        _LIVE.discard(self)
        return code

    @property
    def containment(self) -> str:
        """How what the plugin starts is held: ``cgroup``, ``tree`` or ``group``."""
        return self._contain.kind

    @property
    def cgroup(self) -> str | None:
        """The plugin's own cgroup directory, when :attr:`containment` is ``cgroup``."""
        return self._contain.cgroup

    def note_descendants(self) -> None:
        """Remember what the plugin started so far; call before asking it to exit (Shutdown)."""
        if self.exit_status() is None:
            self._contain.note_descendants(self.pid)

    def kill(self) -> None:
        """End the plugin at once (interpreter exit, a failed start)."""
        self.stop(grace=0.0)

    def _signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)


class _StderrRelay(threading.Thread):
    """Reads the plugin's stderr line by line: log it, keep the last lines for messages."""

    def __init__(self, stream: IO[bytes], name: str) -> None:
        super().__init__(name=f"cronix-plugin-{name}-stderr", daemon=True)
        self._stream = stream
        self._name = name
        self._log = logging.getLogger(f"cronix.plugin.{name}")
        self._lines: deque[str] = deque(maxlen=_TAIL_LINES)
        self._lock = threading.Lock()

    def run(self) -> None:
        for raw in read_lines(self._stream):
            line = raw.decode("utf-8", "replace").rstrip()
            if not line:
                continue
            level, message = _render(line)
            with self._lock:
                self._lines.append(message)
            self._log.log(level, "[%s] %s", self._name, message)

    def tail(self, lines: int = 4, limit: int = 300) -> str:
        with self._lock:
            recent = list(self._lines)[-lines:]
        text = " | ".join(recent)
        return text if len(text) <= limit else "…" + text[-limit:]


def _render(line: str) -> tuple[int, str]:
    """A stderr line as (level, text): JSON log lines keep their level, others are INFO."""
    if line.startswith("{"):
        try:
            doc = json.loads(line)
        except ValueError:
            doc = None
        if isinstance(doc, dict) and isinstance(doc.get("msg"), str):
            level = _LEVELS.get(str(doc.get("level", "info")).lower(), logging.INFO)
            extra = " ".join(f"{k}={v}" for k, v in doc.items() if k not in ("msg", "level", "time"))
            return level, f"{doc['msg']} {extra}".rstrip()
    return logging.INFO, line


def read_lines(stream: IO[bytes], limit: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """The lines of ``stream``, each cut to ``limit`` bytes; memory stays O(limit).

    A longer line is yielded as soon as its first ``limit`` bytes are in, with a note that
    the rest was dropped — so a line that never ends is still relayed — and the rest is
    read and thrown away up to the next newline.
    """
    note = f" [line longer than {limit} bytes; the rest was dropped]".encode()
    while raw := stream.readline(limit + 1):
        if len(raw) <= limit or raw.endswith(b"\n"):
            yield raw
            continue
        yield raw[:limit] + note
        while (rest := stream.readline(_DISCARD_CHUNK)) and not rest.endswith(b"\n"):
            pass


def _drain_stdout(stream: IO[bytes], first: queue.Queue[bytes], name: str) -> None:
    log = logging.getLogger(f"cronix.plugin.{name}")
    first.put(stream.readline(MAX_HANDSHAKE_BYTES + 1))
    for raw in read_lines(stream):
        log.debug(
            "[%s] unexpected stdout after the handshake: %s", name, raw.decode("utf-8", "replace").rstrip()
        )


def make_socket_dir() -> str:
    base = tempfile.gettempdir()
    if len(os.fsencode(base)) + len(f"/cx-xxxxxxxx/{SOCKET_NAME}") > _SUN_PATH_MAX:
        base = "/tmp"
    return tempfile.mkdtemp(prefix="cx-", dir=base)  # mode 0700


def _socket_problem(path: str, socket_dir: str) -> str:
    if len(os.fsencode(path)) > _SUN_PATH_MAX:
        return f"handshake socket path is {len(os.fsencode(path))} bytes, over the {_SUN_PATH_MAX}-byte limit"
    if os.path.dirname(os.path.realpath(path)) != os.path.realpath(socket_dir):
        return f"handshake socket {path} is not inside the socket directory {socket_dir}"
    try:
        st = os.lstat(path)
    except OSError as exc:
        return f"handshake socket {path}: {exc.strerror}"
    if not stat.S_ISSOCK(st.st_mode):
        return f"handshake path {path} is not a socket"
    if st.st_uid != os.geteuid():
        return f"handshake socket {path} is owned by uid {st.st_uid}, not by this user"
    return ""


_LIVE: weakref.WeakSet[PluginProcess] = weakref.WeakSet()


@atexit.register
def _end_live_plugins() -> None:
    for plugin in list(_LIVE):
        with contextlib.suppress(Exception):
            plugin.kill()
