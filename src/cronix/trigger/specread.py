"""Reading the spec file a fire acts on — only a regular file, capped, that nobody else could write.

A spec file decides what the trigger signs with the operator's secret and where it sends
it, so it gets the rule plugin executables get (:func:`cronix.fileio.trust_problem`, issue
16 item 4): the file (after symlinks, which a Kubernetes ConfigMap volume uses) must be
owned by root or the user the trigger runs as and not be group- or world-writable, and
neither its directory nor the resolved file's may be group- or world-writable (unless
mounted read-only). It is read with :func:`cronix.fileio.read_regular` (issue 16 item 10):
a FIFO never blocks the fire and a link to ``/dev/zero`` never fills its memory. Every
refusal is one message; the fire ends with exit 3 and records it in the run log.
"""

from __future__ import annotations

import errno

from cronix.fileio import FileRefused, read_regular, trust_problem
from cronix.protocol.specfile import MAX_SPEC_BYTES, SpecFile, SpecFileError, parse_spec_file

__all__ = ["SpecUnusable", "read_spec_file"]


class SpecUnusable(Exception):
    """The spec file cannot be fired; the message says why and what to do."""


def read_spec_file(path: str) -> SpecFile:
    """The parsed spec at ``path``; :class:`SpecUnusable` when it is missing, unsafe or malformed."""
    try:
        data, st = read_regular(path, MAX_SPEC_BYTES)
    except FileNotFoundError:
        raise SpecUnusable(f"spec {path} does not exist (run cronix apply, or check --spec-dir)") from None
    except FileRefused as exc:
        raise SpecUnusable(f"spec {path} is refused: {exc.strerror}") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SpecUnusable(f"spec {path} is a symlink loop") from None
        raise SpecUnusable(f"read spec {path}: {exc.strerror or exc}") from None
    problem = trust_problem(path, st)
    if problem:
        raise SpecUnusable(
            f"spec {path} is refused: {problem}; only root or the user the trigger runs as may be able "
            "to write a spec file or replace it in its directory (chmod go-w)"
        )
    try:
        return parse_spec_file(data)
    except SpecFileError as exc:
        raise SpecUnusable(f"spec {path}: {exc}") from None
