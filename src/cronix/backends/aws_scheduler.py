"""The aws-scheduler backend: one EventBridge Scheduler schedule per ``(app, job, index)``.

What a schedule looks like: :mod:`cronix.backends.aws_schedules`; how a manifest schedule
becomes ``cron()``/``rate()``: :mod:`cronix.backends.aws_expressions`. Each schedule
invokes the cronix Lambda (:mod:`cronix.trigger.aws_lambda`) with the trigger spec as its
``Input``, so nothing fires on this host (``fires_on_host = False``) and the state lives in
AWS (``local_state = False``: no apply lock; the API serialises writes).

API use, counted by ``bench/bench_aws.py``:

* Listing is one paginated ``ListSchedules`` (``NamePrefix=cronix-``) and one
  ``GetSchedule`` per listed schedule, ``read_concurrency`` at a time: the list carries
  neither the ``Description`` marker nor the expression, which ownership and drift need.
  The content check (:meth:`AwsSchedulerBackend.entry_matches`) reads nothing again, so a
  no-op apply writes nothing and reads each owned schedule once.
* Changes are ``UpdateSchedule`` with every field (it resets what it omits), never
  delete + create; a job that lost schedules has the extra indices deleted by name.
* Retries are botocore's (``api_retry_mode``, ``api_max_attempts``): throttling and 5xx
  answers back off and retry inside each call (:mod:`cronix.awsclients`).

Drift: a schedule whose expression or zone is not the translation of the schedule its own
``Input`` records lists with the drift sentinel (a hand edit in the console); any other
difference from what cronix would write now — target, role, retry policy, state, Input —
fails the content check. Both plan an update that rewrites the schedule.
"""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from cronix.awsclients import AwsSettings, client, error_text, is_aws_error
from cronix.backends.aws_api import ScheduleConflict, SchedulerApi
from cronix.backends.aws_expressions import AwsTranslationError, dst_differences, translate
from cronix.backends.aws_options import AwsSchedulerOptions
from cronix.backends.aws_schedules import (
    MAX_NAME_LENGTH,
    LiveSchedule,
    Marker,
    name_prefix,
    render_request,
    schedule_input,
    schedule_name,
)
from cronix.backends.base import (
    DRIFT_SENTINEL,
    LOCAL_SHIM,
    AdoptResult,
    Capability,
    Diagnostic,
    FireSpec,
    HistoryEntry,
    HistoryQuery,
    HostContext,
    ManagedEntry,
    ManualRun,
)
from cronix.errors import BackendError
from cronix.protocol.specfile import MANUAL_RUN_KEY, SpecFileError, parse_spec_file, render_spec_file

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cronix.protocol.manifest import Job

__all__ = ["AwsSchedulerBackend", "AwsSchedulerOptions", "open_backend"]


def open_backend(options: AwsSchedulerOptions, host: HostContext) -> AwsSchedulerBackend:
    """The registry's opener: the decoded ``backends.<name>`` options and the host context."""
    return AwsSchedulerBackend(options, host)


