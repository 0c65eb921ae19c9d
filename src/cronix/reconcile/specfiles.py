"""Trigger spec files (``<spec-dir>/<app>.<job>.json``): what ``cronix trigger`` reads at fire time.

They are applied state, like the scheduler's entries, so this module both writes them and
reads them back for drift (``spec/DECISIONS.md`` D-109, D-156):

* **Rendering** is :func:`cronix.protocol.specfile.render_spec_file` (the reference's shape,
  byte for byte). ``secret_refs`` holds the operator's references, never secret values.
* **Writing** (:class:`SpecWrite`): only files whose bytes (or mode 0640) differ,
  atomically; the previous content of each is kept until the apply is done, so a failed
  scheduler write puts them back (:meth:`SpecWrite.rollback`). Apply writes them *before*
  the entries that read them and removes those of deleted jobs only *after* the entries
  are gone, so at no moment — a ``kill -9`` included — does an entry exist whose spec file
  does not.
* **Reading back** (:func:`read_spec`, :func:`spec_state`, :func:`left_over_jobs`): regular
  files only (no symlink, FIFO or device is opened, so a FIFO cannot block a plan), at
  most :data:`MAX_SPEC_BYTES`; a file is in sync when its bytes are exactly what apply
  would write now.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cronix.errors import ApplyError
from cronix.fileio import FileRefused, read_regular, write_atomic
from cronix.protocol.specfile import (
    MAX_SPEC_BYTES,
    SpecFile,
    SpecFileError,
    parse_spec_file,
    render_spec_file,
    spec_file_name,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from cronix.protocol.manifest import Job

__all__ = [
    "MAX_SPEC_BYTES",
    "SPEC_FILE_MODE",
    "SpecRead",
    "SpecSync",
    "SpecWrite",
    "left_over_jobs",
    "read_spec",
    "read_spec_path",
    "remove_spec_files",
    "spec_dir_problem",
    "spec_state",
    "sync_spec_files",
]

SPEC_FILE_MODE = 0o640
_JOB_NAME = re.compile(r"[a-z][a-z0-9-]{0,62}")


@dataclass(slots=True)
class SpecSync:
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SpecRead:
    """One spec file as found: ``data`` when it is a readable regular file, else ``problem``."""

    path: str
    data: bytes | None = None
    problem: str = ""

    @property
    def missing(self) -> bool:
        return self.data is None and self.problem == "missing"

    def parsed(self) -> SpecFile | None:
        if self.data is None:
            return None
        try:
            return parse_spec_file(self.data)
        except SpecFileError:
            return None


def read_spec(spec_dir: str, app: str, job: str) -> SpecRead:
    """Read ``<spec_dir>/<app>.<job>.json`` without following a link or blocking on a FIFO."""
    return read_spec_path(os.path.join(spec_dir, spec_file_name(app, job)))


def read_spec_path(path: str) -> SpecRead:
    """:func:`read_spec` for a path."""
    try:
        data, st = read_regular(path, MAX_SPEC_BYTES, follow_symlinks=False)
    except FileNotFoundError:
        return SpecRead(path, problem="missing")
    except FileRefused as exc:
        return SpecRead(path, problem=f"is {exc.strerror}")
    except OSError as exc:
        reason = "is a symlink" if exc.errno == errno.ELOOP else f"cannot be read: {exc.strerror or exc}"
        return SpecRead(path, problem=reason)
    if stat.S_IMODE(st.st_mode) != SPEC_FILE_MODE:
        return SpecRead(path, data, f"has mode {stat.S_IMODE(st.st_mode):04o}, not {SPEC_FILE_MODE:04o}")
    return SpecRead(path, data)


def expected_spec(app: str, job: Job, secret_refs: Sequence[str] | None) -> bytes:
    return render_spec_file(app, job, secret_refs).encode("utf-8")


def spec_state(spec_dir: str, app: str, job: Job, secret_refs: Sequence[str] | None) -> str:
    """``""`` when the file is what apply would write now; otherwise what is wrong with it."""
    found = read_spec(spec_dir, app, job.name)
    if found.problem:
        return f"trigger spec file {found.problem}"
    if found.data != expected_spec(app, job, secret_refs):
        return "trigger spec file differs from what apply writes"
    return ""


def left_over_jobs(spec_dir: str, app: str, keep: Iterable[str]) -> list[str]:
    """Jobs of ``app`` that have a spec file in ``spec_dir`` but are not in ``keep`` (sorted)."""
    try:
        names = os.listdir(spec_dir)
    except OSError:
        return []
    prefix, keep_set = f"{app}.", set(keep)
    out = []
    for name in names:
        if name.startswith(prefix) and name.endswith(".json"):
            job = name[len(prefix) : -len(".json")]
            if _JOB_NAME.fullmatch(job) and job not in keep_set:
                out.append(job)
    return sorted(out)


def spec_dir_problem(spec_dir: str) -> str | None:
    """Why spec files could not be written or removed in ``spec_dir`` (``None``: they can)."""
    probe = os.path.abspath(spec_dir)
    while not os.path.isdir(probe):
        parent = os.path.dirname(probe)
        if parent == probe or (os.path.lexists(probe) and not os.path.isdir(probe)):
            return f"{probe} is not a directory"
        probe = parent
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"{probe} is not writable by this user"
    return None


class SpecWrite:
    """Spec files written for one apply, with what they replaced (for :meth:`rollback`)."""

    def __init__(self, spec_dir: str) -> None:
        self.spec_dir = spec_dir
        self.sync = SpecSync()
        self._previous: list[tuple[str, str, bytes | None]] = []  # (job, path, what it replaced)

    def write(self, app: str, jobs: Sequence[Job], secret_refs: Sequence[str] | None) -> None:
        try:
            os.makedirs(self.spec_dir, mode=0o755, exist_ok=True)
            for job in jobs:
                found = read_spec(self.spec_dir, app, job.name)
                data = expected_spec(app, job, secret_refs)
                if found.data == data and not found.problem:
                    self.sync.unchanged += 1
                    continue
                # A symlink, FIFO or device where the file belongs is replaced (the rename
                # replaces the name), never followed.
                self._previous.append((job.name, found.path, found.data))
                write_atomic(found.path, data, mode=SPEC_FILE_MODE)
                self.sync.written.append(found.path)
        except OSError as exc:
            self.rollback()
            raise _failed(self.spec_dir, exc, "nothing was changed") from None

    def rollback(self, keep: Iterable[str] = ()) -> None:
        """Put back what :meth:`write` replaced, except for the jobs in ``keep`` (whose entries
        were changed before a failure). Best effort: the apply is failing anyway."""
        spared = set(keep)
        for job, path, data in reversed(self._previous):
            if job in spared:
                continue
            with contextlib.suppress(OSError):
                if data is None:
                    os.unlink(path)
                else:
                    write_atomic(path, data, mode=SPEC_FILE_MODE)
                self.sync.written.remove(path)
        self._previous = [p for p in self._previous if p[0] in spared]


def remove_spec_files(spec_dir: str, app: str, jobs: Iterable[str], sync: SpecSync | None = None) -> SpecSync:
    """Remove the spec files of ``jobs`` (after their entries are gone)."""
    out = sync or SpecSync()
    try:
        for name in jobs:
            path = os.path.join(spec_dir, spec_file_name(app, name))
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
                out.removed.append(path)
    except OSError as exc:
        raise _failed(spec_dir, exc, "the backend was updated; fix and run apply again") from None
    return out


def sync_spec_files(
    spec_dir: str,
    app: str,
    jobs: Sequence[Job],
    removed_jobs: Sequence[str],
    secret_refs: Sequence[str] | None,
) -> SpecSync:
    """Write the spec files of ``jobs`` and remove those of ``removed_jobs`` (adopt, prune)."""
    writer = SpecWrite(spec_dir)
    writer.write(app, jobs, secret_refs)
    return remove_spec_files(spec_dir, app, removed_jobs, writer.sync)


def _failed(spec_dir: str, exc: OSError, what: str) -> ApplyError:
    where = getattr(exc, "filename", None) or spec_dir
    return ApplyError(
        f"the trigger spec files in {spec_dir} could not be written: {where}: {exc.strerror or exc} ({what})"
    )
