"""Run a real command on a real pseudo-terminal, as an operator at a shell would."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import termios
from collections.abc import Mapping, Sequence

__all__ = ["run_on_pty", "run_with_terminal"]


def run_on_pty(
    argv: Sequence[str],
    *,
    answer: bytes = b"",
    env: Mapping[str, str] | None = None,
    columns: int | None = None,
    timeout: float = 60,
) -> tuple[int, str]:
    """stdin, stdout and stderr on one pty (``columns`` wide, if given); ``answer`` is typed in.

    Returns the exit code and everything the terminal showed. ``COLUMNS``/``LINES`` are
    dropped from the environment so the program measures the terminal itself.
    """
    rc, _, shown = run_with_terminal(argv, answer=answer, env=env, columns=columns, timeout=timeout)
    return rc, shown


def run_with_terminal(
    argv: Sequence[str],
    *,
    answer: bytes = b"",
    env: Mapping[str, str] | None = None,
    columns: int | None = None,
    timeout: float = 60,
    stdout_to_pipe: bool = False,
) -> tuple[int, str, str]:
    """As :func:`run_on_pty`; with ``stdout_to_pipe`` stdout is a pipe instead (as under ``| less``).

    Returns ``(exit code, stdout read from the pipe or "", what the terminal showed)``.
    """
    master, slave = pty.openpty()
    if columns is not None:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    full = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    stdout: int = subprocess.PIPE if stdout_to_pipe else slave
    proc = subprocess.Popen(list(argv), stdin=slave, stdout=stdout, stderr=slave, env={**full, **(env or {})})
    os.close(slave)
    if answer:
        os.write(master, answer)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    out = ""
    if proc.stdout is not None:
        with proc.stdout:
            out = proc.stdout.read().decode()
    rc = proc.wait(timeout=timeout)
    os.close(master)
    return rc, out, seen.decode(errors="replace")
