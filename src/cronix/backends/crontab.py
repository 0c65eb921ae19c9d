"""The crontab backend: jobs as lines of a crontab file (or of a user's crontab).

Format, fence and ownership rules: :mod:`cronix.backends.crontab_format`. Reading and
atomic replacement: :mod:`cronix.backends.crontab_target`. This module decides what the
lines say:

* Line format follows the target (DESIGN §3 item 2): ``/etc/crontab`` and
  ``/etc/cron.d/*`` are system crontabs whose lines carry a user field (``run_as``,
  default ``root``); any other path, and a user's crontab installed through
  ``crontab(1)`` (``crontab_user``), use the user format without it. ``format`` overrides.
* Timezones: cron fires in the host's zone. A job in another zone is installed at the
  host times that can be one of its occurrences, and the line runs ``cronix trigger …
  --guard N``, which skips the starts that are not (:mod:`~cronix.backends.crontab_zones`,
  D-725) — so it fires at exactly its own local times on any cron, across DST. With
  ``cron_tz: true`` (cronie) each entry is preceded by ``CRON_TZ=<zone>`` instead.
  ``CRON_TZ`` lines never change what the operator's own lines mean, and an operator's
  ``CRON_TZ`` above the block never changes what cronix's mean
  (:mod:`~cronix.backends.crontab_format`, D-155). ``accept_timezone_shift`` is
  deprecated and ignored (a warning from ``check``).
* Declared pause (``enabled: false``, D-721): the line is written commented out behind
  ``# cronix:paused `` with its marker after it, so it stays owned and listed
  (``ManagedEntry.paused``); a line an operator commented out by hand is read as a paused
  entry too, which for a job the manifest runs is drift.
* Hand edits: the marker's hash covers the job, not the line, so
  :meth:`CrontabBackend.entry_matches` re-renders the line for the job whose hash the
  marker claims and compares; any difference is drift.
* Writes happen once per apply (:meth:`CrontabBackend.transaction`) and not at all when
  the content would be unchanged (the file's mtime stays as it was).
"""

from __future__ import annotations

import contextlib
import os
import re
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from cronix.backends.base import (
    LOCAL_SHIM,
    AdoptResult,
    Capability,
    Diagnostic,
    FireSpec,
    HistoryEntry,
    HistoryQuery,
    HostContext,
    ManagedEntry,
    UnownedTrigger,
)
from cronix.backends.crontab_adopt import plan_adoption
from cronix.backends.crontab_format import (
    CrontabDocument,
    InstalledEntry,
    TranslationError,
    canonical_cron,
    render_entry_line,
    translate,
    trigger_target,
    tz_line,
)
from cronix.backends.crontab_options import CrontabOptions
from cronix.backends.crontab_target import CrontabCommandTarget, FileTarget, Target
from cronix.backends.crontab_zones import host_line
from cronix.backends.timezones import host_timezone
from cronix.errors import BackendError
from cronix.protocol.errors import ScheduleError
from cronix.protocol.schedule import parse_schedule

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from cronix.protocol.manifest import Job

__all__ = ["CrontabBackend", "CrontabOptions", "open_backend"]


def open_backend(options: CrontabOptions, host: HostContext) -> CrontabBackend:
    """The registry's opener: the decoded ``backends.<name>`` options and the host context."""
    return CrontabBackend(options, host)


