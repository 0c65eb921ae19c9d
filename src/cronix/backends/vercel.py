"""The vercel backend: jobs as entries of ``crons`` in a project's ``vercel.json``.

Format, ownership marker and schedule rules: :mod:`cronix.backends.vercel_format`. This
module decides what changes:

* cronix owns exactly the entries whose path is ``<prefix><job>?cronix=<app>.<i>.<hash>``;
  an apply replaces the owned entries of the manifest's app and touches nothing else —
  other entries, other apps' entries and every other key keep their values and order.
* Every change of an apply is staged (:meth:`VercelBackend.transaction`) and written
  once, atomically, and only when the document's value changed; a second apply of the
  same manifest writes nothing.
* Drift: with a manifest, an owned entry whose path or schedule differs from what this
  backend would write (a hand edit, or a changed prefix) is planned as an update.
* Declared pause (``enabled: false``, D-721): vercel.json has no way to keep a cron that
  does not run, so a paused job has no entry (:class:`~cronix.backends.base.PausesByOmission`:
  the reconciler plans it as absent); resuming creates it again.
* Vercel calls the app itself (``GET <path>`` with ``Authorization: Bearer $CRON_SECRET``):
  the fire strategy is :data:`VERCEL_NATIVE`, no trigger spec files are written, and
  there is no history on this host. The file is local, so applies take the apply lock.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from cronix.backends.base import (
    AdoptResult,
    Capability,
    Diagnostic,
    FireSpec,
    HistoryEntry,
    HistoryQuery,
    HostContext,
    ManagedEntry,
    UnsupportedOperation,
)
from cronix.backends.timezones import same_zone
from cronix.backends.vercel_format import (
    MAX_CRONS,
    MAX_PATH,
    DocumentError,
    Entry,
    Marker,
    TranslationError,
    VercelDocument,
    entry_path,
    vercel_schedule,
)
from cronix.backends.vercel_options import VercelOptions
from cronix.errors import BackendError
from cronix.fileio import write_atomic

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from cronix.protocol.manifest import Job

__all__ = ["VERCEL_NATIVE", "VercelBackend", "VercelOptions", "open_backend"]

#: Vercel's own invocation: ``GET <path>`` on the production deployment with
#: ``Authorization: Bearer $CRON_SECRET`` — neither the signed shim nor a managed JWT.
VERCEL_NATIVE: Final = "vercel-native"
_NEW_FILE_MODE = 0o644


def open_backend(options: VercelOptions, host: HostContext) -> VercelBackend:
    """The registry's opener: the decoded ``backends.<name>`` options and the host context."""
    return VercelBackend(options, host)


