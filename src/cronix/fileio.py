"""Files written so a reader never sees half of one, and files read so they cannot hurt the reader.

Every file cronix writes for someone else to read — a crontab the cron daemon picks up,
trigger spec files, a plugin's state, the per-job success time, a lock's holder sidecar,
cronix.yaml after ``plugins pin --write`` — goes through :func:`write_atomic`, so a crash
or a ``kill -9`` at any moment leaves either the old file or the new one.

Files cronix reads that someone else may have put there go through :func:`read_regular`:
a FIFO, a device or a symlink to ``/dev/zero`` is refused, never read (a FIFO would block
the reader forever, ``/dev/zero`` would fill its memory), and a file over the caller's
cap is refused. :func:`trust_problem` is the one rule for a file whose *contents* decide
what cronix does with the operator's authority — a plugin executable it runs, a trigger
spec file it signs and sends: nobody but root and the current user may be able to write
the file or swap it in its directory.

Standard library only and no ``tempfile`` (which imports ``shutil`` and its compression
modules): ``cronix trigger`` writes through this on every fire.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat

__all__ = [
    "FileRefused",
    "read_regular",
    "remove_stale_temps",
    "temp_prefix",
    "trust_problem",
    "write_atomic",
]


class FileRefused(OSError):
    """A file :func:`read_regular` will not read; ``strerror`` says why (``not a regular file`` …)."""

    def __init__(self, reason: str) -> None:
        super().__init__(errno.EINVAL, reason)


def read_regular(path: str, max_bytes: int, *, follow_symlinks: bool = True) -> tuple[bytes, os.stat_result]:
    """The contents of the regular file ``path`` and its status; :class:`OSError` otherwise.

    Opened non-blocking, so a FIFO cannot stall the caller, and checked with ``fstat`` on
    the open descriptor (what is read is what was checked). More than ``max_bytes`` is
    :class:`FileRefused` without reading the rest; so is anything but a regular file, and
    with ``follow_symlinks=False`` a symlink (``ELOOP``, raised by ``open``).
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow_symlinks else os.O_NOFOLLOW)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused("not a regular file")
        if st.st_size > max_bytes:
            raise FileRefused(f"larger than {max_bytes} bytes")
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, min(1 << 20, max_bytes + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:  # it grew while we read
                raise FileRefused(f"larger than {max_bytes} bytes")
        return b"".join(chunks), st
    finally:
        os.close(fd)


def trust_problem(path: str, st: os.stat_result) -> str:
    """Why someone other than root and the current user could have written ``path``, or ``""``.

    ``st`` is the status of the file itself (after symlinks: ``fstat`` of the open file).
    It must not be group- or world-writable and must be owned by root or the current
    user; the directory of ``path`` and that of the file the links resolve to must not be
    group- or world-writable either (else anyone could replace the file), unless they sit
    on a read-only mount, which nobody can change through it (a Kubernetes ConfigMap
    volume is mode 0777 and mounted read-only).
    """
    resolved = os.path.realpath(path)
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"{resolved} is group- or world-writable (mode {stat.S_IMODE(st.st_mode):04o})"
    if st.st_uid not in (0, os.geteuid()):
        return f"{resolved} is owned by uid {st.st_uid}, not by root or the current user"
    for directory in dict.fromkeys((os.path.dirname(os.path.abspath(path)), os.path.dirname(resolved))):
        try:
            dst = os.stat(directory)
        except OSError as exc:
            return f"cannot stat {directory}: {exc.strerror}"
        if dst.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not _read_only_mount(directory):
            mode = stat.S_IMODE(dst.st_mode)
            return f"it is in {directory}, which is group- or world-writable (mode {mode:04o})"
    return ""


def _read_only_mount(directory: str) -> bool:
    try:
        return bool(os.statvfs(directory).f_flag & os.ST_RDONLY)
    except OSError:
        return False


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
