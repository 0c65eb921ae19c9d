"""The kubernetes backend: each schedule of a job is a CronJob, its trigger spec a ConfigMap.

What the objects look like: :mod:`cronix.backends.kubernetes_objects`. How they are read
and written: :mod:`cronix.backends.kubernetes_api` (the official client, imported only
when the backend is opened). Past runs: :mod:`cronix.backends.kubernetes_history`.

How this backend keeps DESIGN §3 item 5 (and where the reference did not, §3.3/§11):

* **In place, never delete-then-create.** An update is a JSON patch of the existing
  object that replaces its ``spec`` (``data``), merges its labels and asserts the
  ``resourceVersion`` it was read at; a 409 means someone changed it meanwhile, so the
  object is read again, its ownership checked again, and the patch retried (a few
  times). A create that meets an existing object of the same identity patches it; one
  that meets somebody else's object fails and touches nothing.
* **One list per kind.** :meth:`KubernetesBackend.list_entries` lists CronJobs and
  ConfigMaps once each (paginated, ``cronix.dev/managed=true``) and keeps what it saw;
  planning, the content check and the writes of the same apply use that view, so a
  no-op apply reads two lists and writes nothing (``bench/bench_kubernetes.py``). Labels
  are checked client-side on every object, whatever the server's selector returned.
* **Drift.** The live CronJob and ConfigMap are compared with what cronix would write
  (:func:`~cronix.backends.kubernetes_objects.matches`: every field cronix sets, server
  defaults allowed), so a hand edit of the schedule, image, command or the spec is an
  update; without a manifest the job recorded in the ConfigMap stands in
  (``SupportsRecordedJobs``), and a schedule that no longer matches it is listed with the
  drift sentinel, as in the reference. ``spec.suspend`` is the manifest's (``enabled``,
  D-721): entries list it as ``paused``, and a suspend the manifest does not declare is
  drift that apply undoes.
* **Validation before anything**: names over 52 characters, ``@every`` and other things
  a CronJob cannot run are errors naming the job (``validate``); ``check`` proves the API
  server answers and that the credentials may do everything the backend does
  (SelfSubjectAccessReview), listing what is missing.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

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
from cronix.backends.kubernetes_api import KIND_API, ApiError, KubeApi
from cronix.backends.kubernetes_objects import (
    CONTAINER,
    MANAGED,
    Identity,
    UnsupportedSchedule,
    config_map_name,
    identity,
    matches,
    owner,
    pod_secret_refs,
    render_config_map,
    render_cron_job,
    selector,
    translate,
    trigger_target,
    update_ops,
    validate_job,
)
from cronix.backends.kubernetes_options import KubernetesOptions
from cronix.errors import BackendError
from cronix.protocol.ownership import resource_name
from cronix.protocol.specfile import SpecFileError, parse_spec_file, spec_file_name

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from cronix.protocol.manifest import Job

__all__ = ["KubernetesBackend", "KubernetesOptions", "open_backend"]

#: Writes of one object retried after a 409 before the apply gives up on it.
MAX_CONFLICTS = 5
#: What the backend needs (verb, resource); the last group only for ``cronix history``.
_NEEDED = [
    (verb, r) for r in ("cronjobs", "configmaps") for verb in ("list", "get", "create", "patch", "delete")
]
#: What a command that only reads needs (``HostContext.read_only``: plan, drift, list, audits).
_READ = [(verb, r) for verb, r in _NEEDED if verb in ("list", "get")]
_HISTORY = [("list", "jobs", ""), ("list", "pods", ""), ("get", "pods", "log"), ("list", "events", "")]


def open_backend(options: KubernetesOptions, host: HostContext) -> KubernetesBackend:
    """The registry's opener (no connection yet: the first call connects)."""
    return KubernetesBackend(options, host)


