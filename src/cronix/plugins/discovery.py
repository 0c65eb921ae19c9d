"""Finding plugin executables, and refusing the ones that anyone else could have swapped.

Search order, first hit wins: the ``plugins.dirs`` of cronix.yaml, each entry of
``$CRONIX_PLUGIN_DIR`` (``os.pathsep``-separated), ``~/.cronix/plugins/``,
``/usr/local/share/cronix/plugins/``. A candidate is an entry named
``cronix-backend-<name>``; later hits of the same name are *shadowed* and listed as such.
A plugin never shadows a built-in backend: a candidate with a built-in name is never used.

A candidate is *unsafe* — refused, never executed — when, after resolving symlinks, it is
not a regular executable file, is group- or world-writable, is owned by someone other
than root or the current user, or sits in a group- or world-writable directory (the
directory of the entry and that of the resolved file) that is not a read-only mount —
:func:`cronix.fileio.trust_problem`, the rule trigger spec files follow too. The SHA-256 pin
(:mod:`cronix.plugins.trust`) says *which* bytes may run; this check makes sure nobody
but root and the invoking user can swap them between the check and ``exec``.

Nothing here executes anything or imports grpc.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cronix.backends.registry import selectable_types
from cronix.fileio import trust_problem
from cronix.plugins.contract import EXECUTABLE_PREFIX, NAME_PATTERN, RESERVED_BACKEND_NAMES
from cronix.plugins.errors import PluginNotFound, PluginUntrusted

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

__all__ = ["SYSTEM_DIR", "Candidate", "Status", "find_plugin", "safety_problem", "scan", "search_dirs"]

SYSTEM_DIR = "/usr/local/share/cronix/plugins"

Status = Literal["active", "shadowed", "builtin", "unsafe", "invalid-name"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ``cronix-backend-*`` entry found in a search directory."""

    name: str
    #: The entry as found (may be a symlink) and what it resolves to (what is hashed and run).
    path: str
    resolved: str
    status: Status
    #: Why it is unsafe or unusable; the winning path for shadowed ones; "" otherwise.
    detail: str = ""

    @property
    def usable(self) -> bool:
        return self.status == "active"


def search_dirs(extra: Sequence[str] = (), environ: Mapping[str, str] | None = None) -> list[str]:
    """The directories searched, in order, without duplicates."""
    env = os.environ if environ is None else environ
    dirs = [*extra]
    dirs += [d for d in env.get("CRONIX_PLUGIN_DIR", "").split(os.pathsep) if d]
    home = env.get("HOME") or os.path.expanduser("~")
    dirs += [os.path.join(home, ".cronix", "plugins"), SYSTEM_DIR]
    seen: set[str] = set()
    unique: list[str] = []
    for d in dirs:
        key = os.path.realpath(os.path.expanduser(d))
        if key not in seen:
            seen.add(key)
            unique.append(os.path.expanduser(d))
    return unique


def scan(dirs: Iterable[str]) -> list[Candidate]:
    """Every candidate in search order, each with its status."""
    found: list[Candidate] = []
    winners: dict[str, str] = {}
    for directory in dirs:
        for entry in _entries(directory):
            name = entry.name[len(EXECUTABLE_PREFIX) :]
            path = os.path.join(directory, entry.name)
            resolved = os.path.realpath(path)
            if not NAME_PATTERN.fullmatch(name):
                found.append(
                    Candidate(name, path, resolved, "invalid-name", f"name must match {NAME_PATTERN.pattern}")
                )
                continue
            if name in RESERVED_BACKEND_NAMES:
                found.append(Candidate(name, path, resolved, "builtin", f"{name} is a built-in backend"))
                continue
            if name in winners:
                found.append(Candidate(name, path, resolved, "shadowed", winners[name]))
                continue
            winners[name] = path
            problem = safety_problem(path)
            status: Status = "unsafe" if problem else "active"
            found.append(Candidate(name, path, resolved, status, problem))
    return found


def find_plugin(name: str, dirs: Sequence[str]) -> Candidate:
    """The candidate that ``name`` runs, or a one-line error saying why there is none."""
    if name in RESERVED_BACKEND_NAMES:
        raise PluginNotFound(f"{name} is a built-in backend, not a plugin")
    if not NAME_PATTERN.fullmatch(name):
        raise PluginNotFound(f"invalid plugin name {name!r}: it must match {NAME_PATTERN.pattern}")
    for candidate in scan(dirs):
        if candidate.name != name or candidate.status == "shadowed":
            continue
        if candidate.status == "unsafe":
            raise PluginUntrusted(f"refusing plugin {name} at {candidate.path}: {candidate.detail}")
        return candidate
    raise PluginNotFound(
        f"unknown backend {name!r}: not built in ({', '.join(t.name for t in selectable_types())}) "
        f"and no plugin "
        f"{EXECUTABLE_PREFIX}{name} in {', '.join(dirs)} "
        "(set CRONIX_PLUGIN_DIR or plugins.dirs in cronix.yaml)"
    )


def safety_problem(path: str) -> str:
    """Why running ``path`` would be unsafe, or ``""`` (the ownership rule is :func:`trust_problem`'s)."""
    resolved = os.path.realpath(path)
    try:
        st = os.stat(resolved)
    except OSError as exc:
        return f"cannot stat {resolved}: {exc.strerror}"
    if not stat.S_ISREG(st.st_mode):
        return f"{resolved} is not a regular file"
    if not os.access(resolved, os.X_OK):
        return f"{resolved} is not executable"
    return trust_problem(path, st)


def _entries(directory: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(Path(directory)) as it:
            return sorted((e for e in it if e.name.startswith(EXECUTABLE_PREFIX)), key=lambda e: e.name)
    except OSError:
        return []
