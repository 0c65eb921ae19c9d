"""Commands in a private mount namespace: real read-only directories and private system paths.

``unshare --mount --propagation private`` gives a child its own view of the file system:
bind mounts made there are invisible to the rest of the machine and vanish with the last
process in the namespace. Tests use it for two things nothing else gives them honestly:

* a directory that is read-only even for root (a read-only bind mount; permission bits do
  not stop root, ``EROFS`` does) — :func:`run_with_read_only`;
* a cron daemon whose ``/etc/cron.d`` and ``/run`` are temporary directories, so a test
  never writes to the host's ``/etc/cron.d`` — :func:`private_paths_argv`.

Where mount namespaces are not permitted (no root, no user namespaces), the callers skip
with :data:`UNAVAILABLE` as the reason.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["UNAVAILABLE", "mount_namespaces_usable", "private_paths_argv", "run_with_read_only"]

UNAVAILABLE = "needs `unshare --mount` (root, or user namespaces) for private bind mounts"

# Bind-mount each "SRC DST" pair given as arguments, read-only when SRC is "-ro", then exec
# the rest. Written for sh so no helper has to be installed.
_SCRIPT = r"""
set -e
while [ "$1" != "--" ]; do
  if [ "$1" = "-ro" ]; then
    mount --bind "$2" "$2"; mount -o remount,bind,ro "$2"; shift 2
  else
    mount --bind "$1" "$2"; shift 2
  fi
done
shift
exec "$@"
"""


@functools.cache
def mount_namespaces_usable() -> bool:
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    probe = subprocess.run(
        [unshare, "--mount", "--propagation", "private", "sh", "-c", "mount --bind / /"],
        capture_output=True,
        timeout=10,
        check=False,
    )
    return probe.returncode == 0


def _argv(pairs: Sequence[tuple[str, str]], argv: Sequence[str]) -> list[str]:
    flat = [x for pair in pairs for x in pair]
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", _SCRIPT, "sh", *flat, "--", *argv]


def private_paths_argv(binds: Mapping[str, str | os.PathLike[str]], argv: Sequence[str]) -> list[str]:
    """``argv`` run with each system path (key) replaced by a directory of the test (value)."""
    return _argv([(str(src), dst) for dst, src in binds.items()], argv)


def run_with_read_only(
    directories: Sequence[Path],
    argv: Sequence[str],
    *,
    timeout: float = 60,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` where ``directories`` (and everything under them) are read-only, even for root."""
    pairs = [("-ro", str(d)) for d in directories]
    return subprocess.run(
        _argv(pairs, argv),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=dict(os.environ if env is None else env),
    )
