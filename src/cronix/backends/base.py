"""The one Backend protocol: how cronix stores schedules in a host scheduler.

Every backend — crontab, systemd-timer, kubernetes, aws-scheduler, vercel, and the proxy
for an out-of-tree gRPC plugin — implements :class:`Backend`. The reconciler
(:mod:`cronix.reconcile`) cannot tell them apart, and the backend conformance suite runs
unchanged against each.

Division of labour (DESIGN §4): the *host* computes plans, ownership hashes and
ownership decisions; a *backend* translates a normalized job into its scheduler's
native form, stores it with an ownership marker, and lists what it owns. There is no
state file: the markers are the state.

Recipe for an implementer (in-tree or plugin author):

1. ``name`` — the backend's registry name (``[a-z][a-z0-9-]*``); ``capabilities``;
   ``fire_strategies`` (how its entries can invoke a job, :data:`LOCAL_SHIM` at least);
   and two traits, asked of the instance: ``fires_on_host`` (its entries run
   ``cronix trigger`` on this host, so the host writes trigger spec files there) and
   ``local_state`` (its state is a file on this host, so applies take the apply lock).
   Optionally ``own_secret_refs = True`` when the specs its entries record name their
   secret themselves (Kubernetes: the pod's Secret) instead of ``FireSpec.secret_refs``;
   otherwise a local-shim plan without the operator's secret refs is refused.
2. ``check()`` — prerequisites only (directory writable, daemon binary present, API
   reachable) of the command the backend was opened for: when ``HostContext.read_only``
   is set (``plan``, ``drift``, ``list``, ``show``, audits) it needs only what reading
   takes, so a read-only crontab directory is no error there. A backend whose entries run
   ``cronix trigger`` here (``fires_on_host``) also checks that ``trigger_bin`` is an
   executable file: an entry that cannot run is an error before anything is written.
   Return diagnostics; never raise for an expected problem.
3. ``validate(app, job)`` — can *this* scheduler express the job? Untranslatable
   schedules, unsupported timezones, names over a length limit → ``error`` diagnostics
   with a path (``schedules/1``, ``timezone``) and a stable code. Runs for every job
   before anything is planned; one error aborts the apply.
4. ``list_entries()`` — every entry this backend owns, for all apps, as :class:`ManagedEntry`.
   Report :data:`DRIFT_SENTINEL` as the hash when the live artifact no longer matches what
   cronix wrote (a hand edit), so the reconciler plans an update.
5. ``create/update/delete`` — idempotent per ``(app, job)``: ``update`` replaces *all*
   schedules of the job with the given ones (in place where the scheduler allows it);
   ``delete`` removes every owned entry of the job and nothing else. ``hashes[i]`` is the
   ownership hash of ``job.schedules[i]``, computed by the host. ``fire`` is the job's
   :class:`FireSpec`: the trigger spec per schedule and the fire strategy. A backend whose
   fires do not read spec files from this host (a Kubernetes ConfigMap, EventBridge's
   ``Target.Input``) stores ``fire.spec_json(i)`` inside the entry; the others may ignore it.
6. ``verify_ownership(entry)`` — re-read the entry and confirm it still carries our
   marker; the host calls it before every update or delete of an existing entry.
7. Optional: ``adopt`` (take over pre-existing unmarked entries) and ``history``
   (past runs); advertise them in ``capabilities``. Without the capability the method
   raises :class:`UnsupportedOperation`.
8. ``close()`` — release connections or child processes; called exactly once.
9. Declared pause (D-721): a job with ``enabled=False`` keeps its entries, paused the way
   the scheduler can (a commented-out line, a disabled timer, ``suspend: true``,
   ``State: DISABLED``). ``list_entries`` reports each entry's state in
   :attr:`ManagedEntry.paused` (``None``: this backend cannot tell); an entry whose state
   is not what the job declares is drift, found by the reconciler from that field alone.
   A scheduler that cannot pause an entry declares :class:`PausesByOmission`: a paused
   job then has no entries there (vercel).

Two optional protocols let a backend do better than the minimum; the reconciler checks
for them with ``isinstance`` and works without them (the gRPC plugin proxy need not
implement either):

* :class:`SupportsTransaction` — ``transaction()`` stages every create/update/delete of
  one apply and commits them in one atomic write (crontab: one rename of the file), so a
  crash leaves either the old or the new state, never a half-applied one. A commit of
  several steps that fails half-way raises :class:`CommitIncomplete` saying what was done.
* :class:`SupportsContentCheck` — ``entry_matches(app, job, entry)`` says whether the
  installed artifact is exactly what the backend would write for that job now. The
  reconciler asks it for entries whose marker hash is current; ``False`` means the entry
  was edited by hand (or a rendering option such as the trigger path changed) and is
  planned as an update. It is how hand edits are found on schedulers whose marker
  cannot say on its own that the entry changed (crontab).
* :class:`SupportsMarkerAudit` — ``audit_markers()`` reports ownership markers that are
  malformed or detached from their entry (``cronix verify-ownership``).
* :class:`SupportsFireCheck` — ``fire_matches(app, job, entry, fire)`` says whether an
  entry that carries its trigger spec carries exactly this one; ``False`` plans an update
  (the operator changed the secret refs or the fire strategy).
* :class:`SupportsRecordedJobs` — ``recorded_jobs()`` returns the jobs as the entries
  themselves record them (the spec carried in a ConfigMap or a schedule's ``Input``), so
  audits without a manifest can check hashes on backends that write no spec files.
* :class:`SupportsRunNow` — ``run_now(app, job, run)`` fires one job once, now, the
  backend's own way (a Job from a CronJob, one invocation of the target function), for
  ``cronix run`` on backends whose fires do not run on this host. ``run`` says the fire
  time and fire id to pass on and that the run is manual.
* :class:`SupportsUnownedTriggers` — ``unowned_triggers()`` lists native entries that run
  ``cronix trigger <app>.<job>`` without being cronix's entry (a crontab line whose marker
  was deleted by hand): for a managed job each one is a second firing, so ``plan`` warns,
  ``drift``, ``verify-ownership`` and ``global-status`` report them and ``adopt`` takes
  them over. The host decides which jobs are managed; the backend only finds the lines.

Failures raise :class:`~cronix.errors.BackendError` (exit 3) with a one-line message
naming the backend and the object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, runtime_checkable

from cronix.errors import BackendError
from cronix.protocol.specfile import render_spec_file
from cronix.runlog import HistoryRun

if TYPE_CHECKING:
    from collections.abc import Sequence
    from contextlib import AbstractContextManager
    from datetime import datetime

    from cronix.protocol.manifest import Job

__all__ = [
    "CAPABILITIES",
    "DRIFT_SENTINEL",
    "FIRE_STRATEGIES",
    "LOCAL_SHIM",
    "MANAGED_JWT",
    "AdoptResult",
    "Backend",
    "Capability",
    "CommitIncomplete",
    "Diagnostic",
    "FireSpec",
    "HistoryEntry",
    "HistoryQuery",
    "HostContext",
    "ManagedEntry",
    "ManualRun",
    "PausesByOmission",
    "Severity",
    "SupportsContentCheck",
    "SupportsFireCheck",
    "SupportsMarkerAudit",
    "SupportsRecordedJobs",
    "SupportsRunNow",
    "SupportsTransaction",
    "SupportsUnownedTriggers",
    "SupportsValidateMany",
    "SupportsVerifyMany",
    "UnownedTrigger",
    "UnsupportedOperation",
]

#: Reported instead of a hash when the live artifact was edited by hand.
DRIFT_SENTINEL = "drift-spec-edited"

Capability = Literal["adopt", "history", "drift-detection", "timezones", "every"]
CAPABILITIES: tuple[Capability, ...] = ("adopt", "history", "drift-detection", "timezones", "every")
Severity = Literal["error", "warning"]

#: The scheduler entry runs ``cronix trigger``, which HMAC-signs the request (the default).
LOCAL_SHIM: Final = "local-shim"
#: A managed scheduler calls the app itself with an asymmetric JWT (DESIGN §6).
MANAGED_JWT: Final = "managed-jwt"
FIRE_STRATEGIES: Final = (LOCAL_SHIM, MANAGED_JWT)


class UnsupportedOperation(BackendError):
    """The backend does not offer this optional operation."""


class CommitIncomplete(BackendError):
    """A transaction's commit failed after changing part of the scheduler; the message says what.

    For schedulers whose commit is several steps (systemd: unit files, ``daemon-reload``,
    ``enable``) rather than one atomic write, so an apply never claims "nothing was changed"
    when something was.
    """


@dataclass(frozen=True, slots=True)
class ManagedEntry:
    """One scheduler entry cronix owns: ``(app, job, index)`` plus its ownership hash.

    ``raw`` is backend-native and for display only: the crontab line, the timer path,
    the CronJob object, the schedule ARN.

    ``paused`` is the entry's pause state as the scheduler holds it (D-721): ``True`` —
    installed but not firing (a commented-out crontab line, a disabled timer, a suspended
    CronJob, a ``DISABLED`` schedule, a paused managed slot); ``False`` — firing; ``None``
    — this backend cannot tell. The reconciler compares it with the job's ``enabled``
    (a mismatch is drift) and ``cronix status`` shows it.
    """

    app: str
    job: str
    index: int
    hash: str
    raw: Any = None
    paused: bool | None = None

    def as_json(self) -> dict[str, Any]:
        """The entry as JSON; ``paused`` only when the backend can tell (older output unchanged)."""
        doc = {"app": self.app, "job": self.job, "index": self.index, "hash": self.hash, "raw": self.raw}
        if self.paused is not None:
            doc["paused"] = self.paused
        return doc


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A validation or prerequisite finding. ``path`` is relative to the job (``schedules/1``)."""

    severity: Severity
    message: str
    path: str = ""
    code: str = ""

    def render(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}{self.message}"

    def as_json(self) -> dict[str, str]:
        return {"severity": self.severity, "path": self.path, "code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class UnownedTrigger:
    """A native entry that runs ``cronix trigger <app>.<job>`` but is not cronix's entry.

    ``where`` names it for a human (``/etc/cron.d/cronix:12``); ``raw`` is the entry itself.
    """

    app: str
    job: str
    where: str
    raw: str = ""

    def as_json(self) -> dict[str, str]:
        return {"app": self.app, "job": self.job, "where": self.where, "raw": self.raw}

    def render(self) -> str:
        return (
            f"{self.where} runs cronix trigger {self.app}.{self.job} but is not its owned entry, so the "
            f"job fires twice; take it over with cronix adopt {self.app}.{self.job}, or delete that line"
        )


@dataclass(frozen=True, slots=True)
class AdoptResult:
    """The outcome of adopting pre-existing, unmarked entries of one job."""

    found: bool = False
    adopted: bool = False
    already_managed: bool = False
    diverged: bool = False
    divergences: tuple[str, ...] = ()
    entries: tuple[ManagedEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    app: str
    job: str
    since: datetime | None = None
    until: datetime | None = None
    status: str | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class HostContext:
    """What the host tells every backend it opens — in-tree at ``open()``, a plugin at Configure.

    ``trigger_bin`` is the cronix executable scheduler entries run (``<trigger_bin> trigger
    <app>.<job>``); ``spec_dir`` is where the host writes trigger spec files for backends
    that fire on this host; ``fire_strategy`` is the strategy the operator chose for this
    backend (per-job choices travel in each :class:`FireSpec`). ``read_only`` says the
    command only reads (``plan``, ``drift``, ``list``, ``show``, ``verify-ownership``,
    ``global-status``, ``history``): ``check()`` must then not ask for write access, and
    nothing will be created, updated or deleted.
    """

    trigger_bin: str = "cronix"
    spec_dir: str = ""
    fire_strategy: str = LOCAL_SHIM
    read_only: bool = False

    @property
    def trigger_command(self) -> str:
        """What an entry runs, followed by ``" <app>.<job>"``."""
        return f"{self.trigger_bin} trigger"

    def trigger_argv(self, app: str, job: str) -> list[str]:
        return [self.trigger_bin, "trigger", f"{app}.{job}"]


@dataclass(frozen=True, slots=True)
class FireSpec:
    """How one job is fired: handed to ``create``/``update``/``adopt`` with the job.

    ``specs[i]`` is the compact trigger spec JSON for ``job.schedules[i]`` — exactly what
    ``cronix trigger`` (or the Lambda) reads, with ``schedule_index`` = ``i`` — so a backend
    that delivers the spec inside its entry stores it verbatim. ``secret_refs`` are the
    operator's references (never values); ``strategy`` is the job's fire strategy.
    """

    strategy: str
    secret_refs: tuple[str, ...] | None
    specs: tuple[str, ...]

    @classmethod
    def build(
        cls, app: str, job: Job, secret_refs: Sequence[str] | None = None, strategy: str = LOCAL_SHIM
    ) -> FireSpec:
        refs = None if secret_refs is None else tuple(secret_refs)
        specs = tuple(
            render_spec_file(app, job, refs, schedule_index=i, indent=False)
            for i in range(len(job.schedules))
        )
        return cls(strategy, refs, specs)

    def spec_json(self, index: int) -> str:
        return self.specs[index]


#: One finished (or folded) run of a job, from whatever source the backend reads. The
#: same type the run log and ``cronix history`` use, so sources merge without conversion.
HistoryEntry = HistoryRun


@runtime_checkable
class Backend(Protocol):
    """The interface every backend implements (see the module docstring for the recipe)."""

    #: Registry name, e.g. ``crontab``.
    name: str
    #: Optional operations this backend offers.
    capabilities: frozenset[Capability]
    #: Fire strategies its entries can use (:data:`LOCAL_SHIM`, :data:`MANAGED_JWT`).
    fire_strategies: frozenset[str]
    #: Its entries run ``cronix trigger`` on this host: the host writes trigger spec files
    #: into ``HostContext.spec_dir`` and audits may fall back to them (crontab, systemd).
    fires_on_host: bool
    #: Its state is a file on this host: applies hold the apply-wide lock (crontab,
    #: systemd, vercel). Remote schedulers have their own concurrency control.
    local_state: bool

    def check(self) -> list[Diagnostic]: ...

    def validate(self, app: str, job: Job) -> list[Diagnostic]: ...

    def list_entries(self) -> list[ManagedEntry]: ...

    def create(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None: ...

    def update(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None: ...

    def delete(self, app: str, job: str) -> None: ...

    def verify_ownership(self, entry: ManagedEntry) -> bool: ...

    def adopt(
        self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec, *, dry_run: bool
    ) -> AdoptResult: ...

    def history(self, query: HistoryQuery) -> list[HistoryEntry]: ...

    def close(self) -> None: ...


@runtime_checkable
class PausesByOmission(Protocol):
    """Optional: the scheduler cannot hold a paused entry, so a paused job has none (D-721).

    vercel.json has no ``enabled`` flag for a cron: the reconciler plans a job with
    ``enabled=False`` as no entries at all (a ``delete`` when some exist, else nothing),
    and ``create``/``update`` are never asked to write one.
    """

    pauses_by_omission: Literal[True]


@runtime_checkable
class SupportsTransaction(Protocol):
    """Optional: stage the writes of one apply and commit them atomically.

    Inside ``with backend.transaction():`` create/update/delete only stage changes; a
    normal exit commits them all at once (and writes nothing when nothing changed); an
    exception discards them. Nesting is not supported.
    """

    def transaction(self) -> AbstractContextManager[None]: ...


@runtime_checkable
class SupportsValidateMany(Protocol):
    """Optional: ``validate`` for many jobs at once (``result[i]`` answers ``jobs[i]``).

    For backends where each call has a fixed cost — a plugin pays a gRPC round trip per
    call — so the reconciler validates a whole manifest in one go.
    """

    def validate_many(self, app: str, jobs: Sequence[Job]) -> list[list[Diagnostic]]: ...


@runtime_checkable
class SupportsVerifyMany(Protocol):
    """Optional: ``verify_ownership`` for many entries at once (``result[i]`` answers ``entries[i]``)."""

    def verify_ownership_many(self, entries: Sequence[ManagedEntry]) -> list[bool]: ...


@runtime_checkable
class SupportsContentCheck(Protocol):
    """Optional: is ``entry`` exactly what this backend would install for ``job`` now?"""

    def entry_matches(self, app: str, job: Job, entry: ManagedEntry) -> bool: ...


@runtime_checkable
class SupportsMarkerAudit(Protocol):
    """Optional: ownership markers that do not form a valid entry (malformed, orphaned)."""

    def audit_markers(self) -> list[Diagnostic]: ...


@runtime_checkable
class SupportsUnownedTriggers(Protocol):
    """Optional: native entries that run ``cronix trigger`` but are not cronix's (any app)."""

    def unowned_triggers(self) -> list[UnownedTrigger]: ...


@runtime_checkable
class SupportsRecordedJobs(Protocol):
    """Optional: the jobs as the installed entries record them (``(app, job)`` → job).

    For backends that carry the trigger spec inside the entry, so ``verify-ownership``,
    ``show`` and ``global-status`` can check hashes without a manifest or spec files.
    """

    def recorded_jobs(self) -> dict[tuple[str, str], Job]: ...


@runtime_checkable
class SupportsFireCheck(Protocol):
    """Optional: does ``entry`` carry exactly ``fire`` (its spec, secret refs and strategy)?

    For backends that store the trigger spec inside the entry: the ownership hash covers
    the job, not the operator's secret refs or strategy, so without this a changed
    ``--secret-ref`` would never reach entries that already exist.
    """

    def fire_matches(self, app: str, job: Job, entry: ManagedEntry, fire: FireSpec) -> bool: ...


@dataclass(frozen=True, slots=True)
class ManualRun:
    """One manual fire (``cronix run``): the occurrence it fires and its fire id.

    ``fire_time`` is Unix seconds — now, or the backfilled occurrence — and ``index`` the
    schedule it belongs to. The backend passes both to the trigger it starts (the
    trigger's ``$CRONIX_FIRE_TIME``, and ``$CRONIX_MANUAL_RUN=1`` so the run is recorded as
    manual), so the request carries ``fire_id`` and a claim store runs it once.
    """

    fire_time: int
    index: int
    fire_id: str


@runtime_checkable
class SupportsRunNow(Protocol):
    """Optional: fire one job once, now, the backend's own way; returns a handle on the run.

    For backends whose entries do not run ``cronix trigger`` on this host. Raises
    :class:`~cronix.errors.BackendError` (exit 3) when the run cannot be started.
    """

    def run_now(self, app: str, job: str, run: ManualRun) -> str: ...
