"""Where a crontab lives and how it is replaced: a file, or a user's crontab via ``crontab(1)``.

File targets are replaced atomically: the new content goes to a temporary file in the same
directory (its name starts with a dot, so Debian's cron ignores it in ``/etc/cron.d``),
which is given the old file's mode and owner (0644 root for a new file, the mode a cron
daemon accepts), fsynced, and renamed over the target; then the directory is fsynced. A
``kill -9`` at any point leaves either the old or the new file; a temporary file left by
such a kill is removed by the next write. A symlinked path (``/etc/cron.d/cronix →
/srv/cron/cronix``, the way some operators keep such files in one place) is written
through: the replacement happens atomically at the link's final target, in the target's
directory, and the link stays a link (``spec/DECISIONS.md`` D-154).

A user's crontab is read with ``crontab -l -u USER`` and installed with
``crontab -u USER -``, which validates the syntax and signals the daemon itself.
"""

from __future__ import annotations

import errno
import os
import subprocess
from dataclasses import dataclass
from typing import Protocol

from cronix.errors import BackendError
from cronix.fileio import remove_stale_temps, write_atomic

__all__ = ["CrontabCommandTarget", "FileTarget", "Target"]

NEW_FILE_MODE = 0o644


class Target(Protocol):
    def describe(self) -> str: ...

    def read(self) -> bytes: ...

    def write(self, data: bytes) -> None: ...


@dataclass(frozen=True, slots=True)
class FileTarget:
    path: str

    def describe(self) -> str:
        return self.path

    def read(self) -> bytes:
        try:
            with open(self.path, "rb") as fh:
                return fh.read()
        except FileNotFoundError:
            return b""
        except OSError as exc:
            raise BackendError(f"crontab: cannot read {self.path}: {exc.strerror or exc}") from None

    def write_path(self) -> str:
        """The file a write replaces: the final target when ``path`` is a symlink, else ``path``.

        A dangling link names the file to create; a link loop is an error.
        """
        if not os.path.islink(self.path):
            return self.path
        try:
            return os.path.realpath(self.path, strict=True)
        except FileNotFoundError:
            return os.path.realpath(self.path)
        except OSError as exc:
            reason = "a symlink loop" if exc.errno == errno.ELOOP else (exc.strerror or str(exc))
            raise BackendError(f"crontab: cannot resolve {self.path}: {reason}") from None

    def write(self, data: bytes) -> None:
        path = self.write_path()
        try:
            remove_stale_temps(path)  # left by a killed apply; the caller holds the apply lock
            write_atomic(path, data, mode=NEW_FILE_MODE, keep_mode_and_owner=True, sync_directory=True)
        except OSError as exc:
            shown = self.path if path == self.path else f"{self.path} (→ {path})"
            raise BackendError(f"crontab: cannot write {shown}: {exc.strerror or exc}") from None


@dataclass(frozen=True, slots=True)
class CrontabCommandTarget:
    user: str
    command: str = "crontab"

    def describe(self) -> str:
        return f"crontab of user {self.user}"

    def read(self) -> bytes:
        proc = self._run(["-l", "-u", self.user], None)
        if proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip()
            if "no crontab for" in message:
                return b""
            raise BackendError(f"crontab: crontab -l -u {self.user} failed: {_one_line(message)}")
        return proc.stdout

    def write(self, data: bytes) -> None:
        proc = self._run(["-u", self.user, "-"], data)
        if proc.returncode != 0:
            message = _one_line(proc.stderr.decode("utf-8", "replace"))
            raise BackendError(f"crontab: crontab -u {self.user} - refused the new crontab: {message}")

    def _run(self, args: list[str], stdin: bytes | None) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(
                [self.command, *args], input=stdin, capture_output=True, timeout=60, check=False
            )
        except FileNotFoundError:
            raise BackendError(
                f"crontab: {self.command} not found "
                "(install the cron package, or set backends.crontab.crontab_command)"
            ) from None
        except subprocess.TimeoutExpired:
            raise BackendError(f"crontab: {self.command} did not finish within 60 s") from None


def _one_line(text: str) -> str:
    return " / ".join(line.strip() for line in text.strip().splitlines() if line.strip()) or "no message"
