"""A real systemd booted in a container (``systemd-nspawn -b``) on a throwaway copy of a cached rootfs.

Never boots systemd on the host's own root. The rootfs is the tarball ``./run rootfs``
builds once with debootstrap and caches under ``.cache/`` (``$CRONIX_ROOTFS`` when
``./run test`` has it ready); each container unpacks a fresh copy into a temporary
directory, shares the host's loopback (no private network, so a test server on
127.0.0.1 is reachable), and is stopped, with its cgroups and nspawn's runtime files
removed, even when the test fails.

The image has no D-Bus (systemctl reaches PID 1 over its private socket); logind, which
needs D-Bus, is masked so the system reaches ``running``. Commands run inside with
``nsenter -t <PID 1> -a``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.support.procs import require_binary, wait_until

__all__ = ["Container", "booted_container", "rootfs_tarball"]

REPO = Path(__file__).resolve().parents[2]


def rootfs_tarball() -> Path:
    """The cached rootfs: ``$CRONIX_ROOTFS``, else whatever ``./run rootfs`` builds or finds."""
    given = os.environ.get("CRONIX_ROOTFS")
    if given and Path(given).is_file():
        return Path(given)
    proc = subprocess.run(
        [str(REPO / "run"), "rootfs"], capture_output=True, text=True, timeout=900, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"./run rootfs failed:\n{proc.stderr[-2000:]}")
    return Path(proc.stdout.strip().splitlines()[-1])


@dataclass
class Container:
    root: Path
    machine: str
    nspawn: subprocess.Popen[bytes]
    pid1: int

    @property
    def nsenter(self) -> list[str]:
        return [require_binary("nsenter", "util-linux"), "-t", str(self.pid1), "-a"]

    def run(self, *argv: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [*self.nsenter, *argv], capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} in {self.machine} failed: {proc.stdout}{proc.stderr}")
        return proc

    def path(self, inside: str) -> Path:
        """The host path of ``inside`` (an absolute path in the container)."""
        return self.root / inside.lstrip("/")


def _cgroup_roots() -> list[Path]:
    base = Path("/sys/fs/cgroup")
    hybrid = [base / "unified", base / "systemd"]
    if all((p / "cgroup.procs").exists() for p in hybrid):
        return hybrid
    return [base] if (base / "cgroup.controllers").exists() else []


def _pid1(nspawn: int) -> int | None:
    """The container's PID 1: nspawn's child once it runs systemd (earlier children are helpers)."""
    try:
        children = Path(f"/proc/{nspawn}/task/{nspawn}/children").read_text().split()
        for child in children:
            if Path(f"/proc/{child}/comm").read_text().strip() == "systemd":
                return int(child)
    except OSError:
        pass
    return None


@contextlib.contextmanager
def booted_container(tmp: Path, binds: Sequence[Path] = (), timeout: float = 60) -> Iterator[Container]:
    """Unpack the rootfs under ``tmp``, boot it, yield it running; stop and clean up afterwards.

    ``binds`` are host directories mounted read-only at the same path inside.
    """
    nspawn_bin = require_binary("systemd-nspawn", "systemd-container")
    root = tmp / "rootfs"
    root.mkdir()
    subprocess.run(
        ["tar", "--numeric-owner", "-C", str(root), "-I", "zstd", "-xf", str(rootfs_tarball())], check=True
    )
    (root / "etc/systemd/system/systemd-logind.service").symlink_to("/dev/null")
    machine = f"cx-{secrets.token_hex(4)}"
    # A cgroup of its own per container, so parallel containers (other test sessions)
    # never share nspawn's payload/supervisor groups, and cleanup removes only ours.
    groups = [r / machine for r in _cgroup_roots()]
    for group in groups:
        group.mkdir()

    enter = 'for g in $CX_GROUPS; do echo $$ > "$g/cgroup.procs" || exit 125; done; exec "$@"'
    argv = [
        "/bin/sh", "-c", enter, "sh", nspawn_bin, "-D", str(root), "-b", "--register=no", "--keep-unit", "--console=passive", "-M", machine,
        *(f"--bind-ro={b}" for b in binds),
    ]  # fmt: skip
    log = tmp / "nspawn.log"
    with log.open("wb") as out:
        nspawn = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "CX_GROUPS": " ".join(map(str, groups))},
        )
    try:
        wait_until(lambda: nspawn.poll() is not None or _pid1(nspawn.pid) is not None, timeout=timeout)
        pid1 = _pid1(nspawn.pid)
        if pid1 is None:
            raise RuntimeError(
                f"systemd-nspawn exited with {nspawn.returncode}:\n{log.read_text(errors='replace')}"
            )
        box = Container(root, machine, nspawn, pid1)

        def running() -> bool:
            state = box.run("systemctl", "is-system-running", check=False).stdout.strip()
            return state in ("running", "degraded")

        try:
            wait_until(running, timeout=timeout, interval=0.1)
        except TimeoutError:
            state = box.run("systemctl", "list-jobs", "--no-pager", check=False).stdout
            raise RuntimeError(
                f"{machine} did not finish booting:\n{state}\n{log.read_text(errors='replace')}"
            ) from None
        yield box
    finally:
        _stop(nspawn)
        for group in groups:
            _remove_cgroup(group)
        with contextlib.suppress(OSError):
            shutil.rmtree(f"/run/systemd/nspawn/propagate/{machine}")
        shutil.rmtree(root, ignore_errors=True)


def _stop(nspawn: subprocess.Popen[bytes]) -> None:
    """A clean poweroff (SIGTERM to nspawn), then SIGKILL to its process group if it hangs."""
    if nspawn.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            nspawn.send_signal(signal.SIGTERM)
        try:
            nspawn.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(nspawn.pid, signal.SIGKILL)
            nspawn.wait(timeout=10)


def _remove_cgroup(group: Path) -> None:
    """Remove ``group`` depth-first once no process is left in it."""
    deadline = time.monotonic() + 10
    while group.exists() and time.monotonic() < deadline:
        dirs = sorted((p for p in group.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True)
        for d in [*dirs, group]:
            with contextlib.suppress(OSError):
                d.rmdir()
        if group.exists():
            time.sleep(0.1)
