"""Keeping hold of every process a plugin starts, so that stopping the plugin ends them all.

The plugin has a session of its own, but what it starts can leave that session with
setsid(2) and, after a double fork, stop being its descendant. Two ways to keep hold:

``cgroup``
    Where cgroup v2 is mounted and this process may create a child of its own cgroup, the
    plugin joins a fresh ``cronix-plugin-<host pid>-<host start>-<n>`` between fork and
    exec, before any of its code runs. Whatever it starts stays in there; stopping writes
    ``cgroup.kill`` (Linux ≥ 5.14; before that every member is killed until none is left)
    and removes the cgroup. A cgroup whose host was killed is emptied and removed by the
    next launch from the same cgroup (:func:`sweep_stale_cgroups`), which first gives its
    plugin a few seconds to end by itself.
``tree``
    The fallback (no cgroup v2, or not writable — common for unprivileged users and in
    containers). The plugin is made a child subreaper between fork and exec, so orphans
    below it are re-parented to it, and its descendants are walked from /proc
    (:mod:`cronix.plugins.proctree`): stopped, killed and walked again until none is left,
    then the plugin itself. Descendants are also noted before Shutdown and at the start
    of a stop, because once the plugin exits by itself its children belong to init.

``CRONIX_PLUGIN_CONTAINMENT`` (host side) chooses: ``auto`` (default: cgroup where it
works), ``cgroup`` (the same, falling back when it does not work) or ``tree``. Off Linux
neither exists and only the process group is signalled (``group``).

After cronix itself is killed with SIGKILL, nothing here runs: the plugin's own watchdog
ends it, and the SDK ends its descendants the same way (a subreaper walking its tree).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import signal
import time
from typing import TYPE_CHECKING, Literal

from cronix.plugins import proctree

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["CONTAINMENT_ENV", "Containment", "Kind", "cgroup_parent", "sweep_stale_cgroups"]

CONTAINMENT_ENV = "CRONIX_PLUGIN_CONTAINMENT"
Kind = Literal["cgroup", "tree", "group"]

_PREFIX = "cronix-plugin-"
_log = logging.getLogger("cronix.plugins")
_serial = itertools.count(1)


class Containment:
    """How one plugin process is held; :meth:`end` ends it and everything it started."""

    def __init__(self, kind: Kind, cgroup: str | None = None) -> None:
        self.kind: Kind = kind
        #: The plugin's cgroup directory (``kind == "cgroup"``).
        self.cgroup = cgroup
        self._noted: set[tuple[int, int]] = set()
        self._subreaper = proctree.subreaper_setter() if kind != "group" else None

    @classmethod
    def choose(cls) -> Containment:
        """The containment for the next plugin launch (see the module docstring)."""
        wanted = os.environ.get(CONTAINMENT_ENV, "auto")
        if not os.path.isdir("/proc/self"):
            return cls("group")
        if wanted in ("auto", "cgroup") and (parent := cgroup_parent()) is not None:
            sweep_stale_cgroups(parent)
            path = os.path.join(parent, f"{_PREFIX}{_owner()}-{next(_serial)}")
            try:
                os.mkdir(path, 0o755)
            except OSError as exc:
                _log.debug("cannot create plugin cgroup %s (%s); walking the process tree", path, exc)
            else:
                return cls("cgroup", path)
        return cls("tree")

    def preexec(self) -> Callable[[], None] | None:
        """What the child runs between fork and exec: join the cgroup, become a subreaper.

        Only system calls on values prepared here: it runs in a forked copy of a threaded
        process, where taking a lock some other thread held could deadlock.
        """
        procs = os.fsencode(os.path.join(self.cgroup, "cgroup.procs")) if self.cgroup else None
        subreaper = self._subreaper
        if procs is None and subreaper is None:
            return None

        def run() -> None:
            if subreaper is not None:
                subreaper()
            if procs is not None:
                try:
                    fd = os.open(procs, os.O_WRONLY)
                    try:
                        os.write(fd, b"0")
                    finally:
                        os.close(fd)
                except OSError:
                    pass  # started() sees it and falls back to the tree

        return run

    def started(self, pid: int) -> None:
        """Check the plugin is in its cgroup; if joining failed, fall back to the tree."""
        if self.cgroup is None or _cgroup_of(pid) == self.cgroup:
            return
        _log.debug("plugin %d did not join %s; walking the process tree instead", pid, self.cgroup)
        self.release()
        self.kind, self.cgroup = "tree", None

    def note_descendants(self, pid: int) -> None:
        """Remember the plugin's descendants now (tree): after it exits they are init's."""
        if self.kind == "tree":
            table = proctree.process_table()
            self._noted.update((d, table[d].start) for d in proctree.descendants(pid, table))

    def end(self, pid: int, *, alive: bool) -> None:
        """SIGKILL the plugin ``pid`` (unreaped) and everything it started."""
        if self.kind == "cgroup" and self.cgroup is not None:
            _kill_cgroup(self.cgroup)
        elif self.kind == "tree":
            if alive:
                # Frozen, it can neither start more nor reap; orphans below it stay its own.
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGSTOP)
                proctree.kill_descendants(pid)
            proctree.kill_known(self._noted)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)

    def release(self) -> None:
        """Remove the cgroup once it is empty (the plugin reaped); a leftover is swept later."""
        if self.cgroup is not None:
            _remove_cgroup(self.cgroup)


def cgroup_parent() -> str | None:
    """This process's cgroup v2 directory if a child may be created in it, else None."""
    mount = _cgroup2_mount()
    if mount is None:
        return None
    own = _cgroup_of(os.getpid(), mount)
    if (
        own is None
        or not os.access(own, os.W_OK)
        or not os.access(os.path.join(own, "cgroup.procs"), os.W_OK)
    ):
        return None
    return own


