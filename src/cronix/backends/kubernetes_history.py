"""Past runs of a job on Kubernetes, from the CronJob's Jobs, their Pods, Events and pod logs.

Each scheduled run is one Job (``backoffLimit: 0``: one pod). The pod's log is the
trigger's JSON lines, folded by ``run_id`` exactly like journald's and the run log's
(:func:`cronix.runlog.fold_shim_logs`, source ``k8s-pod-log`` as in the reference); each
run gets the pod and the node it ran on. A run that left no trigger lines — the image
could not be pulled, the Secret is missing, the pod was killed at its deadline — is
still a run: it is reported from the Job's status (source ``k8s-job``, run id = the Job's
name) with the reason Kubernetes gives (the container's waiting or terminated state, the
Job's failure condition, or the last warning event about the pod or the Job).

How far back this reaches is the CronJob's ``successfulJobsHistoryLimit`` /
``failedJobsHistoryLimit``: the controller deletes older Jobs and their pods.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cronix.backends.kubernetes_objects import CONTAINER, identity
from cronix.runlog import HistoryRun, fold_shim_logs, merge_runs

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from cronix.backends.base import HistoryQuery

__all__ = ["JOB_SOURCE", "LOG_SOURCE", "collect_runs"]

LOG_SOURCE = "k8s-pod-log"
JOB_SOURCE = "k8s-job"
_JOB_NAME_LABELS = ("batch.kubernetes.io/job-name", "job-name")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def collect_runs(
    query: HistoryQuery,
    jobs: Sequence[Mapping[str, Any]],
    pods: Sequence[Mapping[str, Any]],
    read_log: Callable[[str], str],
    events: Callable[[], Sequence[Mapping[str, Any]]],
) -> list[HistoryRun]:
    """The runs of ``query.app``/``query.job``, oldest first, filtered and limited as asked.

    ``jobs`` and ``pods`` are everything listed (labels are checked here); ``read_log``
    reads one pod's log; ``events`` is called only if some run left no log.
    """
    mine = [j for j in jobs if _is_for(j, query.app, query.job)]
    by_job: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for pod in pods:
        if _is_for(pod, query.app, query.job):
            by_job[_owner_job(pod)].append(pod)
    found: list[HistoryRun] = []
    silent: list[tuple[Mapping[str, Any] | None, list[Mapping[str, Any]]]] = []
    names = {_name(j) for j in mine}
    units: list[tuple[Mapping[str, Any] | None, list[Mapping[str, Any]]]]
    units = [(j, by_job.get(_name(j), [])) for j in sorted(mine, key=_started)]
    units += [(None, ps) for owner, ps in by_job.items() if owner not in names]
    for job, job_pods in units:
        if job is not None and not _overlaps(job, query.since, query.until):
            continue
        folded = [run for pod in sorted(job_pods, key=_started) for run in _from_log(query, pod, read_log)]
        if folded:
            found.extend(folded)
        elif job is not None:
            silent.append((job, job_pods))
    if silent:
        warnings = _warnings_by_object(events())
        found.extend(
            _from_status(query, job, job_pods, warnings) for job, job_pods in silent if job is not None
        )
    kept = [r for r in found if _keep(r, query)]
    return merge_runs(kept, limit=query.limit)


def _from_log(
    query: HistoryQuery, pod: Mapping[str, Any], read_log: Callable[[str], str]
) -> list[HistoryRun]:
    if (pod.get("status") or {}).get("phase") == "Pending":
        return []
    text = read_log(_name(pod))
    runs = fold_shim_logs(text.splitlines(), query.app, query.job, LOG_SOURCE)
    node = str((pod.get("spec") or {}).get("nodeName") or "")
    killed = _container_problem(pod, terminated_only=True)
    return [r._replace(pod=_name(pod), node=node, detail=r.detail or killed) for r in runs]


def _from_status(
    query: HistoryQuery,
    job: Mapping[str, Any],
    pods: Sequence[Mapping[str, Any]],
    warnings: Mapping[tuple[str, str], str],
) -> HistoryRun:
    status = job.get("status") or {}
    conditions = {c.get("type"): c for c in status.get("conditions") or () if c.get("status") == "True"}
    if "Complete" in conditions or "SuccessCriteriaMet" in conditions:
        state, ended = "ok", _time(status.get("completionTime"))
    elif "Failed" in conditions or "FailureTarget" in conditions:
        cond = conditions.get("Failed") or conditions["FailureTarget"]
        state, ended = "failed", _time(cond.get("lastTransitionTime"))
    else:
        state, ended = "running", None
    pod = sorted(pods, key=_started)[-1] if pods else None
    detail = ""
    if pod is not None:
        detail = _container_problem(pod) or warnings.get(("Pod", _name(pod)), "")
    if not detail and state == "failed":
        cond = conditions.get("Failed") or conditions.get("FailureTarget") or {}
        detail = ": ".join(str(x) for x in (cond.get("reason"), cond.get("message")) if x)
    detail = detail or warnings.get(("Job", _name(job)), "")
    return HistoryRun(
        app=query.app,
        job=query.job,
        run_id=_name(job),
        attempt=0,
        started_at=_started(job),
        finished_at=ended,
        status=state,
        source=JOB_SOURCE,
        detail=detail,
        pod=_name(pod) if pod is not None else "",
        node=str(((pod or {}).get("spec") or {}).get("nodeName") or ""),
    )


def _container_problem(pod: Mapping[str, Any], *, terminated_only: bool = False) -> str:
    """Why the trigger's container is not running or did not finish well, in Kubernetes' words."""
    for cs in (pod.get("status") or {}).get("containerStatuses") or ():
        if cs.get("name") not in (CONTAINER, None):
            continue
        state = cs.get("state") or {}
        terminated = state.get("terminated") or {}
        if terminated and terminated.get("reason") not in (None, "Completed", "Error"):
            return ": ".join(str(x) for x in (terminated.get("reason"), terminated.get("message")) if x)
        waiting = state.get("waiting") or {}
        if waiting and not terminated_only:
            return ": ".join(str(x) for x in (waiting.get("reason"), waiting.get("message")) if x)
    return ""


def _warnings_by_object(events: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], str]:
    """The latest warning message about each involved object, ``(kind, name)`` → text."""
    latest: dict[tuple[str, str], tuple[datetime, str]] = {}
    for event in events:
        if event.get("type") != "Warning":
            continue
        involved = event.get("involvedObject") or event.get("regarding") or {}
        key = (str(involved.get("kind", "")), str(involved.get("name", "")))
        stamp = event.get("lastTimestamp") or event.get("eventTime")
        when = _time(stamp or (event.get("metadata") or {}).get("creationTimestamp")) or _EPOCH
        text = ": ".join(
            str(x) for x in (event.get("reason"), event.get("message") or event.get("note")) if x
        )
        if key not in latest or when >= latest[key][0]:
            latest[key] = (when, text)
    return {key: text for key, (_, text) in latest.items()}


def _is_for(obj: Mapping[str, Any], app: str, job: str) -> bool:
    who = identity(obj)
    return who is not None and (who.app, who.job) == (app, job)


def _owner_job(pod: Mapping[str, Any]) -> str:
    meta = pod.get("metadata") or {}
    for ref in meta.get("ownerReferences") or ():
        if ref.get("kind") == "Job" and ref.get("name"):
            return str(ref["name"])
    labels = meta.get("labels") or {}
    return next((str(labels[k]) for k in _JOB_NAME_LABELS if labels.get(k)), "")


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def _started(obj: Mapping[str, Any]) -> datetime:
    when = _time((obj.get("status") or {}).get("startTime")) or _time(
        (obj.get("metadata") or {}).get("creationTimestamp")
    )
    return when or _EPOCH


def _time(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _overlaps(job: Mapping[str, Any], since: datetime | None, until: datetime | None) -> bool:
    started = _time((job.get("status") or {}).get("startTime")) or _time(
        (job.get("metadata") or {}).get("creationTimestamp")
    )
    ended = _time((job.get("status") or {}).get("completionTime"))
    if since is not None and ended is not None and ended < since:
        return False
    return not (until is not None and started is not None and started > until)


def _keep(run: HistoryRun, query: HistoryQuery) -> bool:
    when = run.when
    if query.since is not None and when is not None and when < query.since:
        return False
    if query.until is not None and when is not None and when > query.until:
        return False
    return query.status is None or run.status == query.status
