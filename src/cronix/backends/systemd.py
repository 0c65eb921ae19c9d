"""The systemd-timer backend: one ``.timer`` + ``.service`` pair per schedule of a job.

Unit format and parsing: :mod:`cronix.backends.systemd_units`; the cron → ``OnCalendar=``
translation and its DST caveats: :mod:`cronix.backends.systemd_calendar`; files on disk:
:mod:`cronix.backends.systemd_files`; ``systemctl``/``journalctl``:
:mod:`cronix.backends.systemd_host`; adoption: :mod:`cronix.backends.systemd_adopt`.
This module decides what changes and in which order:

* Identity is what the files say (``X-Cronix-App/Job/Index``), never a name prefix: a
  delete removes exactly the units whose keys name the job, so job ``foo`` never takes
  ``foo-bar`` with it. A unit file at a name cronix needs that is not cronix's — or that
  belongs to another app whose name and job spell the same unit name — is never
  overwritten; validation says so.
* Every change of an apply is staged (:meth:`SystemdBackend.transaction`) and committed
  once: ``disable --now`` the removed timers (exact names), write the changed files
  (atomically; a file with unchanged bytes is not touched), ``daemon-reload`` once and
  only if a file changed, then ``enable --now`` exactly the timers whose files changed or
  that are not enabled (both with ``--no-reload``). A no-op apply runs no systemctl
  command that changes anything. A commit that fails after systemd saw part of it raises
  :class:`~cronix.backends.base.CommitIncomplete` saying what was done.
* Drift: a timer whose ``OnCalendar=`` lines differ from the ``X-Cronix-OnCalendar=`` it
  was written with, or whose service is missing, lists with the drift sentinel; with a
  manifest, any difference from what this backend would write now (a hand-edited
  ``ExecStart=``, a changed option) or a timer no longer enabled is drift too.
* Declared pause (``enabled: false``, D-721): the unit pair is written and the timer is
  disabled and stopped (``disable --now``) instead of enabled; an entry lists as paused
  when its timer is not linked into ``timers.target.wants``, so a timer disabled by hand
  for a job the manifest does not pause is drift, and apply enables it again.
* ``write_units_only``: no systemctl at all (an image build, a host without systemd); the
  ``timers.target.wants`` links ``systemctl enable`` would create are written directly.
"""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from cronix.backends.base import (
    DRIFT_SENTINEL,
    LOCAL_SHIM,
    AdoptResult,
    Capability,
    CommitIncomplete,
    Diagnostic,
    FireSpec,
    HistoryEntry,
    HistoryQuery,
    HostContext,
    ManagedEntry,
)
from cronix.backends.systemd_adopt import entries_of, find_candidates, plan_adoption
from cronix.backends.systemd_calendar import TranslationError, on_calendar
from cronix.backends.systemd_checks import (
    audit_units,
    claim_problem,
    credential_problem,
    prerequisites,
    validate_job,
)
from cronix.backends.systemd_files import UnitDirectory
from cronix.backends.systemd_host import Journal, Systemctl, calendar_keys
from cronix.backends.systemd_options import SystemdOptions
from cronix.backends.systemd_units import (
    OwnedUnit,
    ServiceSettings,
    owned_service,
    read_owned,
    render_service,
    render_timer,
    run_time_bound,
)
from cronix.errors import BackendError
from cronix.protocol.ownership import resource_name
from cronix.protocol.validation import LIMITS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from cronix.protocol.manifest import Job

__all__ = ["SystemdBackend", "SystemdOptions", "open_backend"]

Files = dict[str, bytes | None]


def open_backend(options: SystemdOptions, host: HostContext) -> SystemdBackend:
    """The registry's opener: the decoded ``backends.<name>`` options and the host context."""
    return SystemdBackend(options, host)