class CrontabBackend:
    name = "crontab"
    fire_strategies: frozenset[str] = frozenset({LOCAL_SHIM})
    #: Entries run ``cronix trigger`` on this host, from a file on this host.
    fires_on_host = True
    local_state = True

    def __init__(
        self,
        options: CrontabOptions | None = None,
        host: HostContext | None = None,
        *,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.options = options or CrontabOptions()
        self.host = host = host or HostContext(trigger_bin="/usr/local/bin/cronix")
        #: ``trigger_bin`` of the options wins over the top-level one.
        self.trigger_bin = self.options.trigger_bin or host.trigger_bin
        #: Every job fires in its own zone: ``CRON_TZ`` lines, or the union line and its guard.
        self.capabilities: frozenset[Capability] = frozenset(
            {"adopt", "drift-detection", "every", "history", "timezones"}
        )
        #: The clock the union lines' year of offsets starts from (tests fix it).
        self._now = now or (lambda: datetime.now(UTC))
        self._staged: dict[tuple[str, str], list[InstalledEntry]] | None = None
        self._snapshot: CrontabDocument | None = None  # the file as read when the transaction began
        self._cache: tuple[bytes, CrontabDocument] | None = None
        self._by_id: tuple[CrontabDocument, dict[tuple[str, str, int], list[InstalledEntry]]] | None = None
        self._listed: CrontabDocument | None = None  # the document list_entries last read
        self._signature: tuple[int, ...] | None = None
        self._zones: tuple[CrontabDocument, str | None, bool] | None = None

    # ------------------------------------------------------------ configuration

    @cached_property
    def target(self) -> Target:
        if self.options.crontab_user:
            return CrontabCommandTarget(self.options.crontab_user, self.options.crontab_command)
        return FileTarget(self.options.path)

    @cached_property
    def user_field(self) -> str | None:
        """The user field of every line, or ``None`` for the user format."""
        fmt = self.options.format
        if fmt == "auto":
            path = os.path.abspath(self.options.path)
            system = not self.options.crontab_user and (
                path == "/etc/crontab" or os.path.dirname(path) == "/etc/cron.d"
            )
            fmt = "system" if system else "user"
        return self.options.run_as if fmt == "system" else None

    @cached_property
    def host_zone(self) -> str:
        return self.options.host_timezone or host_timezone()

    def describe(self) -> str:
        return self.target.describe()

    # ------------------------------------------------------------ Backend protocol

    def check(self) -> list[Diagnostic]:
        """Prerequisites of the command the backend was opened for.

        Every command: the entries could run (``trigger_bin`` is an executable file, the
        line format can hold it) and cron would read the file (no dot in a ``/etc/cron.d``
        name, not group/world-writable). Only commands that write
        (``HostContext.read_only`` unset): the file's directory is writable.
        """
        out: list[Diagnostic] = []
        if self.options.accept_timezone_shift:
            out.append(
                Diagnostic(
                    "warning",
                    "accept_timezone_shift is deprecated and has no effect: a job in another timezone than "
                    "cron's fires at its own local times (a guarded union line, D-725); remove the option",
                    "accept_timezone_shift",
                    "deprecated_option",
                )
            )
        bin_ = self.trigger_bin
        if not os.path.isabs(bin_) or any(c.isspace() or c == "%" for c in bin_):
            out.append(
                Diagnostic(
                    "error",
                    f'trigger_bin "{bin_}" must be an absolute path without spaces or % '
                    "(cron treats % as a newline)",
                    "trigger_bin",
                    "invalid_trigger_bin",
                )
            )
        elif not (os.path.isfile(bin_) and os.access(bin_, os.X_OK)):
            out.append(
                Diagnostic(
                    "error",
                    f"trigger_bin {bin_} is not an executable file, so no entry could run; install cronix "
                    "there or set trigger_bin (--trigger-bin) to the cronix executable",
                    "trigger_bin",
                    "trigger_not_executable",
                )
            )
        if self.options.crontab_user:
            return out
        path = os.path.abspath(self.options.path)
        directory, base = os.path.split(path)
        if directory == "/etc/cron.d" and not _cron_d_name_ok(base):
            out.append(
                Diagnostic(
                    "error",
                    f"{path}: cron ignores files in /etc/cron.d whose name has a dot or other characters "
                    "than letters, digits, - and _; choose a name like /etc/cron.d/cronix",
                    "path",
                    "ignored_by_cron",
                )
            )
        with contextlib.suppress(OSError):
            mode = os.stat(path).st_mode
            if directory == "/etc/cron.d" and mode & 0o022:
                out.append(
                    Diagnostic(
                        "warning",
                        f"{path} is group- or world-writable (mode {mode & 0o777:04o}); "
                        "cron ignores such files",
                        "path",
                        "ignored_by_cron",
                    )
                )
        if self.host.read_only:
            return out
        try:
            probe = os.path.dirname(FileTarget(path).write_path())  # a symlink is written at its target
        except BackendError as exc:
            return [*out, Diagnostic("error", exc.message, "path", "unresolvable")]
        while not os.path.isdir(probe) and os.path.dirname(probe) != probe:
            probe = os.path.dirname(probe)
        if not os.access(probe, os.W_OK | os.X_OK):
            out.append(Diagnostic("error", f"{probe} is not writable by this user", "path", "not_writable"))
        return out

    def validate(self, app: str, job: Job) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        for i, schedule in enumerate(job.schedules):
            try:
                translate(schedule)
            except TranslationError as exc:
                out.append(Diagnostic("error", str(exc), f"schedules/{i}", "untranslatable"))
        return out

    def list_entries(self) -> list[ManagedEntry]:
        doc = self._listed = self._document()
        return [ManagedEntry(e.app, e.job, e.index, e.hash, e.line, e.paused) for e in doc.entries]

    def entry_matches(self, app: str, job: Job, entry: ManagedEntry) -> bool:
        if entry.index >= len(job.schedules):
            return False
        # Judge the entry as listed: it came from list_entries, so read nothing again.
        doc = self._listed or self._document()
        installed = self._installed(app, job.name, entry.index, doc)
        if installed is None or installed.line != entry.raw:
            return False
        try:
            want = self.render_entry(app, job, entry.index, entry.hash, doc)
        except BackendError:
            return False
        if installed.tz_line != want.tz_line or not self._zone_facts(doc)[1]:
            return False
        # Same text, or the same schedule spelled differently (the reference writes
        # "mon-fri" verbatim where cronix writes "1-5"): both are what cron will run.
        if installed.line == want.line:
            return True
        if installed.line.startswith("#") or want.line.startswith("#"):
            return False  # a pause is written one way only (D-721)
        have = self.split_candidate(installed.line)
        return have is not None and have == self.split_candidate(want.line)

    def verify_ownership(self, entry: ManagedEntry) -> bool:
        installed = self._installed(entry.app, entry.job, entry.index)
        if installed is None or installed.hash != entry.hash:
            return False
        # ``raw`` is the line as listed; when the caller has it, it must still be there.
        return entry.raw is None or installed.line == entry.raw

    def create(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        with self._staging() as staged:
            staged[(app, job.name)] = self.render_job(app, job, hashes)

    def update(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        self.create(app, job, hashes, fire)

    def delete(self, app: str, job: str) -> None:
        with self._staging() as staged:
            staged.pop((app, job), None)

    def adopt(
        self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec, *, dry_run: bool
    ) -> AdoptResult:
        """Replace unmarked lines running this job by owned entries, in one transaction."""
        trigger = f"{self.trigger_bin} trigger"
        adoption = plan_adoption(self._document(), self.split_candidate, trigger, app, job, hashes)
        if dry_run or not adoption.drop:
            return adoption.result
        with self._transaction() as staged:
            # Planned again on the snapshot the write is based on; an exception writes nothing.
            assert self._snapshot is not None
            again = plan_adoption(self._snapshot, self.split_candidate, trigger, app, job, hashes)
            if again.drop != adoption.drop:
                raise BackendError(f"crontab: {self.describe()} changed during adopt; run adopt again")
            self._cache = self._zones = None  # the snapshot may be the cached parse; it is about to change
            self._snapshot.drop_foreign(again.drop)
            rendered = staged[(app, job.name)] = self.render_job(app, job, hashes)
        return AdoptResult(
            found=True,
            adopted=True,
            entries=tuple(ManagedEntry(app, job.name, e.index, e.hash, e.line, e.paused) for e in rendered),
        )

    def audit_markers(self) -> list[Diagnostic]:
        """Marker lines that are malformed, or whose schedule line is missing or foreign."""
        doc = self._document()
        where = self.describe()
        out = [
            Diagnostic("error", f"{where}:{n}: malformed ownership marker: {text}", "", "malformed_marker")
            for n, text in doc.malformed_markers
        ]
        out += [
            Diagnostic(
                "error",
                f"{where}:{n}: ownership marker without its schedule line "
                f"(dropped on the next write): {text}",
                "",
                "orphan_marker",
            )
            for n, text in doc.orphan_markers
        ]
        return out

    def unowned_triggers(self) -> list[UnownedTrigger]:
        """Lines anywhere in the file that run ``cronix trigger <app>.<job>`` but are no entry.

        A schedule line whose marker was deleted by hand is one: the next write moves it out
        of the block (it is foreign now, and foreign lines are never deleted), and once apply
        creates the job's entry again the job fires twice.
        """
        doc = self._document()
        programs = ("cronix", os.path.basename(self.trigger_bin))
        where = self.describe()
        out = []
        for line, number in zip(doc.foreign, doc.foreign_lineno, strict=True):
            target = trigger_target(line, programs)
            if target is not None:
                out.append(UnownedTrigger(target[0], target[1], f"{where}:{number}", line.rstrip("\r\n")))
        return out

    def history(self, query: HistoryQuery) -> list[HistoryEntry]:
        """Runs of the job from journald, where cron's children log (the reference's source).

        Empty when journald is not there; ``cronix history`` also reads the trigger's own
        run log, which works on every host.
        """
        from cronix.runlog import merge_runs, read_journald

        runs = read_journald(query.app, query.job, since=query.since, until=query.until, status=query.status)
        return merge_runs(runs, limit=query.limit)

    def close(self) -> None:
        self._cache = None

    # ------------------------------------------------------------ transactions

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Stage every change; write the file once on success, and not at all if unchanged."""
        with self._transaction():
            yield

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[dict[tuple[str, str], list[InstalledEntry]]]:
        if self._staged is not None:
            raise BackendError("crontab: nested transactions are not supported")
        data = self.target.read()
        doc = self._parse(data)
        staged: dict[tuple[str, str], list[InstalledEntry]] = {}
        for e in doc.entries:
            staged.setdefault((e.app, e.job), []).append(e)
        self._staged, self._snapshot = staged, doc
        try:
            yield staged
        finally:
            self._staged, self._snapshot = None, None
        self.write_document(doc, [e for entries in staged.values() for e in entries], data)

    def write_document(self, doc: CrontabDocument, entries: Sequence[InstalledEntry], old: bytes) -> bool:
        """Render and install; return whether anything was written."""
        new = doc.render(entries).encode("utf-8", "surrogateescape")
        if new == old:
            return False
        self.target.write(new)
        self._cache = (new, CrontabDocument.parse(new.decode("utf-8", "surrogateescape")))
        self._signature = _signature(self.options.path) if isinstance(self.target, FileTarget) else None
        return True

    @contextlib.contextmanager
    def _staging(self) -> Iterator[dict[tuple[str, str], list[InstalledEntry]]]:
        if self._staged is not None:
            yield self._staged
            return
        with self._transaction() as staged:
            yield staged

    # ------------------------------------------------------------ helpers

    def _document(self) -> CrontabDocument:
        """The parsed target: the transaction's snapshot, else the file as it is now.

        A file whose size, inode and modification time are unchanged is not read again,
        so checking thousands of entries costs one parse.
        """
        if self._snapshot is not None:
            return self._snapshot
        target = self.target
        if isinstance(target, FileTarget):
            signature = _signature(target.path)
            if signature is not None and self._cache is not None and self._signature == signature:
                return self._cache[1]
            doc = self._parse(target.read())
            self._signature = signature
            return doc
        return self._parse(target.read())

    def _parse(self, data: bytes) -> CrontabDocument:
        if self._cache is not None and self._cache[0] == data:
            return self._cache[1]
        doc = CrontabDocument.parse(data.decode("utf-8", "surrogateescape"))
        self._cache = (data, doc)
        return doc

    def _installed(
        self, app: str, job: str, index: int, doc: CrontabDocument | None = None
    ) -> InstalledEntry | None:
        """The one entry with this identity (``None`` when missing or claimed twice)."""
        doc = doc or self._document()
        if self._by_id is None or self._by_id[0] is not doc:
            by_id: dict[tuple[str, str, int], list[InstalledEntry]] = {}
            for e in doc.entries:
                by_id.setdefault((e.app, e.job, e.index), []).append(e)
            self._by_id = (doc, by_id)
        matches = self._by_id[1].get((app, job, index), [])
        return matches[0] if len(matches) == 1 else None

    def _zone_facts(self, doc: CrontabDocument) -> tuple[str | None, bool]:
        """``(the CRON_TZ inherited at the block, whether the block's end restores it)`` of
        ``doc``, worked out once per parsed document (asked for every entry)."""
        if self._zones is None or self._zones[0] is not doc:
            self._zones = (doc, doc.inherited_tz(), doc.reset_line == doc.reset_for(doc.entries))
        return self._zones[1], self._zones[2]

    def render_job(self, app: str, job: Job, hashes: Sequence[str]) -> list[InstalledEntry]:
        """The entries this backend writes for ``job`` (one per schedule)."""
        if len(hashes) != len(job.schedules):
            raise BackendError(
                f"crontab: {app}.{job.name}: {len(hashes)} hashes for {len(job.schedules)} schedules"
            )
        return [self.render_entry(app, job, i, h) for i, h in enumerate(hashes)]

    def render_entry(
        self, app: str, job: Job, index: int, hash_: str, doc: CrontabDocument | None = None
    ) -> InstalledEntry:
        """The entry for ``job.schedules[index]`` in ``doc`` (default: the file as it is now).

        Its ``CRON_TZ`` line: the job's zone with ``cron_tz``; otherwise ``CRON_TZ=""`` when
        an operator's ``CRON_TZ`` above the block would leak into it (D-155), else none.
        """
        try:
            cron5 = translate(job.schedules[index])
        except TranslationError as exc:
            raise BackendError(f"crontab: {app}.{job.name} schedules/{index}: {exc}") from None
        guard: int | None = None
        if not self.options.cron_tz and parse_schedule(job.schedules[index]).every_seconds is None:
            # @every is zone-independent (multiples of its interval); cron steps express it.
            union = host_line(cron5, job.timezone, self.host_zone, self._now())
            cron5, guard = union.fields, (index if union.guarded else None)
        line = render_entry_line(
            cron5, self.user_field, self.trigger_bin, app, job.name, guard, paused=not job.enabled
        )
        zone: str | None = None
        if self.options.cron_tz:
            zone = job.timezone
        elif self._zone_facts(doc or self._document())[0]:
            zone = ""
        return InstalledEntry(app, job.name, index, hash_, line, None if zone is None else tz_line(zone))

    def split_candidate(self, line: str) -> tuple[str, str | None, str] | None:
        """``(five fields, user field, command)`` of a line that looks like a cron entry.

        The five fields are canonicalized when they parse, so ``0 2 * * MON`` and
        ``0 2 * * 1`` compare equal; the user field is ``None`` in the user format.
        """
        skip = 6 if self.user_field is not None else 5
        match = re.match(rf"\s*((?:\S+\s+){{{skip}}})(.*?)\s*$", line)
        if match is None or line.lstrip().startswith("#") or not match[2]:
            return None
        tokens = match[1].split()
        try:
            parse_schedule(" ".join(tokens[:5]))
            cron5 = canonical_cron(tokens[:5])
        except ScheduleError:
            cron5 = " ".join(tokens[:5])
        return cron5, (tokens[5] if skip == 6 else None), match[2]


def _signature(path: str) -> tuple[int, ...] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _cron_d_name_ok(name: str) -> bool:
    return bool(name) and all(c.isascii() and (c.isalnum() or c in "-_") for c in name)