class VercelBackend:
    name = "vercel"
    fire_strategies: frozenset[str] = frozenset({VERCEL_NATIVE})
    #: Vercel calls the app; nothing runs ``cronix trigger`` here, but the file is local.
    fires_on_host = False
    local_state = True
    capabilities: frozenset[Capability] = frozenset({"drift-detection"})
    #: A paused job has no entry here (D-721).
    pauses_by_omission: Final = True

    def __init__(self, options: VercelOptions | None = None, host: HostContext | None = None) -> None:
        self.options = options or VercelOptions()
        prefix = self.options.trigger_prefix
        self.prefix = prefix if prefix.endswith("/") else prefix + "/"
        self.path = self.options.path
        self._staged: VercelDocument | None = None
        self._cache: tuple[tuple[int, ...] | None, bytes, VercelDocument] | None = None

    def describe(self) -> str:
        return self.path

    # ------------------------------------------------------------ Backend protocol

    def check(self) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        try:
            self._document()
        except BackendError as exc:
            out.append(Diagnostic("error", str(exc).removeprefix("vercel: "), "", "unreadable"))
        probe = os.path.dirname(os.path.abspath(self.path))
        while not os.path.isdir(probe) and os.path.dirname(probe) != probe:
            probe = os.path.dirname(probe)
        if not os.access(probe, os.W_OK | os.X_OK):
            out.append(Diagnostic("error", f"{probe} is not writable by this user", "path", "not_writable"))
        return out

    def validate(self, app: str, job: Job) -> list[Diagnostic]:
        return self.validate_many(app, [job])[0]

    def validate_many(self, app: str, jobs: Sequence[Job]) -> list[list[Diagnostic]]:
        doc = self._document()
        found = [self._validate(app, job, doc) for job in jobs]
        others = sum(1 for e in doc.entries if e.marker is None or e.marker.app != app)
        total = others + sum(len(job.schedules) for job in jobs)
        if total > MAX_CRONS and found:
            found[0].append(
                Diagnostic(
                    "error",
                    f"{self.path} would hold {total} cron jobs ({others} of them not this app's); "
                    f"Vercel allows {MAX_CRONS} per project",
                    "schedules",
                    "too_many_crons",
                )
            )
        return found

    def list_entries(self) -> list[ManagedEntry]:
        return [self._managed(e.marker, e) for e in self._document().entries if e.marker is not None]

    def entry_matches(self, app: str, job: Job, entry: ManagedEntry) -> bool:
        """The entry's path and schedule are what this backend would write for ``job`` now."""
        if entry.index >= len(job.schedules) or not isinstance(entry.raw, dict):
            return False
        try:
            schedule = vercel_schedule(job.schedules[entry.index], job.timezone, plan=self.options.plan)
        except TranslationError:
            return False
        want = {"path": entry_path(self.prefix, app, job.name, entry.index, entry.hash), "schedule": schedule}
        return entry.raw == want

    def verify_ownership(self, entry: ManagedEntry) -> bool:
        want = (entry.app, entry.job, entry.index, entry.hash)
        return any(
            e.marker is not None and (e.marker.app, e.marker.job, e.marker.index, e.marker.hash) == want
            for e in self._document().entries
        )

    def create(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        if not job.enabled:  # the planner never asks; a paused job has no entry here (D-721)
            self.delete(app, job.name)
            return
        if len(hashes) != len(job.schedules):
            raise BackendError(
                f"vercel: {app}.{job.name}: {len(hashes)} hashes for {len(job.schedules)} schedules"
            )
        new = []
        for i, (schedule, digest) in enumerate(zip(job.schedules, hashes, strict=True)):
            try:
                text = vercel_schedule(schedule, job.timezone, plan=self.options.plan)
            except TranslationError as exc:
                raise BackendError(f"vercel: {app}.{job.name} schedules/{i}: {exc}") from None
            path = entry_path(self.prefix, app, job.name, i, digest)
            new.append(Entry({"path": path, "schedule": text}, Marker(app, job.name, i, digest)))
        with self._staging() as stage:
            stage(_replace(self._current(), app, job.name, new))

    def update(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        self.create(app, job, hashes, fire)

    def delete(self, app: str, job: str) -> None:
        with self._staging() as stage:
            stage(_replace(self._current(), app, job, []))

    def adopt(
        self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec, *, dry_run: bool
    ) -> AdoptResult:
        raise UnsupportedOperation("backend vercel does not support adopt")

    def history(self, query: HistoryQuery) -> list[HistoryEntry]:
        raise UnsupportedOperation("backend vercel keeps no history on this host (Vercel calls the app)")

    def close(self) -> None:
        self._cache = None

    # ------------------------------------------------------------ transactions

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Stage every change; write the file once on success, and not at all if its value is unchanged."""
        if self._staged is not None:
            raise BackendError("vercel: nested transactions are not supported")
        before = self._document()
        self._staged = before
        try:
            yield
            after = self._staged
        finally:
            self._staged = None
        if not after.same_as(before):
            self._write(after)

    @contextlib.contextmanager
    def _staging(self) -> Iterator[Callable[[VercelDocument], None]]:
        def stage(doc: VercelDocument) -> None:
            self._staged = doc

        if self._staged is not None:
            yield stage
            return
        with self.transaction():
            yield stage

    # ------------------------------------------------------------ helpers

    def _current(self) -> VercelDocument:
        return self._staged if self._staged is not None else self._document()

    def _document(self) -> VercelDocument:
        """The file as it is now (parsed once per content; missing or empty is an empty document)."""
        signature = _signature(self.path)
        if self._cache is not None and signature is not None and self._cache[0] == signature:
            return self._cache[2]
        try:
            with open(self.path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            data = b""
        except OSError as exc:
            raise BackendError(f"vercel: cannot read {self.path}: {exc.strerror or exc}") from None
        if self._cache is not None and self._cache[1] == data:
            doc = self._cache[2]
        else:
            try:
                doc = VercelDocument.parse(data, self.prefix)
            except DocumentError as exc:
                raise BackendError(
                    f"vercel: {self.path}: {exc}; fix the file (cronix changed nothing)"
                ) from None
        self._cache = (signature, data, doc)
        return doc

    def _write(self, doc: VercelDocument) -> None:
        data = doc.render()
        try:
            write_atomic(self.path, data, mode=_NEW_FILE_MODE, keep_mode_and_owner=True, sync_directory=True)
        except OSError as exc:
            raise BackendError(f"vercel: cannot write {self.path}: {exc.strerror or exc}") from None
        self._cache = (_signature(self.path), data, doc)

    def _managed(self, marker: Marker, entry: Entry) -> ManagedEntry:
        raw = {"path": entry.path, "schedule": entry.schedule}
        return ManagedEntry(marker.app, marker.job, marker.index, marker.hash, raw)

    def _validate(self, app: str, job: Job, doc: VercelDocument) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        for i, schedule in enumerate(job.schedules):
            try:
                vercel_schedule(schedule, job.timezone, plan=self.options.plan)
            except TranslationError as exc:
                out.append(Diagnostic("error", str(exc), f"schedules/{i}", "untranslatable"))
        if not same_zone(job.timezone or "UTC", "UTC"):
            out.append(
                Diagnostic(
                    "error",
                    f"Vercel runs cron jobs in UTC only; {job.timezone} is not UTC — drop the timezone "
                    "or convert the schedule to UTC",
                    "timezone",
                    "unsupported_timezone",
                )
            )
        route = self.prefix + job.name
        longest = entry_path(self.prefix, app, job.name, len(job.schedules) - 1, "0" * 16)
        if len(longest) > MAX_PATH:
            out.append(
                Diagnostic(
                    "error",
                    f"the entry path is {len(longest)} characters; Vercel allows {MAX_PATH}",
                    "",
                    "path_too_long",
                )
            )
        squatters = [
            e.path
            for e in doc.entries
            if e.marker is None and e.path is not None and (e.path == route or e.path.startswith(route + "?"))
        ]
        if squatters:
            out.append(
                Diagnostic(
                    "error",
                    f"{self.path} already has an entry for {squatters[0]} that cronix does not own (written "
                    "by hand or by another tool); Vercel would call the job twice — remove that entry",
                    "",
                    "foreign_entry_for_job",
                )
            )
        url_path = urlsplit(job.request.url).path
        if url_path != route:
            out.append(
                Diagnostic(
                    "warning",
                    f"Vercel calls {route} on the deployment, but the job's URL path is {url_path}",
                    "request/url",
                    "path_mismatch",
                )
            )
        if job.request.body or job.request.headers:
            out.append(
                Diagnostic(
                    "warning",
                    "Vercel sends a plain GET: the request's body and headers are not delivered",
                    "request",
                    "not_delivered",
                )
            )
        return out


def _replace(doc: VercelDocument, app: str, job: str, new: Sequence[Entry]) -> VercelDocument:
    """``doc`` with the owned entries of ``(app, job)`` replaced by ``new`` (in the first one's place)."""
    out: list[Entry] = []
    placed = False
    for entry in doc.entries:
        if entry.marker is not None and (entry.marker.app, entry.marker.job) == (app, job):
            if not placed:
                out.extend(new)
                placed = True
            continue
        out.append(entry)
    if not placed:
        out.extend(new)
    return doc.with_entries(out)


def _signature(path: str) -> tuple[int, ...] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