class KubernetesBackend:
    """See the module docstring."""

    name = "kubernetes"
    capabilities: frozenset[Capability] = frozenset({"adopt", "drift-detection", "history", "timezones"})
    fire_strategies: frozenset[str] = frozenset({LOCAL_SHIM})
    #: The pods run ``cronix trigger`` in the cluster, reading the spec from a ConfigMap.
    fires_on_host = False
    #: The API server is the state; resourceVersion guards it, not the host's apply lock.
    local_state = False
    #: The specs its ConfigMaps record name the pod's Kubernetes Secret, never the operator's
    #: refs, so a plan needs no ``--secret-ref`` (D-153).
    own_secret_refs = True

    def __init__(
        self, options: KubernetesOptions, host: HostContext | None = None, *, api: KubeApi | None = None
    ) -> None:
        self.options = options
        self.host = host or HostContext()
        self.api = api or KubeApi(options)
        #: The objects with cronix's labels as last listed, by name, kept current by the writes.
        self._cron_jobs: dict[str, dict[str, Any]] | None = None
        self._config_maps: dict[str, dict[str, Any]] | None = None

    # ------------------------------------------------------------ Backend protocol

    def check(self) -> list[Diagnostic]:
        """The API server answers and the credentials may do all the backend does (only read,
        for a command opened ``read_only``)."""
        needed = _READ if self.host.read_only else _NEEDED
        try:
            denied = [f"{verb} {resource}" for verb, resource in needed if not self._allowed(verb, resource)]
            history = [
                f"{verb} {resource}{'/' + sub if sub else ''}"
                for verb, resource, sub in _HISTORY
                if not self._allowed(verb, resource, sub)
            ]
        except BackendError as exc:
            return [Diagnostic("error", _unprefixed(exc), "", "unreachable")]
        ns = self.options.namespace
        out = []
        if denied:
            out.append(
                Diagnostic(
                    "error",
                    f"the credentials may not {', '.join(denied)} in namespace {ns}: "
                    "grant the Role in docs/kubernetes.md",
                    "",
                    "forbidden",
                )
            )
        if history:
            out.append(
                Diagnostic(
                    "warning",
                    f"cronix history will not see runs: the credentials may not {', '.join(history)} "
                    f"in namespace {ns}",
                    "",
                    "forbidden",
                )
            )
        return out

    def _allowed(self, verb: str, resource: str, subresource: str = "") -> bool:
        return self.api.allowed(verb, KIND_API[resource].group, resource, subresource)

    def validate(self, app: str, job: Job) -> list[Diagnostic]:
        return validate_job(app, job, self.options)

    def list_entries(self) -> list[ManagedEntry]:
        cron_jobs, _ = self._load()
        out = []
        for name, obj in sorted(cron_jobs.items()):
            who = owner(obj)
            if who is None:
                continue  # not an entry (verify-ownership reports it)
            digest = self._listed_hash(name, who)
            out.append(ManagedEntry(who.app, who.job, who.idx, digest, _summary(obj), _suspended(obj)))
        return out

    def entry_matches(self, app: str, job: Job, entry: ManagedEntry) -> bool:
        """The live CronJob and ConfigMap are what cronix would write for ``job`` now."""
        if entry.index >= len(job.schedules):
            return False
        cron_jobs, config_maps = self._snapshot()
        name = resource_name(app, job.name, entry.index)
        live, spec = cron_jobs.get(name), config_maps.get(config_map_name(name))
        if live is None or spec is None:
            return False
        try:
            want = render_cron_job(app, job, entry.index, entry.hash, self.options)
        except UnsupportedSchedule:
            return False
        data = self._spec_for(app, job).spec_json(entry.index)
        return matches(want, live) and (spec.get("data") or {}) == {spec_file_name(app, job.name): data}

    def verify_ownership(self, entry: ManagedEntry) -> bool:
        """Read the CronJob again: it still carries this entry's identity and hash."""
        name = resource_name(entry.app, entry.job, entry.index)
        live = self.api.get("cronjobs", name)
        cron_jobs, _ = self._snapshot()
        if live is None:
            cron_jobs.pop(name, None)
            return False
        who = identity(live)
        if who is not None:
            cron_jobs[name] = live
        return (
            who is not None
            and (who.app, who.job, who.idx) == (entry.app, entry.job, entry.index)
            and entry.hash in (who.hash, DRIFT_SENTINEL)
        )

    def create(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        self._write(app, job, hashes, fire)

    def update(self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec) -> None:
        self._write(app, job, hashes, fire)

    def delete(self, app: str, job: str) -> None:
        """Delete every CronJob of the job, then every ConfigMap (no CronJob is left without its spec)."""
        for resource, objects in zip(("cronjobs", "configmaps"), self._snapshot(), strict=True):
            for name, obj in sorted(objects.items()):
                who = owner(obj, config_map=resource == "configmaps")
                if who is not None and (who.app, who.job) == (app, job):
                    self.api.delete(resource, name)
                    objects.pop(name)

    def adopt(
        self, app: str, job: Job, hashes: Sequence[str], fire: FireSpec, *, dry_run: bool
    ) -> AdoptResult:
        """Take over CronJobs without cronix's labels that run ``cronix trigger <app>.<job>``.

        They are adopted when their schedules and timezones are exactly the manifest's:
        cronix's own objects are created (a candidate that already has cronix's name is
        patched in place) and the other candidates deleted with their Jobs orphaned, so a
        run in flight finishes.
        """
        target = f"{app}.{job.name}"
        everything = self.api.items("cronjobs")  # candidates carry no labels to select by
        candidates = [o for o in everything if identity(o) is None and trigger_target(o) == target]
        managed = [
            o for o in everything if (who := owner(o)) is not None and (who.app, who.job) == (app, job.name)
        ]
        if not candidates:
            return AdoptResult(already_managed=bool(managed) and len(managed) == len(job.schedules))
        have = sorted((_canonical((o.get("spec") or {}).get("schedule")), _zone(o)) for o in candidates)
        want = sorted((translate(s), job.timezone) for s in job.schedules)
        problems = []
        if have != want:
            problems.append(f"candidate schedules {have} differ from the manifest's {want}")
        if managed:
            problems.append(f"{len(managed)} CronJobs of this job are already managed")
        if problems:
            return AdoptResult(found=True, diverged=True, divergences=tuple(problems))
        names = [resource_name(app, job.name, i) for i in range(len(job.schedules))]
        entries = tuple(
            ManagedEntry(app, job.name, i, h, f"cronjob/{n}")
            for i, (n, h) in enumerate(zip(names, hashes, strict=True))
        )
        if dry_run:
            return AdoptResult(found=True, entries=entries)
        self._load()
        self._write(app, job, hashes, fire, takeover=frozenset(names))
        for obj in candidates:
            meta = obj.get("metadata") or {}
            if meta.get("name") not in names:
                self.api.delete(
                    "cronjobs",
                    str(meta.get("name")),
                    propagation="Orphan",
                    version=str(meta.get("resourceVersion") or ""),
                )
        return AdoptResult(found=True, adopted=True, entries=entries)

    def history(self, query: HistoryQuery) -> list[HistoryEntry]:
        """Runs from the job's Jobs, Pods, pod logs and (for runs without a log) Events."""
        from cronix.backends.kubernetes_history import collect_runs

        wanted = selector(query.app, query.job)
        return collect_runs(
            query,
            self.api.items("jobs", wanted),
            self.api.items("pods", wanted),
            lambda pod: self.api.pod_log(pod, CONTAINER),
            lambda: self.api.items("events"),
        )

    def recorded_jobs(self) -> dict[tuple[str, str], Job]:
        """The jobs as their ConfigMaps record them (what the pods would fire)."""
        _, config_maps = self._snapshot()
        out: dict[tuple[str, str], Job] = {}
        for _, obj in sorted(config_maps.items()):
            spec = _recorded_spec(obj)
            if spec is not None:
                out[(spec.app, spec.job.name)] = spec.job
        return out

    def run_now(self, app: str, job: str, run: ManualRun) -> str:
        """Create a Job from the CronJob of schedule ``run.index`` (``cronix run``); its name."""
        from cronix.backends.kubernetes_runnow import manual_job

        cron_jobs, _ = self._snapshot()
        name = resource_name(app, job, run.index)
        live = cron_jobs.get(name)
        who = identity(live) if live is not None else None
        if live is None or who is None or (who.app, who.job) != (app, job):
            raise BackendError(
                f"kubernetes: {app}.{job} has no CronJob {name} in namespace {self.options.namespace} "
                "(cronix list shows what is installed)"
            )
        if not (live.get("metadata") or {}).get("uid"):
            raise BackendError(
                f"kubernetes: cronjob {name} in namespace {self.options.namespace} has no uid, so no Job "
                "can name it as its owner (is this a real API server?)"
            )
        body = manual_job(live, run)
        try:
            self.api.create("jobs", body)
        except ApiError as exc:
            if exc.status == 409:
                raise BackendError(
                    f"kubernetes: job {body['metadata']['name']} in namespace {self.options.namespace} "
                    f"exists already: {run.fire_id} was started by hand before"
                ) from None
            raise
        return str(body["metadata"]["name"])

    def audit_markers(self) -> list[Diagnostic]:
        """Objects with cronix's labels that are not an entry: another name, bad labels, a lone ConfigMap."""
        cron_jobs, config_maps = self._snapshot()
        ns = self.options.namespace
        out = []
        for name, obj in sorted(cron_jobs.items()):
            who = identity(obj)
            if who is None:
                out.append(
                    Diagnostic(
                        "error",
                        f"cronjob {name} in namespace {ns}: malformed cronix labels",
                        "",
                        "malformed_marker",
                    )
                )
            elif name != resource_name(who.app, who.job, who.idx):
                out.append(
                    Diagnostic(
                        "error",
                        f"cronjob {name} in namespace {ns} carries the labels of "
                        f"{who.app}.{who.job}[{who.idx}] but is not named "
                        f"{resource_name(who.app, who.job, who.idx)}; cronix ignores it",
                        "",
                        "misnamed",
                    )
                )
            elif config_map_name(name) not in config_maps:
                out.append(
                    Diagnostic(
                        "error",
                        f"cronjob {name} in namespace {ns} has no ConfigMap {config_map_name(name)}",
                        "",
                        "no_spec",
                    )
                )
        for name, obj in sorted(config_maps.items()):
            who = identity(obj)
            if who is not None and name.removesuffix("-spec") not in cron_jobs:
                out.append(
                    Diagnostic(
                        "warning",
                        f"configmap {name} in namespace {ns} has no CronJob "
                        f"(removed when {who.app}.{who.job} is next applied or pruned)",
                        "",
                        "orphan_marker",
                    )
                )
        return out

    def close(self) -> None:
        self.api.close()

    # ------------------------------------------------------------ the view of one apply

    def _load(self) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        """List both kinds once; keep the objects whose labels say cronix wrote them."""
        wanted = selector()
        self._cron_jobs = _by_name(self.api.items("cronjobs", wanted))
        self._config_maps = _by_name(self.api.items("configmaps", wanted))
        return self._cron_jobs, self._config_maps

    def _snapshot(self) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        if self._cron_jobs is None or self._config_maps is None:
            return self._load()
        return self._cron_jobs, self._config_maps

    def _listed_hash(self, name: str, who: Identity) -> str:
        """The label's hash, or the drift sentinel when the schedule no longer is the recorded one."""
        cron_jobs, config_maps = self._snapshot()
        spec = _recorded_spec(config_maps.get(config_map_name(name)))
        if spec is None or spec.app != who.app or who.idx >= len(spec.job.schedules):
            return who.hash
        live = cron_jobs[name]
        try:
            recorded = translate(spec.job.schedules[who.idx])
        except UnsupportedSchedule:
            return who.hash
        if (
            _canonical((live.get("spec") or {}).get("schedule")) != recorded
            or _zone(live) != spec.job.timezone
        ):
            return DRIFT_SENTINEL
        return who.hash

    def _spec_for(self, app: str, job: Job, strategy: str = LOCAL_SHIM) -> FireSpec:
        """The spec the pods read: the operator's refs name secrets on *this* host, so the pod's own."""
        return FireSpec.build(app, job, pod_secret_refs(self.options), strategy)

    # ------------------------------------------------------------ writes

    def _write(
        self,
        app: str,
        job: Job,
        hashes: Sequence[str],
        fire: FireSpec,
        *,
        takeover: frozenset[str] = frozenset(),
    ) -> None:
        if len(hashes) != len(job.schedules):
            raise BackendError(
                f"kubernetes: {app}.{job.name}: {len(hashes)} hashes for {len(job.schedules)} schedules"
            )
        spec = self._spec_for(app, job, fire.strategy)
        cron_jobs, config_maps = self._snapshot()
        ns = self.options.namespace
        for i, digest in enumerate(hashes):
            try:
                cron_job = render_cron_job(app, job, i, digest, self.options)
            except UnsupportedSchedule as exc:
                raise BackendError(f"kubernetes: {app}.{job.name} schedules/{i}: {exc}") from None
            config_map = render_config_map(app, job.name, i, digest, spec.spec_json(i), ns)
            mine = Identity(app, job.name, i, digest)
            # The spec first: a run started between the two writes reads the new spec.
            self._put("configmaps", config_map, mine, config_maps, takeover)
            self._put("cronjobs", cron_job, mine, cron_jobs, takeover)
        for resource, objects in (("cronjobs", cron_jobs), ("configmaps", config_maps)):
            for name, obj in sorted(objects.items()):
                who = owner(obj, config_map=resource == "configmaps")
                if who is not None and (who.app, who.job) == (app, job.name) and who.idx >= len(hashes):
                    self.api.delete(resource, name)
                    objects.pop(name)

    def _put(
        self,
        resource: str,
        desired: dict[str, Any],
        mine: Identity,
        seen: dict[str, dict[str, Any]],
        takeover: frozenset[str],
    ) -> None:
        """Make the object ``desired``: create it, or patch it in place, retrying on conflict."""
        name = desired["metadata"]["name"]
        body = "spec" if resource == "cronjobs" else "data"
        live = seen.get(name)
        for _ in range(MAX_CONFLICTS):
            try:
                if live is None:
                    seen[name] = self.api.create(resource, desired)
                    return
                self._check_owner(resource, live, mine, takeover)
                same_pause = body != "spec" or _suspended(live) == _suspended(desired)
                if (
                    matches(desired, live)
                    and same_pause
                    and (body != "data" or live.get("data") == desired["data"])
                ):
                    return  # already what cronix would write: no write at all
                seen[name] = self.api.patch(resource, name, update_ops(desired, live, body))
                return
            except ApiError as exc:
                if exc.status not in (404, 409):
                    raise
                # 409 on create: it exists; on patch: it changed; 404 on patch: it is gone.
                live = self.api.get(resource, name)
        raise BackendError(
            f"kubernetes: {KIND_API[resource].label} {name} in namespace {self.options.namespace} changed "
            f"{MAX_CONFLICTS} times while cronix was updating it; nothing of it was overwritten — "
            "run apply again"
        )

    def _check_owner(
        self, resource: str, live: dict[str, Any], mine: Identity, takeover: frozenset[str]
    ) -> None:
        who = identity(live)
        name = str((live.get("metadata") or {}).get("name"))
        if who is not None and (who.app, who.job, who.idx) == (mine.app, mine.job, mine.idx):
            return
        if who is None and name in takeover:
            return
        holder = f"it belongs to {who.app}.{who.job}" if who is not None else "it has no cronix labels"
        raise BackendError(
            f"kubernetes: {KIND_API[resource].label} {name} in namespace {self.options.namespace} exists and "
            f"cronix does not own it for {mine.app}.{mine.job} ({holder}); rename or remove it"
        )


def _by_name(objects: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for obj in objects:
        meta = obj.get("metadata") or {}
        if (meta.get("labels") or {}).get(MANAGED) == "true" and meta.get("name"):
            out[str(meta["name"])] = obj
    return out


def _recorded_spec(config_map: dict[str, Any] | None) -> Any:
    """The trigger spec a ConfigMap of cronix's carries (``None``: not one, or unreadable)."""
    who = None if config_map is None else owner(config_map, config_map=True)
    if config_map is None or who is None:
        return None
    text = (config_map.get("data") or {}).get(spec_file_name(who.app, who.job))
    if not isinstance(text, str):
        return None
    with contextlib.suppress(SpecFileError):
        return parse_spec_file(text)
    return None


def _canonical(schedule: Any) -> str:
    """A live ``spec.schedule`` in the form cronix writes (as written when it does not parse)."""
    text = str(schedule or "")
    try:
        return translate(text)
    except UnsupportedSchedule:
        return text


def _suspended(cron_job: Mapping[str, Any]) -> bool:
    return (cron_job.get("spec") or {}).get("suspend") is True


def _zone(cron_job: dict[str, Any]) -> str:
    return str((cron_job.get("spec") or {}).get("timeZone") or "UTC")


def _summary(obj: dict[str, Any]) -> str:
    spec = obj.get("spec") or {}
    pod = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
    images = [c.get("image", "") for c in (pod.get("spec") or {}).get("containers") or ()]
    name = (obj.get("metadata") or {}).get("name")
    return f'cronjob/{name} "{spec.get("schedule", "")}" {spec.get("timeZone") or "UTC"} {",".join(images)}'


def _unprefixed(exc: BaseException) -> str:
    return str(exc).removeprefix("kubernetes: ")
