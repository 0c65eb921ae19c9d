"""Commands in a private mount namespace: real read-only directories and private system paths.

``unshare --mount --propagation private`` gives a child its own view of the file system:
bind mounts made there are invisible to the rest of the machine and vanish with the last
process in the namespace. Tests use it for two things nothing else gives them honestly:

* a directory that is read-only even for root (a read-only bind mount; permission bits do
  not stop root, ``EROFS`` does) — :func:`run_with_read_only`;
* a cron daemon whose ``/etc/cron.d`` and ``/run`` are temporary directories, so a test
  never writes to the host's ``/etc/cron.d`` — :func:`private_paths_argv` — and whose
  ``/usr/sbin`` has one more program, the test's ``sendmail`` (an overlay of a test
  directory on the real one: ``overlays``).

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

# Bind-mount each "SRC DST" pair given as arguments, read-only when SRC is "-ro"; with
# "-overlay UPPER:WORK DST", lay the directory UPPER over DST (DST's own files stay visible);
# then exec the rest. Written for sh so no helper has to be installed.
_SCRIPT = r"""
set -e
while [ "$1" != "--" ]; do
  if [ "$1" = "-ro" ]; then
    mount --bind "$2" "$2"; mount -o remount,bind,ro "$2"; shift 2
  elif [ "$1" = "-overlay" ]; then
    mount -t overlay overlay -o "lowerdir=$3,upperdir=${2%%:*},workdir=${2#*:}" "$3"; shift 3
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


def _argv(pairs: Sequence[tuple[str, ...]], argv: Sequence[str]) -> list[str]:
    flat = [x for pair in pairs for x in pair]
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", _SCRIPT, "sh", *flat, "--", *argv]


def private_paths_argv(
    binds: Mapping[str, str | os.PathLike[str]],
    argv: Sequence[str],
    *,
    overlays: Mapping[str, Path] | None = None,
) -> list[str]:
    """``argv`` run with each system path (key) replaced by a directory of the test (value).

    ``overlays`` maps a system directory to a test directory whose files are added to it
    (``<dir>/upper``, with ``<dir>/work`` beside it for the kernel; both are created).
    """
    pairs: list[tuple[str, ...]] = [(str(src), dst) for dst, src in binds.items()]
    for dst, layer in (overlays or {}).items():
        (layer / "upper").mkdir(parents=True, exist_ok=True)
        (layer / "work").mkdir(parents=True, exist_ok=True)
        pairs.append(("-overlay", f"{layer / 'upper'}:{layer / 'work'}", dst))
    return _argv(pairs, argv)


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