#: How long a stale cgroup's plugin is given to end by itself before it is killed: the
#: SDK's bound from noticing its host is gone to ``os._exit`` (watch interval + the 1 s
#: grace + the close limit of ``cronix.plugins.sdk``), with a margin.
STALE_GRACE_SECONDS = 6.5


def sweep_stale_cgroups(parent: str | None = None, *, grace: float = STALE_GRACE_SECONDS) -> None:
    """Empty and remove plugin cgroups in ``parent`` whose host process is gone.

    A killed host's plugin normally ends by itself (its watchdog notices within 0.2 s) and
    removes its socket directory on the way out; SIGKILLing it in the middle of that — as
    the next launch anywhere in the same cgroup used to — left the directory behind. So
    the members are asked first (SIGTERM: the SDK's orderly stop, a no-op for one already
    stopping), and killed only if the cgroup is not empty after ``grace`` seconds. The
    wait happens only when a stale cgroup is still populated, i.e. after a host was killed.
    """
    parent = parent or cgroup_parent()
    if parent is None:
        return
    with contextlib.suppress(OSError):
        stale = [
            os.path.join(parent, entry)
            for entry in os.listdir(parent)
            if entry.startswith(_PREFIX) and not _owner_alive(entry[len(_PREFIX) :])
        ]
        for path in stale:
            _signal_members(path, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while any(_members(path) for path in stale) and time.monotonic() < deadline:
            time.sleep(0.02)
        for path in stale:
            _kill_cgroup(path)
            _remove_cgroup(path)


def _signal_members(path: str, signum: int) -> None:
    for pid in _members(path):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def _owner() -> str:
    """``<pid>-<start>``: this process, in a form that survives pid reuse."""
    return f"{os.getpid()}-{proctree.start_time(os.getpid()) or 0}"


def _owner_alive(name: str) -> bool:
    pid, _, rest = name.partition("-")
    start = rest.partition("-")[0]
    if not (pid.isdigit() and start.isdigit()):
        return True  # not a name this code wrote: leave it alone
    return proctree.start_time(int(pid)) == int(start)


def _cgroup2_mount() -> str | None:
    """Where the cgroup v2 hierarchy is mounted (its root mounted, not a subtree), or None."""
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                fields, _, tail = line.partition(" - ")
                parts = fields.split()
                if tail.split()[:1] == ["cgroup2"] and len(parts) >= 5 and parts[3] == "/":
                    return parts[4]
    except OSError:
        pass
    return None


def _cgroup_of(pid: int, mount: str | None = None) -> str | None:
    """The cgroup v2 directory of ``pid``, or None."""
    mount = mount or _cgroup2_mount()
    if mount is None:
        return None
    try:
        with open(f"/proc/{pid}/cgroup", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("0::/"):
                    path = line[3:].rstrip("\n")
                    return None if path.endswith(" (deleted)") else os.path.normpath(mount + path)
    except OSError:
        pass
    return None


def _kill_cgroup(path: str, timeout: float = 2.0) -> None:
    """SIGKILL every process in the cgroup ``path`` and wait until it is empty."""
    try:
        with open(os.path.join(path, "cgroup.kill"), "w", encoding="ascii") as fh:
            fh.write("1")
    except FileNotFoundError:  # before Linux 5.14: kill the members until none is left
        pass
    except OSError as exc:
        _log.debug("cannot write %s/cgroup.kill: %s", path, exc)
    deadline = time.monotonic() + timeout
    while (members := _members(path)) and time.monotonic() < deadline:
        for pid in members:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.005)


def _members(path: str) -> list[int]:
    try:
        with open(os.path.join(path, "cgroup.procs"), encoding="ascii") as fh:
            return [int(line) for line in fh if line.strip()]
    except (OSError, ValueError):
        return []


def _remove_cgroup(path: str, timeout: float = 1.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError as exc:  # EBUSY while the last members finish exiting
            if time.monotonic() >= deadline:
                _log.debug("cannot remove plugin cgroup %s: %s", path, exc)
                return
            time.sleep(0.01)