class AwsSchedulerBackend:
    name = "aws-scheduler"
    capabilities: frozenset[Capability] = frozenset(
        {"adopt", "drift-detection", "every", "history", "timezones"}
    )
    #: The Lambda speaks the HMAC wire format, like ``cronix trigger``.
    fire_strategies: frozenset[str] = frozenset({LOCAL_SHIM})
    fires_on_host = False
    local_state = False

    def __init__(self, options: AwsSchedulerOptions | None = None, host: HostContext | None = None) -> None:
        self.options = options or AwsSchedulerOptions()
        self.host = host or HostContext()
        #: Schedules as last read or written, by name; ``_complete`` once a full listing was read.
        self._live: dict[str, LiveSchedule] = {}
        self._complete = False
        self._group_ok = False

    @cached_property
    def client(self) -> Any:
        """The boto3 ``scheduler`` client (public so benchmarks and the seeder use the same one)."""
        try:
            return client("scheduler", self._settings())
        except Exception as exc:
            if not is_aws_error(exc):
                raise
            raise BackendError(f"aws-scheduler: cannot create an AWS client: {error_text(exc)}") from None

    @cached_property
    def api(self) -> SchedulerApi:
        return SchedulerApi(self.client, self.options.schedule_group, self.options.read_concurrency)

    def describe(self) -> str:
        return f"EventBridge schedule group {self.options.schedule_group}"

    # ------------------------------------------------------------ Backend protocol

    def check(self) -> list[Diagnostic]:
        out = [
            Diagnostic("error", f"{key} is required: {why} (docs/aws.md)", key, "required")
            for key, why in (
                ("target_arn", "the ARN of the cronix Lambda the schedules invoke"),
                ("role_arn", "the IAM role EventBridge Scheduler assumes to invoke it"),
            )
            if not getattr(self.options, key) and not self.host.read_only  # only writes need them
        ]
        group = self.options.schedule_group
        try:
            self._group_ok = self._group_ok or self.api.group_exists()
        except BackendError as exc:
            out.append(Diagnostic("error", f"cannot reach EventBridge Scheduler: {exc}", "", "unreachable"))
            return out
        if not self._group_ok:
            if self.options.create_group:
                out.append(
                    Diagnostic(
                        "warning", f"schedule group {group} does not exist yet; apply creates it", "", ""
                    )
                )
            else:
                out.append(Diagnostic("error", _missing_group(group), "schedule_group", "missing_group"))
        return out

    def validate(self, app: str, job: Job) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        now = datetime.now(UTC)
        for i, schedule in enumerate(job.schedules):
            where = f"schedules/{i}"
            try:
                aws = translate(schedule, job.timezone)
            except AwsTranslationError as exc:
                out.append(Diagnostic("error", str(exc), where, "untranslatable"))
                continue
            if aws.warning:
                out.append(Diagnostic("warning", aws.warning, where, "rate_phase"))
            days = dst_differences(schedule, job.timezone, start=now)
            if days:
                shown = ", ".join(d.isoformat() for d in days[:4])
                out.append(
                    Diagnostic(
                        "warning",
                        f"EventBridge skips times in a spring-forward gap and runs a repeated time once, "
                        f"so in {job.timezone} this schedule fires differently from cron on {shown}",
                        where,
                        "dst_semantics",
                    )
                )
        longest = schedule_name(app, job.name, len(job.schedules) - 1)
        if len(longest) > MAX_NAME_LENGTH:
            out.append(
                Diagnostic(
                    "error",
                    f'schedule name "{longest}" has {len(longest)} characters, over EventBridge\'s limit of '
                    f"{MAX_NAME_LENGTH}; shorten the app id or the job name",
                    "name",
                    "name_too_long",
                )
            )
        return out

    def list_entries(self) -> list[ManagedEntry]:
        self._live = self._scan(name_prefix())
        self._complete = True
        return [e for e in map(self._entry, self._live.values()) if e is not None]

    def entry_matches(self, app: str, job: Job, entry: ManagedEntry) -> bool:
        """The listed schedule is exactly what cronix would write now (reads nothing again)."""
        name = schedule_name(app, job.name, entry.index)
        live = self._live.get(name) or self.api.get(name)
        if live is None or entry.index >= len(job.schedules):
            return False
        try:
            recorded = parse_spec_file(live.input)
        except SpecFileError:
            return False
        spec = render_spec_file(app, job, recorded.secret_refs, schedule_index=entry.index, indent=False)
        try:
            want = self._request(app, job, entry.index, entry.hash, spec)
        except BackendError:
            return False
        return live.content() == LiveSchedule.from_api(want).content()

    def fire_matches(self, app: str, job: Job, entry: ManagedEntry, fire: FireSpec) -> bool:
        """The schedule's ``Input`` is exactly the spec apply would write (refs, strategy included)."""
        live = self._live.get(schedule_name(app, job.name, entry.index))
        return (
            live is not None
            and entry.index < len(fire.specs)
            and live.input == schedule_input(fire.spec_json(entry.index))
        )

    def verify_ownership(self, entry: ManagedEntry) -> bool:
        return self.verify_ownership_many([entry])[0]

    def verify_ownership_many(self, entries: Sequence[ManagedEntry]) -> list[bool]:
        """Read each entry's schedule again and check its marker names exactly this entry."""
        fresh = self.api.get_many([schedule_name(e.app, e.job, e.index) for e in entries])
        out = []
        for e, live in zip(entries, fresh, strict=True):
            marker = live.owned_marker() if live is not None else None
            out.append(
                marker is not None
                and (marker.app, marker.job, marker.index) == (e.app, e.job, e.index)
                and e.hash in (marker.hash, DRIFT_SENTINEL)
            )
        return out

    def create(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        self._write(app, job, hashes, fire)

    def update(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        self._write(app, job, hashes, fire)

    def delete(self, app: str, job: str) -> None:
        for live in self._owned(app, job).values():
            self.api.delete(live.name)
            self._live.pop(live.name, None)

    def adopt(
        self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec, *, dry_run: bool
    ) -> AdoptResult:
        from cronix.backends.aws_adopt import plan_adoption

        found = self._scan(name_prefix(app, job.name))
        self._live.update(found)
        managed = self._owned(app, job.name)
        adoption = plan_adoption(app, job, hashes, found, managed)
        if not adoption.adopted:
            return adoption
        if dry_run:
            return dataclasses.replace(adoption, adopted=False)
        self._write(app, job, hashes, fire, adopting=True)
        return adoption

    def history(self, query: HistoryQuery) -> list[HistoryEntry]:
        """Runs of the job from the target's CloudWatch Logs (the Lambda's JSON lines)."""
        from cronix.backends.aws_history import log_group_for, read_history

        group = self.options.log_group or log_group_for(self.options.target_arn)
        if not group:
            return []
        try:
            return read_history(client("logs", self._settings()), group, query)
        except Exception as exc:
            if not is_aws_error(exc):
                raise
            raise BackendError(f"aws-scheduler: read logs {group}: {error_text(exc)}") from None

    def run_now(self, app: str, job: str, run: ManualRun) -> str:
        """Invoke the target Lambda of schedule ``run.index`` once (``cronix run``); the request id.

        Asynchronously (``InvocationType=Event``), as EventBridge Scheduler invokes it, so the
        function's retry policy and on-failure destination apply, and with the schedule's own
        ``Input`` plus ``manual_run: {"fire_time": …}`` (:mod:`cronix.trigger.aws_lambda`).
        """
        import json

        live = self._owned(app, job).get(run.index)
        if live is None:
            raise BackendError(
                f"aws-scheduler: {app}.{job} has no schedule {schedule_name(app, job, run.index)} in group "
                f"{self.options.schedule_group} (cronix list shows what is installed)"
            )
        if not live.target_arn.startswith("arn:aws:lambda:"):
            raise BackendError(
                f"aws-scheduler: schedule {live.name} targets {live.target_arn}, not a Lambda function; "
                "cronix run can only invoke the cronix Lambda"
            )
        try:
            event = json.loads(live.input)
        except ValueError:
            raise BackendError(f"aws-scheduler: schedule {live.name}: its Input is not JSON") from None
        event[MANUAL_RUN_KEY] = {"fire_time": run.fire_time}
        try:
            answer = client("lambda", self._settings()).invoke(
                FunctionName=live.target_arn, InvocationType="Event", Payload=json.dumps(event).encode()
            )
        except Exception as exc:
            if not is_aws_error(exc):
                raise
            raise BackendError(f"aws-scheduler: invoke {live.target_arn}: {error_text(exc)}") from None
        return str((answer.get("ResponseMetadata") or {}).get("RequestId", ""))

    def recorded_jobs(self) -> dict[tuple[str, str], Job]:
        """The jobs as the schedules' ``Input`` specs record them."""
        if not self._complete:
            self.list_entries()
        out: dict[tuple[str, str], Job] = {}
        for live in self._live.values():
            marker = live.owned_marker()
            with contextlib.suppress(SpecFileError):
                spec = parse_spec_file(live.input)
                if marker is not None and (spec.app, spec.job.name) == (marker.app, marker.job):
                    out[(spec.app, spec.job.name)] = spec.job
        return out

    def audit_markers(self) -> list[Diagnostic]:
        """Markers that are malformed, or copied onto a schedule whose name is not theirs."""
        if not self._complete:
            self.list_entries()
        out = []
        for live in sorted(self._live.values(), key=lambda s: s.name):
            marker = live.marker
            if isinstance(marker, str):
                out.append(
                    Diagnostic("error", f"{live.name}: malformed ownership marker: {marker}", "", "malformed")
                )
            elif isinstance(marker, Marker) and marker.name != live.name:
                out.append(
                    Diagnostic(
                        "error",
                        f"{live.name}: carries the marker of {marker.name}, so cronix does not treat it as "
                        "its own (delete it, or give it back its own description)",
                        "",
                        "detached_marker",
                    )
                )
        return out

    def close(self) -> None:
        if "client" in self.__dict__:
            with contextlib.suppress(Exception):
                self.client.close()

    # ------------------------------------------------------------ writing

    def _write(
        self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec, *, adopting: bool = False
    ) -> None:
        if len(hashes) != len(job.schedules):
            raise BackendError(
                f"aws-scheduler: {app}.{job.name}: {len(hashes)} hashes for {len(job.schedules)} schedules"
            )
        for key in ("target_arn", "role_arn"):
            if not getattr(self.options, key):
                raise BackendError(f"aws-scheduler: {key} is required to write schedules (docs/aws.md)")
        if any(ref.startswith("raw:") for ref in fire.secret_refs or ()):
            raise BackendError(
                "aws-scheduler: a raw: secret ref would be stored in the schedule's Input (it is the secret "
                "itself); use ssm:NAME, secretsmanager:ID or env:NAME"
            )
        self._ensure_group()
        owned = {} if adopting else self._owned(app, job.name)
        for i, digest in enumerate(hashes):
            request = self._request(app, job, i, digest, fire.spec_json(i))
            name = request["Name"]
            if adopting or i in owned:
                arn = self.api.update(request)
            else:
                try:
                    arn = self.api.create(request)
                except ScheduleConflict:
                    raise BackendError(f"aws-scheduler: {_not_ours(name, app, job.name)}") from None
            self._live[name] = LiveSchedule.from_api(request, arn=arn)
        for index, live in owned.items():
            if index >= len(hashes):
                self.api.delete(live.name)
                self._live.pop(live.name, None)

    def _request(self, app: str, job: Job, index: int, hash_: str, spec: str) -> dict[str, Any]:
        try:
            expression = translate(job.schedules[index], job.timezone)
        except AwsTranslationError as exc:
            raise BackendError(f"aws-scheduler: {app}.{job.name} schedules/{index}: {exc}") from None
        jitter = job.policy.jitter_seconds
        return render_request(
            app,
            job.name,
            index,
            hash_,
            expression,
            spec,
            self.options,
            enabled=job.enabled,
            jitter_seconds=jitter,
        )

    def _ensure_group(self) -> None:
        self._group_ok = self._group_ok or self.api.group_exists()
        if self._group_ok:
            return
        if not self.options.create_group:
            raise BackendError(f"aws-scheduler: {_missing_group(self.options.schedule_group)}")
        self.api.create_group()
        self._group_ok = True

    # ------------------------------------------------------------ reading

    def _entry(self, live: LiveSchedule) -> ManagedEntry | None:
        marker = live.owned_marker()
        if marker is None:
            return None
        digest = marker.hash
        with contextlib.suppress(SpecFileError, IndexError, AwsTranslationError):
            recorded = parse_spec_file(live.input).job
            want = translate(recorded.schedules[marker.index], recorded.timezone)
            if (want.expression, want.timezone) != (live.expression, live.timezone):
                digest = DRIFT_SENTINEL  # edited by hand: the schedule no longer says what its Input does
        return ManagedEntry(
            marker.app, marker.job, marker.index, digest, live.raw(), live.state == "DISABLED"
        )

    def _owned(self, app: str, job: str) -> dict[int, LiveSchedule]:
        """The job's owned schedules by index (from the listing, else a scan of the job's names)."""
        if not self._complete:
            prefix = name_prefix(app, job)
            for name in [n for n in self._live if n.startswith(prefix)]:
                del self._live[name]
            self._live.update(self._scan(prefix))
        out: dict[int, LiveSchedule] = {}
        for live in self._live.values():
            marker = live.owned_marker()
            if marker is not None and (marker.app, marker.job) == (app, job):
                out[marker.index] = live
        return out

    def _scan(self, prefix: str) -> dict[str, LiveSchedule]:
        group = self.options.schedule_group
        names = self.api.list_names(prefix, missing_group=_missing_group(group))
        return {live.name: live for live in self.api.get_many(names) if live is not None}

    def _settings(self) -> AwsSettings:
        o = self.options
        return AwsSettings(
            region=o.region,
            profile=o.profile,
            endpoint_url=o.endpoint_url,
            retry_mode=o.api_retry_mode,
            max_attempts=o.api_max_attempts,
            max_pool_connections=max(10, o.read_concurrency),
        )


def _missing_group(group: str) -> str:
    return (
        f"schedule group {group} does not exist: create it (aws scheduler create-schedule-group "
        f"--name {group}) or set create_group: true in backends.aws-scheduler"
    )


def _not_ours(name: str, app: str, job: str) -> str:
    return (
        f"schedule {name} already exists and is not {app}.{job}'s (it has no cronix-managed marker, or "
        f"the marker of another app or job with the same name); take it over with cronix adopt {app}.{job}, "
        "or delete it"
    )
