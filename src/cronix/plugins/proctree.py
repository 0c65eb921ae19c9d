"""The process tree from /proc: who descends from whom, and ending a whole subtree.

A plugin's process group and session are not enough to find what it started: a process
that calls setsid(2) leaves both, and after a double fork it is not even a descendant any
more — its parent exited and it was re-parented to init. Unless the plugin is a *child
subreaper* (``PR_SET_CHILD_SUBREAPER``, kept across exec): then orphans below it are
re-parented to it instead, so walking ``ppid`` links down from it finds every process it
started, however it detached. Both the host (:mod:`cronix.plugins.containment`, set between
fork and exec) and the SDK (:func:`cronix.plugins.serve`, set on itself) rely on that.

Linux only; elsewhere every walk finds nothing and :func:`set_child_subreaper` is a no-op.
Standard library only, and imported by plugins, so it stays small.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = [
    "Proc",
    "descendants",
    "kill_descendants",
    "kill_known",
    "process_table",
    "set_child_subreaper",
    "start_time",
    "subreaper_setter",
]

_PR_SET_CHILD_SUBREAPER = 36


class Proc(NamedTuple):
    ppid: int
    #: The one-letter state of /proc/<pid>/stat (``Z``: a zombie, already dead).
    state: str
    #: Clock ticks after boot at which it started: with the pid, a process's identity.
    start: int


def _stat(pid: int) -> Proc | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return Proc(ppid=int(fields[1]), state=fields[0].decode("ascii", "replace"), start=int(fields[19]))
    except (OSError, IndexError, ValueError):
        return None


def process_table() -> dict[int, Proc]:
    """Every process visible in /proc right now."""
    table: dict[int, Proc] = {}
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if entry.isdigit() and (proc := _stat(int(entry))) is not None:
                table[int(entry)] = proc
    return table


def start_time(pid: int) -> int | None:
    proc = _stat(pid)
    return None if proc is None else proc.start


def descendants(root: int, table: dict[int, Proc] | None = None) -> list[int]:
    """Live (non-zombie) descendants of ``root``, parents before children."""
    procs = process_table() if table is None else table
    children: dict[int, list[int]] = {}
    for pid, proc in procs.items():
        children.setdefault(proc.ppid, []).append(pid)
    found: list[int] = []
    queue = list(children.get(root, ()))
    while queue:
        pid = queue.pop(0)
        if pid == root or pid in found:
            continue
        if procs[pid].state != "Z":
            found.append(pid)
        queue.extend(children.get(pid, ()))
    return found


def kill_descendants(root: int, *, timeout: float = 2.0) -> bool:
    """SIGKILL every descendant of ``root``, walking again until none is left.

    Each round stops what it found first (a stopped process cannot fork) and walks again
    until nothing new appears, then kills them all. True when none is left in time.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = set(descendants(root))
        if not found:
            return True
        stopped: set[int] = set()
        while found - stopped and time.monotonic() < deadline:
            _signal(found - stopped, signal.SIGSTOP)
            stopped |= found
            found = set(descendants(root))
        _signal(stopped | found, signal.SIGKILL)
        time.sleep(0.005)
    return not descendants(root)


def kill_known(known: Iterable[tuple[int, int]]) -> None:
    """SIGKILL the processes ``(pid, start)`` that still run, and their descendants.

    The start time makes sure a pid reused by a stranger since it was noted is left alone.
    """
    for pid, start in known:
        proc = _stat(pid)
        if proc is not None and proc.start == start and proc.state != "Z":
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGSTOP)
            kill_descendants(pid, timeout=0.5)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def _signal(pids: Iterable[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def subreaper_setter() -> Callable[[], None] | None:
    """A function that makes the calling process a child subreaper, or None off Linux.

    Resolved here so that calling it between fork and exec runs no import and no lookup.
    """
    if not os.path.isdir("/proc/self"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        return None

    def set_it() -> None:
        prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)

    return set_it


def set_child_subreaper() -> bool:
    """Make this process the reaper of its descendants' orphans; False where impossible."""
    setter = subreaper_setter()
    if setter is not None:
        setter()
    return setter is not None