class SystemdBackend:
    name = "systemd-timer"
    fire_strategies: frozenset[str] = frozenset({LOCAL_SHIM})
    #: Services run ``cronix trigger`` on this host, from unit files on this host.
    fires_on_host = True
    local_state = True
    capabilities: frozenset[Capability] = frozenset(
        {"adopt", "drift-detection", "every", "history", "timezones"}
    )

    def __init__(
        self,
        options: SystemdOptions | None = None,
        host: HostContext | None = None,
        *,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.options = options or SystemdOptions()
        self.host = host = host or HostContext(trigger_bin="/usr/local/bin/cronix")
        self.trigger_bin = self.options.trigger_bin or host.trigger_bin
        self.files = UnitDirectory(self.unit_dir)
        self.systemctl = Systemctl(self.options.systemctl_command, self.options.user)
        self.journal = Journal(self.options.journalctl_command, self.options.user)
        self.settings = ServiceSettings(
            self.trigger_bin, tuple(sorted(self.options.credentials.items())), self.options.environment_file
        )
        self._now = now or (lambda: datetime.now(UTC))
        self._staged: Files | None = None
        self._base: dict[str, bytes] | None = None  # the directory as the transaction found it
        self._enable: set[str] = set()
        self._disable: set[str] = set()
        self._pause: set[str] = set()  # timers of paused jobs: written, disabled (D-721)
        self._listed: Mapping[str, bytes | None] | None = None
        self._parsed: dict[tuple[str, bytes], OwnedUnit | None] = {}

    @cached_property
    def unit_dir(self) -> str:
        if self.options.unit_dir:
            return self.options.unit_dir
        if self.options.user:
            return os.path.join(os.path.expanduser("~"), ".config", "systemd", "user")
        return "/etc/systemd/system"

    def describe(self) -> str:
        return self.unit_dir

    # ------------------------------------------------------------ Backend protocol

    def check(self) -> list[Diagnostic]:
        live = None if self.options.write_units_only else self.systemctl
        return prerequisites(self.trigger_bin, self.unit_dir, live, self.name, read_only=self.host.read_only)

    def validate(self, app: str, job: Job) -> list[Diagnostic]:
        return self.validate_many(app, [job])[0]

    def validate_many(self, app: str, jobs: Sequence[Job]) -> list[list[Diagnostic]]:
        files, now = self._state(), self._now()
        return [validate_job(app, job, files, self.unit_dir, now) for job in jobs]

    def list_entries(self) -> list[ManagedEntry]:
        files = self._listed = self._state()
        out = []
        for unit in self._owned(files):
            broken = unit.edited or self._service_identity(files, unit) != (unit.app, unit.job, unit.index)
            path = os.path.join(self.unit_dir, unit.name + ".timer")
            digest = DRIFT_SENTINEL if broken else unit.hash
            paused = not self.files.is_linked(unit.name + ".timer")
            out.append(ManagedEntry(unit.app, unit.job, unit.index, digest, path, paused))
        return out

    def entry_matches(self, app: str, job: Job, entry: ManagedEntry) -> bool:
        """The unit pair is exactly what this backend would write now, and the timer is enabled
        (disabled for a paused job)."""
        base = resource_name(app, job.name, entry.index)
        if entry.index >= len(job.schedules) or entry.raw != os.path.join(self.unit_dir, base + ".timer"):
            return False
        files = self._listed if self._listed is not None else self._state()
        try:
            timer, service = self._render(app, job, entry.index, entry.hash)
        except BackendError:
            return False
        return (
            files.get(base + ".timer") == timer
            and files.get(base + ".service") == service
            and self.files.is_linked(base + ".timer") == job.enabled
        )

    def verify_ownership(self, entry: ManagedEntry) -> bool:
        return self.verify_ownership_many([entry])[0]

    def verify_ownership_many(self, entries: Sequence[ManagedEntry]) -> list[bool]:
        """Each entry's timer still carries its identity and hash (one read of the directory)."""
        files = self._state()
        out = []
        for entry in entries:
            name = os.path.basename(entry.raw) if isinstance(entry.raw, str) else None
            name = name or resource_name(entry.app, entry.job, entry.index) + ".timer"
            data = files.get(name)
            unit = self._parse(name, data) if data is not None else None
            same = unit is not None and (unit.app, unit.job, unit.index) == (
                entry.app,
                entry.job,
                entry.index,
            )
            out.append(same and unit is not None and entry.hash in (unit.hash, DRIFT_SENTINEL))
        return out

    def create(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        problem = credential_problem(fire.secret_refs or (), self.options.credentials, self.name)
        if problem is not None:
            raise BackendError(f"systemd-timer: {problem}")
        if len(hashes) != len(job.schedules):
            raise BackendError(
                f"systemd-timer: {app}.{job.name}: {len(hashes)} hashes for {len(job.schedules)} schedules"
            )
        rendered = [self._render(app, job, i, h) for i, h in enumerate(hashes)]
        with self._staging() as staged:
            files = self._state()
            for i, (timer, service) in enumerate(rendered):
                base = resource_name(app, job.name, i)
                problem = claim_problem(files, self.unit_dir, base, app, job.name, i)
                if problem is not None:
                    raise BackendError(f"systemd-timer: {problem}")
                staged[base + ".timer"], staged[base + ".service"] = timer, service
                self._disable.discard(base + ".timer")
                if job.enabled:
                    self._enable.add(base + ".timer")
                    self._pause.discard(base + ".timer")
                else:
                    self._pause.add(base + ".timer")
                    self._enable.discard(base + ".timer")
            for unit in self._owned(files):
                if (unit.app, unit.job) == (app, job.name) and (
                    unit.index >= len(hashes) or unit.name != resource_name(app, job.name, unit.index)
                ):
                    self._stage_removal(staged, files, unit)

    def update(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        self.create(app, job, hashes, fire)

    def delete(self, app: str, job: str) -> None:
        with self._staging() as staged:
            files = self._state()
            for unit in self._owned(files):
                if (unit.app, unit.job) == (app, job):
                    self._stage_removal(staged, files, unit)

    def adopt(
        self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec, *, dry_run: bool
    ) -> AdoptResult:
        """Replace timers that run ``cronix trigger <app>.<job>`` by owned units, in one transaction."""
        try:
            wanted = [on_calendar(s, job.timezone) for s in job.schedules]
        except TranslationError as exc:
            return AdoptResult(diverged=True, divergences=(str(exc),))
        files = self._all_units()
        managed = sum(1 for u in self._owned(files) if (u.app, u.job) == (app, job.name))
        candidates = find_candidates(files, self.trigger_bin, app, job.name)
        adoption = plan_adoption(files, candidates, wanted, job.schedules, managed, calendar_keys())
        if dry_run or not adoption.timers:
            return entries_of(adoption.result, app, job, hashes, self.unit_dir)
        with self._transaction() as staged:
            for name in (*adoption.timers, *adoption.services):
                staged[name] = None
            self._disable.update(adoption.timers)
            self.create(app, job, hashes, fire)
        return entries_of(AdoptResult(found=True, adopted=True), app, job, hashes, self.unit_dir)

    def audit_markers(self) -> list[Diagnostic]:
        """Owned units that do not form a valid pair: orphaned or misnamed files."""
        return audit_units(self._state(), self.unit_dir)

    def history(self, query: HistoryQuery) -> list[HistoryEntry]:
        """Runs from the journal of the job's services (``journalctl -u``, exact names)."""
        from cronix.runlog import fold_shim_logs, merge_runs

        units = [
            resource_name(query.app, query.job, i) + ".service" for i in range(LIMITS.MAX_SCHEDULES_PER_JOB)
        ]
        lines = self.journal.lines(units, since=query.since, until=query.until)
        runs = fold_shim_logs(lines, query.app, query.job, "journald", query.status)
        return merge_runs(runs, limit=query.limit)

    def close(self) -> None:
        self._listed = None

    # ------------------------------------------------------------ transactions

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Stage every change; commit once (and change nothing when nothing differs)."""
        with self._transaction():
            yield

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Files]:
        if self._staged is not None:
            raise BackendError("systemd-timer: nested transactions are not supported")
        staged: Files = {}
        self._base = self.files.snapshot()
        self._staged, self._enable, self._disable, self._pause = staged, set(), set(), set()
        try:
            yield staged
            enable, disable, pause = set(self._enable), set(self._disable), set(self._pause)
        finally:
            self._staged = self._base = None
            self._listed = None
        self._commit(staged, enable, disable)
        self._pause_timers(pause)

    @contextlib.contextmanager
    def _staging(self) -> Iterator[Files]:
        if self._staged is not None:
            yield self._staged
            return
        with self._transaction() as staged:
            yield staged

    def _commit(self, staged: Files, enable: set[str], disable: set[str]) -> None:
        if not staged:
            return
        before = {name: self.files.read(name) for name in staged}
        removing = sorted(t for t in disable if staged.get(t, b"") is None and before.get(t) is not None)
        live = not self.options.write_units_only
        stopped = (
            f"; the timers of removed jobs ({', '.join(removing)}) were already stopped" if removing else ""
        )
        if live:
            try:
                self.systemctl.disable_now(removing)
            except BackendError as exc:
                raise CommitIncomplete(
                    f"{exc}; no unit file was changed, some of {removing} may be stopped"
                ) from None
        try:
            changed = self.files.apply(staged)
        except BackendError as exc:
            raise (CommitIncomplete(f"{exc}{stopped}") if removing else exc) from None
        for timer in removing:
            self.files.unlink(timer)
        if changed and live:
            try:
                self.systemctl.daemon_reload()
            except BackendError as exc:
                self.files.apply({name: before.get(name) for name in changed})
                message = f"{exc}; the unit files were restored{stopped}"
                raise (CommitIncomplete(message) if removing else BackendError(message)) from None
        touched = set(changed)
        wanted = sorted(
            t
            for t in enable
            if staged.get(t) is not None
            and (
                t in touched
                or t.removesuffix(".timer") + ".service" in touched
                or not self.files.is_linked(t)
            )
        )
        if live:
            try:
                self.systemctl.enable_now(wanted)
            except BackendError as exc:
                raise CommitIncomplete(
                    f"{exc}; the unit files were written and systemd reloaded, but these timers are not "
                    "enabled — run apply again"
                ) from None
        else:
            for timer in wanted:
                self.files.link(timer)

    def _pause_timers(self, timers: set[str]) -> None:
        """Disable and stop the (written) timers of paused jobs that are still enabled."""
        linked = sorted(t for t in timers if self.files.is_linked(t))
        if not linked:
            return
        if self.options.write_units_only:
            for timer in linked:
                self.files.unlink(timer)
            return
        try:
            self.systemctl.disable_now(linked)
        except BackendError as exc:
            raise CommitIncomplete(
                f"{exc}; the unit files were written, but these paused timers may still be enabled — "
                "run apply again"
            ) from None

    def _stage_removal(self, staged: Files, files: Mapping[str, bytes | None], unit: OwnedUnit) -> None:
        staged[unit.name + ".timer"] = None
        if self._service_identity(files, unit) is not None:
            staged[unit.name + ".service"] = None
        self._disable.add(unit.name + ".timer")
        self._enable.discard(unit.name + ".timer")
        self._pause.discard(unit.name + ".timer")

    # ------------------------------------------------------------ helpers

    def _state(self) -> dict[str, bytes | None]:
        """The ``cronix-*`` unit files as they are, with this transaction's staged changes on top.

        Inside a transaction the directory is read once, when it starts (the apply lock
        keeps other applies out), so staging a thousand jobs is not a thousand scans.
        """
        files: dict[str, bytes | None] = dict(self._base if self._base is not None else self.files.snapshot())
        if self._staged:
            files.update(self._staged)
        return files

    def _all_units(self) -> dict[str, bytes | None]:
        """Every timer and service in the unit directory (adoption looks beyond cronix's names)."""
        names = self.files.names(".timer") + self.files.names(".service")
        files: dict[str, bytes | None] = {name: self.files.read(name) for name in names}
        if self._staged:
            files.update(self._staged)
        return files

    def _parse(self, name: str, data: bytes) -> OwnedUnit | None:
        key = (name, data)
        if key not in self._parsed:
            if len(self._parsed) > 100_000:
                self._parsed.clear()
            self._parsed[key] = read_owned(name.removesuffix(".timer"), data.decode("utf-8", "replace"))
        return self._parsed[key]

    def _owned(self, files: Mapping[str, bytes | None]) -> list[OwnedUnit]:
        out = []
        for name in sorted(files):
            data = files[name]
            if name.endswith(".timer") and data is not None and name.startswith("cronix-"):
                unit = self._parse(name, data)
                if unit is not None:
                    out.append(unit)
        return out

    def _service_identity(
        self, files: Mapping[str, bytes | None], unit: OwnedUnit
    ) -> tuple[str, str, int] | None:
        data = files.get(unit.name + ".service")
        return owned_service(data.decode("utf-8", "replace")) if data is not None else None

    def _render(self, app: str, job: Job, index: int, hash_: str) -> tuple[bytes, bytes]:
        try:
            calendars = on_calendar(job.schedules[index], job.timezone)
        except TranslationError as exc:
            raise BackendError(f"systemd-timer: {app}.{job.name} schedules/{index}: {exc}") from None
        jitter = job.policy.jitter_seconds  # systemd's own randomized delay (D-723)
        timer = render_timer(app, job.name, index, hash_, calendars, jitter)
        bound = run_time_bound(job.policy)
        service = render_service(
            app, job.name, index, hash_, bound, self.settings, native_jitter=bool(jitter)
        )
        return timer.encode("utf-8"), service.encode("utf-8")
