"""The unit directory on disk: cached reads, and a set of unit-file changes applied all or nothing.

Reads: every ``cronix-*.timer`` / ``cronix-*.service`` file, re-read only when its inode,
size or modification time changed, so a no-op apply over 1,000 timers costs one directory
scan and no parsing twice.

Writes (:meth:`UnitDirectory.apply`): each file is replaced atomically (temporary file in
the directory, fsync, rename; :func:`cronix.fileio.write_atomic`), mode 0644, and a file
whose bytes are unchanged is not touched at all. If any write or removal fails, the files
already changed are put back as they were, so a failed apply leaves the directory as it
found it. The ``timers.target.wants/<timer>`` links are what ``systemctl enable`` creates
for ``WantedBy=timers.target``; :meth:`link` and :meth:`unlink` maintain them directly
when the backend writes units without systemctl (``write_units_only``), relative, so they
also hold inside an image root.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

from cronix.errors import BackendError
from cronix.fileio import temp_prefix, write_atomic
from cronix.protocol.ownership import RESOURCE_PREFIX

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["UNIT_FILE_MODE", "WANTS_DIR", "UnitDirectory"]

UNIT_FILE_MODE = 0o644
WANTS_DIR = "timers.target.wants"
_SUFFIXES = (".timer", ".service")


class UnitDirectory:
    """The unit files cronix may own in one directory (names starting with ``cronix-``)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._cache: dict[str, tuple[tuple[int, int, int], bytes]] = {}

    def snapshot(self) -> dict[str, bytes]:
        """File name → content of every ``cronix-*.timer`` and ``cronix-*.service``."""
        out: dict[str, bytes] = {}
        try:
            entries = list(os.scandir(self.path))
        except FileNotFoundError:
            self._cache.clear()
            return out
        except OSError as exc:
            raise BackendError(f"systemd-timer: cannot read {self.path}: {exc.strerror or exc}") from None
        for entry in entries:
            name = entry.name
            if not name.startswith(RESOURCE_PREFIX) or not name.endswith(_SUFFIXES):
                continue
            try:
                st = entry.stat()
                if not entry.is_file():
                    continue
                signature = (st.st_ino, st.st_size, st.st_mtime_ns)
                cached = self._cache.get(name)
                if cached is None or cached[0] != signature:
                    with open(entry.path, "rb") as fh:
                        cached = (signature, fh.read())
                    self._cache[name] = cached
            except FileNotFoundError:
                continue  # removed while we looked
            except OSError as exc:
                raise BackendError(
                    f"systemd-timer: cannot read {entry.path}: {exc.strerror or exc}"
                ) from None
            out[name] = cached[1]
        for gone in set(self._cache) - set(out):
            del self._cache[gone]
        return out

    def read(self, name: str) -> bytes | None:
        """One file of the directory (any name), or ``None`` when it does not exist."""
        try:
            with open(os.path.join(self.path, name), "rb") as fh:
                return fh.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        except OSError as exc:
            raise BackendError(
                f"systemd-timer: cannot read {self.path}/{name}: {exc.strerror or exc}"
            ) from None

    def names(self, suffix: str) -> list[str]:
        """Every regular file in the directory ending in ``suffix`` (any owner), sorted."""
        try:
            return sorted(e.name for e in os.scandir(self.path) if e.name.endswith(suffix) and e.is_file())
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise BackendError(f"systemd-timer: cannot read {self.path}: {exc.strerror or exc}") from None

    def is_linked(self, timer: str) -> bool:
        """Whether ``timers.target.wants/<timer>`` exists (the timer is enabled)."""
        return os.path.lexists(os.path.join(self.path, WANTS_DIR, timer))

    def apply(self, changes: Mapping[str, bytes | None]) -> list[str]:
        """Write (``bytes``) or remove (``None``) files; return the names actually changed.

        All or nothing: on a failure the files changed so far are restored before the
        :class:`~cronix.errors.BackendError` propagates.
        """
        current = {name: self.read(name) for name in changes}
        todo = sorted(name for name, data in changes.items() if data != current[name])
        if not todo:
            return todo
        self._remove_stale_temps()
        done: list[str] = []
        try:
            for name in todo:
                self._put(name, changes[name])
                done.append(name)
        except OSError as exc:
            failed = os.path.join(self.path, todo[len(done)])
            for name in reversed(done):
                with contextlib.suppress(OSError):
                    self._put(name, current[name])
            raise BackendError(
                f"systemd-timer: cannot write {failed}: {exc.strerror or exc}; no unit file was changed"
            ) from None
        with contextlib.suppress(OSError):  # make the renames durable, once for the whole batch
            fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        return todo

    def link(self, timer: str) -> None:
        wants = os.path.join(self.path, WANTS_DIR)
        try:
            os.makedirs(wants, mode=0o755, exist_ok=True)
            if not os.path.lexists(os.path.join(wants, timer)):
                os.symlink(os.path.join("..", timer), os.path.join(wants, timer))
        except OSError as exc:
            raise BackendError(
                f"systemd-timer: cannot enable {timer} in {wants}: {exc.strerror or exc}"
            ) from None

    def unlink(self, timer: str) -> None:
        link = os.path.join(self.path, WANTS_DIR, timer)
        if os.path.islink(link):
            try:
                os.unlink(link)
            except OSError as exc:
                raise BackendError(f"systemd-timer: cannot remove {link}: {exc.strerror or exc}") from None

    def _put(self, name: str, data: bytes | None) -> None:
        path = os.path.join(self.path, name)
        if data is None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        else:
            write_atomic(path, data, mode=UNIT_FILE_MODE, keep_mode_and_owner=True)
        self._cache.pop(name, None)

    def _remove_stale_temps(self) -> None:
        """Temporary files a killed apply left (the caller holds the apply lock)."""
        prefix, marker = f".{RESOURCE_PREFIX}", temp_prefix("x")[2:]
        with contextlib.suppress(OSError):
            for name in os.listdir(self.path):
                if name.startswith(prefix) and marker in name:
                    with contextlib.suppress(OSError):
                        os.unlink(os.path.join(self.path, name))
