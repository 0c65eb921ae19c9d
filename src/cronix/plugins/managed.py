"""``cronix-backend-managed``: jobs on a managed scheduler that calls the app itself (``managed-jwt``).

It speaks the managed-scheduler API v1 (``spec/managed-scheduler.md``) to any service that
implements it — ``cronix-managed-ref`` for development and tests. An ``apply`` converges
the service's slots toward the manifest, one slot per ``(app, job, schedule index)``:

* ``kind=arms`` (default) — one-shot arms: each slot holds the schedule's next occurrence
  (``fire_id`` + ``fire_at``). The app owns the time: after a claimed fire its SDK arms
  the next one (``Cron(scheduler=...)``). ``apply`` arms what is missing or changed
  (the ownership hash differs), cancels what the manifest no longer has, and pauses
  or resumes each slot as the job's ``enabled`` says (D-721: a pause the manifest does
  not declare is drift); ``drift`` reports a slot whose arm is gone (a failed delivery, a
  lost re-arm) and ``apply`` arms it again. A cold start — a service that lost its state
  — rebuilds idempotently: the next occurrence of each schedule has one ``fire_id``, so
  two applies, or an apply and a re-arm, converge on the same arm.
* ``kind=schedules`` — recurring schedules: the service owns the time (expression and
  timezone), the app needs no re-arm.

Ownership: a slot is cronix's when its ``owner`` is ``cronix``; any other slot is foreign
and never listed, changed or removed. There is no state file: the slots are the state.

Settings (``--backend-config`` or ``plugins.config.managed``): ``url`` (required, the
service's base URL), ``kind`` (``arms`` | ``schedules``), ``audience`` (the ``aud`` the
service mints; default ``cronix:app:<app>``), ``timeout`` (seconds per API call, 10).
The API token comes from the environment, never from settings: ``$CRONIX_PLUGIN_MANAGED_TOKEN``
(the host passes ``CRONIX_PLUGIN_MANAGED_*`` variables to this plugin and no others).
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cronix.backends.base import (
    MANAGED_JWT,
    Capability,
    Diagnostic,
    FireSpec,
    HistoryEntry,
    HistoryQuery,
    HostContext,
    ManagedEntry,
    UnsupportedOperation,
)
from cronix.plugins.errors import RpcFailure
from cronix.protocol.managed import OWNER, Arm, Schedule, arm_for, next_fire_at, schedule_for
from cronix.sdk.scheduler import ManagedScheduler, SchedulerError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    from cronix.protocol.manifest import Job

__all__ = ["MANAGED_VERSION", "TOKEN_ENV", "ManagedBackend", "ManagedSeeder", "main"]

MANAGED_VERSION = "1.0.0"
TOKEN_ENV = "CRONIX_PLUGIN_MANAGED_TOKEN"
_SETTINGS = frozenset({"url", "kind", "audience", "timeout"})
_CODES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
}


def _failure(exc: SchedulerError) -> RpcFailure:
    """A service error as the gRPC status the host maps to a category (all exit 3)."""
    code = _CODES.get(exc.status, "UNAVAILABLE" if exc.transient else "INTERNAL")
    return RpcFailure(code, f"managed scheduler: {exc}")


def _client(settings: Mapping[str, str]) -> ManagedScheduler:
    url = settings.get("url", "")
    if not url:
        raise ValueError("url is required: the managed scheduler's base URL (--backend-config url=https://…)")
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        raise ValueError(f"${TOKEN_ENV} is not set: the managed scheduler's API token (never a setting)")
    try:
        timeout = float(settings.get("timeout", "10"))
    except ValueError:
        raise ValueError(f"timeout must be a number of seconds, got {settings['timeout']!r}") from None
    return ManagedScheduler(url, token=token, timeout=timeout)


class ManagedBackend:
    """A Backend over a managed scheduler's slots; see the module docstring."""

    name: str = "managed"
    version: str = MANAGED_VERSION
    capabilities: frozenset[Capability] = frozenset({"drift-detection", "timezones", "every", "history"})
    fire_strategies: frozenset[str] = frozenset({MANAGED_JWT})
    fires_on_host = False
    local_state = False

    def __init__(self, settings: Mapping[str, str], host: HostContext | None = None) -> None:
        unknown = sorted(set(settings) - _SETTINGS)
        if unknown:
            raise ValueError(f"unknown setting {unknown[0]!r} (known: {', '.join(sorted(_SETTINGS))})")
        self.kind = settings.get("kind", "arms")
        if self.kind not in ("arms", "schedules"):
            raise ValueError(f"kind must be arms or schedules, got {self.kind!r}")
        self.audience = settings.get("audience", "")
        self.client = _client(settings)

    # ------------------------------------------------------------------ Backend

    def check(self) -> list[Diagnostic]:
        try:
            info = self.client.info()
        except SchedulerError as exc:
            return [Diagnostic("error", f"managed scheduler unreachable: {exc}", code="unreachable")]
        kinds = info.get("kinds", [])
        wanted = self.kind[:-1]
        if isinstance(kinds, list) and wanted not in kinds:
            return [
                Diagnostic(
                    "error", f"{self.client.url} offers {kinds}, not {wanted}s", code="kind_unsupported"
                )
            ]
        return []

    def validate(self, app: str, job: Job) -> list[Diagnostic]:
        found: list[Diagnostic] = []
        now = int(time.time())
        for index, expression in enumerate(job.schedules):
            try:
                upcoming = next_fire_at(expression, job.timezone, now)
            except ValueError as exc:
                found.append(Diagnostic("error", str(exc), f"schedules/{index}", "schedule_invalid"))
                continue
            if upcoming is None:
                found.append(Diagnostic("error", "never fires again", f"schedules/{index}", "never_fires"))
        if job.policy.concurrency == "Replace":
            found.append(
                Diagnostic(
                    "error",
                    "concurrency Replace cannot be enforced over HTTP (the running fire cannot be stopped); "
                    "use Forbid (the SDK skips a fire while the job runs) or Allow",
                    "policy/concurrency",
                    "replace_unsupported",
                )
            )
        return found

    def list_entries(self) -> list[ManagedEntry]:
        return sorted(self._owned(), key=lambda e: (e.app, e.job, e.index))

    def create(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        self._write(app, job, hashes, fire)

    def update(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        self._write(app, job, hashes, fire)
        for entry in self._owned(app):
            if entry.job == job.name and entry.index >= len(job.schedules):
                self._call(self.client.cancel, self.kind, app, job.name, entry.index)

    def delete(self, app: str, job: str) -> None:
        for entry in self._owned(app):
            if entry.job == job:
                self._call(self.client.cancel, self.kind, app, job, entry.index)

    def verify_ownership(self, entry: ManagedEntry) -> bool:
        return self.verify_ownership_many([entry])[0]

    def verify_ownership_many(self, entries: Sequence[ManagedEntry]) -> list[bool]:
        owned: dict[str, set[tuple[str, int]]] = {}
        for app in {e.app for e in entries}:
            owned[app] = {(e.job, e.index) for e in self._owned(app)}
        return [(e.job, e.index) in owned[e.app] for e in entries]

    def adopt(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec, *, dry_run: bool) -> Any:
        raise UnsupportedOperation(
            "the managed backend does not adopt: a slot without owner cronix is foreign"
        )

    def history(self, query: HistoryQuery) -> list[HistoryEntry]:
        deliveries = self._call(self.client.fires, query.app, query.job, limit=query.limit or 50)
        found = []
        for d in deliveries:
            started, finished = _when(d.started_at), _when(d.finished_at)
            status = {"delivered": "ok", "failed": "failed"}.get(d.status, "running")
            if query.status is not None and status != query.status:
                continue
            if query.since is not None and (started is None or started < query.since):
                continue
            if query.until is not None and (started is None or started >= query.until):
                continue
            detail = f"{d.fire_id}: {d.status}" + (f" HTTP {d.http_status}" if d.http_status else "")
            found.append(
                HistoryEntry(d.app, d.job, d.run_id, d.attempts, started, finished, status, "managed", detail)
            )
        return found

    def close(self) -> None:
        return None

    # ------------------------------------------------------------------ internals

    def _call(self, fn: Any, *args: Any, **kw: Any) -> Any:
        try:
            return fn(*args, **kw)
        except SchedulerError as exc:
            raise _failure(exc) from None
        except ValueError as exc:  # a slot the service answered that is not one
            raise RpcFailure("INTERNAL", f"managed scheduler answered a malformed slot: {exc}") from None

    def _owned(self, app: str | None = None) -> Iterator[ManagedEntry]:
        slots: list[Arm] | list[Schedule]
        slots = self._call(self.client.arms if self.kind == "arms" else self.client.schedules, app)
        for slot in slots:
            if slot.owner != OWNER or (app is not None and slot.app != app):
                continue
            raw: dict[str, Any] = {"paused": slot.paused}
            if isinstance(slot, Arm):
                raw.update(fire_id=slot.fire_id, callback_url=slot.callback_url)
            else:
                raw.update(expression=slot.expression, timezone=slot.timezone)
            yield ManagedEntry(slot.app, slot.job, slot.index, slot.hash, raw, slot.paused)

    def _write(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        if fire.strategy != MANAGED_JWT:
            raise RpcFailure(
                "INVALID_ARGUMENT", f"the managed backend fires with {MANAGED_JWT} only, not {fire.strategy}"
            )
        if len(hashes) != len(job.schedules):
            raise RpcFailure("INVALID_ARGUMENT", f"{len(hashes)} hashes for {len(job.schedules)} schedules")
        now = int(time.time())
        paused = {(e.job, e.index): bool(e.raw["paused"]) for e in self._owned(app)}
        for index, digest in enumerate(hashes):
            if self.kind == "arms":
                arm = arm_for(app, job, index, digest, now, audience=self.audience)
                if arm is None:
                    raise RpcFailure(
                        "INVALID_ARGUMENT", f"schedule {index} of {app}.{job.name} never fires again"
                    )
                self._call(self.client.arm, arm)
            else:
                self._call(
                    self.client.schedule, schedule_for(app, job, index, digest, audience=self.audience)
                )
            if paused.get((job.name, index), False) != (not job.enabled):
                # An upsert keeps a slot's pause (spec §4.3): the manifest's enabled decides it.
                self._call(self.client.set_paused, self.kind, app, job.name, index, not job.enabled)


def _when(text: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


# ---------------------------------------------------------------------- seeding (conformance)


class ManagedSeeder:
    """Plants slots cronix does not own (``owner`` ≠ ``cronix``) on the service (a conformance ``Seeder``)."""

    def __init__(self, client: ManagedScheduler) -> None:
        self.client = client
        self._planted: list[Arm] = []

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> ManagedSeeder:
        return cls(_client(settings))

    def seed_foreign(self, schedule: str, command: str) -> None:
        when = next_fire_at(schedule, "UTC", int(time.time()))
        assert when is not None
        from cronix.protocol.fireid import format_fire_id

        app, job = "zz-foreign", "backup"
        arm = Arm(
            app,
            job,
            len(self._planted),
            format_fire_id(app, job, len(self._planted), when),
            when,
            "https://foreign.example/run",
            "0" * 16,
            body=command,
            owner="someone-else",
        )
        self.client.arm(arm)
        self._planted.append(arm)

    def seed_unmarked(self, app: str, job: Job, schedules: Sequence[str]) -> None:
        raise NotImplementedError("the managed backend does not adopt")

    def foreign_snapshot(self) -> object:
        return sorted(
            (a.to_json() for a in self.client.arms() if a.owner != OWNER), key=lambda d: d["fire_id"]
        )

    def cleanup(self) -> None:
        for arm in self._planted:
            self.client.cancel("arms", arm.app, arm.job, arm.index)
        self._planted.clear()


# ---------------------------------------------------------------------- executable


def main() -> None:
    """Entry point of ``cronix-backend-managed``."""
    from cronix.plugins.sdk import serve

    serve(ManagedBackend, description="managed-jwt: slots on a managed-scheduler API v1 service (url)")
