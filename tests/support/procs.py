"""Starting and stopping real processes for tests (never stubs of someone else's system)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

__all__ = ["free_port", "require_binary", "running", "wait_until"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"condition not met within {timeout}s")


def require_binary(name: str, package: str) -> str:
    """Path of ``name``; fail (not skip) with an install hint when missing.

    ``./run test`` installs every Debian package the suite needs, so a missing binary
    is a broken setup, not a reason to skip.
    """
    path = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}", f"/sbin/{name}") if os.access(p, os.X_OK)), None
    )
    if path is None:
        raise RuntimeError(f"{name} is not installed: run ./run setup (Debian package {package})")
    return path


@contextlib.contextmanager
def running(
    argv: list[str],
    *,
    ready: Callable[[], bool],
    log: Path,
    timeout: float = 15.0,
    env: Mapping[str, str] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` in its own session until the block ends; wait for ``ready`` first.

    ``env`` replaces the environment (pass secrets here, never in ``argv``).
    """
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    try:
        try:
            wait_until(lambda: proc.poll() is not None or ready(), timeout=timeout)
        except TimeoutError:
            raise RuntimeError(
                f"{argv[0]} did not become ready; log:\n{log.read_text(errors='replace')}"
            ) from None
        if proc.poll() is not None:
            raise RuntimeError(
                f"{argv[0]} exited with {proc.returncode}; log:\n{log.read_text(errors='replace')}"
            )
        yield proc
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
