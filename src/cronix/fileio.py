"""Writing files so that a reader never sees half of one: temp file in the same directory, then rename.

Every file cronix writes for someone else to read — a crontab the cron daemon picks up,
trigger spec files, a plugin's state, the per-job success time, a lock's holder sidecar,
cronix.yaml after ``plugins pin --write`` — goes through :func:`write_atomic`, so a crash
or a ``kill -9`` at any moment leaves either the old file or the new one.

Standard library only and no ``tempfile`` (which imports ``shutil`` and its compression
modules): ``cronix trigger`` writes through this on every fire.
"""

from __future__ import annotations

import contextlib
import os

__all__ = ["remove_stale_temps", "temp_prefix", "write_atomic"]


def temp_prefix(path: str) -> str:
    """The name prefix of :func:`write_atomic`'s temporary files for ``path``."""
    return f".{os.path.basename(path)}.cronix-tmp-"


def write_atomic(
    path: str,
    data: bytes,
    *,
    mode: int = 0o644,
    keep_mode_and_owner: bool = False,
    fsync: bool = True,
    sync_directory: bool = False,
) -> None:
    """Replace ``path`` with ``data`` atomically; raise :class:`OSError` on failure.

    ``mode`` is the new file's mode — or, with ``keep_mode_and_owner``, the mode of a file
    that does not exist yet (an existing file keeps its mode and owner). ``fsync`` makes
    the data durable before the rename; ``sync_directory`` also makes the rename durable.
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, mode=0o755, exist_ok=True)
    st: os.stat_result | None = None
    if keep_mode_and_owner:
        with contextlib.suppress(FileNotFoundError):
            st = os.stat(path)
    tmp = os.path.join(directory, f"{temp_prefix(path)}{os.getpid()}-{os.urandom(4).hex()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, (st.st_mode & 0o7777) if st is not None else mode)
            if st is not None and (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
                os.fchown(fd, st.st_uid, st.st_gid)
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if sync_directory:
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def remove_stale_temps(path: str) -> None:
    """Delete temporary files an earlier, killed :func:`write_atomic` of ``path`` left behind.

    Only safe while holding whatever lock serializes writers of ``path``.
    """
    directory = os.path.dirname(os.path.abspath(path))
    prefix = temp_prefix(path)
    with contextlib.suppress(OSError):
        for name in os.listdir(directory):
            if name.startswith(prefix):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(directory, name))
