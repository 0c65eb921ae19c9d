"""Where a crontab lives and how it is replaced: a file, or a user's crontab via ``crontab(1)``.

File targets are replaced atomically: the new content goes to a temporary file in the same
directory (its name starts with a dot, so Debian's cron ignores it in ``/etc/cron.d``),
which is given the old file's mode and owner (0644 root for a new file, the mode a cron
daemon accepts), fsynced, and renamed over the target; then the directory is fsynced. A
``kill -9`` at any point leaves either the old or the new file; a temporary file left by
such a kill is removed by the next write.

A user's crontab is read with ``crontab -l -u USER`` and installed with
``crontab -u USER -``, which validates the syntax and signals the daemon itself.
"""

from __future__ import annotations

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

    def write(self, data: bytes) -> None:
        try:
            remove_stale_temps(self.path)  # left by a killed apply; the caller holds the apply lock
            write_atomic(self.path, data, mode=NEW_FILE_MODE, keep_mode_and_owner=True, sync_directory=True)
        except OSError as exc:
            raise BackendError(f"crontab: cannot write {self.path}: {exc.strerror or exc}") from None


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
