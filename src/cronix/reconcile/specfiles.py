"""Trigger spec files (``<spec-dir>/<app>.<job>.json``): what ``cronix trigger`` reads at fire time.

Written after a successful apply for every job of the manifest on host-local backends,
rendered by :func:`cronix.protocol.specfile.render_spec_file` (the reference's shape, byte
for byte). Policy (``spec/DECISIONS.md`` D-108): a file is written only when its content
changes, atomically (temporary file, fsync, rename), mode 0640; files of deleted jobs are
removed. ``secret_refs`` holds the operator's references, never secret values.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cronix.errors import ApplyError
from cronix.fileio import write_atomic
from cronix.protocol.specfile import render_spec_file, spec_file_name

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cronix.protocol.manifest import Job

__all__ = ["SPEC_FILE_MODE", "SpecSync", "sync_spec_files"]

SPEC_FILE_MODE = 0o640


@dataclass(slots=True)
class SpecSync:
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)


def sync_spec_files(
    spec_dir: str,
    app: str,
    jobs: Sequence[Job],
    removed_jobs: Sequence[str],
    secret_refs: Sequence[str] | None,
) -> SpecSync:
    out = SpecSync()
    try:
        os.makedirs(spec_dir, mode=0o755, exist_ok=True)
        for job in jobs:
            path = os.path.join(spec_dir, spec_file_name(app, job.name))
            data = render_spec_file(app, job, secret_refs).encode("utf-8")
            if _unchanged(path, data):
                out.unchanged += 1
                continue
            _write_atomic(path, data)
            out.written.append(path)
        for name in removed_jobs:
            path = os.path.join(spec_dir, spec_file_name(app, name))
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
                out.removed.append(path)
    except OSError as exc:
        where = getattr(exc, "filename", None) or spec_dir
        raise ApplyError(
            f"the backend was updated but the trigger spec files in {spec_dir} were not: {where}: "
            f"{exc.strerror or exc} (fix and run apply again)"
        ) from None
    return out


def _unchanged(path: str, data: bytes) -> bool:
    try:
        st = os.stat(path)
        if st.st_size != len(data) or st.st_mode & 0o777 != SPEC_FILE_MODE:
            return False
        with open(path, "rb") as fh:
            return fh.read() == data
    except OSError:
        return False


def _write_atomic(path: str, data: bytes) -> None:
    write_atomic(path, data, mode=SPEC_FILE_MODE)
