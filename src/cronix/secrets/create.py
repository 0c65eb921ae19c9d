"""Create a new secret file for ``file:`` refs: random, 0600, never shown.

``cronix init --create-secret-file /etc/cronix/secret`` gives an operator the ref that
works wherever a fire runs — cron and systemd start ``cronix trigger`` with an
environment of their own, where ``env:CRON_SECRET`` is unset (issue 14 item 1). The file
holds 32 random bytes as 64 hex digits and a newline (``file:`` refs strip it); it is
created with ``O_EXCL``, so an existing secret — which apps and spec files already use —
is never replaced, and ``O_NOFOLLOW``, so a planted symlink cannot redirect the write.
The value never leaves this module: nothing prints it.
"""

from __future__ import annotations

import os
import secrets

__all__ = ["SECRET_FILE_BYTES", "create_secret_file"]

#: Random bytes in a created secret (written as twice as many hex digits).
SECRET_FILE_BYTES = 32


def create_secret_file(path: str) -> None:
    """Write a new random secret to ``path`` (mode 0600); ``FileExistsError`` if it exists.

    The parent directory is created (0700) when missing. The file is fsynced before this
    returns, so a config that names it never points at an empty file after a crash.
    """
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, (secrets.token_hex(SECRET_FILE_BYTES) + "\n").encode("ascii"))
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(path)
        raise
    os.close(fd)
